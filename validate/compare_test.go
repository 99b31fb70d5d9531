package validate

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/shape"
)

// baseDoc is a hand-built baseline with round numbers, so every Δ below is computed
// by hand: 48 000 messages, an hourly profile of twelve hours at 1000 and twelve at
// 3000 (peak/trough 3), type mix 68.2 / 27.3 / 4.5 %, media ratio 16.3 %.
func baseDoc() *shape.Document {
	f := shape.Float
	hourly := make([]*int64, 24)
	for h := range hourly {
		v := int64(1000)
		if h >= 8 && h < 20 {
			v = 3000
		}
		hourly[h] = shape.Int(v)
	}
	return &shape.Document{
		ExtractedAt:      time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC),
		SampleWindowDays: 30,
		PrivacyLevel:     shape.PrivacyLevel,
		ShapeVersion:     shape.Version,
		Users:            shape.Users{TotalCount: 2000},
		Conversations: shape.Conversations{
			TotalCount:  1000,
			ActiveCount: 800,
			MemberCountHistogram: shape.FromEdges([]float64{2, 3, 5, 10, 21, 50},
				[]int64{682, 100, 100, 73, 30, 15}),
			TypeDistribution: shape.TypeMix{OneToOne: f(0.682), SmallGroup: f(0.273), LargeGroup: f(0.045)},
			ActivityPercentiles: shape.Percentiles{P50: f(14), P75: f(60), P90: f(200),
				P95: f(523), P99: f(5201)},
			ActivityHistogram: shape.FromEdges([]float64{1, 2, 5, 10, 20, 50, 100, 500},
				[]int64{100, 100, 100, 100, 100, 100, 150, 50}),
			HeavyRoomShare:        shape.HeavyRoomShare{Top1Pct: f(0.2), Top2Pct: f(0.30), Top5Pct: f(0.45)},
			SizeActivityHistogram: jointTable(200, 100),
		},
		Messages: shape.Messages{
			TotalCount: 48000,
			ContentLengthHistogram: shape.FromEdges([]float64{0, 10, 20, 50, 100, 200, 500},
				[]int64{2000, 5000, 8000, 10000, 8000, 5000, 2000}),
			ContentLengthMean:   f(152),
			ContentLengthMedian: f(91),
			MediaRatio:          f(0.163),
			HourlyDistribution:  hourly,
			WeekdayWeekendRatio: f(1.3),
			BurstCoefficient:    f(2.5),
		},
		ReadReceipts: shape.ReadReceipts{
			TotalCount: 40000,
			ReadRate:   f(0.8),
			ByMemberCount: map[string]shape.ReaderCell{
				"2":  {ReadRate: f(0.85), ReceiptsPerReadMessage: f(1)},
				"3":  {ReadRate: f(0.75), ReceiptsPerReadMessage: f(1.6)},
				"21": {ReadRate: f(0.6), ReceiptsPerReadMessage: f(4)},
				"51": {ReadRate: f(0.5), ReceiptsPerReadMessage: nil},
			},
			DelayPercentilesSeconds: shape.Percentiles{P50: f(30), P75: f(300), P90: f(3600),
				P95: f(7200), P99: f(36000)},
		},
		Attachments: shape.Attachments{
			TotalCount: 8000,
			TypeDistribution: map[string]*float64{"image": f(0.6), "video": f(0.1), "audio": f(0.1),
				"document": f(0.15), "other": f(0.05)},
		},
	}
}

// jointTable is a size × activity table of two member-count buckets (2, 3–5) by two
// activity buckets (0, 1–9) with equal margins, d on the diagonal and o off it. Its
// thresholds are both 0, so its polychoric (tetrachoric) correlation solves
// Φ₂(0, 0; ρ) = ¼ + asin(ρ)/(2π) = d/(2(d + o)) (Sheppard 1899): ρ = sin(π(d − o)/(2(d + o))).
// d = 200, o = 100 gives ρ = sin(π/6) = 0.5.
func jointTable(d, o int64) map[string]map[string]*int64 {
	return map[string]map[string]*int64{
		"2": {"0": shape.Int(d), "1": shape.Int(o)},
		"3": {"0": shape.Int(o), "1": shape.Int(d)},
	}
}

