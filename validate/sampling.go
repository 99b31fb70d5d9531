package validate

import (
	"fmt"
	"math"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
)

// Sampling records how a check's sampling error entered its verdict. A share estimated
// from few events, or a distribution from few rows, differs from production by chance
// alone; such a difference is no evidence that the generator is wrong, and calibrate
// must not chase it. The rule (docs/validate.md, "Sampling error"): a check whose |Δ|
// lies beyond WarnFraction × its tolerance passes when |Δ| is still within the
// sampling error at level stats.SamplingAlpha (1%, z = 2.5758):
//
//   - a share p0 (the baseline's) against the candidate's share over n trials: the
//     score test, |p̂ − p0| ≤ z·√(p0(1 − p0)/n) (Wilson 1927), that is a relative error
//     z·√((1 − p0)/E) for E = n·p0 expected events;
//   - a binned KS distance: D ≤ the two-sample critical value D_crit(1%; n, m)
//     (stats.KSCritical).
type Sampling struct {
	// Trials is the candidate's denominator of a share (messages, conversations).
	Trials float64 `json:"trials,omitempty"`
	// Expected is the expected count of events: Trials × the baseline's share.
	Expected float64 `json:"expected_events,omitempty"`
	// N and M are the two sizes of a KS test.
	N float64 `json:"n,omitempty"`
	M float64 `json:"m,omitempty"`
	// Error is the sampling error at 99% in Δ's unit: z·√(p0(1 − p0)/n) in share
	// points for an absolute Δ, divided by p0 for a relative Δ, D_crit for a KS D.
	Error float64 `json:"error"`
	// Decided is true when the check passed only because |Δ| ≤ Error.
	Decided bool `json:"decided"`
}

// share is value for a share the candidate estimated over trials (its messages,
// conversations, …), judged with its sampling error (withinSampling).
func (o Options) share(ch Check, b, c *float64, trials float64) Check {
	return o.withinSampling(o.value(ch, b, c), trials)
}

// withinSampling applies the sampling-error rule to a judged share check: it records
// the error and turns a warning or a failure into a pass when |Δ| is within it.
func (o Options) withinSampling(ch Check, trials float64) Check {
	if ch.Baseline == nil || ch.Candidate == nil || !(trials > 0) {
		return ch
	}
	p0 := *ch.Baseline
	if !(p0 >= 0 && p0 <= 1) {
		return ch
	}
	e := stats.ShareSamplingError(p0, trials, stats.SamplingZ)
	if ch.Kind == Relative {
		if p0 == 0 {
			e = 0
		} else {
			e /= p0
		}
	}
	s := &Sampling{Trials: trials, Expected: trials * p0, Error: e}
	ch.Sampling = s
	return decideBySampling(ch, s)
}

// withinKSCritical applies the sampling-error rule to a judged KS check.
func withinKSCritical(ch Check) Check {
	t := ch.Test
	if t == nil || t.Method != "ks" || !(t.N > 0 && t.M > 0) {
		return ch
	}
	s := &Sampling{N: t.N, M: t.M, Error: stats.KSCritical(stats.SamplingAlpha, t.N, t.M)}
	ch.Sampling = s
	return decideBySampling(ch, s)
}

func decideBySampling(ch Check, s *Sampling) Check {
	if ch.Status == Pass || ch.Status == Skipped || ch.Delta == nil || math.IsNaN(s.Error) {
		return ch
	}
	if math.Abs(*ch.Delta) <= s.Error {
		ch.Status, s.Decided = Pass, true
		ch.Note = "within its sampling error " + ch.samplingText()
	}
	return ch
}

// samplingText is "±18% at 99%, 200 expected events" or "D ≤ 0.163 = D_crit(1%; n=120, m=95)".
func (ch Check) samplingText() string {
	s := ch.Sampling
	if s.N > 0 {
		return fmt.Sprintf("(D ≤ %.4f = D_crit(1%%; n=%.0f, m=%.0f))", s.Error, s.N, s.M)
	}
	return fmt.Sprintf("(±%.1f%% at 99%%, %.0f expected events of %.0f)", s.Error*100, s.Expected, s.Trials)
}

// trialsAtLeast2 is the candidate's conversations with at least 2 members (the type
// mix's denominator), summed from its member-count histogram. A bucket that k-anonymity
// merged across 2 (such as [0, 3)) is counted whole: it holds the two-member
// conversations, usually most of it.
func trialsAtLeast2(d *shape.Document) float64 {
	var n int64
	for _, b := range d.Conversations.MemberCountHistogram {
		if b.Hi > 2 {
			n += b.Count
		}
	}
	return float64(n)
}
