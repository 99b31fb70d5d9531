package migrations_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
)

// The SQL grids equal the Go grids of shape/grid.go element by element.
func TestGridsMatchGo(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	cases := map[string][]float64{
		"grid_username_length":       shape.GridUsernameLength(),
		"grid_account_age_days":      shape.GridAccountAgeDays(),
		"grid_member_count":          shape.GridMemberCount(),
		"grid_activity":              shape.GridActivity(),
		"grid_content_length":        shape.GridContentLength(),
		"grid_inter_arrival_seconds": shape.GridInterArrivalSeconds(),
		"grid_delay_minutes":         shape.GridDelayMinutes(),
		"grid_attachment_size_bytes": shape.GridAttachmentSizeBytes(),
		"grid_joint_member":          shape.JointMemberBuckets,
		"grid_joint_activity":        shape.JointActivityBuckets,
		"grid_small_count":           shape.GridSmallCount(),
		"grid_lifetime_seconds":      shape.GridLifetimeSeconds(),
	}
	for name, want := range cases {
		var raw string
		if err := db.QueryRow(`SELECT array_to_json(shape.` + name + `())::text`).Scan(&raw); err != nil {
			t.Fatalf("shape.%s(): %v", name, err)
		}
		var got []float64
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("shape.%s() has %d edges, Go has %d", name, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("shape.%s()[%d] = %v, Go has %v", name, i, got[i], want[i])
			}
		}
	}
}

// The k-anonymity merge rule of docs/DESIGN.md, case by case.
func TestKHistogram(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	cases := []struct {
		name, edges, counts string
		k                   int
		want                map[string]int64
		merged              int
	}{
		// 1 < 2 merges up into 0.25: 1+1 = 2 closes "0"; 5 closes "0.5".
		{"merge up, fractional keys", "{0,0.25,0.5}", "{1,1,5}", 2, map[string]int64{"0": 2, "0.5": 5}, 1},
		// total 1 < 2: nothing is published, all 3 buckets are gone.
		{"total under k", "{0,1,2}", "{1,0,0}", 2, map[string]int64{}, 3},
		// "0" closes at 5; the trailing group 0+0+1 < 5 merges into the group below.
		{"trailing group merges down", "{0,1,2,3}", "{5,0,0,1}", 5, map[string]int64{"0": 6}, 3},
		// empty buckets count as under k and merge upward.
		// Leading empty buckets are dropped (version 2), so the first key is the data's.
		{"leading zeros dropped", "{0,1,2}", "{0,0,7}", 3, map[string]int64{"2": 7}, 2},
		{"inner zeros merge up", "{1,2,3,4}", "{3,0,0,7}", 3, map[string]int64{"1": 3, "2": 7}, 2},
		{"every bucket at k", "{0,1,2}", "{3,3,3}", 3, map[string]int64{"0": 3, "1": 3, "2": 3}, 0},
		{"large keys without exponent", "{0,10000000000}", "{3,3}", 3, map[string]int64{"0": 3, "10000000000": 3}, 0},
		// 2 < 3 then 2+2 = 4 closes "1"; 9 closes "3"; the trailing 1 joins "3".
		{"walk", "{1,2,3,4}", "{2,2,9,1}", 3, map[string]int64{"1": 4, "3": 10}, 2},
	}
	for _, c := range cases {
		var raw string
		var merged int
		err := db.QueryRow(`SELECT histogram::text, merged_buckets FROM shape.k_histogram($1::float8[], $2::bigint[], $3)`,
			c.edges, c.counts, c.k).Scan(&raw, &merged)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got map[string]int64
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatal(err)
		}
		if !equalHist(got, c.want) || merged != c.merged {
			t.Errorf("%s: k_histogram(%s, %s, %d) = %s merged %d, want %v merged %d",
				c.name, c.edges, c.counts, c.k, raw, merged, c.want, c.merged)
		}
	}
}