// Size × activity: the polychoric correlations of hand-built 2×2 tables, exactly
// ρ = sin(π(d − o)/(2(d + o))), and the absolute Δ against ±0.15; not critical.
func TestCompareSizeActivity(t *testing.T) {
	t.Parallel()
	b := baseDoc() // ρ = 0.5
	for _, c := range []struct {
		d, o   int64
		rho    float64
		status Status
	}{
		{325, 175, math.Sin(0.15 * math.Pi), Pass},   // 0.45399: Δ = −0.046
		{300, 200, math.Sin(0.1 * math.Pi), Warning}, // 0.30902: Δ = −0.191, out of ±0.15
		{150, 150, 0, Warning},                       // independent: Δ = −0.5
		{100, 200, -0.5, Warning},                    // reversed
	} {
		cand := clone(t, b)
		cand.Conversations.SizeActivityHistogram = jointTable(c.d, c.o)
		r := Compare(b, cand, v1)
		ch := r.Check("size_activity.correlation")
		if ch == nil || ch.Baseline == nil || ch.Candidate == nil || ch.Delta == nil {
			t.Fatalf("d=%d o=%d: check %+v, want both values and Δ", c.d, c.o, ch)
		}
		near(t, "baseline ρ", *ch.Baseline, 0.5, 1e-6)
		near(t, "candidate ρ", *ch.Candidate, c.rho, 1e-6)
		near(t, "Δ", *ch.Delta, c.rho-0.5, 1e-6)
		if ch.Status != c.status || ch.Critical {
			t.Errorf("d=%d o=%d: status %s (critical %v), want %s, not critical", c.d, c.o, ch.Status, ch.Critical, c.status)
		}
		if c.status == Warning && !r.GO() {
			t.Errorf("d=%d o=%d: one non-critical warning made the decision %s", c.d, c.o, r.Decision)
		}
	}
	// A baseline without the table skips the check; a candidate without it warns.
	cand := clone(t, b)
	cand.Conversations.SizeActivityHistogram = nil
	if ch := Compare(b, cand, v1).Check("size_activity.correlation"); ch.Status != Warning {
		t.Errorf("candidate without the table: status %s, want warning", ch.Status)
	}
	if ch := Compare(cand, b, v1).Check("size_activity.correlation"); ch.Status != Skipped {
		t.Errorf("baseline without the table: status %s, want skipped", ch.Status)
	}
	// the report prints a difference of correlations, not a percentage, under its tag
	r := Compare(b, b, v1)
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "[Hot path] Size × activity:\n  Polychoric ρ of member count × activity: 0.50 (baseline: 0.50, Δ=+0.00, ✓ within ±0.15)\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, text.String())
	}
	ch := r.Check("size_activity.correlation")
	if got := ch.FormatDelta() + " " + ch.FormatTolerance(); got != "Δ=+0.00 ±0.15" {
		t.Errorf("formatted Δ and tolerance = %q, want %q", got, "Δ=+0.00 ±0.15")
	}
}

// clone deep-copies a document through its JSON form (the same path a file takes).
func clone(t *testing.T, d *shape.Document) *shape.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := shape.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("the test document is not a valid shape document: %v", err)
	}
	return out
}

// notPassing lists the checks that did not pass.
func notPassing(r *Result) map[string]Status {
	m := map[string]Status{}
	for _, c := range r.Checks {
		if c.Status != Pass {
			m[c.ID] = c.Status
		}
	}
	return m
}

func wantOnly(t *testing.T, r *Result, want map[string]Status) {
	t.Helper()
	got := notPassing(r)
	if len(got) != len(want) {
		t.Errorf("checks not passing = %v, want exactly %v", got, want)
	}
	for id, s := range want {
		if got[id] != s {
			t.Errorf("check %s: status %q, want %q (note: %q)", id, got[id], s, r.Check(id).Note)
		}
	}
}

func delta(t *testing.T, r *Result, id string) float64 {
	t.Helper()
	c := r.Check(id)
	if c == nil {
		t.Fatalf("no check %s", id)
	}
	if c.Delta == nil {
		t.Fatalf("check %s has no Δ (note %q)", id, c.Note)
	}
	return *c.Delta
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g (±%g)", what, got, want, tol)
	}
}

