package fit

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
)

// binned is a histogram as the likelihood sees it: bucket bounds and counts, and, for a
// differential-privacy document, the noise variance σ² of every count (0: exact counts).
type binned struct {
	lo, hi, n []float64
	total     float64
	sigma2    float64
}

// newNoisyBinned is newBinned for a histogram whose every count carries independent
// noise of variance sigma2 (shape.export_dp): a negative count (which a release could
// only hold if made without the export's clamp) is taken as 0, and clamped says how
// many were. logLik then weighs each bucket by its noise (see there).
func newNoisyBinned(h shape.Histogram, sigma2 float64) (b binned, clamped int) {
	b = binned{sigma2: sigma2}
	for _, x := range h {
		n := float64(x.Count)
		if n < 0 {
			n, clamped = 0, clamped+1
		}
		b.lo = append(b.lo, x.Lo)
		b.hi = append(b.hi, x.Hi)
		b.n = append(b.n, n)
		b.total += n
	}
	return b, clamped
}

func newBinned(h shape.Histogram) binned {
	b := binned{}
	for _, x := range h {
		b.lo = append(b.lo, x.Lo)
		b.hi = append(b.hi, x.Hi)
		b.n = append(b.n, float64(x.Count))
		b.total += float64(x.Count)
	}
	return b
}

// noisyLogLik is logLik's likelihood of noisy, censored counts (see there).
func (b binned) noisyLogLik(probs []float64) float64 {
	var pObs float64
	for i, n := range b.n {
		if n > 0 {
			pObs += probs[i]
		}
	}
	if !(pObs > 0) {
		return math.Inf(-1)
	}
	t := b.total / pObs
	thr := math.Ceil(5 * math.Sqrt(b.sigma2))
	var ll float64
	for i, n := range b.n {
		e := t * probs[i]
		v := e + b.sigma2
		if n > 0 {
			ll += -0.5*(n-e)*(n-e)/v - 0.5*math.Log(v)
			continue
		}
		// a 0 next to a published count: the noisy count was ≤ 0 (a positive one would
		// have joined the run); elsewhere: under ⌈5σ⌉
		c := thr
		if (i > 0 && b.n[i-1] > 0) || (i+1 < len(b.n) && b.n[i+1] > 0) {
			c = 0.5
		}
		ll += logNormalCDF((c - e) / math.Sqrt(v))
	}
	return ll
}

// logNormalCDF is ln Φ(z), with the tail's asymptote ln φ(z) − ln(−z) where Φ(z)
// underflows.
func logNormalCDF(z float64) float64 {
	if z > -30 {
		return math.Log(0.5 * math.Erfc(-z/math.Sqrt2))
	}
	return -z*z/2 - math.Log(-z) - 0.5*math.Log(2*math.Pi)
}

// scale returns the histogram with every bound multiplied by f (minutes → seconds).
func (b binned) scale(f float64) binned {
	out := binned{total: b.total, n: b.n, sigma2: b.sigma2}
	for i := range b.lo {
		out.lo = append(out.lo, b.lo[i]*f)
		out.hi = append(out.hi, b.hi[i]*f)
	}
	return out
}

// from returns the buckets whose lower bound is at least x (conditioning on X ≥ x).
func (b binned) from(x float64) binned {
	out := binned{sigma2: b.sigma2}
	for i := range b.lo {
		if b.lo[i] >= x {
			out.lo = append(out.lo, b.lo[i])
			out.hi = append(out.hi, b.hi[i])
			out.n = append(out.n, b.n[i])
			out.total += b.n[i]
		}
	}
	return out
}

