package fit

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/shape"
)

// dpRelease is what shape.export_dp does to a histogram: each count plus N_Z(0, σ²)
// (here a rounded normal of the same variance), then shape.dp_keep: a bin stays when its
// noisy count is at least ⌈5σ⌉ or positive and joined to such a bin by positive bins
// (validate.KeepTail is the same rule; fit cannot import validate).
func dpRelease(h shape.Histogram, sigma float64, r *rand.Rand) shape.Histogram {
	x := make([]float64, len(h))
	for i, b := range h {
		x[i] = float64(b.Count) + math.Round(r.NormFloat64()*sigma)
	}
	thr := math.Ceil(5 * sigma)
	keep := make([]bool, len(x))
	reach := false
	for i := range x {
		reach = x[i] >= thr || (reach && x[i] > 0)
		keep[i] = reach
	}
	reach = false
	for i := len(x) - 1; i >= 0; i-- {
		reach = x[i] >= thr || (reach && x[i] > 0)
		keep[i] = keep[i] || reach
	}
	out := make(shape.Histogram, len(h))
	for i, b := range h {
		c := 0.0
		if keep[i] {
			c = x[i]
		}
		out[i] = shape.Bucket{Lo: b.Lo, Hi: b.Hi, Count: int64(c)}
	}
	return out
}

// The noisy likelihood by hand: two buckets of a model with P = (0.25, 0.75), counts
// (30, 70), σ² = 100: e = (25, 75), −½ (5²/125 + 5²/175) − ½ ln(125·175) = −5.1680;
// with the first bucket released as 0 next to the published 70 (so its noisy count was
// ≤ 0, censored at ½): T = 70 / 0.75, so e = (23.33, 70) and
// ln Φ((0.5 − 23.33)/√123.33) − ½ ln 170 = −3.9175 − 2.5679. With three buckets
// (0, 0, 70), P = (0.25, 0.1875, 0.5625): T = 124.44, e = (31.11, 23.33, 70); the first
// 0 has no published neighbour (under ⌈5σ⌉ = 50): ln Φ((50 − 31.11)/√131.11) = −0.0507,
// the second −3.9175, the 70 −2.5679: −6.5361.
func TestNoisyLogLikByHand(t *testing.T) {
	t.Parallel()
	h := shape.FromEdges([]float64{0, 1}, []int64{30, 70})
	b, clamped := newNoisyBinned(h, 100)
	if clamped != 0 {
		t.Errorf("clamped %d, want 0", clamped)
	}
	// an exponential of mean 1/ln(4/3) puts 1 − e^(−ln(4/3)) = 0.25 below 1
	m := Exponential{Mean: 1 / math.Log(4.0/3)}
	near(t, "noisy likelihood", b.logLik(m), -0.5*(25.0/125+25.0/175)-0.5*math.Log(125*175), 1e-9)
	c, _ := newNoisyBinned(shape.FromEdges([]float64{0, 1}, []int64{0, 70}), 100)
	e := 70 / 0.75 * 0.25
	near(t, "censored likelihood", c.logLik(m), math.Log(distuv.UnitNormal.CDF((0.5-e)/math.Sqrt(e+100)))-0.5*math.Log(170), 1e-9)
	near(t, "censored likelihood (hand)", c.logLik(m), -3.9175-2.5679, 2e-4)
	c3, _ := newNoisyBinned(shape.FromEdges([]float64{0, 1, 2}, []int64{0, 0, 70}), 100)
	near(t, "censored likelihood, three buckets (hand)", c3.logLik(m), -6.5361, 2e-4)
	// a negative count is taken as 0
	b, clamped = newNoisyBinned(shape.FromEdges([]float64{0, 1}, []int64{-5, 70}), 100)
	if clamped != 1 || b.n[0] != 0 || b.total != 70 {
		t.Errorf("clamped %d, counts %v, total %g; want 1, [0 70], 70", clamped, b.n, b.total)
	}
}

// Recovery from a DP release: content lengths ⌊X⌋, X ~ LogNormal(3.6, 1.1), n = 200 000
// on the content-length grid, released with σ = 1036 (the messages vectors' σ at ε = 1,
// δ = 10⁻⁶, M = 50) and the export's shape.dp_keep. Over 20 seeds the noisy, censored
// likelihood's estimates scatter by about 0.026; each must lie within 0.1 (about 4 SD)
// and their means within 0.02 of the truth (about 3 SE of a mean of 20). Under the
// earlier flat 3σ cut, which emptied the tails (about 1.5 % of the mass), the
// multinomial likelihood's σ̂ fell short by about 0.2 on average; with dp_keep's tail
// it must fall short by less than 0.03 (measured: 0.010), so the test catches a rule
// that empties the tail again.
func TestRecoverLogNormalFromDPRelease(t *testing.T) {
	t.Parallel()
	const sigma, seeds = 1036.0, 20
	var sumMu, sumSigma, sumPlain float64
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(7, seed))
		ln := distuv.LogNormal{Mu: 3.6, Sigma: 1.1, Src: r}
		h := dpRelease(binDraws(shape.GridContentLength(), 200_000, func() float64 { return math.Floor(ln.Rand()) }), sigma, r)
		b, _ := newNoisyBinned(h, sigma*sigma)
		f, err := fitLogNormal(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(f.Mu-3.6) > 0.1 || math.Abs(f.Sigma-1.1) > 0.1 {
			t.Errorf("seed %d: μ̂ %.4f, σ̂ %.4f, want 3.6 and 1.1 within 0.1", seed, f.Mu, f.Sigma)
		}
		sumMu += f.Mu
		sumSigma += f.Sigma
		p, err := FitLogNormal(h, 0)
		if err != nil {
			t.Fatal(err)
		}
		sumPlain += p.Sigma
	}
	near(t, "mean μ̂", sumMu/seeds, 3.6, 0.02)
	near(t, "mean σ̂", sumSigma/seeds, 1.1, 0.02)
	if bias := 1.1 - sumPlain/seeds; math.Abs(bias) >= 0.03 {
		t.Errorf("the multinomial fit's σ̂ is off by %.4f on average, want under 0.03: the released tail is biased", bias)
	}
}

