package migrations_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
)

// The hand-built fixture. as_of = Wed 2025-10-22 12:00 UTC, window 7 days, so the
// window is [Wed 2025-10-15 12:00, Wed 2025-10-22 12:00): weekday days 0.5 (Wed 15) +
// Thu + Fri + Mon + Tue + 0.5 (Wed 22) = 5, weekend days Sat + Sun = 2.
var fixtureAsOf = time.Date(2025, 10, 22, 12, 0, 0, 0, time.UTC)

const fixtureSQL = `
INSERT INTO public.users (id, username, email, created_at) VALUES
 (1, 'aaaa',       'e1', '2025-10-22 00:00:00Z'),              -- len 4, age 0.5 d → 0
 (2, 'bbbb',       'e2', '2025-10-21 00:00:00Z'),              -- len 4, age 1.5 d → 1
 (3, 'cccccc',     'e3', '2025-10-12 12:00:00Z'),              -- len 6, age 10 d → bucket 7
 (4, 'dddddd',     'e4', '2025-10-12 07:12:00Z'),              -- len 6, age 10.2 d → bucket 7
 (5, 'eeeeeeeeee', 'e5', timestamptz '2025-10-22 12:00Z' - interval '400 days'),   -- len 10, bucket 365
 (6, repeat('f', 40), 'e6', timestamptz '2025-10-22 12:00Z' - interval '5000 days'), -- len 40 → bucket 32, age bucket 3650
 (7, 'gggg',       'e7', '2025-10-22 13:00:00Z');              -- created after as_of: excluded
INSERT INTO public.conversations (id, kind, title, created_at) VALUES
 (1, 'direct', NULL, '2025-01-01Z'), (2, 'direct', NULL, '2025-01-01Z'), (3, 'group', NULL, '2025-01-01Z'),
 (4, 'group', NULL, '2025-01-01Z'), (5, 'channel', NULL, '2025-01-01Z'),
 (6, 'direct', NULL, '2025-10-23Z');                           -- created after as_of: excluded
INSERT INTO public.conversation_members (conversation_id, user_id, joined_at)
SELECT c, u, timestamptz '2025-01-01Z' FROM (VALUES (1, 1), (1, 2), (2, 3), (2, 4), (3, 1), (3, 2), (3, 3), (6, 1), (6, 2)) v(c, u)
UNION ALL SELECT 5, u, timestamptz '2025-01-01Z' FROM generate_series(101, 125) u;  -- c5: 25 members; c4: none
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content) VALUES
 (1,  1, 1,   '2025-10-20 09:00:00Z', NULL,       'aaaaa'),          -- Mon 09, len 5
 (2,  1, 2,   '2025-10-20 09:00:30Z', NULL,       'aa'),             -- Mon 09, len 2, gap 30
 (3,  1, 1,   '2025-10-20 10:00:30Z', 'image',    NULL),             -- Mon 10, gap 3600
 (4,  2, 3,   '2025-10-18 09:00:00Z', NULL,       repeat('a', 12)),  -- Sat 09, len 12
 (5,  2, 4,   '2025-10-18 09:02:00Z', 'video',    'aaaaa'),          -- Sat 09, len 5, gap 120
 (6,  3, 1,   '2025-10-21 23:59:59Z', NULL,       'a'),              -- Tue 23, len 1
 (7,  5, 101, '2025-10-16 09:00:00Z', NULL,       repeat('a', 150)), -- Thu 09, len 150
 (8,  5, 102, '2025-10-16 09:00:10Z', 'document', NULL),             -- Thu 09, gap 10
 (9,  5, 103, '2025-10-19 09:00:00Z', NULL,       ''),               -- Sun 09, len 0, gap 259190
 (10, 1, 1,   '2025-10-15 11:59:59Z', NULL,       'aaa'),            -- 1 s before the window
 (11, 2, 3,   '2025-10-22 12:00:00Z', NULL,       'aaa'),            -- at as_of: excluded
 (12, 4, 1,   '2025-10-15 12:00:00Z', NULL,       repeat('a', 20));  -- Wed 12 at the window start, len 20
INSERT INTO public.read_receipts (message_id, reader_id, read_at) VALUES
 (1, 2, '2025-10-20 09:00:10Z'),   -- delay 10 s
 (1, 3, '2025-10-20 09:01:30Z'),   -- 90 s
 (2, 2, '2025-10-20 09:01:00Z'),   -- 30 s
 (4, 1, '2025-10-18 11:00:00Z'),   -- 7200 s
 (7, 1, '2025-10-16 09:00:45Z'),   -- 45 s
 (7, 2, '2025-10-18 09:00:00Z'),   -- 172800 s
 (9, 1, '2025-10-22 12:00:01Z'),   -- read after as_of: excluded
 (10, 2, '2025-10-15 12:00:59Z'),  -- message outside the window: excluded
 (12, 1, '2025-10-22 11:59:59Z');  -- 604799 s
INSERT INTO public.attachments (id, message_id, type, size_bytes) VALUES
 (1, 3, 'image', 1000), (2, 3, 'image', 5000), (3, 5, 'video', 2000000), (4, 8, 'document', 300),
 (5, 1, 'audio', 0),
 (6, 10, 'image', 100);            -- message outside the window: excluded
`

