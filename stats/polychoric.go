package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// polychoricMaxCor is the largest |ρ| Polychoric returns: a table whose likelihood still
// rises at ±polychoricMaxCor (a perfectly ordered table, say) gets that value. It is the
// default maxcor of R's polycor::polychor.
const polychoricMaxCor = 0.9999

// bvnTail is the |h| or |k| beyond which BivariateNormalCDF treats the argument as
// infinite: Φ(−40) ≈ 4e−350 is below the smallest float64, so nothing changes. It also
// keeps h·k and (h − k)² finite.
const bvnTail = 40

// gaussLegendre is an n-point Gauss–Legendre rule on [−1, 1].
type gaussLegendre struct{ x, w []float64 }

func newGaussLegendre(n int) gaussLegendre {
	g := gaussLegendre{x: make([]float64, n), w: make([]float64, n)}
	quad.Legendre{}.FixedLocations(g.x, g.w, -1, 1)
	return g
}

// The 6-, 12- and 20-point rules of Genz (2004, §2.2): the standard Gauss–Legendre nodes
// and weights, which gonum tabulates to a few ulps (Bogaert 2014).
var (
	gl6  = newGaussLegendre(6)
	gl12 = newGaussLegendre(12)
	gl20 = newGaussLegendre(20)
)

// BivariateNormalCDF is Φ₂(h, k; ρ) = P(X ≤ h, Y ≤ k) for a standard bivariate normal
// pair with correlation ρ, to an absolute error of about 1e−15. It is Genz's (2004)
// refinement of Drezner & Wesolowsky (1990): A. Genz, "Numerical computation of
// rectangular bivariate and trivariate normal and t probabilities", Statistics and
// Computing 14:251–260, §2.2 (the method of his Fortran BVND, used by R's mvtnorm).
//
// For |ρ| < 0.925 it integrates Plackett's identity ∂Φ₂/∂ρ = φ₂ from 0 to ρ with t = sin θ:
//
//	Φ₂(h, k; ρ) = Φ(h)Φ(k) + 1/(2π) ∫₀^{asin ρ} exp(−(h² + k² − 2hk·sin θ)/(2cos²θ)) dθ
//
// by Gauss–Legendre quadrature with 6, 12 or 20 points for |ρ| < 0.3, < 0.75 or above.
// For |ρ| ≥ 0.925 the integrand is nearly singular, so it integrates instead from |ρ| to 1,
// where Φ₂ is known (Φ₂(−h, −k; 1) = Φ(−max(h, k)) for upper tails), in x = √(1 − t²):
//
//	∫_{|ρ|}^1 φ₂ dt = 1/(2π) ∫₀^{√(1−ρ²)} exp(−(h−k)²/(2x²) − hk/(1 + √(1−x²))) / √(1−x²) dx,
//
// subtracting the integrand's expansion e^{−hk/2} e^{−(h−k)²/(2x²)}·(1 + c·x² + c·d·x⁴),
// c = (4 − hk)/8, d = (12 − hk)/16, which integrates in closed form, and integrating
// the smooth remainder with 20 points. Negative ρ uses P(X > h, Y > k; ρ) =
// Φ(−h) − P(X > h, Y > −k; −ρ).
//
// Limits are exact: h or k = −∞ gives 0, k = +∞ gives Φ(h) and h = +∞ gives Φ(k) (|h|
// or |k| > 40 counts as infinite: Φ(−40) is below the smallest float64).
// ρ = 1 gives Φ(min(h, k)) and ρ = −1 gives max(0, Φ(h) + Φ(k) − 1). NaN arguments or
// |ρ| > 1 panic.
func BivariateNormalCDF(h, k, rho float64) float64 {
	if math.IsNaN(h) || math.IsNaN(k) || !(rho >= -1 && rho <= 1) {
		panic("stats: BivariateNormalCDF: h and k must not be NaN and ρ must be in [−1, 1]")
	}
	switch {
	case h < -bvnTail || k < -bvnTail:
		return 0
	case h > bvnTail:
		return NormalCDF(k)
	case k > bvnTail:
		return NormalCDF(h)
	case rho == 1:
		return NormalCDF(min(h, k))
	case rho == -1:
		// Y = −X: P(−k ≤ X ≤ h).
		return max(0, NormalCDF(h)-NormalCDF(-k))
	}
	return min(1, max(0, bvnUpper(-h, -k, rho)))
}

