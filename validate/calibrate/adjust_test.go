package calibrate

import (
	"math"
	"testing"

	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// chainCV is the default spec's pooled gap CV (fit.ChainCV) with spacing shape kappa.
func chainCV(s *spec.Spec, kappa float64) float64 {
	cm, hr, b := s.Messages.PerConversationDistribution, s.Conversations.HeavyRooms, s.Messages.InterArrival.Burst
	m := fit.CountModelOf(cm)
	return fit.ChainCV(m, cm.XMin, cm.XMax, fit.NewHeavyShare(m, cm.XMin, cm.XMax, hr.Percentage), hr.Multiplier,
		b.ContinueProbability, b.MeanGapSeconds, kappa, float64(s.Window.Days)*86400)
}

func burstDocs(target, observed float64) (*shape.Document, *shape.Document, *validate.Result) {
	var b, c shape.Document
	b.Messages.BurstCoefficient, c.Messages.BurstCoefficient = &target, &observed
	return &b, &c, &validate.Result{Checks: []validate.Check{{ID: "burst_coefficient", Status: validate.Fail}}}
}

// A baseline made with κ = 3 and a candidate spec at κ = 1 whose targets give exactly
// the chain's CV: the Newton steps on ln κ bring κ back to 3 within 0.1% in at most 4
// rounds, leaving η alone. At the bound (κ = 50) a CV still too high moves η's odds by
// target/observed instead.
func TestBurstRuleRecoversSpacingShape(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	target := chainCV(s, 3)
	eta := s.Messages.InterArrival.Burst.ContinueProbability
	for round := 1; round <= 4; round++ {
		k := s.Messages.InterArrival.Burst.SpacingShape
		b, c, res := burstDocs(target, chainCV(s, k))
		ch := Adjust(s, b, c, res)
		if len(ch) != 1 || ch[0].Param != ".messages.inter_arrival.burst.spacing_shape" {
			t.Fatalf("round %d: changes %+v, want the spacing shape alone", round, ch)
		}
		t.Logf("round %d: κ %.5g → %.5g", round, k, s.Messages.InterArrival.Burst.SpacingShape)
	}
	if got := s.Messages.InterArrival.Burst.SpacingShape; math.Abs(got/3-1) > 1e-3 || s.Messages.InterArrival.Burst.ContinueProbability != eta {
		t.Errorf("κ = %g, η = %g after 4 rounds; want 3 and η unchanged %g", got, s.Messages.InterArrival.Burst.ContinueProbability, eta)
	}

	s = spec.Default()
	s.Messages.InterArrival.Burst.SpacingShape = fit.MaxSpacingShape
	b, c, res := burstDocs(1, 2)
	ch := Adjust(s, b, c, res)
	// odds(η') = odds(η) · ½.
	want := fromOdds(odds(eta) / 2)
	if len(ch) != 1 || ch[0].Param != ".messages.inter_arrival.burst.continue_probability" || math.Abs(ch[0].To-want) > 1e-12 {
		t.Errorf("at the bound: changes %+v, want η → %.6f", ch, want)
	}
}

// Size × activity: a warning moves the copula's ρ by the difference of the two
// polychoric correlations (0.5 − 0.2 = +0.3 from 0.1 to 0.4), clamped at ±0.99; a
// passing check moves nothing.
func TestSizeActivityRule(t *testing.T) {
	t.Parallel()
	res := func(status validate.Status, b, c float64) *validate.Result {
		return &validate.Result{Checks: []validate.Check{{ID: "size_activity.correlation", Status: status, Baseline: &b, Candidate: &c}}}
	}
	for _, x := range []struct {
		from, b, c, want float64
		status           validate.Status
	}{
		{0.1, 0.5, 0.2, 0.4, validate.Warning},
		{0.9, 0.8, 0.2, 0.99, validate.Warning},
		{-0.9, -0.6, 0.3, -0.99, validate.Warning},
		{0.1, 0.5, 0.45, 0.1, validate.Pass},
	} {
		s := spec.Default()
		s.Conversations.SizeActivityCorrelation = x.from
		ch := Adjust(s, &shape.Document{}, &shape.Document{}, res(x.status, x.b, x.c))
		if got := s.Conversations.SizeActivityCorrelation; math.Abs(got-x.want) > 1e-12 {
			t.Errorf("ρ %g, baseline %g, candidate %g (%s): ρ → %g, want %g (changes %+v)", x.from, x.b, x.c, x.status, got, x.want, ch)
		}
	}
}
