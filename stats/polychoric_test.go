package stats

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// rhoGrid covers all three quadrature sizes of the low-correlation branch (|ρ| < 0.3,
// < 0.75, < 0.925) and the high-correlation branch (|ρ| ≥ 0.925), on both sides.
var rhoGrid = []float64{
	-0.999999, -0.99, -0.97, -0.95, -0.93, -0.925, -0.9, -0.8, -0.75, -0.5, -0.3, -0.1,
	0, 0.1, 0.29, 0.3, 0.5, 0.74, 0.75, 0.9, 0.924, 0.925, 0.93, 0.95, 0.97, 0.99, 0.999999,
}

var hkGrid = []float64{-6, -3, -1.5, -0.7, -0.2, 0, 0.3, 1, 2.2, 4}

func TestBivariateNormalCDFOrigin(t *testing.T) {
	t.Parallel()
	// Sheppard's formula: Φ₂(0, 0; ρ) = 1/4 + asin(ρ)/(2π). asin is taken as
	// atan2(ρ, √((1−ρ)(1+ρ))): Go's math.Asin forms 1 − ρ² directly and is off by 7.8e−15
	// at ρ = 0.999999 (mpmath: asin(0.999999) = 1.5693821131146520341…).
	for _, rho := range rhoGrid {
		want := 0.25 + math.Atan2(rho, math.Sqrt((1-rho)*(1+rho)))/(2*math.Pi)
		if got := BivariateNormalCDF(0, 0, rho); math.Abs(got-want) > 2e-16 {
			t.Errorf("Φ₂(0, 0; %v) = %.17g, want %.17g (diff %.2g)", rho, got, want, got-want)
		}
	}
}

func TestBivariateNormalCDFIndependence(t *testing.T) {
	t.Parallel()
	for _, h := range hkGrid {
		for _, k := range hkGrid {
			want := NormalCDF(h) * NormalCDF(k)
			if got := BivariateNormalCDF(h, k, 0); math.Abs(got-want) > 1e-16 {
				t.Errorf("Φ₂(%v, %v; 0) = %.17g, want Φ(h)Φ(k) = %.17g", h, k, got, want)
			}
		}
	}
}

func TestBivariateNormalCDFPerfectCorrelation(t *testing.T) {
	t.Parallel()
	for _, h := range hkGrid {
		for _, k := range hkGrid {
			if got, want := BivariateNormalCDF(h, k, 1), NormalCDF(min(h, k)); got != want {
				t.Errorf("Φ₂(%v, %v; 1) = %v, want Φ(min(h, k)) = %v", h, k, got, want)
			}
			want := max(0, NormalCDF(h)+NormalCDF(k)-1)
			if got := BivariateNormalCDF(h, k, -1); math.Abs(got-want) > 4e-16 {
				t.Errorf("Φ₂(%v, %v; −1) = %v, want max(0, Φ(h) + Φ(k) − 1) = %v", h, k, got, want)
			}
			// Continuity at the ends: |Φ₂(h, k; ρ) − Φ₂(h, k; 1)| = ∫_ρ^1 φ₂ dt ≤
			// ∫_ρ^1 dt/(2π√(1 − t²)) = acos(ρ)/(2π) ≈ 2.3e−7 at 1 − ρ = 1e−12 (and alike at −1).
			for _, rho := range []float64{1 - 1e-12, -1 + 1e-12} {
				lim := BivariateNormalCDF(h, k, math.Round(rho))
				if got := BivariateNormalCDF(h, k, rho); math.Abs(got-lim) > 2.5e-7 {
					t.Errorf("Φ₂(%v, %v; %v) = %v, far from the limit %v", h, k, rho, got, lim)
				}
			}
		}
	}
}

func TestBivariateNormalCDFSymmetries(t *testing.T) {
	t.Parallel()
	for _, rho := range rhoGrid {
		for _, h := range hkGrid {
			for _, k := range hkGrid {
				p := BivariateNormalCDF(h, k, rho)
				if q := BivariateNormalCDF(k, h, rho); math.Abs(p-q) > 1e-15 {
					t.Errorf("Φ₂(%v, %v; %v) = %.17g ≠ Φ₂(k, h; ρ) = %.17g", h, k, rho, p, q)
				}
				// P(X ≤ h, Y ≤ k) + P(X ≤ h, −Y ≤ −k) = P(X ≤ h), and (X, −Y) has correlation −ρ.
				if s, want := p+BivariateNormalCDF(h, -k, -rho), NormalCDF(h); math.Abs(s-want) > 2e-15 {
					t.Errorf("Φ₂(%v, %v; %v) + Φ₂(h, −k; −ρ) = %.17g, want Φ(h) = %.17g", h, k, rho, s, want)
				}
			}
		}
	}
}

