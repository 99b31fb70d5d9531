package fit

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/shape"
)

// MixtureComponent is one log-normal component of a mixture: weight w, ln X ~ N(Mu, Sigma²).
type MixtureComponent struct {
	Weight float64 `json:"weight"`
	Mu     float64 `json:"mu"`
	Sigma  float64 `json:"sigma"`
}

// LogNormalMixtureFit is a K-component log-normal mixture fitted to a histogram by binned
// maximum likelihood, with its information criteria.
type LogNormalMixtureFit struct {
	// Components are ordered by Mu (short texts first).
	Components []MixtureComponent `json:"components"`
	LogLik     float64            `json:"log_likelihood"`
	// Params is the number of free parameters, 3K − 1.
	Params int `json:"params"`
	// AIC = −2 ln L + 2p (Akaike 1974); BIC = −2 ln L + p ln N (Schwarz 1978).
	AIC float64 `json:"aic"`
	BIC float64 `json:"bic"`
	// Iterations of EM until the log-likelihood settled.
	Iterations int `json:"iterations"`
	GOF        GOF `json:"-"`
}

// Model returns the mixture as a Model.
func (f LogNormalMixtureFit) Model() Model {
	m := Mixture{}
	for _, c := range f.Components {
		m.Weights = append(m.Weights, c.Weight)
		m.Components = append(m.Components, LogNormal{Mu: c.Mu, Sigma: c.Sigma})
	}
	return m
}

// minMixtureSigma keeps a component from collapsing onto one bucket (a degenerate
// optimum of the likelihood of any mixture: Kiefer & Wolfowitz 1956).
const minMixtureSigma = 0.05