// bvnUpper is P(X > h, Y > k; r) for finite h, k and |r| < 1 (Genz's BVND).
func bvnUpper(h, k, r float64) float64 {
	g := gl20
	switch ar := math.Abs(r); {
	case ar < 0.3:
		g = gl6
	case ar < 0.75:
		g = gl12
	}
	hk := h * k
	if math.Abs(r) < 0.925 {
		hs := (h*h + k*k) / 2
		asr := math.Asin(r)
		var s float64
		for i, x := range g.x {
			sn := math.Sin(asr * (x + 1) / 2)
			s += g.w[i] * math.Exp((sn*hk-hs)/(1-sn*sn))
		}
		// dθ = asr/2 · dx, and the 1/(2π) of the density.
		return s*asr/(4*math.Pi) + NormalCDF(-h)*NormalCDF(-k)
	}

	// |r| ≥ 0.925. For r < 0 work with (h, −k, −r) and reflect at the end.
	if r < 0 {
		k, hk = -k, -hk
	}
	as := (1 - r) * (1 + r) // 1 − r², without cancellation near |r| = 1
	a := math.Sqrt(as)
	bs := (h - k) * (h - k)
	c := (4 - hk) / 8
	d := (12 - hk) / 16

	// s accumulates ∫₀^a exp(−bs/(2x²) − hk/(1+√(1−x²)))/√(1−x²) dx. First the closed form
	// of e^{−hk/2} ∫₀^a e^{−bs/(2x²)} (1 + c·x² + c·d·x⁴) dx, with b = √bs:
	// a·e^{−bs/(2a²)}·(1 − c(bs − a²)(1 − d·bs/5)/3 + c·d·a⁴/5) − √(2π)·b·Φ(−b/a)·(1 − c·bs(1 − d·bs/5)/3).
	s := a * math.Exp(-(bs/as+hk)/2) * (1 - c*(bs-as)*(1-d*bs/5)/3 + c*d*as*as/5)
	if hk > -160 {
		// Below −160 the term is under e^{−240} (bs ≥ −4hk), and e^{−hk/2} alone could overflow.
		b := math.Sqrt(bs)
		s -= math.Exp(-hk/2) * math.Sqrt(2*math.Pi) * NormalCDF(-b/a) * b * (1 - c*bs*(1-d*bs/5)/3)
	}
	// Then the smooth remainder by Gauss–Legendre on [0, a]. Both exponents are ≤ 0 for
	// any h, k (bs ≥ −4hk), so nothing overflows.
	half := a / 2
	for i, x := range g.x {
		xs := half * (x + 1)
		xs *= xs
		rs := math.Sqrt(1 - xs)
		full := math.Exp(-bs/(2*xs)-hk/(1+rs)) / rs
		taylor := math.Exp(-(bs/xs+hk)/2) * (1 + c*xs*(1+d*xs))
		s += half * g.w[i] * (full - taylor)
	}
	s /= 2 * math.Pi // = ∫_{|r|}^1 φ₂(h, k; t) dt

	if r > 0 {
		return NormalCDF(-max(h, k)) - s
	}
	return s + max(0, NormalCDF(-h)-NormalCDF(-k))
}

// bivariateNormalPDF is φ₂(h, k; ρ), 0 when h or k is infinite; |ρ| < 1.
func bivariateNormalPDF(h, k, rho float64) float64 {
	if math.IsInf(h, 0) || math.IsInf(k, 0) {
		return 0
	}
	as := (1 - rho) * (1 + rho)
	return math.Exp(-(h*h-2*rho*h*k+k*k)/(2*as)) / (2 * math.Pi * math.Sqrt(as))
}

