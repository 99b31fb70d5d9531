package fit

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/spec"
)

// Sizes of the deterministic simulations behind the start models' predicted gap and
// lifetime distributions (chainSim): gap strata of the gap-weighted count law and
// lifetime strata of the conversations' count law, each simulated with at most the
// cap in messages (a busier room as cap messages over a window shrunk in proportion,
// as RenewalCV does).
const (
	likGapStrata  = 128
	likGapCap     = 512
	likLifeStrata = 512
	likLifeCap    = 256
	// likFloor is the share of a uniform law over the buckets mixed into every predicted
	// distribution, so that a bucket the simulation leaves empty costs ln(likFloor/m)
	// per observation instead of −Inf.
	likFloor = 1e-9
	// inGapGain is the log-likelihood gain a free in-burst σ (burst.in_gap_sigma, one
	// parameter more) must bring over exponential in-burst gaps (σ_in = 0, the nested
	// model) to be kept: half the 1 % point of χ²₁, 6.63/2 (a likelihood-ratio test).
	inGapGain = 3.32
)

// StartModelFit is one candidate burst start model judged on the exported
// within-conversation gap histogram and, in a version-2 document, the conversation
// lifetime histogram: its parameters maximise the binned (multinomial) log-likelihood
// of those histograms under the distributions the generator's chain predicts with the
// fitted count law (chainSim).
type StartModelFit struct {
	StartModel          string  `json:"start_model"`
	ContinueProbability float64 `json:"continue_probability"`
	MeanGapSeconds      float64 `json:"mean_gap_seconds"`
	// SpacingShape is κ (window_spacing); GapMu and GapSigma the log-normal of the
	// gaps between bursts (renewal).
	SpacingShape float64 `json:"spacing_shape,omitempty"`
	GapMu        float64 `json:"gap_mu,omitempty"`
	GapSigma     float64 `json:"gap_sigma,omitempty"`
	// Lifetime is the lifetime law of the renewal candidate that has one (the chain
	// stretched to a lifetime drawn from it); GapSigma is then the σ of the weights
	// that share it among the gaps between bursts, and GapMu is unused.
	Lifetime *spec.BurstLifetime `json:"lifetime,omitempty"`
	// GapLogLik and LifetimeLogLik are the binned log-likelihoods of the two histograms
	// (LifetimeLogLik null without a lifetime histogram); LogLik is their sum.
	GapLogLik      float64  `json:"gap_log_likelihood"`
	LifetimeLogLik *float64 `json:"lifetime_log_likelihood"`
	LogLik         float64  `json:"log_likelihood"`
	// Params is the number of fitted parameters; AIC = 2·Params − 2·LogLik (Akaike
	// 1974), smaller is better.
	Params int     `json:"params"`
	AIC    float64 `json:"aic"`
	// GapTotalVariation and LifetimeTotalVariation are the total variation distances
	// between the histograms and the predictions over the exported buckets.
	GapTotalVariation      float64  `json:"gap_total_variation"`
	LifetimeTotalVariation *float64 `json:"lifetime_total_variation"`
	// ModelLifetimeP50 and ModelLifetimeP90 are the predicted lifetime percentiles
	// (seconds, interpolated within the exported buckets).
	ModelLifetimeP50 float64 `json:"model_lifetime_p50_seconds"`
	ModelLifetimeP90 float64 `json:"model_lifetime_p90_seconds"`
	// ModelGapP50 and ModelGapP90 are the predicted within-conversation gap percentiles
	// (seconds, interpolated the same way).
	ModelGapP50 float64 `json:"model_gap_p50_seconds"`
	ModelGapP90 float64 `json:"model_gap_p90_seconds"`
	// InGapSigma is the σ of log-normal in-burst gaps in force (burst.in_gap_sigma; 0:
	// exponential). InGapSigmaFitted is the σ the fit with it free found, and
	// InGapLogLikGain that fit's log-likelihood gain over exponential in-burst gaps:
	// InGapSigma is InGapSigmaFitted when the gain exceeds 3.32 (χ²₁ at 1 %), else 0.
	// The renewal candidates only (window_spacing keeps exponential in-burst gaps).
	InGapSigma       float64  `json:"in_gap_sigma,omitempty"`
	InGapSigmaFitted *float64 `json:"in_gap_sigma_fitted,omitempty"`
	InGapLogLikGain  *float64 `json:"in_gap_log_likelihood_gain,omitempty"`
}

// draw is one message's common random numbers: u decides whether it continues its
// burst, e is its Exp(1) in-burst gap, z the N(0, 1) of its log-normal gap between
// bursts, v the uniform of a redraw. zi is Φ⁻¹(1 − e^(−e)), the normal quantile of the
// same e (no further draw: the exponential candidates see the draws they always saw),
// behind a log-normal in-burst gap.
type draw struct{ u, e, z, v, zi float64 }

// withZi returns x with zi set from its e when sigma > 0 (the quantile costs: skipped
// where in-burst gaps stay exponential).
func (x draw) withZi(sigma float64) draw {
	if sigma > 0 {
		x.zi = distuv.UnitNormal.Quantile(-math.Expm1(-x.e))
	}
	return x
}

// inMul returns the draw's in-burst gap over its mean: e with sigma 0 (exponential),
// else the log-normal e^(σ·zi − σ²/2) of mean 1 (spec.Burst.InGapSigma).
func (x draw) inMul(sigma float64) float64 {
	if sigma == 0 {
		return x.e
	}
	return math.Exp(sigma*x.zi - sigma*sigma/2)
}