func TestBivariateNormalCDFInfinities(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	for _, rho := range []float64{-1, -0.95, -0.5, 0, 0.2, 0.8, 0.95, 1} {
		for _, x := range append([]float64{-inf, inf}, hkGrid...) {
			for _, c := range []struct {
				h, k, want float64
			}{
				{x, inf, NormalCDF(x)},
				{inf, x, NormalCDF(x)},
				{x, -inf, 0},
				{-inf, x, 0},
				{x, 50, NormalCDF(x)}, // beyond ±40 counts as infinite
				{-41, x, 0},
			} {
				if math.IsInf(c.want, 0) { // Φ(±∞)
					c.want = max(0, math.Copysign(1, c.want))
				}
				if got := BivariateNormalCDF(c.h, c.k, rho); got != c.want {
					t.Errorf("Φ₂(%v, %v; %v) = %v, want %v", c.h, c.k, rho, got, c.want)
				}
			}
		}
	}
}

func TestBivariateNormalCDFExtremes(t *testing.T) {
	t.Parallel()
	// Far tails and ρ next to ±1 stay finite and inside the Fréchet bounds
	// max(0, Φ(h) + Φ(k) − 1) ≤ Φ₂ ≤ min(Φ(h), Φ(k)).
	xs := []float64{-39.9, -20, -8, -2, 0, 2, 8, 20, 39.9}
	for _, rho := range append([]float64{-1 + 1e-15, 1 - 1e-15}, rhoGrid...) {
		for _, h := range xs {
			for _, k := range xs {
				p := BivariateNormalCDF(h, k, rho)
				lo, hi := max(0, NormalCDF(h)+NormalCDF(k)-1), min(NormalCDF(h), NormalCDF(k))
				if !(p >= lo-1e-15 && p <= hi+1e-15) {
					t.Errorf("Φ₂(%v, %v; %v) = %v, outside [%v, %v]", h, k, rho, p, lo, hi)
				}
			}
		}
	}
}

func TestBivariateNormalCDFPanics(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	for _, c := range [][3]float64{
		{nan, 0, 0}, {0, nan, 0}, {0, 0, nan}, {0, 0, 1.0000001}, {0, 0, -1.5}, {1, 1, math.Inf(1)},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "BivariateNormalCDF") {
					t.Errorf("BivariateNormalCDF%v: recovered %v, want a panic naming the function", c, r)
				}
			}()
			BivariateNormalCDF(c[0], c[1], c[2])
		}()
	}
}

// simpsonBVN is an independent Φ₂: ∫_{−10}^{h} φ(x)·Φ((k − ρx)/√(1 − ρ²)) dx by the composite
// Simpson rule with 20 000 steps (the mass below −10 is under 1e−23).
func simpsonBVN(h, k, rho float64) float64 {
	const steps = 20000
	lo := -10.0
	dx := (h - lo) / steps
	s := math.Sqrt((1 - rho) * (1 + rho))
	f := func(x float64) float64 {
		return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) * NormalCDF((k-rho*x)/s)
	}
	sum := f(lo) + f(h)
	for i := 1; i < steps; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(lo+float64(i)*dx)
	}
	return sum * dx / 3
}

func TestBivariateNormalCDFIntegral(t *testing.T) {
	t.Parallel()
	var worst float64
	for _, rho := range rhoGrid {
		if math.Abs(rho) > 0.99 {
			continue // the integrand's step at width √(1 − ρ²) needs a finer rule
		}
		for _, h := range []float64{-3, -1.2, -0.2, 0, 0.5, 1.7, 3} {
			for _, k := range []float64{-3.5, -1, 0, 0.4, 1.3, 2.5} {
				got, want := BivariateNormalCDF(h, k, rho), simpsonBVN(h, k, rho)
				worst = max(worst, math.Abs(got-want))
				if math.Abs(got-want) > 1e-10 {
					t.Errorf("Φ₂(%v, %v; %v) = %.15g, numerical integral %.15g", h, k, rho, got, want)
				}
			}
		}
	}
	t.Logf("largest difference from the integral: %.2g", worst)
}

