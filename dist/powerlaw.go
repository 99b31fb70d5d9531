package dist

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// PowerLaw is the discrete power law on XMin…XMax,
//
//	P(X = x) = x^(−α) / (ζ(α, XMin) − ζ(α, XMax+1)),
//
// ζ the Hurwitz zeta function ζ(α, q) = Σ_{k≥0} (k+q)^(−α) (Clauset, Shalizi & Newman
// 2009, "Power-law distributions in empirical data", SIAM Review 51(4):661–703,
// eq. 2.4, here truncated above at XMax). α > 1 keeps it a law as XMax grows; on a
// finite support any α > 0 is one. XMin ≥ 1.
type PowerLaw struct {
	Alpha      float64
	XMin, XMax int
}

// Support returns XMin, XMax.
func (p PowerLaw) Support() (lo, hi int) { return p.XMin, p.XMax }

// norm returns ζ(α, XMax+1) and the normaliser ζ(α, XMin) − ζ(α, XMax+1).
func (p PowerLaw) norm() (top, norm float64) {
	checkSupport("PowerLaw", p.XMin, p.XMax, 1)
	top = mathext.Zeta(p.Alpha, float64(p.XMax)+1)
	return top, mathext.Zeta(p.Alpha, float64(p.XMin)) - top
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (ζ(α, ⌈x⌉) − ζ(α, XMax+1)) / (ζ(α, XMin) − ζ(α, XMax+1)).
func (p PowerLaw) SurvivalFunc() func(float64) float64 {
	top, norm := p.norm()
	return onSupport(p.XMin, p.XMax, func(x float64) float64 {
		return (mathext.Zeta(p.Alpha, x) - top) / norm
	})
}

// ProbFunc returns P(X = x) = x^(−α) / (ζ(α, XMin) − ζ(α, XMax+1)): one power per value.
func (p PowerLaw) ProbFunc() func(int) float64 {
	_, norm := p.norm()
	return func(x int) float64 {
		if x < p.XMin || x > p.XMax {
			return 0
		}
		return math.Pow(float64(x), -p.Alpha) / norm
	}
}

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (p PowerLaw) Mass(lo, hi float64) float64 { return mass(p.SurvivalFunc(), lo, hi) }

// Quantile returns the smallest integer x with CDF(x) ≥ p, by bisection (Quantile).
func (p PowerLaw) Quantile(prob float64) int {
	checkP("PowerLaw", prob)
	return quantile(p.SurvivalFunc(), prob, p.XMin, p.XMax)
}

// Mean returns E[X] = (ζ(α−1, XMin) − ζ(α−1, XMax+1)) / (ζ(α, XMin) − ζ(α, XMax+1)), summed
// directly when α − 1 ≤ 1 where the first zeta diverges.
func (p PowerLaw) Mean() float64 {
	_, norm := p.norm()
	lo, hi := float64(p.XMin), float64(p.XMax)+1
	if p.Alpha > 2 {
		return (mathext.Zeta(p.Alpha-1, lo) - mathext.Zeta(p.Alpha-1, hi)) / norm
	}
	var s float64
	for x := p.XMin; x <= p.XMax; x++ {
		s += math.Pow(float64(x), 1-p.Alpha)
	}
	return s / norm
}
