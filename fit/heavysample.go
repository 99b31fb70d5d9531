package fit

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// heavySampleBudget and heavySampleReps bound the simulation of the top share's
// sampling distribution: reps = min(heavySampleReps, max(heavySampleMinReps,
// heavySampleBudget / n)) replicates of n draws each. At the demo's 2 300 active
// conversations that is 1 000 replicates (2.3·10⁶ draws, about 0.2 s); at 10⁵ it is 40,
// whose 0.5% and 99.5% empirical quantiles are close to the sample's extremes, so the
// band is narrower than a true 99% one there and the multiplier is, if anything, kept
// more often (the behaviour before the band existed).
const (
	heavySampleBudget  = 4_000_000
	heavySampleReps    = 1000
	heavySampleMinReps = 40
	heavySampleSeed    = 0x9e3779b97f4a7c15
)

// TopShareBand is the sampling distribution of the busiest pct's share of messages
// among n conversations drawn from the fitted count law (multiplier 1): the share the
// export computes (the ceil(pct·n) busiest counts over the sum of all n), its 0.5%,
// 50% and 99.5% quantiles over Reps seeded replicates.
type TopShareBand struct {
	N      int     `json:"n"`
	Reps   int     `json:"reps"`
	Low    float64 `json:"low"`
	Median float64 `json:"median"`
	High   float64 `json:"high"`
}

// Contains reports whether share lies within [Low, High].
func (b TopShareBand) Contains(share float64) bool { return share >= b.Low && share <= b.High }

// sampledTopShare simulates TopShareBand for n draws of t (deterministic: a fixed
// seed). Draws are by inversion of the table: X = xmin + max{i : S(xmin + i) > U}, so
// P(X ≥ x) = P(U < S(x)) = S(x).
func sampledTopShare(t tabulated, n int, pct float64) TopShareBand {
	reps := min(heavySampleReps, max(heavySampleMinReps, heavySampleBudget/max(n, 1)))
	k := int(math.Ceil(pct * float64(n)))
	rng := rand.New(rand.NewPCG(heavySampleSeed, uint64(n)))
	x := make([]int, n)
	shares := make([]float64, reps)
	for r := range shares {
		var total float64
		for i := range x {
			u := rng.Float64()
			// first index with s ≤ u; s[0] = 1 > u, so j ≥ 1.
			j := sort.Search(len(t.s), func(i int) bool { return t.s[i] <= u })
			x[i] = t.xmin + j - 1
			total += float64(x[i])
		}
		slices.Sort(x)
		var top float64
		for _, v := range x[n-k:] {
			top += float64(v)
		}
		shares[r] = top / total
	}
	slices.Sort(shares)
	q := func(p float64) float64 { return stat.Quantile(p, stat.LinInterp, shares, nil) }
	return TopShareBand{N: n, Reps: reps, Low: q(0.005), Median: q(0.5), High: q(0.995)}
}