func TestCompareIdentical(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	r := Compare(b, clone(t, b), v1)
	if r.Total != 23 {
		t.Errorf("total checks = %d, want 23", r.Total)
	}
	if r.Passed != r.Total || r.Warnings != 0 || r.Failed != 0 || r.Skipped != 0 {
		t.Errorf("passed/warnings/failed/skipped = %d/%d/%d/%d, want all %d passed; not passing: %v",
			r.Passed, r.Warnings, r.Failed, r.Skipped, r.Total, notPassing(r))
	}
	if !r.GO() || r.Reason != "within tolerance" {
		t.Errorf("decision = %s (%s), want GO (within tolerance)", r.Decision, r.Reason)
	}
	for _, c := range r.Checks {
		if c.Delta == nil || *c.Delta != 0 {
			t.Errorf("check %s: Δ = %v, want exactly 0", c.ID, c.Delta)
		}
	}
}

func TestCompareMediaHalved(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Messages.MediaRatio = shape.Float(0.163 / 2)
	r := Compare(b, c, v1)
	wantOnly(t, r, map[string]Status{"media_ratio": Fail})
	near(t, "media Δ", delta(t, r, "media_ratio"), -0.5, 1e-12)
	if r.GO() || r.Reason != "failed: media ratio" {
		t.Errorf("decision = %s (%s), want NO-GO (failed: media ratio)", r.Decision, r.Reason)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"  Media ratio: 8.2% (baseline: 16.3%, Δ=-50%, ✗ outside ±5%)\n",
		"Failed: 1 (media ratio: 8.2% vs 16.3%, Δ=-50%)\n",
		"Decision: NO-GO (failed: media ratio)\n",
	} {
		if !strings.Contains(buf.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, buf.String())
		}
	}
}

// A flat day: TV between {12 hours at 1/48, 12 at 3/48} and 1/24 everywhere is
// ½·24·(1/48) = 0.25; the peak/trough ratio falls from 3 to 1, Δ = −2/3.
func TestCompareFlatDay(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	for h := range c.Messages.HourlyDistribution {
		c.Messages.HourlyDistribution[h] = shape.Int(2000)
	}
	r := Compare(b, c, v1)
	wantOnly(t, r, map[string]Status{"hourly_profile": Fail, "diurnal_peak_trough": Fail})
	near(t, "hourly TV", delta(t, r, "hourly_profile"), 0.25, 1e-12)
	near(t, "peak/trough Δ", delta(t, r, "diurnal_peak_trough"), -2.0/3, 1e-12)
	near(t, "baseline peak/trough", *r.Check("diurnal_peak_trough").Baseline, 3, 1e-12)
	if r.GO() {
		t.Error("a flat day is GO, want NO-GO")
	}
}

func TestCompareNoHeavyRooms(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Conversations.HeavyRoomShare.Top2Pct = shape.Float(0.02) // 2% of rooms carry 2%: no hot rooms
	r := Compare(b, c, v1)
	wantOnly(t, r, map[string]Status{"heavy_rooms.top_2pct": Fail})
	near(t, "heavy Δ", delta(t, r, "heavy_rooms.top_2pct"), (0.02-0.30)/0.30, 1e-12)
}

// Type-mix Δ is in share points: +1.6 points passes, +9 points (above 0.8 × 10) is a
// warning, +12 points fails.
func TestCompareTypeMixPoints(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	for _, tc := range []struct {
		shift float64
		want  Status
	}{{0.016, Pass}, {0.09, Warning}, {0.12, Fail}} {
		c := clone(t, b)
		c.Conversations.TypeDistribution.OneToOne = shape.Float(0.682 + tc.shift)
		c.Conversations.TypeDistribution.SmallGroup = shape.Float(0.273 - tc.shift)
		r := Compare(b, c, v1)
		if s := r.Check("type_mix.one_to_one").Status; s != tc.want {
			t.Errorf("1:1 share +%g: status %s, want %s", tc.shift, s, tc.want)
		}
		near(t, "1:1 Δ", delta(t, r, "type_mix.one_to_one"), tc.shift, 1e-12)
		near(t, "small Δ", delta(t, r, "type_mix.small_group"), -tc.shift, 1e-12)
	}
	c := clone(t, b)
	c.Conversations.TypeDistribution.OneToOne = shape.Float(0.698)
	var buf bytes.Buffer
	Compare(b, c, v1).WriteText(&buf)
	if want := "  1:1: 69.8% (baseline: 68.2%, Δ=+1.6%, ✓ within ±10%)\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("report lacks the guide's line %q:\n%s", want, buf.String())
	}
}

