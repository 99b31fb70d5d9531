package stats

import (
	"math"
	"slices"
	"sort"
)

// ExactLimit is the largest n·m for which the two-sample KS p-value is computed exactly
// (lattice-path recursion, O(n·m) time, O(m) memory, about 3 ms at the limit). Above it,
// or when a size is not a whole number, the asymptotic Kolmogorov distribution is used.
const ExactLimit = 1_000_000

// KSResult is a two-sample Kolmogorov–Smirnov result.
type KSResult struct {
	D      float64 // sup |F1 − F2|
	N, M   float64 // sample sizes (effective sizes for weighted data)
	PValue float64
	Exact  bool // true when the exact distribution was used
}

// EffectiveN is the two-sample effective size n·m/(n+m): the asymptotic KS statistic is
// √(EffectiveN)·D. It is 0 when n + m is 0.
func EffectiveN(n, m float64) float64 {
	if n+m == 0 {
		return 0
	}
	return n * m / (n + m)
}

// KSTwoSample is the two-sample KS test on raw samples. D is taken only after all values
// equal to a given one (in either sample) have been counted, so ties never inflate D.
// The exact p-value (n·m ≤ ExactLimit) is the permutation distribution of D conditional on
// the observed tie pattern: D is checked only at the ends of runs of equal values, as in
// R's psmirnov(…, z = c(x, y)) (checked against R 4.2.2). Without ties this is the classical exact null
// distribution. Larger samples use the asymptotic distribution, which is conservative
// under ties.
//
// An empty sample gives D = PValue = NaN (callers check N and M). NaN values panic.
func KSTwoSample(x, y []float64) KSResult {
	n, m := len(x), len(y)
	res := KSResult{N: float64(n), M: float64(m)}
	if n == 0 || m == 0 {
		res.D, res.PValue = math.NaN(), math.NaN()
		return res
	}
	xs, ys := slices.Clone(x), slices.Clone(y)
	slices.Sort(xs)
	slices.Sort(ys)
	if math.IsNaN(xs[n-1]) || math.IsNaN(ys[m-1]) || math.IsNaN(xs[0]) || math.IsNaN(ys[0]) {
		panic("stats: KSTwoSample: NaN in sample")
	}
	check := make([]bool, n+m+1)
	var h int64 // max |i·m − j·n| over the ends of runs of equal values
	i, j := 0, 0
	for i < n || j < m {
		var v float64
		switch {
		case i == n:
			v = ys[j]
		case j == m:
			v = xs[i]
		default:
			v = min(xs[i], ys[j])
		}
		for i < n && xs[i] == v {
			i++
		}
		for j < m && ys[j] == v {
			j++
		}
		check[i+j] = true
		h = max(h, absInt64(int64(i)*int64(m)-int64(j)*int64(n)))
	}
	res.D = float64(h) / (float64(n) * float64(m))
	if float64(n)*float64(m) <= ExactLimit {
		res.PValue, res.Exact = ksExact(n, m, h, check), true
	} else {
		res.PValue = ksAsymptotic(res.D, EffectiveN(res.N, res.M))
	}
	return res
}

