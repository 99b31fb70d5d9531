package dist

import (
	"fmt"
	"sort"
)

// Bounds of Inverse's table: it holds the CDF at every integer from the law's lo up to
// where no more than inverseTailMass is left above, or inverseMaxTable values.
const (
	inverseTailMass = 1e-6
	inverseMaxTable = 1 << 20
)

// Inverse is a discrete law's quantile function precomputed for many calls: the CDF
// at every integer of the body of the support (from lo until at most 10⁻⁶ of the mass
// is left above, at most 2²⁰ values), summed from the point masses, and a guide table
// that sends p to the few table entries its answer lies between (Devroye 1986,
// Non-Uniform Random Variate Generation, §III.2.4, the guide table of the inversion
// method), so a quantile costs a table look-up and a short binary search. Beyond the
// table, where at most 10⁻⁶ of the mass (or, on a power law's long support, the mass
// above its 2²⁰-th value) lies, it bisects the law's survival function as Quantile
// does. The answer is Quantile's, the smallest integer x with CDF(x) ≥ p, up to the
// rounding of the summed CDF (a few 10⁻¹⁶) at a p that falls on a step.
type Inverse struct {
	lo, hi int
	cdf    []float64 // cdf[i] = P(X ≤ lo + i)
	guide  []int32   // guide[j] = the smallest i with cdf[i] ≥ j/(len(guide) − 1)
	surv   func(float64) float64
}

// NewInverse tabulates d's quantile function. It returns an error when d has no mass
// (a normaliser of 0 or NaN, as parameters far outside the support give).
func NewInverse(d Discrete) (*Inverse, error) {
	lo, hi := d.Support()
	prob := d.ProbFunc()
	v := &Inverse{lo: lo, hi: hi, surv: d.SurvivalFunc()}
	n := min(hi-lo+1, inverseMaxTable)
	v.cdf = make([]float64, 0, n)
	var acc, carry float64 // Neumaier's compensated sum: carry holds what acc lost
	for i := range n {
		p := prob(lo + i)
		if !(p >= 0) || p > 1 {
			return nil, fmt.Errorf("the law has no mass on %d…%d (P(X = %d) is %g)", lo, hi, lo+i, p)
		}
		t := acc + p
		if acc >= p {
			carry += (acc - t) + p
		} else {
			carry += (p - t) + acc
		}
		acc = t
		v.cdf = append(v.cdf, acc+carry)
		if 1-acc < inverseTailMass {
			break
		}
	}
	if len(v.cdf) < cap(v.cdf)/2 { // stopped early: keep only what is used
		v.cdf = append([]float64(nil), v.cdf...)
	}
	acc += carry
	if !(acc > 0) {
		return nil, fmt.Errorf("the law has no mass on %d…%d", lo, hi)
	}
	g := min(4*len(v.cdf), 1<<16)
	v.guide = make([]int32, g+1)
	i := 0
	for j := range v.guide {
		u := float64(j) / float64(g)
		for i < len(v.cdf)-1 && v.cdf[i] < u {
			i++
		}
		v.guide[j] = int32(i)
	}
	return v, nil
}

// Quantile returns the smallest integer x with CDF(x) ≥ p. 0 ≤ p ≤ 1.
func (v *Inverse) Quantile(p float64) int {
	checkP("Inverse", p)
	last := len(v.cdf) - 1
	if p > v.cdf[last] {
		if v.lo+last == v.hi {
			return v.hi // the table covers the support; p is above its rounding
		}
		return quantile(v.surv, p, v.lo+last+1, v.hi)
	}
	g := len(v.guide) - 1
	j := min(int(p*float64(g)), g-1)
	a, b := int(v.guide[j]), int(v.guide[j+1]) // cdf[a−1] < j/g ≤ p and cdf[b] ≥ p
	return v.lo + a + sort.SearchFloat64s(v.cdf[a:b+1], p)
}
