package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	t.Logf("%s = %.6g (want %.6g ± %.3g)", what, got, want, tol)
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.6g, want %.6g ± %.3g", what, got, want, tol)
	}
}

// Masses against values computed by hand or published constants.
func TestMasses(t *testing.T) {
	t.Parallel()
	// Truncated geometric p = ½ on 3…4: P(3) = ½ / (1 − ¼) = 2/3, P(4) = 1/3.
	g := TruncatedGeometric{P: 0.5, Min: 3, Max: 4}
	near(t, "geometric P(3)", g.Mass(3, 4), 2.0/3, 1e-12)
	near(t, "geometric P(4)", g.Mass(4, 5), 1.0/3, 1e-12)
	near(t, "geometric P([0,3))", g.Mass(0, 3), 0, 1e-12)
	near(t, "geometric mean", g.Mean(), 3*2.0/3+4.0/3, 1e-12)
	// Discrete power law α = 2 from 1: P(1) = 1/ζ(2) = 6/π² (Basel problem); the
	// truncation at 10⁷ removes ζ(2, 10⁷+1) ≈ 10⁻⁷ of the mass.
	p := PowerLaw{Alpha: 2, XMin: 1, XMax: 10_000_000}
	near(t, "power law P(1)", p.Mass(1, 2), 6/(math.Pi*math.Pi), 1e-6)
	near(t, "power law P([2,4))", p.Mass(2, 4), (0.25+1.0/9)*6/(math.Pi*math.Pi), 1e-6)
	// Mean of α = 3 from 1: ζ(2)/ζ(3) = (π²/6)/1.2020569 (Apéry's constant).
	near(t, "power law mean", PowerLaw{Alpha: 3, XMin: 1, XMax: 10_000_000}.Mean(), math.Pi*math.Pi/6/1.2020569031595942, 1e-6)
	// Discrete log-normal μ = 0, σ = 1 from 1: P(1) = (Φ(ln 2) − Φ(0)) / (1 − Φ(0)),
	// Φ(0.693147) = 0.7558914 (normal table).
	d := DiscreteLogNormal{Mu: 0, Sigma: 1, XMin: 1, XMax: 1_000_000}
	near(t, "discrete log-normal P(1)", d.Mass(1, 2), (0.7558914-0.5)/0.5, 1e-6)
	// Log-normal: median e^μ, mean e^(μ+σ²/2).
	l := LogNormal{Mu: 2, Sigma: 0.5}
	near(t, "log-normal P(X < e²)", l.Mass(0, math.Exp(2)), 0.5, 1e-12)
	near(t, "log-normal mean", l.Moment(1), math.Exp(2.125), 1e-9)
	near(t, "log-normal quantile", QuantileReal(l, 0.5, 1e6), math.Exp(2), 1e-6)
	// Exponential mean 10: P(X < 10) = 1 − 1/e.
	near(t, "exponential", Exponential{Mean: 10}.Mass(0, 10), 1-1/math.E, 1e-12)
}

// uniform is the discrete uniform law on 1…n, for hand-computed heavy shares.
type uniform struct{ n int }

func (u uniform) Mass(lo, hi float64) float64 {
	c := func(x float64) float64 { return math.Min(math.Max(math.Ceil(x)-1, 0), float64(u.n)) }
	return (c(hi) - c(lo)) / float64(u.n)
}

