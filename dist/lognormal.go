package dist

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

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

// upper is P(Y ≥ y) = Q(z(y)) of the continuous log-normal.
func (d DiscreteLogNormal) upper(y float64) float64 {
	if y <= 0 {
		return 1
	}
	return 0.5 * math.Erfc((math.Log(y)-d.Mu)/d.Sigma/math.Sqrt2)
}

// norm returns Q(z(XMax+1)) and the normaliser Q(z(XMin)) − Q(z(XMax+1)).
func (d DiscreteLogNormal) norm() (top, norm float64) {
	checkSupport("DiscreteLogNormal", d.XMin, d.XMax, 1)
	top = d.upper(float64(d.XMax) + 1)
	return top, d.upper(float64(d.XMin)) - top
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (Q(z(⌈x⌉)) − Q(z(XMax+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d DiscreteLogNormal) SurvivalFunc() func(float64) float64 {
	top, norm := d.norm()
	return onSupport(d.XMin, d.XMax, func(x float64) float64 {
		return (d.upper(x) - top) / norm
	})
}

// ProbFunc returns P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d DiscreteLogNormal) ProbFunc() func(int) float64 {
	_, norm := d.norm()
	return func(x int) float64 {
		if x < d.XMin || x > d.XMax {
			return 0
		}
		return (d.upper(float64(x)) - d.upper(float64(x)+1)) / norm
	}
}

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (d DiscreteLogNormal) Mass(lo, hi float64) float64 { return mass(d.SurvivalFunc(), lo, hi) }

// Quantile returns the smallest integer x with CDF(x) ≥ p. CDF(x) ≥ p is
// S(x+1) ≤ 1 − p, Q(z(x+1)) ≤ t with t = Q(z(XMax+1)) + (1 − p)·(Q(z(XMin)) −
// Q(z(XMax+1))), so x = ⌈exp(μ − σ·Φ⁻¹(t))⌉ − 1 (Q⁻¹(t) = −Φ⁻¹(t)); the closed form's
// rounding is settled against the survival function itself.
func (d DiscreteLogNormal) Quantile(p float64) int {
	checkP("DiscreteLogNormal", p)
	top, norm := d.norm()
	t := min(max(top+(1-p)*norm, 0), 1)
	x := math.Ceil(math.Exp(d.Mu-d.Sigma*mathext.NormalQuantile(t))) - 1
	return settle(d.SurvivalFunc(), p, x, d.XMin, d.XMax)
}

// Mean returns E[X] = XMin + Σ_{x>XMin} S(x), summed over the support (no closed form:
// the floor takes E[Y − ⌊Y⌋] off the continuous law's mean).
func (d DiscreteLogNormal) Mean() float64 { return Mean(d) }
