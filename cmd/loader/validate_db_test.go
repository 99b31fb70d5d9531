package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	refschema "github.com/pgshape/pgshape/sql"
)

// A target filled with the demo data (known parameters) validates GO against its own
// export over the same window; halving its media messages then fails exactly the media
// ratio, exit 1.
func TestValidateTargetAgainstItsOwnExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.New(t, testdb.Target)
	pool, baseline, out := demoBaseline(t, url, 30000)

	code, stdout, stderr := loaderRun(t, "validate", "--baseline", baseline, "--database-url", url, "--output", out)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q, want 0:\n%s", code, stderr, stdout)
	}
	// No load recorded in the mark: the baseline's window is used; a marked target is
	// exported at k = 2.
	for _, want := range []string{"[Validation] Exporting the target's shape (the baseline's window: 30 days ending 2025-10-22T00:00:00Z, k=2)...\n",
		"Passed: 34\n", "Decision: GO (within tolerance)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no JSON result: %v", err)
	}

	// Half of the media messages become plain: media ratio Δ ≈ −50%.
	if _, err := pool.Exec(ctx, `UPDATE public.messages SET media_kind = NULL WHERE media_kind IS NOT NULL AND id % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = loaderRun(t, "validate", "--baseline", baseline, "--database-url", url, "--output", out, "--overwrite")
	if code != 1 || stderr != "loader: NO-GO: failed: media ratio\n" {
		t.Errorf("after halving media: exit %d, stderr %q; want 1 and NO-GO naming only the media ratio:\n%s", code, stderr, stdout)
	}
}

// demoBaseline fills the database at url with the demo data (messages of them, as of
// 2025-10-22), writes its own 30-day export as the baseline, and returns a pool on it,
// the baseline's path and a validation.json path beside it (not yet written).
func demoBaseline(t *testing.T, url string, messages int64) (pool *pgxpool.Pool, baseline, out string) {
	t.Helper()
	ctx := context.Background()
	pool, err := loader.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	asOf := time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, "SET search_path TO public;\n"+refschema.DemoFillSQL(messages, asOf, 0.42)); err != nil {
		t.Fatalf("filling the database: %v", err)
	}
	base, err := loader.Export(ctx, pool, loader.ExportOptions{WindowDays: 30, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return pool, writeDoc(t, dir, "shape-metrics.json", base, false), filepath.Join(dir, "validation.json")
}

// A database without the shape layer is bad input: exit 2, one line saying what to run
// (compared with --allow-any-target: it carries no synthetic-target mark either).
func TestValidateNoShapeSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.New(t, testdb.Bare)
	pool, err := loader.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DROP SCHEMA shape CASCADE`); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	code, _, stderr := loaderRun(t, "validate", "--baseline", exampleShape, "--database-url", url, "--allow-any-target",
		"--output", filepath.Join(t.TempDir(), "v.json"))
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "has no shape schema") ||
		!strings.Contains(stderr, "loader migrate") {
		t.Errorf("exit %d, stderr %q; want 2 and one line naming the missing shape schema and `loader migrate`", code, stderr)
	}
	if strings.Contains(stderr, "pgshape_test@") || strings.Contains(stderr, "password") {
		t.Errorf("stderr repeats the database URL: %q", stderr)
	}
}
