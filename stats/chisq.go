package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultMinExpected is the smallest expected count per bin that the chi-squared tests
// accept before merging bins (Cochran's rule of thumb); a minExpected ≤ 0 means this.
const DefaultMinExpected = 5

// ChiSquaredResult is a chi-squared test result.
type ChiSquaredResult struct {
	Stat       float64
	DF         float64
	PValue     float64 // from gonum's distuv.ChiSquared survival function
	MergedBins int     // how many bins were merged to keep expected counts ≥ MinExpected
}

// ChiSquaredHistograms is the two-sample (homogeneity) test between two histograms over the same
// bins with different totals: the totals are scaled (Numerical Recipes' chstwo form,
// Σ (√(M/N)·a_i − √(N/M)·b_i)² / (a_i + b_i)), adjacent bins merged until each expected count
// ≥ minExpected (5 if ≤ 0); df = bins − 1 after merging.
//
// N = Σa, M = Σb. The statistic equals Pearson's X² of the 2×k contingency table
// (Numerical Recipes, 3rd ed., §14.3.2). Bin i's expected counts are N·t_i/(N+M) and
// M·t_i/(N+M), t_i = a_i + b_i; bins are merged upward until the smaller of the two
// reaches minExpected, and a trailing group still short merges into the group below (so
// empty bins vanish). MergedBins = len(a) − bins after merging. Fewer than two bins after
// merging leave nothing to test: Stat 0, DF 0, PValue 1. An empty histogram gives NaN
// Stat and PValue. Lengths must match and counts be finite and ≥ 0 (panics otherwise).
func ChiSquaredHistograms(a, b []float64, minExpected float64) ChiSquaredResult {
	if len(a) != len(b) {
		panic("stats: ChiSquaredHistograms: histograms differ in length")
	}
	checkWeights("ChiSquaredHistograms", a)
	checkWeights("ChiSquaredHistograms", b)
	if minExpected <= 0 {
		minExpected = DefaultMinExpected
	}
	n, m := sum(a), sum(b)
	if n == 0 || m == 0 {
		return ChiSquaredResult{Stat: math.NaN(), PValue: math.NaN()}
	}
	share := min(n, m) / (n + m)
	expected := make([]float64, len(a))
	for i := range a {
		expected[i] = (a[i] + b[i]) * share
	}
	groups := mergeBins(expected, minExpected)
	ra, rb := math.Sqrt(m/n), math.Sqrt(n/m)
	var stat float64
	for _, g := range groups {
		ga, gb := sum(a[g[0]:g[1]]), sum(b[g[0]:g[1]])
		d := ra*ga - rb*gb
		stat += d * d / (ga + gb)
	}
	return chiResult(stat, float64(len(groups)-1), len(a)-len(groups))
}

// ChiSquaredGOF: observed counts against a model's bin probabilities (summing to 1), with
// fittedParams subtracted from the degrees of freedom; same merging rule.
//
// X² = Σ (O_i − E_i)²/E_i with E_i = n·p_i, n = ΣO (Pearson 1900). probs are normalised
// by their sum, so a model that lost tail mass is compared on the bins given. Bins are
// merged upward until E ≥ minExpected (5 if ≤ 0), a short trailing group into the one
// below; df = bins after merging − 1 − fittedParams. df ≤ 0 leaves nothing to test:
// DF 0 and PValue 1 (Stat is still reported). Zero observations or zero total probability give NaN
// Stat and PValue. Lengths must match and values be finite and ≥ 0 (panics otherwise).
func ChiSquaredGOF(observed, probs []float64, fittedParams int, minExpected float64) ChiSquaredResult {
	return gof("ChiSquaredGOF", observed, probs, fittedParams, minExpected, func(o, e float64) float64 {
		d := o - e
		return d * d / e
	})
}

