package stats

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

func TestQuantileType7(t *testing.T) {
	t.Parallel()
	// Hyndman & Fan (1996) definition 7, R's default quantile(): for 1..10 (shuffled),
	// h = p·9: p = .1 → 1.9, .5 → 5.5, .25 → 3.25, 0 → 1, 1 → 10.
	x := []float64{7, 3, 10, 1, 5, 2, 9, 4, 8, 6}
	for _, c := range []struct{ p, want float64 }{{0.1, 1.9}, {0.5, 5.5}, {0.25, 3.25}, {0, 1}, {1, 10}} {
		if got := Quantile(c.p, x, nil); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Frequency weights: {1 ×2, 2 ×1, 3 ×3} is {1, 1, 2, 3, 3, 3}; by hand p = .5 → h = 2.5
	// between ranks 2 (2) and 3 (3) → 2.5; p = .3 → h = 1.5 between 1 and 2 → 1.5.
	v, w := []float64{3, 1, 2}, []float64{3, 2, 1}
	for _, c := range []struct{ p, want float64 }{{0.5, 2.5}, {0.3, 1.5}, {0, 1}, {1, 3}} {
		if got := Quantile(c.p, v, w); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("weighted Quantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if !math.IsNaN(Quantile(0.5, nil, nil)) || !math.IsNaN(Quantile(0.5, []float64{1}, []float64{0})) {
		t.Error("empty input: want NaN")
	}
}

// TestQuantilePercentileCont checks Quantile against PostgreSQL's own percentile_cont,
// the function the shape document's percentiles come from, on a sample with ties.
func TestQuantilePercentileCont(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	values := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7.5}
	counts := []float64{1, 2, 3, 7, 1}
	for _, p := range []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1} {
		var want, wantW float64
		err := db.QueryRowContext(context.Background(),
			`SELECT (SELECT percentile_cont($1) WITHIN GROUP (ORDER BY v) FROM unnest($2::float8[]) v),
			        (SELECT percentile_cont($1) WITHIN GROUP (ORDER BY v)
			           FROM unnest($3::float8[], $4::int[]) AS t(v, c), generate_series(1, c))`,
			p, pgArray(values), pgArray([]float64{10, 20, 30, 40, 50}), pgArray(counts)).Scan(&want, &wantW)
		if err != nil {
			t.Fatalf("error querying percentile_cont for p %v: %v", p, err)
		}
		if got := Quantile(p, values, nil); math.Abs(got-want) > 1e-12 {
			t.Errorf("p %v: Quantile %v, percentile_cont %v", p, got, want)
		}
		if got := Quantile(p, []float64{10, 20, 30, 40, 50}, counts); math.Abs(got-wantW) > 1e-12 {
			t.Errorf("p %v: weighted Quantile %v, percentile_cont over repeated rows %v", p, got, wantW)
		}
	}
}

// pgArray writes a float8[] literal.
func pgArray(x []float64) string {
	s := "{"
	for i, v := range x {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatFloat(v, 'g', -1, 64)
	}
	return s + "}"
}

func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	lo := []float64{0, 10, 20, 30}
	counts := []float64{10, 20, 10, 5} // N = 45
	for _, c := range []struct{ p, want float64 }{
		// By hand with L + (p·N − C)/f·w: p = .5 → 22.5 falls in [10, 20):
		// 10 + (22.5 − 10)/20·10 = 16.25.
		{0.5, 16.25},
		// p = 0 → lower bound of the first bucket; 10/45 → exactly the top of bucket 0.
		{0, 0},
		{10.0 / 45, 10},
		// p = .8 → 36: 20 + (36 − 30)/10·10 = 26.
		{0.8, 26},
		// p = .9 → 40.5 lands in the open last bucket: its lower bound, 30.
		{0.9, 30},
		{1, 30},
	} {
		if got := HistogramQuantile(c.p, lo, counts); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("HistogramQuantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Textbook grouped median: classes 0–10: 5, 10–20: 8, 20–30: 20, 30–40: 15,
	// 40–50: 7, 50–60: 5 (N = 60; the 60– bucket empty): 20 + (30 − 13)/20·10 = 28.5.
	g := HistogramQuantile(0.5, []float64{0, 10, 20, 30, 40, 50, 60}, []float64{5, 8, 20, 15, 7, 5, 0})
	if math.Abs(g-28.5) > 1e-12 {
		t.Errorf("grouped median = %v, want 28.5", g)
	}
	// Empty buckets are skipped at both ends.
	if got := HistogramQuantile(0, []float64{0, 10, 20}, []float64{0, 4, 4}); got != 10 {
		t.Errorf("leading empty bucket: %v, want 10", got)
	}
	if got := HistogramQuantile(1, []float64{0, 10, 20}, []float64{4, 4, 0}); got != 20 {
		t.Errorf("trailing empty bucket: %v, want 20", got)
	}
	if !math.IsNaN(HistogramQuantile(0.5, []float64{0, 1}, []float64{0, 0})) {
		t.Error("no data: want NaN")
	}
}
