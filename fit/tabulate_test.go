package fit

import (
	"math"
	"testing"

	"github.com/pgshape/pgshape/dist"
)

// TestTabulateStrideIsExactEnough: beyond 2¹⁶ the table interpolates between every
// eighth integer. On the example's heavy tail (μ = 2.64, σ = 2.78, to 500 000) the
// exact part is exact, S itself is off by less than 10⁻¹¹ anywhere, and the sums the
// table exists for — the mean and the second moment — agree with a table evaluated at
// every integer to better than 10⁻⁹ relative.
func TestTabulateStrideIsExactEnough(t *testing.T) {
	t.Parallel()
	const xmax = 500_000
	m := dist.DiscreteLogNormal{Mu: 2.64, Sigma: 2.78, XMin: 1, XMax: xmax}
	tab := tabulate(m).SurvivalFunc()
	direct := m.SurvivalFunc()
	var m1, m2, e1, e2, worst float64
	for x := 1; x <= xmax; x++ {
		got, want := tab(float64(x)), direct(float64(x))
		if x <= tabulateExact && got != want {
			t.Fatalf("S(%d) = %.17g, want exactly %.17g", x, got, want)
		}
		worst = math.Max(worst, math.Abs(got-want))
		p, q := got-tab(float64(x+1)), want-direct(float64(x+1))
		m1, m2 = m1+float64(x)*p, m2+float64(x)*float64(x)*p
		e1, e2 = e1+float64(x)*q, e2+float64(x)*float64(x)*q
	}
	if worst > 1e-11 {
		t.Errorf("largest |S error| %.3g, want < 1e-11", worst)
	}
	near(t, "mean / exact mean", m1/e1, 1, 1e-9)
	near(t, "second moment / exact", m2/e2, 1, 1e-9)
	if tab(xmax+1) != 0 || tab(1) != 1 {
		t.Errorf("ends: S(1) = %g, S(x_max+1) = %g, want 1 and 0", tab(1), tab(xmax+1))
	}
}
