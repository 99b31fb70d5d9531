package fit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/stats"
)

func copulaSpec(rho float64) (spec.Conversations, spec.CountModel) {
	c := spec.Conversations{
		InactiveRatio:           0.15,
		TypeDistribution:        spec.TypeMix{OneToOne: 0.5, SmallGroup: 0.3, LargeGroup: 0.2},
		SmallGroup:              spec.TruncatedGeometric{P: 0.35, Min: 3, Max: 20},
		LargeGroup:              spec.PowerLaw{Alpha: 2.5, XMin: 21, XMax: 500},
		HeavyRooms:              spec.HeavyRooms{Percentage: 0.02, TrafficShare: 0.3, Multiplier: 1.5},
		SizeActivityCorrelation: rho,
	}
	cm := spec.CountModel{Distribution: "discrete_lognormal", Mu: 2, Sigma: 1.6, XMin: 1, XMax: 20000}
	return c, cm
}

// With ρ = 0 the message-weighted mean of members − 2 is the conversation mean,
// (E[small] − 2)·P(small) + (E[large] − 2)·P(large), whatever the activity.
func TestMessageWeightedExtrasIndependent(t *testing.T) {
	t.Parallel()
	c, cm := copulaSpec(0)
	count := tabulate(cm.Law())
	ms := dist.TruncatedGeometric{P: 0.35, Min: 3, Max: 20}.Mean()
	ml := dist.PowerLaw{Alpha: 2.5, XMin: 21, XMax: 500}.Mean()
	want := (ms-2)*0.3 + (ml-2)*0.2
	if got := MessageWeightedExtras(c, count); math.Abs(got-want) > 1e-9*want {
		t.Errorf("MessageWeightedExtras(ρ=0) = %.12g, want %.12g", got, want)
	}
}

// With ρ = 0.6 the strata integral agrees with a Monte Carlo of the generator's own
// construction (one uniform through the type mix, then the size model of the type)
// and exceeds the independent value: busy rooms are big.
func TestMessageWeightedExtrasCopula(t *testing.T) {
	t.Parallel()
	const rho = 0.6
	c, cm := copulaSpec(rho)
	count := tabulate(cm.Law())
	got := MessageWeightedExtras(c, count)

	small := dist.TruncatedGeometric{P: 0.35, Min: 3, Max: 20}
	large := dist.PowerLaw{Alpha: 2.5, XMin: 21, XMax: 500}
	t0, t1 := 0.5, 0.8
	q90 := float64(dist.Quantile(count, 1-0.02))
	r := rand.New(rand.NewPCG(7, 11))
	var num, den float64
	const n = 400_000
	for range n {
		s := r.Float64()
		a := float64(dist.Quantile(count, s))
		if a > q90 { // the top 2 % of strata carry the multiplier
			a = math.Max(1, math.Round(a*1.5))
		}
		za := stats.NormalQuantile(0.15 + 0.85*s)
		u := stats.NormalCDF(rho*za + math.Sqrt(1-rho*rho)*r.NormFloat64())
		var size float64
		switch {
		case u < t0:
			size = 2
		case u < t1:
			size = float64(small.Quantile((u - t0) / (t1 - t0)))
		default:
			size = float64(large.Quantile((u - t1) / (1 - t1)))
		}
		num += a * (size - 2)
		den += a
	}
	mc := num / den
	t.Logf("strata integral %.4f, Monte Carlo %.4f", got, mc)
	if math.Abs(got-mc) > 0.03*mc {
		t.Errorf("MessageWeightedExtras(ρ=%g) = %.4f, Monte Carlo (%d draws) %.4f", rho, got, n, mc)
	}
	c0, _ := copulaSpec(0)
	if indep := MessageWeightedExtras(c0, count); got < 1.2*indep {
		t.Errorf("MessageWeightedExtras(ρ=%g) = %.4f, want well above the independent %.4f", rho, got, indep)
	}
}