// Every metric family of the hand-built fixture, k = 2, against hand arithmetic.
func TestExportHandFixture(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, fixtureSQL)
	raw, doc := export(t, db, 7, 2, fixtureAsOf)
	f := fields(t, raw)

	if !doc.ExtractedAt.Equal(fixtureAsOf) || doc.SampleWindowDays != 7 || doc.ShapeVersion != "2" {
		t.Errorf("header = %v %d %q", doc.ExtractedAt, doc.SampleWindowDays, doc.ShapeVersion)
	}
	var extracted string
	_ = json.Unmarshal(mustTop(t, raw)["extracted_at"], &extracted)
	if extracted != "2025-10-22T12:00:00Z" {
		t.Errorf("extracted_at = %q, want 2025-10-22T12:00:00Z", extracted)
	}

	// users: 6 created before as_of (user 7 is after).
	// username lengths 4,4,6,6,10,40 on grid 0…32 (33 buckets); k = 2 walks up:
	// empty 0…3 are dropped (version 2: the first key is the data's own lower bound);
	// 4 reaches 2 → "4":2; 5…6 → "5":2; 7…32 holds 10 and 40(→32) → "7":2. 30 merged.
	// ages 0,1,10,10,400,5000 d on the 17-bucket grid: 0+1 → "0":2; 2,3,7 → "2":2;
	// 14…3650 holds 400 (365) and 5000 (3650) → "14":2. 14 merged.
	u := doc.Users
	if u.TotalCount != 6 {
		t.Errorf("users.total_count = %d, want 6", u.TotalCount)
	}
	wantHist(t, f, "users", "username_length_histogram", map[string]int64{"4": 2, "5": 2, "7": 2})
	wantHist(t, f, "users", "account_age_days_histogram", map[string]int64{"0": 2, "2": 2, "14": 2})
	wantSuppressed(t, "users", u.Suppressed, 30+14, 0)

	// conversations: c1..c5 (c6 after as_of). Members 2,2,3,0,25 on the 38-bucket
	// member grid: 0,1,2 → 1+0+2 = 3 → "0":3; 3…25 → 1+1 = 2 → "3":2; 30…10000 empty,
	// merged below. 36 merged. Type mix over the 4 with ≥ 2 members: 2/4, 1/4, 1/4.
	// Window activity: c1 3, c2 2, c3 1, c4 1, c5 3 → active 5, sorted 1,1,2,3,3.
	// p50 = value at rank 0.5·4 = 2 → 2, published (5·0.5 = 2.5 ≥ 2); p75…p99 have
	// 5·0.25 = 1.25 < 2 → 4 nulls. Activity grid LogGrid(1,1e6): "1":2, then 2,3 →
	// "2":3. Heavy rooms: ceil(0.05·5) = 1 < 2 → 3 nulls. Joint: (2 members, 1–9 msgs)
	// holds c1, c2 → 2; the other 47 cells are < 2 → null.
	c := doc.Conversations
	if c.TotalCount != 5 || c.ActiveCount != 5 {
		t.Errorf("conversations total/active = %d/%d, want 5/5", c.TotalCount, c.ActiveCount)
	}
	wantHist(t, f, "conversations", "member_count_histogram", map[string]int64{"0": 3, "3": 2})
	wantFloat(t, "one_to_one", c.TypeDistribution.OneToOne, f64(0.5))
	wantFloat(t, "small_group", c.TypeDistribution.SmallGroup, f64(0.25))
	wantFloat(t, "large_group", c.TypeDistribution.LargeGroup, f64(0.25))
	wantFloat(t, "activity p50", c.ActivityPercentiles.P50, f64(2))
	wantFloat(t, "activity p75", c.ActivityPercentiles.P75, nil)
	wantFloat(t, "activity p99", c.ActivityPercentiles.P99, nil)
	wantHist(t, f, "conversations", "activity_histogram", map[string]int64{"1": 2, "2": 3})
	wantFloat(t, "top_5pct", c.HeavyRoomShare.Top5Pct, nil)
	for mb, row := range c.SizeActivityHistogram {
		for ab, v := range row {
			if mb == "2" && ab == "1" {
				if v == nil || *v != 2 {
					t.Errorf("size_activity_histogram[2][1] = %v, want 2", v)
				}
			} else if v != nil {
				t.Errorf("size_activity_histogram[%s][%s] = %d, want null", mb, ab, *v)
			}
		}
	}
	if len(c.SizeActivityHistogram) != 8 || len(c.SizeActivityHistogram["0"]) != 6 {
		t.Errorf("size_activity_histogram has %d rows, want 8×6", len(c.SizeActivityHistogram))
	}
	wantSuppressed(t, "conversations", c.Suppressed, 36+(len(shape.GridActivity())-2), 4+3+47)

	// messages: 1…9 and 12 (10 is 1 s before the window, 11 at as_of) → 10.
	// Media: 3, 5, 8 → 0.3. Content (non-NULL): 5,2,12,5,1,150,0,20 → sum 195 / 8 =
	// 24.375; sorted 0,1,2,5,5,12,20,150, median at rank 3.5 → 5.
	// Content grid 0,1,2,3,4,6,…: 0+1 → "0":2; 2,3,4(5,5) → "2":3; 6…20(12,20) →
	// "6":3 with 150 (bucket 126) merged from above.
	// Hours: 09 holds 1,2,4,5,7,8,9 → 7; 10, 12, 23 hold one each → null (23 nulls).
	// 7×24: Mon 09 = 2, Thu 09 = 2, Sat 09 = 2, 165 null cells.
	// Weekday 7 (Mon 3, Tue 1, Wed 1, Thu 2), weekend 3 (Sat 2, Sun 1):
	// (7/5)/(3/2) = 1.4/1.5.
	// Gaps (window messages only, so 10 adds none): 30, 3600, 120, 10, 259190 → mean
	// 262950/5 = 52590. Gap grid: empty 0…8 dropped, 10, 30(→26) → "10":2; 120(→100), 3600(→3163) → "32":2,
	// plus 259190 (→251189) merged from above → "32":3.
	m := doc.Messages
	if m.TotalCount != 10 {
		t.Errorf("messages.total_count = %d, want 10", m.TotalCount)
	}
	wantHist(t, f, "messages", "content_length_histogram", map[string]int64{"0": 2, "2": 3, "6": 3})
	wantFloat(t, "content_length_mean", m.ContentLengthMean, f64(24.375))
	wantFloat(t, "content_length_median", m.ContentLengthMedian, f64(5))
	wantFloat(t, "media_ratio", m.MediaRatio, f64(0.3))
	for h, v := range m.HourlyDistribution {
		if h == 9 {
			if v == nil || *v != 7 {
				t.Errorf("hourly_distribution[9] = %v, want 7", v)
			}
		} else if v != nil {
			t.Errorf("hourly_distribution[%d] = %d, want null", h, *v)
		}
	}
	for d, row := range m.WeekdayHourDistribution {
		for h, v := range row {
			if h == 9 && (d == 0 || d == 3 || d == 5) {
				if v == nil || *v != 2 {
					t.Errorf("weekday_hour_distribution[%d][9] = %v, want 2", d, v)
				}
			} else if v != nil {
				t.Errorf("weekday_hour_distribution[%d][%d] = %d, want null", d, h, *v)
			}
		}
	}
	wantFloat(t, "weekday_weekend_ratio", m.WeekdayWeekendRatio, f64((7.0/5)/(3.0/2)))
	wantFloat(t, "inter_arrival_mean_seconds", m.InterArrivalMeanSeconds, f64(52590))
	wantFloat(t, "burst_coefficient", m.BurstCoefficient, f64(popCV(30, 3600, 120, 10, 259190)))
	wantHist(t, f, "messages", "inter_arrival_histogram_seconds", map[string]int64{"10": 2, "32": 3})
	wantSuppressed(t, "messages", m.Suppressed,
		(len(shape.GridContentLength())-3)+(len(shape.GridInterArrivalSeconds())-2), 23+165)

	// read receipts: delays 10, 90 (m1), 30 (m2), 7200 (m4), 45, 172800 (m7), 604799
	// (m12) → 7; m9's is after as_of, m10 is outside the window. Read messages 1,2,4,7,12
	// → read_rate 5/10, receipts per read message 7/5. Immediate 10,30,45 → 3/7;
	// near-term 90 → 1/7; delayed 7200,172800,604799 → 3/7. Sorted delays: p50 at rank
	// 3 → 90; p75…p99 need 7·0.25 = 1.75 ≥ 2 → 4 nulls.
	// Minutes 0.17,0.5 → "0":2; 0.75,1.5 → "0.75":2; 120, 2880, 10079.98 (→7200) →
	// "2":3. 31 − 3 = 28 merged.
	r := doc.ReadReceipts
	if r.TotalCount != 7 {
		t.Errorf("read_receipts.total_count = %d, want 7", r.TotalCount)
	}
	wantFloat(t, "read_rate", r.ReadRate, f64(0.5))
	wantFloat(t, "receipts_per_read_message", r.ReceiptsPerReadMessage, f64(1.4))
	wantFloat(t, "immediate_percentage", r.ImmediatePercentage, f64(3.0/7))
	wantFloat(t, "near_term_percentage", r.NearTermPercentage, f64(1.0/7))
	wantFloat(t, "delayed_percentage", r.DelayedPercentage, f64(3.0/7))
	wantFloat(t, "delay p50", r.DelayPercentilesSeconds.P50, f64(90))
	wantFloat(t, "delay p75", r.DelayPercentilesSeconds.P75, nil)
	wantHist(t, f, "read_receipts", "delay_histogram_minutes", map[string]int64{"0": 2, "0.75": 2, "2": 3})
	// By member bucket of the conversation: c1 and c2 have 2 members ("2"), c3 3, c4
	// none ("0"), c5 25 ("21"). Window messages: "2" 1,2,3,4,5 → 5; "3" 6 → 1; "21"
	// 7,8,9 → 3; "0" 12 → 1. Read: "2" m1 (2 receipts), m2, m4 → 3 messages, 4
	// receipts → rate 3/5, 4/3 per read message; "21" m7 (2) → rate 1/3, per read
	// null (1 read message < k); "0" rate and per read null (1 < k); "3" both null;
	// "6", "11", "51", "101" have no message: both null. Nulls: 2+0+2+2+2+1+2+2 = 13.
	wantReaders := map[string][2]*float64{
		"0": {nil, nil}, "2": {f64(0.6), f64(4.0 / 3)}, "3": {nil, nil}, "6": {nil, nil},
		"11": {nil, nil}, "21": {f64(1.0 / 3), nil}, "51": {nil, nil}, "101": {nil, nil},
	}
	if len(r.ByMemberCount) != len(wantReaders) {
		t.Errorf("by_member_count has %d buckets, want %d", len(r.ByMemberCount), len(wantReaders))
	}
	for b, w := range wantReaders {
		wantFloat(t, "by_member_count."+b+".read_rate", r.ByMemberCount[b].ReadRate, w[0])
		wantFloat(t, "by_member_count."+b+".receipts_per_read_message", r.ByMemberCount[b].ReceiptsPerReadMessage, w[1])
	}
	wantSuppressed(t, "read_receipts", r.Suppressed, 28, 4+13)

	// attachments of window messages: 1000, 5000 (image), 2e6 (video), 300 (document),
	// 0 (audio) → 5 (the one on message 10 is outside). Types 2/5, 1/5, 1/5, 1/5, 0.
	// Sizes sorted 0,300,1000,5000,2e6 → median 1000. Media messages 3,5,8 → 5/3.
	// Size grid: 0, 300(→252) → "0":2; 1000, 5000(→3982) → "317":2, plus 2e6 merged from
	// above → "317":3.
	a := doc.Attachments
	if a.TotalCount != 5 {
		t.Errorf("attachments.total_count = %d, want 5", a.TotalCount)
	}
	for typ, want := range map[string]float64{"image": 0.4, "video": 0.2, "audio": 0.2, "document": 0.2, "other": 0} {
		wantFloat(t, "type_distribution."+typ, a.TypeDistribution[typ], f64(want))
	}
	wantFloat(t, "size_median_bytes", a.SizeMedianBytes, f64(1000))
	wantFloat(t, "per_media_message", a.PerMediaMessage, f64(5.0/3))
	wantHist(t, f, "attachments", "size_histogram_bytes", map[string]int64{"0": 2, "317": 3})
	wantSuppressed(t, "attachments", a.Suppressed, len(shape.GridAttachmentSizeBytes())-2, 0)

	// Each family function returns exactly the export's part, less the version-2
	// families that shape.people_v2 adds to users and conversations.
	for _, fam := range []string{"users", "conversations", "messages", "read_receipts", "attachments"} {
		var same bool
		err := db.QueryRowContext(context.Background(),
			`SELECT shape.`+fam+`_v1(7, 2, $1) = (shape.export(7, 2, $1) -> '`+fam+`') - 'senders' - 'memberships' - 'threads'`, fixtureAsOf).Scan(&same)
		if err != nil || !same {
			t.Errorf("shape.%s_v1 differs from the export's %s (err %v)", fam, fam, err)
		}
	}
}

func mustTop(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	return top
}
