package fit

import (
	"math/rand/v2"
	"sort"
)

// sampleDiscrete draws from a discrete model on min…max by inverting its survival
// function with bisection.
func sampleDiscrete(m Model, min, max int, r *rand.Rand) float64 {
	return QuantileInt(m, r.Float64(), min, max)
}

func sortFloats(x []float64) { sort.Float64s(x) }
