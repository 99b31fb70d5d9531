package stats

import (
	"math"
	"testing"
)

func TestTotalVariation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		p, q []float64
		want float64
	}{
		// By hand: (1,2,3,4)/10 vs (4,3,2,1)/10: ½(0.3 + 0.1 + 0.1 + 0.3) = 0.4.
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, 0.4},
		// Totals do not matter: (1,1) vs (30,10) is ½(|½−¾| + |½−¼|) = ¼.
		{"different totals", []float64{1, 1}, []float64{30, 10}, 0.25},
		{"disjoint", []float64{5, 0}, []float64{0, 2}, 1},
		{"identical", []float64{3, 1, 4}, []float64{3, 1, 4}, 0},
		{"both empty", []float64{0, 0}, []float64{0, 0}, 0},
		{"one empty", []float64{0, 0}, []float64{1, 0}, 1},
	} {
		if got := TotalVariation(c.p, c.q); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: TotalVariation = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestJensenShannon(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		p, q []float64
		want float64
	}{
		// SciPy documentation, scipy.spatial.distance.jensenshannon examples:
		// jensenshannon([1, 0, 0], [0, 1, 0], 2.0) = 1.0, and
		// jensenshannon([1, 0], [0.5, 0.5]) = 0.46450140402245893 in natural log, which in
		// base 2 is that divided by √(ln 2).
		{"disjoint", []float64{1, 0, 0}, []float64{0, 1, 0}, 1},
		{"scipy doc", []float64{1, 0}, []float64{0.5, 0.5}, 0.46450140402245893 / math.Sqrt(math.Ln2)},
		// By hand: p = (.1,.2,.3,.4), q reversed, m = ¼ each; KL(p‖m) = KL(q‖m) =
		// .1·log2 .4 + .2·log2 .8 + .3·log2 1.2 + .4·log2 1.6 = 0.1535607…; the distance is
		// √0.1535607 = 0.3918681… (SciPy 1.10.1 base 2: 0.3918681606471551).
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, 0.3918681606471551},
		{"identical", []float64{2, 7}, []float64{4, 14}, 0},
		{"one empty", []float64{0, 0}, []float64{1, 0}, 1},
	} {
		if got := JensenShannon(c.p, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: JensenShannon = %.17g, want %.17g", c.name, got, c.want)
		}
	}
}

func TestRelativeError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want, rel float64 }{
		{110, 100, 0.1},
		{90, 100, -0.1},
		{-90, -100, 0.1}, // |want|: moving towards zero from below is +10%
		{0, 0, 0},
		{5, 0, math.Inf(1)},
		{-5, 0, math.Inf(-1)},
	} {
		if r := RelativeError(c.got, c.want); math.Abs(r-c.rel) > 1e-15 && r != c.rel {
			t.Errorf("RelativeError(%v, %v) = %v, want %v", c.got, c.want, r, c.rel)
		}
	}
	if !math.IsNaN(RelativeError(math.NaN(), 0)) || !math.IsNaN(RelativeError(1, math.NaN())) {
		t.Error("RelativeError with NaN: want NaN")
	}
}

func TestDistancePanics(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"TV length":   func() { TotalVariation([]float64{1}, []float64{1, 2}) },
		"JS negative": func() { JensenShannon([]float64{-1, 2}, []float64{1, 2}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
