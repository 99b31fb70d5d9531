package watch

import (
	"math"

	"github.com/pgshape/pgshape/shape"
)

// hist counts values on a fixed grid of lower bounds (a shape grid).
type hist struct {
	grid   []float64
	counts []int64
}

func newHist(grid []float64) hist { return hist{grid: grid, counts: make([]int64, len(grid))} }

func (h *hist) add(v float64, n int64) { h.counts[shape.BucketIndex(h.grid, v)] += n }

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

func (h *hist) reset() { clear(h.counts) }

func (h *hist) total() int64 {
	var n int64
	for _, c := range h.counts {
		n += c
	}
	return n
}

func (h *hist) histogram() shape.Histogram {
	return shape.FromEdges(h.grid, append([]int64(nil), h.counts...))
}

// moments accumulates n, Σx and Σx² for a mean and a population coefficient of
// variation σ/μ.
type moments struct {
	N     int64   `json:"n"`
	Sum   float64 `json:"-"`
	SumSq float64 `json:"-"`
}

func (m *moments) add(x float64) {
	m.N++
	m.Sum += x
	m.SumSq += x * x
}

// addZeros adds k observations of 0.
func (m *moments) addZeros(k int64) { m.N += k }

func (m *moments) merge(o moments) {
	m.N += o.N
	m.Sum += o.Sum
	m.SumSq += o.SumSq
}

func (m moments) mean() (float64, bool) {
	if m.N == 0 {
		return 0, false
	}
	return m.Sum / float64(m.N), true
}

// cv is the population coefficient of variation σ/μ; ok is false without
// observations or with a zero mean.
func (m moments) cv() (float64, bool) {
	mu, ok := m.mean()
	if !ok || mu == 0 {
		return 0, false
	}
	v := m.SumSq/float64(m.N) - mu*mu
	if v < 0 {
		v = 0
	}
	return math.Sqrt(v) / mu, true
}

// sketch is a log-bucketed histogram of non-negative values with a relative accuracy of
// about ±0.5% (buckets of ratio sketchRatio): percentiles of the read delay without
// keeping a value. Values below sketchMin count in a zero bucket.
type sketch struct {
	zero   int64
	counts []int64
}

const (
	sketchRatio = 1.01
	sketchMin   = 1e-3 // seconds
	sketchMax   = 1e9
)

var sketchBuckets = int(math.Ceil(math.Log(sketchMax/sketchMin)/math.Log(sketchRatio))) + 1

func newSketch() sketch { return sketch{counts: make([]int64, sketchBuckets)} }

func (s *sketch) index(v float64) int {
	i := int(math.Log(v/sketchMin) / math.Log(sketchRatio))
	return min(max(i, 0), len(s.counts)-1)
}

func (s *sketch) add(v float64, n int64) {
	if v < sketchMin {
		s.zero += n
		return
	}
	s.counts[s.index(v)] += n
}

func (s *sketch) merge(o *sketch) {
	s.zero += o.zero
	for i, c := range o.counts {
		s.counts[i] += c
	}
}

func (s *sketch) reset() {
	s.zero = 0
	clear(s.counts)
}

func (s *sketch) total() int64 {
	n := s.zero
	for _, c := range s.counts {
		n += c
	}
	return n
}

// value returns the representative value of the r-th smallest observation (0-based).
func (s *sketch) value(r int64) float64 {
	if r < s.zero {
		return 0
	}
	r -= s.zero
	for i, c := range s.counts {
		if r < c {
			lo := sketchMin * math.Pow(sketchRatio, float64(i))
			return lo * math.Sqrt(sketchRatio) // the bucket's geometric middle
		}
		r -= c
	}
	return sketchMax
}

// percentile is percentile_cont(p) over the sketch: linear interpolation between
// the two neighbouring ranks, each at its bucket's middle.
func (s *sketch) percentile(p float64) float64 {
	n := s.total()
	pos := p * float64(n-1)
	lo := int64(math.Floor(pos))
	a := s.value(lo)
	if float64(lo) == pos {
		return a
	}
	b := s.value(lo + 1)
	return a + (pos-float64(lo))*(b-a)
}

// percentileCont is PostgreSQL's percentile_cont(p) over sorted values.
func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (pos-float64(lo))*(sorted[lo+1]-sorted[lo])
}
