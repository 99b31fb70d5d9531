package dist

import (
	"fmt"
	"math"
)

// Discrete is a law on the integers lo…hi of its support, given by its survival
// function. PowerLaw, DiscreteLogNormal, ShiftedDiscreteLogNormal and
// TruncatedGeometric implement it, and so may a tabulated copy of one (fit's).
type Discrete interface {
	// Support returns the smallest and the largest value the law can take.
	Support() (lo, hi int)
	// SurvivalFunc returns S(x) = P(X ≥ x) = P(X ≥ ⌈x⌉), 1 at or below lo and 0
	// above hi, with the parameter-only constants computed once.
	SurvivalFunc() func(x float64) float64
	// ProbFunc returns P(X = x) for the integers of the support, with the
	// parameter-only constants computed once.
	ProbFunc() func(x int) float64
}

// onSupport is the survival function of a law on the integers lo…hi:
// S(x) = P(X ≥ ⌈x⌉), which is 1 at or below lo and 0 above hi; inner gives S at the
// integers strictly inside.
func onSupport(lo, hi int, inner func(x float64) float64) func(float64) float64 {
	return func(x float64) float64 {
		x = math.Ceil(x)
		if x <= float64(lo) {
			return 1
		}
		if x > float64(hi) {
			return 0
		}
		return inner(x)
	}
}

// checkSupport panics when lo…hi is empty or starts below least.
func checkSupport(law string, lo, hi, least int) {
	if lo > hi || lo < least {
		panic(fmt.Sprintf("dist: %s: support %d…%d is empty or starts below %d", law, lo, hi, least))
	}
}

// checkP panics when p is not a probability.
func checkP(law string, p float64) {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("dist: %s.Quantile: p = %g is outside [0, 1]", law, p))
	}
}

// Quantile returns the smallest integer x of d's support with P(X ≤ x) ≥ p, by
// bisection on the survival function: P(X ≤ x) = 1 − S(x + 1). It evaluates S about
// log₂(hi − lo) times, whatever the size of the support.
func Quantile(d Discrete, p float64) int {
	checkP("Discrete", p)
	lo, hi := d.Support()
	return quantile(d.SurvivalFunc(), p, lo, hi)
}

// quantile is the bisection of Quantile on lo…hi.
func quantile(surv func(float64) float64, p float64, lo, hi int) int {
	for lo < hi { // the answer lies in [lo, hi]
		mid := lo + (hi-lo)/2
		if 1-surv(float64(mid)+1) >= p {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// settle returns the smallest x in lo…hi with 1 − S(x + 1) ≥ p, walking from a guess
// x (a closed form's, off by at most a step or two from rounding); a guess that is
// not a number, or far off, is left to the bisection.
func settle(surv func(float64) float64, p float64, x float64, lo, hi int) int {
	cdf := func(x int) float64 { return 1 - surv(float64(x)+1) }
	if !(x >= float64(lo) && x <= float64(hi)) {
		x = math.Max(math.Min(x, float64(hi)), float64(lo)) // clamps ±Inf; NaN stays
		if math.IsNaN(x) {
			return quantile(surv, p, lo, hi)
		}
	}
	k := int(x)
	for range 4 {
		switch {
		case cdf(k) < p && k < hi:
			k++
		case k > lo && cdf(k-1) >= p:
			k--
		default:
			return k
		}
	}
	return quantile(surv, p, lo, hi)
}

// CDF returns P(X ≤ x) = 1 − S(⌊x⌋ + 1) of d.
func CDF(d Discrete, x float64) float64 { return 1 - d.SurvivalFunc()(math.Floor(x)+1) }

// Mean returns E[X] of d as lo + Σ_{x>lo} P(X ≥ x), a sum over the whole support.
func Mean(d Discrete) float64 {
	surv := d.SurvivalFunc()
	lo, hi := d.Support()
	s := float64(lo)
	for x := lo + 1; x <= hi; x++ {
		s += surv(float64(x))
	}
	return s
}

// mass returns S(lo) − S(hi) = P(lo ≤ X < hi).
func mass(surv func(float64) float64, lo, hi float64) float64 { return surv(lo) - surv(hi) }