// Non-critical misses are warnings: two keep GO, three make NO-GO.
func TestCompareWarningsDecide(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Messages.BurstCoefficient = shape.Float(1.0)    // Δ −60%
	c.Messages.WeekdayWeekendRatio = shape.Float(2.6) // Δ +100%
	r := Compare(b, c, v1)
	wantOnly(t, r, map[string]Status{"burst_coefficient": Warning, "weekday_weekend_ratio": Warning})
	if !r.GO() {
		t.Errorf("two non-critical misses: %s (%s), want GO", r.Decision, r.Reason)
	}
	c.ReadReceipts.ReadRate = shape.Float(0.4)
	r = Compare(b, c, v1)
	if r.GO() || r.Warnings != 3 {
		t.Errorf("three warnings: %s with %d warnings, want NO-GO with 3", r.Decision, r.Warnings)
	}
	if want := "3 warnings, at most 2 allowed: read rate, weekday/weekend ratio, burst coefficient"; r.Reason != want {
		t.Errorf("reason = %q, want %q", r.Reason, want)
	}
}

// A value near the edge of its tolerance warns: a content-length mean 18% high
// (above 0.8 × 20%) is a warning, 10% high passes; --tolerance 0.10 turns 18% into a
// non-critical miss (still a warning), and the mean is not critical.
func TestCompareNearLimit(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	for _, tc := range []struct {
		mean float64
		tol  float64
		want Status
	}{{152 * 1.10, 0, Pass}, {152 * 1.18, 0, Warning}, {152 * 1.18, 0.10, Warning}} {
		c := clone(t, b)
		c.Messages.ContentLengthMean = shape.Float(tc.mean)
		r := Compare(b, c, Options{Tolerance: tc.tol, PeopleChecks: PeopleReported})
		if s := r.Check("content_length.mean").Status; s != tc.want {
			t.Errorf("mean %g at tolerance %g: %s, want %s", tc.mean, tc.tol, s, tc.want)
		}
	}
	// A critical relative check out of a tighter tolerance fails: p95 +15% at 0.10.
	c := clone(t, b)
	c.Conversations.ActivityPercentiles.P95 = shape.Float(523 * 1.15)
	r := Compare(b, c, Options{Tolerance: 0.10, PeopleChecks: PeopleReported})
	if s := r.Check("messages_per_conversation.p95").Status; s != Fail {
		t.Errorf("p95 +15%% at tolerance 0.10: %s, want fail", s)
	}
}

// k-anonymity: a value missing in the baseline is skipped, in the candidate a warning.
func TestCompareSuppressed(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	b.Conversations.ActivityPercentiles.P99 = nil
	c := clone(t, b)
	c.Conversations.ActivityPercentiles.P99 = shape.Float(5000)
	c.ReadReceipts.ReadRate = nil
	r := Compare(b, c, v1)
	wantOnly(t, r, map[string]Status{"messages_per_conversation.p99": Skipped, "read_rate": Warning})
	if r.Skipped != 1 || r.Total != 23 || !r.GO() {
		t.Errorf("skipped %d of %d, decision %s; want 1 of 23 and GO", r.Skipped, r.Total, r.Decision)
	}
}

