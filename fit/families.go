package fit

import (
	"fmt"
	"math"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
)

// logistic maps the real line to (0, 1).
func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// logit is logistic's inverse.
func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// logMoments returns the count-weighted mean and standard deviation of ln(x) over
// bucket representatives (geometric midpoints; an open last bucket at 1.5× its lower
// bound, a bucket starting at 0 at half its upper bound). Only a starting point for the
// likelihood, never an estimate.
func logMoments(b binned, floor float64) (mu, sigma float64) {
	var s, s2, n float64
	for i := range b.lo {
		if b.n[i] == 0 {
			continue
		}
		lo, hi := math.Max(b.lo[i], floor), b.hi[i]
		var mid float64
		switch {
		case math.IsInf(hi, 1):
			mid = 1.5 * lo
		case lo <= 0:
			mid = hi / 2
		default:
			mid = math.Sqrt(lo * hi)
		}
		l := math.Log(math.Max(mid, floor))
		s += b.n[i] * l
		s2 += b.n[i] * l * l
		n += b.n[i]
	}
	if n == 0 {
		return 0, 1
	}
	mu = s / n
	sigma = math.Sqrt(math.Max(s2/n-mu*mu, 0.01))
	return mu, sigma
}

// topBound returns the support's cap for the generator: ten times the lower bound of
// the last published bucket. The last bucket is open: the k-anonymity merge folds the
// whole tail into it, so no fine grid edge bounds the data, and capping the model at
// the next fine edge would cut off exactly the tail that carries the heavy rooms. Ten
// times the bound leaves the log-normal fits a negligible tail mass beyond the cap;
// for a power law the cap is a modelling choice, reported in the spec. grid and
// integer are kept for the callers' symmetry: the cap is the same for every grid.
func topBound(b binned, _ []float64, integer bool) float64 {
	last := math.Max(b.lo[len(b.lo)-1], 1)
	if integer {
		return math.Floor(10 * last)
	}
	return 10 * last
}

// LogNormalFit is a log-normal fitted by binned maximum likelihood.
type LogNormalFit struct {
	Mu, Sigma, Max float64
	LogLik         float64
	GOF            GOF
}

// FitLogNormal fits a log-normal (truncated at max when max > 0) to a histogram by
// binned maximum likelihood: maximise Σ n_i ln[Φ((ln hi_i − μ)/σ) − Φ((ln lo_i − μ)/σ)]
// over (μ, ln σ) with Nelder–Mead, from the grouped log-moments. Integer data binned on
// integer edges are exact under this likelihood, since ⌊X⌋ ∈ [lo, hi) ⇔ X ∈ [lo, hi).
func FitLogNormal(h shape.Histogram, max float64) (LogNormalFit, error) {
	return fitLogNormal(newBinned(h), max)
}

func fitLogNormal(b binned, max float64) (LogNormalFit, error) {
	if b.total == 0 {
		return LogNormalFit{}, fmt.Errorf("the histogram is empty")
	}
	mu0, s0 := logMoments(b, 0.5)
	ll := func(x []float64) float64 {
		return b.logLik(LogNormal{Mu: x[0], Sigma: math.Exp(x[1]), Max: max})
	}
	x, v, err := maximise(ll, []float64{mu0, math.Log(s0)})
	if err != nil {
		return LogNormalFit{}, err
	}
	m := LogNormal{Mu: x[0], Sigma: math.Exp(x[1]), Max: max}
	return LogNormalFit{Mu: m.Mu, Sigma: m.Sigma, Max: max, LogLik: v, GOF: b.goodness(m, 2)}, nil
}

// SizeFit is the fitted conversation-size model.
type SizeFit struct {
	Small  dist.TruncatedGeometric
	Large  dist.PowerLaw
	LogLik float64
	GOF    GOF
}

