package stats

import (
	"math"
	"testing"
)

// closeRel reports whether got is within rel (relative) of want.
func closeRel(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestKolmogorovSurvival(t *testing.T) {
	t.Parallel()
	// Critical values of the Kolmogorov distribution from standard tables (e.g. Smirnov
	// 1948, Ann. Math. Statist. 19; quoted in Numerical Recipes §14.3 and most KS tables):
	// P(K > 1.2238) = 0.10, P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01, and the 3-digit
	// forms 1.224, 1.358, 1.628.
	for _, c := range []struct{ x, alpha, tol float64 }{
		{1.2238, 0.10, 2e-4}, {1.3581, 0.05, 2e-4}, {1.6276, 0.01, 2e-4},
		{1.224, 0.10, 1e-3}, {1.358, 0.05, 1e-3}, {1.628, 0.01, 1e-3},
	} {
		if got := KolmogorovSurvival(c.x); math.Abs(got-c.alpha) > c.tol {
			t.Errorf("KolmogorovSurvival(%v) = %v, want %v ± %v", c.x, got, c.alpha, c.tol)
		}
	}
	// SciPy 1.10.1, scipy.special.kolmogorov(x) (an independent implementation, Simard &
	// L'Ecuyer's algorithm), covering both series and the far tail.
	for _, c := range []struct{ x, want float64 }{
		{0.5, 0.9639452436648751},
		{1.0, 0.26999967167735456},
		{2.0, 0.0006709252557796953},
		{3.0, 3.045995948942526e-08},
		{5.0, 3.8574996959278356e-22},
	} {
		if got := KolmogorovSurvival(c.x); !closeRel(got, c.want, 1e-12) {
			t.Errorf("KolmogorovSurvival(%v) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
	if KolmogorovSurvival(0) != 1 || KolmogorovSurvival(-1) != 1 || KolmogorovSurvival(40) != 0 {
		t.Error("KolmogorovSurvival bounds: want 1 at x ≤ 0 and 0 far out")
	}
	// Both series meet at the switch (x = 1.18): no jump.
	lo, hi := KolmogorovSurvival(1.18-1e-12), KolmogorovSurvival(1.18)
	if math.Abs(lo-hi) > 1e-12 {
		t.Errorf("KolmogorovSurvival jumps at 1.18: %v vs %v", lo, hi)
	}
}

func TestKSTwoSampleExactReference(t *testing.T) {
	t.Parallel()
	x := []float64{0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47}
	y := []float64{2.20, 1.66, 1.38, 0.20, 0.36, 0.00, 0.96, 1.56, 0.44, 1.50, -0.30, 0.66, 2.31, 3.29, -0.27, -0.37, 0.38, 0.70, 0.52, -0.71}
	odd := []float64{1, 3, 5, 7, 9, 11, 13}
	rest := []float64{2, 4, 6, 8, 10, 12, 14, 15, 16, 17, 18}
	cases := []struct {
		name  string
		x, y  []float64
		d, p  float64
		exact bool
	}{
		// R 4.2.2 ks.test(x, y, exact = TRUE) and SciPy 1.10.1 ks_2samp(x, y,
		// method = "exact") agree: D = 0.23, p = 0.528636444814.
		{"25 vs 20", x, y, 0.23, 0.5286364448145011, true},
		// Same two references: D = 5/11, p = 0.247423328305677.
		{"7 vs 11", odd, rest, 5.0 / 11, 0.2474233283056812, true},
		// By hand: D = 1 only for the 2 orderings xxxyyy and yyyxxx of C(6,3) = 20.
		{"separated 3 vs 3", []float64{1, 2, 3}, []float64{4, 5, 6}, 1, 0.1, true},
	}
	for _, c := range cases {
		r := KSTwoSample(c.x, c.y)
		if !closeRel(r.D, c.d, 1e-12) || !closeRel(r.PValue, c.p, 1e-10) || r.Exact != c.exact {
			t.Errorf("%s: got %+v, want D %v p %v exact %v", c.name, r, c.d, c.p, c.exact)
		}
		if r.N != float64(len(c.x)) || r.M != float64(len(c.y)) {
			t.Errorf("%s: sizes %v, %v", c.name, r.N, r.M)
		}
	}
}

func TestKSPValueExactLarge(t *testing.T) {
	t.Parallel()
	// SciPy 1.10.1, scipy.stats._stats_py._attempt_exact_2kssamp(n, m, gcd(n, m), d,
	// "two-sided"): the exact path-counting p-value ks_2samp(method="exact") returns.
	// (0.11083…, 300, 400) is also R 4.2.2 ks.test(exact = TRUE) on such samples:
	// 0.0277041234482.
	for _, c := range []struct{ d, n, m, p, rel float64 }{
		{0.06, 1000, 1000, 0.05462666510701526, 1e-9},
		{0.11083333333333334, 300, 400, 0.027704123447683124, 1e-9},
		{0.1, 600, 900, 0.0014143275965417177, 1e-8},
		{0.5, 30, 40, 0.00021399967060337275, 1e-9},
		{0.3, 500, 600, 3.765160443176253e-22, 1e-6},
		{0.2, 1000, 1000, 6.6131216618004355e-18, 1e-6},
	} {
		p, exact := KSPValue(c.d, c.n, c.m)
		if !exact || !closeRel(p, c.p, c.rel) {
			t.Errorf("KSPValue(%v, %v, %v) = %.17g (exact %v), want %.17g", c.d, c.n, c.m, p, exact, c.p)
		}
	}
	// Completely separated samples: D = 1 for exactly 2 of the C(n+m, n) orderings, so
	// p = 2/C(110, 50), about 2e-32: the probability recursion keeps such tails accurate.
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	want := math.Exp(math.Log(2) - (lg(111) - lg(51) - lg(61)))
	if p, _ := KSPValue(1, 50, 60); !closeRel(p, want, 1e-9) {
		t.Errorf("KSPValue(1, 50, 60) = %g, want 2/C(110,50) = %g", p, want)
	}
	// d between two attainable values: P(D ≥ 0.95) = P(D = 1) for 3 vs 3 (D ∈ {k/3}).
	if p, _ := KSPValue(0.95, 3, 3); !closeRel(p, 0.1, 1e-12) {
		t.Errorf("KSPValue(0.95, 3, 3) = %v, want 0.1", p)
	}
}

func TestKSPValueAsymptotic(t *testing.T) {
	t.Parallel()
	// Above ExactLimit: Stephens-corrected Kolmogorov tail (Numerical Recipes §14.3.3).
	// e = 2000·3000/5000 = 1200, argument (√1200 + 0.12 + 0.11/√1200)·0.04 = 1.39056766…;
	// reference from SciPy 1.10.1 scipy.special.kolmogorov(1.3905676631143238).
	p, exact := KSPValue(0.04, 2000, 3000)
	if exact || !closeRel(p, 0.04182676564201828, 1e-12) {
		t.Errorf("KSPValue(0.04, 2000, 3000) = %v (exact %v), want 0.0418267656 asymptotic", p, exact)
	}
	// Near the switch the two agree: exact 0.054627 (SciPy, above) vs asymptotic at e = 500.
	if q := KSPValueAtN(0.06, EffectiveN(1000, 1000)); !closeRel(q, 0.05462666510701526, 0.05) {
		t.Errorf("asymptotic at the switch %v, exact 0.054627", q)
	}
	// No overflow or NaN for huge samples.
	if p, _ := KSPValue(0.5, 1e7, 1e7); p != 0 {
		t.Errorf("KSPValue(0.5, 1e7, 1e7) = %v, want 0", p)
	}
	if p, _ := KSPValue(0, 1e7, 1e7); p != 1 {
		t.Errorf("KSPValue(0, 1e7, 1e7) = %v, want 1", p)
	}
	if p, _ := KSPValue(0.1, 0, 5); !math.IsNaN(p) {
		t.Errorf("KSPValue with n = 0 = %v, want NaN", p)
	}
}

// TestDecisionRule shows why the validator gates on D, not p: at a million rows a side
// a CDF gap of 0.25 percentage points "rejects", yet is unremarkable at n_eff = 1000.
func TestDecisionRule(t *testing.T) {
	t.Parallel()
	if e := EffectiveN(1e6, 1e6); e != 5e5 {
		t.Fatalf("EffectiveN(1e6, 1e6) = %v, want 5e5", e)
	}
	// 5% critical D at e = 5e5 is 1.358/√e ≈ 0.00192 (table value above).
	if p, _ := KSPValue(0.0025, 1e6, 1e6); p >= 0.05 {
		t.Errorf("p at D = 0.0025, n = m = 1e6: %v, want < 0.05", p)
	}
	if p := KSPValueAtN(0.0025, 1000); p < 0.99 {
		t.Errorf("p at D = 0.0025, n_eff = 1000: %v, want ≈ 1", p)
	}
	if !math.IsNaN(KSPValueAtN(0.1, 0)) {
		t.Error("KSPValueAtN at n_eff 0: want NaN")
	}
}

// permutationP is P(D ≥ d) under random relabelling of the pooled sample, by enumerating
// every subset of size n: the definition of the exact conditional p-value, computed with
// a naive ECDF at each distinct value, independently of the lattice recursion.
func permutationP(pooled []float64, n int, d float64) float64 {
	total := len(pooled)
	var hits, all int
	var rec func(start int, chosen []int)
	rec = func(start int, chosen []int) {
		if len(chosen) == n {
			in := make([]bool, total)
			for _, k := range chosen {
				in[k] = true
			}
			var dd float64
			for _, v := range pooled {
				var fx, fy float64
				for k, w := range pooled {
					if w <= v {
						if in[k] {
							fx++
						} else {
							fy++
						}
					}
				}
				dd = max(dd, math.Abs(fx/float64(n)-fy/float64(total-n)))
			}
			all++
			if dd >= d-1e-12 {
				hits++
			}
			return
		}
		for k := start; k < total; k++ {
			rec(k+1, append(chosen, k))
		}
	}
	rec(0, nil)
	return float64(hits) / float64(all)
}

func TestKSTwoSampleTies(t *testing.T) {
	t.Parallel()
	// R 4.2.2 ks.test(x, y, exact = TRUE), which with ties uses psmirnov's exact
	// conditional distribution: D = 17/28 = 0.607142857, p = 0.0405594405594.
	x := []float64{1, 2, 2, 3, 3, 3, 4}
	y := []float64{2, 3, 4, 4, 5, 5, 6, 7}
	r := KSTwoSample(x, y)
	if !closeRel(r.D, 17.0/28, 1e-12) || !closeRel(r.PValue, 0.0405594405594418, 1e-9) || !r.Exact {
		t.Errorf("ties: got %+v, want D 17/28, p 0.0405594405594", r)
	}
	// Full enumeration of relabellings of a heavily tied pool.
	x = []float64{1, 2, 2, 4}
	y = []float64{1, 2, 3, 3, 4, 4}
	r = KSTwoSample(x, y)
	want := permutationP(append(append([]float64{}, x...), y...), len(x), r.D)
	if !closeRel(r.PValue, want, 1e-12) {
		t.Errorf("ties by enumeration: p %v, want %v (D %v)", r.PValue, want, r.D)
	}
	// Ties never count inside a run: one sample all equal to the other's values.
	r = KSTwoSample([]float64{5, 5, 5}, []float64{5, 5})
	if r.D != 0 || r.PValue != 1 {
		t.Errorf("all tied: got %+v, want D 0, p 1", r)
	}
}

func TestKSBinned(t *testing.T) {
	t.Parallel()
	a := []float64{3, 5, 8, 4, 2}
	b := []float64{1, 3, 6, 7, 5}
	// R 4.2.2 ks.test(rep(1:5, a), rep(1:5, b), exact = TRUE): the binned data as tied
	// samples. D = 6/22 (after bin 3: 16/22 vs 10/22), p = 0.189637643183168.
	r := KSBinned(a, b)
	if !closeRel(r.D, 6.0/22, 1e-12) || !closeRel(r.PValue, 0.189637643183168, 1e-9) || !r.Exact || r.N != 22 || r.M != 22 {
		t.Errorf("KSBinned: got %+v, want D 6/22, p 0.189637643183, N = M = 22", r)
	}
	// Identical histograms, and one a multiple of the other: D = 0, p = 1.
	for _, other := range [][]float64{a, {30, 50, 80, 40, 20}} {
		if r := KSBinned(a, other); r.D != 0 || r.PValue != 1 {
			t.Errorf("KSBinned(a, %v) = %+v, want D 0, p 1", other, r)
		}
	}
	// Large counts take the asymptotic path with N, M the totals.
	big := []float64{3e5, 5e5, 8e5, 4e5, 2e5}
	r = KSBinned(big, []float64{1e5, 3e5, 6e5, 7e5, 5e5})
	if r.Exact || !closeRel(r.D, 6.0/22, 1e-12) || r.N != 2.2e6 || r.PValue > 1e-100 {
		t.Errorf("KSBinned large: %+v", r)
	}
	// Non-integer counts (weighted histograms): asymptotic.
	if r := KSBinned([]float64{0.5, 1.5}, []float64{1, 1}); r.Exact || !closeRel(r.D, 0.25, 1e-12) {
		t.Errorf("KSBinned fractional: %+v", r)
	}
	if r := KSBinned([]float64{0, 0}, []float64{1, 1}); !math.IsNaN(r.D) || !math.IsNaN(r.PValue) {
		t.Errorf("KSBinned empty: %+v, want NaN", r)
	}
}

func TestKSTwoSampleWeighted(t *testing.T) {
	t.Parallel()
	x := []float64{1, 3, 5, 7, 9, 11, 13}
	y := []float64{2, 4, 6, 8, 10, 12, 14, 15, 16, 17, 18}
	ones := func(n int) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	// Equal weights: the unweighted test (R/SciPy reference above: p = 0.247423328306).
	r := KSTwoSampleWeighted(x, ones(len(x)), y, ones(len(y)))
	if !r.Exact || !closeRel(r.PValue, 0.2474233283056812, 1e-10) {
		t.Errorf("unit weights: %+v", r)
	}
	// Hand: x = {1 (w 1), 2 (w 1), 3 (w 2)}, y = {2 (w 3), 4 (w 1)}.
	// F1 at 1, 2, 3, 4 = 1/4, 2/4, 1, 1; F2 = 0, 3/4, 3/4, 1: D = max(1/4, 1/4, 1/4, 0) = 1/4.
	// Effective sizes (Σw)²/Σw²: 16/6 and 16/10.
	r = KSTwoSampleWeighted([]float64{3, 1, 2}, []float64{2, 1, 1}, []float64{2, 4}, []float64{3, 1})
	if !closeRel(r.D, 0.25, 1e-12) || !closeRel(r.N, 16.0/6, 1e-12) || !closeRel(r.M, 1.6, 1e-12) || r.Exact {
		t.Errorf("weighted: %+v", r)
	}
	if want := KSPValueAtN(0.25, EffectiveN(16.0/6, 1.6)); r.PValue != want {
		t.Errorf("weighted p %v, want the asymptotic p at EffectiveN %v", r.PValue, want)
	}
	if r := KSTwoSampleWeighted([]float64{1}, []float64{0}, []float64{1}, []float64{1}); !math.IsNaN(r.D) {
		t.Errorf("zero weight: %+v, want NaN", r)
	}
}

func TestKSIdenticalAndEmpty(t *testing.T) {
	t.Parallel()
	x := []float64{4, 1, 3, 3, 9}
	if r := KSTwoSample(x, x); r.D != 0 || r.PValue != 1 {
		t.Errorf("identical: %+v", r)
	}
	if r := KSTwoSample(nil, x); !math.IsNaN(r.D) || !math.IsNaN(r.PValue) || r.M != 5 {
		t.Errorf("empty: %+v", r)
	}
}

func TestKSPanics(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"length":   func() { KSBinned([]float64{1}, []float64{1, 2}) },
		"negative": func() { KSBinned([]float64{-1, 2}, []float64{1, 2}) },
		"NaN":      func() { KSTwoSample([]float64{math.NaN()}, []float64{1}) },
		"weights":  func() { KSTwoSampleWeighted([]float64{1}, nil, []float64{1}, []float64{1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
