package watch

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/shape"
)

func decodeAll(t testing.TB, msgs [][]byte, lim Limits) *Decoder {
	t.Helper()
	d := NewDecoder(NewAggregator(lim), ReferenceAllowlist)
	for i, m := range msgs {
		if err := d.Feed(m); err != nil {
			t.Fatalf("message %d (%c): %v", i, m[0], err)
		}
	}
	return d
}

func TestCaptureHasNoText(t *testing.T) {
	t.Parallel()
	msgs := readCapture(t, capturePath)
	var kinds = map[byte]int{}
	for _, m := range msgs {
		kinds[m[0]]++
		if bytes.Contains(m, []byte(sentinel[:12])) {
			t.Fatalf("a captured %c message carries the sentinel", m[0])
		}
		for _, w := range [][]byte{[]byte("content"), []byte("title"), []byte("media_kind"), []byte("@example")} {
			if bytes.Contains(m, w) {
				t.Fatalf("a captured %c message carries %q", m[0], w)
			}
		}
	}
	// 3 plain transactions, 1 streamed commit, 1 streamed abort and 1 subtransaction
	// abort; no update, delete or logical decoding message.
	if kinds['B'] != 3 || kinds['C'] != 3 || kinds['c'] != 1 || kinds['A'] != 2 || kinds['U'] != 0 || kinds['D'] != 0 || kinds['M'] != 0 {
		t.Fatalf("message kinds %v", kinds)
	}
}

