package stats

import (
	"math"
	"testing"
)

// chi2SF1 is the chi-squared survival function for df = 1 in closed form,
// P(X > x) = erfc(√(x/2)), independent of gonum.
func chi2SF1(x float64) float64 { return math.Erfc(math.Sqrt(x / 2)) }

func TestChiSquaredSurvivalTable(t *testing.T) {
	t.Parallel()
	// NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.4 "Critical Values of
	// the Chi-Square Distribution" (upper tail): df 1: 3.841 (.05), 6.635 (.01);
	// df 10: 18.307 (.05), 23.209 (.01).
	for _, c := range []struct{ x, df, alpha float64 }{
		{3.841, 1, 0.05}, {6.635, 1, 0.01}, {18.307, 10, 0.05}, {23.209, 10, 0.01},
	} {
		if got := ChiSquaredSurvival(c.x, c.df); math.Abs(got-c.alpha) > 1e-4 {
			t.Errorf("ChiSquaredSurvival(%v, %v) = %v, want %v", c.x, c.df, got, c.alpha)
		}
	}
	if ChiSquaredSurvival(5, 0) != 1 {
		t.Error("ChiSquaredSurvival with df 0: want 1")
	}
}

func TestChiSquaredHistogramsAgresti(t *testing.T) {
	t.Parallel()
	// Agresti, An Introduction to Categorical Data Analysis (2nd ed., 2007), Table 2.5:
	// party identification by gender. Females 762/327/468, males 484/239/477; published
	// X² = 30.1, G² = 30.0, df = 2. Full precision: SciPy 1.10.1
	// chi2_contingency(correction=False) gives X² = 30.070149095754672,
	// p = 2.9535891832117595e-07.
	a := []float64{762, 327, 468}
	b := []float64{484, 239, 477}
	r := ChiSquaredHistograms(a, b, 0)
	if !closeRel(r.Stat, 30.070149095754672, 1e-12) || r.DF != 2 || r.MergedBins != 0 ||
		!closeRel(r.PValue, 2.9535891832117595e-07, 1e-8) {
		t.Errorf("Agresti table: got %+v, want X² 30.0701, df 2, p 2.95e-7", r)
	}
	// The test is symmetric in its two histograms.
	if s := ChiSquaredHistograms(b, a, 0); !closeRel(s.Stat, r.Stat, 1e-12) {
		t.Errorf("swapped: %v vs %v", s.Stat, r.Stat)
	}
	// Cohen's w over n = 2757 rows: √(30.0701/2757) = 0.10444 ("small").
	if w := CohenW(r.Stat, 2757); !closeRel(w, math.Sqrt(30.070149095754672/2757), 1e-12) {
		t.Errorf("CohenW = %v", w)
	}
}

func TestChiSquaredHistogramsProperties(t *testing.T) {
	t.Parallel()
	a := []float64{12, 30, 55, 20, 8}
	// Identical histograms, or one a multiple of the other: totals are scaled away, X² = 0.
	for _, k := range []float64{1, 3, 0.25, 1000} {
		b := make([]float64, len(a))
		for i := range a {
			b[i] = k * a[i]
		}
		r := ChiSquaredHistograms(a, b, 0)
		// At k = 0.25 the smaller side's expected counts (3, 7.5, 13.75, 5, 2) merge
		// bins 0–1 and 3–4: df 2.
		df := 4.0
		if k == 0.25 {
			df = 2
		}
		if math.Abs(r.Stat) > 1e-9 || math.Abs(r.PValue-1) > 1e-9 || r.DF != df {
			t.Errorf("b = %v·a: got %+v, want X² 0, p 1, df %v", k, r, df)
		}
	}
	// Multiplying both histograms by c multiplies X² by c (it is a count statistic), so
	// the same shapes at 1000× the rows are 1000× as "significant".
	b := []float64{15, 25, 50, 30, 10}
	base := ChiSquaredHistograms(a, b, 0)
	for _, c := range []float64{2, 10, 1000} {
		ca, cb := make([]float64, len(a)), make([]float64, len(b))
		for i := range a {
			ca[i], cb[i] = c*a[i], c*b[i]
		}
		if r := ChiSquaredHistograms(ca, cb, 0); !closeRel(r.Stat, c*base.Stat, 1e-12) || r.DF != base.DF {
			t.Errorf("×%v: X² %v, want %v", c, r.Stat, c*base.Stat)
		}
	}
	if r := ChiSquaredHistograms([]float64{0, 0}, []float64{1, 2}, 0); !math.IsNaN(r.Stat) || !math.IsNaN(r.PValue) {
		t.Errorf("empty: %+v, want NaN", r)
	}
}

