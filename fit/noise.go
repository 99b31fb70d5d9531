package fit

import (
	"math"

	"github.com/pgshape/pgshape/shape"
)

// DPNoise is the report's account of a differential-privacy document's noise
// (shape.export_dp, docs/fit.md "Differential-privacy documents"): which histograms were
// fitted with their noise, σ per count, and how many negative counts were taken as 0.
type DPNoise struct {
	// Epsilon and Delta are the release's.
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
	// Method: the Gaussian likelihood with variance e_i + σ², the buckets released as 0
	// censored as shape.dp_keep implies (binned.logLik).
	Method string `json:"method"`
	// Sigma is σ per count by vector name (e.g. "conversations.activity"), for the
	// histograms fitted with it.
	Sigma map[string]float64 `json:"sigma"`
	// Clamped counts the negative counts taken as 0 before fitting.
	Clamped int `json:"clamped_negative_counts"`
	// Unweighted names the fits that do not use the noise yet.
	Unweighted []string `json:"unweighted,omitempty"`
}

// dpNoiseMethod is DPNoise.Method.
const dpNoiseMethod = "Gaussian likelihood, each bucket's variance e_i + sigma^2 (e_i = the model's expected count), buckets released as 0 censored: at <= 0 next to a published bucket, else under ceil(5 sigma) (shape.dp_keep)"

// binned returns the histogram as the fits see it: with the named vector's noise when
// the document is a differential-privacy release that carries it, exact otherwise.
func (f *fitter) binned(h shape.Histogram, vector string) binned {
	p := f.doc.Privacy
	s, ok := p.Sigma(vector)
	if p == nil || p.Mode != shape.ModeDifferentialPrivacy || !ok {
		return newBinned(h)
	}
	b, clamped := newNoisyBinned(h, s*s)
	n := f.dpNoise()
	n.Sigma[vector] = math.Sqrt(b.sigma2)
	n.Clamped += clamped
	return b
}

// dpNoise returns the report's DPNoise, made on first use.
func (f *fitter) dpNoise() *DPNoise {
	if f.rep.DPNoise == nil {
		p := f.doc.Privacy
		f.rep.DPNoise = &DPNoise{Epsilon: p.Epsilon, Delta: p.Delta, Method: dpNoiseMethod, Sigma: map[string]float64{}}
	}
	return f.rep.DPNoise
}

// chooseNoisy re-chooses the content-length model of a DP document by the BIC of the
// noisy likelihood, p ln N − 2 ln L with L binned.logLik's (the EM fits maximise the
// multinomial one, whose gain from an extra narrow component fitting a noise spike is
// as large as if the spike were data). An exact document keeps choice.Chosen.
func (f *fitter) chooseNoisy(choice LengthModelChoice, h shape.Histogram, vector string) int {
	b := f.binned(h, vector)
	if b.sigma2 == 0 || b.total == 0 {
		return choice.Chosen
	}
	best, bestBIC := choice.Chosen, math.Inf(1)
	for i, c := range choice.Candidates {
		bic := float64(c.Params)*math.Log(b.total) - 2*b.logLik(c.Model())
		if bic < bestBIC {
			best, bestBIC = i, bic
		}
	}
	return best
}
