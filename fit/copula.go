package fit

import (
	"math"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/stats"
)

// MessageWeightedExtras returns E[members − 2] over the window's messages (each
// message weighs by its conversation) under the spec's size model, count model,
// heavy rooms and size–activity copula, as the generator draws them with many
// conversations: the active conversation at activity quantile p has count n(p) (the
// count model's quantile, scaled by the heavy-room multiplier above 1 − percentage) and
// activity uniform u = i + (1 − i)·p (i the inactive ratio); its size is above x with
// probability Φ((ρ·Φ⁻¹(u) − τ_x)/√(1 − ρ²)), τ_x = Φ⁻¹(P(size ≤ x)). So
//
//	E_msg[size − 2] = ∫ n(p)·e(p) dp / ∫ n(p) dp,  e(p) = Σ_{x ≥ 2} P(size > x | u(p)).
//
// The integrals run over t = −ln(1 − p) (dp = e^−t dt), midpoint steps of 1/32 up to
// t = 30, which resolves the heavy upper tail where most messages are; e is
// interpolated linearly in z = Φ⁻¹(u) from 256 values on [−9, 9]. count is the
// count model (tabulated). With ρ = 0 it is E[size − 2] over
// conversations, exactly.
func MessageWeightedExtras(c spec.Conversations, count dist.Discrete) float64 {
	above := sizeTail(c)
	rho := c.SizeActivityCorrelation
	if rho == 0 {
		var e float64
		for _, q := range above {
			e += q
		}
		return e
	}
	// the normal scores τ_x ascend with x; sizes whose scores lie within 1/64 of each
	// other are summed as one group at their mean score (the summand is smooth in τ),
	// which keeps a long power-law tail to a few thousand terms
	type group struct{ tau, n float64 }
	var groups []group
	for _, q := range above {
		tk := stats.NormalQuantile(1 - q)
		if g := len(groups) - 1; g >= 0 && tk-groups[g].tau/groups[g].n < 1.0/64 {
			groups[g].tau += tk
			groups[g].n++
			continue
		}
		groups = append(groups, group{tk, 1})
	}
	for g := range groups {
		groups[g].tau /= groups[g].n
	}
	sd := math.Sqrt(1 - rho*rho)
	const zLo, zHi, nz = -9.0, 9.0, 256
	ez := make([]float64, nz)
	for j := range ez {
		z := zLo + (zHi-zLo)*float64(j)/(nz-1)
		for _, g := range groups {
			ez[j] += g.n * stats.NormalCDF((rho*z-g.tau)/sd)
		}
	}
	e := func(z float64) float64 {
		f := (min(max(z, zLo), zHi) - zLo) / (zHi - zLo) * (nz - 1)
		j := min(int(f), nz-2)
		return ez[j] + (ez[j+1]-ez[j])*(f-float64(j))
	}
	i := c.InactiveRatio
	heavyP := 1 - c.HeavyRooms.Percentage
	heavyQ := float64(dist.Quantile(count, heavyP))
	const dt, tMax = 1.0 / 32, 30.0
	var num, den float64
	for tt := dt / 2; tt < tMax; tt += dt {
		w := math.Exp(-tt) * dt // dp
		p := -math.Expm1(-tt)
		n := float64(dist.Quantile(count, p))
		if p >= heavyP && c.HeavyRooms.Multiplier != 1 {
			n = dist.HeavyCount(n, heavyQ, c.HeavyRooms.Multiplier)
		}
		num += w * n * e(stats.NormalQuantile(i+(1-i)*p))
		den += w * n
	}
	return num / den
}

// sizeTail returns above[k] = P(size > 2 + k) of the spec's size model (direct
// conversations have exactly 2 members, small groups the truncated geometric, large
// ones the power law), down to 1e-12. The point masses are summed from the top, so a
// small tail probability keeps its relative precision; one power per size (ProbFunc).
func sizeTail(c spec.Conversations) []float64 {
	t, sg, lg := c.TypeDistribution, c.SmallGroup, c.LargeGroup
	top := max(sg.Max, lg.XMax, 2)
	pmf := make([]float64, top+1)
	for _, part := range []struct {
		share float64
		law   dist.Discrete
	}{{t.SmallGroup, sg.Law()}, {t.LargeGroup, lg.Law()}} {
		if part.share > 0 {
			p := part.law.ProbFunc()
			lo, hi := part.law.Support()
			for x := lo; x <= hi; x++ {
				pmf[x] += part.share * p(x)
			}
		}
	}
	above := make([]float64, top-1) // above[k] = Σ_{x > 2+k} pmf[x]
	var sum float64
	for x := top; x > 2; x-- {
		sum += pmf[x]
		above[x-3] = sum
	}
	n := len(above)
	for n > 0 && above[n-1] < 1e-12 {
		n--
	}
	return above[:n]
}
