package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestDiscreteLogNormal: μ = 0, σ = 1 from 1 has P(1) = (Φ(ln 2) − Φ(0)) / (1 − Φ(0))
// with Φ(0.693147) = 0.7558914 (normal table).
func TestDiscreteLogNormal(t *testing.T) {
	t.Parallel()
	d := DiscreteLogNormal{Mu: 0, Sigma: 1, XMin: 1, XMax: 1_000_000}
	near(t, "P(1)", d.ProbFunc()(1), (0.7558914-0.5)/0.5, 1e-6)
	near(t, "P(1) by Mass", d.Mass(1, 2), (0.7558914-0.5)/0.5, 1e-6)
	checkLaw(t, "μ = 1.93, σ = 1.59 on 1…3170", DiscreteLogNormal{Mu: 1.9252537738689042, Sigma: 1.5877455856154121, XMin: 1, XMax: 3170}, 1e-12)
	checkLaw(t, "μ = 2.64, σ = 1.2 on 3…100000", DiscreteLogNormal{Mu: 2.64, Sigma: 1.2, XMin: 3, XMax: 100_000}, 1e-12)
}

// TestDiscreteLogNormalQuantileClosedForm: X = ⌊Y⌋ conditioned on XMin ≤ ⌊Y⌋ ≤ XMax
// has CDF(x) = (Φ(z(x+1)) − Φ(z(XMin))) / (Φ(z(XMax+1)) − Φ(z(XMin))), so its
// p-quantile is ⌊y⌋ for y = exp(μ + σ·Φ⁻¹(Φ(z(XMin)) + p·(Φ(z(XMax+1)) − Φ(z(XMin))))),
// computed here with gonum's normal quantile; the bisection must agree wherever y is
// not within 10⁻⁹ of a whole number.
func TestDiscreteLogNormalQuantileClosedForm(t *testing.T) {
	t.Parallel()
	d := DiscreteLogNormal{Mu: 2.64, Sigma: 1.2, XMin: 1, XMax: 100_000}
	n := distuv.UnitNormal
	z := func(y float64) float64 { return (math.Log(y) - d.Mu) / d.Sigma }
	pLo, pHi := n.CDF(z(1)), n.CDF(z(100_001))
	for i := 1; i < 1000; i++ {
		p := float64(i) / 1000
		y := math.Exp(d.Mu + d.Sigma*n.Quantile(pLo+p*(pHi-pLo)))
		if math.Abs(y-math.Round(y)) < 1e-9 {
			continue
		}
		if got := d.Quantile(p); got != int(y) {
			t.Errorf("Quantile(%g) = %d, want ⌊%.12g⌋", p, got, y)
		}
	}
	// By hand: μ = ln 10, σ = 1 from 1: Φ(z(1)) = Φ(−2.302585) = 0.0106511, so the
	// median solves Φ(z(y)) = 0.0106511 + ½(1 − 0.0106511) = 0.5053256, z = 0.0133503,
	// y = 10·e^0.0133503 = 10.1344: the median is 10.
	if got := (DiscreteLogNormal{Mu: math.Log(10), Sigma: 1, XMin: 1, XMax: 1 << 30}).Quantile(0.5); got != 10 {
		t.Errorf("median = %d, want 10", got)
	}
}

func TestDiscreteLogNormalPanics(t *testing.T) {
	t.Parallel()
	wantPanic(t, "XMin 0", func() { DiscreteLogNormal{Mu: 1, Sigma: 1, XMin: 0, XMax: 10}.Mean() })
	wantPanic(t, "p < 0", func() { DiscreteLogNormal{Mu: 1, Sigma: 1, XMin: 1, XMax: 10}.Quantile(-0.1) })
}