// inBurstSurv returns the survival function of an in-burst gap of mean m: exponential
// with sigma 0, else log-normal with σ = sigma and the same mean.
func inBurstSurv(m, sigma float64) func(float64) float64 {
	if sigma == 0 {
		return Exponential{Mean: m}.SurvivalFunc()
	}
	return LogNormal{Mu: spec.InGapMu(m, sigma), Sigma: sigma}.SurvivalFunc()
}

// chainSim holds the strata of a count law and their fixed random draws (common
// random numbers: every parameter value is judged on the same draws, so the
// likelihood surface is deterministic and, in the continuous parameters, smooth).
type chainSim struct {
	window      float64
	gaps, life  binned
	gapN, lifeN []float64 // the strata's counts
	gapD, lifeD [][]draw  // min(n, cap) draws per stratum
}

// newChainSim draws the strata of the count law (heavy rooms scaled by mult) for the
// gap histogram gaps and the lifetime histogram life (total 0: none).
func newChainSim(count dist.Discrete, heavy dist.HeavyShare, mult, window float64, gaps, life binned) (*chainSim, error) {
	s := &chainSim{window: window, gaps: gaps, life: life}
	s.gapN = countStrata(count, heavy, mult, likGapStrata, 2, func(n, p float64) float64 { return p * (n - 1) })
	if s.gapN == nil {
		return nil, fmt.Errorf("the count model has no conversation with two messages")
	}
	s.lifeN = countStrata(count, heavy, mult, likLifeStrata, 1, func(_, p float64) float64 { return p })
	draws := func(tag uint64, ns []float64, maxN int) [][]draw {
		out := make([][]draw, len(ns))
		for j, n := range ns {
			r := rand.New(rand.NewPCG(tag, uint64(j)))
			d := make([]draw, min(int(n), maxN))
			for i := range d {
				d[i] = draw{u: r.Float64(), e: r.ExpFloat64(), z: r.NormFloat64(), v: r.Float64()}.withZi(1)
			}
			out[j] = d
		}
		return out
	}
	s.gapD = draws(0x676170, s.gapN, likGapCap)
	s.lifeD = draws(0x6c696665, s.lifeN, likLifeCap)
	return s, nil
}

// renewalParams are the renewal model's parameters: continue probability, in-burst mean
// gap, the log-normal of the gaps between bursts (seconds), and the σ of log-normal
// in-burst gaps (0: exponential).
type renewalParams struct{ eta, gap, mu, sigma, in float64 }

// renewalPredict returns the renewal model's predicted masses over the gap buckets and
// the lifetime buckets (nil without a lifetime histogram), unnormalised.
//
// Gaps: a stratum's chain of k = min(n, cap) messages over w = W·k/n is summed from
// its draws (gap i between bursts when u_i ≥ η, log-normal e^(μ+σz_i), else in-burst
// g·e_i, or g·e^(σ_in·zi_i − σ_in²/2) with log-normal in-burst gaps) to find how the
// generator compresses it (spec.CompressChain: factors a between bursts, b inside
// them); its gaps are then, Rao–Blackwellised over their kinds and sizes, η·I(b·g) +
// (1−η)·LogNormal(μ + ln a, σ), I(m) the in-burst law of mean m (Exp(m), or the
// log-normal of σ_in and mean m), whose bucket masses are exact.
//
// Lifetimes: a conversation of n messages lives L = min(S, W), S the sum of its n − 1
// gaps (a compressed chain spans its interval); 0 for one message. For n ≤ cap the
// first n − 2 gaps come from the draws and the last is integrated out: the bucket
// [lo, hi) gets the mixture's mass of [lo − S′, hi − S′) below W − S′, and the bucket
// holding W the mass beyond. A busier stratum is a point at min(S_k·n/k, W).
func (s *chainSim) renewalPredict(p renewalParams) (gapMass, lifeMass []float64) {
	w0 := s.window
	type ab struct{ a, b float64 }
	comp := make([]ab, len(s.gapN))
	eachShare(len(s.gapN), func(first, step int) {
		for j := first; j < len(s.gapN); j += step {
			n, d := s.gapN[j], s.gapD[j]
			w := w0 * float64(len(d)) / n
			var in, between float64
			for _, x := range d[1:] {
				if x.u >= p.eta {
					between += math.Exp(p.mu + p.sigma*x.z)
				} else {
					in += p.gap * x.inMul(p.in)
				}
			}
			a, b := spec.CompressChain(in, between, w)
			comp[j] = ab{a, b}
		}
	})
	gapMass = make([]float64, len(s.gaps.lo))
	addMix := func(a, b, weight float64) {
		e := inBurstSurv(b*p.gap, p.in)
		l := LogNormal{Mu: p.mu + math.Log(a), Sigma: p.sigma}.SurvivalFunc()
		for i := range gapMass {
			lo, hi := s.gaps.lo[i], s.gaps.hi[i]
			gapMass[i] += weight * (p.eta*(e(lo)-e(hi)) + (1-p.eta)*(l(lo)-l(hi)))
		}
	}
	var plain float64
	for _, c := range comp {
		if c.a == 1 && c.b == 1 {
			plain++
		} else {
			addMix(c.a, c.b, 1)
		}
	}
	if plain > 0 {
		addMix(1, 1, plain)
	}
	if s.life.total == 0 {
		return gapMass, nil
	}

	nb := len(s.life.lo)
	rows := make([][]float64, len(s.lifeN))
	e := inBurstSurv(p.gap, p.in)
	l := LogNormal{Mu: p.mu, Sigma: p.sigma}.SurvivalFunc()
	mixS := func(x float64) float64 { return p.eta*e(x) + (1-p.eta)*l(x) }
	atW := bucketOf(s.life, w0)
	eachShare(len(s.lifeN), func(first, step int) {
		for j := first; j < len(s.lifeN); j += step {
			n, d := s.lifeN[j], s.lifeD[j]
			row := make([]float64, nb)
			rows[j] = row
			if n < 2 {
				row[bucketOf(s.life, 0)] = 1
				continue
			}
			gapOf := func(x draw) float64 {
				if x.u >= p.eta {
					return math.Exp(p.mu + p.sigma*x.z)
				}
				return p.gap * x.inMul(p.in)
			}
			var sum float64
			if int(n) > len(d) {
				for _, x := range d[1:] {
					sum += gapOf(x)
				}
				row[bucketOf(s.life, math.Min(sum*n/float64(len(d)), w0))] = 1
				continue
			}
			for _, x := range d[1 : len(d)-1] {
				sum += gapOf(x)
			}
			if sum >= w0 {
				row[atW] = 1
				continue
			}
			// The last gap X: L = sum + X below W, W beyond.
			for i := range nb {
				lo, hi := s.life.lo[i], math.Min(s.life.hi[i], w0)
				if lo < hi {
					row[i] += mixS(lo-sum) - mixS(hi-sum)
				}
			}
			row[atW] += mixS(w0 - sum)
		}
	})
	lifeMass = make([]float64, nb)
	for _, row := range rows { // in stratum order: the sum does not depend on the CPUs
		for i, v := range row {
			lifeMass[i] += v
		}
	}
	return gapMass, lifeMass
}