// Two histograms with the same CDF at the edges they share but merged differently by
// k-anonymity: re-binned onto the shared edges they are identical.
func TestCommonGrid(t *testing.T) {
	t.Parallel()
	a := shape.FromEdges([]float64{0, 1, 2, 5}, []int64{5, 10, 10, 20})
	b := shape.FromEdges([]float64{0, 2, 3, 5}, []int64{3, 35, 5, 10})
	g := CommonGrid(a, b)
	for i, want := range []struct{ edge, a, b float64 }{{0, 15, 3}, {2, 10, 40}, {5, 20, 10}} {
		if g.Edges[i] != want.edge || g.A[i] != want.a || g.B[i] != want.b {
			t.Errorf("bucket %d = (%g, %g, %g), want (%g, %g, %g)", i, g.Edges[i], g.A[i], g.B[i], want.edge, want.a, want.b)
		}
	}
	if len(g.Edges) != 3 {
		t.Errorf("edges = %v, want [0 2 5]", g.Edges)
	}
	// A side that starts higher (its lowest buckets were empty and trimmed) has no rows
	// below its first key; the other side's lower key stays an edge.
	g = CommonGrid(shape.FromEdges([]float64{1, 10}, []int64{4, 6}), shape.FromEdges([]float64{0, 1, 10}, []int64{1, 2, 7}))
	if len(g.Edges) != 3 || g.Edges[0] != 0 || g.A[0] != 0 || g.A[1] != 4 || g.B[0] != 1 || g.A[2] != 6 {
		t.Errorf("common grid = %+v, want edges [0 1 10], A [0 4 6], B [1 2 7]", g)
	}
	// A key kept by one side only lies inside a bucket of the other: not an edge.
	g = CommonGrid(shape.FromEdges([]float64{1, 10}, []int64{4, 6}), shape.FromEdges([]float64{0, 2}, []int64{3, 7}))
	if len(g.Edges) != 1 || g.A[0] != 10 || g.B[0] != 10 {
		t.Errorf("common grid = %+v, want one bucket holding 10 and 10", g)
	}
}

// KS on 100 000 rows a side with D = 0.03: the gate (0.10) passes, the p-value at the
// full n_eff = 50 000 is astronomically small, and at the capped n_eff = 1000 it is
// Q((√1000 + 0.12 + 0.11/√1000)·0.03) = Q(0.95240) = 2(e^{−2x²} − e^{−8x²} + …) =
// 0.3245 (Kolmogorov series with Stephens' correction, Numerical Recipes 3rd ed.
// §14.3.3, evaluated by hand).
func TestKSDecisionAtScale(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	b.Conversations.ActivityHistogram = shape.FromEdges([]float64{1, 10}, []int64{50000, 50000})
	c.Conversations.ActivityHistogram = shape.FromEdges([]float64{1, 10}, []int64{53000, 47000})
	r := Compare(b, c, v1)
	ch := r.Check("messages_per_conversation.ks")
	if ch.Status != Pass {
		t.Errorf("KS D=0.03 at 10⁵ rows: %s, want pass (note %q)", ch.Status, ch.Note)
	}
	near(t, "D", *ch.Delta, 0.03, 1e-12)
	near(t, "n_eff", ch.Test.NEff, 1000, 0)
	near(t, "p at n_eff 1000", ch.Test.PValue, 0.3245, 5e-4)
	if ch.Test.PValueFull > 1e-30 {
		t.Errorf("full-n p-value = %g, want < 1e-30 (why it cannot gate)", ch.Test.PValueFull)
	}
	// The same D on 100 rows a side: n_eff = 50 is below the cap.
	b.Conversations.ActivityHistogram = shape.FromEdges([]float64{1, 10}, []int64{50, 50})
	c.Conversations.ActivityHistogram = shape.FromEdges([]float64{1, 10}, []int64{30, 70})
	ch = Compare(b, c, v1).Check("messages_per_conversation.ks")
	near(t, "n_eff small", ch.Test.NEff, 50, 1e-12)
	near(t, "D small", *ch.Delta, 0.2, 1e-12)
	if ch.Status != Fail {
		t.Errorf("D = 0.2: %s, want fail", ch.Status)
	}
}

