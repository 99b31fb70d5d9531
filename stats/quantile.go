package stats

import (
	"math"
	"sort"
)

// Quantile is the weighted p-quantile of values. Weights are frequency weights (a weight
// of 3 is the value occurring 3 times; nil means all 1), and the quantile is R's type 7,
// PostgreSQL's percentile_cont, over that expanded sample: with the values sorted, the
// value at 0-based rank r is the one whose cumulative weight first exceeds r, and the
// result interpolates linearly between ranks ⌊h⌋ and ⌊h⌋+1 at h = p·(W − 1), W = Σw
// (Hyndman & Fan 1996, definition 7). For unit weights this is percentile_cont(p) exactly.
// Non-integer weights are allowed: the same formula with fractional ranks, h clamped to
// [0, W − 1] (rank 0 when W < 1). gonum's stat.Quantile offers only the empirical and
// Hyndman–Fan type 4 interpolations, hence this function.
//
// Empty input or zero total weight gives NaN. p outside [0, 1], a NaN value, a negative
// or non-finite weight, or mismatched lengths panic.
func Quantile(p float64, values, weights []float64) float64 {
	if !(p >= 0 && p <= 1) {
		panic("stats: Quantile: p outside [0, 1]")
	}
	if weights == nil {
		weights = make([]float64, len(values))
		for i := range weights {
			weights[i] = 1
		}
	}
	if len(values) != len(weights) {
		panic("stats: Quantile: values and weights differ in length")
	}
	checkWeights("Quantile", weights)
	ps := sortedPoints(values, weights)
	w, _ := weightSums(ps)
	if len(ps) == 0 || w == 0 {
		return math.NaN()
	}
	h := min(max(0, p*(w-1)), max(0, w-1))
	lo := math.Floor(h)
	// at returns the value at rank r: the first point whose cumulative weight exceeds r.
	cum := make([]float64, len(ps))
	var c float64
	for i, pt := range ps {
		c += pt.w
		cum[i] = c
	}
	at := func(r float64) float64 {
		k := sort.Search(len(cum), func(i int) bool { return cum[i] > r })
		return ps[min(k, len(ps)-1)].v
	}
	v0 := at(lo)
	if h == lo {
		return v0
	}
	return v0 + (h-lo)*(at(lo+1)-v0)
}

// HistogramQuantile is the p-quantile of a binned distribution: bucket i holds counts[i]
// values in [lo[i], lo[i+1]), and values are taken as spread uniformly inside each
// bucket, so the quantile is the grouped-data formula L + (p·N − C)/f · w: L, f and w the
// lower bound, count and width of the bucket where the cumulative count C + f first
// reaches p·N, C the count below it. Empty buckets are skipped (p = 0 gives the lower
// bound of the first non-empty bucket). The last bucket is open above and has no width:
// a quantile that falls in it is reported as its lower bound, which is a lower bound of
// the true quantile; both sides of a comparison over the same grid get the same
// treatment. lo must increase strictly and match counts in length; counts must be finite
// and ≥ 0; p must lie in [0, 1] (panics otherwise). No data gives NaN.
func HistogramQuantile(p float64, lo []float64, counts []float64) float64 {
	if !(p >= 0 && p <= 1) {
		panic("stats: HistogramQuantile: p outside [0, 1]")
	}
	if len(lo) != len(counts) {
		panic("stats: HistogramQuantile: bounds and counts differ in length")
	}
	for i := 1; i < len(lo); i++ {
		if !(lo[i] > lo[i-1]) {
			panic("stats: HistogramQuantile: bucket bounds must increase strictly")
		}
	}
	checkWeights("HistogramQuantile", counts)
	n := sum(counts)
	if n == 0 {
		return math.NaN()
	}
	target := p * n
	var below float64
	for i, f := range counts {
		if f == 0 {
			continue
		}
		if below+f >= target || i == len(counts)-1 {
			if i == len(counts)-1 {
				return lo[i]
			}
			frac := min(1, max(0, (target-below)/f))
			return lo[i] + frac*(lo[i+1]-lo[i])
		}
		below += f
	}
	// Rounding left target above the total: the top of the last non-empty bucket.
	for i := len(counts) - 1; i >= 0; i-- {
		if counts[i] > 0 {
			return lo[i+1]
		}
	}
	return math.NaN()
}
