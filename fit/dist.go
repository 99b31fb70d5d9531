package fit

import (
	"math"
)

// Model is a distribution over non-negative values as the binned likelihood sees it:
// the probability of a bucket [lo, hi) of a shape histogram. Discrete models (the count
// laws of package dist) count the integers in [lo, hi); continuous models integrate
// their density over it.
type Model interface {
	// Mass returns P(lo ≤ X < hi); hi may be +Inf.
	Mass(lo, hi float64) float64
}

// survivor is implemented by models that can return their survival function
// S(x) = P(X ≥ x) with the parameter-only constants (normalisers) computed once, so a
// likelihood over many buckets evaluates each bucket edge once: every law of package
// dist, and the continuous models here.
type survivor interface {
	SurvivalFunc() func(x float64) float64
}

// survivalOf returns the survival function of m.
func survivalOf(m Model) func(x float64) float64 {
	if s, ok := m.(survivor); ok {
		return s.SurvivalFunc()
	}
	return func(x float64) float64 { return m.Mass(x, math.Inf(1)) }
}

// phiC is the upper tail of the standard normal, Q(z) = 1 − Φ(z), computed with erfc
// so that far-tail masses keep their relative precision.
func phiC(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// LogNormal is the continuous log-normal, ln X ~ N(μ, σ²), optionally truncated above at
// Max (Max ≤ 0: no truncation).
type LogNormal struct {
	Mu, Sigma, Max float64
}

func (l LogNormal) upper(x float64) float64 {
	if x <= 0 {
		return 1
	}
	if math.IsInf(x, 1) {
		return 0
	}
	return phiC((math.Log(x) - l.Mu) / l.Sigma)
}

// SurvivalFunc returns S(x) = P(X ≥ x) (conditioned on X < Max when Max > 0).
func (l LogNormal) SurvivalFunc() func(float64) float64 {
	if l.Max <= 0 {
		return l.upper
	}
	top := l.upper(l.Max)
	return func(x float64) float64 {
		if x >= l.Max {
			return 0
		}
		return (l.upper(x) - top) / (1 - top)
	}
}

// Mass returns P(lo ≤ X < hi) (conditioned on X < Max when Max > 0).
func (l LogNormal) Mass(lo, hi float64) float64 {
	s := l.SurvivalFunc()
	return s(lo) - s(hi)
}

// Moment returns E[X^k] (truncated at Max when Max > 0): with T = ln Max,
// E[X^k; X < Max] = exp(kμ + k²σ²/2) Φ((T − μ − kσ²)/σ), divided by Φ((T − μ)/σ).
func (l LogNormal) Moment(k float64) float64 {
	m := math.Exp(k*l.Mu + k*k*l.Sigma*l.Sigma/2)
	if l.Max <= 0 {
		return m
	}
	t := math.Log(l.Max)
	return m * (1 - phiC((t-l.Mu-k*l.Sigma*l.Sigma)/l.Sigma)) / (1 - phiC((t-l.Mu)/l.Sigma))
}

// Exponential is the exponential law with the given mean.
type Exponential struct{ Mean float64 }

// SurvivalFunc returns S(x) = e^(−x/m) for x ≥ 0.
func (e Exponential) SurvivalFunc() func(float64) float64 {
	return func(x float64) float64 { return math.Exp(-math.Max(x, 0) / e.Mean) }
}

// Mass returns P(lo ≤ X < hi) = e^(−lo/m) − e^(−hi/m).
func (e Exponential) Mass(lo, hi float64) float64 {
	s := e.SurvivalFunc()
	return s(lo) - s(hi)
}

// Mixture is Σ w_i · Component_i; the weights sum to 1.
type Mixture struct {
	Weights    []float64
	Components []Model
}

// SurvivalFunc returns Σ w_i S_i(x).
func (m Mixture) SurvivalFunc() func(float64) float64 {
	fs := make([]func(float64) float64, len(m.Components))
	for i, c := range m.Components {
		fs[i] = survivalOf(c)
	}
	return func(x float64) float64 {
		var s float64
		for i, f := range fs {
			s += m.Weights[i] * f(x)
		}
		return s
	}
}

// Mass returns Σ w_i P_i(lo ≤ X < hi).
func (m Mixture) Mass(lo, hi float64) float64 {
	s := m.SurvivalFunc()
	return s(lo) - s(hi)
}

// QuantileReal returns x in (0, upper] with P(X < x) = p for a continuous model, by
// bisection on a log scale (the models here span decades) to a relative 1e-9.
func QuantileReal(m Model, p, upper float64) float64 {
	surv := survivalOf(m)
	lo, hi := upper*1e-15, upper
	for i := 0; i < 200 && hi/lo > 1+1e-9; i++ {
		mid := math.Sqrt(lo * hi)
		if 1-surv(mid) >= p {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
