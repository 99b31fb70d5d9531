package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// histogramPair returns two bins-long histograms of total about `total` each, drawn from
// slightly different log-normal-like shapes (seeded).
func histogramPair(bins int, total float64) (a, b []float64) {
	r := rand.New(rand.NewPCG(1, 1))
	a, b = make([]float64, bins), make([]float64, bins)
	for i := range a {
		x := float64(i) / float64(bins)
		a[i] = math.Round(total / float64(bins) * 2 * math.Exp(-2*x) * (0.9 + 0.2*r.Float64()))
		b[i] = math.Round(total / float64(bins) * 2 * math.Exp(-2.1*x) * (0.9 + 0.2*r.Float64()))
	}
	return a, b
}

// BenchmarkHistogramTests times KSBinned and ChiSquaredHistograms on histograms of
// several bin counts. Each iteration makes `reps` calls, so `-benchtime 1x` still gives
// a stable per-call figure (ns/call). Totals of a million rows take the asymptotic KS
// path; totals of 1000 take the exact one (n·m = 1e6, the ExactLimit).
func BenchmarkHistogramTests(b *testing.B) {
	for _, c := range []struct {
		bins  int
		total float64
		reps  int
	}{{10, 1e6, 20000}, {100, 1e6, 20000}, {1000, 1e6, 2000}, {100, 1000, 20}} {
		ha, hb := histogramPair(c.bins, c.total)
		b.Run(fmt.Sprintf("KSBinned/bins=%d/total=%g", c.bins, c.total), func(b *testing.B) {
			b.ReportAllocs()
			var sink float64
			start := time.Now()
			for range b.N {
				for range c.reps {
					sink += KSBinned(ha, hb).PValue
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*c.reps), "ns/call")
			_ = sink
		})
		b.Run(fmt.Sprintf("ChiSquaredHistograms/bins=%d/total=%g", c.bins, c.total), func(b *testing.B) {
			b.ReportAllocs()
			var sink float64
			start := time.Now()
			for range b.N {
				for range c.reps {
					sink += ChiSquaredHistograms(ha, hb, 0).PValue
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*c.reps), "ns/call")
			_ = sink
		})
	}
}

// BenchmarkKSExact times the exact lattice-path p-value against sample size: O(n·m).
func BenchmarkKSExact(b *testing.B) {
	for _, n := range []float64{100, 300, 1000} {
		b.Run(fmt.Sprintf("n=m=%g", n), func(b *testing.B) {
			b.ReportAllocs()
			var sink float64
			start := time.Now()
			reps := int(1e7 / (n * n))
			for range b.N {
				for range reps {
					p, _ := KSPValue(0.05, n, n)
					sink += p
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*reps), "ns/call")
			_ = sink
		})
	}
}
