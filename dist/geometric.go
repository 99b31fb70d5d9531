package dist

import "math"

// TruncatedGeometric is the geometric law of the number of failures before the first
// success, shifted to Min and conditioned on X ≤ Max: with q = 1 − P and
// n = Max − Min + 1,
//
//	P(X = x) = q^(x−Min) P / (1 − qⁿ),  x = Min…Max,
//
// (Johnson, Kemp & Kotz, Univariate Discrete Distributions, 3rd ed., §5.2, truncated
// above). 0 < P ≤ 1.
type TruncatedGeometric struct {
	P        float64
	Min, Max int
}

// Support returns Min, Max.
func (g TruncatedGeometric) Support() (lo, hi int) { return g.Min, g.Max }

// tail returns qⁿ, the mass the truncation removes.
func (g TruncatedGeometric) tail() float64 {
	checkSupport("TruncatedGeometric", g.Min, g.Max, math.MinInt)
	return math.Pow(1-g.P, float64(g.Max-g.Min+1))
}

// SurvivalFunc returns S(x) = P(X ≥ ⌈x⌉) = (q^(⌈x⌉−Min) − qⁿ) / (1 − qⁿ).
func (g TruncatedGeometric) SurvivalFunc() func(float64) float64 {
	q, tail := 1-g.P, g.tail()
	return onSupport(g.Min, g.Max, func(x float64) float64 {
		return (math.Pow(q, x-float64(g.Min)) - tail) / (1 - tail)
	})
}

// ProbFunc returns P(X = x) = q^(x−Min) P / (1 − qⁿ).
func (g TruncatedGeometric) ProbFunc() func(int) float64 {
	q, tail := 1-g.P, g.tail()
	return func(x int) float64 {
		if x < g.Min || x > g.Max {
			return 0
		}
		return math.Pow(q, float64(x-g.Min)) * g.P / (1 - tail)
	}
}

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi); hi may be +Inf.
func (g TruncatedGeometric) Mass(lo, hi float64) float64 { return mass(g.SurvivalFunc(), lo, hi) }

// Quantile returns the smallest integer x with CDF(x) ≥ p. CDF(x) ≥ p is
// S(x+1) ≤ 1 − p, q^(x+1−Min) ≤ qⁿ + (1 − p)(1 − qⁿ), so
// x = Min + ⌈ln(qⁿ + (1 − p)(1 − qⁿ)) / ln q⌉ − 1; the closed form's rounding is
// settled against the survival function itself.
func (g TruncatedGeometric) Quantile(p float64) int {
	checkP("TruncatedGeometric", p)
	q, tail := 1-g.P, g.tail()
	x := float64(g.Min) + math.Ceil(math.Log(tail+(1-p)*(1-tail))/math.Log(q)) - 1
	return settle(g.SurvivalFunc(), p, x, g.Min, g.Max)
}

// Mean returns E[X] = Min + Σ_{k=1}^{n−1} S(Min+k) = Min + (q(1 − q^(n−1))/(1 − q) − (n−1)qⁿ) / (1 − qⁿ).
func (g TruncatedGeometric) Mean() float64 {
	q, tail := 1-g.P, g.tail()
	n := float64(g.Max - g.Min + 1)
	if q == 0 {
		return float64(g.Min)
	}
	return float64(g.Min) + (q*(1-math.Pow(q, n-1))/(1-q)-(n-1)*tail)/(1-tail)
}
