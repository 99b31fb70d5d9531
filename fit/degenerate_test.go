package fit

import (
	"testing"

	"github.com/pgshape/pgshape/shape"
)

// Every receipt in the first delay bucket (a differential-privacy document whose tail
// shape.dp_keep emptied, or a tiny production): the fitted shares are 1, 0, 0 and the spec is
// valid. 1 − immediate − near used to come out at −2·10⁻³⁰ and fail the spec's check.
func TestFitAllDelaysInFirstBucket(t *testing.T) {
	t.Parallel()
	d := example(t)
	h := d.ReadReceipts.DelayHistogramMinutes
	total := h.Total()
	for i := range h {
		h[i].Count = 0
	}
	h[0].Count = total
	d.ReadReceipts.ImmediatePercentage, d.ReadReceipts.NearTermPercentage, d.ReadReceipts.DelayedPercentage =
		shape.Float(1), shape.Float(0), shape.Float(0)
	_, sp, err := Fit(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := sp.ReadReceipts; r.DelayedShare < 0 || r.ImmediateShare+r.NearTermShare+r.DelayedShare > 1+1e-12 {
		t.Errorf("shares %g, %g, %g", r.ImmediateShare, r.NearTermShare, r.DelayedShare)
	}
	if err := sp.Validate(); err != nil {
		t.Errorf("spec invalid: %v", err)
	}
}