func TestBivariateNormalCDFReference(t *testing.T) {
	t.Parallel()
	// John Burkardt's test_values library, BIVARIATE_NORMAL_CDF_VALUES (2010), which
	// cites National Bureau of Standards, "Tables of the Bivariate Normal Distribution and
	// Related Functions", Applied Mathematics Series 50 (1959), and Mathematica's
	// CDF[MultinormalDistribution[…]]. The values are printed to 16 digits but are not
	// that accurate: against a 30-digit mpmath computation (below) they are off by up to
	// 8e−10, and by 1.0e−8 at (−0.2, 0.5; 0.2) and 1.4e−7 at (0, 1; 0.5). Their own
	// Φ₂(0, 0; ∓0.5) = 0.1666666666539970 and 0.3333333333328906 miss the exact 1/6 and 1/3
	// by 1.3e−11 and 4e−13. So they are checked to 1e−9, the two outliers to their error.
	for _, c := range []struct{ h, k, rho, want, tol float64 }{
		{-2, 1, 0.5, 0.02260327218569867, 1e-9},
		{-1, 1, 0.5, 0.1548729518584100, 1e-9},
		{0, 1, 0.5, 0.4687428083352184, 2e-7},
		{1, 1, 0.5, 0.7452035868929476, 1e-9},
		{2, 1, 0.5, 0.8318608306874188, 1e-9},
		{3, 1, 0.5, 0.8410314261134202, 1e-9},
		{-0.2, 0.5, -0.9, 0.1377019384919464, 1e-9},
		{-0.2, 0.5, -0.8, 0.1621749501739030, 1e-9},
		{-0.2, 0.5, -0.7, 0.1827411243233119, 1e-9},
		{-0.2, 0.5, -0.6, 0.2010067421506235, 1e-9},
		{-0.2, 0.5, -0.5, 0.2177751155265290, 1e-9},
		{-0.2, 0.5, -0.4, 0.2335088436446962, 1e-9},
		{-0.2, 0.5, -0.3, 0.2485057781834286, 1e-9},
		{-0.2, 0.5, -0.2, 0.2629747825154868, 1e-9},
		{-0.2, 0.5, -0.1, 0.2770729823404738, 1e-9},
		{-0.2, 0.5, 0, 0.2909261168683812, 1e-9},
		{-0.2, 0.5, 0.1, 0.3046406378726738, 1e-9},
		{-0.2, 0.5, 0.2, 0.3183113449213638, 2e-8},
		{-0.2, 0.5, 0.3, 0.3320262544108028, 1e-9},
		{-0.2, 0.5, 0.4, 0.3458686754647614, 1e-9},
		{-0.2, 0.5, 0.5, 0.3599150462310668, 1e-9},
		{-0.2, 0.5, 0.6, 0.3742210899871168, 1e-9},
		{-0.2, 0.5, 0.7, 0.3887706405282320, 1e-9},
		{-0.2, 0.5, 0.8, 0.4032765198361344, 1e-9},
		{-0.2, 0.5, 0.9, 0.4162100291953678, 1e-9},
		{1, 0.5, 0.673, 0.6508271498838664, 1e-9},
		{0, 0, -1, 0, 0},
		{0, 0, 0, 0.25, 0},
		{0, 0, 1, 0.5, 0},
		{1, -1, 0.5, 0.1548729518584100, 1e-9},
		{-1, -1, 0.5, 0.06251409470431653, 1e-9},
		{math.Sqrt2 / 2, math.Sqrt2 / 2, 0.5, 0.6337020457912916, 1e-9},
	} {
		if got := BivariateNormalCDF(c.h, c.k, c.rho); math.Abs(got-c.want) > c.tol {
			t.Errorf("Φ₂(%v, %v; %v) = %.16g, want %.16g (diff %.2g)", c.h, c.k, c.rho, got, c.want, got-c.want)
		}
	}

	// The same points to 30 digits, computed for this test with mpmath 1.3.0 (not a
	// published table): mp.dps = 30; quad(λx: npdf(x)·ncdf((k − ρx)/√((1−ρ)(1+ρ))), [−∞, h]),
	// split at 0 when h > 0.
	for _, c := range []struct{ h, k, rho, want float64 }{
		{-2, 1, 0.5, 0.022603272182164950114},
		{-1, 1, 0.5, 0.15487295185860278754},
		{0, 1, 0.5, 0.4687429526451680831},
		{1, 1, 0.5, 0.74520358684674973096},
		{3, 1, 0.5, 0.84103142688556838608},
		{-0.2, 0.5, -0.9, 0.13770193849195553156},
		{-0.2, 0.5, -0.5, 0.21777511564570834727},
		{-0.2, 0.5, 0.2, 0.31831135532864806497},
		{-0.2, 0.5, 0.7, 0.3887706405285500507},
		{-0.2, 0.5, 0.9, 0.41621002919763452099},
		{1, 0.5, 0.673, 0.65082714988434421935},
		{-1, -1, 0.5, 0.062514094709663833792},
		{0.7071067811865475, 0.7071067811865475, 0.5, 0.63370204577807970554},
	} {
		if got := BivariateNormalCDF(c.h, c.k, c.rho); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Φ₂(%v, %v; %v) = %.17g, mpmath %.17g (diff %.2g)", c.h, c.k, c.rho, got, c.want, got-c.want)
		}
	}
}

