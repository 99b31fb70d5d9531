package stats

import "math"

// TotalVariation is the total variation distance ½ Σ |p_i − q_i| after normalising each of
// p and q to sum 1: the largest difference in probability the two distributions give to
// any set of bins, in [0, 1]. Two empty (all-zero) inputs give 0, one empty input gives 1.
// Lengths must match and values be finite and ≥ 0 (panics otherwise).
func TotalVariation(p, q []float64) float64 {
	sp, sq, ok := normalisers("TotalVariation", p, q)
	if !ok {
		return emptyDistance(sp, sq)
	}
	var s float64
	for i := range p {
		s += math.Abs(p[i]/sp - q[i]/sq)
	}
	return min(1, s/2)
}

// JensenShannon is the Jensen–Shannon distance: the square root of the JS divergence in
// base 2, JSD = ½ KL(p‖m) + ½ KL(q‖m) with m = (p+q)/2, after normalising p and q to sum
// 1. It is a metric in [0, 1] (Endres & Schindelin 2003); SciPy's
// scipy.spatial.distance.jensenshannon(p, q, base=2) computes the same. Empty inputs as
// TotalVariation; lengths must match and values be finite and ≥ 0 (panics otherwise).
func JensenShannon(p, q []float64) float64 {
	sp, sq, ok := normalisers("JensenShannon", p, q)
	if !ok {
		return emptyDistance(sp, sq)
	}
	var js float64
	for i := range p {
		a, b := p[i]/sp, q[i]/sq
		m := (a + b) / 2
		if a > 0 {
			js += a * math.Log2(a/m)
		}
		if b > 0 {
			js += b * math.Log2(b/m)
		}
	}
	return math.Sqrt(min(1, max(0, js/2)))
}

// RelativeError is (got − want)/|want|: signed, so −0.1 means 10% short. When want = 0 it
// is 0 if got = 0 too and ±Inf (the sign of got) otherwise: any departure from an exact
// zero is infinitely large relative to it, and a caller that gates on |RelativeError| ≤
// tol fails it, as it should. (±Inf does not encode as JSON: callers that publish the
// value check math.IsInf.) NaN in either gives NaN.
func RelativeError(got, want float64) float64 {
	if want == 0 {
		switch {
		case got == 0:
			return 0
		case got > 0:
			return math.Inf(1)
		case got < 0:
			return math.Inf(-1)
		}
		return math.NaN()
	}
	return (got - want) / math.Abs(want)
}

func normalisers(fn string, p, q []float64) (sp, sq float64, ok bool) {
	if len(p) != len(q) {
		panic("stats: " + fn + ": distributions differ in length")
	}
	checkWeights(fn, p)
	checkWeights(fn, q)
	sp, sq = sum(p), sum(q)
	return sp, sq, sp > 0 && sq > 0
}

func emptyDistance(sp, sq float64) float64 {
	if sp == 0 && sq == 0 {
		return 0
	}
	return 1
}
