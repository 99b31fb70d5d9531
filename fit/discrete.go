package fit

import (
	"math"

	"github.com/pgshape/pgshape/spec"
)

// DiscreteMean returns E[X] of a discrete model on xmin…xmax, as xmin + Σ_{x>xmin} P(X ≥ x).
func DiscreteMean(m Model, xmin, xmax int) float64 {
	surv := survivalOf(m)
	s := float64(xmin)
	for x := xmin + 1; x <= xmax; x++ {
		s += surv(float64(x))
	}
	return s
}

// HeavyShare describes the busiest share pct of the conversations under a discrete count
// model: the (1 − pct) quantile Q, P(X > Q), and the message mass of the busiest pct
// (Top = E[X; X > Q] + (pct − P(X > Q))·Q: all conversations above Q and the fraction
// of those at Q that completes pct) and of the rest (Rest = E[X] − Top).
//
// The heavy-room multiplier m scales the busiest pct's excess over Q: a count n above Q
// becomes Q + m·(n − Q) (Scale), one at Q stays. So the top set keeps its edge: the
// (1 − pct) quantile, the exported p99 when pct is 1%, and everything below it are the
// count model's whatever m is, and the order of the rooms does not change. The top
// set's mass becomes pct·Q + m·Excess with Excess = Top − pct·Q = E[X − Q; X > Q].
// The generator scales exactly that busiest pct of its stratified conversations.
type HeavyShare struct {
	Pct, Q, Above float64
	Top, Rest     float64
}

// NewHeavyShare computes HeavyShare for pct of the conversations.
func NewHeavyShare(m Model, xmin, xmax int, pct float64) HeavyShare {
	surv := survivalOf(m)
	q := QuantileInt(m, 1-pct, xmin, xmax)
	h := HeavyShare{Pct: pct, Q: q, Above: surv(q + 1)}
	// E[X] = xmin + Σ_{x>xmin} P(X ≥ x); E[X; X > q] = (q+1)·P(X ≥ q+1) + Σ_{x ≥ q+2} P(X ≥ x).
	mean := float64(xmin)
	var above float64
	for x := xmin + 1; x <= xmax; x++ {
		s := surv(float64(x))
		mean += s
		if float64(x) >= q+2 {
			above += s
		}
	}
	if q < float64(xmax) {
		above += (q + 1) * h.Above
	}
	h.Top = above + math.Max(pct-h.Above, 0)*q
	h.Rest = mean - h.Top
	return h
}

// Excess is the busiest pct's mass above Q: Top − pct·Q = E[X − Q; X > Q].
func (h HeavyShare) Excess() float64 { return h.Top - h.Pct*h.Q }

// Scale returns a heavy room's count n after the multiplier mult, pivoting on Q
// (spec.HeavyRooms.Count): Q + mult·(n − Q), rounded, at least 1; n at Q stays.
func (h HeavyShare) Scale(n, mult float64) float64 {
	return spec.HeavyRooms{Multiplier: mult}.Count(n, h.Q)
}

// Share returns the share of all messages carried by the busiest pct of conversations
// after the multiplier: (pct·Q + m·Excess) / (Rest + pct·Q + m·Excess).
func (h HeavyShare) Share(mult float64) float64 {
	top := h.Pct*h.Q + mult*h.Excess()
	return top / (h.Rest + top)
}

// Mean returns the model's mean count after the multiplier: Rest + pct·Q + m·Excess.
func (h HeavyShare) Mean(mult float64) float64 { return h.Rest + h.Pct*h.Q + mult*h.Excess() }

// Multiplier solves Share(m) = share for m (closed form):
//
//	m = (share·Rest − (1 − share)·pct·Q) / ((1 − share)·Excess).
//
// It returns NaN when no positive m exists: share outside (0, 1), no mass above Q, or
// a share at or below pct·Q / (Rest + pct·Q), what the top set carries with every room
// at Q.
func (h HeavyShare) Multiplier(share float64) float64 {
	e := h.Excess()
	if !(e > 0) || !(share > 0 && share < 1) {
		return math.NaN()
	}
	m := (share*h.Rest - (1-share)*h.Pct*h.Q) / ((1 - share) * e)
	if !(m > 0) {
		return math.NaN()
	}
	return m
}

// tabulated is a discrete model on xmin…xmax with its survival function evaluated once
// at every integer, for the sums over the whole support (mean, heavy share, ChainCV)
// that would otherwise evaluate a special function 10⁵ times each.
type tabulated struct {
	xmin, xmax int
	s          []float64 // s[i] = P(X ≥ xmin + i)
}

// tabulateExact and tabulateStride: tabulate evaluates the survival function at every
// integer up to xmin + tabulateExact, and beyond that at every tabulateStride-th integer,
// interpolating linearly in between. S is smooth there (the pmf changes by a relative
// O(1/x) per step): on the example's tail the error in S stays below 10⁻¹¹ and the mean
// and second moment match an every-integer table to 10⁻⁹ (TestTabulateStrideIsExactEnough),
// while the special-function calls drop eightfold on the long tails the open last bucket
// gives (x_max up to ten times its lower bound).
const (
	tabulateExact  = 1 << 16
	tabulateStride = 8
)

// tabulate evaluates m's survival function on xmin…xmax+1. The evaluations (the
// special functions, nearly all of the cost) run on all CPUs, each into its own slot,
// so the table does not depend on the number of CPUs; every Model here is a plain
// value whose functions are safe to call concurrently.
func tabulate(m Model, xmin, xmax int) tabulated {
	surv := survivalOf(m)
	t := tabulated{xmin: xmin, xmax: xmax, s: make([]float64, xmax-xmin+2)}
	last := len(t.s) - 1
	// The evaluated indexes: every one up to tabulateExact, then every
	// tabulateStride-th, and the last.
	at := func(k int) int { // k-th evaluated index
		if k <= tabulateExact {
			return k
		}
		return min(tabulateExact+(k-tabulateExact)*tabulateStride, last)
	}
	nEval := min(last, tabulateExact) + 1
	if last > tabulateExact {
		nEval += (last - tabulateExact + tabulateStride - 1) / tabulateStride
	}
	eachShare(nEval, func(c, w int) { // one contiguous run of k per CPU
		for k := c * nEval / w; k < (c+1)*nEval/w; k++ {
			i := at(k)
			t.s[i] = surv(float64(xmin + i))
		}
	})
	// Linear interpolation between the strided evaluations.
	for k := tabulateExact + 1; k < nEval; k++ {
		i, j := at(k-1), at(k)
		for x := i + 1; x < j; x++ {
			f := float64(x-i) / float64(j-i)
			t.s[x] = t.s[i] + f*(t.s[j]-t.s[i])
		}
	}
	t.s[0], t.s[last] = 1, 0
	return t
}

func (t tabulated) survivalFn() func(float64) float64 {
	return discreteSurvival(t.xmin, t.xmax, func(x float64) float64 { return t.s[int(x)-t.xmin] })
}

// Mass returns P(lo ≤ X < hi).
func (t tabulated) Mass(lo, hi float64) float64 {
	s := t.survivalFn()
	return s(lo) - s(hi)
}