// Polychoric is the polychoric correlation of an ordinal two-way table: the correlation ρ
// of a standard bivariate normal pair that, cut at fixed thresholds, best reproduces the
// table. table[i][j] counts the rows in category i of the first variable and j of the
// second, both in their natural order; math.NaN() marks a suppressed or unknown cell.
//
// It is Olsson's (1979) two-step maximum-likelihood estimator (U. Olsson, "Maximum
// likelihood estimation of the polychoric correlation coefficient", Psychometrika
// 44:443–460; polycor's polychor(ML = FALSE)). Rows and columns whose observed total is 0
// are dropped. The thresholds come from the margins of the observed cells,
// a_i = Φ⁻¹((R_1 + … + R_i)/N) and b_j = Φ⁻¹((C_1 + … + C_j)/N), with a_0 = b_0 = −∞ and
// the last +∞, N = Σ_obs n_ij. ρ then maximises the log-likelihood conditional on the
// observed cells,
//
//	L(ρ) = Σ_obs n_ij log π_ij(ρ) − N·log Σ_obs π_ij(ρ),
//	π_ij = Φ₂(a_i, b_j) − Φ₂(a_{i−1}, b_j) − Φ₂(a_i, b_{j−1}) + Φ₂(a_{i−1}, b_{j−1}),
//
// whose second term vanishes when no cell is NaN (Σ π = 1). The maximum is bracketed on a
// grid of ρ in [−0.9999, 0.9999] (step 0.05) and located as the zero of the analytic
// derivative (Illinois regula falsi),
// L′(ρ) = Σ n_ij π′_ij/π_ij − N·Σ π′_ij/Σ π_ij, where π′_ij is the same double difference
// of the density φ₂ (∂Φ₂/∂ρ = φ₂, Plackett 1954). When L still rises at ±0.9999 (a
// perfectly ordered table, say) that bound is returned.
//
// Unknown cells also leave the observed margins short, which biases the thresholds (on
// the tests' expected table, ρ = −0.5 came out −0.35). So when a cell is NaN the first
// estimate is refined: each unknown cell is filled with its expected count
// N·π_ij/Σ_obs π_ij, the thresholds are recomputed from the completed margins and ρ is
// re-estimated, until ρ and the thresholds move by less than 1e−11 (an EM-style fixed
// point, exact for a table that follows the model). Without NaN cells this changes nothing.
//
// Errors: a ragged table, a negative or infinite count, or fewer than two non-empty rows
// or columns.
func Polychoric(table [][]float64) (rho float64, err error) {
	if len(table) == 0 {
		return 0, errTooFewCategories
	}
	cols := len(table[0])
	for i, row := range table {
		if len(row) != cols {
			return 0, fmt.Errorf("stats: Polychoric: ragged table: row %d has %d cells, row 0 has %d", i, len(row), cols)
		}
		for j, v := range row {
			if v < 0 || math.IsInf(v, 0) {
				return 0, fmt.Errorf("stats: Polychoric: cell [%d][%d] is %v: counts must be finite and ≥ 0", i, j, v)
			}
		}
	}

	rowTot, colTot := make([]float64, len(table)), make([]float64, cols)
	for i, row := range table {
		for j, v := range row {
			if !math.IsNaN(v) {
				rowTot[i] += v
				colTot[j] += v
			}
		}
	}
	rows, cs := nonEmpty(rowTot), nonEmpty(colTot)
	if len(rows) < 2 || len(cs) < 2 {
		return 0, errTooFewCategories
	}
	p := polychoricProblem{n: make([][]float64, len(rows))}
	for i, r := range rows {
		p.n[i] = make([]float64, len(cs))
		for j, c := range cs {
			p.n[i][j] = table[r][c]
			p.missing = p.missing || math.IsNaN(table[r][c])
		}
	}
	p.setThresholds(p.n)
	rho = p.maximise(math.NaN())
	if !p.missing {
		return rho, nil
	}
	// Unknown cells: refine the thresholds on margins completed with expected counts.
	for range polychoricMaxIter {
		prevA, prevB := p.a, p.b
		p.setThresholds(p.completed(rho))
		next := p.maximise(rho)
		moved := max(math.Abs(next-rho), maxAbsDiff(p.a, prevA), maxAbsDiff(p.b, prevB))
		rho = next
		if moved < 1e-11 {
			break
		}
	}
	return rho, nil
}

