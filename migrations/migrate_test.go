package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/migrations"
)

// version reads a migration file's NNNNN_ prefix.
func version(t *testing.T, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.SplitN(name, "_", 2)[0], 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func regclassExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow(`SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// A database as createdb leaves it becomes a synthetic target: reference schema, mark,
// shape layer, each applied version named. A second run finds nothing to do.
func TestMigrateTargetOnEmpty(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Empty)
	ctx := context.Background()
	var out strings.Builder
	if err := migrations.Migrate(ctx, db, migrations.Options{Target: true}, &out); err != nil {
		t.Fatal(err)
	}
	want := `[Migrate] target schema: applied 00001 reference chat schema (sql/schema.sql)
[Migrate] target schema: applied 00002_synthetic_target.sql
[Migrate] ✓ target schema at version 2
[Migrate] shape layer: applied 00001_shape_source.sql
[Migrate] shape layer: applied 00002_shape_helpers.sql
[Migrate] shape layer: applied 00003_shape_v1.sql
[Migrate] shape layer: applied 00004_shape_views_reader.sql
`
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", out.String(), want)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM pgshape.synthetic_target WHERE loaded_at IS NULL`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("mark rows = %d (err %v), want 1 unloaded row", rows, err)
	}
	out.Reset()
	if err := migrations.Migrate(ctx, db, migrations.Options{Target: true}, &out); err != nil {
		t.Fatalf("second run on its own target: %v", err)
	}
	if strings.Contains(out.String(), "applied") {
		t.Errorf("second run applied something:\n%s", out.String())
	}
}

// --target on a database that holds application tables and no mark is refused before
// anything is written, naming what is there.
func TestMigrateTargetRefusesApplicationTables(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	err := migrations.Migrate(context.Background(), db, migrations.Options{Target: true}, &strings.Builder{})
	var ne *migrations.NotEmptyError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v, want a *NotEmptyError", err)
	}
	want := []string{"public.attachments", "public.conversation_members", "public.conversations",
		"public.messages", "public.read_receipts", "public.users"}
	if strings.Join(ne.Tables, ",") != strings.Join(want, ",") {
		t.Errorf("tables %v, want %v", ne.Tables, want)
	}
	if !strings.Contains(err.Error(), "it already holds tables (public.attachments, public.conversation_members, public.conversations and 3 more) and no synthetic-target mark") {
		t.Errorf("message %q", err)
	}
	if regclassExists(t, db, migrations.TargetVersionTable) || regclassExists(t, db, "pgshape.synthetic_target") {
		t.Error("the refused run left the target version table or the mark behind")
	}
}

// A database holding only the shape layer (and goose's version table) may still become
// a target.
func TestMigrateTargetOverShapeLayer(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	var out strings.Builder
	if err := migrations.Migrate(context.Background(), db, migrations.Options{Target: true}, &out); err != nil {
		t.Fatal(err)
	}
	if !regclassExists(t, db, "pgshape.synthetic_target") || !regclassExists(t, db, "public.messages") {
		t.Errorf("no mark or reference schema after:\n%s", out.String())
	}
}

// Down past the first version says there is nothing to roll back, and succeeds; on a
// database that never had the layer it creates no version table either.
func TestMigrateDownPastFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const nothing = "[Migrate] nothing to roll back: the shape layer is not installed (version 0)\n"

	bare := testdb.Open(t, testdb.Bare)
	var out strings.Builder
	if err := migrations.Migrate(ctx, bare, migrations.Options{Down: true}, &out); err != nil {
		t.Fatal(err)
	}
	// The two highest shape-layer versions, from the files (later releases add some).
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(names) < 4 {
		t.Fatalf("shape layer files %v: %v", names, err)
	}
	slices.Sort(names)
	top, below := names[len(names)-1], names[len(names)-2]
	want := fmt.Sprintf("[Migrate] rolled back shape layer version %d (%s); now at version %d\n",
		version(t, top), top, version(t, below))
	if got := out.String(); got != want {
		t.Errorf("first down: %q, want %q", got, want)
	}
	p, err := migrations.ShapeProvider(bare)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := migrations.Migrate(ctx, bare, migrations.Options{Down: true}, &out); err != nil {
		t.Fatalf("down at version 0: %v", err)
	}
	if out.String() != nothing {
		t.Errorf("down at version 0: %q, want %q", out.String(), nothing)
	}

	empty := testdb.Open(t, testdb.Empty)
	out.Reset()
	if err := migrations.Migrate(ctx, empty, migrations.Options{Down: true}, &out); err != nil {
		t.Fatalf("down on an empty database: %v", err)
	}
	if out.String() != nothing {
		t.Errorf("down on an empty database: %q, want %q", out.String(), nothing)
	}
	if regclassExists(t, empty, migrations.ShapeVersionTable) {
		t.Error("down on an empty database created goose's version table")
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	if err := (migrations.Options{Target: true, Down: true}).Validate(); !errors.Is(err, migrations.ErrTargetAndDown) {
		t.Errorf("Target+Down: %v, want ErrTargetAndDown", err)
	}
	for _, o := range []migrations.Options{{}, {Target: true}, {Down: true}} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

// The latest versions are read from the files: the shape layer's highest file, the
// target set's mark.
func TestLatestVersions(t *testing.T) {
	t.Parallel()
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	// The highest NNNNN_ prefix among the files, read here by hand.
	var want int64
	for _, e := range entries {
		want = max(want, version(t, e.Name()))
	}
	if want < 4 {
		t.Fatalf("shape layer files top out at %d, want at least 4 (released in v0.1.0)", want)
	}
	got, err := migrations.Embedded().LatestShapeVersion()
	if err != nil || got != want {
		t.Errorf("LatestShapeVersion = %d (err %v), want %d", got, err, want)
	}
	if got, err := migrations.Embedded().LatestTargetVersion(); err != nil || got != 2 {
		t.Errorf("LatestTargetVersion = %d (err %v), want 2", got, err)
	}
}