func TestChiSquaredHistogramsMerging(t *testing.T) {
	t.Parallel()
	// By hand. N = 40, M = 20; bin totals 25, 3, 3, 29, 0; the smaller side's expected
	// counts (×20/60) are 8.33, 1, 1, 9.67, 0. Walking up with minimum 5: bin 0 alone,
	// bins 1–3 together (11.67), bin 4 (0) is a short trailing group and joins 1–3. So 2
	// bins remain (MergedBins 3, df 1), and the table is [[20, 20], [5, 15]]:
	// X² = 60·(20·15 − 20·5)²/(40·20·25·35) = 24/7, p = erfc(√(12/7)).
	a := []float64{20, 2, 0, 18, 0}
	b := []float64{5, 1, 3, 11, 0}
	r := ChiSquaredHistograms(a, b, 5)
	if !closeRel(r.Stat, 24.0/7, 1e-12) || r.DF != 1 || r.MergedBins != 3 || !closeRel(r.PValue, chi2SF1(24.0/7), 1e-9) {
		t.Errorf("merged: got %+v, want X² 24/7, df 1, merged 3", r)
	}
	// minExpected ≤ 0 means 5: same answer.
	if r0 := ChiSquaredHistograms(a, b, 0); r0 != r {
		t.Errorf("minExpected 0: %+v, want %+v", r0, r)
	}
	// A minimum of 1 keeps bins 0, 1, 2, 3 (expected 8.33, 1, 1, 9.67) and folds the
	// empty bin 4 into bin 3: 4 bins, df 3, one merged.
	if r := ChiSquaredHistograms(a, b, 1); r.DF != 3 || r.MergedBins != 1 {
		t.Errorf("minExpected 1: %+v, want df 3, merged 1", r)
	}
	// Everything short: one group, nothing to test.
	if r := ChiSquaredHistograms([]float64{1, 1}, []float64{1, 0}, 5); r.DF != 0 || r.PValue != 1 || r.Stat != 0 || r.MergedBins != 1 {
		t.Errorf("one group: %+v, want df 0, p 1", r)
	}
}

func TestChiSquaredGOFMendel(t *testing.T) {
	t.Parallel()
	// Mendel's dihybrid cross (1866): 315 round-yellow, 108 round-green, 101
	// wrinkled-yellow, 32 wrinkled-green against 9:3:3:1, n = 556. The textbook X² is 0.470
	// (e.g. Sokal & Rohlf, Biometry); full precision and p from SciPy 1.10.1
	// chisquare(): 0.4700239808153477, p = 0.925425895103616. The G statistic from SciPy
	// power_divergence(lambda_="log-likelihood"): 0.4754452389982333, p = 0.9242519039745325.
	obs := []float64{315, 108, 101, 32}
	probs := []float64{9.0 / 16, 3.0 / 16, 3.0 / 16, 1.0 / 16}
	r := ChiSquaredGOF(obs, probs, 0, 0)
	if !closeRel(r.Stat, 0.4700239808153477, 1e-12) || r.DF != 3 || r.MergedBins != 0 || !closeRel(r.PValue, 0.925425895103616, 1e-9) {
		t.Errorf("Mendel X²: %+v", r)
	}
	g := GTestGOF(obs, probs, 0, 0)
	if !closeRel(g.Stat, 0.4754452389982333, 1e-12) || g.DF != 3 || !closeRel(g.PValue, 0.9242519039745325, 1e-9) {
		t.Errorf("Mendel G: %+v", g)
	}
	// Ratios instead of probabilities: normalised by their sum, same answer.
	if r2 := ChiSquaredGOF(obs, []float64{9, 3, 3, 1}, 0, 0); !closeRel(r2.Stat, r.Stat, 1e-12) {
		t.Errorf("unnormalised probs: %v vs %v", r2.Stat, r.Stat)
	}
}

func TestChiSquaredGOFMerging(t *testing.T) {
	t.Parallel()
	// By hand. n = 100, expected 30, 40, 20, 6, 3, 1: bins 4 (3) and 5 (1) are short; the
	// trailing group 3 + 1 = 4 < 5 joins bin 3, leaving 4 bins with expected 30, 40, 20, 10.
	// Observed 35, 35, 20, 5+4+1 = 10: X² = 25/30 + 25/40 = 35/24. One fitted parameter:
	// df = 4 − 1 − 1 = 2, p = exp(−X²/2) (the df = 2 survival in closed form).
	obs := []float64{35, 35, 20, 5, 4, 1}
	probs := []float64{0.3, 0.4, 0.2, 0.06, 0.03, 0.01}
	r := ChiSquaredGOF(obs, probs, 1, 5)
	if !closeRel(r.Stat, 35.0/24, 1e-12) || r.DF != 2 || r.MergedBins != 2 || !closeRel(r.PValue, math.Exp(-35.0/48), 1e-9) {
		t.Errorf("GOF merged: %+v, want X² 35/24, df 2, merged 2", r)
	}
	// Too many fitted parameters: df clamps at 0, p = 1.
	if r := ChiSquaredGOF(obs, probs, 3, 5); r.DF != 0 || r.PValue != 1 {
		t.Errorf("df ≤ 0: %+v", r)
	}
	// G with an empty cell: O = 0 contributes 0. observed 0, 10 against ½, ½:
	// G = 2·10·ln 2, df 1.
	g := GTestGOF([]float64{0, 10}, []float64{0.5, 0.5}, 0, 1)
	if !closeRel(g.Stat, 20*math.Ln2, 1e-12) || g.DF != 1 || !closeRel(g.PValue, chi2SF1(20*math.Ln2), 1e-9) {
		t.Errorf("G empty cell: %+v", g)
	}
	if r := ChiSquaredGOF([]float64{0, 0}, probs[:2], 0, 0); !math.IsNaN(r.Stat) {
		t.Errorf("no observations: %+v, want NaN", r)
	}
}

func TestChiSquaredPValueAtN(t *testing.T) {
	t.Parallel()
	// X² = 100 over a million rows is w² = 1e-4; at 1000 rows the same effect is X² = 0.1.
	if p := ChiSquaredPValueAtN(100, 1, 1e6, 1000); !closeRel(p, chi2SF1(0.1), 1e-9) {
		t.Errorf("ChiSquaredPValueAtN = %v, want %v", p, chi2SF1(0.1))
	}
	// n under the cap: unchanged.
	if p := ChiSquaredPValueAtN(3.841, 1, 500, 1000); math.Abs(p-0.05) > 1e-4 {
		t.Errorf("below cap: %v, want 0.05", p)
	}
}
