package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTruncatedGeometric: p = ½ on 3…4 has P(3) = ½ / (1 − ¼) = 2/3, P(4) = 1/3 and
// mean 3·2/3 + 4/3 = 10/3.
func TestTruncatedGeometric(t *testing.T) {
	t.Parallel()
	g := TruncatedGeometric{P: 0.5, Min: 3, Max: 4}
	near(t, "P(3)", g.Mass(3, 4), 2.0/3, 1e-15)
	near(t, "P(4)", g.ProbFunc()(4), 1.0/3, 1e-15)
	near(t, "P([0, 3))", g.Mass(0, 3), 0, 0)
	near(t, "mean", g.Mean(), 10.0/3, 1e-15)
	near(t, "mean with P = 1", TruncatedGeometric{P: 1, Min: 3, Max: 20}.Mean(), 3, 0)
	checkLaw(t, "p = 0.3 on 3…20", TruncatedGeometric{P: 0.3, Min: 3, Max: 20}, 1e-14)
	checkLaw(t, "p = 0.01 on 0…5000", TruncatedGeometric{P: 0.01, Min: 0, Max: 5000}, 1e-12)
}

// TestTruncatedGeometricQuantileByHand: p = ½ from 0 (truncated at 60, which removes
// 2⁻⁶¹) has CDF(x) = 1 − 2^−(x+1): 0.5, 0.75, 0.875, 0.9375 at 0…3, 1 − 2⁻²⁰ at 19.
func TestTruncatedGeometricQuantileByHand(t *testing.T) {
	t.Parallel()
	checkQuantiles(t, "p = ½ on 0…60", TruncatedGeometric{P: 0.5, Min: 0, Max: 60}, []quantileAt{
		{0.3, 0}, {0.5, 0}, {0.5000001, 1}, {0.75, 1}, {0.8, 2}, {0.9, 3}, {0.9375, 3}, {1 - 0x1p-20, 19}})
	checkQuantiles(t, "p = 1 on 3…20", TruncatedGeometric{P: 1, Min: 3, Max: 20}, []quantileAt{{0, 3}, {0.5, 3}, {1, 3}})
}

// TestTruncatedGeometricSampled: draws by inversion (Quantile of a uniform) have the
// law's mean and variance: the mean of 10⁵ draws within 4 standard errors, the
// second moment likewise.
func TestTruncatedGeometricSampled(t *testing.T) {
	t.Parallel()
	g := TruncatedGeometric{P: 0.35, Min: 3, Max: 20}
	var m1, m2 float64
	prob := g.ProbFunc()
	for x := g.Min; x <= g.Max; x++ {
		m1 += float64(x) * prob(x)
		m2 += float64(x*x) * prob(x)
	}
	r := rand.New(rand.NewPCG(1, 1))
	const n = 100_000
	var s1, s2 float64
	for range n {
		x := float64(g.Quantile(r.Float64()))
		s1, s2 = s1+x, s2+x*x
	}
	se := math.Sqrt((m2 - m1*m1) / n)
	near(t, "sample mean", s1/n, g.Mean(), 4*se)
}

func TestTruncatedGeometricPanics(t *testing.T) {
	t.Parallel()
	wantPanic(t, "empty support", func() { TruncatedGeometric{P: 0.5, Min: 5, Max: 4}.SurvivalFunc() })
	wantPanic(t, "p > 1", func() { TruncatedGeometric{P: 0.5, Min: 0, Max: 4}.Quantile(2) })
}
