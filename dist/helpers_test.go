package dist

import (
	"math"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.15g, want %.15g ± %.3g", what, got, want, tol)
	}
}

// law is what every law here has beyond Discrete.
type law interface {
	Discrete
	Mass(lo, hi float64) float64
	Quantile(p float64) int
	Mean() float64
}

// checkLaw checks a law against itself summed point by point: the point masses sum
// to 1; Mass, the survival function and CDF are those sums; the mean is
// Σ x·P(X = x); and Quantile is the smallest x whose CDF reaches p, at the law's own
// steps and between them, and agrees with the bisection (Quantile) everywhere.
func checkLaw(t *testing.T, name string, l law, tol float64) {
	t.Helper()
	lo, hi := l.Support()
	prob, surv := l.ProbFunc(), l.SurvivalFunc()
	var total, mean float64
	cdf := make([]float64, 0, hi-lo+1)
	for x := lo; x <= hi; x++ {
		p := prob(x)
		total += p
		mean += float64(x) * p
		cdf = append(cdf, total)
	}
	near(t, name+": Σ P(X = x)", total, 1, tol)
	near(t, name+": P(X < lo)", prob(lo-1)+l.Mass(math.Inf(-1), float64(lo)), 0, 0)
	near(t, name+": P(X > hi)", prob(hi+1)+surv(float64(hi)+0.5), 0, 0)
	near(t, name+": mean", l.Mean(), mean, tol*math.Max(mean, 1))
	for _, x := range []int{lo, lo + 1, (lo + hi) / 2, hi - 1} {
		if x < lo || x >= hi {
			continue
		}
		i := x - lo
		near(t, name+": CDF", CDF(l, float64(x)+0.5), cdf[i], tol)
		near(t, name+": survival", surv(float64(x)+0.5), 1-cdf[i], tol)
		near(t, name+": Mass", l.Mass(float64(lo), float64(x)+0.5), cdf[i], tol)
		// Just above a step the answer is the next value; at or just below it, x.
		if got := l.Quantile(math.Min(cdf[i]+1e-9, 1)); got != x+1 && cdf[i+1]-cdf[i] > 2e-9 {
			t.Errorf("%s: Quantile(CDF(%d) + 1e-9) = %d, want %d", name, x, got, x+1)
		}
		if got := l.Quantile(cdf[i] - 1e-9); got != x && cdf[i]-cdf[max(i-1, 0)] > 2e-9 {
			t.Errorf("%s: Quantile(CDF(%d) − 1e-9) = %d, want %d", name, x, got, x)
		}
	}
	for i := 0; i <= 1000; i++ {
		p := float64(i) / 1000
		if got, want := l.Quantile(p), Quantile(l, p); got != want {
			t.Errorf("%s: Quantile(%g) = %d, the bisection gives %d", name, p, got, want)
		}
	}
	if got := l.Quantile(0); got != lo {
		t.Errorf("%s: Quantile(0) = %d, want %d", name, got, lo)
	}
}

// quantileAt is a hand-computed point of a quantile function.
type quantileAt struct {
	p    float64
	want int
}

// checkQuantiles checks l's quantile function at hand-computed points.
func checkQuantiles(t *testing.T, name string, l law, at []quantileAt) {
	t.Helper()
	for _, c := range at {
		if got := l.Quantile(c.p); got != c.want {
			t.Errorf("%s: Quantile(%.17g) = %d, want %d", name, c.p, got, c.want)
		}
	}
}

// wantPanic checks that f panics with a message starting "dist: ".
func wantPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "dist: ") {
			t.Errorf("%s: recovered %v, want a panic starting \"dist: \"", what, r)
		}
	}()
	f()
}