// logLik is the binned (grouped-data) log-likelihood Σ n_i ln P_i, with P_i the model's
// mass over bucket i divided by its mass over all the buckets (so that a histogram that
// covers only part of the support, e.g. buckets ≥ 3 of the member counts, conditions
// the model on that part). A bucket with data but no model mass gives −Inf.
//
// Grouped-data maximum likelihood: Fisher (1922), "On the mathematical foundations of
// theoretical statistics", §12; Kendall & Stuart, The Advanced Theory of Statistics,
// vol. 2, ch. 18 ("grouped data"). The multinomial likelihood of the bucket counts is
// exactly what the histogram carries, so no bucket representative (midpoint, lower
// bound) enters the estimate.
//
// With noise (sigma2 > 0, a differential-privacy document) the released count of bucket
// i is n_i + ε_i, ε_i of variance σ² independent of the multinomial count, whose
// variance is about its expectation e_i; and the export keeps a bin only when its noisy
// count is at least ⌈5σ⌉ or positive and joined to such a bin by positive bins
// (shape.dp_keep; docs/privacy.md, post-processing). A released 0 next to a published
// count therefore says "noisy count ≤ 0", any other 0 "under ⌈5σ⌉". The likelihood is
// then the Gaussian approximation with that censoring:
//
//	a published count:          −½ (n_i − e_i)² / (e_i + σ²) − ½ ln(e_i + σ²)
//	a 0 next to a published one: ln Φ((½ − e_i) / √(e_i + σ²))
//	any other 0:                 ln Φ((⌈5σ⌉ − e_i) / √(e_i + σ²))
//
// with e_i = T·P_i / P_obs, T the published counts' total and P_obs the model mass of
// the published buckets (the censored buckets' true counts are not in T). Each bucket
// weighs 1/(e_i + σ²) instead of the multinomial's 1/e_i, so a bucket whose count is
// mostly noise barely moves the fit, and an emptied tail says "under 5σ", not "no
// mass". The weights use the model's e_i, not the noisy n_i, which would favour the
// buckets whose noise happened to be negative.
func (b binned) logLik(m Model) float64 {
	probs, cover := b.probs(m)
	if !(cover > 0) {
		return math.Inf(-1)
	}
	if b.sigma2 > 0 {
		return b.noisyLogLik(probs)
	}
	var ll float64
	for i, n := range b.n {
		if n == 0 {
			continue
		}
		if !(probs[i] > 0) {
			return math.Inf(-1)
		}
		ll += n * math.Log(probs[i])
	}
	return ll
}

// probs returns the model's bucket probabilities normalised over the buckets, and the
// model mass the buckets cover.
func (b binned) probs(m Model) ([]float64, float64) {
	surv := survivalOf(m)
	p := make([]float64, len(b.lo))
	var cover float64
	sLo := surv(b.lo[0])
	for i := range b.lo {
		sHi := surv(b.hi[i])
		p[i] = math.Max(sLo-sHi, 0)
		cover += p[i]
		if i+1 < len(b.lo) {
			// Buckets are contiguous, so each edge's survival is computed once.
			sLo = sHi
			if b.lo[i+1] != b.hi[i] {
				sLo = surv(b.lo[i+1])
			}
		}
	}
	if cover > 0 {
		for i := range p {
			p[i] /= cover
		}
	}
	return p, cover
}

// errNoConvergence marks an optimisation that did not converge.
var errNoConvergence = errors.New("the optimiser did not converge")

// maximise maximises f over unconstrained (transformed) parameters with gonum's
// Nelder–Mead simplex from each starting point in turn and returns the best optimum.
// Nelder–Mead needs no gradients (the binned likelihoods are differences of special
// functions) and is deterministic, so the same document always gives the same fit.
func maximise(f func(x []float64) float64, starts ...[]float64) ([]float64, float64, error) {
	return maximiseWith(optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-9, Relative: 1e-11, Iterations: 60},
		FuncEvaluations: 20000,
	}, false, f, starts...)
}

