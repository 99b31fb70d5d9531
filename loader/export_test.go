package loader_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/shape"
)

// fixtureAsOf and fixtureWindow are the window testdata/pii/fixture.sql is built for.
var fixtureAsOf = time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC)

const fixtureWindow = 30

// fixtureURL returns a Production database holding testdata/pii/fixture.sql.
func fixtureURL(t *testing.T) string {
	t.Helper()
	url := testdb.New(t, testdb.Production)
	execFile(t, url, "../testdata/pii/fixture.sql")
	return url
}

func execFile(t *testing.T, url, path string) {
	t.Helper()
	sql, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, url, string(sql))
}

// noShapeURL returns a database without the shape schema.
func noShapeURL(t *testing.T) string {
	t.Helper()
	url := testdb.New(t, testdb.Bare)
	testdb.Exec(t, url, `DROP SCHEMA IF EXISTS shape CASCADE`)
	return url
}

func TestExportValidatesBeforeTheDatabase(t *testing.T) {
	t.Parallel()
	// A nil Querier: any database call would panic.
	for _, o := range []loader.ExportOptions{{WindowDays: 0}, {WindowDays: -3}, {WindowDays: 30, K: 1}, {WindowDays: 30, K: -10}} {
		_, err := loader.Export(context.Background(), nil, o)
		if err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if err := (loader.ExportOptions{WindowDays: 30}).Validate(); err != nil {
		t.Errorf("k 0 (the default) rejected: %v", err)
	}
	o := loader.ExportOptions{WindowDays: 30}
	if k := o.WithDefaults().K; k != 10 || o.K != 0 {
		t.Errorf("default k %d (the options' K now %d), want 10 in a copy", k, o.K)
	}
}

func TestExportNoShapeSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := loader.Connect(ctx, noShapeURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = loader.Export(ctx, pool, loader.ExportOptions{WindowDays: 30})
	if !errors.Is(err, loader.ErrNoShapeSchema) || !strings.Contains(err.Error(), "run `loader migrate`") {
		t.Fatalf("got %v, want ErrNoShapeSchema saying run `loader migrate`", err)
	}
}

// The fixture's totals, counted by hand from testdata/pii/fixture.sql: 300 users and
// 60 conversations, all created before as_of; messages 1–3000 fall in the window
// (offsets (i·7919 mod 2592000) s from its start) and 3001–3500 before it; even ones
// have one receipt each, read at most 499·17 s later and (checked for every i) before
// as_of; media: i ≡ 0 (mod 10) images plus i ≡ 0 (mod 25) but not (mod 50) documents,
// 300 + 60 = 360, one attachment each; every conversation has window messages.
func TestExportFixture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := loader.Connect(ctx, fixtureURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	doc, err := loader.Export(ctx, pool, loader.ExportOptions{WindowDays: fixtureWindow, AsOf: fixtureAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if !doc.ExtractedAt.Equal(fixtureAsOf) || doc.SampleWindowDays != 30 {
		t.Errorf("extracted_at %s window %d", doc.ExtractedAt, doc.SampleWindowDays)
	}
	got := []int64{doc.Users.TotalCount, doc.Conversations.TotalCount, doc.Conversations.ActiveCount,
		doc.Messages.TotalCount, doc.ReadReceipts.TotalCount, doc.Attachments.TotalCount}
	if want := []int64{300, 60, 60, 3000, 1500, 360}; !reflect.DeepEqual(got, want) {
		t.Errorf("totals %v, want %v", got, want)
	}
	// 360 media messages of 3000; 1500 of 3000 read, one receipt each.
	checkRatio(t, "media_ratio", doc.Messages.MediaRatio, 0.12)
	checkRatio(t, "read_rate", doc.ReadReceipts.ReadRate, 0.5)
	checkRatio(t, "receipts_per_read_message", doc.ReadReceipts.ReceiptsPerReadMessage, 1)

	// K 0 is K 10.
	doc10, err := loader.Export(ctx, pool, loader.ExportOptions{WindowDays: fixtureWindow, K: 10, AsOf: fixtureAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, doc10) {
		t.Error("k 0 and k 10 exports differ")
	}
}

func checkRatio(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || *got < want-1e-12 || *got > want+1e-12 {
		t.Errorf("%s = %v, want %g", name, got, want)
	}
}

// TestExportSplitIsExport: the document `loader sample` computes on two connections
// (the version-1 half here, the version-2 families on a second connection in this
// transaction's exported snapshot) is shape.export's in the same transaction, byte for
// byte, although 500 window messages by 50 new senders commit after the snapshot was
// taken: a second connection that did not import it would count them (its active
// senders would read 350, not 300).
func TestExportSplitIsExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := fixtureURL(t)
	pool, tx := snapshotTx(t, ctx, url)
	var want []byte
	if err := tx.QueryRow(ctx, `SELECT shape.export($1, 10, $2)::text`, fixtureWindow, fixtureAsOf).Scan(&want); err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, url, `INSERT INTO public.users (id, username, email, created_at)
		SELECT 1000 + i, 'late_' || i, 'late' || i || '@example.com', timestamptz '2025-01-01Z' FROM generate_series(0, 49) AS i;
		INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
		SELECT 100000 + i, (i % 60) + 1, 1000 + (i % 50), timestamptz '2025-10-01Z' + i * interval '1 minute', NULL, 'x'
		  FROM generate_series(1, 500) AS i`)
	got, err := loader.ExportSplitRaw(ctx, tx, pool, loader.ExportOptions{WindowDays: fixtureWindow, K: 10, AsOf: fixtureAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the split export differs from shape.export:\n%s\n%s", got, want)
	}
	doc, err := shape.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if s := doc.Users.Senders; s == nil || s.ActiveSenders != 300 {
		t.Errorf("active senders %+v, want 300 (the snapshot's)", s)
	}
	// Outside the snapshot the new senders count: the test can tell.
	var now int64
	if err := pool.QueryRow(ctx, `SELECT (shape.export($1, 10, $2) -> 'users' -> 'senders' ->> 'active_senders')::bigint`,
		fixtureWindow, fixtureAsOf).Scan(&now); err != nil {
		t.Fatal(err)
	}
	if now != 350 {
		t.Errorf("active senders after the insert %d, want 350", now)
	}
}

// A pool of one connection (pool_max_conns=1 in the URL) has no second connection for
// the version-2 half while the sampling transaction holds the first: the export runs as
// one shape.export instead of waiting for it forever, and the document is the same.
func TestExportSnapshotPoolOfOne(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := fixtureURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	docs := map[string]*shape.Document{}
	for name, u := range map[string]string{"one": url + sep + "pool_max_conns=1", "default": url} {
		pool, tx := snapshotTx(t, ctx, u)
		doc, err := loader.ExportSnapshot(ctx, tx, pool, loader.ExportOptions{WindowDays: fixtureWindow, AsOf: fixtureAsOf})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs[name] = doc
	}
	if !reflect.DeepEqual(docs["one"], docs["default"]) {
		t.Error("the pool of one's document differs from the split export's")
	}
}

// snapshotTx connects to url and begins a read-only, repeatable-read transaction, as
// loader sample does; both end with the test.
func snapshotTx(t *testing.T, ctx context.Context, url string) (*pgxpool.Pool, pgx.Tx) {
	t.Helper()
	pool, err := loader.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return pool, tx
}
