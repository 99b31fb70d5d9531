package watch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
)

// liveDB starts a private wal_level=logical cluster with the reference schema, the
// prelude rows and publication pub; it returns the database URL and a connection.
func liveDB(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical", "logical_decoding_work_mem=64kB")
	url, conn := c.Open(t, "watch")
	for _, s := range referencePrelude() {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%v: %s", err, firstLine(s))
		}
	}
	return url, conn
}

// waitSlots waits until the database has n replication slots.
func waitSlots(t *testing.T, conn *pgx.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_replication_slots").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replication slots, want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const exampleBaseline = "../testdata/shape-example.json"

// TestWatchLive runs the watch on a live stream of the reference workload: the
// counters match the captured ones, the sentinel written into every message never
// reaches the watch or its files, the application's UPDATE and DELETE succeed, and
// the temporary slot is gone when the watch stops.
func TestWatchLive(t *testing.T) {
	t.Parallel()
	url, conn := liveDB(t)
	ctx := context.Background()
	out := t.TempDir()
	var mu sync.Mutex
	var received bytes.Buffer
	opts := Options{DatabaseURL: url, Publication: "pub", Baseline: exampleBaseline, Output: out, Once: true,
		Duration: 6 * time.Second, Every: time.Hour, K: 2, Slot: "watch_live",
		tap: func(b []byte) { mu.Lock(); received.Write(b); mu.Unlock() }}
	var stdout bytes.Buffer
	done := runInBackground(ctx, opts, &stdout)
	waitSlots(t, conn, 1)
	for _, s := range referenceWorkload[:len(referenceWorkload)-1] {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%v: %s", err, firstLine(s))
		}
	}
	// the application's UPDATE and DELETE on published tables still succeed
	tag, err := conn.Exec(ctx, "UPDATE messages SET content = 'edited "+sentinel+"' WHERE id = 2")
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("UPDATE: %v (%d rows)", err, tag.RowsAffected())
	}
	tag, err = conn.Exec(ctx, "DELETE FROM read_receipts WHERE message_id = 4")
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("DELETE: %v (%d rows)", err, tag.RowsAffected())
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	waitSlots(t, conn, 0)

	c := r.snap.Coverage.Counts
	if c.Transactions != 4 || c.Rows["messages"] != 3006 || c.AbortedTransactions != 1 || c.AbortedSubtransactions != 1 ||
		c.UnmatchedReceipts != 1 || c.Receipts != 4 {
		t.Fatalf("counts %+v", c)
	}
	if !strings.HasPrefix(stdout.String(), "watch: ") {
		t.Errorf("stdout %q", stdout.String())
	}
	mu.Lock()
	got := received.Bytes()
	mu.Unlock()
	if len(got) == 0 || bytes.Contains(got, []byte(sentinel[:12])) || bytes.Contains(got, []byte("@example")) {
		t.Fatalf("the watch received %d bytes, the sentinel among them: %v", len(got), bytes.Contains(got, []byte(sentinel[:12])))
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) != 2 {
		t.Fatalf("files %v, want a shape document and a snapshot", files)
	}
	for _, f := range append(files, "") {
		var data []byte
		if f == "" {
			data = stdout.Bytes()
		} else if data, err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(sentinel[:12])) {
			t.Fatalf("%s carries the sentinel", f)
		}
	}
}

// TestWatchAbortsOnWidening: ALTER PUBLICATION adding a text column mid-stream aborts
// the watch with a privacy refusal, and nothing is written.
func TestWatchAbortsOnWidening(t *testing.T) {
	t.Parallel()
	url, conn := liveDB(t)
	ctx := context.Background()
	out := t.TempDir()
	opts := Options{DatabaseURL: url, Publication: "pub", Baseline: exampleBaseline, Output: out, Once: true,
		Duration: time.Minute, Every: time.Hour, Slot: "watch_widen"}
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, opts, io.Discard)
		done <- err
	}()
	waitSlots(t, conn, 1)
	for _, s := range []string{
		referenceWorkload[0],
		`ALTER PUBLICATION pub DROP TABLE messages`,
		`ALTER PUBLICATION pub ADD TABLE messages (id, conversation_id, created_at, content)`,
		`INSERT INTO messages VALUES (7, 1, 1, now(), NULL, '` + sentinel + `')`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%v: %s", err, firstLine(s))
		}
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPrivacy) || !strings.Contains(err.Error(), "messages.content") {
			t.Fatalf("error %v, want a privacy refusal naming messages.content", err)
		}
		if strings.Contains(err.Error(), sentinel) {
			t.Fatal("the refusal carries the sentinel")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the watch did not stop on a widened publication")
	}
	waitSlots(t, conn, 0)
	if files, _ := filepath.Glob(filepath.Join(out, "*")); len(files) != 0 {
		t.Fatalf("files written: %v", files)
	}
}