// Fit on a differential-privacy document fits the histograms with their vectors' noise
// and says so: the report's dp_noise names each σ used, and the goodness of fit of a
// noisy family says how it was fitted; an exact document has no dp_noise.
func TestFitReportsDPNoise(t *testing.T) {
	t.Parallel()
	rep, _, err := Fit(example(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DPNoise != nil {
		t.Fatalf("exact document: dp_noise %+v", rep.DPNoise)
	}
	d := example(t)
	d.Privacy = &shape.Privacy{Mode: shape.ModeDifferentialPrivacy, Epsilon: 1, Delta: 1e-6, Rho: 0.0175,
		Vectors: map[string]shape.NoiseVector{
			"conversations.activity":      {Sigma2: 429, L2Sensitivity: 1},
			"read_receipts.delay_minutes": {Sigma2: 100, L2Sensitivity: 1},
			"attachments.size_bytes":      {Sigma2: 400, L2Sensitivity: 1},
			"conversations.member_count":  {Sigma2: 429, L2Sensitivity: 1},
			"messages.inter_arrival":      {Sigma2: 400, L2Sensitivity: 1},
			"messages.content_length":     {Sigma2: 400, L2Sensitivity: 1},
			"users.username_length":       {Sigma2: 429, L2Sensitivity: 1},
			"conversations.size_activity": {Sigma2: 429, L2Sensitivity: 1},
		}}
	rep, _, err = Fit(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := rep.DPNoise
	if n == nil || n.Epsilon != 1 || n.Delta != 1e-6 || n.Method != dpNoiseMethod {
		t.Fatalf("dp_noise %+v", n)
	}
	for _, v := range []string{"conversations.activity", "conversations.member_count", "read_receipts.delay_minutes",
		"attachments.size_bytes", "messages.inter_arrival"} {
		want, _ := d.Privacy.Sigma(v)
		if got, ok := n.Sigma[v]; !ok || got != want {
			t.Errorf("dp_noise.sigma[%s] = %g (%v), want %g", v, got, ok, want)
		}
	}
	if g := rep.GoodnessOfFit[FamilyMessagesPerConversation]; g == nil || !strings.Contains(g.Note, "σ = 20.7") {
		t.Errorf("messages per conversation: goodness-of-fit note %+v, want it to name σ = 20.7", g)
	}
}

// The content-length model of a DP document is chosen by the noisy likelihood's BIC: a
// single LogNormal(4.2, 0.9) (the demo's content law), 600 000 messages released with
// σ = 1036, 5 seeds. The noisy BIC keeps one component every time; the multinomial BIC
// adds components for the noise spikes (in the benchmark's first release it chose three,
// one a spike of σ = 0.05; here in 5 of 5 seeds), so the test sees the difference.
func TestChooseLengthModelNoisy(t *testing.T) {
	t.Parallel()
	const sigma = 1036.0
	plainMore := 0
	for seed := range uint64(5) {
		r := rand.New(rand.NewPCG(11, seed))
		ln := distuv.LogNormal{Mu: 4.2, Sigma: 0.9, Src: r}
		h := dpRelease(binDraws(shape.GridContentLength(), 600_000, func() float64 { return math.Floor(ln.Rand()) }), sigma, r)
		choice, err := ChooseLengthModel(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(choice.Candidates[choice.Chosen].Components) > 1 {
			plainMore++
		}
		d := &shape.Document{Privacy: &shape.Privacy{Mode: shape.ModeDifferentialPrivacy,
			Vectors: map[string]shape.NoiseVector{"messages.content_length": {Sigma2: int64(sigma * sigma), L2Sensitivity: 50}}}}
		f := &fitter{doc: d, rep: &Report{}}
		if k := len(choice.Candidates[f.chooseNoisy(choice, h, "messages.content_length")].Components); k != 1 {
			t.Errorf("seed %d: the noisy BIC chose %d components, want 1", seed, k)
		}
	}
	if plainMore == 0 {
		t.Errorf("the multinomial BIC chose one component in every seed: the test no longer shows what the noisy choice changes")
	}
	t.Logf("multinomial BIC chose more than one component in %d of 5 seeds", plainMore)
}