func TestAggregatorReference(t *testing.T) {
	t.Parallel()
	d := decodeAll(t, readCapture(t, capturePath), Limits{})
	a := d.agg

	c := d.Counts()
	if c.Transactions != 4 || c.StreamedTransactions != 1 || c.AbortedTransactions != 1 || c.AbortedSubtransactions != 1 {
		t.Fatalf("transactions %+v", c)
	}
	// 35 (conversations + members) + 6 + 4 + 3000: the 2000 rolled-back rows of the
	// savepoint and the 3000 of the aborted transaction are gone.
	wantRows := map[string]int64{"users": 0, "conversations": 3, "conversation_members": 32, "messages": 3006,
		"read_receipts": 4, "attachments": 0}
	for k, v := range wantRows {
		if c.Rows[k] != v {
			t.Errorf("rows[%s] = %d, want %d", k, c.Rows[k], v)
		}
	}
	if a.messages != 3006 {
		t.Fatalf("messages = %d, want 3006", a.messages)
	}
	// created_at profile: Mon 09h 3, Tue 14h 2, Tue 15h 1, Wed 00h 3000
	want := map[[2]int]int64{{0, 9}: 3, {1, 14}: 2, {1, 15}: 1, {2, 0}: 3000}
	for wd := 0; wd < 7; wd++ {
		for h := 0; h < 24; h++ {
			if got := a.createdProfile[wd][h]; got != want[[2]int{wd, h}] {
				t.Errorf("created profile [%d][%d] = %d, want %d", wd, h, got, want[[2]int{wd, h}])
			}
		}
	}
	// per-conversation gaps: 30, 120 (conv 1); 0, 3600 (conv 2); 2999 × 1 s (conv 3)
	if a.convGapMoments.N != 3003 {
		t.Fatalf("gaps = %d, want 3003", a.convGapMoments.N)
	}
	g := shape.GridInterArrivalSeconds()
	wantGap := map[int]int64{shape.BucketIndex(g, 0): 1, shape.BucketIndex(g, 1): 2999, shape.BucketIndex(g, 30): 1,
		shape.BucketIndex(g, 120): 1, shape.BucketIndex(g, 3600): 1}
	for i, n := range a.convGap.counts {
		if n != wantGap[i] {
			t.Errorf("gap bucket %g = %d, want %d", g[i], n, wantGap[i])
		}
	}
	mean := (30 + 120 + 0 + 3600 + 2999.0) / 3003
	sumsq := 30*30 + 120*120 + 3600*3600 + 2999.0
	cv := math.Sqrt(sumsq/3003-mean*mean) / mean
	if got, _ := a.convGapMoments.cv(); math.Abs(got-cv) > 1e-9 {
		t.Errorf("burst coefficient %g, want %g", got, cv)
	}
	// rows per transaction: 35, 6, 4, 3000
	rg := gridRowsPerTxn()
	for _, n := range []float64{35, 6, 4, 3000} {
		if a.rowsPerTxn.counts[shape.BucketIndex(rg, n)] != 1 {
			t.Errorf("rows-per-transaction bucket of %g is %d, want 1", n, a.rowsPerTxn.counts[shape.BucketIndex(rg, n)])
		}
	}
	// receipts: 4, of which message 999's is unmatched; 2 messages read; delays 10 s,
	// 30 s, 7200 s
	if a.receipts != 4 || a.matchedReceipts != 3 || a.unmatchedReceipts != 1 || a.readMessages != 2 {
		t.Fatalf("receipts %d matched %d unmatched %d read messages %d", a.receipts, a.matchedReceipts, a.unmatchedReceipts, a.readMessages)
	}
	dg := shape.GridDelayMinutes()
	wantDelay := map[int]int64{shape.BucketIndex(dg, 10.0/60): 1, shape.BucketIndex(dg, 0.5): 1, shape.BucketIndex(dg, 120): 1}
	for i, n := range a.delay.counts {
		if n != wantDelay[i] {
			t.Errorf("delay bucket %g min = %d, want %d", dg[i], n, wantDelay[i])
		}
	}
	// conversations born during the watch: 2, 5 and 25 members; activity 3, 3, 3000
	for id, w := range map[int64]conv{1: {msgs: 3, members: 2}, 2: {msgs: 3, members: 5}, 3: {msgs: 3000, members: 25}} {
		got := a.convs[id]
		if got.msgs != w.msgs || got.members != w.members || !got.created {
			t.Errorf("conversation %d: %+v, want %d messages, %d members", id, got, w.msgs, w.members)
		}
	}
	if len(a.convs) != 3 {
		t.Errorf("%d conversations tracked, want 3", len(a.convs))
	}

	doc := a.ShapeDocument(1, 30, time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC))
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	td := doc.Conversations.TypeDistribution
	if *td.OneToOne != 1.0/3 || *td.SmallGroup != 1.0/3 || *td.LargeGroup != 1.0/3 {
		t.Errorf("type mix %v %v %v, want thirds", *td.OneToOne, *td.SmallGroup, *td.LargeGroup)
	}
	// activity 3, 3, 3000: p50 = 3; p95 needs n·0.05 ≥ k rows above it, so it is null
	if p := doc.Conversations.ActivityPercentiles; p.P50 == nil || *p.P50 != 3 || p.P95 != nil {
		t.Errorf("activity percentiles %+v", p)
	}
	if v := percentileCont([]float64{3, 3, 3000}, 0.95); math.Abs(v-(3+0.9*2997)) > 1e-9 {
		t.Errorf("percentile_cont 0.95 = %g", v)
	}
	if v := *doc.Conversations.HeavyRoomShare.Top1Pct; math.Abs(v-3000.0/3006) > 1e-12 {
		t.Errorf("top 1%% share %g, want %g", v, 3000.0/3006)
	}
	// read rate: 2 of the 3006 messages
	if v := *doc.ReadReceipts.ReadRate; math.Abs(v-2.0/3006) > 1e-12 {
		t.Errorf("read rate %g", v)
	}
	if v := *doc.ReadReceipts.ReceiptsPerReadMessage; v != 1.5 {
		t.Errorf("receipts per read message %g, want 1.5", v)
	}
	// delay p50 over {10, 30, 7200} is 30 s, within the sketch's ±1%
	if v := *doc.ReadReceipts.DelayPercentilesSeconds.P50; math.Abs(v-30)/30 > 0.01 {
		t.Errorf("delay p50 %g, want 30 ± 1%%", v)
	}
	// weekday/weekend: created_at spans Mon 5 – Wed 7 January, three weekdays and no
	// weekend day, so the ratio is not defined
	if doc.Messages.WeekdayWeekendRatio != nil {
		t.Errorf("weekday/weekend ratio %v, want null", *doc.Messages.WeekdayWeekendRatio)
	}
	var out bytes.Buffer
	if err := doc.Write(&out); err != nil {
		t.Fatal(err)
	}
	if _, err := shape.Parse(out.Bytes()); err != nil {
		t.Fatalf("the snapshot does not parse as a shape document: %v", err)
	}

	// k = 10 suppresses the hours under 10 and the percentiles with fewer than 10
	// rows on a side.
	k10 := a.ShapeDocument(10, 30, time.Now())
	if k10.Messages.HourlyDistribution[9] != nil || *k10.Messages.HourlyDistribution[0] != 3000 {
		t.Errorf("k = 10 hourly: %v", k10.Messages.HourlyDistribution)
	}
	if k10.Conversations.ActivityPercentiles.P50 != nil || k10.ReadReceipts.DelayPercentilesSeconds.P50 != nil {
		t.Error("k = 10 left a percentile over 3 rows")
	}
}

