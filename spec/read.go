package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"

	"github.com/pgshape/pgshape/shape"
)

// ErrInvalid marks a spec that cannot drive the generator; the message names the JSON
// path of the first problem.
var ErrInvalid = errors.New("invalid distribution spec")

// MaxCountXMax bounds messages.per_conversation_distribution.x_max: the generator
// tabulates the count model's distribution up to x_max.
const MaxCountXMax = 10_000_000

// mixTolerance is how far a mix may sum away from 1.
const mixTolerance = 1e-6

// Parse decodes and checks a spec. Unknown fields are rejected, so a typo in a key is
// named instead of silently read as zero.
func Parse(data []byte) (*Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalid)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// ReadFile reads and checks a spec from path.
func ReadFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading distribution spec %s: %w", path, err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// SHA256 returns the hex SHA-256 of the spec's canonical JSON (encoding/json of the
// struct), so a spec read from a file and the same spec built in memory hash alike.
func (s *Spec) SHA256() string {
	data, err := json.Marshal(s)
	if err != nil {
		panic("spec: cannot encode a spec: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Validate checks everything the generator relies on; the error names the JSON path.
func (s *Spec) Validate() error {
	v := &validator{}
	v.check(s)
	return v.err
}

type validator struct{ err error }

func (v *validator) fail(path, format string, a ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%w: %s %s", ErrInvalid, path, fmt.Sprintf(format, a...))
	}
}

// member is the JSON path of key in the object at path: .key for an identifier, else
// ["key"] quoted, so that a key holding a newline or a quote keeps the error one line.
func member(path, key string) string {
	if reIdent.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

var reIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fraction: x in [0, 1].
func (v *validator) fraction(path string, x float64) {
	if !finite(x) || x < 0 || x > 1 {
		v.fail(path, "is %g, want a fraction in [0, 1]", x)
	}
}

// positive: x > 0 and finite.
func (v *validator) positive(path string, x float64) {
	if !finite(x) || x <= 0 {
		v.fail(path, "is %g, want a positive number", x)
	}
}

func (v *validator) nonNegative(path string, x float64) {
	if !finite(x) || x < 0 {
		v.fail(path, "is %g, want a non-negative number", x)
	}
}

func (v *validator) mix(path string, shares map[string]float64) {
	keys := make([]string, 0, len(shares))
	for k := range shares {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sum := 0.0
	for _, k := range keys {
		v.fraction(path+"."+k, shares[k])
		sum += shares[k]
	}
	if v.err == nil && math.Abs(sum-1) > mixTolerance {
		v.fail(path, "sums to %g, want 1 (±%g)", sum, mixTolerance)
	}
}

func (v *validator) histogram(path string, h shape.Histogram) {
	if len(h) == 0 || h.Total() <= 0 {
		v.fail(path, "is empty, want a histogram with a positive total")
		return
	}
	if h[0].Lo < 0 {
		v.fail(path, "has the negative bucket %g, want lower bounds ≥ 0", h[0].Lo)
	}
}

func (v *validator) logNormal(path string, l LogNormal) {
	switch l.Distribution {
	case DistLogNormal:
		if len(l.Components) > 0 {
			v.fail(path+".components", "are set for a %q, want them only with %q", DistLogNormal, DistLogNormalMixture)
		}
	case DistLogNormalMixture:
		if n := len(l.Components); n < 2 || n > 3 {
			v.fail(path+".components", "has %d components, want 2 or 3", n)
		}
		var sum float64
		for i, c := range l.Components {
			cp := fmt.Sprintf("%s.components[%d]", path, i)
			if !(c.Weight > 0 && c.Weight <= 1) {
				v.fail(cp+".weight", "is %g, want a weight in (0, 1]", c.Weight)
			}
			if !finite(c.Mu) {
				v.fail(cp+".mu", "is %g, want a finite number", c.Mu)
			}
			v.positive(cp+".sigma", c.Sigma)
			sum += c.Weight
		}
		if len(l.Components) > 0 && math.Abs(sum-1) > 1e-6 {
			v.fail(path+".components", "have weights summing to %g, want 1", sum)
		}
	default:
		v.fail(path+".distribution", "is %q, want %q or %q", l.Distribution, DistLogNormal, DistLogNormalMixture)
	}
	if !finite(l.Mu) {
		v.fail(path+".mu", "is %g, want a finite number", l.Mu)
	}
	v.positive(path+".sigma", l.Sigma)
	v.nonNegative(path+".max", l.Max)
}

func (v *validator) check(s *Spec) {
	if s.SpecVersion != Version {
		v.fail("$.spec_version", "is %q, this loader reads %q", s.SpecVersion, Version)
		return
	}
	if s.Window.End.IsZero() {
		v.fail("$.window.end", "is missing, want an RFC 3339 time")
	}
	if s.Window.Days <= 0 {
		v.fail("$.window.days", "is %d, want a positive number of days", s.Window.Days)
	}
	if len(s.Bands) == 0 {
		v.fail("$.bands", "is empty, want at least one band (tiny, dev, staging)")
	}
	names := make([]string, 0, len(s.Bands))
	for name := range s.Bands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if s.Bands[name].Messages <= 0 {
			v.fail(member("$.bands", name)+".messages", "is %d, want a positive message count", s.Bands[name].Messages)
		}
	}

	u := s.Users
	v.positive("$.users.per_message", u.PerMessage)
	v.histogram("$.users.username_length", u.UsernameLength)
	v.histogram("$.users.account_age_days", u.AccountAgeDays)

	c := s.Conversations
	v.fraction("$.conversations.inactive_ratio", c.InactiveRatio)
	if v.err == nil && c.InactiveRatio >= 1 {
		v.fail("$.conversations.inactive_ratio", "is %g, want less than 1 (some conversations must be active)", c.InactiveRatio)
	}
	v.mix("$.conversations.type_distribution", map[string]float64{
		"one_to_one": c.TypeDistribution.OneToOne, "small_group": c.TypeDistribution.SmallGroup,
		"large_group": c.TypeDistribution.LargeGroup})
	sg := c.SmallGroup
	if !finite(sg.P) || sg.P <= 0 || sg.P > 1 {
		v.fail("$.conversations.small_group.p", "is %g, want a probability in (0, 1]", sg.P)
	}
	if sg.Min < 1 {
		v.fail("$.conversations.small_group.min", "is %d, want at least 1", sg.Min)
	}
	if sg.Min > sg.Max {
		v.fail("$.conversations.small_group.min", "is %d, above max %d", sg.Min, sg.Max)
	}
	lg := c.LargeGroup
	if !finite(lg.Alpha) || lg.Alpha <= 1 {
		v.fail("$.conversations.large_group.alpha", "is %g, want a number above 1", lg.Alpha)
	}
	if lg.XMin < 1 {
		v.fail("$.conversations.large_group.x_min", "is %d, want at least 1", lg.XMin)
	}
	if lg.XMin > lg.XMax {
		v.fail("$.conversations.large_group.x_min", "is %d, above x_max %d", lg.XMin, lg.XMax)
	}
	h := c.HeavyRooms
	v.fraction("$.conversations.heavy_rooms.percentage", h.Percentage)
	v.fraction("$.conversations.heavy_rooms.traffic_share", h.TrafficShare)
	v.positive("$.conversations.heavy_rooms.multiplier", h.Multiplier)
	if r := c.SizeActivityCorrelation; !finite(r) || r <= -1 || r >= 1 {
		v.fail("$.conversations.size_activity_correlation", "is %g, want a correlation strictly between -1 and 1", r)
	}

	m := s.Messages
	cm := m.PerConversationDistribution
	const cmp = "$.messages.per_conversation_distribution"
	switch cm.Distribution {
	case "power_law":
		if !finite(cm.Alpha) || cm.Alpha <= 1 {
			v.fail(cmp+".alpha", "is %g, want a number above 1", cm.Alpha)
		}
	case "discrete_lognormal", DistShiftedDiscreteLogNormal:
		if !finite(cm.Mu) {
			v.fail(cmp+".mu", "is %g, want a finite number", cm.Mu)
		}
		v.positive(cmp+".sigma", cm.Sigma)
		if cm.Distribution == DistShiftedDiscreteLogNormal && (!finite(cm.Shift) || cm.Shift < 0 || cm.Shift >= float64(cm.XMin)+1) {
			v.fail(cmp+".shift", "is %g, want at least 0 and below x_min + 1 = %d (a larger shift leaves x_min without mass)", cm.Shift, cm.XMin+1)
		}
	default:
		v.fail(cmp+".distribution", "is %q, want \"power_law\", \"discrete_lognormal\" or \"shifted_discrete_lognormal\"", cm.Distribution)
	}
	if cm.XMin < 1 {
		v.fail(cmp+".x_min", "is %d, want at least 1", cm.XMin)
	}
	if cm.XMin > cm.XMax {
		v.fail(cmp+".x_min", "is %d, above x_max %d", cm.XMin, cm.XMax)
	}
	if cm.XMax > MaxCountXMax {
		v.fail(cmp+".x_max", "is %d, want at most %d", cm.XMax, MaxCountXMax)
	}
	v.logNormal("$.messages.content.text_length", m.Content.TextLength)
	v.fraction("$.messages.content.media_ratio", m.Content.MediaRatio)
	ia := m.InterArrival
	v.nonNegative("$.messages.inter_arrival.mean_lambda_peak", ia.MeanLambdaPeak)
	v.nonNegative("$.messages.inter_arrival.mean_lambda_trough", ia.MeanLambdaTrough)
	v.nonNegative("$.messages.inter_arrival.burst_coefficient", ia.BurstCoefficient)
	if ia.Burst.Model != "self_exciting_chain" {
		v.fail("$.messages.inter_arrival.burst.model", "is %q, want \"self_exciting_chain\"", ia.Burst.Model)
	}
	v.fraction("$.messages.inter_arrival.burst.continue_probability", ia.Burst.ContinueProbability)
	if v.err == nil && ia.Burst.ContinueProbability >= 1 {
		v.fail("$.messages.inter_arrival.burst.continue_probability", "is %g, want less than 1 (bursts must end)", ia.Burst.ContinueProbability)
	}
	v.positive("$.messages.inter_arrival.burst.mean_gap_seconds", ia.Burst.MeanGapSeconds)
	v.positive("$.messages.inter_arrival.burst.spacing_shape", ia.Burst.SpacingShape)
	switch ia.Burst.StartModel {
	case "", StartModelWindowSpacing:
	case StartModelRenewal:
		if !finite(ia.Burst.GapMu) {
			v.fail("$.messages.inter_arrival.burst.gap_mu", "is %g, want a finite number", ia.Burst.GapMu)
		}
		v.positive("$.messages.inter_arrival.burst.gap_sigma", ia.Burst.GapSigma)
	default:
		v.fail("$.messages.inter_arrival.burst.start_model", "is %q, want \"window_spacing\" or \"renewal\" (or leave it out for \"window_spacing\")", ia.Burst.StartModel)
	}
	total := 0.0
	for d := range ia.WeekdayHourWeights {
		for hr, w := range ia.WeekdayHourWeights[d] {
			v.nonNegative(fmt.Sprintf("$.messages.inter_arrival.weekday_hour_weights[%d][%d]", d, hr), w)
			total += w
		}
	}
	if v.err == nil && !(total > 0) {
		v.fail("$.messages.inter_arrival.weekday_hour_weights", "are all zero, want a positive weight somewhere")
	}

	r := s.ReadReceipts
	v.fraction("$.read_receipts.read_rate", r.ReadRate)
	v.fraction("$.read_receipts.extra_reader_probability", r.ExtraReaderProbability)
	v.mix("$.read_receipts", map[string]float64{"immediate_share": r.ImmediateShare,
		"near_term_share": r.NearTermShare, "delayed_share": r.DelayedShare})
	v.positive("$.read_receipts.immediate_mean_seconds", r.ImmediateMeanSeconds)
	v.positive("$.read_receipts.near_term_exponential_mean_seconds", r.NearTermMeanSeconds)
	if !finite(r.DelayedMu) {
		v.fail("$.read_receipts.delayed_lognormal_mu", "is %g, want a finite number", r.DelayedMu)
	}
	v.positive("$.read_receipts.delayed_lognormal_sigma", r.DelayedSigma)
	for i, rb := range r.ByMemberCount {
		path := fmt.Sprintf("$.read_receipts.by_member_count[%d]", i)
		if rb.MinMembers < 0 {
			v.fail(path+".min_members", "is %d, want a member count ≥ 0", rb.MinMembers)
		}
		if i > 0 && rb.MinMembers <= r.ByMemberCount[i-1].MinMembers {
			v.fail(path+".min_members", "is %d, want more than the previous bucket's %d (ascending)", rb.MinMembers, r.ByMemberCount[i-1].MinMembers)
		}
		if rb.ReadRate != nil {
			v.fraction(path+".read_rate", *rb.ReadRate)
		}
		if x := rb.ReceiptsPerReadMessage; x != nil && !(*x >= 1 && finite(*x)) {
			v.fail(path+".receipts_per_read_message", "is %g, want a finite mean ≥ 1 (a read message has at least one receipt)", *x)
		}
	}

	a := s.Attachments
	known := map[string]bool{}
	for _, t := range shape.AttachmentTypes {
		known[t] = true
	}
	for k := range a.TypeDistribution {
		if !known[k] {
			v.fail(member("$.attachments.type_distribution", k), "is not an attachment type, want one of %v", shape.AttachmentTypes)
		}
	}
	v.mix("$.attachments.type_distribution", a.TypeDistribution)
	v.logNormal("$.attachments.size_bytes", a.SizeBytes)
	if !finite(a.PerMediaMessage) || a.PerMediaMessage < 1 {
		v.fail("$.attachments.per_media_message", "is %g, want at least 1", a.PerMediaMessage)
	}
	v.ranges(s)
}
