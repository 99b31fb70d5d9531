package spec_test

import (
	"math"
	"testing"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/spec"
)

// The default spec (Path B) must carry the guide's headline figures. Each is
// recomputed from the spec's models with package fit's functions, not read back.

func TestDefaultHeadlineFigures(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	if err := s.Validate(); err != nil {
		t.Fatalf("default spec invalid: %v", err)
	}
	if s.Source != "default" || !s.Window.End.Equal(time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC)) || s.Window.Days != 30 {
		t.Errorf("window: source %q end %v days %d; want default, 2025-10-22T00:00:00Z, 30", s.Source, s.Window.End, s.Window.Days)
	}
	for name, want := range map[string]int64{"tiny": 50_000, "dev": 5_000_000, "staging": 100_000_000} {
		if got := s.Bands[name].Messages; got != want {
			t.Errorf("band %s: %d messages, want %d", name, got, want)
		}
	}
	// The guide's type mix, media ratio and read rate (Path B figures).
	tm := s.Conversations.TypeDistribution
	if tm.OneToOne != 0.68 || tm.SmallGroup != 0.27 || tm.LargeGroup != 0.05 {
		t.Errorf("type mix %+v, want 0.68/0.27/0.05", tm)
	}
	if s.Messages.Content.MediaRatio != 0.163 {
		t.Errorf("media ratio %g, want 0.163", s.Messages.Content.MediaRatio)
	}
	if s.ReadReceipts.ReadRate != 0.82 {
		t.Errorf("read rate %g, want 0.82", s.ReadReceipts.ReadRate)
	}
}

// TestDefaultHeavyRooms: under the count model with the multiplier, the busiest 2% of
// conversations carry 30% of the messages (the guide's heavy rooms), and without it
// they would not (so the multiplier is doing the work).
func TestDefaultHeavyRooms(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	cm := s.Messages.PerConversationDistribution
	hr := s.Conversations.HeavyRooms
	if hr.Percentage != 0.02 || hr.TrafficShare != 0.3 {
		t.Fatalf("heavy rooms %+v, want 2%% carrying 30%%", hr)
	}
	h := dist.NewHeavyShare(cm.Law(), hr.Percentage)
	if got := h.Share(hr.Multiplier); math.Abs(got-0.30) > 0.001 {
		t.Errorf("busiest 2%% carry %.4f of the messages with multiplier %g, want 0.30 ± 0.001", got, hr.Multiplier)
	}
	if got := h.Share(1); math.Abs(got-0.30) < 0.05 {
		t.Errorf("without the multiplier the busiest 2%% already carry %.4f: the multiplier should matter", got)
	}
	// The median conversation has the guide's p50 of 14 messages.
	if q := dist.Quantile(cm.Law(), 0.5); q < 12 || q > 16 {
		t.Errorf("median messages per conversation %d, want 14 ± 2", q)
	}
}

// TestDefaultTimeProfile: busiest over quietest hour 2.5×, weekday over weekend 1.38,
// and λ peak / λ trough agreeing with the weights.
func TestDefaultTimeProfile(t *testing.T) {
	t.Parallel()
	ia := spec.Default().Messages.InterArrival
	pt, ww := fit.ProfileRatios(ia.WeekdayHourWeights)
	if math.Abs(pt-2.5) > 0.01 {
		t.Errorf("peak/trough %.4f, want 2.5 ± 0.01", pt)
	}
	if math.Abs(ww-1.38) > 0.01 {
		t.Errorf("weekday/weekend %.4f, want 1.38 ± 0.01", ww)
	}
	if r := ia.MeanLambdaPeak / ia.MeanLambdaTrough; math.Abs(r-2.5) > 0.01 {
		t.Errorf("λ_peak/λ_trough %.4f, want 2.5 ± 0.01", r)
	}
}

// TestDefaultBurstCoefficient: the generator's chain with the spec's η and g and the
// count model (with heavy rooms) over the 30-day window gives the guide's burst
// coefficient 2.5 (fit.ChainCV). The tolerance 0.02 covers the rounding of η to 6
// digits and ChainCV's E[B] approximation for long conversations.
func TestDefaultBurstCoefficient(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	cm := s.Messages.PerConversationDistribution
	hr := s.Conversations.HeavyRooms
	m := cm.Law()
	h := dist.NewHeavyShare(m, hr.Percentage)
	b := s.Messages.InterArrival.Burst
	cv := fit.ChainCV(m, h, hr.Multiplier, b.ContinueProbability, b.MeanGapSeconds, b.SpacingShape, float64(s.Window.Days)*86400)
	if math.Abs(cv-2.5) > 0.02 {
		t.Errorf("chain gap CV %.4f, want 2.5 ± 0.02", cv)
	}
	if got := s.Messages.InterArrival.BurstCoefficient; got != 2.5 {
		t.Errorf("burst_coefficient %g, want 2.5", got)
	}
}

// TestDefaultReadDelays: the delay mixture puts the guide's read-delay percentiles
// (p50 35 s, p75 245 s, p90 3420 s, p95 21600 s) within 5%, and the reader model gives
// the example's 1.35 receipts per read message.
func TestDefaultReadDelays(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	r := s.ReadReceipts
	mix := fit.Mixture{Weights: []float64{r.ImmediateShare, r.NearTermShare, r.DelayedShare}, Components: []fit.Model{
		fit.Exponential{Mean: r.ImmediateMeanSeconds}, fit.Exponential{Mean: r.NearTermMeanSeconds},
		fit.LogNormal{Mu: r.DelayedMu, Sigma: r.DelayedSigma}}}
	for _, c := range []struct{ p, want float64 }{{0.5, 35}, {0.75, 245}, {0.9, 3420}, {0.95, 21600}} {
		if got := fit.QuantileReal(mix, c.p, 1e9); math.Abs(got/c.want-1) > 0.05 {
			t.Errorf("delay p%g = %.0f s, want %.0f s ± 5%%", c.p*100, got, c.want)
		}
	}
	c := s.Conversations
	extras := (c.SmallGroup.Law().Mean()-2)*c.TypeDistribution.SmallGroup +
		(c.LargeGroup.Law().Mean()-2)*c.TypeDistribution.LargeGroup
	if got := 1 + r.ExtraReaderProbability*extras; math.Abs(got-1.35) > 0.005 {
		t.Errorf("receipts per read message %.4f, want 1.35 ± 0.005", got)
	}
}