// spacingPredict returns the window-spacing model's predicted masses over the gap and
// lifetime buckets (nil without a lifetime histogram), unnormalised: each stratum's
// chain of k = min(n, cap) messages (bursts and in-burst gaps from its draws) has its B
// burst starts placed as the generator places them, a uniform offset and Dirichlet(κ)
// spacings (normalised Gamma(κ, 1) draws from the stratum's own seeded source) around a
// circle of w = W·k/n; a message past w is redrawn uniformly (the profile ignored). Its
// sorted times give its gaps (each a point of weight 1/(k − 1)) and its lifetime (last
// minus first, times n/k, at most W).
func (s *chainSim) spacingPredict(eta, gap, kappa float64) (gapMass, lifeMass []float64) {
	run := func(ns []float64, ds [][]draw, tag uint64, hist binned, gaps bool) []float64 {
		rows := make([][]float64, len(ns))
		eachShare(len(ns), func(first, step int) {
			var ts, starts []float64
			for j := first; j < len(ns); j += step {
				n, d := ns[j], ds[j]
				row := make([]float64, len(hist.lo))
				rows[j] = row
				if len(d) < 2 {
					row[bucketOf(hist, 0)] = 1
					continue
				}
				w := s.window * float64(len(d)) / n
				gm := distuv.Gamma{Alpha: kappa, Beta: 1, Src: rand.NewPCG(tag, uint64(j))}
				// bursts: offsets from their start; -1 opens a burst
				ts, starts = ts[:0], starts[:0]
				var off, sum float64
				for i, x := range d {
					if i == 0 || x.u >= eta {
						g := gm.Rand()
						starts = append(starts, g)
						sum += g
						ts = append(ts, -1)
						off = 0
						continue
					}
					off += gap * x.e
					ts = append(ts, off)
				}
				if !(sum > 0) || math.IsInf(sum, 0) {
					for k := range starts {
						starts[k] = 1
					}
					sum = float64(len(starts))
				}
				u := d[0].v
				var base float64
				k := 0
				for i, o := range ts {
					if o < 0 {
						base = u * w
						if u += starts[k] / sum; u >= 1 {
							u--
						}
						k++
						ts[i] = base
						continue
					}
					t := base + o
					if t >= w {
						t = d[i].v * w
						base = t - o
					}
					ts[i] = t
				}
				slices.Sort(ts)
				if gaps {
					inv := 1 / float64(len(ts)-1)
					for i := 1; i < len(ts); i++ {
						row[bucketOf(hist, ts[i]-ts[i-1])] += inv
					}
				} else {
					row[bucketOf(hist, math.Min((ts[len(ts)-1]-ts[0])*n/float64(len(d)), s.window))] = 1
				}
			}
		})
		mass := make([]float64, len(hist.lo))
		for _, row := range rows {
			for i, v := range row {
				mass[i] += v
			}
		}
		return mass
	}
	gapMass = run(s.gapN, s.gapD, 0x6b617070, s.gaps, true)
	if s.life.total > 0 {
		lifeMass = run(s.lifeN, s.lifeD, 0x6b6c6966, s.life, false)
	}
	return gapMass, lifeMass
}

// bucketOf returns the index of the bucket of b holding x: the last whose lower bound
// is at most x (the first bucket for x below every bound).
func bucketOf(b binned, x float64) int {
	return max(sort.SearchFloat64s(b.lo, math.Nextafter(x, math.Inf(1)))-1, 0)
}

// binnedLogLik is the multinomial log-likelihood Σ n_i ln p_i of bucket counts n under
// predicted masses: p_i = (1 − likFloor)·mass_i/Σ mass + likFloor/m over the m buckets
// (grouped-data likelihood, as binned.logLik; the floor keeps a bucket the prediction
// leaves empty finite). −Inf when the masses are all zero or not finite.
func binnedLogLik(n, mass []float64) float64 {
	var tot float64
	for _, m := range mass {
		tot += m
	}
	if !(tot > 0) || math.IsInf(tot, 0) {
		return math.Inf(-1)
	}
	u := likFloor / float64(len(mass))
	var ll float64
	for i, c := range n {
		if c > 0 {
			ll += c * math.Log((1-likFloor)*math.Max(mass[i], 0)/tot+u)
		}
	}
	return ll
}

