package testdb_test

import (
	"context"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// Each kind gets the tables it promises and nothing more.
func TestKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind                   testdb.Kind
		wantTables, wantTarget bool
	}{
		{testdb.Bare, false, false},
		{testdb.Production, true, false},
		{testdb.Target, true, true},
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
			if tables != c.wantTables || target != c.wantTarget || !contract {
				t.Fatalf("tables=%v target=%v contract=%v, want %v %v true", tables, target, contract, c.wantTables, c.wantTarget)
			}
		})
	}
}