// TestHeavyShare: uniform on 1…100, the busiest 2% are 99 and 100: Q = 98, top mass
// (99 + 100)/100 = 1.99 of the mean 50.5, so the share is 0.039406. The multiplier
// scales their excess over 98 (1 and 2, Excess = 0.03): a 10% share needs
// (0.1·48.51 − 0.9·0.02·98) / (0.9·0.03) = (4.851 − 1.764)/0.027 = 114.333…, which
// turns 99 and 100 into 98 + 114.33 = 212.33 and 98 + 228.67 = 326.67: top mass
// (212.33 + 326.67)/100 = 5.39 of 48.51 + 5.39 = 53.9, 10%. Below 1.96/50.47 (both
// rooms at 98) no multiplier reaches the share.
func TestHeavyShare(t *testing.T) {
	t.Parallel()
	h := NewHeavyShare(uniform{100}, 1, 100, 0.02)
	near(t, "Q", h.Q, 98, 0)
	near(t, "top mass", h.Top, 1.99, 1e-9)
	near(t, "rest", h.Rest, 48.51, 1e-9)
	near(t, "excess", h.Excess(), 0.03, 1e-9)
	near(t, "share", h.Share(1), 1.99/50.5, 1e-12)
	m := h.Multiplier(0.1)
	near(t, "multiplier", m, (4.851-1.764)/0.027, 1e-7)
	near(t, "share after multiplier", h.Share(m), 0.1, 1e-12)
	near(t, "mean after multiplier", h.Mean(m), 53.9, 1e-7)
	near(t, "scaled 100", h.Scale(100, m), 327, 0)
	near(t, "scaled 99", h.Scale(99, m), 212, 0)
	near(t, "Q stays", h.Scale(98, m), 98, 0)
	near(t, "a shrinking multiplier keeps the order", h.Scale(100, 0.25), 99, 0) // 98.5 rounds half away from zero
	if m := h.Multiplier(1.96 / 50.47); !math.IsNaN(m) {
		t.Errorf("a share at the all-at-Q floor gave multiplier %g, want NaN", m)
	}
	if m := h.Multiplier(0.039); !(m > 0 && m < 1) {
		t.Errorf("a share just below the model's (and above the floor) gave multiplier %g, want in (0, 1)", m)
	}
	// A fractional atom: the busiest 1.5% of 1…100 are 100 and half of 99.
	h = NewHeavyShare(uniform{100}, 1, 100, 0.015)
	near(t, "top mass with half an atom", h.Top, (100+0.5*99)/100, 1e-9)
	near(t, "excess with half an atom", h.Excess(), 0.01, 1e-9) // only 100 is above Q = 99
	if m := h.Multiplier(1); !math.IsNaN(m) {
		t.Errorf("a share of 1 gave multiplier %g, want NaN", m)
	}
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
	two := TruncatedGeometric{P: 0.5, Min: 2, Max: 2}
	m1, m2 := 5+1000.0/6, 100+1e6/12
	near(t, "chain CV", ChainCV(two, 2, 2, HeavyShare{Q: 1e9}, 1, 0.5, 10, 1, 1000), math.Sqrt(m2/(m1*m1)-1), 1e-9)
	// η → 0: only the spacing, CV² = (W²/6)/(W/3)² − 1 = ½.
	near(t, "chain CV without bursts", ChainCV(two, 2, 2, HeavyShare{Q: 1e9}, 1, 0, 10, 1, 1000), math.Sqrt(0.5), 1e-9)
	m1, m2 = 205, 100100
	near(t, "chain CV with κ = 2", ChainCV(two, 2, 2, HeavyShare{Q: 1e9}, 1, 0.5, 10, 2, 1000), math.Sqrt(m2/(m1*m1)-1), 1e-9)
	// η → 0, κ = 2: CV² = (1/5)/(2/5)² − 1 = ¼.
	near(t, "chain CV with κ = 2 without bursts", ChainCV(two, 2, 2, HeavyShare{Q: 1e9}, 1, 0, 10, 2, 1000), 0.5, 1e-9)
}