// massTV is the total variation distance between bucket counts n and predicted masses:
// ½ Σ |n_i/N − mass_i/Σ mass|.
func massTV(n, mass []float64) float64 {
	var tn, tm float64
	for i := range n {
		tn += n[i]
		tm += mass[i]
	}
	var d float64
	for i := range n {
		d += math.Abs(n[i]/tn - mass[i]/tm)
	}
	return d / 2
}

// bucketQuantile returns the p-quantile of predicted masses over the buckets of b:
// interpolated geometrically inside a bucket with a positive finite range, linearly in
// a bucket from 0, and the lower bound of an open last bucket.
func bucketQuantile(b binned, mass []float64, p float64) float64 {
	var tot float64
	for _, m := range mass {
		tot += m
	}
	var acc float64
	for i, m := range mass {
		if m <= 0 || acc+m < p*tot {
			acc += m
			continue
		}
		f := (p*tot - acc) / m
		lo, hi := b.lo[i], b.hi[i]
		switch {
		case math.IsInf(hi, 1):
			return lo
		case lo <= 0:
			return f * hi
		default:
			return lo * math.Pow(hi/lo, f)
		}
	}
	return b.lo[len(b.lo)-1]
}

// judge fills fit's likelihoods, AIC, distances and lifetime percentiles from the
// predicted masses.
func (s *chainSim) judge(fit *StartModelFit, gapMass, lifeMass []float64) {
	fit.GapLogLik = binnedLogLik(s.gaps.n, gapMass)
	fit.LogLik = fit.GapLogLik
	fit.GapTotalVariation = massTV(s.gaps.n, gapMass)
	fit.ModelGapP50, fit.ModelGapP90 = bucketQuantile(s.gaps, gapMass, 0.5), bucketQuantile(s.gaps, gapMass, 0.9)
	fit.LifetimeLogLik, fit.LifetimeTotalVariation = nil, nil
	if lifeMass != nil {
		ll, tv := binnedLogLik(s.life.n, lifeMass), massTV(s.life.n, lifeMass)
		fit.LifetimeLogLik, fit.LifetimeTotalVariation = &ll, &tv
		fit.LogLik += ll
		fit.ModelLifetimeP50 = bucketQuantile(s.life, lifeMass, 0.5)
		fit.ModelLifetimeP90 = bucketQuantile(s.life, lifeMass, 0.9)
	}
	fit.AIC = 2*float64(fit.Params) - 2*fit.LogLik
}

// fitRenewal maximises the binned log-likelihood of the gap and lifetime histograms
// under renewalPredict over (logit η, ln g, μ, ln σ) with Nelder–Mead (maximise), from
// start (the inter-arrival mixture's fit, whose gap law is the renewal model's own when
// no chain is compressed). g stays within spec.MaxMeanGapSeconds and σ within
// spec.MaxSigma, so the spec the fit writes is valid. With start.in > 0 the σ of
// log-normal in-burst gaps is fitted too (ln σ_in, from start.in, at most
// spec.MaxInGapSigma; by maximiseLoose, as the start is the exponential optimum); with
// 0 they stay exponential.
func (s *chainSim) fitRenewal(start renewalParams) (StartModelFit, error) {
	clampP := func(x []float64) renewalParams {
		p := renewalParams{
			eta: logistic(x[0]), gap: math.Min(math.Exp(x[1]), spec.MaxMeanGapSeconds),
			mu: math.Min(math.Max(x[2], spec.MinLogMu), spec.MaxLogMu), sigma: math.Min(math.Exp(x[3]), spec.MaxSigma),
		}
		if len(x) > 4 {
			p.in = math.Min(math.Exp(x[4]), spec.MaxInGapSigma)
		}
		return p
	}
	ll := func(x []float64) float64 {
		g, l := s.renewalPredict(clampP(x))
		v := binnedLogLik(s.gaps.n, g)
		if l != nil {
			v += binnedLogLik(s.life.n, l)
		}
		return v
	}
	eta0 := math.Min(math.Max(start.eta, 1e-4), 1-1e-4)
	x0 := []float64{logit(eta0), math.Log(start.gap), start.mu, math.Log(start.sigma)}
	run := maximise
	if start.in > 0 {
		// from the exponential optimum: loosely (a gain of 0.01 moves no test at 3.32)
		x0, run = append(x0, math.Log(start.in)), maximiseLoose
	}
	x, _, err := run(ll, x0)
	if err != nil {
		return StartModelFit{}, err
	}
	p := clampP(x)
	f := StartModelFit{StartModel: spec.StartModelRenewal, ContinueProbability: p.eta, MeanGapSeconds: p.gap,
		GapMu: p.mu, GapSigma: p.sigma, Params: len(x0), InGapSigma: p.in}
	g, l := s.renewalPredict(p)
	s.judge(&f, g, l)
	return f, nil
}

