package validate

import (
	"sort"

	"github.com/pgshape/pgshape/shape"
)

// Common is two histograms re-binned onto one grid.
type Common struct {
	// Edges are the lower bounds of the common buckets; the first bucket also holds
	// anything below its edge and the last is open above.
	Edges []float64
	// A and B are the counts of the two histograms on Edges.
	A, B []float64
}

// CommonGrid re-bins a and b onto the finest grid both can be summed into exactly.
//
// k-anonymity merges a sparse bucket by dropping its key, so each published histogram
// is the fine grid with some keys removed, and the two sides may have lost different
// keys. A key kept by both sides is an edge both can be cut at; a key kept by one side
// only lies inside a bucket of the other, whose rows cannot be split. The common grid
// is therefore the keys present in both, plus the smallest key of either (a side whose
// first key is higher has no rows below that key). Every bucket of a and of b then
// falls entirely inside one common bucket, so the re-binning moves no row across an
// edge.
func CommonGrid(a, b shape.Histogram) Common {
	inA := make(map[float64]bool, len(a))
	for _, x := range a {
		inA[x.Lo] = true
	}
	var edges []float64
	for _, x := range b {
		if inA[x.Lo] {
			edges = append(edges, x.Lo)
		}
	}
	lo := []float64{}
	if len(a) > 0 {
		lo = append(lo, a[0].Lo)
	}
	if len(b) > 0 {
		lo = append(lo, b[0].Lo)
	}
	if len(lo) > 0 {
		m := lo[0]
		for _, v := range lo[1:] {
			m = min(m, v)
		}
		if len(edges) == 0 || edges[0] != m {
			edges = append([]float64{m}, edges...)
		}
	}
	sort.Float64s(edges)
	return Common{Edges: edges, A: rebin(a, edges), B: rebin(b, edges)}
}

// rebin sums h's buckets into the buckets of edges that hold their lower bounds.
func rebin(h shape.Histogram, edges []float64) []float64 {
	out := make([]float64, len(edges))
	for _, x := range h {
		out[shape.BucketIndex(edges, x.Lo)] += float64(x.Count)
	}
	return out
}

// Shares returns the two sides as fractions of their totals.
func (c Common) Shares() (a, b []float64) { return shares(c.A), shares(c.B) }

// CDFs returns the two cumulative distributions: element i is the share of rows below
// Edges[i+1].
func (c Common) CDFs() (a, b []float64) { return cdf(c.A), cdf(c.B) }

// shares returns counts divided by their sum (all zeros when the sum is 0).
func shares(counts []float64) []float64 {
	var n float64
	for _, c := range counts {
		n += c
	}
	out := make([]float64, len(counts))
	if n == 0 {
		return out
	}
	for i, c := range counts {
		out[i] = c / n
	}
	return out
}

// cdf returns the cumulative shares of counts: cdf[i] = P(X < Edges[i+1]).
func cdf(counts []float64) []float64 {
	p := shares(counts)
	out := make([]float64, len(p))
	var s float64
	for i, v := range p {
		s += v
		out[i] = s
	}
	return out
}