// Content length: [100, 100] against [50, 150]. TV = ½(0.25 + 0.25) = 0.25 fails;
// Pearson's X² of the 2×2 table [[100,100],[50,150]] (expected 75/125 per row) is
// 2·25²/75 + 2·25²/125 = 26.667 with df 1.
func TestChiSquaredContentLength(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	b.Messages.ContentLengthHistogram = shape.FromEdges([]float64{0, 100}, []int64{100, 100})
	c.Messages.ContentLengthHistogram = shape.FromEdges([]float64{0, 100}, []int64{50, 150})
	r := Compare(b, c, v1)
	ch := r.Check("content_length.chi_squared")
	near(t, "TV", *ch.Delta, 0.25, 1e-12)
	near(t, "X²", ch.Test.Statistic, 26.6667, 1e-3)
	near(t, "df", ch.Test.DF, 1, 0)
	if ch.Status != Fail {
		t.Errorf("TV 0.25: %s, want fail", ch.Status)
	}
	wantOnly(t, r, map[string]Status{"content_length.chi_squared": Fail})
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Messages.MediaRatio = shape.Float(0)
	b.Messages.BurstCoefficient = shape.Float(0) // relative error against 0: Δ is null
	var buf bytes.Buffer
	r := Compare(b, c, v1)
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Decision string `json:"decision"`
		Checks   []struct {
			ID     string   `json:"id"`
			Delta  *float64 `json:"delta"`
			Status string   `json:"status"`
			Test   *struct {
				PValue float64 `json:"p_value"`
			} `json:"test"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("result JSON does not parse: %v", err)
	}
	if back.Decision != NOGO || len(back.Checks) != 23 {
		t.Errorf("decision %q with %d checks, want NO-GO with 23", back.Decision, len(back.Checks))
	}
	for _, ch := range back.Checks {
		switch ch.ID {
		case "media_ratio":
			if ch.Delta == nil || *ch.Delta != -1 || ch.Status != "fail" {
				t.Errorf("media ratio 0: Δ %v %s, want -1 fail", ch.Delta, ch.Status)
			}
		case "burst_coefficient":
			if ch.Delta != nil || ch.Status != "warning" {
				t.Errorf("burst against a zero baseline: Δ %v %s, want null warning", ch.Delta, ch.Status)
			}
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tol := range []float64{-0.1, 1, 1.5, math.NaN()} {
		if err := (Options{Tolerance: tol}).Validate(); err == nil {
			t.Errorf("tolerance %g accepted", tol)
		}
	}
	if err := (Options{Tolerance: 0.15}).Validate(); err != nil {
		t.Errorf("tolerance 0.15 rejected: %v", err)
	}
}

// Readers by member count: the worst relative error over the buckets both sides
// publish, against ±15 %, not critical; the bucket is named.
func TestCompareReadersByMembers(t *testing.T) {
	t.Parallel()
	f := shape.Float
	b := baseDoc()
	cand := clone(t, b)
	// "21": 4 → 3 receipts per read message is −25 %; "3": 1.6 → 1.7 is +6.25 %.
	cand.ReadReceipts.ByMemberCount["21"] = shape.ReaderCell{ReadRate: f(0.63), ReceiptsPerReadMessage: f(3)}
	cand.ReadReceipts.ByMemberCount["3"] = shape.ReaderCell{ReadRate: f(0.75), ReceiptsPerReadMessage: f(1.7)}
	r := Compare(b, cand, v1)
	ch := r.Check("receipts_per_read_message.by_members")
	if ch == nil || ch.Delta == nil {
		t.Fatalf("check %+v, want a Δ", ch)
	}
	near(t, "Δ", *ch.Delta, -0.25, 1e-12)
	if ch.Status != Warning || ch.Critical || !strings.HasPrefix(ch.Note, "worst at 21+ members") {
		t.Errorf("status %s (critical %v), note %q; want warning, not critical, worst at 21+ members", ch.Status, ch.Critical, ch.Note)
	}
	// read rate: "21" 0.6 → 0.63 is +5 %, the worst; "51" has no candidate value
	ch = r.Check("read_rate.by_members")
	if ch == nil || ch.Delta == nil {
		t.Fatalf("check %+v, want a Δ", ch)
	}
	near(t, "Δ", *ch.Delta, 0.05, 1e-12)
	if ch.Status != Pass || ch.Note != "worst at 21+ members" {
		t.Errorf("read rate: status %s, note %q; want pass at 21+ members", ch.Status, ch.Note)
	}
	// a candidate without the split: a warning; a baseline without it: skipped
	cand.ReadReceipts.ByMemberCount = nil
	if ch := Compare(b, cand, v1).Check("read_rate.by_members"); ch.Status != Warning {
		t.Errorf("candidate without by_member_count: %s, want warning", ch.Status)
	}
	if ch := Compare(cand, b, v1).Check("receipts_per_read_message.by_members"); ch.Status != Skipped {
		t.Errorf("baseline without by_member_count: %s, want skipped", ch.Status)
	}
}
