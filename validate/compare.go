package validate

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
)

// Status is a check's verdict.
type Status string

const (
	// Pass: within tolerance and not near its edge.
	Pass Status = "pass"
	// Warning: within tolerance but near its edge, a non-critical check out of
	// tolerance, or a value the candidate did not publish.
	Warning Status = "warning"
	// Fail: a critical check out of tolerance.
	Fail Status = "fail"
	// Skipped: the baseline does not publish the value (k-anonymity), so there is
	// nothing to compare against. It counts neither way.
	Skipped Status = "skipped"
)

// Kind says how a check's Δ is computed.
type Kind string

const (
	// Relative: Δ = (candidate − baseline) / baseline, signed.
	Relative Kind = "relative"
	// Absolute: Δ = candidate − baseline, both fractions (shown as percentage points).
	Absolute Kind = "absolute"
	// Distance: Δ is a distance between two distributions, in [0, 1] (KS D, total
	// variation).
	Distance Kind = "distance"
)

// Unit says how a check's values print.
type Unit string

const (
	UnitShare   Unit = "share"   // a fraction, printed as a percentage
	UnitCount   Unit = "count"   // messages, characters
	UnitSeconds Unit = "seconds" // a duration in seconds
	UnitRatio   Unit = "ratio"   // a dimensionless ratio
	// UnitCorrelation: a correlation in [−1, 1]; Δ and tolerance print as plain
	// differences ("Δ=+0.04", "±0.15"), not percentages.
	UnitCorrelation Unit = "correlation"
	UnitNone        Unit = "" // distances: no value pair, only Δ
)

// Check is one comparison.
type Check struct {
	// ID is stable and machine-readable ("media_ratio", "messages_per_conversation.p95").
	ID string `json:"id"`
	// Name is the short human name used in summaries ("media ratio").
	Name string `json:"name"`
	// Group and Label place the check in the text report ("Conversation type mix", "1:1").
	Group    string   `json:"group"`
	Label    string   `json:"label"`
	Critical bool     `json:"critical"`
	Kind     Kind     `json:"kind"`
	Unit     Unit     `json:"unit"`
	Baseline *float64 `json:"baseline"`
	// Candidate is the synthetic side's value; for distance checks Baseline and
	// Candidate are null and Delta holds the distance.
	Candidate *float64 `json:"candidate"`
	// Delta is null when it cannot be computed (a value missing, or a relative error
	// against a baseline of 0).
	Delta     *float64 `json:"delta"`
	Tolerance float64  `json:"tolerance"`
	Status    Status   `json:"status"`
	Note      string   `json:"note,omitempty"`
	// Test holds the distribution test behind a distance check.
	Test *Test `json:"test,omitempty"`
	// Sampling is the check's sampling error, for the shares and the KS checks judged
	// with it (sampling.go).
	Sampling *Sampling `json:"sampling,omitempty"`
	// Noise says how the tolerance was widened for a differential-privacy document's
	// noise (noise.go); nil otherwise.
	Noise *Noise `json:"noise,omitempty"`
}

// Test is a two-sample test on binned data, re-binned onto the common grid.
type Test struct {
	// Method is "ks" (Kolmogorov–Smirnov on the binned CDFs) or "chi_squared"
	// (two-sample homogeneity; the gate then uses TotalVariation).
	Method string `json:"method"`
	Bins   int    `json:"bins"`
	// N and M are the baseline and candidate totals.
	N float64 `json:"n"`
	M float64 `json:"m"`
	// Statistic is D for KS, X² for chi-squared, over the full N and M.
	Statistic float64 `json:"statistic"`
	DF        float64 `json:"df,omitempty"`
	// MergedBins: bins merged to keep every expected count ≥ 5 (chi-squared).
	MergedBins int `json:"merged_bins,omitempty"`
	// PValueFull is the p-value at the full sizes: at production scale it rejects any
	// difference at all, which is why it does not decide anything.
	PValueFull float64 `json:"p_value_full"`
	// NEff is min(N·M/(N+M), Options.NEffCap), and PValue the p-value at that size:
	// information, not the gate.
	NEff   float64 `json:"n_eff"`
	PValue float64 `json:"p_value"`
	// TotalVariation and JensenShannon are the distances between the two binned
	// distributions.
	TotalVariation float64 `json:"total_variation"`
	JensenShannon  float64 `json:"jensen_shannon"`
}

