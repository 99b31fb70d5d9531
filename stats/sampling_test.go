package stats

import (
	"math"
	"testing"
)

// SamplingZ is Φ⁻¹(0.995).
func TestSamplingZ(t *testing.T) {
	t.Parallel()
	if got := NormalQuantile(1 - SamplingAlpha/2); math.Abs(got-SamplingZ) > 1e-12 {
		t.Errorf("Φ⁻¹(0.995) = %.15g, SamplingZ = %.15g", got, SamplingZ)
	}
}

// ScoreZ by hand: 2.3% observed over 10 000 trials against 2%: se = √(0.02·0.98/10⁴) =
// 0.0014, z = 0.003/0.0014 = 2.142857.
func TestScoreZ(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ pHat, p0, n, want float64 }{
		{0.023, 0.02, 10000, 0.003 / 0.0014},
		{0.017, 0.02, 10000, -0.003 / 0.0014},
		{0.5, 0.5, 100, 0},
		{0.6, 0.5, 100, 2}, // se = 0.05
		{0, 0, 100, 0},     // p0 = 0 and none seen
		{0.01, 0, 100, math.Inf(1)},
		{0.99, 1, 100, math.Inf(-1)},
	} {
		if got := ScoreZ(c.pHat, c.p0, c.n); !(math.Abs(got-c.want) < 1e-9 || got == c.want) {
			t.Errorf("ScoreZ(%g, %g, %g) = %g, want %g", c.pHat, c.p0, c.n, got, c.want)
		}
	}
	for _, c := range [][3]float64{{0.5, 0.5, 0}, {1.5, 0.5, 10}, {0.5, -0.1, 10}} {
		if got := ScoreZ(c[0], c[1], c[2]); !math.IsNaN(got) {
			t.Errorf("ScoreZ%v = %g, want NaN", c, got)
		}
	}
}

// Wilson's interval for 50 successes in 100 at z = 1.96 is [0.4038, 0.5962] (by hand:
// centre (0.5 + 1.96²/200)/(1 + 1.96²/100) = 0.519208/1.038416, half-width
// 1.96·√(0.0025 + 1.96²/40000)/1.038416 = 0.0998648/1.038416), and its bounds are exactly
// the p0 whose score statistic is ±z.
func TestWilsonInterval(t *testing.T) {
	t.Parallel()
	lo, hi := WilsonInterval(0.5, 100, 1.96)
	if math.Abs(lo-0.403831) > 1e-5 || math.Abs(hi-0.596169) > 1e-5 {
		t.Errorf("Wilson(50/100, 1.96) = [%.6f, %.6f], want [0.403831, 0.596169]", lo, hi)
	}
	for _, c := range [][2]float64{{0.02, 1000}, {0.3, 57}, {0.001, 20000}} {
		lo, hi := WilsonInterval(c[0], c[1], SamplingZ)
		if z := ScoreZ(c[0], lo, c[1]); math.Abs(z-SamplingZ) > 1e-9 {
			t.Errorf("pHat %g n %g: score at the lower bound %g is %g, want %g", c[0], c[1], lo, z, SamplingZ)
		}
		if z := ScoreZ(c[0], hi, c[1]); math.Abs(z+SamplingZ) > 1e-9 {
			t.Errorf("pHat %g n %g: score at the upper bound %g is %g, want −%g", c[0], c[1], hi, z, SamplingZ)
		}
	}
	if lo, hi := WilsonInterval(0.5, 0, 1.96); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("n = 0: [%g, %g], want NaN", lo, hi)
	}
}

// The sampling error of a 2% share over 10 000 trials at z = 2.5758 is 2.5758·0.0014 =
// 0.0036062 share points (18.0% of the share); a 5% relative tolerance at 80% (the pass
// band) needs E ≥ (2.5758/0.04)²·0.98 = 4063.9 events; ±8 points on a share of 0.3 need
// n ≥ (2.5758/0.08)²·0.21 = 1036.70·0.21 = 217.71 trials.
func TestSharePlanning(t *testing.T) {
	t.Parallel()
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.6g, want %.6g", what, got, want)
		}
	}
	near("ShareSamplingError(0.02, 1e4)", ShareSamplingError(0.02, 10000, SamplingZ), 0.00360616, 1e-7)
	near("EventsFor(0.02, 0.04)", EventsFor(0.02, 0.04, SamplingZ), 4063.87, 0.01)
	near("TrialsForAbsolute(0.3, 0.08)", TrialsForAbsolute(0.3, 0.08, SamplingZ), 217.707, 0.01)
	if !math.IsInf(ShareSamplingError(0.02, 0, SamplingZ), 1) || !math.IsInf(EventsFor(0.1, 0, SamplingZ), 1) ||
		!math.IsInf(TrialsForAbsolute(0.1, 0, SamplingZ), 1) {
		t.Error("a zero size or tolerance should need infinitely many")
	}
}

// The Kolmogorov distribution's upper quantiles, K⁻¹(0.95) = 1.358099, K⁻¹(0.99) =
// 1.627624, K⁻¹(0.90) = 1.223848 (Smirnov 1948's table: 1.36, 1.63, 1.22; SciPy's
// kstwobign.isf gives the same digits), and the Stephens-corrected two-sample critical
// value at n = m = 1000: e = 500, 1.358099/(√500 + 0.12 + 0.11/√500) = 0.0603986.
func TestKSCritical(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]float64{{0.05, 1.3580986393}, {0.01, 1.6276236115}, {0.10, 1.2238478702}} {
		if got := KolmogorovQuantile(c[0]); math.Abs(got-c[1]) > 1e-9 {
			t.Errorf("KolmogorovQuantile(%g) = %.10f, want %.10f", c[0], got, c[1])
		}
	}
	if got := KSCritical(0.05, 1000, 1000); math.Abs(got-0.0603986) > 1e-6 {
		t.Errorf("KSCritical(0.05, 1000, 1000) = %.7f, want 0.0603986", got)
	}
	// the critical value is where the asymptotic p-value equals alpha
	for _, c := range [][3]float64{{0.01, 300, 5000}, {0.05, 40, 70}, {0.2, 2e6, 3e6}} {
		d := KSCritical(c[0], c[1], c[2])
		if p := ksAsymptotic(d, EffectiveN(c[1], c[2])); math.Abs(p-c[0]) > 1e-9 {
			t.Errorf("KSCritical%v = %g, whose p-value is %g", c, d, p)
		}
	}
	if !math.IsNaN(KolmogorovQuantile(0)) || !math.IsNaN(KSCritical(0.05, 0, 10)) || !math.IsNaN(KSCritical(1, 10, 10)) {
		t.Error("bad arguments should give NaN")
	}
}
