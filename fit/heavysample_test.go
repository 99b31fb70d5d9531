package fit

import (
	"math"
	"testing"
)

// TestSampledTopShareConstant: every room has 7 messages, so the busiest ceil(1%·250) = 3
// of 250 carry exactly 3/250 in every replicate.
func TestSampledTopShareConstant(t *testing.T) {
	tab := tabulated{xmin: 7, xmax: 7, s: []float64{1, 0}}
	b := sampledTopShare(tab, 250, 0.01)
	if b.N != 250 || b.Reps != 1000 {
		t.Fatalf("n, reps = %d, %d, want 250, 1000", b.N, b.Reps)
	}
	for name, v := range map[string]float64{"low": b.Low, "median": b.Median, "high": b.High} {
		if math.Abs(v-0.012) > 1e-12 {
			t.Errorf("%s = %g, want 3/250 = 0.012", name, v)
		}
	}
}

// TestSampledTopShareTwoPoint: counts are 101 with probability 0.02, else 1. Among
// n = 100 rooms with H ~ Binomial(100, 0.02) heavy ones, the busiest ceil(1%·100) = 1
// carries 1/100 when H = 0 and 101/(100 + 100·H) otherwise. P(H = 0) = 0.98¹⁰⁰ = 0.1326,
// P(H ≤ 1) = 0.4033, P(H ≤ 2) = 0.6767: the share's 0.5% quantile is 1/100 (H = 0 is
// the smallest share), its median 101/300 (H = 2) and its 99.5% quantile 101/200
// (H = 1, the largest share, with 27% of the mass).
func TestSampledTopShareTwoPoint(t *testing.T) {
	s := make([]float64, 102) // s[i] = P(X ≥ 1 + i)
	s[0] = 1
	for i := 1; i <= 100; i++ {
		s[i] = 0.02
	}
	b := sampledTopShare(tabulated{xmin: 1, xmax: 101, s: s}, 100, 0.01)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"low", b.Low, 0.01}, {"median", b.Median, 101.0 / 300}, {"high", b.High, 101.0 / 200}} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if !b.Contains(0.2) || b.Contains(0.6) || b.Contains(0.005) {
		t.Errorf("Contains: [%g, %g] must hold 0.2 and neither 0.6 nor 0.005", b.Low, b.High)
	}
}

// TestSampledTopShareReps: the replicate count follows the draw budget.
func TestSampledTopShareReps(t *testing.T) {
	tab := tabulated{xmin: 1, xmax: 1, s: []float64{1, 0}}
	for _, c := range []struct{ n, want int }{{2307, 1000}, {40_000, 100}, {1_000_000, 40}} {
		if got := sampledTopShare(tab, c.n, 0.01).Reps; got != c.want {
			t.Errorf("n = %d: reps = %d, want %d", c.n, got, c.want)
		}
	}
}