// expectedTable is N·π_ij(ρ) for rows cut at rowCuts and columns at colCuts.
func expectedTable(n, rho float64, rowCuts, colCuts []float64) [][]float64 {
	a := append(append([]float64{math.Inf(-1)}, rowCuts...), math.Inf(1))
	b := append(append([]float64{math.Inf(-1)}, colCuts...), math.Inf(1))
	pi, _ := polychoricProblem{a: a, b: b}.cells(rho, false)
	for i := range pi {
		for j := range pi[i] {
			pi[i][j] *= n
		}
	}
	return pi
}

var (
	testRowCuts = []float64{-1, 0, 0.8}
	testColCuts = []float64{-0.5, 0.3, 1.2, 2}
)

func TestPolychoricRecovery(t *testing.T) {
	t.Parallel()
	// The expected table is the fixed point of the two-step estimator: its margins give
	// back the thresholds, and L′(ρ0) = N·Σ π′_ij = 0.
	for _, rho0 := range []float64{-0.5, 0, 0.3, 0.7, 0.95} {
		table := expectedTable(1000, rho0, testRowCuts, testColCuts)
		got, err := Polychoric(table)
		if err != nil || math.Abs(got-rho0) > 1e-6 {
			t.Errorf("ρ0 = %v: Polychoric = %.10g, %v", rho0, got, err)
		}
		// Transposing the table does not change ρ; reversing one axis negates it.
		tr := make([][]float64, len(table[0]))
		for j := range tr {
			tr[j] = make([]float64, len(table))
			for i := range table {
				tr[j][i] = table[i][j]
			}
		}
		if g, err := Polychoric(tr); err != nil || math.Abs(g-got) > 1e-9 {
			t.Errorf("ρ0 = %v: Polychoric(transposed) = %.10g, %v; want %.10g", rho0, g, err, got)
		}
		rev := make([][]float64, len(table))
		for i := range table {
			rev[len(table)-1-i] = table[i]
		}
		if g, err := Polychoric(rev); err != nil || math.Abs(g+got) > 1e-9 {
			t.Errorf("ρ0 = %v: Polychoric(rows reversed) = %.10g, %v; want %.10g", rho0, g, err, -got)
		}
	}
}

func TestPolychoricDropsEmptyCategories(t *testing.T) {
	t.Parallel()
	table := expectedTable(500, 0.4, testRowCuts, testColCuts)
	want, err := Polychoric(table)
	if err != nil {
		t.Fatal(err)
	}
	// An empty row in the middle and an empty column at the end change nothing.
	padded := [][]float64{table[0], table[1], make([]float64, len(table[0])), table[2], table[3]}
	for i := range padded {
		padded[i] = append(append([]float64(nil), padded[i]...), 0)
	}
	if got, err := Polychoric(padded); err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("with empty categories: %.12g, %v; want %.12g", got, err, want)
	}
}

func TestPolychoricSampled(t *testing.T) {
	t.Parallel()
	const rho0, n = 0.6, 20000
	r := rand.New(rand.NewPCG(2024, 6))
	bin := func(x float64, cuts []float64) int {
		i := 0
		for i < len(cuts) && x > cuts[i] {
			i++
		}
		return i
	}
	table := make([][]float64, len(testRowCuts)+1)
	for i := range table {
		table[i] = make([]float64, len(testColCuts)+1)
	}
	for range n {
		x := r.NormFloat64()
		y := rho0*x + math.Sqrt(1-rho0*rho0)*r.NormFloat64()
		table[bin(x, testRowCuts)][bin(y, testColCuts)]++
	}
	got, err := Polychoric(table)
	// The standard error is about (1 − ρ²)/√n ≈ 0.005 inflated by the coarsening; 0.03 is
	// several standard errors.
	if err != nil || math.Abs(got-rho0) > 0.03 {
		t.Errorf("Polychoric of %d binned pairs with ρ = %v: %v, %v", n, rho0, got, err)
	}
	t.Logf("ρ̂ = %.4f", got)
}