// polychoricMaxIter caps the threshold refinement with unknown cells. Like EM it
// converges linearly, more slowly the more of the table is unknown: the tests' tables
// with two of 20 cells unknown (7% to 24% of the mass) take 30 to 85 rounds.
const polychoricMaxIter = 200

var errTooFewCategories = errors.New("stats: Polychoric: polychoric correlation needs at least 2 non-empty categories on each axis")

// nonEmpty returns the indices of the positive totals.
func nonEmpty(tot []float64) []int {
	var idx []int
	for i, t := range tot {
		if t > 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

// setThresholds sets p.a and p.b from the margins of n, skipping NaN cells: −∞,
// Φ⁻¹ of the cumulative shares of all categories but the last, and +∞.
func (p *polychoricProblem) setThresholds(n [][]float64) {
	rowTot, colTot := make([]float64, len(n)), make([]float64, len(n[0]))
	for i, row := range n {
		for j, v := range row {
			if !math.IsNaN(v) {
				rowTot[i] += v
				colTot[j] += v
			}
		}
	}
	p.a, p.b = thresholds(rowTot), thresholds(colTot)
}

func thresholds(tot []float64) []float64 {
	total := sum(tot)
	t := make([]float64, len(tot)+1)
	t[0], t[len(tot)] = math.Inf(-1), math.Inf(1)
	var cum float64
	for i, v := range tot[:len(tot)-1] {
		cum += v
		t[i+1] = NormalQuantile(cum / total)
	}
	return t
}

func maxAbsDiff(x, y []float64) float64 {
	var d float64
	for i := range x {
		if x[i] != y[i] { // the infinite ends are equal
			d = max(d, math.Abs(x[i]-y[i]))
		}
	}
	return d
}

// polychoricProblem is the second step of Olsson's estimator: counts n (NaN = unobserved)
// and fixed thresholds a (rows) and b (columns), each with ±∞ at the ends.
type polychoricProblem struct {
	n       [][]float64
	a, b    []float64
	missing bool
}

// cells returns the cell probabilities π_ij(ρ) and, if deriv, their derivatives π′_ij.
func (p polychoricProblem) cells(rho float64, deriv bool) (pi, dpi [][]float64) {
	grid := func(f func(h, k, rho float64) float64) [][]float64 {
		g := make([][]float64, len(p.a))
		for i, h := range p.a {
			g[i] = make([]float64, len(p.b))
			for j, k := range p.b {
				g[i][j] = f(h, k, rho)
			}
		}
		return g
	}
	diff := func(g [][]float64) [][]float64 {
		out := make([][]float64, len(p.a)-1)
		for i := range out {
			out[i] = make([]float64, len(p.b)-1)
			for j := range out[i] {
				out[i][j] = g[i+1][j+1] - g[i][j+1] - g[i+1][j] + g[i][j]
			}
		}
		return out
	}
	pi = diff(grid(BivariateNormalCDF))
	if deriv {
		dpi = diff(grid(bivariateNormalPDF))
	}
	return pi, dpi
}

// completed returns the counts with each unknown cell replaced by its expected count given
// the observed total, N_obs·π_ij(ρ)/Σ_obs π(ρ).
func (p polychoricProblem) completed(rho float64) [][]float64 {
	pi, _ := p.cells(rho, false)
	var tn, tp float64
	for i, row := range p.n {
		for j, v := range row {
			if !math.IsNaN(v) {
				tn += v
				tp += pi[i][j]
			}
		}
	}
	out := make([][]float64, len(p.n))
	for i, row := range p.n {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			if math.IsNaN(v) {
				v = tn * pi[i][j] / tp
			}
			out[i][j] = v
		}
	}
	return out
}

// logLik is L(ρ); −Inf when a cell with a positive count has probability 0.
func (p polychoricProblem) logLik(rho float64) float64 {
	pi, _ := p.cells(rho, false)
	var l, tn, tp float64
	for i, row := range p.n {
		for j, v := range row {
			if math.IsNaN(v) {
				continue
			}
			tn += v
			tp += pi[i][j]
			if v > 0 {
				if pi[i][j] <= 0 {
					return math.Inf(-1)
				}
				l += v * math.Log(pi[i][j])
			}
		}
	}
	if p.missing {
		l -= tn * math.Log(tp)
	}
	return l
}

// score is L′(ρ).
func (p polychoricProblem) score(rho float64) float64 {
	pi, dpi := p.cells(rho, true)
	var s, tn, tp, tdp float64
	for i, row := range p.n {
		for j, v := range row {
			if math.IsNaN(v) {
				continue
			}
			tn += v
			tp += pi[i][j]
			tdp += dpi[i][j]
			if v > 0 {
				s += v * dpi[i][j] / pi[i][j]
			}
		}
	}
	if p.missing {
		s -= tn * tdp / tp
	}
	return s
}

// maximise finds the ρ in [−polychoricMaxCor, polychoricMaxCor] that maximises L: the
// best point of a grid, then bisection on L′ between its neighbours (golden-section
// search on L should L′ not change sign there). A finite near is a warm start: when L′
// changes sign across near ± 0.02, the grid is skipped.
func (p polychoricProblem) maximise(near float64) float64 {
	if !math.IsNaN(near) {
		lo, hi := max(-polychoricMaxCor, near-0.02), min(polychoricMaxCor, near+0.02)
		if p.score(lo) > 0 && p.score(hi) < 0 {
			return bisectSlope(lo, hi, p.score)
		}
	}
	const steps = 40 // grid spacing ≈ 0.05
	grid := make([]float64, steps+1)
	best, bestL := 0, math.Inf(-1)
	for i := range grid {
		grid[i] = -polychoricMaxCor + 2*polychoricMaxCor*float64(i)/steps
		if l := p.logLik(grid[i]); l > bestL {
			best, bestL = i, l
		}
	}
	if math.IsInf(bestL, -1) {
		return math.NaN() // unreachable: at ρ = 0 every kept cell has π > 0
	}
	switch {
	case best == steps && !(p.score(grid[steps]) < 0):
		return polychoricMaxCor
	case best == 0 && !(p.score(grid[0]) > 0):
		return -polychoricMaxCor
	}
	// The maximum lies between the grid neighbours of the best point. Where L′ is not finite
	// (a cell with a count has probability 0, which happens only towards ρ = ±1), the side of
	// the best point tells which way L rises.
	slope := func(x float64) float64 {
		s := p.score(x)
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return grid[best] - x
		}
		return s
	}
	lo, hi := grid[max(0, best-1)], grid[min(steps, best+1)]
	if !(slope(lo) > 0 && slope(hi) < 0) {
		return p.golden(lo, hi)
	}
	return bisectSlope(lo, hi, slope)
}

