package fit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

// sampleLengths draws n content lengths ⌊X⌋ from a log-normal mixture with a fixed seed
// and bins them on the shape SQL's content-length grid, as an export would.
func sampleLengths(n int, comps []MixtureComponent) shape.Histogram {
	r := rand.New(rand.NewPCG(1, 1))
	vals := make([]float64, n)
	for i := range vals {
		u := r.Float64()
		c := comps[len(comps)-1]
		for _, cc := range comps {
			if u < cc.Weight {
				c = cc
				break
			}
			u -= cc.Weight
		}
		vals[i] = math.Floor(math.Exp(c.Mu + c.Sigma*r.NormFloat64()))
	}
	return shape.Bin(shape.GridContentLength(), vals).Trim()
}

// TestMixtureRecoversKnownParameters: short replies (median e^2.3 ≈ 10 characters) and
// long posts (median e^5.5 ≈ 245), 200k messages binned on the export's grid: EM on the
// binned data recovers the weights, medians and spreads, and BIC picks two components.
func TestMixtureRecoversKnownParameters(t *testing.T) {
	t.Parallel()
	truth := []MixtureComponent{{Weight: 0.65, Mu: 2.3, Sigma: 0.6}, {Weight: 0.35, Mu: 5.5, Sigma: 0.8}}
	h := sampleLengths(200_000, truth)
	ch, err := ChooseLengthModel(h)
	if err != nil {
		t.Fatal(err)
	}
	got := ch.Candidates[ch.Chosen]
	if len(got.Components) != 2 {
		for _, c := range ch.Candidates {
			t.Logf("k=%d BIC %.1f AIC %.1f ll %.1f", len(c.Components), c.BIC, c.AIC, c.LogLik)
		}
		t.Fatalf("BIC chose %d components, want 2", len(got.Components))
	}
	for j, c := range got.Components {
		w := truth[j]
		if math.Abs(c.Weight-w.Weight) > 0.01 || math.Abs(c.Mu-w.Mu) > 0.03 || math.Abs(c.Sigma-w.Sigma) > 0.03 {
			t.Errorf("component %d = %+v, want %+v (±0.01 weight, ±0.03 μ and σ)", j, c, w)
		}
	}
	// A single log-normal cannot hold both: its fit is far worse (the lead's real-archive
	// finding, TV 0.09); the mixture's TV is sampling noise.
	one := ch.Candidates[0]
	if len(one.Components) != 1 {
		t.Fatalf("first candidate has %d components", len(one.Components))
	}
	if one.GOF.TotalVariation < 0.05 {
		t.Errorf("single log-normal TV %.3f, want a visibly bad fit (≥ 0.05)", one.GOF.TotalVariation)
	}
	if got.GOF.TotalVariation > 0.01 {
		t.Errorf("mixture TV %.4f, want ≤ 0.01", got.GOF.TotalVariation)
	}
	if got.Params != 5 || math.Abs(got.BIC-(-2*got.LogLik+5*math.Log(200_000))) > 1e-6 {
		t.Errorf("params %d, BIC %.3f: not −2 ln L + 5 ln N", got.Params, got.BIC)
	}
}

// TestMixtureSingleLogNormalKeepsOne: data from one log-normal (the demo's μ = 4.2,
// σ = 0.9): BIC keeps one component, and the one-component EM fit equals the
// Nelder–Mead binned fit FitLogNormal finds (the same likelihood, two optimisers).
func TestMixtureSingleLogNormalKeepsOne(t *testing.T) {
	t.Parallel()
	h := sampleLengths(100_000, []MixtureComponent{{Weight: 1, Mu: 4.2, Sigma: 0.9}})
	ch, err := ChooseLengthModel(h)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ch.Candidates[ch.Chosen].Components); n != 1 {
		for _, c := range ch.Candidates {
			t.Logf("k=%d BIC %.1f ll %.1f %+v", len(c.Components), c.BIC, c.LogLik, c.Components)
		}
		t.Fatalf("BIC chose %d components on single log-normal data, want 1", n)
	}
	em := ch.Candidates[0].Components[0]
	nm, err := FitLogNormal(h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(em.Mu-nm.Mu) > 1e-3 || math.Abs(em.Sigma-nm.Sigma) > 1e-3 {
		t.Errorf("EM μ=%.5f σ=%.5f, Nelder–Mead μ=%.5f σ=%.5f: the same likelihood should give the same optimum", em.Mu, em.Sigma, nm.Mu, nm.Sigma)
	}
	if math.Abs(em.Mu-4.2) > 0.02 || math.Abs(em.Sigma-0.9) > 0.02 {
		t.Errorf("μ=%.3f σ=%.3f, want 4.2, 0.9 (±0.02)", em.Mu, em.Sigma)
	}
}

// TestTruncMomentsByHand checks the truncated-normal moments against values computed
// by hand: N(0,1) on [0, ∞) has mass ½, mean √(2/π) and second moment 1; on (−∞, ∞)
// mass 1, mean μ, second moment μ² + σ².
func TestTruncMomentsByHand(t *testing.T) {
	t.Parallel()
	p, m1, m2 := truncMoments(0, math.Inf(1), 0, 1)
	if math.Abs(p-0.5) > 1e-12 || math.Abs(m1-math.Sqrt(2/math.Pi)) > 1e-12 || math.Abs(m2-1) > 1e-12 {
		t.Errorf("half-normal: p=%g m1=%g m2=%g", p, m1, m2)
	}
	p, m1, m2 = truncMoments(math.Inf(-1), math.Inf(1), 3, 2)
	if math.Abs(p-1) > 1e-12 || math.Abs(m1-3) > 1e-12 || math.Abs(m2-13) > 1e-12 {
		t.Errorf("whole line: p=%g m1=%g m2=%g", p, m1, m2)
	}
	// [1, 2] of N(0,1): mass Φ(2) − Φ(1) = 0.1359051, mean (φ(1) − φ(2))/mass = 1.3832.
	p, m1, _ = truncMoments(1, 2, 0, 1)
	if math.Abs(p-0.13590512) > 1e-7 || math.Abs(m1-1.38321) > 1e-4 {
		t.Errorf("[1,2]: p=%.8f m1=%.5f, want 0.13590512, 1.38321", p, m1)
	}
}
