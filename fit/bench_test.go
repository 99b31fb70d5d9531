package fit

import "testing"

// BenchmarkFit fits the whole example document (every family, the heavy-room solve and
// the chain CV). Goal: under 100 ms.
func BenchmarkFit(b *testing.B) {
	d := example(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Fit(d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
