package dist

import (
	"math"
	"testing"
)

// uniform is the discrete uniform law on 1…n, for hand-computed heavy shares.
type uniform struct{ n int }

func (u uniform) Support() (int, int) { return 1, u.n }

func (u uniform) SurvivalFunc() func(float64) float64 {
	return onSupport(1, u.n, func(x float64) float64 { return (float64(u.n) - x + 1) / float64(u.n) })
}

func (u uniform) ProbFunc() func(int) float64 {
	return func(x int) float64 {
		if x < 1 || x > u.n {
			return 0
		}
		return 1 / float64(u.n)
	}
}

// TestHeavyCount: a count n becomes max(1, round(q + m(n − q))).
func TestHeavyCount(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ n, q, m, want float64 }{
		{100, 98, 2, 102}, {98, 98, 5, 98}, {100, 98, 0.25, 99}, // 98.5 rounds half away from zero
		{1000, 10, 0.5, 505}, {3, 2, 0.1, 2}, {1, 2, 10, 1}, // 2 + 10·(−1) = −8 is at least 1
	} {
		near(t, "HeavyCount", HeavyCount(c.n, c.q, c.m), c.want, 0)
	}
}

// TestHeavyShare: uniform on 1…100, the busiest 2% are 99 and 100: Q = 98, top mass
// (99 + 100)/100 = 1.99 of the mean 50.5, so the share is 0.039406. The multiplier
// scales their excess over 98 (1 and 2, Excess = 0.03): a 10% share needs
// (0.1·48.51 − 0.9·0.02·98) / (0.9·0.03) = (4.851 − 1.764)/0.027 = 114.333…, which
// turns 99 and 100 into 98 + 114.33 = 212.33 and 98 + 228.67 = 326.67: top mass
// (212.33 + 326.67)/100 = 5.39 of 48.51 + 5.39 = 53.9, 10%. Below 1.96/50.47 (both
// rooms at 98) no multiplier reaches the share.
func TestHeavyShare(t *testing.T) {
	t.Parallel()
	h := NewHeavyShare(uniform{100}, 0.02)
	near(t, "Q", h.Q, 98, 0)
	near(t, "top mass", h.Top, 1.99, 1e-9)
	near(t, "rest", h.Rest, 48.51, 1e-9)
	near(t, "excess", h.Excess(), 0.03, 1e-9)
	near(t, "share", h.Share(1), 1.99/50.5, 1e-12)
	m := h.Multiplier(0.1)
	near(t, "multiplier", m, (4.851-1.764)/0.027, 1e-7)
	near(t, "share after multiplier", h.Share(m), 0.1, 1e-12)
	near(t, "mean after multiplier", h.Mean(m), 53.9, 1e-7)
	near(t, "scaled 100", h.Scale(100, m), 327, 0)
	near(t, "scaled 99", h.Scale(99, m), 212, 0)
	near(t, "Q stays", h.Scale(98, m), 98, 0)
	near(t, "a shrinking multiplier keeps the order", h.Scale(100, 0.25), 99, 0)
	if m := h.Multiplier(1.96 / 50.47); !math.IsNaN(m) {
		t.Errorf("a share at the all-at-Q floor gave multiplier %g, want NaN", m)
	}
	if m := h.Multiplier(0.039); !(m > 0 && m < 1) {
		t.Errorf("a share just below the law's (and above the floor) gave multiplier %g, want in (0, 1)", m)
	}
	// A fractional atom: the busiest 1.5% of 1…100 are 100 and half of 99.
	h = NewHeavyShare(uniform{100}, 0.015)
	near(t, "top mass with half an atom", h.Top, (100+0.5*99)/100, 1e-9)
	near(t, "excess with half an atom", h.Excess(), 0.01, 1e-9) // only 100 is above Q = 99
	if m := h.Multiplier(1); !math.IsNaN(m) {
		t.Errorf("a share of 1 gave multiplier %g, want NaN", m)
	}
	wantPanic(t, "pct > 1", func() { NewHeavyShare(uniform{100}, 1.5) })
}
