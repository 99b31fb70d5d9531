package shape

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Bucket is one bucket of a Histogram: the half-open interval [Lo, Hi) and how many
// rows fell in it. The last bucket of a histogram is open above (Hi = +Inf).
type Bucket struct {
	Lo, Hi float64
	Count  int64
}

// Histogram is a contiguous binned distribution. In JSON it is the guide's object form,
// {"<lower bound>": count, ...}: each key is the inclusive lower bound of its bucket,
// each bucket ends where the next key starts, and the last bucket is open above.
// Because the buckets are contiguous, k-anonymity merges a small bucket into its
// neighbour simply by dropping a key: the neighbour's interval widens and nothing is
// misplaced. Keys are written in numeric order.
//
// The zero value (nil) is an empty histogram, written as {}.
type Histogram []Bucket

// Total returns the sum of the counts.
func (h Histogram) Total() int64 {
	var n int64
	for _, b := range h {
		n += b.Count
	}
	return n
}

// Counts returns the counts in bucket order.
func (h Histogram) Counts() []float64 {
	out := make([]float64, len(h))
	for i, b := range h {
		out[i] = float64(b.Count)
	}
	return out
}

// Edges returns the lower bounds in bucket order.
func (h Histogram) Edges() []float64 {
	out := make([]float64, len(h))
	for i, b := range h {
		out[i] = b.Lo
	}
	return out
}

// FromEdges builds a Histogram from lower bounds and counts of equal length; the last
// bucket is open above. It panics on mismatched lengths (a programmer error).
func FromEdges(lo []float64, counts []int64) Histogram {
	if len(lo) != len(counts) {
		panic("shape: FromEdges: lengths differ")
	}
	h := make(Histogram, len(lo))
	for i := range lo {
		hi := math.Inf(1)
		if i+1 < len(lo) {
			hi = lo[i+1]
		}
		h[i] = Bucket{Lo: lo[i], Hi: hi, Count: counts[i]}
	}
	return h
}

// Bin counts values into a histogram over the given grid of lower bounds (see the Grid
// functions); values below the first edge go to the first bucket. It is what the
// generator's report and the tests use to bin exactly as the shape SQL does, before
// any k-anonymity merge.
func Bin(grid []float64, values []float64) Histogram {
	counts := make([]int64, len(grid))
	for _, v := range values {
		counts[BucketIndex(grid, v)]++
	}
	return FromEdges(grid, counts)
}

// BucketIndex returns the index of the bucket of grid that holds v (the last edge ≤ v;
// 0 when v is below every edge), as SQL's width_bucket(v, grid) − 1 does.
func BucketIndex(grid []float64, v float64) int {
	i := sort.SearchFloat64s(grid, v)
	if i < len(grid) && grid[i] == v {
		return i
	}
	if i == 0 {
		return 0
	}
	return i - 1
}

// Trim drops empty buckets from both ends and merges inner empty buckets into the
// bucket below them, keeping the histogram contiguous.
func (h Histogram) Trim() Histogram {
	var out Histogram
	for _, b := range h {
		if b.Count == 0 {
			if len(out) > 0 {
				out[len(out)-1].Hi = b.Hi
			}
			continue
		}
		if len(out) == 0 {
			out = append(out, b)
			continue
		}
		out = append(out, b)
	}
	if len(out) > 0 {
		out[len(out)-1].Hi = math.Inf(1)
	}
	return out
}

// FormatKey writes a bucket bound the way the shape SQL does: the shortest decimal
// that round-trips, with no exponent and no trailing zeros ("5", "0.25").
func FormatKey(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// MarshalJSON writes {"lo": count, ...} in numeric key order.
func (h Histogram) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, b := range h {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "%q:%d", FormatKey(b.Lo), b.Count)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads the object form; keys must be numbers and counts non-negative
// integers. Both {} and null read as the empty histogram, nil.
func (h *Histogram) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*h = nil
		return nil
	}
	var raw map[string]json.Number
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("histogram must be an object of bucket lower bound to count: %w", err)
	}
	if len(raw) == 0 {
		*h = nil // {} reads as the zero value, as null does
		return nil
	}
	lo := make([]float64, 0, len(raw))
	byLo := make(map[float64]int64, len(raw))
	for k, v := range raw {
		x, err := strconv.ParseFloat(k, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("histogram key %q is not a number", k)
		}
		c, err := v.Int64()
		if err != nil || c < 0 {
			return fmt.Errorf("histogram count %q for key %q is not a non-negative integer", v.String(), k)
		}
		if _, dup := byLo[x]; dup {
			return fmt.Errorf("histogram key %q appears twice", k)
		}
		byLo[x] = c
		lo = append(lo, x)
	}
	sort.Float64s(lo)
	counts := make([]int64, len(lo))
	for i, x := range lo {
		counts[i] = byLo[x]
	}
	*h = FromEdges(lo, counts)
	return nil
}
