package dist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestShiftedDiscreteLogNormal: μ = 0, σ = 1, shift ½ from 1 has
// P(1) = (Q(ln ½) − Q(ln 1.5)) / Q(ln ½) = (Φ(0.693147) − (1 − Φ(0.405465))) / Φ(0.693147)
// = (0.7558914 − 0.3425678) / 0.7558914 = 0.546803 (normal table: Φ(0.693147) =
// 0.7558914, Φ(0.405465) = 0.6574322).
func TestShiftedDiscreteLogNormal(t *testing.T) {
	t.Parallel()
	d := ShiftedDiscreteLogNormal{Mu: 0, Sigma: 1, Shift: 0.5, XMin: 1, XMax: 1_000_000}
	near(t, "P(1)", d.ProbFunc()(1), (0.7558914-0.3425678)/0.7558914, 1e-6)
	near(t, "P(1) by Mass", d.Mass(1, 2), (0.7558914-0.3425678)/0.7558914, 1e-6)
	checkLaw(t, "μ = 1.9, σ = 1.5, shift 1.6 on 1…10000", ShiftedDiscreteLogNormal{Mu: 1.9, Sigma: 1.5, Shift: 1.6, XMin: 1, XMax: 10_000}, 1e-12)
	checkLaw(t, "μ = 2.64, σ = 1.2, shift 3.5 on 3…100000", ShiftedDiscreteLogNormal{Mu: 2.64, Sigma: 1.2, Shift: 3.5, XMin: 3, XMax: 100_000}, 1e-12)
	checkLaw(t, "μ = 0.3, σ = 0.4, shift 0.2 on 1…50", ShiftedDiscreteLogNormal{Mu: 0.3, Sigma: 0.4, Shift: 0.2, XMin: 1, XMax: 50}, 1e-12)
}

// TestShiftedIsDiscreteLogNormalAtZero: with shift 0 the law is DiscreteLogNormal,
// point for point.
func TestShiftedIsDiscreteLogNormalAtZero(t *testing.T) {
	t.Parallel()
	s := ShiftedDiscreteLogNormal{Mu: 2.09, Sigma: 1.3, XMin: 1, XMax: 4000}.ProbFunc()
	d := DiscreteLogNormal{Mu: 2.09, Sigma: 1.3, XMin: 1, XMax: 4000}.ProbFunc()
	for x := 0; x <= 4001; x++ {
		if s(x) != d(x) {
			t.Fatalf("P(%d) = %g shifted by 0, %g unshifted", x, s(x), d(x))
		}
	}
}

// TestShiftedFixtureLaw: the real-looking fixture's law above 1 (sql/demo_real_data.sql:
// 2 + ⌊exp N(1.9, 1.5²)⌋) is shift 2 on 2…: P(2) = P(Y < 1) = Φ(−1.9/1.5) = Φ(−1.266667)
// = 0.1026372 (normal table: Φ(1.27) = 0.89796, Φ(1.26) = 0.89617).
func TestShiftedFixtureLaw(t *testing.T) {
	t.Parallel()
	d := ShiftedDiscreteLogNormal{Mu: 1.9, Sigma: 1.5, Shift: 2, XMin: 2, XMax: 10_000}
	near(t, "P(2)", d.ProbFunc()(2), 0.1026372, 2e-4)
	checkLaw(t, "fixture", d, 1e-12)
}

// TestShiftedQuantileClosedForm: X = ⌊s + Y⌋ conditioned on XMin ≤ X ≤ XMax has
// CDF(x) = (Φ(z(x+1)) − Φ(z(XMin))) / (Φ(z(XMax+1)) − Φ(z(XMin))), z(y) = (ln(y − s) −
// μ)/σ (Φ(z(y)) = 0 for y ≤ s), so its p-quantile is ⌊y⌋ for y = s + exp(μ + σ·Φ⁻¹(Φ(z(XMin)) + p·(Φ(z(XMax+1))
// − Φ(z(XMin))))), computed here with gonum's normal quantile; the law's quantile must
// agree wherever y is not within 10⁻⁹ of a whole number.
func TestShiftedQuantileClosedForm(t *testing.T) {
	t.Parallel()
	d := ShiftedDiscreteLogNormal{Mu: 1.9, Sigma: 1.5, Shift: 1.4, XMin: 1, XMax: 100_000}
	n := distuv.UnitNormal
	z := func(y float64) float64 { return (math.Log(y-d.Shift) - d.Mu) / d.Sigma }
	pLo, pHi := 0.0, n.CDF(z(100_001)) // XMin = 1 is below the shift: Φ(z(1)) = 0
	for i := 1; i < 1000; i++ {
		p := float64(i) / 1000
		y := d.Shift + math.Exp(d.Mu+d.Sigma*n.Quantile(pLo+p*(pHi-pLo)))
		if math.Abs(y-math.Round(y)) < 1e-9 {
			continue
		}
		if got := d.Quantile(p); got != int(y) {
			t.Errorf("Quantile(%g) = %d, want ⌊%.12g⌋", p, got, y)
		}
	}
	// By hand: μ = ln 10, σ = 1, shift 2 from 2 (Q(z(2)) = 1): CDF(10) = Φ(ln(9/10)) =
	// Φ(−0.105361) = 0.458045 and CDF(11) = Φ(0) = ½ (normal table), so the
	// 0.45-quantile is 10 and the 0.46-quantile 11.
	checkQuantiles(t, "μ = ln 10, σ = 1, shift 2", ShiftedDiscreteLogNormal{Mu: math.Log(10), Sigma: 1, Shift: 2, XMin: 2, XMax: 1 << 30},
		[]quantileAt{{0.45, 10}, {0.46, 11}, {0.4999, 11}})
}

func TestShiftedDiscreteLogNormalPanics(t *testing.T) {
	t.Parallel()
	wantPanic(t, "XMin 0", func() { ShiftedDiscreteLogNormal{Mu: 1, Sigma: 1, XMin: 0, XMax: 10}.Mean() })
	wantPanic(t, "shift −1", func() { ShiftedDiscreteLogNormal{Mu: 1, Sigma: 1, Shift: -1, XMin: 1, XMax: 10}.Mean() })
	wantPanic(t, "shift 2 from 1", func() { ShiftedDiscreteLogNormal{Mu: 1, Sigma: 1, Shift: 2, XMin: 1, XMax: 10}.Mean() })
	wantPanic(t, "p > 1", func() { ShiftedDiscreteLogNormal{Mu: 1, Sigma: 1, XMin: 1, XMax: 10}.Quantile(1.1) })
}