// GTestGOF: the likelihood-ratio (G) version of ChiSquaredGOF.
//
// G = 2 Σ O_i ln(O_i/E_i) (a term with O_i = 0 is 0), over the same merged bins and with
// the same degrees of freedom as ChiSquaredGOF (Sokal & Rohlf, Biometry, §17.1).
func GTestGOF(observed, probs []float64, fittedParams int, minExpected float64) ChiSquaredResult {
	return gof("GTestGOF", observed, probs, fittedParams, minExpected, func(o, e float64) float64 {
		if o == 0 {
			return 0
		}
		return 2 * o * math.Log(o/e)
	})
}

// ChiSquaredSurvival is P(X > x) for a chi-squared variable with df degrees of freedom
// (gonum's distuv.ChiSquared). df ≤ 0 gives 1: no test.
func ChiSquaredSurvival(x, df float64) float64 {
	if math.IsNaN(x) || math.IsNaN(df) {
		return math.NaN()
	}
	if df <= 0 {
		return 1
	}
	return distuv.ChiSquared{K: df}.Survival(x)
}

// ChiSquaredPValueAtN is the p-value a chi-squared statistic computed over n observations
// would have over nCap observations with the same effect: at a fixed difference between
// distributions X² grows linearly with n (X² = n·w², Cohen's w), so the statistic is
// scaled by nCap/n when n > nCap. Like KSPValueAtN, it is information for reports, not a
// gate.
func ChiSquaredPValueAtN(stat, df, n, nCap float64) float64 {
	if n > nCap && nCap > 0 {
		stat *= nCap / n
	}
	return ChiSquaredSurvival(stat, df)
}

// CohenW is Cohen's effect size w = √(X²/n) of a chi-squared statistic over n
// observations (for two histograms, n = N + M): 0.1 small, 0.3 medium, 0.5 large
// (Cohen 1988, §7.2). It does not grow with n. n ≤ 0 gives NaN.
func CohenW(stat, n float64) float64 {
	if !(n > 0) {
		return math.NaN()
	}
	return math.Sqrt(stat / n)
}

func gof(fn string, observed, probs []float64, fittedParams int, minExpected float64, term func(o, e float64) float64) ChiSquaredResult {
	if len(observed) != len(probs) {
		panic("stats: " + fn + ": observed and probs differ in length")
	}
	checkWeights(fn, observed)
	checkWeights(fn, probs)
	if minExpected <= 0 {
		minExpected = DefaultMinExpected
	}
	n, ps := sum(observed), sum(probs)
	if n == 0 || ps == 0 {
		return ChiSquaredResult{Stat: math.NaN(), PValue: math.NaN()}
	}
	expected := make([]float64, len(probs))
	for i, p := range probs {
		expected[i] = n * p / ps
	}
	groups := mergeBins(expected, minExpected)
	var stat float64
	for _, g := range groups {
		stat += term(sum(observed[g[0]:g[1]]), sum(expected[g[0]:g[1]]))
	}
	return chiResult(stat, float64(len(groups)-1-fittedParams), len(observed)-len(groups))
}

func chiResult(stat, df float64, merged int) ChiSquaredResult {
	df = max(0, df)
	stat = max(0, stat) // rounding can leave −1e-16 where the statistic is 0
	return ChiSquaredResult{Stat: stat, DF: df, PValue: ChiSquaredSurvival(stat, df), MergedBins: merged}
}

// mergeBins groups adjacent bins, walking upward: a group closes as soon as its summed
// expected count reaches minExpected; a trailing group still short joins the last closed
// group. The result is a list of half-open index ranges [lo, hi) covering all bins; it is
// one group when even the total is short.
func mergeBins(expected []float64, minExpected float64) [][2]int {
	var groups [][2]int
	start := 0
	var acc float64
	for i, e := range expected {
		acc += e
		if acc >= minExpected {
			groups = append(groups, [2]int{start, i + 1})
			start, acc = i+1, 0
		}
	}
	if start < len(expected) {
		if len(groups) == 0 {
			groups = append(groups, [2]int{start, len(expected)})
		} else {
			groups[len(groups)-1][1] = len(expected)
		}
	}
	return groups
}
