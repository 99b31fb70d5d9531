package dist

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ShiftedDiscreteLogNormal is ⌊Shift + Y⌋ for Y log-normal, ln Y ~ N(μ, σ²),
// conditioned on XMin ≤ ⌊Shift + Y⌋ ≤ XMax (the spec's "shifted_discrete_lognormal"):
// the three-parameter log-normal with threshold Shift (Aitchison & Brown 1957, The
// Lognormal Distribution, ch. 9; Johnson, Kotz & Balakrishnan 1994, Continuous
// Univariate Distributions 1, §14.2), floored to the integers:
//
//	P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))),  z(y) = (ln(y − Shift) − μ)/σ,
//
// with Q(z(y)) = 1 for y ≤ Shift. Shift = 0 is DiscreteLogNormal. A conversation
// count often has a floor below which the log-normal's body does not reach (a
// question and its answer): log-normal in x − Shift, its left tail is pulled in
// towards Shift while its right tail keeps the weight of the unshifted law's, which a
// log-normal in x itself can only fit by narrowing σ (and so losing the tail). XMin ≥
// 1, 0 ≤ Shift < XMin + 1 (so that XMin has mass).
type ShiftedDiscreteLogNormal struct {
	Mu, Sigma, Shift float64
	XMin, XMax       int
}

// Support returns XMin, XMax.
func (d ShiftedDiscreteLogNormal) Support() (lo, hi int) { return d.XMin, d.XMax }

// upper is P(Shift + Y ≥ y) = Q(z(y)).
func (d ShiftedDiscreteLogNormal) upper(y float64) float64 {
	if y <= d.Shift {
		return 1
	}
	return 0.5 * math.Erfc((math.Log(y-d.Shift)-d.Mu)/d.Sigma/math.Sqrt2)
}

// norm returns Q(z(XMax+1)) and the normaliser Q(z(XMin)) − Q(z(XMax+1)).
func (d ShiftedDiscreteLogNormal) norm() (top, norm float64) {
	checkSupport("ShiftedDiscreteLogNormal", d.XMin, d.XMax, 1)
	if !(d.Shift >= 0 && d.Shift < float64(d.XMin)+1) {
		panic(fmt.Sprintf("dist: ShiftedDiscreteLogNormal: shift %g is outside [0, %d)", d.Shift, d.XMin+1))
	}
	top = d.upper(float64(d.XMax) + 1)
	return top, d.upper(float64(d.XMin)) - top
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (Q(z(⌈x⌉)) − Q(z(XMax+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d ShiftedDiscreteLogNormal) SurvivalFunc() func(float64) float64 {
	top, norm := d.norm()
	return onSupport(d.XMin, d.XMax, func(x float64) float64 {
		return (d.upper(x) - top) / norm
	})
}

// ProbFunc returns P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d ShiftedDiscreteLogNormal) ProbFunc() func(int) float64 {
	_, norm := d.norm()
	return func(x int) float64 {
		if x < d.XMin || x > d.XMax {
			return 0
		}
		return (d.upper(float64(x)) - d.upper(float64(x)+1)) / norm
	}
}

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (d ShiftedDiscreteLogNormal) Mass(lo, hi float64) float64 {
	return mass(d.SurvivalFunc(), lo, hi)
}

// Quantile returns the smallest integer x with CDF(x) ≥ p. CDF(x) ≥ p is
// S(x+1) ≤ 1 − p, Q(z(x+1)) ≤ t with t = Q(z(XMax+1)) + (1 − p)·(Q(z(XMin)) −
// Q(z(XMax+1))), so x + 1 − Shift ≥ exp(μ − σ·Φ⁻¹(t)) and x = ⌈Shift + exp(μ −
// σ·Φ⁻¹(t))⌉ − 1; the closed form's rounding is settled against the survival
// function itself.
func (d ShiftedDiscreteLogNormal) Quantile(p float64) int {
	checkP("ShiftedDiscreteLogNormal", p)
	top, norm := d.norm()
	t := min(max(top+(1-p)*norm, 0), 1)
	x := math.Ceil(d.Shift+math.Exp(d.Mu-d.Sigma*mathext.NormalQuantile(t))) - 1
	return settle(d.SurvivalFunc(), p, x, d.XMin, d.XMax)
}

// Mean returns E[X] = XMin + Σ_{x>XMin} S(x), summed over the support.
func (d ShiftedDiscreteLogNormal) Mean() float64 { return Mean(d) }