// fitSpacing maximises the binned log-likelihood of the gap and lifetime histograms
// under spacingPredict over κ ∈ [MinSpacingShape, MaxSpacingShape] (η and g fixed: the
// mixture's in-burst component): a grid of 25 points even in ln κ, then golden-section
// search between the best point's neighbours (goldenMin). The simulated likelihood is not smooth in κ
// (the Gamma draws move with it), so the grid guards against a local search stuck in
// its noise.
func (s *chainSim) fitSpacing(eta, gap float64) StartModelFit {
	ll := func(lk float64) float64 {
		g, l := s.spacingPredict(eta, gap, math.Exp(lk))
		v := binnedLogLik(s.gaps.n, g)
		if l != nil {
			v += binnedLogLik(s.life.n, l)
		}
		return v
	}
	lo, hi := math.Log(MinSpacingShape), math.Log(MaxSpacingShape)
	const grid = 25
	bx := goldenMin(func(lk float64) float64 { return -ll(lk) }, lo, hi, (hi-lo)/(grid-1))
	f := StartModelFit{StartModel: spec.StartModelWindowSpacing, ContinueProbability: eta, MeanGapSeconds: gap,
		SpacingShape: math.Exp(bx), Params: 3}
	g, l := s.spacingPredict(eta, gap, f.SpacingShape)
	s.judge(&f, g, l)
	return f
}

// chooseStartModel returns the candidate with the smaller AIC (window_spacing on a tie)
// and its index.
func chooseStartModel(cands []StartModelFit) int {
	best := 0
	for i, c := range cands {
		if c.AIC < cands[best].AIC {
			best = i
		}
	}
	return best
}

// startByLikelihood chooses the burst start model of a document with conversation
// threads (shape_version 2) on the exported gap distribution instead of its CV: both
// candidates are fitted by maximising the binned log-likelihood of the gap histogram
// and the lifetime histogram (window_spacing: κ, with the mixture's η and g; renewal:
// η, g, μ, σ), and the smaller AIC is taken. It writes the spec's burst and the
// report, warns (absolute relative error over 20 %) where the chosen model's gap CV or
// lifetime percentiles miss the export's, and returns false, leaving both untouched,
// when no candidate can be judged (the caller then takes the CV rule).
func (f *fitter) startByLikelihood(bf BurstFit, window float64) bool {
	m, t := f.doc.Messages, f.doc.Conversations.Threads
	r := &f.rep.FittedDistributions.InterArrival
	b := &f.sp.Messages.InterArrival.Burst
	gaps, life := newBinned(m.InterArrivalHistogramSeconds), newBinned(t.LifetimeHistogramSeconds)
	sim, err := newChainSim(f.count, f.heavy, f.exportMult, window, gaps, life)
	if err != nil {
		f.warn("inter_arrival: the start models cannot be judged on the gap distribution (%v); chosen on the burst coefficient", err)
		return false
	}
	if life.total == 0 {
		f.warn("inter_arrival: $.conversations.threads.lifetime_histogram_seconds is empty or suppressed; the start model is judged on the gap histogram alone")
	}
	r.ObservedLifetimeP50, r.ObservedLifetimeP90 = t.LifetimePercentilesSeconds.P50, t.LifetimePercentilesSeconds.P90
	r.ObservedGapP50, r.ObservedGapP90 = t.GapPercentilesSeconds.P50, t.GapPercentilesSeconds.P90
	ws := sim.fitSpacing(bf.Eta, bf.Gap)
	cands := []StartModelFit{ws}
	ren, err := sim.fitRenewal(renewalParams{eta: bf.Eta, gap: bf.Gap, mu: bf.Mu, sigma: bf.Sigma})
	if err != nil {
		f.warn("inter_arrival: the renewal start model could not be fitted on the gap distribution (%v); window_spacing kept", err)
	} else {
		// σ_in free, from the exponential optimum with σ_in = 1
		in, errIn := sim.fitRenewal(renewalParams{eta: ren.ContinueProbability, gap: ren.MeanGapSeconds,
			mu: ren.GapMu, sigma: ren.GapSigma, in: 1})
		if errIn != nil {
			in = StartModelFit{}
		}
		ren, _ = nestInGap(ren, in)
		cands = append(cands, ren)
	}
	lifeCV := math.NaN()
	if life.total > 0 {
		p50 := 0.0
		if r.ObservedLifetimeP50 != nil {
			p50 = *r.ObservedLifetimeP50
		}
		lf, cv, lfIn, cvIn, lerr := sim.fitLifetime(bf.Eta, bf.Gap, bf.Mu, p50)
		if lerr != nil {
			f.warn("inter_arrival: the renewal start model with a lifetime law could not be fitted (%v); left out", lerr)
		} else {
			if lf2, took := nestInGap(lf, lfIn); took {
				lf, cv = lf2, cvIn
			} else {
				lf = lf2
			}
			cands, lifeCV = append(cands, lf), cv
		}
	}
	best := cands[chooseStartModel(cands)]
	r.StartModelBasis, r.StartModels = StartBasisLikelihood, cands

	b.StartModel, b.SpacingShape = best.StartModel, ws.SpacingShape
	b.ContinueProbability, b.MeanGapSeconds = best.ContinueProbability, best.MeanGapSeconds
	b.GapMu, b.GapSigma = bf.Mu, bf.Sigma
	if err == nil {
		b.GapMu, b.GapSigma = ren.GapMu, ren.GapSigma
	}
	b.Lifetime, b.InGapSigma = best.Lifetime, best.InGapSigma
	if best.Lifetime != nil {
		b.GapMu, b.GapSigma = best.GapMu, best.GapSigma
	}
	r.ContinueProbability, r.MeanGapSeconds, r.InGapSigma = b.ContinueProbability, b.MeanGapSeconds, b.InGapSigma
	r.SpacingShape, r.StartModel = b.SpacingShape, b.StartModel
	r.SpacingShapeAtBound = ws.SpacingShape <= MinSpacingShape*(1+1e-6) || ws.SpacingShape >= MaxSpacingShape*(1-1e-6)
	r.WindowSpacingBurstCoefficient = ChainCV(f.count, f.heavy, f.heavyMult, ws.ContinueProbability, ws.MeanGapSeconds, ws.SpacingShape, window)
	r.RenewalBurstCoefficient = nil
	r.ChainBurstCoefficient = r.WindowSpacingBurstCoefficient
	if err == nil {
		rc := RenewalCV(f.count, f.heavy, f.heavyMult, ren.ContinueProbability, ren.MeanGapSeconds, ren.GapMu, ren.GapSigma, ren.InGapSigma, window)
		if !math.IsNaN(rc) {
			r.RenewalBurstCoefficient = &rc
			if best.StartModel == spec.StartModelRenewal {
				r.ChainBurstCoefficient = rc
			}
		}
	}
	if best.Lifetime != nil {
		r.ChainBurstCoefficient = lifeCV
	}

	if bc := m.BurstCoefficient; bc != nil && *bc > 0 && relOff(r.ChainBurstCoefficient, *bc) > 0.2 {
		f.warn("inter_arrival: the chosen %s start model gives a gap CV of %.2f against the export's burst coefficient %.2f (window spacing %.2f, renewal %s)",
			best.StartModel, r.ChainBurstCoefficient, *bc, r.WindowSpacingBurstCoefficient, optCV(r.RenewalBurstCoefficient))
	}
	checks := []struct {
		name  string
		obs   *float64
		model float64
	}{{"gap p50", r.ObservedGapP50, best.ModelGapP50}, {"gap p90", r.ObservedGapP90, best.ModelGapP90}}
	if life.total > 0 {
		checks = append(checks, checks[0], checks[0])
		checks[2].name, checks[2].obs, checks[2].model = "conversation lifetime p50", r.ObservedLifetimeP50, best.ModelLifetimeP50
		checks[3].name, checks[3].obs, checks[3].model = "conversation lifetime p90", r.ObservedLifetimeP90, best.ModelLifetimeP90
	}
	for _, c := range checks {
		if c.obs != nil && *c.obs > 0 && relOff(c.model, *c.obs) > 0.2 {
			f.warn("inter_arrival: the %s start model's %s is %.3g s, the export's %.3g s (%.0f%% off)",
				best.StartModel, c.name, c.model, *c.obs, 100*relOff(c.model, *c.obs))
		}
	}
	return true
}