// FitLogNormalMixture fits a k-component log-normal mixture to h by grouped-data EM
// (McLachlan & Jones 1988, "Fitting mixture models to grouped and truncated data via
// the EM algorithm", Biometrics 44:571–578). On the log scale each bucket [lo, hi) is
// the interval [ln lo, ln hi) of a normal mixture; with α = (a − μ_j)/σ_j,
// β = (b − μ_j)/σ_j and P_ij = Φ(β) − Φ(α):
//
//	E-step  τ_ij = w_j P_ij / Σ_l w_l P_il
//	        E[Y | i, j]  = μ_j + σ_j (φ(α) − φ(β)) / P_ij
//	        E[Y² | i, j] = μ_j² + σ_j² + 2μ_jσ_j (φ(α) − φ(β))/P_ij + σ_j² (αφ(α) − βφ(β))/P_ij
//	M-step  w_j = Σ_i n_i τ_ij / N,  μ_j = Σ_i n_i τ_ij E[Y|i,j] / Σ_i n_i τ_ij,
//	        σ_j² = Σ_i n_i τ_ij E[Y²|i,j] / Σ_i n_i τ_ij − μ_j²
//
// Each iteration raises the binned likelihood Σ n_i ln Σ_j w_j P_ij, the same
// likelihood the single log-normal maximises (integer lengths on integer edges are exact:
// ⌊X⌋ ∈ [lo, hi) ⇔ X ∈ [lo, hi)). EM starts from several deterministic splits of the
// data by its quantiles and the best optimum is kept, so the same histogram always gives
// the same fit. k = 1 is the single log-normal.
func FitLogNormalMixture(h shape.Histogram, k int) (LogNormalMixtureFit, error) {
	if k < 1 || k > 5 {
		panic(fmt.Sprintf("fit: FitLogNormalMixture: k = %d, want 1…5", k))
	}
	b := newBinned(h)
	if b.total == 0 {
		return LogNormalMixtureFit{}, fmt.Errorf("the histogram is empty")
	}
	nonEmpty := 0
	for _, n := range b.n {
		if n > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 3*k-1 {
		return LogNormalMixtureFit{}, fmt.Errorf("%d non-empty buckets cannot identify %d components", nonEmpty, k)
	}
	ya, yb := make([]float64, len(b.lo)), make([]float64, len(b.lo))
	for i := range b.lo {
		ya[i] = logEdge(b.lo[i])
		yb[i] = logEdge(b.hi[i])
	}
	var best LogNormalMixtureFit
	best.LogLik = math.Inf(-1)
	for _, start := range mixtureStarts(b, k) {
		comps, ll, iters := emGrouped(b, ya, yb, start)
		if ll > best.LogLik {
			best = LogNormalMixtureFit{Components: comps, LogLik: ll, Iterations: iters}
		}
	}
	if math.IsInf(best.LogLik, -1) || math.IsNaN(best.LogLik) {
		return LogNormalMixtureFit{}, errNoConvergence
	}
	sort.Slice(best.Components, func(i, j int) bool { return best.Components[i].Mu < best.Components[j].Mu })
	best.Params = 3*k - 1
	best.AIC = -2*best.LogLik + 2*float64(best.Params)
	best.BIC = -2*best.LogLik + float64(best.Params)*math.Log(b.total)
	best.GOF = b.goodness(best.Model(), best.Params)
	return best, nil
}

// logEdge maps a bucket edge to the log scale: ln 0 = −∞, ln ∞ = ∞.
func logEdge(x float64) float64 {
	if x <= 0 {
		return math.Inf(-1)
	}
	return math.Log(x)
}

// mixtureStarts returns starting components: the data cut at its count quantiles into k
// groups (each group's grouped log-moments), and the same with the cuts moved a third
// of a group either way, so that EM is tried from both sides of a saddle.
func mixtureStarts(b binned, k int) [][]MixtureComponent {
	var starts [][]MixtureComponent
	for _, shift := range []float64{0, -1.0 / 3, 1.0 / 3} {
		cuts := make([]float64, k+1)
		for j := range cuts {
			q := (float64(j) + shift) / float64(k)
			if j == 0 {
				q = 0
			}
			if j == k {
				q = 1
			}
			cuts[j] = math.Min(math.Max(q, 0), 1) * b.total
		}
		var comps []MixtureComponent
		for j := 0; j < k; j++ {
			part := binned{}
			var cum float64
			for i := range b.lo {
				lo, hi := cum, cum+b.n[i]
				cum = hi
				// The share of bucket i that falls in group j's count interval.
				take := math.Min(hi, cuts[j+1]) - math.Max(lo, cuts[j])
				if take <= 0 {
					continue
				}
				part.lo = append(part.lo, b.lo[i])
				part.hi = append(part.hi, b.hi[i])
				part.n = append(part.n, take)
				part.total += take
			}
			if part.total == 0 {
				break
			}
			mu, s := logMoments(part, 0.5)
			comps = append(comps, MixtureComponent{Weight: part.total / b.total, Mu: mu, Sigma: math.Max(s, 0.2)})
		}
		if len(comps) == k {
			starts = append(starts, comps)
		}
	}
	return starts
}

// emGrouped runs grouped-data EM from start until the log-likelihood gains less than
// 1e-9 per observation (at most 5000 iterations) and returns the components, the
// log-likelihood and the iterations used.
func emGrouped(b binned, ya, yb []float64, start []MixtureComponent) ([]MixtureComponent, float64, int) {
	k := len(start)
	comps := append([]MixtureComponent(nil), start...)
	p := make([][]float64, k)  // P_ij
	e1 := make([][]float64, k) // E[Y | i, j]
	e2 := make([][]float64, k) // E[Y² | i, j]
	for j := range p {
		p[j], e1[j], e2[j] = make([]float64, len(b.n)), make([]float64, len(b.n)), make([]float64, len(b.n))
	}
	prev := math.Inf(-1)
	const maxIter = 5000
	iter := 0
	for ; iter < maxIter; iter++ {
		// E-step quantities and the log-likelihood at the current parameters.
		for j, c := range comps {
			for i := range b.n {
				p[j][i], e1[j][i], e2[j][i] = truncMoments(ya[i], yb[i], c.Mu, c.Sigma)
			}
		}
		ll := 0.0
		sw := make([]float64, k)
		s1 := make([]float64, k)
		s2 := make([]float64, k)
		for i, n := range b.n {
			if n == 0 {
				continue
			}
			var mix float64
			for j, c := range comps {
				mix += c.Weight * p[j][i]
			}
			if !(mix > 0) {
				return comps, math.Inf(-1), iter
			}
			ll += n * math.Log(mix)
			for j, c := range comps {
				t := n * c.Weight * p[j][i] / mix
				sw[j] += t
				s1[j] += t * e1[j][i]
				s2[j] += t * e2[j][i]
			}
		}
		if iter > 0 && ll-prev < 1e-9*b.total {
			prev = math.Max(ll, prev)
			break
		}
		prev = ll
		// M-step.
		for j := range comps {
			if sw[j] <= 0 {
				return comps, math.Inf(-1), iter
			}
			mu := s1[j] / sw[j]
			v := s2[j]/sw[j] - mu*mu
			comps[j] = MixtureComponent{Weight: sw[j] / b.total, Mu: mu, Sigma: math.Max(math.Sqrt(math.Max(v, 0)), minMixtureSigma)}
		}
	}
	return comps, prev, iter
}

// truncMoments returns P(a ≤ Y < b), E[Y | a ≤ Y < b] and E[Y² | a ≤ Y < b] for
// Y ~ N(mu, sigma²) (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
// vol. 1, §13.10.1). Where the interval's mass underflows, the moments are those of its
// nearest finite point.
func truncMoments(a, b, mu, sigma float64) (p, m1, m2 float64) {
	al, be := (a-mu)/sigma, (b-mu)/sigma
	// Mass from the side farther from the mean, to keep precision in the tails.
	if al > 0 {
		p = phiC(al) - phiC(be)
	} else {
		p = phiC(-be) - phiC(-al)
	}
	pa, pb := distuv.UnitNormal.Prob(al), distuv.UnitNormal.Prob(be)
	apa, bpb := al*pa, be*pb
	if math.IsInf(al, 0) {
		apa = 0
	}
	if math.IsInf(be, 0) {
		bpb = 0
	}
	if !(p > 1e-300) {
		// A point mass at the interval's finite end nearest the mean.
		y := a
		switch {
		case math.IsInf(a, -1):
			y = b
		case !math.IsInf(b, 1) && math.Abs(b-mu) < math.Abs(a-mu):
			y = b
		}
		return 0, y, y * y
	}
	d := (pa - pb) / p
	m1 = mu + sigma*d
	m2 = mu*mu + sigma*sigma + 2*mu*sigma*d + sigma*sigma*(apa-bpb)/p
	return p, m1, m2
}

// LengthModelChoice is the content-length model chosen among 1–3 log-normal components.
type LengthModelChoice struct {
	// Candidates are the fits for k = 1, 2, 3 that converged, in order of k.
	Candidates []LogNormalMixtureFit
	// Chosen indexes Candidates: the smallest BIC.
	Chosen int
}

// ChooseLengthModel fits 1, 2 and 3 log-normal components to h and chooses the one with
// the smallest BIC. BIC rather than AIC: at the sizes of a production export (10⁵–10⁸
// messages) AIC's penalty of 2 per parameter keeps adding components for deviations no
// generator needs to reproduce, while BIC is consistent for the number of components
// (Keribin 2000, "Consistent estimation of the order of mixture models", Sankhyā A
// 62:49–66). Both criteria are reported.
func ChooseLengthModel(h shape.Histogram) (LengthModelChoice, error) {
	var out LengthModelChoice
	var firstErr error
	for k := 1; k <= 3; k++ {
		f, err := FitLogNormalMixture(h, k)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out.Candidates = append(out.Candidates, f)
		if f.BIC < out.Candidates[out.Chosen].BIC {
			out.Chosen = len(out.Candidates) - 1
		}
	}
	if len(out.Candidates) == 0 {
		return out, firstErr
	}
	return out, nil
}