func TestAbortDiscardsExactly(t *testing.T) {
	t.Parallel()
	msgs := readCapture(t, capturePath)
	full := decodeAll(t, msgs, Limits{})
	// drop the aborted streamed transaction's segments entirely: the counters must be
	// the same as when its rows were buffered and discarded
	var kept [][]byte
	var aborted []byte
	for _, m := range msgs {
		if m[0] == 'A' && bytes.Equal(m[1:5], m[5:9]) {
			aborted = m[1:5]
		}
	}
	skip := false
	for _, m := range msgs {
		if m[0] == 'S' && bytes.Equal(m[1:5], aborted) {
			skip = true
		}
		if !skip && !(m[0] == 'A' && bytes.Equal(m[1:5], aborted)) {
			kept = append(kept, m)
		}
		if m[0] == 'E' {
			skip = false
		}
	}
	if len(kept) == len(msgs) {
		t.Fatal("no aborted transaction found in the capture")
	}
	without := decodeAll(t, kept, Limits{})
	a, b := full.agg, without.agg
	if a.messages != b.messages || a.createdProfile != b.createdProfile || a.convGapMoments != b.convGapMoments ||
		a.rows != b.rows || len(a.convs) != len(b.convs) {
		t.Fatal("the aborted transaction left counts behind")
	}
}

func TestRelationOutsideAllowlistAborts(t *testing.T) {
	t.Parallel()
	msgs := readCapture(t, capturePath)
	allow := Allowlist{}
	for k, v := range ReferenceAllowlist {
		allow[k] = v
	}
	allow["messages"] = []string{"id", "conversation_id"} // created_at no longer allowed
	d := NewDecoder(NewAggregator(Limits{}), allow)
	var err error
	for _, m := range msgs {
		if err = d.Feed(m); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrPrivacy) || !strings.Contains(err.Error(), "messages.created_at") {
		t.Fatalf("error %v, want a privacy refusal naming messages.created_at", err)
	}
	if err := d.Feed([]byte{'U', 0, 0, 0, 1}); !errors.Is(err, ErrPrivacy) {
		t.Fatalf("an update: %v, want a privacy refusal", err)
	}
}

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2026-01-05 09:00:00+00", "2026-01-05 09:00:00.5+00", "2026-01-05 14:30:00.123456+05:30",
		"1999-12-31 23:59:59-08", "2026-01-05 09:00:00", "1969-07-20 20:17:40+00"} {
		got, ok := parseTimestamp([]byte(s))
		layout := "2006-01-02 15:04:05.999999-07:00"
		want, err := time.Parse(layout, padZone(s))
		if err != nil {
			t.Fatal(err)
		}
		if !ok || got != want.UnixMicro() {
			t.Errorf("%s: %d %v, want %d", s, got, ok, want.UnixMicro())
		}
	}
	for _, s := range []string{"", "infinity", "2026-13-05 09:00:00+00", "2026-01-05 09:00:00 UTC"} {
		if _, ok := parseTimestamp([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}

func padZone(s string) string {
	if len(s) == 19 {
		return s + "+00:00"
	}
	i := strings.LastIndexAny(s, "+-")
	if len(s)-i == 3 {
		return s + ":00"
	}
	return s
}

func TestWeekdayHour(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), time.Date(2026, 1, 11, 23, 59, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 1, 0, 0, 0, time.UTC)} {
		wd, h := weekdayHour(tm.UnixMicro())
		if want := (int(tm.Weekday()) + 6) % 7; wd != want || h != tm.Hour() {
			t.Errorf("%v: %d %d, want %d %d", tm, wd, h, want, tm.Hour())
		}
	}
}