// writeStartModels writes the summary's line on the start models judged by the binned
// likelihood (nothing for a version-1 document): each candidate's parameters, log-
// likelihood and AIC, and the lifetimes it predicts beside the export's.
func writeStartModels(w io.Writer, ia InterArrival) {
	if ia.StartModelBasis != StartBasisLikelihood {
		return
	}
	obs := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.3g s", *v)
	}
	parts := make([]string, 0, len(ia.StartModels))
	for _, c := range ia.StartModels {
		p := fmt.Sprintf("κ=%.3g", c.SpacingShape)
		name := c.StartModel
		switch {
		case c.Lifetime != nil:
			name += " with a lifetime law"
			p = fmt.Sprintf("η=%.3f, g=%.1f s, σ=%.2f; ln L = %.2f + %.2f·ln(n−1) + %.2f·Z", c.ContinueProbability, c.MeanGapSeconds,
				c.GapSigma, c.Lifetime.Mu, c.Lifetime.CountSlope, c.Lifetime.Sigma)
		case c.StartModel == spec.StartModelRenewal:
			p = fmt.Sprintf("η=%.3f, g=%.1f s, μ=%.2f, σ=%.2f", c.ContinueProbability, c.MeanGapSeconds, c.GapMu, c.GapSigma)
		}
		if c.InGapSigmaFitted != nil {
			p += fmt.Sprintf("; in-burst gaps σ_in=%.2f (fitted %.2f, log-likelihood gain %.1f", c.InGapSigma, *c.InGapSigmaFitted, *c.InGapLogLikGain)
			if c.InGapSigma == 0 {
				p += " ≤ 3.32: exponential kept"
			}
			p += ")"
		}
		parts = append(parts, fmt.Sprintf("%s (%s) log-likelihood %.1f, AIC %.1f, lifetime p50 %.3g s, p90 %.3g s",
			name, p, c.LogLik, c.AIC, c.ModelLifetimeP50, c.ModelLifetimeP90))
	}
	fmt.Fprintf(w, "Start model by the binned likelihood of gaps and lifetimes: %s; chosen %s; exported lifetime p50 %s, p90 %s\n",
		strings.Join(parts, "; "), ia.StartModel, obs(ia.ObservedLifetimeP50), obs(ia.ObservedLifetimeP90))
}

// likLifeZ is how many lifetimes lifetimePredict draws for each gap stratum: the
// stratified normal quantiles Φ⁻¹((i + f)/likLifeZ), f the stratum's own uniform.
const likLifeZ = 8

// lifetimeParams are the parameters of the renewal model with a lifetime law
// (spec.BurstLifetime): continue probability, in-burst mean gap (seconds), the σ of
// the log-normal weights that share a lifetime among the gaps between bursts, and the
// lifetime law ln L = mu + beta·ln(n − 1) + sigmaL·Z; in is the σ of log-normal
// in-burst gaps (0: exponential).
type lifetimeParams struct{ eta, gap, sigma, mu, beta, sigmaL, in float64 }

// lifetimeZ returns the stratified normal quantiles of each gap stratum's lifetimes.
func (s *chainSim) lifetimeZ() [][]float64 {
	out := make([][]float64, len(s.gapD))
	for j, d := range s.gapD {
		f := 0.5
		if len(d) > 0 {
			f = d[0].v
		}
		zs := make([]float64, likLifeZ)
		for i := range zs {
			zs[i] = distuv.UnitNormal.Quantile((float64(i) + f) / likLifeZ)
		}
		out[j] = zs
	}
	return out
}

