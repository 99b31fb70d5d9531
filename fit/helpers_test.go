package fit

import (
	"math/rand/v2"
	"sort"

	"github.com/pgshape/pgshape/dist"
)

// sampleDiscrete draws from a count law by inverting its survival function with
// bisection.
func sampleDiscrete(d dist.Discrete, r *rand.Rand) float64 {
	return float64(dist.Quantile(d, r.Float64()))
}

func sortFloats(x []float64) { sort.Float64s(x) }