// FitSizes fits the member counts of groups (3+) on the member-count histogram: small
// groups (3–20) a truncated geometric, large groups (21+) a discrete power law with
// x_min = 21, mixed in the proportions small : large of the type mix, by binned maximum
// likelihood over the buckets whose lower bound is at least 3 (conditioning on size ≥ 3,
// which leaves the 1:1 share to the type mix). Parameters: p = logistic(θ₁),
// α = 1 + e^θ₂. largeMax bounds the power law (0: from the histogram's last bucket).
//
// x_min is fixed at 21 rather than chosen by Clauset, Shalizi & Newman's KS
// minimisation: the type mix defines "large" as 21+, the generator draws every large
// group from this power law, and a larger x_min would leave sizes 21…x_min−1 with no
// model at all. The fit's goodness of fit shows whether the power law holds from 21.
func FitSizes(h shape.Histogram, small, large float64) (SizeFit, error) {
	return fitSizes(newBinned(h), small, large)
}

func fitSizes(all binned, small, large float64) (SizeFit, error) {
	b := all.from(3)
	if b.total == 0 {
		return SizeFit{}, fmt.Errorf("no conversations with 3 or more members")
	}
	if small+large <= 0 {
		return SizeFit{}, fmt.Errorf("the type mix has no groups")
	}
	xmax := int(math.Max(topBound(b, shape.GridMemberCount(), true), 21))
	ws, wl := small/(small+large), large/(small+large)
	model := func(x []float64) Mixture {
		return Mixture{Weights: []float64{ws, wl}, Components: []Model{
			dist.TruncatedGeometric{P: logistic(x[0]), Min: 3, Max: 20},
			dist.PowerLaw{Alpha: 1 + math.Exp(x[1]), XMin: 21, XMax: xmax},
		}}
	}
	// Start: p from the mean of the small buckets (geometric mean = 3 + (1−p)/p).
	var s, n float64
	for i := range b.lo {
		if b.hi[i] <= 21 {
			s += b.n[i] * b.lo[i]
			n += b.n[i]
		}
	}
	p0 := 0.3
	if n > 0 && s/n > 3 {
		p0 = math.Min(0.95, 1/(s/n-2))
	}
	x, v, err := maximise(func(x []float64) float64 { return b.logLik(model(x)) },
		[]float64{logit(p0), math.Log(1.5)})
	if err != nil {
		return SizeFit{}, err
	}
	m := model(x)
	return SizeFit{
		Small: m.Components[0].(dist.TruncatedGeometric), Large: m.Components[1].(dist.PowerLaw),
		LogLik: v, GOF: b.goodness(m, 2),
	}, nil
}

// CountFit is one candidate model of messages per active conversation: the spec's
// count model (its JSON keys inline) with its fit.
type CountFit struct {
	spec.CountModel
	LogLik float64 `json:"log_likelihood"`
	Params int     `json:"params"`
	// AIC = 2k − 2 ln L (Akaike 1974); BIC = k ln N − 2 ln L (Schwarz 1978), N the
	// histogram's conversations.
	AIC   float64 `json:"aic"`
	BIC   float64 `json:"bic"`
	model dist.Discrete
	gof   GOF
}

// countLaw is a count law of package dist as the binned likelihood sees it.
type countLaw interface {
	dist.Discrete
	Model
}

// newCountFit is the candidate m with k parameters and log-likelihood ll on b.
func newCountFit(cm spec.CountModel, m countLaw, k int, ll float64, b binned) CountFit {
	return CountFit{CountModel: cm, LogLik: ll, Params: k, AIC: 2*float64(k) - 2*ll,
		BIC: float64(k)*math.Log(b.total) - 2*ll, model: m, gof: b.goodness(m, k)}
}

// Model returns the fitted law.
func (c CountFit) Model() dist.Discrete { return c.model }

// CountFits are the candidate count models of FitCounts, in a fixed order: power law,
// discrete log-normal, shifted discrete log-normal.
type CountFits []CountFit

// Best returns the candidate with the smallest BIC (the first of a tie).
func (fs CountFits) Best() CountFit {
	best := fs[0]
	for _, f := range fs[1:] {
		if f.BIC < best.BIC {
			best = f
		}
	}
	return best
}

