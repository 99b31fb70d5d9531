package calibrate

import (
	"math"
	"testing"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// chainCV is the default spec's pooled gap CV (fit.ChainCV) with spacing shape kappa.
func chainCV(s *spec.Spec, kappa float64) float64 {
	cm, hr, b := s.Messages.PerConversationDistribution, s.Conversations.HeavyRooms, s.Messages.InterArrival.Burst
	m := cm.Law()
	return fit.ChainCV(m, dist.NewHeavyShare(m, hr.Percentage), hr.Multiplier,
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

// Readers by member count, by hand: bucket 21+ reads 0.5 in the candidate against the
// baseline's 0.6, so its rate 0.5 → 0.5·1.2 = 0.6; its receipts per read message are
// 2.5 against 4, so the excess 3 − 1 = 2 → 2·(4 − 1)/(2.5 − 1) = 4, i.e. 5. Bucket 2+
// matches and a null value stays null; nothing moves when the checks pass.
func TestReadersByMembersRule(t *testing.T) {
	t.Parallel()
	f := shape.Float
	b, c := &shape.Document{}, &shape.Document{}
	b.ReadReceipts.ByMemberCount = map[string]shape.ReaderCell{
		"2": {ReadRate: f(0.8), ReceiptsPerReadMessage: f(1)}, "21": {ReadRate: f(0.6), ReceiptsPerReadMessage: f(4)}}
	c.ReadReceipts.ByMemberCount = map[string]shape.ReaderCell{
		"2": {ReadRate: f(0.8), ReceiptsPerReadMessage: f(1)}, "21": {ReadRate: f(0.5), ReceiptsPerReadMessage: f(2.5)}}
	for _, status := range []validate.Status{validate.Warning, validate.Pass} {
		s := spec.Default()
		s.ReadReceipts.ByMemberCount = []spec.ReaderBucket{
			{MinMembers: 2, ReadRate: new(0.8), ReceiptsPerReadMessage: new(1.0)},
			{MinMembers: 21, ReadRate: new(0.5), ReceiptsPerReadMessage: new(3.0)},
			{MinMembers: 51, ReadRate: nil, ReceiptsPerReadMessage: nil},
		}
		res := &validate.Result{Checks: []validate.Check{
			{ID: "read_rate.by_members", Status: status}, {ID: "receipts_per_read_message.by_members", Status: status}}}
		changes := Adjust(s, b, c, res)
		rb := s.ReadReceipts.ByMemberCount
		wantRate, wantPer := 0.5, 3.0
		if status == validate.Warning {
			wantRate, wantPer = 0.6, 5
		}
		if math.Abs(*rb[1].ReadRate-wantRate) > 1e-12 || math.Abs(*rb[1].ReceiptsPerReadMessage-wantPer) > 1e-12 {
			t.Errorf("%s: bucket 21+ → rate %g, receipts %g; want %g, %g (changes %+v)", status, *rb[1].ReadRate, *rb[1].ReceiptsPerReadMessage, wantRate, wantPer, changes)
		}
		if *rb[0].ReadRate != 0.8 || *rb[0].ReceiptsPerReadMessage != 1 || rb[2].ReadRate != nil || rb[2].ReceiptsPerReadMessage != nil {
			t.Errorf("%s: buckets 2+ and 51+ moved: %+v %+v", status, rb[0], rb[2])
		}
	}
}

// heavyMultiplierStep inverts the count model: on the default spec (busiest 2%, Q = 165,
// Excess 2.38, Rest 23.0), a pilot at multiplier 0.5 whose top share is exactly the
// model's ((3.3 + 0.5·2.38)/(23.0 + 3.3 + 0.5·2.38) = 0.1634) and the target the model
// gives at 2.751443 (0.30) get 2.751443 back in one step; a pilot carrying twice the
// model's odds at the same multiplier gets the multiplier whose model odds are half the
// target's. The old odds-ratio step, m × odds(target)/odds(observed), would have given
// 0.5 × 2.195 = 1.10.
func TestHeavyMultiplierStep(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	cm, hr := s.Messages.PerConversationDistribution, s.Conversations.HeavyRooms
	h := dist.NewHeavyShare(cm.Law(), hr.Percentage)
	s.Conversations.HeavyRooms.Multiplier = 0.5
	target := h.Share(hr.Multiplier)
	if math.Abs(target-0.30) > 1e-6 {
		t.Fatalf("default share %g, want 0.30", target)
	}
	if got := h.Share(0.5); math.Abs(got-0.16337) > 1e-5 {
		t.Errorf("model share at 0.5: %.6f, want 0.16337 (by hand)", got)
	}
	if got := heavyMultiplierStep(s, target, h.Share(0.5)); math.Abs(got-hr.Multiplier) > 1e-9 {
		t.Errorf("step from 0.5 on a pilot that is the model: %.9g, want %.9g", got, hr.Multiplier)
	}
	// A pilot whose odds are twice the model's: the step keeps that factor, so it aims
	// the model at half the target's odds.
	o := fromOdds(2 * odds(h.Share(0.5)))
	want := h.Multiplier(fromOdds(odds(target) / 2))
	if got := heavyMultiplierStep(s, target, o); math.Abs(got-want) > 1e-9 {
		t.Errorf("step on a pilot at twice the model's odds: %.9g, want %.9g", got, want)
	}
}

// TestMediaRatioZeroIsZero: a production without media publishes media_ratio 0 (a
// measured zero; suppressed would be null). When the candidate has media anyway, the
// rule sets the spec's ratio to 0, not to the clamp's floor 1e-4, which at the dev
// band's 5M messages still generated about 500 media messages and their attachments.
// A null baseline leaves the spec alone.
func TestMediaRatioZeroIsZero(t *testing.T) {
	t.Parallel()
	zero, some := 0.0, 0.01
	res := &validate.Result{Checks: []validate.Check{{ID: "media_ratio", Status: validate.Fail}}}
	s := spec.Default()
	var b, c shape.Document
	b.Messages.MediaRatio, c.Messages.MediaRatio = &zero, &some
	Adjust(s, &b, &c, res)
	if got := s.Messages.Content.MediaRatio; got != 0 {
		t.Errorf("baseline media ratio 0: spec media ratio → %g, want 0", got)
	}
	s = spec.Default()
	want := s.Messages.Content.MediaRatio
	b.Messages.MediaRatio = nil
	Adjust(s, &b, &c, res)
	if got := s.Messages.Content.MediaRatio; got != want {
		t.Errorf("suppressed baseline: spec media ratio → %g, want it unchanged at %g", got, want)
	}
}

// TestContentLengthMixtureRule: a candidate whose median length is half the
// baseline's moves a mixture as a whole: the summary μ and every component's μ gain
// ln 2, each change recorded; the spreads stay (the mean/median identity behind the σ
// step holds for one log-normal only).
func TestContentLengthMixtureRule(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	tl := &s.Messages.Content.TextLength
	*tl = spec.LogNormal{Distribution: spec.DistLogNormalMixture, Mu: 3.6, Sigma: 1.7, Max: 4000,
		Components: []spec.LogNormalComponent{{Weight: 0.6, Mu: 2.3, Sigma: 0.6}, {Weight: 0.4, Mu: 5.5, Sigma: 0.8}}}
	bMed, cMed, bMean, cMean := 20.0, 10.0, 60.0, 25.0
	var b, c shape.Document
	b.Messages.ContentLengthMedian, c.Messages.ContentLengthMedian = &bMed, &cMed
	b.Messages.ContentLengthMean, c.Messages.ContentLengthMean = &bMean, &cMean
	res := &validate.Result{Checks: []validate.Check{{ID: "content_length.median", Status: validate.Fail}}}
	changes := Adjust(s, &b, &c, res)
	want := []float64{2.3 + math.Ln2, 5.5 + math.Ln2}
	for i, w := range want {
		if got := tl.Components[i].Mu; math.Abs(got-w) > 1e-12 || tl.Components[i].Sigma != []float64{0.6, 0.8}[i] {
			t.Errorf("component %d: μ %g σ %g, want μ %g and σ unchanged", i, got, tl.Components[i].Sigma, w)
		}
	}
	if math.Abs(tl.Mu-(3.6+math.Ln2)) > 1e-12 || tl.Sigma != 1.7 {
		t.Errorf("summary μ %g σ %g, want %g and 1.7", tl.Mu, tl.Sigma, 3.6+math.Ln2)
	}
	if len(changes) != 3 {
		t.Errorf("changes %+v, want the summary μ and both components' μ", changes)
	}
}

// TestShiftedCountRule: a shifted log-normal's quantiles are s + exp(μ + σ·z_p)
// (the floor aside), so a baseline made with (μ, σ) = (2.2, 1.3) and a candidate made
// with the spec's (1.9, 1.5), both at shift 1.5, give back (2.2, 1.3) in one step,
// exactly, with the shift left alone: p50 = 1.5 + e^μ, p95 = 1.5 + e^(μ + 1.644854·σ).
func TestShiftedCountRule(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	cm := &s.Messages.PerConversationDistribution
	*cm = spec.CountModel{Distribution: spec.DistShiftedDiscreteLogNormal, Mu: 1.9, Sigma: 1.5, Shift: 1.5, XMin: 1, XMax: 10_000}
	pcts := func(mu, sigma float64) shape.Percentiles {
		p50, p95 := 1.5+math.Exp(mu), 1.5+math.Exp(mu+1.644854*sigma)
		return shape.Percentiles{P50: &p50, P95: &p95}
	}
	var b, c shape.Document
	b.Conversations.ActivityPercentiles, c.Conversations.ActivityPercentiles = pcts(2.2, 1.3), pcts(1.9, 1.5)
	res := &validate.Result{Checks: []validate.Check{{ID: "messages_per_conversation.p95", Status: validate.Fail}}}
	changes := Adjust(s, &b, &c, res)
	if math.Abs(cm.Mu-2.2) > 1e-12 || math.Abs(cm.Sigma-1.3) > 1e-12 || cm.Shift != 1.5 {
		t.Errorf("μ %g σ %g shift %g, want 2.2, 1.3 and 1.5", cm.Mu, cm.Sigma, cm.Shift)
	}
	if len(changes) != 2 {
		t.Errorf("changes %+v, want μ and σ", changes)
	}
}
