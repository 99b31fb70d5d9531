package generate

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/spec"
)

// testSpec is testdata/spec.json: hand-written parameters whose consequences the
// tests compute by hand.
func testSpec(t testing.TB) *spec.Spec {
	t.Helper()
	s, err := spec.ReadFile("testdata/spec.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func load(t testing.TB, url string, mut func(*Options)) *Result {
	t.Helper()
	opts := Options{URL: url, Band: "tiny", Seed: "test-seed", Spec: testSpec(t), Workers: 2}
	if mut != nil {
		mut(&opts)
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), opts, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return res
}

// checksums returns md5 over each table's rows in key order.
func checksums(t testing.TB, conn *pgx.Conn) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range Tables {
		var sum string
		err := conn.QueryRow(context.Background(), `SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY `+
			primaryKey[tb]+`)), 'empty') || ':' || count(*) FROM public.`+tb+` t`).Scan(&sum)
		if err != nil {
			t.Fatal(err)
		}
		out[tb] = sum
	}
	return out
}

func TestSmoke(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	res := load(t, url, nil)
	t.Logf("%+v", res)
	conn := connect(t, url)
	t.Logf("%v", checksums(t, conn))
}