// Side describes one compared document.
type Side struct {
	// Source says what was measured: the file, or the kind of database and the window
	// it was exported over. Set by the caller (Compare leaves it empty).
	Source             string    `json:"source,omitempty"`
	ExtractedAt        time.Time `json:"extracted_at"`
	SampleWindowDays   int       `json:"sample_window_days"`
	Messages           int64     `json:"messages"`
	Conversations      int64     `json:"conversations"`
	ActiveConversation int64     `json:"active_conversations"`
}

func side(d *shape.Document) Side {
	return Side{ExtractedAt: d.ExtractedAt, SampleWindowDays: d.SampleWindowDays,
		Messages: d.Messages.TotalCount, Conversations: d.Conversations.TotalCount,
		ActiveConversation: d.Conversations.ActiveCount}
}

// Decision values.
const (
	GO   = "GO"
	NOGO = "NO-GO"
)

// Result is the outcome of Compare.
type Result struct {
	Baseline  Side    `json:"baseline"`
	Candidate Side    `json:"candidate"`
	Options   Options `json:"options"`
	Checks    []Check `json:"checks"`
	// Informational holds the checks computed and printed but not counted toward the
	// decision: the shape of people and of time while Options.PeopleChecks is
	// PeopleReported.
	Informational []Check `json:"informational,omitempty"`
	// Notices are warnings about the comparison itself, one line each: a family one
	// side does not carry (FamilyNotices).
	Notices  []string `json:"notices,omitempty"`
	Total    int      `json:"total"`
	Passed   int      `json:"passed"`
	Warnings int      `json:"warnings"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
	// Decision is GO or NO-GO; Reason says why in one line.
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// GO reports whether the decision is GO.
func (r *Result) GO() bool { return r.Decision == GO }

// Check returns the check with the given ID, or nil.
func (r *Result) Check(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// Compare runs every check of candidate against baseline and decides GO / NO-GO. It
// panics on invalid options (run Options.Validate first).
func Compare(baseline, candidate *shape.Document, opts Options) *Result {
	o := opts.WithDefaults()
	b, c := baseline, candidate
	r := &Result{Baseline: side(b), Candidate: side(c), Options: o}
	add := func(ch Check) { r.Checks = append(r.Checks, ch) }

	// Conversation type mix: absolute share points.
	bt, ct := b.Conversations.TypeDistribution, c.Conversations.TypeDistribution
	for _, x := range []struct {
		id, label, name string
		b, c            *float64
	}{
		{"one_to_one", "1:1", "type mix 1:1", bt.OneToOne, ct.OneToOne},
		{"small_group", "Small", "type mix small groups", bt.SmallGroup, ct.SmallGroup},
		{"large_group", "Large", "type mix large groups", bt.LargeGroup, ct.LargeGroup},
	} {
		add(o.share(Check{ID: "type_mix." + x.id, Name: x.name, Group: "Conversation type mix",
			Label: x.label, Critical: true, Kind: Absolute, Unit: UnitShare,
			Tolerance: o.TypeMixTolerance}, x.b, x.c, trialsAtLeast2(c)))
	}

	add(o.share(Check{ID: "media_ratio", Name: "media ratio", Group: "Media", Label: "Media ratio",
		Critical: true, Kind: Relative, Unit: UnitShare, Tolerance: o.MediaRatioTolerance},
		b.Messages.MediaRatio, c.Messages.MediaRatio, float64(c.Messages.TotalCount)))

	bp, cp := b.Conversations.ActivityPercentiles, c.Conversations.ActivityPercentiles
	for _, x := range []struct {
		p    string
		b, c *float64
	}{{"p50", bp.P50, cp.P50}, {"p95", bp.P95, cp.P95}, {"p99", bp.P99, cp.P99}} {
		add(o.value(Check{ID: "messages_per_conversation." + x.p, Name: "messages per conversation " + x.p,
			Group: "Messages per conversation", Label: x.p, Critical: true, Kind: Relative,
			Unit: UnitCount, Tolerance: o.Tolerance}, x.b, x.c))
	}

	add(o.value(Check{ID: "content_length.mean", Name: "content length mean", Group: "Content length",
		Label: "Mean", Kind: Relative, Unit: UnitCount, Tolerance: o.Tolerance},
		b.Messages.ContentLengthMean, c.Messages.ContentLengthMean))
	add(o.value(Check{ID: "content_length.median", Name: "content length median", Group: "Content length",
		Label: "Median", Kind: Relative, Unit: UnitCount, Tolerance: o.Tolerance},
		b.Messages.ContentLengthMedian, c.Messages.ContentLengthMedian))

	add(o.share(Check{ID: "read_rate", Name: "read rate", Group: "Read receipts", Label: "Read rate",
		Kind: Relative, Unit: UnitShare, Tolerance: o.Tolerance},
		b.ReadReceipts.ReadRate, c.ReadReceipts.ReadRate, float64(c.Messages.TotalCount)))
	add(o.delayPercentiles(b.ReadReceipts.DelayPercentilesSeconds, c.ReadReceipts.DelayPercentilesSeconds))
	add(o.readersByMembers(b, c, true))
	add(o.readersByMembers(b, c, false))

	add(o.attachmentMix(b.Attachments.TypeDistribution, c.Attachments.TypeDistribution))

	add(o.hourlyProfile(b.Messages.HourlyDistribution, c.Messages.HourlyDistribution))
	add(o.diurnal(b.Messages.HourlyDistribution, c.Messages.HourlyDistribution))
	add(o.value(Check{ID: "weekday_weekend_ratio", Name: "weekday/weekend ratio", Group: "Timing",
		Label: "Weekday/weekend ratio", Kind: Relative, Unit: UnitRatio, Tolerance: o.Tolerance},
		b.Messages.WeekdayWeekendRatio, c.Messages.WeekdayWeekendRatio))
	add(o.value(Check{ID: "burst_coefficient", Name: "burst coefficient", Group: "Timing",
		Label: "Burst coefficient", Kind: Relative, Unit: UnitRatio, Tolerance: o.Tolerance},
		b.Messages.BurstCoefficient, c.Messages.BurstCoefficient))

	add(o.share(Check{ID: "heavy_rooms.top_2pct", Name: "heavy-room traffic share (top 2%)", Group: "Heavy rooms",
		Label: "Top 2% traffic share", Critical: true, Kind: Relative, Unit: UnitShare, Tolerance: o.Tolerance},
		b.Conversations.HeavyRoomShare.Top2Pct, c.Conversations.HeavyRoomShare.Top2Pct, float64(c.Messages.TotalCount)))

	add(o.sizeActivity(b, c))

	r.Checks = append(r.Checks, o.Tests(b, c)...)

	r.Notices = FamilyNotices(b, c)
	if people := o.People(b, c); o.PeopleChecks == PeopleGated {
		r.Checks = append(r.Checks, people...)
	} else {
		r.Informational = people
	}
	o.widenForNoise(b, c, r.Checks)
	r.decide()
	return r
}

// Tests runs the three distribution tests (the ones `loader stat-tests` prints):
// KS on conversation sizes (member_count_histogram), KS on messages per conversation
// (activity_histogram), and chi-squared with the total-variation gate on content
// length. They are critical checks of Compare.
func (o Options) Tests(baseline, candidate *shape.Document) []Check {
	o = o.WithDefaults()
	return []Check{
		o.ks(Check{ID: "conversation_sizes.ks", Name: "conversation sizes (KS)", Group: "Distribution tests",
			Label: "Conversation sizes (KS)"},
			baseline.Conversations.MemberCountHistogram, candidate.Conversations.MemberCountHistogram),
		o.ks(Check{ID: "messages_per_conversation.ks", Name: "messages per conversation (KS)",
			Group: "Distribution tests", Label: "Messages per conversation (KS)"},
			baseline.Conversations.ActivityHistogram, candidate.Conversations.ActivityHistogram),
		o.chi(Check{ID: "content_length.chi_squared", Name: "content length distribution (χ², TV)",
			Group: "Distribution tests", Label: "Content length (χ²)"},
			baseline.Messages.ContentLengthHistogram, candidate.Messages.ContentLengthHistogram),
	}
}

// judge sets the status of a check whose Delta (or its absence) is known.
func (o Options) judge(ch Check, delta float64) Check {
	if math.IsNaN(delta) {
		ch.Status = Warning
		if ch.Note == "" {
			ch.Note = "Δ cannot be computed"
		}
		return ch
	}
	if !math.IsInf(delta, 0) {
		ch.Delta = shape.Float(delta)
	}
	switch a := math.Abs(delta); {
	case a > ch.Tolerance:
		if ch.Critical {
			ch.Status = Fail
		} else {
			ch.Status = Warning
			ch.Note = appendNote(ch.Note, "out of tolerance (non-critical)")
		}
	case a > o.WarnFraction*ch.Tolerance:
		ch.Status = Warning
		ch.Note = appendNote(ch.Note, fmt.Sprintf("within tolerance but above %.0f%% of it", o.WarnFraction*100))
	default:
		ch.Status = Pass
	}
	return ch
}

func appendNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// missing handles a value absent on one side; ok is false when the check is settled.
func missing(ch Check, b, c *float64) (Check, bool) {
	switch {
	case b == nil:
		ch.Status = Skipped
		ch.Note = "not published in the baseline (fewer than k rows)"
		return ch, false
	case c == nil:
		ch.Status = Warning
		ch.Note = "not published by the candidate (fewer than k rows)"
		return ch, false
	}
	return ch, true
}

// value compares two scalars by the check's Kind (Relative or Absolute).
func (o Options) value(ch Check, b, c *float64) Check {
	ch.Baseline, ch.Candidate = b, c
	ch, ok := missing(ch, b, c)
	if !ok {
		return ch
	}
	var delta float64
	if ch.Kind == Absolute {
		delta = *c - *b
	} else {
		delta = stats.RelativeError(*c, *b)
		if math.IsInf(delta, 0) {
			ch.Note = "the baseline is 0"
		}
	}
	return o.judge(ch, delta)
}

// sizeActivity compares the polychoric correlation of the two size × activity
// tables (stats.Polychoric): do bigger rooms carry more of the traffic, as much as
// in production? Absolute Δ, not critical. A side whose table gives no correlation
// (empty, one category, all suppressed) counts as not published.
func (o Options) sizeActivity(b, c *shape.Document) Check {
	ch := Check{ID: "size_activity.correlation", Name: "size–activity correlation", Group: "Size × activity",
		Label: "Polychoric ρ of member count × activity", Kind: Absolute, Unit: UnitCorrelation,
		Tolerance: o.CorrelationTolerance}
	rho := func(d *shape.Document) *float64 {
		t, err := d.Conversations.SizeActivityTable()
		if err != nil {
			return nil
		}
		r, err := stats.Polychoric(t)
		if err != nil {
			return nil
		}
		return &r
	}
	return o.value(ch, rho(b), rho(c))
}

// delayPercentiles: the worst relative error over the read-delay percentiles both
// sides publish.
func (o Options) delayPercentiles(b, c shape.Percentiles) Check {
	ch := Check{ID: "read_delay.percentiles", Name: "read-delay percentiles", Group: "Read receipts",
		Kind: Relative, Unit: UnitSeconds, Tolerance: o.Tolerance}
	return o.worst(ch, []namedPair{{"p50", b.P50, c.P50}, {"p75", b.P75, c.P75}, {"p90", b.P90, c.P90},
		{"p95", b.P95, c.P95}, {"p99", b.P99, c.P99}},
		func(at string) string { return "Delay " + at + " (worst of p50…p99)" })
}

// readersByMembers: the worst relative error, over the member-count buckets both
// sides publish, of the read rate (rate) or of the receipts per read message: do
// big rooms fan out to as many readers as in production?
func (o Options) readersByMembers(b, c *shape.Document, rate bool) Check {
	ch := Check{ID: "receipts_per_read_message.by_members", Name: "receipts per read message by member count",
		Group: "Read receipts", Kind: Relative, Unit: UnitRatio, Tolerance: o.Tolerance}
	what := "Receipts per read message"
	if rate {
		ch.ID, ch.Name, ch.Unit, what = "read_rate.by_members", "read rate by member count", UnitShare, "Read rate"
	}
	var xs []namedPair
	for _, lo := range shape.JointMemberBuckets {
		k := shape.FormatKey(lo)
		bc, cc := b.ReadReceipts.ByMemberCount[k], c.ReadReceipts.ByMemberCount[k]
		x := namedPair{k + "+ members", bc.ReceiptsPerReadMessage, cc.ReceiptsPerReadMessage}
		if rate {
			x.b, x.c = bc.ReadRate, cc.ReadRate
		}
		xs = append(xs, x)
	}
	return o.worst(ch, xs, func(at string) string { return what + ", " + at + " (worst bucket)" })
}

// namedPair is one baseline/candidate value of a worst-of check.
type namedPair struct {
	name string
	b, c *float64
}

// worst judges the largest relative error over the pairs both sides publish; label
// names the check after the worst pair. Nothing in the baseline: skipped; nothing the
// candidate matches: a warning.
func (o Options) worst(ch Check, xs []namedPair, label func(at string) string) Check {
	at, worstAbs := "", -1.0
	var anyBase bool
	for _, x := range xs {
		if x.b == nil {
			continue
		}
		anyBase = true
		if x.c == nil {
			continue
		}
		d := stats.RelativeError(*x.c, *x.b)
		if a := math.Abs(d); a > worstAbs || math.IsNaN(d) {
			at, worstAbs = x.name, a
			ch.Baseline, ch.Candidate = x.b, x.c
		}
	}
	ch.Label = label("…")
	if !anyBase {
		return mustMissing(ch, nil, shape.Float(0))
	}
	if at == "" {
		return mustMissing(ch, shape.Float(0), nil)
	}
	ch.Label = label(at)
	ch.Note = "worst at " + at
	return o.judge(ch, stats.RelativeError(*ch.Candidate, *ch.Baseline))
}

func mustMissing(ch Check, b, c *float64) Check {
	ch, _ = missing(ch, b, c)
	return ch
}

// attachmentMix: total-variation distance between the attachment type shares.
func (o Options) attachmentMix(b, c map[string]*float64) Check {
	ch := Check{ID: "attachments.type_mix", Name: "attachment type mix", Group: "Attachments",
		Label: "Type mix (TV distance)", Kind: Distance, Tolerance: o.DistanceTolerance}
	vec := func(m map[string]*float64) ([]float64, bool) {
		out := make([]float64, len(shape.AttachmentTypes))
		any := false
		for i, t := range shape.AttachmentTypes {
			if v := m[t]; v != nil {
				out[i] = *v
				any = any || *v > 0
			}
		}
		return out, any
	}
	bv, bok := vec(b)
	cv, cok := vec(c)
	if !bok {
		return mustMissing(ch, nil, shape.Float(0))
	}
	if !cok {
		return mustMissing(ch, shape.Float(0), nil)
	}
	return o.judge(ch, stats.TotalVariation(bv, cv))
}

// hourlyCounts returns the 24 hourly counts (a null cell, under k, as 0), whether any
// cell was null, and whether there is anything at all.
func hourlyCounts(h []*int64) (counts []float64, hadNull, ok bool) {
	if len(h) != 24 {
		return nil, false, false
	}
	counts = make([]float64, 24)
	var total float64
	for i, v := range h {
		if v == nil {
			hadNull = true
			continue
		}
		counts[i] = float64(*v)
		total += counts[i]
	}
	return counts, hadNull, total > 0
}

// hourlyProfile: total-variation distance between the 24-hour profiles.
func (o Options) hourlyProfile(b, c []*int64) Check {
	ch := Check{ID: "hourly_profile", Name: "hourly profile", Group: "Timing", Label: "Hourly profile (TV distance)",
		Critical: true, Kind: Distance, Tolerance: o.DistanceTolerance}
	bc, bnull, bok := hourlyCounts(b)
	cc, cnull, cok := hourlyCounts(c)
	if !bok {
		return mustMissing(ch, nil, shape.Float(0))
	}
	if !cok {
		return mustMissing(ch, shape.Float(0), nil)
	}
	if bnull || cnull {
		ch.Note = "hours under k counted as 0"
	}
	return o.judge(ch, stats.TotalVariation(bc, cc))
}

// DiurnalHours is how many hours the peak and the trough of the diurnal ratio average.
const DiurnalHours = 3

// PeakTrough is the diurnal peak/trough ratio of a 24-hour profile: the mean of its
// DiurnalHours busiest hours over the mean of its DiurnalHours quietest. Averaging
// three hours keeps one noisy hour from deciding it. ok is false when the profile is
// empty or a trough hour was suppressed (its count is under k, so the ratio is unknown).
func PeakTrough(hourly []*int64) (ratio float64, ok bool) {
	counts, hadNull, any := hourlyCounts(hourly)
	if !any {
		return 0, false
	}
	if hadNull {
		return 0, false
	}
	s := append([]float64(nil), counts...)
	sort.Float64s(s)
	var lo, hi float64
	for i := 0; i < DiurnalHours; i++ {
		lo += s[i]
		hi += s[len(s)-1-i]
	}
	if lo == 0 {
		return math.Inf(1), true
	}
	return hi / lo, true
}

// diurnal: relative error of the peak/trough ratio.
func (o Options) diurnal(b, c []*int64) Check {
	ch := Check{ID: "diurnal_peak_trough", Name: "diurnal peak/trough ratio", Group: "Timing",
		Label: "Diurnal peak/trough", Critical: true, Kind: Relative, Unit: UnitRatio, Tolerance: o.Tolerance}
	var bp, cp *float64
	if v, ok := PeakTrough(b); ok && !math.IsInf(v, 0) {
		bp = shape.Float(v)
	}
	if v, ok := PeakTrough(c); ok && !math.IsInf(v, 0) {
		cp = shape.Float(v)
	}
	ch = o.value(ch, bp, cp)
	if bp == nil {
		ch.Note = "the baseline's quietest hours are suppressed (under k) or empty"
	} else if cp == nil {
		ch.Note = "the candidate's quietest hours are suppressed (under k) or empty"
	}
	return ch
}

// ks: the KS statistic D between two histograms on their common grid, gated at
// DistanceTolerance.
func (o Options) ks(ch Check, b, c shape.Histogram) Check {
	g, missing, ok := o.distanceCheck(&ch, b, c)
	if !ok {
		return missing
	}
	res := stats.KSBinned(g.A, g.B)
	t := o.test("ks", g, res.D)
	t.PValueFull = res.PValue
	t.PValue = stats.KSPValueAtN(res.D, t.NEff)
	ch.Test = t
	return o.judge(ch, res.D)
}

// chi: the two-sample chi-squared test between two histograms on their common grid,
// gated on the total-variation distance (the chi-squared statistic grows with n).
func (o Options) chi(ch Check, b, c shape.Histogram) Check {
	g, missing, ok := o.distanceCheck(&ch, b, c)
	if !ok {
		return missing
	}
	res := stats.ChiSquaredHistograms(g.A, g.B, stats.DefaultMinExpected)
	t := o.test("chi_squared", g, res.Stat)
	t.DF, t.MergedBins, t.PValueFull = res.DF, res.MergedBins, res.PValue
	t.PValue = stats.ChiSquaredPValueAtN(res.Stat, res.DF, stats.EffectiveN(t.N, t.M), o.NEffCap)
	ch.Test = t
	return o.judge(ch, t.TotalVariation)
}

// distanceCheck prepares a critical distance check between two histograms: their
// common grid, or (ok false) the check marked missing when one side is empty.
func (o Options) distanceCheck(ch *Check, b, c shape.Histogram) (g Common, missing Check, ok bool) {
	ch.Critical, ch.Kind, ch.Tolerance = true, Distance, o.DistanceTolerance
	switch {
	case b.Total() == 0:
		return Common{}, mustMissing(*ch, nil, shape.Float(0)), false
	case c.Total() == 0:
		return Common{}, mustMissing(*ch, shape.Float(0), nil), false
	}
	return CommonGrid(b, c), Check{}, true
}

func (o Options) test(method string, g Common, statistic float64) *Test {
	t := &Test{Method: method, Bins: len(g.Edges), Statistic: statistic}
	for i := range g.A {
		t.N += g.A[i]
		t.M += g.B[i]
	}
	t.NEff = min(stats.EffectiveN(t.N, t.M), o.NEffCap)
	t.TotalVariation = stats.TotalVariation(g.A, g.B)
	t.JensenShannon = stats.JensenShannon(g.A, g.B)
	return t
}

// decide counts the statuses and applies the decision rule: GO when no check fails
// and there are at most MaxWarnings warnings.
func (r *Result) decide() {
	r.Total = len(r.Checks)
	var failed, warned []string
	for _, ch := range r.Checks {
		switch ch.Status {
		case Pass:
			r.Passed++
		case Warning:
			r.Warnings++
			warned = append(warned, ch.Name)
		case Fail:
			r.Failed++
			failed = append(failed, ch.Name)
		case Skipped:
			r.Skipped++
		}
	}
	switch {
	case r.Failed > 0 && r.Warnings > r.Options.MaxWarnings:
		r.Decision = NOGO
		r.Reason = fmt.Sprintf("failed: %s; %d warnings, at most %d allowed", joinNames(failed), r.Warnings, r.Options.MaxWarnings)
	case r.Failed > 0:
		r.Decision = NOGO
		r.Reason = "failed: " + joinNames(failed)
	case r.Warnings > r.Options.MaxWarnings:
		r.Decision = NOGO
		r.Reason = fmt.Sprintf("%d warnings, at most %d allowed: %s", r.Warnings, r.Options.MaxWarnings, joinNames(warned))
	default:
		r.Decision = GO
		r.Reason = "within tolerance"
	}
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