// lifetimePredict returns the predicted masses over the gap and lifetime buckets (nil
// without a lifetime histogram), unnormalised, and the pooled gap CV, of the renewal
// model with a lifetime law.
//
// Lifetimes are exact: a conversation of n ≥ 2 messages lives min(L, W) with ln L ~
// N(μ_L + β ln(n − 1), σ_L²), one message lives 0.
//
// Gaps: each gap stratum's chain of k = min(n, cap) messages (its draws: in-burst gaps
// g·e_i, or g·e^(σ_in·zi_i − σ_in²/2), weights w_i = e^(σz_i) between bursts) is
// stretched to each of its likLifeZ lifetimes (times (k − 1)/(n − 1) when truncated)
// as the generator does (spec.StretchChain). Its in-burst gaps are then,
// Rao–Blackwellised, of the in-burst law of mean b·g (Exp, or log-normal); its gaps
// between bursts share L_r = a·Σw: the only one is L_r itself, and with m ≥ 2 of them
// one is L_r·w/(w + R) with w ~ LogNormal(0, σ) and R = Σw·(m − 1)/m the others'
// typical sum, whose bucket masses are exact. The CV pools the realised gaps (b times
// the in-burst gaps, and a·w_i).
func (s *chainSim) lifetimePredict(p lifetimeParams, zs [][]float64) (gapMass, lifeMass []float64, cv float64) {
	nb := len(s.gaps.lo)
	rows := make([][]float64, len(s.gapN))
	m1, m2 := make([]float64, len(s.gapN)), make([]float64, len(s.gapN))
	wSurv := LogNormal{Mu: 0, Sigma: p.sigma}.SurvivalFunc()
	wCDF := func(x float64) float64 { return 1 - wSurv(x) }
	eachShare(len(s.gapN), func(first, step int) {
		for j := first; j < len(s.gapN); j += step {
			n, d := s.gapN[j], s.gapD[j]
			row := make([]float64, nb)
			rows[j] = row
			k := len(d)
			if k < 2 {
				continue
			}
			var sumE, sumE2, wS, wS2 float64
			var nIn, nBr float64
			for _, x := range d[1:] {
				if x.u < p.eta {
					e := x.inMul(p.in)
					sumE += e
					sumE2 += e * e
					nIn++
					continue
				}
				v := math.Exp(p.sigma * x.z)
				wS += v
				wS2 += v * v
				nBr++
			}
			inb := p.gap * sumE
			gaps := float64(k - 1)
			scale := gaps / (n - 1)
			wt := 1 / (gaps * likLifeZ)
			// survival of the in-burst law of mean b·g at the bucket edges (lo[0],
			// then each hi), kept while b stays 1
			edges := make([]float64, nb+1)
			inBurst := func(b float64) {
				sv := inBurstSurv(b*p.gap, p.in)
				edges[0] = sv(s.gaps.lo[0])
				for i := range nb {
					edges[i+1] = sv(s.gaps.hi[i])
				}
			}
			lastB := math.NaN()
			for _, z := range zs[j] {
				l := math.Min(math.Exp(p.mu+p.beta*math.Log(n-1)+p.sigmaL*z), s.window) * scale
				a, b := spec.StretchChain(inb, wS, l)
				m1[j] += (b*inb + a*wS) * wt
				m2[j] += (b*b*p.gap*p.gap*sumE2 + a*a*wS2) * wt
				if nIn > 0 {
					if b != lastB {
						inBurst(b)
						lastB = b
					}
					for i := range row {
						row[i] += nIn * wt * (edges[i] - edges[i+1])
					}
				}
				if nBr == 0 {
					continue
				}
				lr := a * wS
				if nBr == 1 {
					row[bucketOf(s.gaps, lr)] += wt
					continue
				}
				// one of m ≥ 2 gaps between bursts is L_r·w/(w + R): bucket [lo, hi)
				// holds w in [lo·R/(L_r − lo), hi·R/(L_r − hi))
				r := wS * (nBr - 1) / nBr
				cdfAt := func(x float64) float64 {
					if x >= lr {
						return 1
					}
					return wCDF(x * r / (lr - x))
				}
				prev := cdfAt(s.gaps.lo[0])
				for i := range row {
					if s.gaps.lo[i] >= lr {
						break
					}
					c := cdfAt(s.gaps.hi[i])
					row[i] += nBr * wt * (c - prev)
					prev = c
				}
			}
		}
	})
	gapMass = make([]float64, nb)
	var s1, s2 float64
	for j, row := range rows { // in stratum order: the sums do not depend on the CPUs
		for i, v := range row {
			gapMass[i] += v
		}
		s1 += m1[j]
		s2 += m2[j]
	}
	s1, s2 = s1/float64(len(rows)), s2/float64(len(rows))
	cv = math.Sqrt(s2/(s1*s1) - 1)
	if s.life.total == 0 {
		return gapMass, nil, cv
	}
	lifeMass = make([]float64, len(s.life.lo))
	atW := bucketOf(s.life, s.window)
	for j := 0; j < len(s.lifeN); {
		n, same := s.lifeN[j], 1.0 // strata of the same count (in increasing order) at once
		for j++; j < len(s.lifeN) && s.lifeN[j] == n; j++ {
			same++
		}
		if n < 2 {
			lifeMass[bucketOf(s.life, 0)] += same
			continue
		}
		sv := LogNormal{Mu: p.mu + p.beta*math.Log(n-1), Sigma: p.sigmaL}.SurvivalFunc()
		prev := sv(math.Max(s.life.lo[0], 0))
		for i := range lifeMass {
			if s.life.lo[i] >= s.window {
				break
			}
			c := sv(math.Min(s.life.hi[i], s.window))
			lifeMass[i] += same * (prev - c)
			prev = c
		}
		lifeMass[atW] += same * sv(s.window)
	}
	return gapMass, lifeMass, cv
}