func equalHist(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// k = 10 on a small fixture: buckets merged as the rule says, small values null,
// suppressed counts right.
func TestExportKAnonymity(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, `
INSERT INTO public.users (id, username, email, created_at)
SELECT i, CASE WHEN i <= 12 THEN repeat('a', 5) ELSE repeat('b', CASE WHEN i <= 15 THEN 8 ELSE 20 END) END || i,
       'e' || i, timestamptz '2025-10-22 12:00Z' - interval '100 days'
FROM generate_series(1, 24) i;
INSERT INTO public.conversations VALUES (1, 'direct', NULL, '2025-01-01Z');
INSERT INTO public.conversation_members VALUES (1, 1, '2025-01-01Z'), (1, 2, '2025-01-01Z');
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT i, 1, 1, timestamptz '2025-10-20 00:00Z' + make_interval(hours => i - 1), NULL, repeat('a', 10)
FROM generate_series(1, 12) i;
INSERT INTO public.read_receipts
SELECT i, 2, timestamptz '2025-10-20 00:00:30Z' + make_interval(hours => i - 1) FROM generate_series(1, 11) i;`)
	// usernames: 'aaaaa1'…'aaaaa9' are 6 long, 'aaaaa10'…'aaaaa12' 7; 'bbbbbbbb13'…'15'
	// are 10; 'bbb…b16'…'24' are 22. Walk with k = 10: empty 0…5 dropped, 6 holds 9,
	// 7 adds 3 → "6":12;
	// 8…22 holds 3 + 9 → "8":12; 23…32 empty, merged below. 33 − 2 = 31 merged.
	// Ages 100 d (bucket 90): empty 0…60 dropped, "90":24, the rest merged below: 17 − 1 = 16.
	raw, doc := export(t, db, 7, 10, fixtureAsOf)
	f := fields(t, raw)
	if doc.Users.TotalCount != 24 {
		t.Errorf("users.total_count = %d, want 24", doc.Users.TotalCount)
	}
	wantHist(t, f, "users", "username_length_histogram", map[string]int64{"6": 12, "8": 12})
	wantHist(t, f, "users", "account_age_days_histogram", map[string]int64{"90": 24})
	wantSuppressed(t, "users", doc.Users.Suppressed, 31+16, 0)

	// conversations: 1 conversation → every histogram {} (all buckets gone), type mix
	// (3), percentiles (5), heavy shares (3) and the 48 joint cells null.
	c := doc.Conversations
	if c.TotalCount != 1 || c.ActiveCount != 1 {
		t.Errorf("conversations total/active = %d/%d, want 1/1", c.TotalCount, c.ActiveCount)
	}
	wantHist(t, f, "conversations", "member_count_histogram", map[string]int64{})
	wantHist(t, f, "conversations", "activity_histogram", map[string]int64{})
	wantFloat(t, "one_to_one", c.TypeDistribution.OneToOne, nil)
	wantFloat(t, "activity p50", c.ActivityPercentiles.P50, nil)
	wantFloat(t, "top_1pct", c.HeavyRoomShare.Top1Pct, nil)
	wantSuppressed(t, "conversations", c.Suppressed,
		len(shape.GridMemberCount())+len(shape.GridActivity()), 3+5+3+48)

	// messages: 12, one per hour Mon 00…11, 10 characters, no media. Mean 10 (12 ≥ 10);
	// median needs 12·0.5 ≥ 10 → null; media ratio 0/12. Every hour and 7×24 cell holds
	// ≤ 1 → 24 + 168 nulls; no weekend message → ratio null. 11 gaps of 3600 s → mean
	// 3600, burst 0 (11 ≥ 10). Content "10":12 and gaps "3163":11 keep one bucket each
	// (the empty buckets below them dropped).
	m := doc.Messages
	wantFloat(t, "content_length_mean", m.ContentLengthMean, f64(10))
	wantFloat(t, "content_length_median", m.ContentLengthMedian, nil)
	wantFloat(t, "media_ratio", m.MediaRatio, f64(0))
	wantFloat(t, "weekday_weekend_ratio", m.WeekdayWeekendRatio, nil)
	wantFloat(t, "inter_arrival_mean_seconds", m.InterArrivalMeanSeconds, f64(3600))
	wantFloat(t, "burst_coefficient", m.BurstCoefficient, f64(0))
	wantHist(t, f, "messages", "content_length_histogram", map[string]int64{"10": 12})
	wantHist(t, f, "messages", "inter_arrival_histogram_seconds", map[string]int64{"3163": 11})
	for h, v := range m.HourlyDistribution {
		if v != nil {
			t.Errorf("hourly_distribution[%d] = %d, want null", h, *v)
		}
	}
	wantSuppressed(t, "messages", m.Suppressed,
		len(shape.GridContentLength())-1+len(shape.GridInterArrivalSeconds())-1, 1+24+168+1)

	// receipts: 11, 30 s each. read_rate 11/12; per read message 11/11 (11 ≥ 10);
	// immediate 1; percentiles need n·0.5 = 5.5 ≥ 10 → 5 nulls. "0.5":11, 30 merged.
	r := doc.ReadReceipts
	wantFloat(t, "read_rate", r.ReadRate, f64(11.0/12))
	wantFloat(t, "receipts_per_read_message", r.ReceiptsPerReadMessage, f64(1))
	wantFloat(t, "immediate_percentage", r.ImmediatePercentage, f64(1))
	wantFloat(t, "delay p50", r.DelayPercentilesSeconds.P50, nil)
	wantHist(t, f, "read_receipts", "delay_histogram_minutes", map[string]int64{"0.5": 11})
	// by member bucket: the one conversation has 2 members, so "2" holds 12 window
	// messages and 11 read ones (both ≥ 10): 11/12 and 1; the other 7 buckets have no
	// message, 2 nulls each.
	wantFloat(t, "by_member_count.2.read_rate", r.ByMemberCount["2"].ReadRate, f64(11.0/12))
	wantFloat(t, "by_member_count.2.receipts_per_read_message", r.ByMemberCount["2"].ReceiptsPerReadMessage, f64(1))
	wantFloat(t, "by_member_count.3.read_rate", r.ByMemberCount["3"].ReadRate, nil)
	wantSuppressed(t, "read_receipts", r.Suppressed, len(shape.GridDelayMinutes())-1, 5+14)

	// attachments: none → 5 type shares, median and per-media null.
	a := doc.Attachments
	wantFloat(t, "type_distribution.image", a.TypeDistribution["image"], nil)
	wantSuppressed(t, "attachments", a.Suppressed, len(shape.GridAttachmentSizeBytes()), 7)
}