// simulateChain returns the pooled gap CV of conversations drawn as the generator
// draws them: a count from m, burst flags with continue probability eta, exponential
// in-burst gaps of mean gap, and the B burst starts at a uniform offset plus the
// cumulative Dirichlet(κ, …, κ) spacings (gonum's Gamma(κ, 1) draws, normalised) of a
// circle of length window, folded into [0, window).
func simulateChain(m Model, xmax int, eta, gap, kappa, window float64, convs int, r *rand.Rand) float64 {
	gam := distuv.Gamma{Alpha: kappa, Beta: 1, Src: r}
	var s1, s2, n float64
	ts := make([]float64, 0, 4096)
	offs := make([]float64, 0, 4096)
	var sp []float64
	for range convs {
		k := int(sampleDiscrete(m, 1, xmax, r))
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
	m := DiscreteLogNormal{Mu: 2, Sigma: 1, XMin: 1, XMax: 2000}
	for i, kappa := range []float64{0.3, 1, 4} {
		sim := simulateChain(m, 2000, eta, gap, kappa, window, 20000, rand.New(rand.NewPCG(1, uint64(i))))
		got := ChainCV(m, 1, 2000, HeavyShare{Q: 1e9}, 1, eta, gap, kappa, window)
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
	m := DiscreteLogNormal{Mu: 2, Sigma: 1, XMin: 1, XMax: 2000}
	h := HeavyShare{Q: 1e9}
	for _, kappa := range []float64{0.1, 0.7, 1, 3, 20} {
		cv := ChainCV(m, 1, 2000, h, 1, eta, gap, kappa, window)
		got, gotCV, ok := SolveSpacingShape(cv, m, 1, 2000, h, 1, eta, gap, window)
		if !ok || math.Abs(got/kappa-1) > 1e-6 || math.Abs(gotCV/cv-1) > 1e-9 {
			t.Errorf("κ = %g (CV %.4f): solved κ = %g (CV %.4f, ok %v)", kappa, cv, got, gotCV, ok)
		}
	}
	lo := ChainCV(m, 1, 2000, h, 1, eta, gap, MaxSpacingShape, window)
	if got, cv, ok := SolveSpacingShape(lo/2, m, 1, 2000, h, 1, eta, gap, window); ok || got != MaxSpacingShape || cv != lo {
		t.Errorf("CV %.3f below the reach %.3f: got κ = %g (CV %.3f, ok %v), want the upper bound", lo/2, lo, got, cv, ok)
	}
	hi := ChainCV(m, 1, 2000, h, 1, eta, gap, MinSpacingShape, window)
	if got, _, ok := SolveSpacingShape(hi*2, m, 1, 2000, h, 1, eta, gap, window); ok || got != MinSpacingShape {
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
// A chain far longer than the window (4 000 bursts of mean e^8.5 ≈ 4 900 s wrapped ≈ 200
// times around W = 10⁵ s) superposes its laps into about uniform points, whose gaps
// have CV² = (n−1)/(n+1) ≈ 1, both simulated through the cap (1 024 messages over
// W·1024/n): within 5 %.
func TestRenewalCVByHand(t *testing.T) {
	t.Parallel()
	const eta, g, mu, sigma = 0.5, 10.0, 5.0, 0.5
	fixed := func(n int) Model { return TruncatedGeometric{P: 0.5, Min: n, Max: n} }
	m1 := eta*g + (1-eta)*math.Exp(mu+sigma*sigma/2)
	m2 := 2*eta*g*g + (1-eta)*math.Exp(2*mu+2*sigma*sigma)
	want := math.Sqrt(m2/(m1*m1) - 1)
	got := RenewalCV(fixed(400), 400, 400, HeavyShare{Q: 1e9}, 1, eta, g, mu, sigma, 1e12)
	t.Logf("fits the window: CV %.4f, mixture %.4f", got, want)
	near(t, "renewal CV when the chain fits", got, want, 0.05*want)
	for _, n := range []int{4000, 40000} {
		got := RenewalCV(fixed(n), n, n, HeavyShare{Q: 1e9}, 1, 0, g, 8, 1, 1e5)
		t.Logf("%d messages wrapped: CV %.4f", n, got)
		near(t, fmt.Sprintf("renewal CV of %d wrapped starts", n), got, 1, 0.05)
	}
}
