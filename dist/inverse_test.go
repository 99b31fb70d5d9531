package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInverse: the tabulated quantile function gives the law's own Quantile, at the
// steps and between them, on a support the table covers, one whose tail it leaves to
// bisection (the log-normal's last 10⁻⁶), and one longer than the table (a power law
// to 10⁸, whose values above 2²⁰ hold 2·10⁻⁴ of the mass).
func TestInverse(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name string
		law  law
	}{
		{"geometric", TruncatedGeometric{P: 0.35, Min: 3, Max: 20}},
		{"demo log-normal", DiscreteLogNormal{Mu: 1.9252537738689042, Sigma: 1.5877455856154121, XMin: 1, XMax: 3170}},
		{"default log-normal", DiscreteLogNormal{Mu: 2.64, Sigma: 1.2, XMin: 1, XMax: 100_000}},
		{"long power law", PowerLaw{Alpha: 1.6, XMin: 1, XMax: 100_000_000}},
	} {
		v, err := NewInverse(c.law)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ps := []float64{0, 1e-12, 0.5, 0.99, 1 - 1e-6, 1 - 1e-10, 1}
		for range 5_000 {
			ps = append(ps, r.Float64(), 1-r.Float64()*1e-3)
		}
		lo, _ := c.law.Support()
		for x := lo; x < lo+50; x++ { // just below and above the first steps
			f := CDF(c.law, float64(x))
			ps = append(ps, f*(1-1e-12), math.Min(f*(1+1e-12), 1))
		}
		for _, p := range ps {
			if got, want := v.Quantile(p), c.law.Quantile(p); got != want {
				t.Errorf("%s: Inverse.Quantile(%.17g) = %d, Quantile gives %d", c.name, p, got, want)
			}
		}
	}
	wantPanic(t, "p > 1", func() {
		v, _ := NewInverse(TruncatedGeometric{P: 0.5, Min: 0, Max: 4})
		v.Quantile(1.1)
	})
}

// TestInverseNoMass: a log-normal whose mass lies far above its support (μ = 1000)
// leaves 0/0 point masses: bad data, an error.
func TestInverseNoMass(t *testing.T) {
	t.Parallel()
	if _, err := NewInverse(DiscreteLogNormal{Mu: 1000, Sigma: 0.1, XMin: 1, XMax: 10}); err == nil {
		t.Fatal("NewInverse of a law without mass: no error")
	}
}

// BenchmarkQuantile compares the bisection with the tabulated inverse on the laws the
// generator draws conversation counts from.
func BenchmarkQuantile(b *testing.B) {
	for _, c := range []struct {
		name string
		law  law
	}{
		{"lognormal", DiscreteLogNormal{Mu: 2.64, Sigma: 1.2, XMin: 1, XMax: 100_000}},
		{"powerlaw", PowerLaw{Alpha: 1.8, XMin: 1, XMax: 800_000}},
	} {
		b.Run(c.name+"/bisection", func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			for b.Loop() {
				c.law.Quantile(r.Float64())
			}
		})
		b.Run(c.name+"/inverse", func(b *testing.B) {
			v, err := NewInverse(c.law)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			for b.Loop() {
				v.Quantile(r.Float64())
			}
		})
	}
}
