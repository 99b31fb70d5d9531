package spec

import (
	"fmt"
	"sort"
	"time"

	"github.com/pgshape/pgshape/shape"
)

// Sane ranges of the spec's fields. A value outside its range is refused by Validate
// with one line naming the JSON path, the value and the range. Each bound says what it
// protects: the generator tabulates, allocates or loops over some of these values, adds
// others to int64 microsecond timestamps, and the rest are kept to what a chat
// service can plausibly show, so that a typo (an extra three zeros) is caught before a
// load runs for hours. docs/generate.md has the same table.
const (
	// MaxMessages bounds a band's message count (and generate's Messages override).
	// Ids are int64 and timestamps microseconds, both far from overflow at 10¹⁰; the
	// limit is time and disk: at the measured ≈ 1.5 µs and ≈ 300 bytes per row of
	// every table, 10¹⁰ messages is about 3 TB and a day of loading. Shard beyond it.
	MaxMessages int64 = 10_000_000_000

	// MaxWindowDays bounds window.days (10 years): the generator tabulates the
	// weekday × hour profile with one entry per hour of the window (MaxWindowDays·24
	// entries), and days·86 400·10⁶ µs must stay an int64.
	MaxWindowDays = 3660

	// MaxGroupSize bounds small_group.max, large_group.x_max, by_member_count's
	// min_members and receipts_per_read_message: the generator tabulates a size
	// distribution up to the largest size, and a member list of that size is held per
	// worker.
	MaxGroupSize = 1_000_000

	// MaxConversationMessages bounds the busiest conversation, x_min +
	// heavy_rooms.multiplier·(x_max − x_min) messages (the count model's x_max alone
	// when the multiplier is below 1): a worker holds about 24 bytes per message of the
	// conversation it is generating (times, senders, burst spacings).
	MaxConversationMessages = MaxCountXMax

	// MaxHeavyMultiplier bounds heavy_rooms.multiplier: with MaxConversationMessages
	// it keeps a stratified message total (≤ conversations × busiest conversation) far
	// from int64 overflow.
	MaxHeavyMultiplier = 1000.0

	// MaxInactiveRatio bounds conversations.inactive_ratio: C = A / (1 − ratio)
	// conversations, so 0.999 is already a thousand conversations per active one.
	MaxInactiveRatio = 0.999

	// MaxUsersPerMessage bounds users.per_message: a service with a thousand users per
	// message of the window is not a chat service worth shaping.
	MaxUsersPerMessage = 1000.0

	// MaxAttachmentsPerMediaMessage bounds attachments.per_media_message: a media
	// message draws 1 + Poisson(per_media_message − 1) attachments, held in memory.
	MaxAttachmentsPerMediaMessage = 100.0

	// MaxTextLength bounds messages.content.text_length.max (characters): texts are
	// slices of the generator's 1 MiB pseudo-word buffer, so no text is longer.
	MaxTextLength = 1 << 20

	// MaxAttachmentBytes bounds attachments.size_bytes.max (1 PB).
	MaxAttachmentBytes = 1e15

	// MaxUsernameLength bounds the bucket bounds of users.username_length: a username
	// is built one character at a time.
	MaxUsernameLength = 255

	// MaxAccountAgeDays bounds the bucket bounds of users.account_age_days (100
	// years; the open last bucket reaches 1.25 × its bound): created_at = window end −
	// age must stay a timestamp the generator computes with time.Duration.
	MaxAccountAgeDays = 36_500

	// MaxHistogramTotal bounds the sum of a histogram's counts, so that it is an exact
	// float64 and an int64 sum cannot wrap.
	MaxHistogramTotal = 1 << 53

	// MaxAlpha bounds a power law's exponent: beyond it the law is a point mass at
	// x_min and x^(−α) underflows.
	MaxAlpha = 20.0

	// MaxSigma bounds every log-normal σ (over the natural log).
	MaxSigma = 10.0

	// MinLogMu and MaxLogMu bound the μ of the count model, the read-delay and gap
	// log-normals (ln seconds or ln messages): e^40 ≈ 2·10¹⁷ is past every
	// int64 microsecond duration. A renewal gap_mu large against the window is still
	// valid: the generator compresses a chain longer than its interval to it (the
	// conversation's activity stays inside its lifetime), it never wraps it.
	MinLogMu = -20.0
	MaxLogMu = 40.0

	// MaxTextMu bounds text_length.mu: e^14 ≈ 1.2 M characters, a median past the
	// 1 MiB the generator can write.
	MaxTextMu = 14.0

	// MaxSizeMu bounds size_bytes.mu: e^35 ≈ 1.6·10¹⁵ bytes, past MaxAttachmentBytes.
	MaxSizeMu = 35.0

	// MaxMeanGapSeconds bounds burst.mean_gap_seconds (a day): a gap within a burst
	// longer than that is not a burst, and the exponential draws times it must stay
	// int64 microseconds.
	MaxMeanGapSeconds = 86_400.0

	// MaxLifetimeCountSlope bounds |burst.lifetime.count_slope|: at 3 a thread of 10⁴
	// gaps already lives 10¹² times longer than one of a single gap.
	MaxLifetimeCountSlope = 3.0

	// MaxInGapSigma bounds burst.in_gap_sigma: at σ = 3 half the in-burst gaps are
	// below e^(−4.5) ≈ 1 % of their mean, as clumped as a burst can sensibly be.
	MaxInGapSigma = 3.0

	// MinSpacingShape and MaxSpacingShape bound burst.spacing_shape κ (fit searches
	// [0.05, 50]).
	MinSpacingShape = 1e-3
	MaxSpacingShape = 1e3

	// MaxDelaySeconds bounds the read-delay means (about 3 years).
	MaxDelaySeconds = 1e8

	// MaxHourWeight bounds each weekday × hour weight (they are relative rates; 168 of
	// them must sum to a finite number).
	MaxHourWeight = 1e6

	// MaxLambda bounds mean_lambda_peak and mean_lambda_trough (messages per second;
	// descriptive, not used by the generator) and MaxBurstCoefficient the burst
	// coefficient (a coefficient of variation; fit's target).
	MaxLambda           = 1e9
	MaxBurstCoefficient = 1e3

	// MaxReaderBuckets bounds the length of read_receipts.by_member_count: every
	// conversation walks it.
	MaxReaderBuckets = 1000
)