// KSTwoSampleWeighted is the two-sample KS test on weighted samples: F1 and F2 are the
// weighted empirical CDFs (ties handled as in KSTwoSample) and the sizes are Kish's
// effective sizes (Σw)²/Σw². When every weight of a sample is the same, the test is
// KSTwoSample's (exact when small). Otherwise the p-value is asymptotic at
// EffectiveN(N, M). Weights must be finite and ≥ 0 (zero-weight points are ignored);
// lengths must match (both panic otherwise). A zero total weight gives NaN D and PValue.
func KSTwoSampleWeighted(xv, xw, yv, yw []float64) KSResult {
	if len(xv) != len(xw) || len(yv) != len(yw) {
		panic("stats: KSTwoSampleWeighted: values and weights differ in length")
	}
	checkWeights("KSTwoSampleWeighted", xw)
	checkWeights("KSTwoSampleWeighted", yw)
	if allEqualPositive(xw) && allEqualPositive(yw) {
		return KSTwoSample(xv, yv)
	}
	xp, yp := sortedPoints(xv, xw), sortedPoints(yv, yw)
	sx, sx2 := weightSums(xp)
	sy, sy2 := weightSums(yp)
	res := KSResult{}
	if sx == 0 || sy == 0 {
		res.D, res.PValue = math.NaN(), math.NaN()
		return res
	}
	res.N, res.M = sx*sx/sx2, sy*sy/sy2
	var cx, cy float64
	i, j := 0, 0
	for i < len(xp) || j < len(yp) {
		var v float64
		switch {
		case i == len(xp):
			v = yp[j].v
		case j == len(yp):
			v = xp[i].v
		default:
			v = min(xp[i].v, yp[j].v)
		}
		for i < len(xp) && xp[i].v == v {
			cx += xp[i].w
			i++
		}
		for j < len(yp) && yp[j].v == v {
			cy += yp[j].w
			j++
		}
		res.D = max(res.D, math.Abs(cx/sx-cy/sy))
	}
	res.PValue = ksAsymptotic(res.D, EffectiveN(res.N, res.M))
	return res
}

// KSBinned is the two-sample KS test on two histograms: counts over the same ordered
// bins. D is evaluated at the bin boundaries (the only points where binned CDFs are
// known), so it is a lower bound of the raw-data D. N = Σa, M = Σb. When all counts are
// whole numbers and N·M ≤ ExactLimit, the p-value is exact conditional on the binning
// (every bin is a run of tied values); otherwise asymptotic. Lengths must match and
// counts be finite and ≥ 0 (panics otherwise). An empty histogram gives NaN D and PValue.
func KSBinned(a, b []float64) KSResult {
	if len(a) != len(b) {
		panic("stats: KSBinned: histograms differ in length")
	}
	checkWeights("KSBinned", a)
	checkWeights("KSBinned", b)
	res := KSResult{N: sum(a), M: sum(b)}
	if res.N == 0 || res.M == 0 {
		res.D, res.PValue = math.NaN(), math.NaN()
		return res
	}
	var ca, cb float64
	for k := range a {
		ca += a[k]
		cb += b[k]
		res.D = max(res.D, math.Abs(ca/res.N-cb/res.M))
	}
	if !allWhole(a) || !allWhole(b) || res.N*res.M > ExactLimit {
		res.PValue = ksAsymptotic(res.D, EffectiveN(res.N, res.M))
		return res
	}
	n, m := int(res.N), int(res.M)
	check := make([]bool, n+m+1)
	var h int64
	var i, j int64
	for k := range a {
		i += int64(a[k])
		j += int64(b[k])
		check[i+j] = true
		h = max(h, absInt64(i*int64(m)-j*int64(n)))
	}
	res.D = float64(h) / (res.N * res.M)
	res.PValue, res.Exact = ksExact(n, m, h, check), true
	return res
}

// KSPValue is P(D ≥ d) under the null hypothesis for samples of sizes n and m without
// ties. It is exact when n and m are whole numbers with n·m ≤ ExactLimit, and otherwise
// the asymptotic Kolmogorov distribution with Stephens' small-sample correction:
// Q((√e + 0.12 + 0.11/√e)·d), e = EffectiveN(n, m) (Numerical Recipes, 3rd ed., §14.3.3).
// Sizes ≤ 0 or NaN give NaN.
func KSPValue(d float64, n, m float64) (p float64, exact bool) {
	if !(n > 0 && m > 0) || math.IsNaN(d) {
		return math.NaN(), false
	}
	if isWhole(n) && isWhole(m) && n*m <= ExactLimit {
		x := d * n * m
		h := math.Round(x)
		if math.Abs(x-h) > 1e-7*max(1, x) {
			// d is not on the lattice of attainable values: P(D ≥ d) = P(D ≥ next one).
			h = math.Ceil(x)
		}
		return ksExact(int(n), int(m), int64(h), nil), true
	}
	return ksAsymptotic(d, EffectiveN(n, m)), false
}

