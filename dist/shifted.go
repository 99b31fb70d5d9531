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

func (d ShiftedDiscreteLogNormal) core() floorLogNormal {
	return floorLogNormal{"ShiftedDiscreteLogNormal", d.Mu, d.Sigma, d.Shift, d.XMin, d.XMax}
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (Q(z(⌈x⌉)) − Q(z(XMax+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d ShiftedDiscreteLogNormal) SurvivalFunc() func(float64) float64 {
	return d.core().survivalFunc()
}

// ProbFunc returns P(X = x) = (Q(z(x)) − Q(z(x+1))) / (Q(z(XMin)) − Q(z(XMax+1))).
func (d ShiftedDiscreteLogNormal) ProbFunc() func(int) float64 { return d.core().probFunc() }

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (d ShiftedDiscreteLogNormal) Mass(lo, hi float64) float64 {
	return mass(d.SurvivalFunc(), lo, hi)
}

// Quantile returns the smallest integer x with CDF(x) ≥ p (floorLogNormal.quantile).
func (d ShiftedDiscreteLogNormal) Quantile(p float64) int { return d.core().quantile(p) }

// Mean returns E[X] = XMin + Σ_{x>XMin} S(x), summed over the support.
func (d ShiftedDiscreteLogNormal) Mean() float64 { return Mean(d) }

// floorLogNormal is ⌊Shift + Y⌋ for Y log-normal, conditioned on XMin ≤ X ≤ XMax: the
// arithmetic of ShiftedDiscreteLogNormal and of DiscreteLogNormal (Shift 0), with the
// law's name for its panics.
type floorLogNormal struct {
	law              string
	mu, sigma, shift float64
	xmin, xmax       int
}

// upper is P(Shift + Y ≥ y) = Q(z(y)), z(y) = (ln(y − Shift) − μ)/σ, with erfc so that
// far-tail masses keep their relative precision.
func (d floorLogNormal) upper(y float64) float64 {
	if y <= d.shift {
		return 1
	}
	return 0.5 * math.Erfc((math.Log(y-d.shift)-d.mu)/d.sigma/math.Sqrt2)
}

// norm returns Q(z(XMax+1)) and the normaliser Q(z(XMin)) − Q(z(XMax+1)).
func (d floorLogNormal) norm() (top, norm float64) {
	checkSupport(d.law, d.xmin, d.xmax, 1)
	if !(d.shift >= 0 && d.shift < float64(d.xmin)+1) {
		panic(fmt.Sprintf("dist: %s: shift %g is outside [0, %d)", d.law, d.shift, d.xmin+1))
	}
	top = d.upper(float64(d.xmax) + 1)
	return top, d.upper(float64(d.xmin)) - top
}

func (d floorLogNormal) survivalFunc() func(float64) float64 {
	top, norm := d.norm()
	return onSupport(d.xmin, d.xmax, func(x float64) float64 {
		return (d.upper(x) - top) / norm
	})
}

func (d floorLogNormal) probFunc() func(int) float64 {
	_, norm := d.norm()
	return func(x int) float64 {
		if x < d.xmin || x > d.xmax {
			return 0
		}
		return (d.upper(float64(x)) - d.upper(float64(x)+1)) / norm
	}
}

// quantile: CDF(x) ≥ p is S(x+1) ≤ 1 − p, Q(z(x+1)) ≤ t with t = Q(z(XMax+1)) +
// (1 − p)·(Q(z(XMin)) − Q(z(XMax+1))), so x + 1 − Shift ≥ exp(μ − σ·Φ⁻¹(t))
// (Q⁻¹(t) = −Φ⁻¹(t)) and x = ⌈Shift + exp(μ − σ·Φ⁻¹(t))⌉ − 1; the closed form's
// rounding is settled against the survival function itself.
func (d floorLogNormal) quantile(p float64) int {
	checkP(d.law, p)
	top, norm := d.norm()
	t := min(max(top+(1-p)*norm, 0), 1)
	x := math.Ceil(d.shift+math.Exp(d.mu-d.sigma*mathext.NormalQuantile(t))) - 1
	return settle(d.survivalFunc(), p, x, d.xmin, d.xmax)
}