// TestGates: every publication the gates refuse, one clear line each.
func TestGates(t *testing.T) {
	t.Parallel()
	url, conn := liveDB(t)
	ctx := context.Background()
	cases := []struct{ sql, pub, want string }{
		{`CREATE PUBLICATION p_all FOR ALL TABLES`, "p_all", "FOR ALL TABLES"},
		{`CREATE PUBLICATION p_upd FOR TABLE messages (id, created_at) WITH (publish = 'insert, update')`, "p_upd", "inserts only"},
		{`CREATE PUBLICATION p_nolist FOR TABLE messages WITH (publish = 'insert')`, "p_nolist", "every column of messages"},
		{`CREATE PUBLICATION p_text FOR TABLE messages (id, content) WITH (publish = 'insert')`, "p_text", "messages.content"},
		{`CREATE PUBLICATION p_filter FOR TABLE messages (id, created_at) WHERE (id > 0) WITH (publish = 'insert')`, "p_filter", "row filter"},
		{`CREATE PUBLICATION p_users FOR TABLE users (id, email) WITH (publish = 'insert')`, "p_users", "users.email"},
		{`CREATE PUBLICATION p_schema FOR TABLES IN SCHEMA public WITH (publish = 'insert')`, "p_schema", "TABLES IN SCHEMA"},
		{`SELECT 1`, "p_missing", "does not exist"},
	}
	for _, c := range cases {
		if _, err := conn.Exec(ctx, c.sql); err != nil {
			t.Fatal(err)
		}
		err := CheckPublication(ctx, conn, c.pub, ReferenceAllowlist)
		if !errors.Is(err, ErrGate) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", c.pub, err, c.want)
		}
	}
	if err := CheckPublication(ctx, conn, "pub", ReferenceAllowlist); err != nil {
		t.Fatalf("the setup publication is refused: %v", err)
	}
	// Run refuses before creating a slot
	_, err := Run(ctx, Options{DatabaseURL: url, Publication: "p_nolist", Baseline: exampleBaseline, Output: t.TempDir(),
		Once: true, Duration: time.Second}, io.Discard)
	if !errors.Is(err, ErrGate) {
		t.Fatalf("Run on p_nolist: %v", err)
	}
	waitSlots(t, conn, 0)
}

// TestWatchResumesAfterDrop: a terminated walsender (a dropped connection) resumes
// with a new temporary slot and a recorded gap, and what commits afterwards is counted.
func TestWatchResumesAfterDrop(t *testing.T) {
	t.Parallel()
	url, conn := liveDB(t)
	ctx := context.Background()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	opts := Options{DatabaseURL: url, Publication: "pub", Baseline: exampleBaseline, Output: t.TempDir(),
		Every: time.Hour, K: 2, Slot: "watch_gap"}
	var commits atomic.Int64
	opts.tap = func(b []byte) {
		if b[0] == 'C' {
			commits.Add(1)
		}
	}
	done := runInBackground(wctx, opts, io.Discard)
	waitSlots(t, conn, 1)
	// The slot is active from CREATE_REPLICATION_SLOT on, but its walsender appears in
	// pg_stat_replication only once it streams: terminate it once it does (terminating
	// nothing left the watch on its first slot, and the test waiting for a second).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var killed int
		if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_replication WHERE state = 'streaming'`).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if killed > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watch's walsender never streamed")
		}
	}
	// the new slot
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'watch_gap_r1' AND active`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new slot after the connection dropped")
		}
	}
	for _, s := range referenceWorkload[:2] {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(120 * time.Second); commits.Load() < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the watch saw %d of 2 transactions after resuming", commits.Load())
		}
	}
	stop()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	cov := r.snap.Coverage
	if len(cov.Gaps) != 1 || cov.Gaps[0].ResumeLSN == "" || cov.Counts.Rows["messages"] != 6 || cov.Counts.Transactions != 2 {
		t.Fatalf("coverage %+v", cov)
	}
	waitSlots(t, conn, 0)
}

// TestWatchRechecksPublication: a publication changed without any traffic (no
// Relation message shows it) is caught before the next report.
func TestWatchRechecksPublication(t *testing.T) {
	t.Parallel()
	url, conn := liveDB(t)
	ctx := context.Background()
	opts := Options{DatabaseURL: url, Publication: "pub", Baseline: exampleBaseline, Output: t.TempDir(), Once: true,
		Duration: time.Minute, Every: 2 * time.Second, Slot: "watch_recheck"}
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, opts, io.Discard)
		done <- err
	}()
	waitSlots(t, conn, 1)
	if _, err := conn.Exec(ctx, `ALTER PUBLICATION pub SET (publish = 'insert, update')`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrPrivacy) || !strings.Contains(err.Error(), "inserts only") {
			t.Fatalf("error %v, want a privacy stop naming inserts only", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("the watch did not notice the changed publication")
	}
	waitSlots(t, conn, 0)
}

// runResult is what Run returned, for a watch run in the background.
type runResult struct {
	snap *Snapshot
	err  error
}

// runInBackground starts Run in a goroutine; its result arrives on the channel.
func runInBackground(ctx context.Context, opts Options, out io.Writer) <-chan runResult {
	done := make(chan runResult, 1)
	go func() {
		s, err := Run(ctx, opts, out)
		done <- runResult{s, err}
	}()
	return done
}