// bisectSlope finds the zero of slope in [lo, hi], given slope(lo) > 0 > slope(hi), by
// the Illinois variant of regula falsi (Dowell & Jarratt 1971): it keeps the bracket of
// bisection but converges superlinearly, in about ten evaluations instead of forty.
func bisectSlope(lo, hi float64, slope func(float64) float64) float64 {
	flo, fhi := slope(lo), slope(hi)
	side := 0
	for range 100 {
		if hi-lo <= 1e-13 {
			break
		}
		x := (lo*fhi - hi*flo) / (fhi - flo)
		if !(x > lo && x < hi) {
			x = (lo + hi) / 2
		}
		fx := slope(x)
		switch {
		case fx > 0:
			lo, flo = x, fx
			if side > 0 { // the same end moved twice: halve the stale one
				fhi /= 2
			}
			side = 1
		case fx < 0:
			hi, fhi = x, fx
			if side < 0 {
				flo /= 2
			}
			side = -1
		default:
			return x
		}
	}
	return (lo + hi) / 2
}

// golden is a golden-section search for the maximum of L on [lo, hi].
func (p polychoricProblem) golden(lo, hi float64) float64 {
	invPhi := (math.Sqrt(5) - 1) / 2
	x1, x2 := hi-invPhi*(hi-lo), lo+invPhi*(hi-lo)
	f1, f2 := p.logLik(x1), p.logLik(x2)
	for hi-lo > 1e-10 {
		if f1 < f2 {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + invPhi*(hi-lo)
			f2 = p.logLik(x2)
		} else {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - invPhi*(hi-lo)
			f1 = p.logLik(x1)
		}
	}
	return (lo + hi) / 2
}
