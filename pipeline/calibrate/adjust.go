package calibrate

import (
	"fmt"
	"math"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// Change is one parameter Adjust moved.
type Change struct {
	// Param is the spec's JSON path (".messages.content.media_ratio").
	Param string  `json:"param"`
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	// Because names the check that missed.
	Because string `json:"because"`
}

// Adjust corrects, in place, the parameters of s behind every check of res that did not
// pass, from the ratio of the baseline's value (the target) to the candidate's (what s
// produced). It returns what it changed. The rules, each exact for the simple model
// behind it and iterated by Run where it is not:
//
//   - shares (media ratio, read rate, type mix, attachment types): multiply by
//     target/observed, then clamp or renormalise;
//   - heavy rooms: the top set's odds scale with the multiplier M (share s = M·A /
//     (M·A + B)), so M ← M · odds(target) / odds(observed); exact while M ≥ 1 keeps the
//     multiplied rooms on top, an under-correction below 1 (shrunken rooms leave the top
//     set), which the next round finishes;
//   - count model: discrete log-normal mu ← mu + ln(p50 target/observed), sigma ← sigma ·
//     ln(p95/p50 target) / ln(p95/p50 observed) (the p95/p50 ratio of a log-normal is
//     exp(1.645σ)); a power law's α − 1 ← (α − 1) · ln(q95/q50 observed) / ln(q95/q50
//     target) (its q95/q50 is 10^(1/(α−1)));
//   - content length (log-normal): mu ← mu + ln(median target/observed), σ² ← σ² +
//     2 ln((mean/median target) / (mean/median observed)) (mean/median = exp(σ²/2));
//   - time profile: each weekday × hour weight ← weight · target share / observed share
//     (cells under k on either side keep their weight);
//   - burst: the spacing shape κ ← κ · (target/observed burst coefficient)^(1/e), a
//     Newton step in ln κ with e = d ln CV / d ln κ from fit.ChainCV (spacingStep); when
//     κ sits at its bound [0.05, 50], or the spec uses the renewal start model (no κ),
//     the continue probability's odds ← odds · target/observed instead;
//   - readers by member count: each bucket's read rate × target/observed, its
//     receipts per read message's excess over one × (target − 1)/(observed − 1);
//   - read delay: the three delay scales × target/observed at the worst percentile;
//   - conversation sizes: the small-group geometric's mean excess (1−p)/p ← × target /
//     observed mean excess over 3 members;
//   - size × activity: the copula's ρ ← ρ + (target − observed polychoric ρ), kept
//     within ±0.99 (the polychoric ρ of the thresholded latents is the copula's ρ, so
//     the step is exact up to sampling noise).
func Adjust(s *spec.Spec, baseline, candidate *shape.Document, res *validate.Result) []Change {
	a := &adjuster{s: s, b: baseline, c: candidate, res: res, missed: map[string]bool{}}
	for _, ch := range res.Checks {
		if ch.Status == validate.Fail || ch.Status == validate.Warning {
			a.missed[ch.ID] = true
		}
	}
	a.typeMix()
	a.mediaRatio()
	a.counts()
	a.heavyRooms()
	a.contentLength()
	a.readRate()
	a.readersByMembers()
	a.readDelay()
	a.attachments()
	a.timeProfile()
	a.burst()
	a.sizes()
	a.sizeActivity()
	return a.changes
}

type adjuster struct {
	s       *spec.Spec
	b, c    *shape.Document
	res     *validate.Result
	missed  map[string]bool
	changes []Change
}

func (a *adjuster) any(ids ...string) bool {
	for _, id := range ids {
		if a.missed[id] {
			return true
		}
	}
	return false
}

// set moves *p to v and records it (nothing when v is not finite or unchanged).
func (a *adjuster) set(param, because string, p *float64, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == *p {
		return
	}
	a.changes = append(a.changes, Change{Param: param, From: *p, To: v, Because: because})
	*p = v
}

func ratio(target, observed *float64) (float64, bool) {
	if target == nil || observed == nil || *target <= 0 || *observed <= 0 {
		return 0, false
	}
	return *target / *observed, true
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func odds(p float64) float64 { return p / (1 - p) }

func fromOdds(o float64) float64 { return o / (1 + o) }

func (a *adjuster) typeMix() {
	if !a.any("type_mix.one_to_one", "type_mix.small_group", "type_mix.large_group") {
		return
	}
	bt, ct := a.b.Conversations.TypeDistribution, a.c.Conversations.TypeDistribution
	tm := &a.s.Conversations.TypeDistribution
	ps := []*float64{&tm.OneToOne, &tm.SmallGroup, &tm.LargeGroup}
	next := make([]float64, 3)
	var sum float64
	for i, x := range [][2]*float64{{bt.OneToOne, ct.OneToOne}, {bt.SmallGroup, ct.SmallGroup}, {bt.LargeGroup, ct.LargeGroup}} {
		next[i] = *ps[i]
		if r, ok := ratio(x[0], x[1]); ok {
			next[i] *= r
		} else if x[0] != nil && x[1] != nil && *x[1] == 0 {
			next[i] = *x[0]
		}
		sum += next[i]
	}
	if sum <= 0 {
		return
	}
	names := []string{"one_to_one", "small_group", "large_group"}
	for i := range ps {
		a.set(".conversations.type_distribution."+names[i], "type mix", ps[i], next[i]/sum)
	}
}

func (a *adjuster) mediaRatio() {
	if !a.missed["media_ratio"] {
		return
	}
	m := &a.s.Messages.Content.MediaRatio
	if b := a.b.Messages.MediaRatio; b != nil && *b == 0 {
		// A published 0 is a measured zero (suppressed is null): no media at all, not
		// the smallest ratio the clamp allows.
		a.set(".messages.content.media_ratio", "media ratio", m, 0)
		return
	}
	if r, ok := ratio(a.b.Messages.MediaRatio, a.c.Messages.MediaRatio); ok {
		a.set(".messages.content.media_ratio", "media ratio", m, clamp(*m*r, 1e-4, 0.95))
	} else if a.b.Messages.MediaRatio != nil {
		a.set(".messages.content.media_ratio", "media ratio", m, clamp(*a.b.Messages.MediaRatio, 1e-4, 0.95))
	}
}

func (a *adjuster) counts() {
	if !a.any("messages_per_conversation.p50", "messages_per_conversation.p95", "messages_per_conversation.ks") {
		return
	}
	bp, cp := a.b.Conversations.ActivityPercentiles, a.c.Conversations.ActivityPercentiles
	cm := &a.s.Messages.PerConversationDistribution
	const path = ".messages.per_conversation_distribution"
	// The log-normals' quantiles are s + exp(μ + σ·z_p) (s = 0 unshifted, the floor
	// aside), so p50 − s moves with e^μ and ln((p95 − s)/(p50 − s)) with σ: each step
	// moves μ by the log ratio of the baseline's and the candidate's p50 − s, and σ by
	// the ratio of their spreads.
	var s float64
	if cm.Distribution == spec.DistShiftedDiscreteLogNormal {
		s = cm.Shift
	}
	spread := func(p *shape.Percentiles) (float64, bool) {
		if p.P50 == nil || p.P95 == nil || *p.P50 <= s || *p.P95 <= *p.P50 {
			return 0, false
		}
		return math.Log((*p.P95 - s) / (*p.P50 - s)), true
	}
	sb, okb := spread(&bp)
	sc, okc := spread(&cp)
	switch cm.Distribution {
	case spec.DistDiscreteLogNormal, spec.DistShiftedDiscreteLogNormal:
		if bp.P50 != nil && cp.P50 != nil && *bp.P50 > s && *cp.P50 > s {
			a.set(path+".mu", "messages per conversation p50", &cm.Mu, cm.Mu+math.Log((*bp.P50-s)/(*cp.P50-s)))
		}
		if okb && okc {
			a.set(path+".sigma", "messages per conversation p95/p50", &cm.Sigma, clamp(cm.Sigma*sb/sc, 0.05, 5))
		}
	case "power_law":
		if okb && okc {
			a.set(path+".alpha", "messages per conversation p95/p50", &cm.Alpha, clamp(1+(cm.Alpha-1)*sc/sb, 1.01, 10))
		}
	}
}

func (a *adjuster) heavyRooms() {
	if !a.missed["heavy_rooms.top_2pct"] {
		return
	}
	t, o := a.b.Conversations.HeavyRoomShare.Top2Pct, a.c.Conversations.HeavyRoomShare.Top2Pct
	if t == nil || o == nil || *t <= 0 || *t >= 1 || *o <= 0 || *o >= 1 {
		return
	}
	h := &a.s.Conversations.HeavyRooms
	a.set(".conversations.heavy_rooms.multiplier", "heavy-room share", &h.Multiplier,
		clamp(heavyMultiplierStep(a.s, *t, *o), 0.05, 50))
}

// heavyMultiplierStep returns the multiplier that moves the top set's share from
// observed to target. Under the count model the share's odds are linear in the
// multiplier m, odds(m) = (pct·Q + m·Excess)/Rest (dist.HeavyShare), and the pilot's
// odds are taken to be the model's times a factor that the step keeps: the new m
// solves odds(m′) = odds(m)·odds(target)/odds(observed). Without a count model (or
// with no mass above Q) it scales m by the odds ratio, as if pct·Q were 0.
func heavyMultiplierStep(s *spec.Spec, target, observed float64) float64 {
	h := s.Conversations.HeavyRooms
	m := h.Multiplier
	r := odds(target) / odds(observed)
	cm := s.Messages.PerConversationDistribution
	if cm.Distribution == "" {
		return m * r
	}
	hs := dist.NewHeavyShare(cm.Law(), h.Percentage)
	e, base := hs.Excess(), h.Percentage*hs.Q
	if !(e > 0) || !(hs.Rest > 0) {
		return m * r
	}
	return ((base+m*e)*r - base) / e
}

func (a *adjuster) sizeActivity() {
	ch := a.res.Check("size_activity.correlation")
	if ch == nil || !a.missed[ch.ID] || ch.Baseline == nil || ch.Candidate == nil {
		return
	}
	r := &a.s.Conversations.SizeActivityCorrelation
	a.set(".conversations.size_activity_correlation", "size–activity correlation", r,
		clamp(*r+*ch.Baseline-*ch.Candidate, -0.99, 0.99))
}

func (a *adjuster) contentLength() {
	if !a.any("content_length.mean", "content_length.median", "content_length.chi_squared") {
		return
	}
	bm, bmed := a.b.Messages.ContentLengthMean, a.b.Messages.ContentLengthMedian
	cm, cmed := a.c.Messages.ContentLengthMean, a.c.Messages.ContentLengthMedian
	tl := &a.s.Messages.Content.TextLength
	if r, ok := ratio(bmed, cmed); ok {
		d := math.Log(r)
		a.set(".messages.content.text_length.mu", "content length median", &tl.Mu, tl.Mu+d)
		// A mixture moves as a whole: every component's median by the same factor.
		for i := range tl.Components {
			c := &tl.Components[i]
			a.set(fmt.Sprintf(".messages.content.text_length.components[%d].mu", i), "content length median", &c.Mu, c.Mu+d)
		}
	}
	if tl.Distribution == spec.DistLogNormalMixture {
		// The mean/median step below is a single log-normal's identity; a mixture's
		// spread is left to the next fit.
		return
	}
	if rb, ok1 := ratio(bm, bmed); ok1 {
		if rc, ok2 := ratio(cm, cmed); ok2 && rb > 0 && rc > 0 {
			s2 := tl.Sigma*tl.Sigma + 2*math.Log(rb/rc)
			a.set(".messages.content.text_length.sigma", "content length mean/median", &tl.Sigma, math.Sqrt(math.Max(s2, 0.0025)))
		}
	}
}

func (a *adjuster) readRate() {
	if !a.missed["read_rate"] {
		return
	}
	if r, ok := ratio(a.b.ReadReceipts.ReadRate, a.c.ReadReceipts.ReadRate); ok {
		rr := &a.s.ReadReceipts.ReadRate
		a.set(".read_receipts.read_rate", "read rate", rr, clamp(*rr*r, 1e-4, 1))
	}
}

// readersByMembers: each member-count bucket's read rate ← × target/observed (when
// the global read rate or the per-bucket one missed: the buckets, not the global
// rate, drive the generator where they are set), and its receipts per read message's
// excess over one ← × (target − 1)/(observed − 1), the share of further candidates
// that read. Bucket by bucket, from the two documents' own buckets.
func (a *adjuster) readersByMembers() {
	rate := a.any("read_rate", "read_rate.by_members")
	per := a.missed["receipts_per_read_message.by_members"]
	if !rate && !per {
		return
	}
	for i := range a.s.ReadReceipts.ByMemberCount {
		rb := &a.s.ReadReceipts.ByMemberCount[i]
		k := shape.FormatKey(float64(rb.MinMembers))
		bc, cc := a.b.ReadReceipts.ByMemberCount[k], a.c.ReadReceipts.ByMemberCount[k]
		param := fmt.Sprintf(".read_receipts.by_member_count[%d].", i)
		if r, ok := ratio(bc.ReadRate, cc.ReadRate); ok && rate && rb.ReadRate != nil {
			a.set(param+"read_rate", "read rate, "+k+"+ members", rb.ReadRate, clamp(*rb.ReadRate*r, 1e-4, 1))
		}
		if per && rb.ReceiptsPerReadMessage != nil && bc.ReceiptsPerReadMessage != nil && cc.ReceiptsPerReadMessage != nil &&
			*cc.ReceiptsPerReadMessage > 1 {
			x := (*bc.ReceiptsPerReadMessage - 1) / (*cc.ReceiptsPerReadMessage - 1)
			a.set(param+"receipts_per_read_message", "receipts per read message, "+k+"+ members",
				rb.ReceiptsPerReadMessage, 1+(*rb.ReceiptsPerReadMessage-1)*x)
		}
	}
}

func (a *adjuster) readDelay() {
	if !a.missed["read_delay.percentiles"] {
		return
	}
	bp, cp := a.b.ReadReceipts.DelayPercentilesSeconds, a.c.ReadReceipts.DelayPercentilesSeconds
	worst, wr := 0.0, 1.0
	for _, x := range [][2]*float64{{bp.P50, cp.P50}, {bp.P75, cp.P75}, {bp.P90, cp.P90}, {bp.P95, cp.P95}, {bp.P99, cp.P99}} {
		if r, ok := ratio(x[0], x[1]); ok && math.Abs(math.Log(r)) > worst {
			worst, wr = math.Abs(math.Log(r)), r
		}
	}
	if wr == 1 {
		return
	}
	rr := &a.s.ReadReceipts
	a.set(".read_receipts.immediate_mean_seconds", "read-delay percentiles", &rr.ImmediateMeanSeconds, rr.ImmediateMeanSeconds*wr)
	a.set(".read_receipts.near_term_exponential_mean_seconds", "read-delay percentiles", &rr.NearTermMeanSeconds, rr.NearTermMeanSeconds*wr)
	a.set(".read_receipts.delayed_lognormal_mu", "read-delay percentiles", &rr.DelayedMu, rr.DelayedMu+math.Log(wr))
}

func (a *adjuster) attachments() {
	if !a.missed["attachments.type_mix"] {
		return
	}
	td := a.s.Attachments.TypeDistribution
	next := map[string]float64{}
	var sum float64
	for _, t := range shape.AttachmentTypes {
		v := td[t]
		bt, ct := a.b.Attachments.TypeDistribution[t], a.c.Attachments.TypeDistribution[t]
		if r, ok := ratio(bt, ct); ok {
			v *= r
		} else if bt != nil && (ct == nil || *ct == 0) {
			v = *bt
		}
		next[t] = v
		sum += v
	}
	if sum <= 0 {
		return
	}
	for _, t := range shape.AttachmentTypes {
		v := td[t]
		a.set(".attachments.type_distribution."+t, "attachment type mix", &v, next[t]/sum)
		td[t] = v
	}
}

// shares7x24 returns a document's weekday × hour shares and which cells are known.
func shares7x24(d *shape.Document) (s [7][24]float64, known [7][24]bool, ok bool) {
	m := d.Messages.WeekdayHourDistribution
	if len(m) != 7 {
		return s, known, false
	}
	var total float64
	for _, row := range m {
		for _, v := range row {
			if v != nil {
				total += float64(*v)
			}
		}
	}
	if total <= 0 {
		return s, known, false
	}
	for d, row := range m {
		for h, v := range row {
			if v != nil && *v > 0 {
				s[d][h], known[d][h] = float64(*v)/total, true
			}
		}
	}
	return s, known, true
}

func (a *adjuster) timeProfile() {
	if !a.any("hourly_profile", "diurnal_peak_trough", "weekday_weekend_ratio") {
		return
	}
	sb, kb, okb := shares7x24(a.b)
	sc, kc, okc := shares7x24(a.c)
	if !okb || !okc {
		return
	}
	w := &a.s.Messages.InterArrival.WeekdayHourWeights
	var moved int
	var maxW float64
	for d := range 7 {
		for h := range 24 {
			if kb[d][h] && kc[d][h] {
				w[d][h] *= sb[d][h] / sc[d][h]
				moved++
			}
			maxW = math.Max(maxW, w[d][h])
		}
	}
	if moved == 0 || maxW <= 0 {
		return
	}
	// The generator reads the weights as relative rates; scale the busiest cell to 1.
	for d := range 7 {
		for h := range 24 {
			w[d][h] /= maxW
		}
	}
	a.changes = append(a.changes, Change{Param: ".messages.inter_arrival.weekday_hour_weights",
		From: float64(moved), To: float64(moved), Because: fmt.Sprintf("time profile (%d cells rescaled)", moved)})
}

func (a *adjuster) burst() {
	if !a.missed["burst_coefficient"] {
		return
	}
	r, ok := ratio(a.b.Messages.BurstCoefficient, a.c.Messages.BurstCoefficient)
	if !ok {
		return
	}
	b := &a.s.Messages.InterArrival.Burst
	if k, ok := spacingStep(a.s, r); ok {
		a.set(".messages.inter_arrival.burst.spacing_shape", "burst coefficient", &b.SpacingShape, k)
		return
	}
	a.set(".messages.inter_arrival.burst.continue_probability", "burst coefficient", &b.ContinueProbability,
		clamp(fromOdds(odds(clamp(b.ContinueProbability, 0.01, 0.95))*r), 0.01, 0.95))
}

// spacingStep returns the burst spacing shape κ' that moves the burst coefficient by
// the factor r (target/observed): a Newton step in ln κ, κ' = κ · r^(1/e), where
// e = d ln CV / d ln κ is the elasticity of fit.ChainCV at κ for s's count model, heavy
// rooms, η, g and window (central difference over κ·e^±0.05), the step kept within a
// factor of 10 and κ' within [fit.MinSpacingShape, fit.MaxSpacingShape]. ok is false
// when κ cannot move that way (it sits at the bound, or the chain's CV does not answer
// to κ, or the spec uses the renewal start model, where κ plays no part), so that the
// caller falls back to the continue probability.
func spacingStep(s *spec.Spec, r float64) (float64, bool) {
	b := s.Messages.InterArrival.Burst
	cm, hr := s.Messages.PerConversationDistribution, s.Conversations.HeavyRooms
	if b.Start() != spec.StartModelWindowSpacing || b.SpacingShape <= 0 || s.Window.Days <= 0 || cm.Distribution == "" {
		return 0, false
	}
	m := cm.Law()
	h := dist.NewHeavyShare(m, hr.Percentage)
	cv := func(k float64) float64 {
		return fit.ChainCV(m, h, hr.Multiplier, b.ContinueProbability, b.MeanGapSeconds, k, float64(s.Window.Days)*86400)
	}
	const d = 0.05
	e := math.Log(cv(b.SpacingShape*math.Exp(d))/cv(b.SpacingShape*math.Exp(-d))) / (2 * d)
	if !(e < -1e-3) { // CV falls as κ grows; a flat or NaN elasticity gives no step
		return 0, false
	}
	step := clamp(math.Log(r)/e, -math.Ln10, math.Ln10)
	k := clamp(b.SpacingShape*math.Exp(step), fit.MinSpacingShape, fit.MaxSpacingShape)
	if math.Abs(math.Log(k/b.SpacingShape)) < 1e-9 {
		return 0, false
	}
	return k, true
}

// smallGroupExcess is the mean member count above 3 of the conversations with 3–20
// members, from the member-count histogram (a bucket counts at its lower bound).
func smallGroupExcess(h shape.Histogram) (float64, bool) {
	var n, s float64
	for _, x := range h {
		if x.Lo >= 3 && x.Lo <= 20 {
			n += float64(x.Count)
			s += float64(x.Count) * (x.Lo - 3)
		}
	}
	if n == 0 || s == 0 {
		return 0, false
	}
	return s / n, true
}

func (a *adjuster) sizes() {
	if !a.missed["conversation_sizes.ks"] {
		return
	}
	tb, ok1 := smallGroupExcess(a.b.Conversations.MemberCountHistogram)
	tc, ok2 := smallGroupExcess(a.c.Conversations.MemberCountHistogram)
	if !ok1 || !ok2 {
		return
	}
	sg := &a.s.Conversations.SmallGroup
	ex := (1 - sg.P) / sg.P * tb / tc
	a.set(".conversations.small_group.p", "conversation sizes", &sg.P, clamp(1/(1+ex), 0.01, 1))
}
