package generate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pgshape/pgshape/spec"
)

// TestRenewalLifetimes: under the renewal start model a conversation's activity is its
// chain, confined to its lifetime. With η = 0.4, g = 30 s, gaps between bursts
// log-normal(8, 1) (seconds) and a flat profile (operational time is real time), the
// lifetime of a conversation of n messages (last minus first) is the sum of its n − 1
// gaps, each η·Exp(g) + (1−η)·LogNormal(μ, σ): the p50 and p90 of 4 000 generated
// conversations for n = 2, 5 and 20 must be within 8 % of those of 200 000 sums drawn
// here (the sampling error of a p90 from 4 000 draws is about 3 %; η below ½ keeps the
// p50 of n = 2 inside the log-normal part, where a percentile is well determined). A chain of 3 000
// messages (about 1 800 bursts of mean e^8.5 s ≈ 89 days against the 14-day window) is
// compressed to the interval: it spans at least 99 % of it. Every message lies in
// [window start, window end), in time order.
func TestRenewalLifetimes(t *testing.T) {
	t.Parallel()
	const eta, gap, mu, sigma = 0.4, 30.0, 8.0, 1.0
	s := testSpec(t)
	b := &s.Messages.InterArrival.Burst
	b.StartModel, b.ContinueProbability, b.MeanGapSeconds, b.GapMu, b.GapSigma = spec.StartModelRenewal, eta, gap, mu, sigma
	for wd := range s.Messages.InterArrival.WeekdayHourWeights {
		for h := range s.Messages.InterArrival.WeekdayHourWeights[wd] {
			s.Messages.InterArrival.WeekdayHourWeights[wd][h] = 1 // flat: operational time is real time
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := newModel(s, "lifetime-test", 20_000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	window := float64(m.end-m.start) / usPerSecond
	op := func(at int64) float64 { return m.slots.weightBefore(at) / m.slots.total * window }
	r := rand.New(rand.NewPCG(3, 4))
	quantiles := func(xs []float64) (p50, p90 float64) {
		slices.Sort(xs)
		return xs[len(xs)/2], xs[len(xs)*9/10]
	}
	id := int64(0)
	lifetimes := func(n int64, convs int) []float64 {
		var out []float64
		for range convs {
			id++
			c := &convState{id: id, created: m.start - usPerDay}
			g.messageTimes(c, n)
			if !slices.IsSorted(g.ts) || g.ts[0] < m.start || g.ts[n-1] >= m.end {
				t.Fatalf("conversation %d of %d messages: times [%d, %d] not sorted inside the window [%d, %d)", id, n, g.ts[0], g.ts[n-1], m.start, m.end)
			}
			out = append(out, op(g.ts[n-1])-op(g.ts[0]))
		}
		return out
	}
	for _, n := range []int64{2, 5, 20} {
		model := make([]float64, 200_000)
		for i := range model {
			for range n - 1 {
				if r.Float64() < eta {
					model[i] += r.ExpFloat64() * gap
				} else {
					model[i] += math.Exp(mu + sigma*r.NormFloat64())
				}
			}
			model[i] = min(model[i], window)
		}
		w50, w90 := quantiles(model)
		g50, g90 := quantiles(lifetimes(n, 4000))
		t.Logf("n = %d: lifetime p50 %.0f s (model %.0f), p90 %.0f s (model %.0f)", n, g50, w50, g90, w90)
		for _, c := range [][2]float64{{g50, w50}, {g90, w90}} {
			if math.Abs(c[0]/c[1]-1) > 0.08 {
				t.Errorf("n = %d: generated lifetime percentile %.0f s, model %.0f s: more than 8%% apart", n, c[0], c[1])
			}
		}
	}
	long := lifetimes(3000, 20)
	if lo := slices.Min(long); lo < 0.99*window {
		t.Errorf("a compressed chain of 3 000 messages spans %.0f s of the %.0f s window, want at least 99%%", lo, window)
	}

}

// TestRenewalLifetimeLaw: with a lifetime law (spec.BurstLifetime: ln L = 8 +
// 0.5·ln(n − 1) + 1.0·Z seconds) every chain of n ≥ 2 messages is stretched to span its
// drawn lifetime, so the generated lifetimes of 4 000 conversations of n = 2, 5 and 20
// messages (flat profile: operational time is real time) have the law's p50 e^(8 +
// 0.5 ln(n−1)) and p90 e^(8 + 0.5 ln(n−1) + 1.2816) within 8 % (a p90 of 4 000 draws
// has a sampling error of about 3 %), whatever the chain's own span (gaps between bursts
// e^(8 + Z) s; in-burst gaps 30 s). The same conversation gives the same times again,
// and producing them allocates nothing once the buffers have grown.
func TestRenewalLifetimeLaw(t *testing.T) {
	// not parallel: testing.AllocsPerRun refuses a parallel test
	const mu, beta, sigmaL = 8.0, 0.5, 1.0
	s := testSpec(t)
	b := &s.Messages.InterArrival.Burst
	b.StartModel, b.ContinueProbability, b.MeanGapSeconds, b.GapMu, b.GapSigma = spec.StartModelRenewal, 0.6, 30, 8, 1
	b.Lifetime = &spec.BurstLifetime{Mu: mu, Sigma: sigmaL, CountSlope: beta}
	for wd := range s.Messages.InterArrival.WeekdayHourWeights {
		for h := range s.Messages.InterArrival.WeekdayHourWeights[wd] {
			s.Messages.InterArrival.WeekdayHourWeights[wd][h] = 1
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := newModel(s, "lifetime-law-test", 20_000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	op := func(at int64) float64 {
		return m.slots.weightBefore(at) / m.slots.total * float64(m.end-m.start) / usPerSecond
	}
	id := int64(0)
	for _, n := range []int64{2, 5, 20} {
		var lives []float64
		for range 4000 {
			id++
			c := &convState{id: id, created: m.start - usPerDay}
			g.messageTimes(c, n)
			if !slices.IsSorted(g.ts) || g.ts[0] < m.start || g.ts[n-1] >= m.end {
				t.Fatalf("conversation %d of %d messages: times not sorted inside the window", id, n)
			}
			lives = append(lives, op(g.ts[n-1])-op(g.ts[0]))
		}
		slices.Sort(lives)
		g50, g90 := lives[len(lives)/2], lives[len(lives)*9/10]
		l := mu + beta*math.Log(float64(n-1))
		w50, w90 := math.Exp(l), math.Exp(l+1.2816*sigmaL)
		t.Logf("n = %d: lifetime p50 %.0f s (law %.0f), p90 %.0f s (law %.0f)", n, g50, w50, g90, w90)
		for _, c := range [][2]float64{{g50, w50}, {g90, w90}} {
			if math.Abs(c[0]/c[1]-1) > 0.08 {
				t.Errorf("n = %d: generated lifetime percentile %.0f s, law %.0f s: more than 8%% apart", n, c[0], c[1])
			}
		}
	}
	checkTimesStable(t, m, g, "a lifetime law")
}

// checkTimesStable: conversation 7's 50 message times are the same from a second
// generator, and messageTimes allocates nothing per conversation (what names the
// model in the errors).
func checkTimesStable(t *testing.T, m *model, g *gen, what string) {
	t.Helper()
	c := &convState{id: 7, created: m.start - usPerDay}
	g.messageTimes(c, 50)
	first := slices.Clone(g.ts)
	g2 := newGen(m)
	g2.messageTimes(c, 50)
	if !slices.Equal(first, g2.ts) {
		t.Errorf("%s: conversation 7 gave different times on a second generator", what)
	}
	if a := testing.AllocsPerRun(100, func() { g.messageTimes(c, 50) }); a != 0 {
		t.Errorf("messageTimes with %s allocates %.0f times per conversation, want 0", what, a)
	}
}
