package dist

import (
	"math"
	"testing"
)

// TestPowerLaw: the Basel problem gives P(1) = 1/ζ(2) = 6/π² for α = 2 from 1 (the
// truncation at 10⁷ removes ζ(2, 10⁷+1) ≈ 10⁻⁷ of the mass), and Apéry's constant the
// mean of α = 3 from 1, ζ(2)/ζ(3) = (π²/6)/1.2020569031595942.
func TestPowerLaw(t *testing.T) {
	t.Parallel()
	p := PowerLaw{Alpha: 2, XMin: 1, XMax: 10_000_000}
	near(t, "P(1)", p.ProbFunc()(1), 6/(math.Pi*math.Pi), 1e-6)
	near(t, "P([2, 4))", p.Mass(2, 4), (0.25+1.0/9)*6/(math.Pi*math.Pi), 1e-6)
	near(t, "mean α = 3", PowerLaw{Alpha: 3, XMin: 1, XMax: 10_000_000}.Mean(), math.Pi*math.Pi/6/1.2020569031595942, 1e-6)
	// Both branches of Mean (the zeta difference above α = 2, the sum below) and every
	// method against sums of the point masses.
	checkLaw(t, "α = 2.5 on 21…5000", PowerLaw{Alpha: 2.5, XMin: 21, XMax: 5000}, 1e-12)
	checkLaw(t, "α = 1.8 on 1…20000", PowerLaw{Alpha: 1.8, XMin: 1, XMax: 20000}, 1e-12)
}

// TestPowerLawQuantileByHand: α = 2 on 1…3 has weights 1, ¼, 1/9 of 49/36, so
// P(1) = 36/49 = 0.7347, CDF(2) = 45/49 = 0.9184.
func TestPowerLawQuantileByHand(t *testing.T) {
	t.Parallel()
	checkQuantiles(t, "α = 2 on 1…3", PowerLaw{Alpha: 2, XMin: 1, XMax: 3}, []quantileAt{
		{0, 1}, {0.5, 1}, {36.0/49 - 1e-12, 1}, {36.0/49 + 1e-12, 2}, {0.9, 2}, {45.0/49 + 1e-12, 3}, {1, 3}})
}

// TestPowerLawQuantileLargeSupport: on 1…10⁹ the bisection still lands on the step:
// CDF(x − 1) < p ≤ CDF(x). With ζ(2, y) = 1/(y − ½) + O(y⁻³) and t = ζ(2, 10⁹+1),
// S(x + 1) = (1/(x + ½) − t)/(ζ(2) − t) = 10⁻⁶ puts the 1 − 10⁻⁶ quantile at
// 1/(10⁻⁶(ζ(2) − t) + t) − ½ = 607 557.6 (the truncation's t ≈ 10⁻⁹ moves it by 370).
func TestPowerLawQuantileLargeSupport(t *testing.T) {
	t.Parallel()
	p := PowerLaw{Alpha: 2, XMin: 1, XMax: 1_000_000_000}
	for _, prob := range []float64{0.5, 0.99, 1 - 1e-6, 1 - 1e-8} {
		x := p.Quantile(prob)
		if !(CDF(p, float64(x)) >= prob && CDF(p, float64(x-1)) < prob) {
			t.Errorf("Quantile(%g) = %d: CDF(%d) = %.17g, CDF(%d) = %.17g", prob, x, x-1, CDF(p, float64(x-1)), x, CDF(p, float64(x)))
		}
		if prob == 1-1e-6 {
			z2, top := math.Pi*math.Pi/6, 1/(1e9+0.5)
			near(t, "the 1 − 10⁻⁶ quantile", float64(x), 1/(1e-6*(z2-top)+top)-0.5, 1)
		}
	}
}

func TestPowerLawPanics(t *testing.T) {
	t.Parallel()
	wantPanic(t, "XMin 0", func() { PowerLaw{Alpha: 2, XMin: 0, XMax: 10}.ProbFunc() })
	wantPanic(t, "empty support", func() { PowerLaw{Alpha: 2, XMin: 5, XMax: 4}.Mean() })
	wantPanic(t, "p > 1", func() { PowerLaw{Alpha: 2, XMin: 1, XMax: 10}.Quantile(1.5) })
	wantPanic(t, "p NaN", func() { PowerLaw{Alpha: 2, XMin: 1, XMax: 10}.Quantile(math.NaN()) })
}
