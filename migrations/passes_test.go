package migrations_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// The receipts pass two ways: from one sorted array with binary searches ("rr", the
// default) and from percentile_cont with one FILTER count per bucket ("rr_sort", the
// fallback past the array limit). Delays sit on the bucket and category edges, where
// a boundary off by one row would show: 0, 15 s (0.25 min), 59.999999 s, 60 s twice,
// 3599 s, 3600 s (60 min), 7200 s (120 min).
func TestReceiptPassesAtBucketEdges(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, `
INSERT INTO public.conversations (id, kind, title, created_at) VALUES
 (1, 'group', NULL, '2025-01-01Z'),       -- no member row: member bucket 1 ("0")
 (2, 'group', NULL, '2025-01-01Z');       -- 25 members: member bucket 6 ("21")
INSERT INTO public.conversation_members (conversation_id, user_id, joined_at)
SELECT 2, u, timestamptz '2025-01-01Z' FROM generate_series(1, 25) u;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content) VALUES
 (1, 1, 1, '2025-10-20 09:00:00Z', NULL, 'a'),
 (2, 1, 1, '2025-10-20 10:00:00Z', NULL, 'a'),
 (3, 2, 1, '2025-10-20 11:00:00Z', NULL, 'a'),   -- in conversation 2
 (4, 1, 1, '2025-10-22 11:00:00Z', NULL, 'a'),   -- read only after as_of
 (5, 1, 1, '2025-10-21 11:00:00Z', NULL, 'a');   -- never read
INSERT INTO public.read_receipts (message_id, reader_id, read_at) VALUES
 (1, 1, '2025-10-20 09:00:00Z'),          -- 0 s: bucket 0
 (1, 2, '2025-10-20 09:00:15Z'),          -- 15 s = 0.25 min: bucket 0.25
 (1, 3, '2025-10-20 09:00:59.999999Z'),   -- just under 1 min: bucket 0.75, immediate
 (2, 1, '2025-10-20 10:01:00Z'),          -- 60 s: bucket 1, near
 (2, 2, '2025-10-20 10:01:00Z'),          -- 60 s
 (2, 3, '2025-10-20 10:59:59Z'),          -- 3599 s: bucket 45, near
 (3, 1, '2025-10-20 12:00:00Z'),          -- 3600 s = 60 min: bucket 60, delayed
 (3, 2, '2025-10-20 13:00:00Z'),          -- 7200 s = 120 min: bucket 120
 (4, 1, '2025-10-22 12:00:00Z');          -- at as_of: excluded`)

	type rawRR struct {
		ReadMessages int64 `json:"read_messages"`
		Agg          struct {
			N         int64 `json:"n"`
			Immediate int64 `json:"immediate"`
			Near      int64 `json:"near"`
			Delayed   int64 `json:"delayed"`
		} `json:"agg"`
		ByMember struct {
			Receipts []int64 `json:"receipts"`
			Read     []int64 `json:"read"`
		} `json:"by_member"`
		Pct  []float64 `json:"pct"`
		Hist struct {
			B []int   `json:"b"`
			N []int64 `json:"n"`
		} `json:"hist"`
	}
	// grid_delay_minutes: 1-based bucket index of each lower bound used above.
	wantBuckets := map[int]int64{1: 1, 2: 1, 4: 1, 5: 2, 14: 1, 15: 1, 17: 1}
	// percentile_cont over the 8 sorted delays: h = p·7, lo + (hi − lo)·(h − floor h).
	wantPct := []float64{60, 3599 + 0.25, 3600 + 3600*0.3, 3600 + 3600*0.65, 3600 + 3600*0.93}

	for _, pass := range []string{"rr", "rr_sort"} {
		var raw []byte
		if err := db.QueryRowContext(context.Background(),
			`SELECT q.raw::text FROM shape.passes_v1(timestamptz '2025-10-15 12:00Z', timestamptz '2025-10-22 12:00Z', ARRAY[$1]) q`,
			pass).Scan(&raw); err != nil {
			t.Fatalf("pass %s: %v", pass, err)
		}
		var got rawRR
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("pass %s: %v", pass, err)
		}
		if got.ReadMessages != 3 || got.Agg.N != 8 || got.Agg.Immediate != 3 || got.Agg.Near != 3 || got.Agg.Delayed != 2 {
			t.Errorf("pass %s: read messages %d, n %d, immediate %d, near %d, delayed %d; want 3, 8, 3, 3, 2",
				pass, got.ReadMessages, got.Agg.N, got.Agg.Immediate, got.Agg.Near, got.Agg.Delayed)
		}
		// by member bucket: m1, m2 (6 receipts) in conversation 1, m3 (2) in 2
		wantRB, wantRead := []int64{6, 0, 0, 0, 0, 2, 0, 0}, []int64{2, 0, 0, 0, 0, 1, 0, 0}
		if fmt.Sprint(got.ByMember.Receipts) != fmt.Sprint(wantRB) || fmt.Sprint(got.ByMember.Read) != fmt.Sprint(wantRead) {
			t.Errorf("pass %s: by member bucket receipts %v, read %v; want %v, %v",
				pass, got.ByMember.Receipts, got.ByMember.Read, wantRB, wantRead)
		}
		if len(got.Hist.B) != 31 || len(got.Hist.N) != 31 {
			t.Fatalf("pass %s: %d bucket indexes and %d counts, want 31 each", pass, len(got.Hist.B), len(got.Hist.N))
		}
		for i, b := range got.Hist.B {
			if got.Hist.N[i] != wantBuckets[b] {
				t.Errorf("pass %s: bucket %d holds %d, want %d", pass, b, got.Hist.N[i], wantBuckets[b])
			}
		}
		if len(got.Pct) != len(wantPct) {
			t.Fatalf("pass %s: %d percentiles, want %d", pass, len(got.Pct), len(wantPct))
		}
		for i := range wantPct {
			wantFloat(t, "pass "+pass+" percentile", &got.Pct[i], &wantPct[i])
		}
	}
}

// The passes plan without nested loops: the planner cannot see that the window's id
// range and its created_at filter select the same rows, multiplies their
// selectivities and may expect one joined row; a nested loop over the member counts
// then ran once per receipt (19 s on the demo's unanalyzed database). The settings
// are the guard, so the test pins them on both functions that join.
func TestPassesPlanWithoutNestedLoops(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	for _, fn := range []string{
		"shape.passes_v1(timestamptz, timestamptz, text[], bigint, bigint)",
		"shape.receipt_delays_v1(timestamptz, timestamptz, float8[], bigint, bigint)",
	} {
		var off bool
		if err := db.QueryRowContext(context.Background(),
			`SELECT 'enable_nestloop=off' = ANY (proconfig) FROM pg_proc WHERE oid = $1::regprocedure`, fn).Scan(&off); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		if !off {
			t.Errorf("%s does not set enable_nestloop = off", fn)
		}
	}
}