// Get returns the candidate with the given distribution name, and whether there is one.
func (fs CountFits) Get(distribution string) (CountFit, bool) {
	for _, f := range fs {
		if f.Distribution == distribution {
			return f, true
		}
	}
	return CountFit{}, false
}

// FitCounts fits messages per active conversation on the activity histogram with three
// candidates, each by binned maximum likelihood on x ≥ 1 up to the histogram's top
// bound:
//
//   - the discrete power law P(x) ∝ x^(−α) (Clauset, Shalizi & Newman 2009, §3 and
//     appendix B: the discrete MLE with the Hurwitz-zeta normaliser, here over buckets
//     and truncated at x_max), k = 1;
//   - the discrete log-normal P(x) ∝ Φ((ln(x+1)−μ)/σ) − Φ((ln x−μ)/σ), k = 2;
//   - the shifted discrete log-normal X = ⌊s + Y⌋, ln Y ~ N(μ, σ²), s = 2·logistic(θ)
//     in (0, x_min + 1) (dist.ShiftedDiscreteLogNormal: the three-parameter log-normal
//     with threshold s, floored), k = 3. It nests the discrete log-normal (s → 0).
//
// Each is reported with AIC = 2k − 2 ln L (Akaike 1974) and BIC = k ln N − 2 ln L
// (Schwarz 1978); Best keeps the smallest BIC. BIC rather than AIC, as for the
// content-length mixture: the shift must pay ln N rather than 2, so that on log-normal
// data (where twice its gain is a χ²₁ draw) it is chosen with probability
// P(χ²₁ > ln N), under 1% from N = 1 000 on, instead of AIC's 16%.
//
// The shift is there for the left edge that conversation counts have (a question and
// its answer): a log-normal in x fits such a body only by narrowing σ, which thins the
// tail it extrapolates to (the real-looking fixture's law, 1 with probability 0.06 else
// 2 + ⌊LN(1.9, 1.5²)⌋, gave σ̂ 1.30 and a p99 25% short); a log-normal in x − s keeps
// both.
func FitCounts(h shape.Histogram) (CountFits, error) {
	return fitCounts(newBinned(h))
}

func fitCounts(b binned) (CountFits, error) {
	if b.total == 0 {
		return nil, fmt.Errorf("the histogram is empty")
	}
	xmax := int(math.Max(topBound(b, shape.GridActivity(), true), 2))
	plModel := func(x []float64) dist.PowerLaw { return dist.PowerLaw{Alpha: 1 + math.Exp(x[0]), XMin: 1, XMax: xmax} }
	x, v, err := maximise(func(x []float64) float64 { return b.logLik(plModel(x)) },
		[]float64{math.Log(0.8)})
	if err != nil {
		return nil, fmt.Errorf("power law: %w", err)
	}
	pm := plModel(x)
	pl := newCountFit(spec.CountModel{Distribution: spec.DistPowerLaw, Alpha: pm.Alpha, XMin: 1, XMax: xmax}, pm, 1, v, b)

	lnModel := func(x []float64) dist.DiscreteLogNormal {
		return dist.DiscreteLogNormal{Mu: x[0], Sigma: math.Exp(x[1]), XMin: 1, XMax: xmax}
	}
	mu0, s0 := logMoments(b, 1)
	x, v, err = maximise(func(x []float64) float64 { return b.logLik(lnModel(x)) },
		[]float64{mu0, math.Log(s0)}, []float64{mu0 - 1, math.Log(s0 * 1.5)})
	if err != nil {
		return nil, fmt.Errorf("discrete log-normal: %w", err)
	}
	lm := lnModel(x)
	ln := newCountFit(spec.CountModel{Distribution: spec.DistDiscreteLogNormal, Mu: lm.Mu, Sigma: lm.Sigma, XMin: 1, XMax: xmax}, lm, 2, v, b)

	// The shift s = (x_min + 1)·logistic(θ) stays inside (0, x_min + 1), where x_min
	// keeps mass. Starts: the unshifted fit with a small shift, and a shift near 1 or
	// 1.6 with a wider σ (shifting pulls the body's logs apart, so σ grows).
	shModel := func(x []float64) dist.ShiftedDiscreteLogNormal {
		return dist.ShiftedDiscreteLogNormal{Mu: x[0], Sigma: math.Exp(x[1]), Shift: 2 * logistic(x[2]), XMin: 1, XMax: xmax}
	}
	x, v, err = maximise(func(x []float64) float64 { return b.logLik(shModel(x)) },
		[]float64{lm.Mu, math.Log(lm.Sigma), logit(0.1 / 2)},
		[]float64{lm.Mu - 0.2, math.Log(lm.Sigma * 1.1), 0},
		[]float64{lm.Mu - 0.4, math.Log(lm.Sigma * 1.2), logit(1.6 / 2)})
	if err != nil {
		return nil, fmt.Errorf("shifted discrete log-normal: %w", err)
	}
	sm := shModel(x)
	sh := newCountFit(spec.CountModel{Distribution: spec.DistShiftedDiscreteLogNormal, Mu: sm.Mu, Sigma: sm.Sigma, Shift: sm.Shift, XMin: 1, XMax: xmax}, sm, 3, v, b)
	return CountFits{pl, ln, sh}, nil
}