// KSPValueAtN is the asymptotic two-sample p-value of a KS distance d as if the effective
// sample size (EffectiveN) were nEff, with the same Stephens correction as KSPValue. With
// millions of rows every real difference, however small, has p ≈ 0; reporting the
// p-value at a capped nEff (say min(EffectiveN(n, m), 1000)) says instead whether d would
// be noticeable in a sample of that size. nEff ≤ 0 gives NaN.
func KSPValueAtN(d, nEff float64) float64 {
	if !(nEff > 0) {
		return math.NaN()
	}
	return ksAsymptotic(d, nEff)
}

// KolmogorovSurvival is P(K > x) for the Kolmogorov distribution, the limit law of √n·D:
// Q(x) = 2 Σ_{k≥1} (−1)^(k−1) exp(−2k²x²). For x < 1.18 the alternating series converges
// slowly and the complementary form is used: P(K ≤ x) = (√(2π)/x) Σ_{k≥1}
// exp(−(2k−1)²π²/(8x²)) (Marsaglia, Tsang & Wang 2003, J. Stat. Softw. 8(18); the same
// switch as SciPy's kolmogorov). Accurate to about 1e-15, also for tiny Q.
func KolmogorovSurvival(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	case x < 1.18:
		w := math.Pi * math.Pi / (8 * x * x)
		var s float64
		for k := 1; k < 100; k++ {
			t := math.Exp(-float64((2*k-1)*(2*k-1)) * w)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return max(0, 1-math.Sqrt(2*math.Pi)/x*s)
	default:
		var s float64
		sign := 1.0
		for k := 1; k < 100; k++ {
			t := math.Exp(-2 * float64(k*k) * x * x)
			s += sign * t
			if t < 1e-17*math.Abs(s) {
				break
			}
			sign = -sign
		}
		return min(1, max(0, 2*s))
	}
}

// ksAsymptotic is the Stephens-corrected asymptotic p-value at effective size e.
func ksAsymptotic(d, e float64) float64 {
	if math.IsNaN(d) || !(e > 0) {
		return math.NaN()
	}
	if d <= 0 {
		return 1
	}
	s := math.Sqrt(e)
	return KolmogorovSurvival((s + 0.12 + 0.11/s) * d)
}

// ksExact is P(max over checked steps |i·m − j·n| ≥ h) for a uniformly random ordering of
// n x-points and m y-points: the lattice-path recursion of Kim & Jennrich (1973) run on
// probabilities instead of path counts, so nothing overflows. A path is a walk from (0,0)
// to (n,m); from (i,j) it steps to (i+1,j) with probability (n−i)/(n+m−i−j) and to
// (i,j+1) otherwise, which makes all C(n+m, n) paths equally likely. u[j] holds the
// probability of reaching (i,j) without having left the band; the probability flowing
// into a point outside the band is added to the p-value directly (a sum of positive
// terms, so small p-values keep their relative accuracy). check[t] (nil = every step)
// says whether D is evaluated after t = i+j points: with ties only at the end of a run.
func ksExact(n, m int, h int64, check []bool) float64 {
	if h <= 0 {
		return 1
	}
	total := n + m
	n64, m64 := int64(n), int64(m)
	out := func(i, j int) bool {
		return (check == nil || check[i+j]) && absInt64(int64(i)*m64-int64(j)*n64) >= h
	}
	u := make([]float64, m+1)
	var p float64
	u[0] = 1
	for j := 1; j <= m; j++ {
		in := u[j-1] * float64(m-j+1) / float64(total-j+1)
		if out(0, j) {
			p += in
			in = 0
		}
		u[j] = in
	}
	for i := 1; i <= n; i++ {
		// Row i overwrites row i−1 in place: u[j] is still (i−1, j) when read, u[j−1] is
		// already (i, j−1).
		in := u[0] * float64(n-i+1) / float64(total-i+1)
		if out(i, 0) {
			p += in
			in = 0
		}
		u[0] = in
		for j := 1; j <= m; j++ {
			in := u[j]*float64(n-i+1)/float64(total-i+1-j) +
				u[j-1]*float64(m-j+1)/float64(total-i-j+1)
			if out(i, j) {
				p += in
				in = 0
			}
			u[j] = in
		}
	}
	return min(1, p)
}