// Rows just outside the window on both sides are excluded, and receipts read at or
// after as_of.
func TestExportWindowBounds(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	// as_of 2025-10-22 12:00, window 1 day → [2025-10-21 12:00, 2025-10-22 12:00).
	exec(t, db, `
INSERT INTO public.users VALUES
 (1, 'aa', 'e1', '2025-10-22 11:59:59.999999Z'),   -- in
 (2, 'bb', 'e2', '2025-10-22 12:00:00Z');          -- at as_of: out
INSERT INTO public.conversations VALUES
 (1, 'direct', NULL, '2025-10-22 11:59:59.999999Z'),
 (2, 'direct', NULL, '2025-10-22 12:00:00Z');
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content) VALUES
 (1, 1, 1, '2025-10-21 11:59:59.999999Z', NULL, 'a'),    -- before the window
 (2, 1, 1, '2025-10-21 12:00:00Z',        'image', 'a'), -- first instant: in
 (3, 1, 1, '2025-10-22 11:59:59.999999Z', NULL, 'a'),    -- last instant: in
 (4, 1, 1, '2025-10-22 12:00:00Z',        NULL, 'a');    -- at as_of: out
INSERT INTO public.read_receipts VALUES
 (2, 1, '2025-10-22 11:59:59.999999Z'),  -- in
 (2, 2, '2025-10-22 12:00:00Z'),         -- read at as_of: out
 (1, 1, '2025-10-21 12:00:00Z');         -- message before the window: out
INSERT INTO public.attachments VALUES
 (1, 2, 'image', 10),    -- in
 (2, 1, 'image', 10),    -- message before the window: out
 (3, 4, 'image', 10);    -- message at as_of: out`)
	_, doc := export(t, db, 1, 2, fixtureAsOf)
	got := []int64{doc.Users.TotalCount, doc.Conversations.TotalCount, doc.Messages.TotalCount,
		doc.ReadReceipts.TotalCount, doc.Attachments.TotalCount, doc.Conversations.ActiveCount}
	want := []int64{1, 1, 2, 1, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("users, conversations, messages, receipts, attachments, active = %v, want %v", got, want)
		}
	}
	// read_rate = 1 read message / 2 window messages; one gap of 86400 − 1e-6 s.
	wantFloat(t, "read_rate", doc.ReadReceipts.ReadRate, f64(0.5))
	wantFloat(t, "media_ratio", doc.Messages.MediaRatio, f64(0.5))
}