// BurstFit is the inter-arrival mixture: in-burst gaps exponential (weight Eta, mean
// Gap) and gaps between bursts log-normal (Mu, Sigma) truncated at the window.
type BurstFit struct {
	Eta, Gap, Mu, Sigma, Window float64
	LogLik                      float64
	GOF                         GOF
}

// Model returns the fitted mixture.
func (f BurstFit) Model() Mixture {
	return Mixture{Weights: []float64{f.Eta, 1 - f.Eta}, Components: []Model{
		Exponential{Mean: f.Gap}, LogNormal{Mu: f.Mu, Sigma: f.Sigma, Max: f.Window}}}
}

// CV returns the coefficient of variation of the fitted mixture's gaps: with
// E[X] = η g + (1−η) E_L[X] and E[X²] = 2η g² + (1−η) E_L[X²] (log-normal moments
// truncated at the window), CV = √(E[X²]/E[X]² − 1).
func (f BurstFit) CV() float64 {
	l := LogNormal{Mu: f.Mu, Sigma: f.Sigma, Max: f.Window}
	m1 := f.Eta*f.Gap + (1-f.Eta)*l.Moment(1)
	m2 := 2*f.Eta*f.Gap*f.Gap + (1-f.Eta)*l.Moment(2)
	return math.Sqrt(m2/(m1*m1) - 1)
}

// FitBurst fits the inter-arrival histogram (seconds) by binned maximum likelihood with
// the two-component mixture η·Exp(g) + (1−η)·LogNormal(μ, σ) truncated at the window,
// parameters η = logistic(θ₁), g = e^θ₂, μ, σ = e^θ₄. The exponential is the in-burst
// gap of the self-exciting chain (η its continue probability, g its mean gap); the
// log-normal stands in for the gaps between bursts, which the generator draws from the
// weekday × hour profile.
func FitBurst(h shape.Histogram, windowSeconds float64) (BurstFit, error) {
	return fitBurst(newBinned(h), windowSeconds)
}

