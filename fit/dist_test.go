package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/dist"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	t.Logf("%s = %.6g (want %.6g ± %.3g)", what, got, want, tol)
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.6g, want %.6g ± %.3g", what, got, want, tol)
	}
}

// Masses of the continuous models against values computed by hand (the count laws'
// are in package dist).
func TestMasses(t *testing.T) {
	t.Parallel()
	// Log-normal: median e^μ, mean e^(μ+σ²/2).
	l := LogNormal{Mu: 2, Sigma: 0.5}
	near(t, "log-normal P(X < e²)", l.Mass(0, math.Exp(2)), 0.5, 1e-12)
	near(t, "log-normal mean", l.Moment(1), math.Exp(2.125), 1e-9)
	near(t, "log-normal quantile", QuantileReal(l, 0.5, 1e6), math.Exp(2), 1e-6)
	// Exponential mean 10: P(X < 10) = 1 − 1/e.
	near(t, "exponential", Exponential{Mean: 10}.Mass(0, 10), 1-1/math.E, 1e-12)
}

// TestChainCVByHand: with every conversation holding 2 messages the single gap is
// in-burst (probability η, exponential mean g) or, with two bursts, the spacing between
// their starts. With κ = 1 that is the spacing of two uniform starts in W (mean W/3,
// E X² = W²/6), so with η = ½, g = 10, W = 1000: E X = 5 + 1000/6, E X² = 100 + 10⁶/12.
// With κ = 2 the circle of length W is cut into W·X and W·(1−X), X ~ Beta(2, 2)
// (density 6x(1−x)), and the uniform cut lands in the first with probability X, leaving
// the other as the gap: E gap/W = 2 E[X(1−X)] = 12·B(3, 3) = 2/5 and E gap²/W² =
// E[X(1−X)] = 1/5, so E X = ½·10 + ½·400 = 205, E X² = ½·200 + ½·200 000 = 100 100.
func TestChainCVByHand(t *testing.T) {
	t.Parallel()
	two := dist.TruncatedGeometric{P: 0.5, Min: 2, Max: 2}
	m1, m2 := 5+1000.0/6, 100+1e6/12
	near(t, "chain CV", ChainCV(two, dist.HeavyShare{Q: 1e9}, 1, 0.5, 10, 1, 1000), math.Sqrt(m2/(m1*m1)-1), 1e-9)
	// η → 0: only the spacing, CV² = (W²/6)/(W/3)² − 1 = ½.
	near(t, "chain CV without bursts", ChainCV(two, dist.HeavyShare{Q: 1e9}, 1, 0, 10, 1, 1000), math.Sqrt(0.5), 1e-9)
	m1, m2 = 205, 100100
	near(t, "chain CV with κ = 2", ChainCV(two, dist.HeavyShare{Q: 1e9}, 1, 0.5, 10, 2, 1000), math.Sqrt(m2/(m1*m1)-1), 1e-9)
	// η → 0, κ = 2: CV² = (1/5)/(2/5)² − 1 = ¼.
	near(t, "chain CV with κ = 2 without bursts", ChainCV(two, dist.HeavyShare{Q: 1e9}, 1, 0, 10, 2, 1000), 0.5, 1e-9)
}

// simulateChain returns the pooled gap CV of conversations drawn as the generator
// draws them: a count from m, burst flags with continue probability eta, exponential
// in-burst gaps of mean gap, and the B burst starts at a uniform offset plus the
// cumulative Dirichlet(κ, …, κ) spacings (gonum's Gamma(κ, 1) draws, normalised) of a
// circle of length window, folded into [0, window).
func simulateChain(m dist.Discrete, eta, gap, kappa, window float64, convs int, r *rand.Rand) float64 {
	gam := distuv.Gamma{Alpha: kappa, Beta: 1, Src: r}
	var s1, s2, n float64
	ts := make([]float64, 0, 4096)
	offs := make([]float64, 0, 4096)
	var sp []float64
	for range convs {
		k := int(sampleDiscrete(m, r))
		offs = offs[:0]
		b := 0
		var o float64
		for i := range k {
			if i == 0 || r.Float64() >= eta {
				b++
				offs = append(offs, -1)
				o = 0
				continue
			}
			o += r.ExpFloat64() * gap
			offs = append(offs, o)
		}
		sp = sp[:0]
		var sum float64
		for range b {
			x := gam.Rand()
			sp = append(sp, x)
			sum += x
		}
		u := r.Float64()
		ts = ts[:0]
		var base float64
		j := 0
		for _, o := range offs {
			if o < 0 {
				base = math.Mod(u, 1) * window
				u += sp[j] / sum
				j++
				ts = append(ts, base)
				continue
			}
			ts = append(ts, base+o)
		}
		sortFloats(ts)
		for i := 1; i < len(ts); i++ {
			d := ts[i] - ts[i-1]
			s1 += d
			s2 += d * d
			n++
		}
	}
	mean := s1 / n
	return math.Sqrt(s2/n-mean*mean) / mean
}

