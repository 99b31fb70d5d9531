package fit

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Model is a distribution over non-negative values as the binned likelihood sees it:
// the probability of a bucket [lo, hi) of a shape histogram. Discrete models count the
// integers in [lo, hi); continuous models integrate their density over it.
type Model interface {
	// Mass returns P(lo ≤ X < hi); hi may be +Inf.
	Mass(lo, hi float64) float64
}

// survivor is implemented by models that can return their survival function
// S(x) = P(X ≥ x) with the parameter-only constants (normalisers) computed once, so a
// likelihood over many buckets evaluates each bucket edge once.
type survivor interface {
	survivalFn() func(x float64) float64
}

// survivalOf returns the survival function of m.
func survivalOf(m Model) func(x float64) float64 {
	if s, ok := m.(survivor); ok {
		return s.survivalFn()
	}
	return func(x float64) float64 { return m.Mass(x, math.Inf(1)) }
}

// phiC is the upper tail of the standard normal, Q(z) = 1 − Φ(z), computed with erfc
// so that far-tail masses keep their relative precision.
func phiC(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// TruncatedGeometric is P(X = x) = (1−p)^(x−Min) p / (1 − (1−p)^(Max−Min+1)) on
// Min…Max, the geometric law of the number of failures before the first success
// (shifted to Min), conditioned on X ≤ Max.
type TruncatedGeometric struct {
	P        float64
	Min, Max int
}

// survivalFn returns S(x) = P(X ≥ x) = ((1−p)^(⌈x⌉−Min) − (1−p)^(Max−Min+1)) / (1 − (1−p)^(Max−Min+1)).
func (g TruncatedGeometric) survivalFn() func(float64) float64 {
	q := 1 - g.P
	tail := math.Pow(q, float64(g.Max-g.Min+1))
	return discreteSurvival(g.Min, g.Max, func(x float64) float64 {
		return (math.Pow(q, x-float64(g.Min)) - tail) / (1 - tail)
	})
}

// Mass returns P(lo ≤ X < hi) = S(lo) − S(hi).
func (g TruncatedGeometric) Mass(lo, hi float64) float64 {
	s := g.survivalFn()
	return s(lo) - s(hi)
}

// Mean returns E[X].
func (g TruncatedGeometric) Mean() float64 {
	var s float64
	for x := g.Min; x <= g.Max; x++ {
		s += float64(x) * g.Mass(float64(x), float64(x+1))
	}
	return s
}

// PowerLaw is the discrete power law P(X = x) = x^(−α) / (ζ(α, XMin) − ζ(α, XMax+1)) on
// XMin…XMax, ζ the Hurwitz zeta function ζ(α, q) = Σ_{k≥0} (k+q)^(−α) (Clauset,
// Shalizi & Newman 2009, "Power-law distributions in empirical data", SIAM Review
// 51(4):661–703, eq. 2.4, here truncated above at XMax). α > 1.
type PowerLaw struct {
	Alpha      float64
	XMin, XMax int
}

// survivalFn returns S(x) = P(X ≥ ⌈x⌉) = (ζ(α, ⌈x⌉) − ζ(α, XMax+1)) / (ζ(α, XMin) − ζ(α, XMax+1)).
func (p PowerLaw) survivalFn() func(float64) float64 {
	top := mathext.Zeta(p.Alpha, float64(p.XMax)+1)
	norm := mathext.Zeta(p.Alpha, float64(p.XMin)) - top
	return discreteSurvival(p.XMin, p.XMax, func(x float64) float64 {
		return (mathext.Zeta(p.Alpha, x) - top) / norm
	})
}

// Mass returns P(lo ≤ X < hi).
func (p PowerLaw) Mass(lo, hi float64) float64 {
	s := p.survivalFn()
	return s(lo) - s(hi)
}

// Mean returns E[X] = (ζ(α−1, XMin) − ζ(α−1, XMax+1)) / (ζ(α, XMin) − ζ(α, XMax+1)), summed
// directly when α − 1 ≤ 1 where the first zeta diverges.
func (p PowerLaw) Mean() float64 {
	lo, hi := float64(p.XMin), float64(p.XMax)+1
	norm := mathext.Zeta(p.Alpha, lo) - mathext.Zeta(p.Alpha, hi)
	if p.Alpha > 2 {
		return (mathext.Zeta(p.Alpha-1, lo) - mathext.Zeta(p.Alpha-1, hi)) / norm
	}
	var s float64
	for x := p.XMin; x <= p.XMax; x++ {
		s += math.Pow(float64(x), 1-p.Alpha)
	}
	return s / norm
}

// DiscreteLogNormal is P(X = x) ∝ Φ((ln(x+1) − μ)/σ) − Φ((ln x − μ)/σ) on XMin…XMax:
// ⌊Y⌋ for Y log-normal(μ, σ), conditioned on XMin ≤ ⌊Y⌋ ≤ XMax (the generator's
// "discrete_lognormal"). XMin ≥ 1.
type DiscreteLogNormal struct {
	Mu, Sigma  float64
	XMin, XMax int
}

// upper is P(Y ≥ y) of the continuous log-normal.
func (d DiscreteLogNormal) upper(y float64) float64 {
	if y <= 0 {
		return 1
	}
	return phiC((math.Log(y) - d.Mu) / d.Sigma)
}

// survivalFn returns S(x) = P(X ≥ ⌈x⌉) = (Q(z(⌈x⌉)) − Q(z(XMax+1))) / (Q(z(XMin)) − Q(z(XMax+1))),
// z(y) = (ln y − μ)/σ, Q the standard normal upper tail.
func (d DiscreteLogNormal) survivalFn() func(float64) float64 {
	top := d.upper(float64(d.XMax) + 1)
	norm := d.upper(float64(d.XMin)) - top
	return discreteSurvival(d.XMin, d.XMax, func(x float64) float64 {
		return (d.upper(x) - top) / norm
	})
}

// Mass returns P(lo ≤ X < hi).
func (d DiscreteLogNormal) Mass(lo, hi float64) float64 {
	s := d.survivalFn()
	return s(lo) - s(hi)
}

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

// survivalFn returns S(x) = P(X ≥ x) (conditioned on X < Max when Max > 0).
func (l LogNormal) survivalFn() func(float64) float64 {
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
	s := l.survivalFn()
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

// survivalFn returns S(x) = e^(−x/m) for x ≥ 0.
func (e Exponential) survivalFn() func(float64) float64 {
	return func(x float64) float64 { return math.Exp(-math.Max(x, 0) / e.Mean) }
}

// Mass returns P(lo ≤ X < hi) = e^(−lo/m) − e^(−hi/m).
func (e Exponential) Mass(lo, hi float64) float64 {
	s := e.survivalFn()
	return s(lo) - s(hi)
}

// discreteSurvival is the survival function of a model on the integers lo…hi:
// S(x) = P(X ≥ ⌈x⌉), which is 1 at or below lo and 0 above hi; inner gives S at the
// integers strictly inside.
func discreteSurvival(lo, hi int, inner func(x float64) float64) func(float64) float64 {
	return func(x float64) float64 {
		x = math.Ceil(x)
		if x <= float64(lo) {
			return 1
		}
		if x > float64(hi) {
			return 0
		}
		return inner(x)
	}
}

// Mixture is Σ w_i · Component_i; the weights sum to 1.
type Mixture struct {
	Weights    []float64
	Components []Model
}

// survivalFn returns Σ w_i S_i(x).
func (m Mixture) survivalFn() func(float64) float64 {
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
	s := m.survivalFn()
	return s(lo) - s(hi)
}

// QuantileInt returns the smallest integer x in [min, max] with P(X ≤ x) ≥ p for a
// discrete model on min…max (binary search on Mass(min, x+1)).
func QuantileInt(m Model, p float64, min, max int) float64 {
	surv := survivalOf(m)
	lo, hi := min, max // the answer lies in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		if 1-surv(float64(mid)+1) >= p {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return float64(lo)
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
