package dist

import (
	"fmt"
	"math"
)

// HeavyCount is the heavy-room transform of a count: the busiest rooms, those with a
// count n at or above the pivot q (the count law's (1 − pct) quantile), have their
// excess over q scaled by the multiplier mult,
//
//	n ↦ max(1, round(q + mult·(n − q))),
//
// so q and every count below it stay the law's, and the order of the rooms does not
// change. The one definition the generator draws with and fit and calibrate predict
// with.
func HeavyCount(n, q, mult float64) float64 {
	return math.Max(1, math.Round(q+mult*(n-q)))
}

// HeavyShare describes the busiest share Pct of the conversations under a count law:
// the (1 − Pct) quantile Q, Above = P(X > Q), and the message mass of the busiest Pct
// (Top = E[X; X > Q] + (Pct − P(X > Q))·Q: all conversations above Q and the fraction
// of those at Q that completes Pct) and of the rest (Rest = E[X] − Top).
//
// Under HeavyCount with multiplier m the top set keeps its edge (the (1 − Pct)
// quantile, the exported p99 when Pct is 1%, and everything below it are the law's
// whatever m is) and its mass becomes Pct·Q + m·Excess, Excess = Top − Pct·Q =
// E[X − Q; X > Q]. The generator scales exactly that busiest Pct of its stratified
// conversations.
type HeavyShare struct {
	Pct, Q, Above float64
	Top, Rest     float64
}

// NewHeavyShare computes HeavyShare for the busiest pct of d's draws, with one
// survival evaluation per value of the support. 0 ≤ pct ≤ 1.
func NewHeavyShare(d Discrete, pct float64) HeavyShare {
	if !(pct >= 0 && pct <= 1) {
		panic(fmt.Sprintf("dist: NewHeavyShare: pct = %g is outside [0, 1]", pct))
	}
	surv := d.SurvivalFunc()
	xmin, xmax := d.Support()
	q := float64(quantile(surv, 1-pct, xmin, xmax))
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

// Excess is the busiest Pct's mass above Q: Top − Pct·Q = E[X − Q; X > Q].
func (h HeavyShare) Excess() float64 { return h.Top - h.Pct*h.Q }

// Scale returns a heavy room's count n after the multiplier mult: HeavyCount(n, Q, mult).
func (h HeavyShare) Scale(n, mult float64) float64 { return HeavyCount(n, h.Q, mult) }

// Share returns the share of all messages carried by the busiest Pct after the
// multiplier: (Pct·Q + m·Excess) / (Rest + Pct·Q + m·Excess).
func (h HeavyShare) Share(mult float64) float64 {
	top := h.Pct*h.Q + mult*h.Excess()
	return top / (h.Rest + top)
}

// Mean returns the law's mean count after the multiplier: Rest + Pct·Q + m·Excess.
func (h HeavyShare) Mean(mult float64) float64 { return h.Rest + h.Pct*h.Q + mult*h.Excess() }

// Multiplier solves Share(m) = share for m (closed form):
//
//	m = (share·Rest − (1 − share)·Pct·Q) / ((1 − share)·Excess).
//
// It returns NaN when no positive m exists: share outside (0, 1), no mass above Q, or
// a share at or below Pct·Q / (Rest + Pct·Q), what the top set carries with every room
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
