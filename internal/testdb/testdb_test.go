package testdb_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peterldowns/pgtestdb"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/migrations"
)

// Each kind gets the tables it promises and nothing more.
func TestKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind                                 testdb.Kind
		wantTables, wantTarget, wantContract bool
	}{
		{testdb.Bare, false, false, true},
		{testdb.Production, true, false, true},
		{testdb.Target, true, true, true},
		{testdb.Empty, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.kind.String(), func(t *testing.T) {
			t.Parallel()
			db := testdb.Open(t, c.kind)
			var tables, target, contract bool
			err := db.QueryRowContext(context.Background(), `SELECT
				to_regclass('public.messages') IS NOT NULL,
				to_regclass('pgshape.synthetic_target') IS NOT NULL,
				to_regclass('shape_source.messages') IS NOT NULL`).Scan(&tables, &target, &contract)
			if err != nil {
				t.Fatal(err)
			}
			if tables != c.wantTables || target != c.wantTarget || contract != c.wantContract {
				t.Fatalf("tables=%v target=%v contract=%v, want %v %v %v", tables, target, contract, c.wantTables, c.wantTarget, c.wantContract)
			}
		})
	}
}

// substitute returns the embedded sources with the target set's mark file edited.
func substitute(t *testing.T, edit func(string) string) migrations.Sources {
	t.Helper()
	src := migrations.Embedded()
	target := fstest.MapFS{}
	names, err := fs.Glob(src.Target, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("target set files %v: %v", names, err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(src.Target, n)
		if err != nil {
			t.Fatal(err)
		}
		if n == "00002_synthetic_target.sql" {
			b = []byte(edit(string(b)))
		}
		target[n] = &fstest.MapFile{Data: b}
	}
	src.Target = target
	return src
}

// The template hash follows the target mark's DDL: a changed mark gives a new template
// (built from the changed file), the same bytes give the same one.
func TestHashCoversTargetMark(t *testing.T) {
	t.Parallel()
	hash := func(m testdb.Migrator) string {
		h, err := m.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	embedded := hash(testdb.Migrator{Kind: testdb.Target})
	same := substitute(t, func(s string) string { return s })
	if got := hash(testdb.Migrator{Kind: testdb.Target, Sources: same}); got != embedded {
		t.Errorf("a byte-for-byte copy of the target set hashes %s, the embedded one %s", got, embedded)
	}
	const col = "    shard         text\n"
	changed := substitute(t, func(s string) string {
		if !strings.Contains(s, col) {
			t.Fatalf("the mark file lacks %q", col)
		}
		return strings.Replace(s, col, "    shard         text,\n    hash_probe    integer\n", 1)
	})
	if got := hash(testdb.Migrator{Kind: testdb.Target, Sources: changed}); got == embedded {
		t.Fatal("changing the target mark's DDL left the template hash unchanged")
	}
	if hash(testdb.Migrator{Kind: testdb.Bare}) == embedded {
		t.Error("kinds Bare and Target share a hash")
	}
	// The reference schema counts too.
	schema := migrations.Embedded()
	schema.Schema += "\n-- a comment\n"
	if hash(testdb.Migrator{Kind: testdb.Target, Sources: schema}) == embedded {
		t.Error("changing the reference schema left the template hash unchanged")
	}

	// And the template is built from the changed file.
	db := pgtestdb.New(t, testdb.Config(t), testdb.Migrator{Kind: testdb.Target, Sources: changed})
	var probe bool
	if err := db.QueryRowContext(context.Background(), `SELECT EXISTS (SELECT FROM information_schema.columns
		WHERE table_schema = 'pgshape' AND table_name = 'synthetic_target' AND column_name = 'hash_probe')`).Scan(&probe); err != nil {
		t.Fatal(err)
	}
	if !probe {
		t.Error("the database built from the changed mark lacks its column")
	}
}