// maximiseWith is maximise under the given convergence settings; with evalLimitOK a run
// stopped by its evaluation limit still counts (its best point so far).
func maximiseWith(settings optimize.Settings, evalLimitOK bool, f func(x []float64) float64, starts ...[]float64) ([]float64, float64, error) {
	var best []float64
	bestF := math.Inf(-1)
	var lastErr error
	for _, x0 := range starts {
		prob := optimize.Problem{Func: func(x []float64) float64 {
			v := f(x)
			if math.IsNaN(v) || math.IsInf(v, -1) {
				return math.MaxFloat64 / 4
			}
			return -v
		}}
		st := settings
		res, err := optimize.Minimize(prob, x0, &st, &optimize.NelderMead{SimplexSize: 0.5})
		if err != nil || res == nil {
			lastErr = err
			continue
		}
		ok := res.Status == optimize.FunctionConvergence || res.Status == optimize.Success ||
			(evalLimitOK && res.Status == optimize.FunctionEvaluationLimit)
		if !ok {
			lastErr = fmt.Errorf("%w (status %v)", errNoConvergence, res.Status)
			continue
		}
		if v := -res.F; v > bestF && res.F < math.MaxFloat64/8 {
			best, bestF = res.X, v
		}
	}
	if best == nil {
		if lastErr == nil {
			lastErr = errNoConvergence
		}
		return nil, 0, lastErr
	}
	return best, bestF, nil
}

// GOF is the goodness of fit of a fitted model to the binned data it was fitted on.
type GOF struct {
	// N is the number of observations in the fitted buckets.
	N float64 `json:"n"`
	// Buckets is how many buckets entered the fit.
	Buckets int `json:"buckets"`
	// FittedParams is the number of parameters estimated (subtracted from df).
	FittedParams int `json:"fitted_params"`
	// ChiSquared is Pearson's X² against the model (bins merged to expected ≥ 5).
	ChiSquared     float64 `json:"chi_squared"`
	DF             float64 `json:"df"`
	ChiSquaredP    float64 `json:"chi_squared_p_value"`
	GStatistic     float64 `json:"g_statistic"`
	GP             float64 `json:"g_p_value"`
	MergedBins     int     `json:"merged_bins"`
	TotalVariation float64 `json:"total_variation"`
	// Percentiles compares model and observed percentiles where the document publishes
	// them.
	Percentiles []PercentileCheck `json:"percentiles,omitempty"`
	// Note says what the numbers mean for this family.
	Note string `json:"note,omitempty"`
}

// PercentileCheck is one model percentile against the published one.
type PercentileCheck struct {
	P             float64 `json:"p"`
	Observed      float64 `json:"observed"`
	Model         float64 `json:"model"`
	RelativeError float64 `json:"relative_error"`
}

// gofNote explains why p-values are small at production sizes.
const gofNote = "at production sizes the p-values reject even negligible deviations; judge the fit by total_variation and the percentile errors"

// goodness computes the chi-squared and G tests and the total variation distance of
// the binned data against the model's bucket probabilities.
func (b binned) goodness(m Model, fitted int) GOF {
	probs, _ := b.probs(m)
	chi := stats.ChiSquaredGOF(b.n, probs, fitted, stats.DefaultMinExpected)
	g := stats.GTestGOF(b.n, probs, fitted, stats.DefaultMinExpected)
	note := gofNote
	if b.sigma2 > 0 {
		note = fmt.Sprintf("differential-privacy counts: fitted by the Gaussian likelihood with each bucket's variance e_i + σ² and the buckets released as 0 censored (shape.dp_keep), σ = %.3g; the χ² and G p-values below ignore that noise; %s", math.Sqrt(b.sigma2), gofNote)
	}
	return GOF{
		N: b.total, Buckets: len(b.n), FittedParams: fitted,
		ChiSquared: chi.Stat, DF: chi.DF, ChiSquaredP: chi.PValue, MergedBins: chi.MergedBins,
		GStatistic: g.Stat, GP: g.PValue,
		TotalVariation: stats.TotalVariation(b.n, probs),
		Note:           note,
	}
}