// fitLifetime maximises the binned log-likelihood of the gap and lifetime histograms
// under lifetimePredict over (logit η, ln g, ln σ, μ_L, β, ln σ_L) with Nelder–Mead
// from two starts (β = 0.4 and 0.9, σ = 1.2, μ_L from the exported lifetime median
// p50 at the conversations' mean ln(n − 1), σ_L = 2; then once more from the better
// optimum: the surface has more than one local maximum). The result is a renewal
// candidate with its Lifetime set and exponential in-burst gaps; GapMu is mu0 (unused
// under the law). withIn is the same candidate with log-normal in-burst gaps of a free
// σ_in (7 parameters, from that optimum with σ_in = 1, twice), and inCV its gap CV;
// withIn.Params is 0 when that fit failed.
func (s *chainSim) fitLifetime(eta0, gap0, mu0, lifeP50 float64) (f StartModelFit, cv float64, withIn StartModelFit, inCV float64, err error) {
	zs := s.lifetimeZ()
	clampP := func(x []float64) lifetimeParams {
		p := lifetimeParams{
			eta: logistic(x[0]), gap: math.Min(math.Exp(x[1]), spec.MaxMeanGapSeconds),
			sigma:  math.Min(math.Exp(x[2]), spec.MaxSigma),
			mu:     math.Min(math.Max(x[3], spec.MinLogMu), spec.MaxLogMu),
			beta:   math.Min(math.Max(x[4], -spec.MaxLifetimeCountSlope), spec.MaxLifetimeCountSlope),
			sigmaL: math.Min(math.Exp(x[5]), spec.MaxSigma),
		}
		if len(x) > 6 {
			p.in = math.Min(math.Exp(x[6]), spec.MaxInGapSigma)
		}
		return p
	}
	ll := func(x []float64) float64 {
		g, l, _ := s.lifetimePredict(clampP(x), zs)
		v := binnedLogLik(s.gaps.n, g)
		if l != nil {
			v += binnedLogLik(s.life.n, l)
		}
		return v
	}
	var meanLn, cnt float64
	for _, n := range s.lifeN {
		if n >= 2 {
			meanLn += math.Log(n - 1)
			cnt++
		}
	}
	if cnt > 0 {
		meanLn /= cnt
	}
	if !(lifeP50 > 0) {
		lifeP50 = 3600
	}
	eta0 = math.Min(math.Max(eta0, 1e-4), 1-1e-4)
	var starts [][]float64
	for _, beta := range []float64{0.4, 0.9} {
		starts = append(starts, []float64{logit(eta0), math.Log(gap0), math.Log(1.2), math.Log(lifeP50) - beta*meanLn, beta, math.Log(2)})
	}
	x, _, err := maximiseLoose(ll, starts...)
	if err != nil {
		return StartModelFit{}, 0, StartModelFit{}, 0, err
	}
	// once more from the best point: Nelder–Mead's simplex may have collapsed early
	if x2, _, err2 := maximiseLoose(ll, x); err2 == nil {
		x = x2
	}
	finish := func(x []float64) (StartModelFit, float64) {
		p := clampP(x)
		f := StartModelFit{StartModel: spec.StartModelRenewal, ContinueProbability: p.eta, MeanGapSeconds: p.gap,
			GapMu: mu0, GapSigma: p.sigma, Params: len(x), InGapSigma: p.in,
			Lifetime: &spec.BurstLifetime{Mu: p.mu, Sigma: p.sigmaL, CountSlope: p.beta}}
		g, l, cv := s.lifetimePredict(p, zs)
		s.judge(&f, g, l)
		return f, cv
	}
	f, cv = finish(x)
	xi, _, errIn := maximiseLoose(ll, append(slices.Clone(x), 0))
	if errIn == nil {
		if x2, _, err2 := maximiseLoose(ll, xi); err2 == nil {
			xi = x2
		}
		withIn, inCV = finish(xi)
	}
	return f, cv, withIn, inCV, nil
}

// nestInGap returns the candidate with exponential in-burst gaps, exp, unless the
// one with log-normal in-burst gaps of a fitted σ_in, in, gains more than inGapGain in
// log-likelihood (a likelihood-ratio test at 1 %: σ_in = 0 is the nested model); either
// way with in's σ_in and gain reported. in.Params 0 (its fit failed): exp as it is.
func nestInGap(exp, in StartModelFit) (StartModelFit, bool) {
	if in.Params == 0 {
		return exp, false
	}
	sig, gain := in.InGapSigma, in.LogLik-exp.LogLik
	best, took := exp, false
	if gain > inGapGain {
		best, took = in, true
	}
	best.InGapSigmaFitted, best.InGapLogLikGain = &sig, &gain
	return best, took
}

// maximiseLoose is maximise for the lifetime-law candidate, whose predictions cost
// milliseconds: Nelder–Mead stops once 20 iterations in a row gain less than 0.01 in
// log-likelihood (a difference of 0.01 moves no AIC decision and no parameter beyond its
// standard error), where maximise asks 60 iterations within 10⁻¹¹ of it.
func maximiseLoose(f func(x []float64) float64, starts ...[]float64) ([]float64, float64, error) {
	return maximiseWith(optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 0.01, Iterations: 20},
		FuncEvaluations: 5000,
	}, true, f, starts...)
}