func fitBurst(b binned, windowSeconds float64) (BurstFit, error) {
	if b.total == 0 {
		return BurstFit{}, fmt.Errorf("the histogram is empty")
	}
	model := func(x []float64) Mixture {
		return BurstFit{Eta: logistic(x[0]), Gap: math.Exp(x[1]), Mu: x[2], Sigma: math.Exp(x[3]), Window: windowSeconds}.Model()
	}
	// Start: the share and log-moments of the gaps above 5 minutes.
	var short float64
	for i := range b.lo {
		if b.hi[i] <= 300 {
			short += b.n[i]
		}
	}
	eta0 := math.Min(math.Max(short/b.total, 0.05), 0.95)
	mu0, s0 := logMoments(b.from(300), 1)
	if b.from(300).total == 0 {
		mu0, s0 = math.Log(3600), 1
	}
	x, v, err := maximise(func(x []float64) float64 { return b.logLik(model(x)) },
		[]float64{logit(eta0), math.Log(30), mu0, math.Log(s0)},
		[]float64{logit(eta0), math.Log(8), mu0 + 1, math.Log(s0)})
	if err != nil {
		return BurstFit{}, err
	}
	m := model(x)
	return BurstFit{Eta: m.Weights[0], Gap: m.Components[0].(Exponential).Mean, Mu: x[2], Sigma: math.Exp(x[3]),
		Window: windowSeconds, LogLik: v, GOF: b.goodness(m, 4)}, nil
}

// DelayFit is the read-delay mixture over seconds.
type DelayFit struct {
	ImmediateShare, ImmediateMean float64
	NearTermShare, NearTermMean   float64
	DelayedShare                  float64
	DelayedMu, DelayedSigma       float64
	LogLik                        float64
	GOF                           GOF
}

// Model returns the fitted mixture.
func (f DelayFit) Model() Mixture {
	return Mixture{Weights: []float64{f.ImmediateShare, f.NearTermShare, f.DelayedShare}, Components: []Model{
		Exponential{Mean: f.ImmediateMean}, Exponential{Mean: f.NearTermMean},
		LogNormal{Mu: f.DelayedMu, Sigma: f.DelayedSigma}}}
}

// FitDelays fits the read-delay histogram (minutes, converted to seconds) by binned
// maximum likelihood with the three-part mixture w₁·Exp(m₁) + w₂·Exp(m₂) +
// w₃·LogNormal(μ, σ): weights by softmax of (θ₁, θ₂, 0), m₁ = e^θ₃, m₂ = m₁(1 + e^θ₄)
// (so the immediate component stays the faster one and the labels cannot swap),
// μ = θ₅, σ = e^θ₆. Starting weights are the published immediate / near-term / delayed
// shares.
func FitDelays(h shape.Histogram, shares [3]float64) (DelayFit, error) {
	return fitDelays(newBinned(h), shares)
}

func fitDelays(minutes binned, shares [3]float64) (DelayFit, error) {
	b := minutes.scale(60)
	if b.total == 0 {
		return DelayFit{}, fmt.Errorf("the histogram is empty")
	}
	model := func(x []float64) DelayFit {
		e1, e2 := math.Exp(x[0]), math.Exp(x[1])
		z := e1 + e2 + 1
		m1 := math.Exp(x[2])
		return DelayFit{ImmediateShare: e1 / z, ImmediateMean: m1, NearTermShare: e2 / z,
			NearTermMean: m1 * (1 + math.Exp(x[3])), DelayedShare: 1 / z, DelayedMu: x[4], DelayedSigma: math.Exp(x[5])}
	}
	for i := range shares {
		shares[i] = math.Max(shares[i], 0.01)
	}
	mu0, s0 := logMoments(b.from(3600), 1)
	if b.from(3600).total == 0 {
		mu0, s0 = math.Log(4*3600), 1
	}
	start := []float64{math.Log(shares[0] / shares[2]), math.Log(shares[1] / shares[2]), math.Log(15), math.Log(600/15 - 1), mu0, math.Log(s0)}
	alt := append([]float64(nil), start...)
	alt[2], alt[3], alt[4] = math.Log(5), math.Log(300/5-1), mu0+0.5
	x, v, err := maximise(func(x []float64) float64 { return b.logLik(model(x).Model()) }, start, alt)
	if err != nil {
		return DelayFit{}, err
	}
	f := model(x)
	f.LogLik = v
	f.GOF = b.goodness(f.Model(), 6)
	return f, nil
}
