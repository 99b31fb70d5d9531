package dist

// DiscreteLogNormal is ⌊Y⌋ for Y log-normal, ln Y ~ N(μ, σ²), conditioned on
// XMin ≤ ⌊Y⌋ ≤ XMax (the spec's "discrete_lognormal"):
//
//	P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))),  z(y) = (ln y − μ)/σ,
//
// Q(z) = 1 − Φ(z) the standard normal upper tail, computed with erfc so that far-tail
// masses keep their relative precision. XMin ≥ 1.
type DiscreteLogNormal struct {
	Mu, Sigma  float64
	XMin, XMax int
}

// Support returns XMin, XMax.
func (d DiscreteLogNormal) Support() (lo, hi int) { return d.XMin, d.XMax }

func (d DiscreteLogNormal) core() floorLogNormal {
	return floorLogNormal{"DiscreteLogNormal", d.Mu, d.Sigma, 0, d.XMin, d.XMax}
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (Q(z(⌈x⌉)) − Q(z(XMax+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d DiscreteLogNormal) SurvivalFunc() func(float64) float64 { return d.core().survivalFunc() }

// ProbFunc returns P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d DiscreteLogNormal) ProbFunc() func(int) float64 { return d.core().probFunc() }

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (d DiscreteLogNormal) Mass(lo, hi float64) float64 { return mass(d.SurvivalFunc(), lo, hi) }

// Quantile returns the smallest integer x with CDF(x) ≥ p: x = ⌈exp(μ − σ·Φ⁻¹(t))⌉ − 1
// settled against the survival function (floorLogNormal.quantile, Shift 0).
func (d DiscreteLogNormal) Quantile(p float64) int { return d.core().quantile(p) }

// Mean returns E[X] = XMin + Σ_{x>XMin} S(x), summed over the support (no closed form:
// the floor takes E[Y − ⌊Y⌋] off the continuous law's mean).
func (d DiscreteLogNormal) Mean() float64 { return Mean(d) }
