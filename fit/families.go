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
	AIC    float64 `json:"aic"`
	model  dist.Discrete
	gof    GOF
}

// Model returns the fitted law.
func (c CountFit) Model() dist.Discrete { return c.model }

// FitCounts fits messages per active conversation on the activity histogram with two
// candidates, each by binned maximum likelihood on x ≥ 1 up to the histogram's top
// bound: the discrete power law P(x) ∝ x^(−α) (Clauset, Shalizi & Newman 2009, §3 and
// appendix B: the discrete MLE with the Hurwitz-zeta normaliser, here over buckets and
// truncated at x_max) and the discrete log-normal P(x) ∝ Φ((ln(x+1)−μ)/σ) − Φ((ln x−μ)/σ).
// AIC = 2k − 2 ln L (Akaike 1974) is reported for both; the caller keeps the larger
// log-likelihood.
func FitCounts(h shape.Histogram) (pl, ln CountFit, err error) {
	return fitCounts(newBinned(h))
}

func fitCounts(b binned) (pl, ln CountFit, err error) {
	if b.total == 0 {
		return pl, ln, fmt.Errorf("the histogram is empty")
	}
	xmax := int(math.Max(topBound(b, shape.GridActivity(), true), 2))
	plModel := func(x []float64) dist.PowerLaw { return dist.PowerLaw{Alpha: 1 + math.Exp(x[0]), XMin: 1, XMax: xmax} }
	x, v, err := maximise(func(x []float64) float64 { return b.logLik(plModel(x)) },
		[]float64{math.Log(0.8)})
	if err != nil {
		return pl, ln, fmt.Errorf("power law: %w", err)
	}
	pm := plModel(x)
	pl = CountFit{CountModel: spec.CountModel{Distribution: "power_law", Alpha: pm.Alpha, XMin: 1, XMax: xmax},
		LogLik: v, Params: 1, AIC: 2 - 2*v, model: pm, gof: b.goodness(pm, 1)}

	lnModel := func(x []float64) dist.DiscreteLogNormal {
		return dist.DiscreteLogNormal{Mu: x[0], Sigma: math.Exp(x[1]), XMin: 1, XMax: xmax}
	}
	mu0, s0 := logMoments(b, 1)
	x, v, err = maximise(func(x []float64) float64 { return b.logLik(lnModel(x)) },
		[]float64{mu0, math.Log(s0)}, []float64{mu0 - 1, math.Log(s0 * 1.5)})
	if err != nil {
		return pl, ln, fmt.Errorf("discrete log-normal: %w", err)
	}
	lm := lnModel(x)
	ln = CountFit{CountModel: spec.CountModel{Distribution: "discrete_lognormal", Mu: lm.Mu, Sigma: lm.Sigma, XMin: 1, XMax: xmax},
		LogLik: v, Params: 2, AIC: 4 - 2*v, model: lm, gof: b.goodness(lm, 2)}
	return pl, ln, nil
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
