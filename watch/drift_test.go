package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader/generate"
	"github.com/pgshape/pgshape/spec"
	refschema "github.com/pgshape/pgshape/sql"
)

// driftMessages is the workload size: the tiny band's 50 000 messages.
const driftMessages = 50_000

// generateTarget loads the generator's dataset for s and seed into a fresh synthetic
// target on the shared server and returns its URL and result.
func generateTarget(t *testing.T, s *spec.Spec, seed string) (string, *generate.Result) {
	t.Helper()
	url := testdb.New(t, testdb.Target)
	res, err := generate.Run(context.Background(), generate.Options{URL: url, Band: "tiny", Seed: seed, Spec: s,
		Workers: 2, Messages: driftMessages}, io.Discard)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return url, res
}

// copyTable copies query's rows from src into table dst through COPY.
func copyTable(t *testing.T, src, dst *pgx.Conn, query, table string) {
	t.Helper()
	ctx := context.Background()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		_, err := src.PgConn().CopyTo(ctx, pw, "COPY ("+query+") TO STDOUT")
		pw.CloseWithError(err)
		errc <- err
	}()
	if _, err := dst.PgConn().CopyFrom(ctx, pr, "COPY "+table+" FROM STDIN"); err != nil {
		t.Fatalf("copying into %s: %v", table, err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("copying from %s: %v", query, err)
	}
}

// replay watches a private wal_level=logical cluster while the generated target's rows
// are written into the watched tables with INSERT … SELECT (the generator itself loads
// by COPY into a staging schema and swaps it in, which no publication sees), and
// returns the watch's final report against baseline.
func replay(t *testing.T, genURL, baseline string) *Snapshot {
	t.Helper()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical")
	url, conn := c.Open(t, "watch")
	src, err := pgx.Connect(ctx, genURL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	setup, _ := WatchSetupSQL("pub", "public")
	for _, s := range []string{refschema.Schema, setup, `CREATE SCHEMA gen`,
		`CREATE TABLE gen.users (LIKE public.users)`, `CREATE TABLE gen.conversations (LIKE public.conversations)`,
		`CREATE TABLE gen.conversation_members (LIKE public.conversation_members)`,
		`CREATE TABLE gen.messages (LIKE public.messages)`, `CREATE TABLE gen.read_receipts (LIKE public.read_receipts)`} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%v: %s", err, firstLine(s))
		}
	}
	for _, tb := range []string{"users", "conversations", "conversation_members", "messages", "read_receipts"} {
		copyTable(t, src, conn, "SELECT * FROM public."+tb, "gen."+tb)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO public.users SELECT * FROM gen.users`); err != nil {
		t.Fatal(err)
	}

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var commits atomic.Int64
	opts := Options{DatabaseURL: url, Publication: "pub", Baseline: baseline, Output: t.TempDir(), Every: time.Hour,
		K: 10, Slot: "watch_drift", tap: func(b []byte) {
			if b[0] == 'C' || b[0] == 'c' {
				commits.Add(1)
			}
		}}
	done := runInBackground(wctx, opts, io.Discard)
	waitSlots(t, conn, 1)
	inserts := []string{
		`INSERT INTO public.conversations SELECT * FROM gen.conversations ORDER BY created_at, id`,
		`INSERT INTO public.conversation_members SELECT * FROM gen.conversation_members ORDER BY joined_at`,
		`INSERT INTO public.messages SELECT * FROM gen.messages ORDER BY created_at, id`,
		`INSERT INTO public.read_receipts SELECT * FROM gen.read_receipts ORDER BY read_at`,
	}
	for _, s := range inserts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
	}
	for deadline := time.Now().Add(2 * time.Minute); commits.Load() < int64(len(inserts)); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the watch saw %d of %d transactions", commits.Load(), len(inserts))
		}
	}
	stop()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.snap
}

// TestDriftFromGeneratedWorkload: the baseline is the shape of a generated dataset; a
// workload from the same spec (another seed) stays OK, and one from a spec with
// bigger rooms and the daily peak moved by eight hours turns DRIFT on exactly the
// room-size and arrival families.
func TestDriftFromGeneratedWorkload(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("generates three datasets")
	}
	_, base := generateTarget(t, spec.Default(), "baseline")
	if base.Shape == nil {
		t.Fatal("the generator exported no shape")
	}
	basePath := filepath.Join(t.TempDir(), "shape-metrics-baseline.json")
	var buf bytes.Buffer
	if err := base.Shape.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(basePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	changed := spec.Default()
	changed.Conversations.TypeDistribution = spec.TypeMix{OneToOne: 0.40, SmallGroup: 0.35, LargeGroup: 0.25}
	w := changed.Messages.InterArrival.WeekdayHourWeights
	for d := range w {
		var row [24]float64
		for h := range row {
			row[(h+8)%24] = w[d][h]
		}
		w[d] = row
	}
	changed.Messages.InterArrival.WeekdayHourWeights = w

	for _, c := range []struct {
		name  string
		s     *spec.Spec
		moved []string
	}{
		{"unchanged", spec.Default(), nil},
		{"bigger rooms, peak +8h", changed, []string{"arrival", "room_sizes"}},
	} {
		url, _ := generateTarget(t, c.s, "workload")
		snap := replay(t, url, basePath)
		js, _ := json.MarshalIndent(snap.Drift, "", " ")
		var text bytes.Buffer
		snap.Drift.WriteText(&text)
		t.Logf("%s:\n%s", c.name, text.String())
		if got := snap.Coverage.Counts.Rows["messages"]; got != base.Rows("messages") {
			t.Errorf("%s: the watch saw %d messages, the workload has %d", c.name, got, base.Rows("messages"))
		}
		moved := slices.Clone(snap.Drift.Moved)
		slices.Sort(moved)
		if fmt.Sprint(moved) != fmt.Sprint(c.moved) {
			t.Errorf("%s: moved families %v, want %v\n%s", c.name, moved, c.moved, js)
		}
		for _, f := range snap.Drift.Families {
			if f.Status == NoData {
				t.Errorf("%s: family %s has no data", c.name, f.Name)
			}
		}
		want := OK
		if len(c.moved) > 0 {
			want = DRIFT
		}
		if snap.Drift.Status != want {
			t.Errorf("%s: status %s, want %s", c.name, snap.Drift.Status, want)
		}
	}
}