func TestPolychoricMissingCells(t *testing.T) {
	t.Parallel()
	a := append(append([]float64{math.Inf(-1)}, testRowCuts...), math.Inf(1))
	b := append(append([]float64{math.Inf(-1)}, testColCuts...), math.Inf(1))
	for _, rho0 := range []float64{-0.5, 0, 0.3, 0.7} {
		table := expectedTable(1000, rho0, testRowCuts, testColCuts)
		table[1][2] = math.NaN()
		table[3][0] = math.NaN()
		got, err := Polychoric(table)
		if err != nil || math.Abs(got-rho0) > 1e-6 {
			t.Errorf("ρ0 = %v with two NaN cells: Polychoric = %.10g, %v", rho0, got, err)
		}
		// At the true thresholds the conditional likelihood alone recovers ρ0; dropping its
		// −N·log Σ π term (treating the observed cells as the whole table) does not.
		p := polychoricProblem{n: table, a: a, b: b, missing: true}
		if r := p.maximise(math.NaN()); math.Abs(r-rho0) > 1e-9 {
			t.Errorf("ρ0 = %v: conditional ML at the true thresholds = %.12g", rho0, r)
		}
		p.missing = false
		if r := p.maximise(math.NaN()); math.Abs(r-rho0) < 0.01 {
			t.Errorf("ρ0 = %v: unconditional ML at the true thresholds = %.12g, expected a bias", rho0, r)
		}
	}
}

func TestPolychoricPerfectOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		table [][]float64
		ok    func(float64) bool
	}{
		{[][]float64{{10, 0}, {0, 10}}, func(r float64) bool { return r >= 0.99 }},
		{[][]float64{{0, 10}, {10, 0}}, func(r float64) bool { return r <= -0.99 }},
		{[][]float64{{5, 0, 0}, {0, 7, 0}, {0, 0, 3}}, func(r float64) bool { return r >= 0.99 }},
	} {
		got, err := Polychoric(c.table)
		if err != nil || !c.ok(got) || math.Abs(got) > polychoricMaxCor {
			t.Errorf("Polychoric(%v) = %v, %v", c.table, got, err)
		}
	}
}

func TestPolychoricErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		table [][]float64
		want  string
	}{
		{"one row", [][]float64{{3, 4, 5}}, "at least 2 non-empty categories"},
		{"one non-empty column", [][]float64{{3, 0}, {4, 0}}, "at least 2 non-empty categories"},
		{"only NaN in a row", [][]float64{{3, 4}, {math.NaN(), math.NaN()}}, "at least 2 non-empty categories"},
		{"empty", nil, "at least 2 non-empty categories"},
		{"negative", [][]float64{{3, -1}, {4, 5}}, "cell [0][1]"},
		{"infinite", [][]float64{{3, 1}, {4, math.Inf(1)}}, "cell [1][1]"},
		{"ragged", [][]float64{{3, 1}, {4, 5, 6}}, "ragged"},
	} {
		got, err := Polychoric(c.table)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Polychoric = %v, %v; want an error containing %q", c.name, got, err, c.want)
		}
	}
}

func TestPolychoricReference(t *testing.T) {
	t.Parallel()
	// SciRuby statsample-bivariate-extension, "Polychoric Correlation using two-step and
	// joint method" notebook (sciruby-notebooks, Statistics/Polychoric Correlation.ipynb,
	// 2015): the two-step estimate for this 3×3 table is r = 0.1683, with thresholds
	// 0.4307, 1.2408 (rows) and −0.1924, 1.2720 (columns), all printed to 4 decimals.
	// No worked example from Olsson (1979) or Drasgow (1986) was found in the sources
	// available to us, so their tables are not used.
	table := [][]float64{{52, 58, 8}, {18, 15, 7}, {5, 11, 3}}
	got, err := Polychoric(table)
	if err != nil || math.Abs(got-0.1683) > 5e-5 {
		t.Errorf("Polychoric(%v) = %.6f, %v; want 0.1683", table, got, err)
	}
	for _, c := range []struct{ got, want float64 }{
		{NormalQuantile(118.0 / 177), 0.4307},
		{NormalQuantile(158.0 / 177), 1.2408},
		{NormalQuantile(75.0 / 177), -0.1924},
		{NormalQuantile(159.0 / 177), 1.2720},
	} {
		if math.Abs(c.got-c.want) > 5e-5 {
			t.Errorf("threshold %.6f, want %v", c.got, c.want)
		}
	}
}