type point struct{ v, w float64 }

// sortedPoints pairs values with weights, drops zero weights and sorts by value.
func sortedPoints(v, w []float64) []point {
	ps := make([]point, 0, len(v))
	for k := range v {
		if math.IsNaN(v[k]) {
			panic("stats: NaN value")
		}
		if w[k] > 0 {
			ps = append(ps, point{v[k], w[k]})
		}
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].v < ps[b].v })
	return ps
}

func weightSums(ps []point) (s, s2 float64) {
	for _, p := range ps {
		s += p.w
		s2 += p.w * p.w
	}
	return s, s2
}

// checkWeights panics on a negative, infinite or NaN weight or count.
func checkWeights(fn string, w []float64) {
	for _, x := range w {
		if !(x >= 0) || math.IsInf(x, 1) {
			panic("stats: " + fn + ": weights and counts must be finite and ≥ 0")
		}
	}
}

func allEqualPositive(w []float64) bool {
	if len(w) == 0 || !(w[0] > 0) {
		return false
	}
	for _, x := range w {
		if x != w[0] {
			return false
		}
	}
	return true
}

func allWhole(x []float64) bool {
	for _, v := range x {
		if !isWhole(v) {
			return false
		}
	}
	return true
}

func isWhole(x float64) bool { return x == math.Trunc(x) && !math.IsInf(x, 0) }

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func absInt64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// KolmogorovQuantile is the x with KolmogorovSurvival(x) = q, for q in (0, 1): the
// asymptotic critical value of √n·D at level q (1.3581 for q = 0.05, 1.6276 for 0.01;
// Smirnov 1948, Ann. Math. Statist. 19:279–281, tabulates 1.36 and 1.63). Found by
// bisection on the monotone survival function to about 1e-12. q outside (0, 1) gives
// NaN.
func KolmogorovQuantile(q float64) float64 {
	if !(q > 0 && q < 1) {
		return math.NaN()
	}
	lo, hi := 0.0, 1.0
	for KolmogorovSurvival(hi) > q {
		hi *= 2
	}
	for i := 0; i < 200 && hi-lo > 1e-13; i++ {
		mid := (lo + hi) / 2
		if KolmogorovSurvival(mid) > q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// KSCritical is the two-sample critical value of D at level alpha for samples of sizes
// n and m: the d with ksAsymptotic(d, e) = alpha, e = EffectiveN(n, m), that is
// d = K⁻¹(1 − alpha) / (√e + 0.12 + 0.11/√e) with Stephens' correction (Stephens 1970,
// J. R. Statist. Soc. B 32:115–122; Numerical Recipes, 3rd ed., §14.3.3). Binned data
// make D stochastically smaller under the null hypothesis than for continuous data (D
// is then a maximum over fewer points), so the test "D > KSCritical" on binned data
// rejects with probability at most alpha: conservative. Sizes ≤ 0 or alpha outside
// (0, 1) give NaN.
func KSCritical(alpha, n, m float64) float64 {
	e := EffectiveN(n, m)
	if !(n > 0 && m > 0) || !(alpha > 0 && alpha < 1) {
		return math.NaN()
	}
	s := math.Sqrt(e)
	return KolmogorovQuantile(alpha) / (s + 0.12 + 0.11/s)
}