// MinWindowEnd and MaxWindowEnd bound window.end: timestamps are microseconds from
// 2000-01-01 and the generator turns them into wall-clock times with time.Duration,
// which reaches ±292 years; the window, conversations up to 180 days before it and
// account ages up to MaxAccountAgeDays·1.25 must fit inside.
var (
	MinWindowEnd = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxWindowEnd = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// intIn fails unless lo ≤ x ≤ hi.
func (v *validator) intIn(path string, x, lo, hi int64, why string) {
	if x < lo || x > hi {
		v.fail(path, "is %d, want %d to %d (%s)", x, lo, hi, why)
	}
}

// floatIn fails unless x is finite and lo ≤ x ≤ hi (lo < x when open).
func (v *validator) floatIn(path string, x, lo, hi float64, open bool, why string) {
	if !finite(x) || x > hi || x < lo || (open && x == lo) {
		bracket := "["
		if open {
			bracket = "("
		}
		v.fail(path, "is %g, want %s%g, %g] (%s)", x, bracket, lo, hi, why)
	}
}

// ranges checks every field against its sane range (the constants above). It runs
// after the structural checks of check, so a missing or negative value keeps its more
// specific message.
func (v *validator) ranges(s *Spec) {
	if e := s.Window.End; !e.IsZero() && (e.Before(MinWindowEnd) || e.After(MaxWindowEnd)) {
		v.fail("$.window.end", "is %s, want %s to %s (timestamps are computed as µs from 2000 with time.Duration)",
			e.Format(time.RFC3339), MinWindowEnd.Format(time.RFC3339), MaxWindowEnd.Format(time.RFC3339))
	}
	v.intIn("$.window.days", int64(s.Window.Days), 1, MaxWindowDays, "the profile is tabulated per hour of the window")
	for _, name := range sortedKeys(s.Bands) {
		v.intIn("$.bands."+name+".messages", s.Bands[name].Messages, 1, MaxMessages, "about 3 TB and a day of loading at the top; shard beyond it")
	}

	u := s.Users
	v.floatIn("$.users.per_message", u.PerMessage, 0, MaxUsersPerMessage, true, "users per message of the window")
	v.histogramRange("$.users.username_length", u.UsernameLength, MaxUsernameLength)
	v.histogramRange("$.users.account_age_days", u.AccountAgeDays, MaxAccountAgeDays)
	v.people(u)

	c := s.Conversations
	v.floatIn("$.conversations.inactive_ratio", c.InactiveRatio, 0, MaxInactiveRatio, false, "conversations = active / (1 − ratio)")
	if f := c.FewMembers; f != nil {
		v.floatIn("$.conversations.few_members.none", f.None, 0, 0.99, false, "a share of conversations; some must have two members or more")
		v.floatIn("$.conversations.few_members.one", f.One, 0, 0.99-f.None, false, "a share of conversations; with none, some must have two members or more")
	}
	v.intIn("$.conversations.small_group.max", int64(c.SmallGroup.Max), int64(c.SmallGroup.Min), MaxGroupSize, "group sizes are tabulated up to max")
	v.floatIn("$.conversations.large_group.alpha", c.LargeGroup.Alpha, 1, MaxAlpha, true, "a power law's exponent")
	v.intIn("$.conversations.large_group.x_max", int64(c.LargeGroup.XMax), int64(c.LargeGroup.XMin), MaxGroupSize, "group sizes are tabulated up to x_max")
	v.floatIn("$.conversations.heavy_rooms.multiplier", c.HeavyRooms.Multiplier, 0, MaxHeavyMultiplier, true, "the heavy rooms' excess is scaled by it")

	cm := s.Messages.PerConversationDistribution
	const cmp = "$.messages.per_conversation_distribution"
	switch cm.Distribution {
	case "power_law":
		v.floatIn(cmp+".alpha", cm.Alpha, 1, MaxAlpha, true, "a power law's exponent")
	case "discrete_lognormal", DistShiftedDiscreteLogNormal:
		v.floatIn(cmp+".mu", cm.Mu, MinLogMu, MaxLogMu, false, "ln messages")
		v.floatIn(cmp+".sigma", cm.Sigma, 0, MaxSigma, true, "over ln messages")
	}
	// shift (shifted_discrete_lognormal) needs no range of its own: check holds it in
	// [0, x_min + 1), and x_min ≤ x_max ≤ MaxCountXMax.
	if v.err == nil {
		// The busiest conversation: the heavy-room scaling of x_max around the pivot q
		// ≥ x_min is largest at q = x_min when the multiplier is above 1.
		busiest := float64(cm.XMax)
		if m := c.HeavyRooms.Multiplier; m > 1 {
			busiest = float64(cm.XMin) + m*float64(cm.XMax-cm.XMin)
		}
		if busiest > MaxConversationMessages {
			v.fail("$.conversations.heavy_rooms.multiplier", "is %g: with %s.x_max %d the busiest conversation gets up to %.4g messages, want at most %d (a worker holds every message time of a conversation): lower the multiplier or x_max",
				c.HeavyRooms.Multiplier, cmp, cm.XMax, busiest, MaxConversationMessages)
		}
	}

	ct := s.Messages.Content
	v.floatIn("$.messages.content.text_length.mu", ct.TextLength.Mu, MinLogMu, MaxTextMu, false, "ln characters")
	v.floatIn("$.messages.content.text_length.sigma", ct.TextLength.Sigma, 0, MaxSigma, true, "over ln characters")
	v.floatIn("$.messages.content.text_length.max", ct.TextLength.Max, 0, MaxTextLength, false, "characters, 0 for no cap: texts are slices of a 1 MiB buffer")

	ia := s.Messages.InterArrival
	const iap = "$.messages.inter_arrival"
	v.floatIn(iap+".mean_lambda_peak", ia.MeanLambdaPeak, 0, MaxLambda, false, "messages per second")
	v.floatIn(iap+".mean_lambda_trough", ia.MeanLambdaTrough, 0, MaxLambda, false, "messages per second")
	v.floatIn(iap+".burst_coefficient", ia.BurstCoefficient, 0, MaxBurstCoefficient, false, "a coefficient of variation")
	v.floatIn(iap+".burst.mean_gap_seconds", ia.Burst.MeanGapSeconds, 0, MaxMeanGapSeconds, true, "seconds between messages of a burst")
	v.floatIn(iap+".burst.in_gap_sigma", ia.Burst.InGapSigma, 0, MaxInGapSigma, false, "over ln seconds; 0 for exponential in-burst gaps")
	v.floatIn(iap+".burst.spacing_shape", ia.Burst.SpacingShape, MinSpacingShape, MaxSpacingShape, false, "a Dirichlet shape")
	if ia.Burst.Start() == StartModelRenewal {
		v.floatIn(iap+".burst.gap_mu", ia.Burst.GapMu, MinLogMu, MaxLogMu, false, "ln seconds")
		v.floatIn(iap+".burst.gap_sigma", ia.Burst.GapSigma, 0, MaxSigma, true, "over ln seconds")
	}
	if l := ia.Burst.Lifetime; l != nil {
		if ia.Burst.Start() != StartModelRenewal {
			v.fail(iap+".burst.lifetime", "is set with start_model %q, want start_model \"renewal\" (or remove lifetime)", ia.Burst.Start())
		}
		v.floatIn(iap+".burst.lifetime.mu", l.Mu, MinLogMu, MaxLogMu, false, "ln seconds")
		v.floatIn(iap+".burst.lifetime.sigma", l.Sigma, 0, MaxSigma, true, "over ln seconds")
		v.floatIn(iap+".burst.lifetime.count_slope", l.CountSlope, -MaxLifetimeCountSlope, MaxLifetimeCountSlope, false, "ln seconds per ln gaps")
	}
	for d := range ia.WeekdayHourWeights {
		for hr, w := range ia.WeekdayHourWeights[d] {
			v.floatIn(fmt.Sprintf("%s.weekday_hour_weights[%d][%d]", iap, d, hr), w, 0, MaxHourWeight, false, "a relative rate")
		}
	}

	r := s.ReadReceipts
	v.floatIn("$.read_receipts.immediate_mean_seconds", r.ImmediateMeanSeconds, 0, MaxDelaySeconds, true, "seconds")
	v.floatIn("$.read_receipts.near_term_exponential_mean_seconds", r.NearTermMeanSeconds, 0, MaxDelaySeconds, true, "seconds")
	v.floatIn("$.read_receipts.delayed_lognormal_mu", r.DelayedMu, MinLogMu, MaxLogMu, false, "ln seconds")
	v.floatIn("$.read_receipts.delayed_lognormal_sigma", r.DelayedSigma, 0, MaxSigma, true, "over ln seconds")
	v.intIn("$.read_receipts.by_member_count", int64(len(r.ByMemberCount)), 0, MaxReaderBuckets, "buckets, walked per conversation")
	for i, rb := range r.ByMemberCount {
		path := fmt.Sprintf("$.read_receipts.by_member_count[%d]", i)
		v.intIn(path+".min_members", int64(rb.MinMembers), 0, MaxGroupSize, "members")
		if x := rb.ReceiptsPerReadMessage; x != nil {
			v.floatIn(path+".receipts_per_read_message", *x, 1, MaxGroupSize, false, "receipts of a read message")
		}
	}

	a := s.Attachments
	v.floatIn("$.attachments.size_bytes.mu", a.SizeBytes.Mu, MinLogMu, MaxSizeMu, false, "ln bytes")
	v.floatIn("$.attachments.size_bytes.sigma", a.SizeBytes.Sigma, 0, MaxSigma, true, "over ln bytes")
	v.floatIn("$.attachments.size_bytes.max", a.SizeBytes.Max, 0, MaxAttachmentBytes, false, "bytes, 0 for no cap")
	v.floatIn("$.attachments.per_media_message", a.PerMediaMessage, 1, MaxAttachmentsPerMediaMessage, false, "attachments of a media message")
}

// histogramRange checks that every bucket bound is in [0, maxBound] and that the
// counts sum to at most MaxHistogramTotal.
func (v *validator) histogramRange(path string, h shape.Histogram, maxBound float64) {
	total := 0.0
	for _, b := range h {
		if b.Lo > maxBound {
			v.fail(path, "has the bucket %g, want bucket bounds from 0 to %g", b.Lo, maxBound)
			return
		}
		total += float64(b.Count)
	}
	if t := total; t > MaxHistogramTotal {
		v.fail(path, "counts sum to %g, want at most %d", t, int64(MaxHistogramTotal))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