// The document has exactly the nine top-level keys, decodes with shape.Parse, and
// carries the fields the guide's Step 3 summary reads.
func TestExportKeysAndGuideFields(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	var raw []byte
	if err := db.QueryRow(`SELECT shape.export(30, 10)::text`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if _, err := shape.Parse(raw); err != nil {
		t.Fatalf("shape.Parse: %v", err)
	}
	top := mustTop(t, raw)
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "attachments conversations extracted_at messages privacy_level read_receipts sample_window_days shape_version users"
	if strings.Join(keys, " ") != want {
		t.Errorf("top-level keys = %v, want %s", keys, want)
	}
	if string(top["privacy_level"]) != `"ANONYMIZED_SHAPE_ONLY"` || string(top["shape_version"]) != `"2"` {
		t.Errorf("privacy_level %s shape_version %s", top["privacy_level"], top["shape_version"])
	}
	f := fields(t, raw)
	for _, p := range [][2]string{{"users", "total_count"}, {"conversations", "total_count"},
		{"messages", "total_count"}, {"messages", "media_ratio"}, {"read_receipts", "read_rate"}} {
		if _, ok := f[p[0]][p[1]]; !ok {
			t.Errorf(".%s.%s is missing", p[0], p[1])
		}
	}
	var at string
	_ = json.Unmarshal(top["extracted_at"], &at)
	if _, err := time.Parse("2006-01-02T15:04:05Z", at); err != nil {
		t.Errorf("extracted_at %q is not in the 2025-10-22T14:30:22Z form", at)
	}
}

// Bad arguments raise 22023 naming the argument.
func TestExportBadArguments(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	cases := []struct{ query, name string }{
		{`SELECT shape.export(0, 10)`, "window_days"},
		{`SELECT shape.export(-3, 10, now())`, "window_days"},
		{`SELECT shape.export(30, 1)`, "k"},
		{`SELECT shape.users_v1(30, 0, now())`, "k"},
		{`SELECT shape.messages_v1(0, 10, now())`, "window_days"},
	}
	for _, c := range cases {
		_, err := db.Exec(c.query)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22023" || !strings.Contains(pe.Message, c.name+" ") {
			t.Errorf("%s: error %v, want SQLSTATE 22023 naming %s", c.query, err, c.name)
		}
	}
}

// The export runs inside a READ ONLY transaction (no temp tables, no writes).
func TestExportReadOnly(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, fixtureSQL)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT (shape.export(7, 2, $1) -> 'messages' ->> 'total_count')::bigint`,
		fixtureAsOf).Scan(&n); err != nil {
		t.Fatalf("export in a READ ONLY transaction: %v", err)
	}
	if n != 10 {
		t.Errorf("messages.total_count = %d, want 10", n)
	}
}

// Heavy-room shares and activity percentiles on 40 active conversations, conversation
// i holding i window messages (820 in all), k = 2.
func TestExportHeavyRoomsAndPercentiles(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, `
INSERT INTO public.conversations SELECT i, 'group', NULL, '2025-01-01Z' FROM generate_series(1, 40) i;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT row_number() OVER (), i, 1, timestamptz '2025-10-21 12:00Z' + make_interval(secs => j), NULL, 'a'
FROM generate_series(1, 40) i, generate_series(1, i) j;`)
	_, doc := export(t, db, 7, 2, fixtureAsOf)
	c := doc.Conversations
	// ceil(0.01·40) = ceil(0.02·40) = 1 < 2 → null; ceil(0.05·40) = 2 → the busiest two,
	// 40 + 39 = 79 of 820 messages.
	wantFloat(t, "top_1pct", c.HeavyRoomShare.Top1Pct, nil)
	wantFloat(t, "top_2pct", c.HeavyRoomShare.Top2Pct, nil)
	wantFloat(t, "top_5pct", c.HeavyRoomShare.Top5Pct, f64(79.0/820))
	// percentile_cont over 1…40: rank h = p·39, value 1 + h. p99 needs 40·0.01 ≥ 2 → null.
	wantFloat(t, "p50", c.ActivityPercentiles.P50, f64(20.5))
	wantFloat(t, "p75", c.ActivityPercentiles.P75, f64(30.25))
	wantFloat(t, "p90", c.ActivityPercentiles.P90, f64(36.1))
	wantFloat(t, "p95", c.ActivityPercentiles.P95, f64(38.05))
	wantFloat(t, "p99", c.ActivityPercentiles.P99, nil)
	if c.ActiveCount != 40 || doc.Messages.TotalCount != 820 {
		t.Errorf("active %d messages %d, want 40 and 820", c.ActiveCount, doc.Messages.TotalCount)
	}
}
