package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

func migrateCLI(args ...string) (code int, stdout, stderr string) {
	var out, errw bytes.Buffer
	code = run(context.Background(), append([]string{"loader", "migrate"}, args...), &out, &errw)
	return code, out.String(), errw.String()
}

// `loader migrate` on a database without the reference tables prints the NOTICE the
// shape layer raises: its source contract is an empty placeholder.
func TestMigratePrintsPlaceholderNotice(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Empty)
	code, stdout, stderr := migrateCLI("--database-url", url)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	const notice = "[Migrate] NOTICE: pgshape: the reference tables are not in schema public; shape_source views are empty placeholders: re-point them at your tables with CREATE OR REPLACE VIEW\n"
	if !strings.Contains(stdout, notice) {
		t.Errorf("stdout lacks the placeholder notice %q:\n%s", notice, stdout)
	}
	if !strings.Contains(stdout, "[Migrate] ✓ shape layer at version ") {
		t.Errorf("stdout does not end with the layer's version:\n%s", stdout)
	}
	// With the reference tables there, no notice.
	url = testdb.New(t, testdb.Production)
	testdb.Exec(t, url, `DROP SCHEMA shape CASCADE; DROP SCHEMA shape_source CASCADE; DROP TABLE goose_db_version`)
	code, stdout, stderr = migrateCLI("--database-url", url)
	if code != 0 || strings.Contains(stdout, "NOTICE") {
		t.Errorf("over the reference tables: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
}

// --target on a database with application tables and no mark: one line saying what is
// there and what to do, exit 2, nothing written.
func TestMigrateTargetOnApplicationDatabase(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Empty)
	testdb.Exec(t, url, `CREATE TABLE public.users (id bigint PRIMARY KEY, username text)`)
	code, stdout, stderr := migrateCLI("--target", "--database-url", url)
	want := `loader: error preparing database "` // the database's name follows
	if code != 2 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q, want 2 and one line starting %q", code, stderr, want)
	}
	for _, part := range []string{`as a synthetic target: it already holds tables (public.users) and no synthetic-target mark`,
		"run `loader migrate --target` only on a new, empty database", "or without --target to install just the shape layer"} {
		if !strings.Contains(stderr, part) {
			t.Errorf("stderr %q lacks %q", stderr, part)
		}
	}
	if strings.Contains(stderr, "partial migration") || stdout != "" {
		t.Errorf("goose's error or progress leaked: stdout %q stderr %q", stdout, stderr)
	}
}

// --down past the first version: nothing to roll back, exit 0.
func TestMigrateDownNothingToRollBack(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Empty)
	code, stdout, stderr := migrateCLI("--down", "--database-url", url)
	if code != 0 || stderr != "" || stdout != "[Migrate] nothing to roll back: the shape layer is not installed (version 0)\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = migrateCLI("--down", "--target", "--database-url", url)
	if code != 2 || stderr != "loader: --target and --down cannot be combined: --down rolls back only the shape layer\n" {
		t.Errorf("--down --target: exit %d, stderr %q", code, stderr)
	}
}