// TestChainCVSimulated checks ChainCV's closed form (exact for short conversations, E[B]
// for long ones) against a simulation of the generator's chain (simulateChain) for
// κ = 0.3, 1 and 4. 20 000 conversations give the pooled CV to about 2%; the tolerance
// is 5%.
func TestChainCVSimulated(t *testing.T) {
	t.Parallel()
	const window, eta, gap = 30 * 86400.0, 0.6, 30.0
	m := dist.DiscreteLogNormal{Mu: 2, Sigma: 1, XMin: 1, XMax: 2000}
	for i, kappa := range []float64{0.3, 1, 4} {
		sim := simulateChain(m, eta, gap, kappa, window, 20000, rand.New(rand.NewPCG(1, uint64(i))))
		got := ChainCV(m, dist.HeavyShare{Q: 1e9}, 1, eta, gap, kappa, window)
		t.Logf("κ = %g: ChainCV %.4f, simulated %.4f", kappa, got, sim)
		if math.Abs(got/sim-1) > 0.05 {
			t.Errorf("κ = %g: ChainCV = %.3f, simulated chain %.3f: more than 5%% apart", kappa, got, sim)
		}
	}
}

// TestSolveSpacingShape: the κ solved for the CV that a known κ gives is that κ, and a
// CV beyond what the bounds reach returns the closest bound with ok = false.
func TestSolveSpacingShape(t *testing.T) {
	t.Parallel()
	const window, eta, gap = 30 * 86400.0, 0.6, 30.0
	m := dist.DiscreteLogNormal{Mu: 2, Sigma: 1, XMin: 1, XMax: 2000}
	h := dist.HeavyShare{Q: 1e9}
	for _, kappa := range []float64{0.1, 0.7, 1, 3, 20} {
		cv := ChainCV(m, h, 1, eta, gap, kappa, window)
		got, gotCV, ok := SolveSpacingShape(cv, m, h, 1, eta, gap, window)
		if !ok || math.Abs(got/kappa-1) > 1e-6 || math.Abs(gotCV/cv-1) > 1e-9 {
			t.Errorf("κ = %g (CV %.4f): solved κ = %g (CV %.4f, ok %v)", kappa, cv, got, gotCV, ok)
		}
	}
	lo := ChainCV(m, h, 1, eta, gap, MaxSpacingShape, window)
	if got, cv, ok := SolveSpacingShape(lo/2, m, h, 1, eta, gap, window); ok || got != MaxSpacingShape || cv != lo {
		t.Errorf("CV %.3f below the reach %.3f: got κ = %g (CV %.3f, ok %v), want the upper bound", lo/2, lo, got, cv, ok)
	}
	hi := ChainCV(m, h, 1, eta, gap, MinSpacingShape, window)
	if got, _, ok := SolveSpacingShape(hi*2, m, h, 1, eta, gap, window); ok || got != MinSpacingShape {
		t.Errorf("CV %.3f above the reach %.3f: got κ = %g (ok %v), want the lower bound", hi*2, hi, got, ok)
	}
}

// TestRenewalCVByHand checks RenewalCV's Monte Carlo in its two regimes.
//
// A chain that fits the window is shifted, not wrapped, and each burst starts after the
// previous one's last message, so its gaps are exactly the mixture: in-burst
// exponential (mean g) with probability η, else LogNormal(μ, σ), whose pooled CV is
// √(E X²/(E X)² − 1) with E X = ηg + (1−η)e^(μ+σ²/2), E X² = 2ηg² + (1−η)e^(2μ+2σ²).
// 256 conversations of 400 messages (about 100 000 gaps, σ = 0.5): within 5 %.
//
// A chain far longer than the window (4 000 bursts of mean e^8.5 ≈ 4 900 s, about 200
// windows of W = 10⁵ s) is compressed to the window as the generator compresses it: its
// gaps between bursts (all of them, η = 0) scaled by one factor, so their CV stays the
// log-normal's √(e^(σ²) − 1) = √(e − 1) ≈ 1.311 for σ = 1, both simulated through the
// cap (1 024 messages over W·1024/n): within 5 %.
func TestRenewalCVByHand(t *testing.T) {
	t.Parallel()
	const eta, g, mu, sigma = 0.5, 10.0, 5.0, 0.5
	fixed := func(n int) dist.Discrete { return dist.TruncatedGeometric{P: 0.5, Min: n, Max: n} }
	m1 := eta*g + (1-eta)*math.Exp(mu+sigma*sigma/2)
	m2 := 2*eta*g*g + (1-eta)*math.Exp(2*mu+2*sigma*sigma)
	want := math.Sqrt(m2/(m1*m1) - 1)
	got := RenewalCV(fixed(400), dist.HeavyShare{Q: 1e9}, 1, eta, g, mu, sigma, 0, 1e12)
	t.Logf("fits the window: CV %.4f, mixture %.4f", got, want)
	near(t, "renewal CV when the chain fits", got, want, 0.05*want)
	for _, n := range []int{4000, 40000} {
		got := RenewalCV(fixed(n), dist.HeavyShare{Q: 1e9}, 1, 0, g, 8, 1, 0, 1e5)
		want := math.Sqrt(math.E - 1)
		t.Logf("%d messages compressed: CV %.4f, log-normal %.4f", n, got, want)
		near(t, fmt.Sprintf("renewal CV of %d compressed starts", n), got, want, 0.05*want)
	}
}
