// Package spec owns the distribution spec: what `loader fit` writes and `loader
// generate` reads (no jq step in between). The JSON keeps the guide's paths
// (.conversations.type_distribution, .messages.per_conversation_distribution.alpha,
// .messages.content.text_length.mu, .messages.inter_arrival.mean_lambda_peak,
// .conversations.heavy_rooms.percentage …) so the guide's jq one-liners still work.
package spec

import (
	"math"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/shape"
)

// Version is the spec_version this code reads and writes.
const Version = "1"

// Spec is a generator configuration.
type Spec struct {
	SpecVersion string `json:"spec_version"`
	// Source names what the spec was fitted from ("default" for the shipped Path B
	// spec, else the shape document's file name).
	Source string `json:"source"`
	// Window: generated timestamps fall in [End − Days, End).
	Window        Window          `json:"window"`
	Bands         map[string]Band `json:"bands"`
	Users         Users           `json:"users"`
	Conversations Conversations   `json:"conversations"`
	Messages      Messages        `json:"messages"`
	ReadReceipts  ReadReceipts    `json:"read_receipts"`
	Attachments   Attachments     `json:"attachments"`
	// Warnings records families that fell back to the default, and why.
	Warnings []string `json:"warnings,omitempty"`
}

// Window is the time window of the generated data.
type Window struct {
	End  time.Time `json:"end"`
	Days int       `json:"days"`
}

// Band is a dataset size; the other tables scale from the message count.
type Band struct {
	Messages int64 `json:"messages"`
}

// Users describes the users table.
type Users struct {
	// PerMessage is users per window message (baseline users.total_count /
	// messages.total_count).
	PerMessage float64 `json:"per_message"`
	// UsernameLength and AccountAgeDays are sampled from the baseline histograms,
	// uniformly within a bucket (they are descriptive, not fitted).
	UsernameLength shape.Histogram `json:"username_length"`
	AccountAgeDays shape.Histogram `json:"account_age_days"`
	// Membership, when present, draws each conversation's members by a per-user
	// propensity (Membership); absent, members are drawn uniformly.
	Membership *Membership `json:"membership,omitempty"`
	// Activity, when present, draws each message's sender by propensity among the
	// members (Activity); absent, uniformly among the members joined by then.
	Activity *Activity `json:"activity,omitempty"`
}

// TypeMix is the conversation type mix; shares sum to 1.
type TypeMix struct {
	OneToOne   float64 `json:"one_to_one"`
	SmallGroup float64 `json:"small_group"`
	LargeGroup float64 `json:"large_group"`
}

// TruncatedGeometric is P(X = x) ∝ (1−P)^(x−Min) on Min…Max (dist.TruncatedGeometric).
type TruncatedGeometric struct {
	P   float64 `json:"p"`
	Min int     `json:"min"`
	Max int     `json:"max"`
}

// Law returns the law the parameters give.
func (g TruncatedGeometric) Law() dist.TruncatedGeometric {
	return dist.TruncatedGeometric{P: g.P, Min: g.Min, Max: g.Max}
}

// PowerLaw is the discrete power law P(X = x) ∝ x^(−Alpha) on XMin…XMax (dist.PowerLaw).
type PowerLaw struct {
	Alpha float64 `json:"alpha"`
	XMin  int     `json:"x_min"`
	XMax  int     `json:"x_max"`
}

// Law returns the law the parameters give.
func (p PowerLaw) Law() dist.PowerLaw {
	return dist.PowerLaw{Alpha: p.Alpha, XMin: p.XMin, XMax: p.XMax}
}

// HeavyRooms: the busiest Percentage of active conversations carry TrafficShare of
// the messages. The generator scales those conversations' excess over the count
// model's (1 − Percentage) quantile Q by Multiplier: a count n > Q becomes
// Q + Multiplier·(n − Q) (dist.HeavyCount), so Q and every count below it stay the model's. fit solves
// Multiplier so that the model's share equals TrafficShare (1 means the fitted model
// already carries it).
type HeavyRooms struct {
	Percentage   float64 `json:"percentage"`
	TrafficShare float64 `json:"traffic_share"`
	Multiplier   float64 `json:"multiplier"`
}

// Conversations describes conversations and their members.
type Conversations struct {
	// InactiveRatio is the share of conversations without a message in the window.
	InactiveRatio    float64            `json:"inactive_ratio"`
	TypeDistribution TypeMix            `json:"type_distribution"`
	SmallGroup       TruncatedGeometric `json:"small_group"`
	LargeGroup       PowerLaw           `json:"large_group"`
	HeavyRooms       HeavyRooms         `json:"heavy_rooms"`
	// SizeActivityCorrelation is the correlation ρ of a Gaussian copula between a
	// conversation's member count and its window activity (message count, 0 for an
	// inactive one): the polychoric correlation of the export's
	// size_activity_histogram. 0 (the default, and what a spec without the key reads
	// as) draws them independently; ρ > 0 makes bigger rooms busier.
	SizeActivityCorrelation float64 `json:"size_activity_correlation"`
	// FewMembers, when present, gives the shares of all conversations with no member
	// and with one (the type mix is then over the others, as the export gives it:
	// type_distribution is over conversations with two members or more). Absent (specs
	// written before it) is none: every conversation has two members or more.
	FewMembers *FewMembers `json:"few_members,omitempty"`
}

// FewMembers are the shares of conversations with no member (None: everyone left, or,
// where rosters are a thread's posters, a thread with no message) and with one (One:
// notes to self, or a thread only its starter wrote in). In the generator they take
// the bottom of the size scale, so the size–activity copula gives them the least
// active conversations; one with a message in the window that draws no member gets
// one, its sender.
type FewMembers struct {
	None float64 `json:"none"`
	One  float64 `json:"one"`
}

// CountModel is the messages-per-active-conversation model: "power_law" (Alpha, on
// XMin…XMax), "discrete_lognormal" (P(X = x) ∝ the log-normal(Mu, Sigma) mass of
// [x, x+1), on XMin…XMax) or "shifted_discrete_lognormal" (X = ⌊Shift + Y⌋, Y
// log-normal(Mu, Sigma), on XMin…XMax; 0 ≤ Shift < XMin + 1). A spec written before
// the shifted law reads unchanged: Shift is absent and unused by the other two.
type CountModel struct {
	Distribution string  `json:"distribution"`
	Alpha        float64 `json:"alpha,omitempty"`
	Mu           float64 `json:"mu,omitempty"`
	Sigma        float64 `json:"sigma,omitempty"`
	Shift        float64 `json:"shift,omitempty"`
	XMin         int     `json:"x_min"`
	XMax         int     `json:"x_max"`
}

// Distribution names of CountModel.
const (
	DistPowerLaw                 = "power_law"
	DistDiscreteLogNormal        = "discrete_lognormal"
	DistShiftedDiscreteLogNormal = "shifted_discrete_lognormal"
)

// Law returns the law the model names: dist.PowerLaw for "power_law",
// dist.ShiftedDiscreteLogNormal for "shifted_discrete_lognormal", else (Validate
// allows only the three) dist.DiscreteLogNormal.
func (c CountModel) Law() dist.Discrete {
	switch c.Distribution {
	case DistPowerLaw:
		return dist.PowerLaw{Alpha: c.Alpha, XMin: c.XMin, XMax: c.XMax}
	case DistShiftedDiscreteLogNormal:
		return dist.ShiftedDiscreteLogNormal{Mu: c.Mu, Sigma: c.Sigma, Shift: c.Shift, XMin: c.XMin, XMax: c.XMax}
	}
	return dist.DiscreteLogNormal{Mu: c.Mu, Sigma: c.Sigma, XMin: c.XMin, XMax: c.XMax}
}

// LogNormal is a continuous log-normal: ln X ~ N(Mu, Sigma²), capped at Max when Max > 0.
// With Distribution "log_normal_mixture" X is drawn from Components instead (one
// component chosen by weight, then its log-normal), and Mu, Sigma summarise the mixture
// (the mean and standard deviation of ln X).
type LogNormal struct {
	Distribution string               `json:"distribution"` // "log_normal" or "log_normal_mixture"
	Mu           float64              `json:"mu"`
	Sigma        float64              `json:"sigma"`
	Max          float64              `json:"max,omitempty"`
	Components   []LogNormalComponent `json:"components,omitempty"`
}

// Distribution names of LogNormal.
const (
	DistLogNormal        = "log_normal"
	DistLogNormalMixture = "log_normal_mixture"
)

// LogNormalComponent is one component of a log-normal mixture: with probability Weight,
// ln X ~ N(Mu, Sigma²).
type LogNormalComponent struct {
	Weight float64 `json:"weight"`
	Mu     float64 `json:"mu"`
	Sigma  float64 `json:"sigma"`
}

// Mixture returns the components X is drawn from: Components for a mixture, else the
// one log-normal (Mu, Sigma) with weight 1.
func (l LogNormal) Mixture() []LogNormalComponent {
	if l.Distribution == DistLogNormalMixture {
		return l.Components
	}
	return []LogNormalComponent{{Weight: 1, Mu: l.Mu, Sigma: l.Sigma}}
}

// Content describes message content.
type Content struct {
	// TextLength is the character count of non-NULL content (rounded down).
	TextLength LogNormal `json:"text_length"`
	// MediaRatio is the share of messages with a media kind (and NULL content).
	MediaRatio float64 `json:"media_ratio"`
}

// Burst is the self-exciting chain process of a conversation's messages: a message is
// followed within its burst with probability ContinueProbability, after an
// exponential gap of mean MeanGapSeconds (log-normal of that mean with InGapSigma > 0);
// otherwise the next message opens a new
// burst. Burst sizes are geometric with mean 1 / (1 − ContinueProbability).
//
// The B burst starts of a conversation are placed on its part of the window in
// operational time (the time scale in which the weekday × hour profile is flat),
// so that each start alone follows the profile, by StartModel:
//
//   - "window_spacing" (StartModelWindowSpacing): the spacings are Dirichlet(κ, …, κ)
//     with κ = SpacingShape (normalised Gamma(κ, 1) draws), turned by a uniform
//     circular offset, so the B bursts always span the window. κ = 1 is B independent
//     starts; κ > 1 spreads bursts more evenly (a lower burst coefficient), κ < 1
//     clumps them (a higher one).
//   - "renewal" (StartModelRenewal): each next burst starts a log-normal(GapMu,
//     GapSigma) number of seconds after the previous burst's last message (one
//     operational second is one real second on average over the window). The chain is
//     the conversation's lifetime and its activity stays inside it, never spread to
//     the window's end: a chain that fits its interval is shifted uniformly within
//     it (the first message then follows the profile); a longer one (a busy room) is
//     compressed to the interval, its gaps between bursts scaled by the one factor
//     that makes it span the interval (every gap by 1/span when its bursts alone take
//     half of it or more). Gaps between bursts keep their own scale whatever the
//     room's traffic, until a room has more bursts than its interval holds.
//
// fit chooses the start model of a version-2 shape document by the binned likelihood
// of the exported gap and lifetime histograms (fit.StartModelFit), of a version-1 one by
// the burst coefficient.
type Burst struct {
	Model               string  `json:"model"` // "self_exciting_chain"
	ContinueProbability float64 `json:"continue_probability"`
	MeanGapSeconds      float64 `json:"mean_gap_seconds"`
	// StartModel is "window_spacing" or "renewal"; optional: a spec without it (written
	// before it existed) is read as "window_spacing" (see Start).
	StartModel string `json:"start_model,omitempty"`
	// SpacingShape is κ, the Dirichlet shape of the spacings of burst starts
	// (required, positive; 1 = independent starts). Used by "window_spacing".
	SpacingShape float64 `json:"spacing_shape"`
	// GapMu and GapSigma are the log-normal of the gaps between bursts, over seconds:
	// used by "renewal", which requires GapMu finite and GapSigma > 0.
	GapMu    float64 `json:"gap_mu,omitempty"`
	GapSigma float64 `json:"gap_sigma,omitempty"`
	// Lifetime is optional and used by "renewal" only: the law of a conversation's
	// lifetime (first to last message) given its message count. With it, each chain of
	// n ≥ 2 messages is stretched or compressed to span a lifetime drawn from it, so
	// lifetimes grow less than in proportion to the count (busy threads talk faster);
	// without it (every spec written before it existed) the chain's own span is the
	// lifetime.
	Lifetime *BurstLifetime `json:"lifetime,omitempty"`
	// InGapSigma is optional: σ of log-normal in-burst gaps of the same mean
	// MeanGapSeconds g, ln gap ~ N(ln g − σ²/2, σ²) (people need seconds to type:
	// fewer near-zero gaps than the exponential). 0 or absent (every spec written
	// before it existed) keeps the exponential. At most MaxInGapSigma.
	InGapSigma float64 `json:"in_gap_sigma,omitempty"`
}

// InGapMu returns μ of the log-normal in-burst gap of mean g and σ = sigma (the units
// of g): ln g − σ²/2, so that e^(μ + σ²/2) = g.
func InGapMu(g, sigma float64) float64 { return math.Log(g) - sigma*sigma/2 }

// BurstLifetime is the log-normal law of a conversation's lifetime L (seconds) given
// its message count n ≥ 2:
//
//	ln L = Mu + CountSlope·ln(n − 1) + Sigma·Z,  Z ~ N(0, 1)
//
// so e^Mu is the median lifetime of a two-message conversation and CountSlope the
// elasticity of the lifetime in the number of gaps (1: gaps keep their size however
// busy the thread; below 1: busier threads have shorter gaps).
type BurstLifetime struct {
	Mu         float64 `json:"mu"`
	Sigma      float64 `json:"sigma"`
	CountSlope float64 `json:"count_slope"`
}

// StretchChain returns the factors that make a renewal chain whose bursts last inb in
// all, with gaps between them summing to between, span exactly l: a for the gaps
// between bursts and b for the bursts (and their messages' offsets). The gaps between
// bursts share what the bursts leave of l (a = (l − inb)/between, b = 1) while the
// bursts take less than half of l; otherwise, or with a single burst, everything is
// scaled by l/span. A chain of simultaneous messages stays as it is. The generator
// applies it and fit predicts with it, so both read the rule from here.
func StretchChain(inb, between, l float64) (a, b float64) {
	switch span := inb + between; {
	case !(span > 0):
		return 1, 1
	case between > 0 && inb < l/2:
		return (l - inb) / between, 1
	default:
		return l / span, l / span
	}
}

// CompressChain returns the factors that fit the same chain into an interval of
// length w: (1, 1) when it already fits (inb + between < w), else StretchChain's to
// span w.
func CompressChain(inb, between, w float64) (a, b float64) {
	if inb+between < w {
		return 1, 1
	}
	return StretchChain(inb, between, w)
}

// Burst start models (Burst.StartModel).
const (
	StartModelWindowSpacing = "window_spacing"
	StartModelRenewal       = "renewal"
)

// Start returns the start model in force: StartModel, or "window_spacing" when empty.
func (b Burst) Start() string {
	if b.StartModel == "" {
		return StartModelWindowSpacing
	}
	return b.StartModel
}

// InterArrival describes timing. MeanLambdaPeak and MeanLambdaTrough are the guide's
// fields (messages per second at the busiest and quietest hour of the baseline);
// WeekdayHourWeights is the relative rate by ISO weekday (0 = Monday) and UTC hour.
type InterArrival struct {
	MeanLambdaPeak     float64        `json:"mean_lambda_peak"`
	MeanLambdaTrough   float64        `json:"mean_lambda_trough"`
	BurstCoefficient   float64        `json:"burst_coefficient"`
	Burst              Burst          `json:"burst"`
	WeekdayHourWeights [7][24]float64 `json:"weekday_hour_weights"`
}

// Messages describes messages.
type Messages struct {
	PerConversationDistribution CountModel   `json:"per_conversation_distribution"`
	Content                     Content      `json:"content"`
	InterArrival                InterArrival `json:"inter_arrival"`
}

// ReadReceipts describes read receipts. A message is read with probability ReadRate;
// a read message gets one receipt from a non-sender member, and each further
// non-sender member reads it with probability ExtraReaderProbability. Each delay is
// drawn from the three-part mixture: immediate (exponential, mean
// ImmediateMeanSeconds), near-term (exponential, mean NearTermMeanSeconds) and
// delayed (log-normal over seconds, DelayedMu, DelayedSigma).
type ReadReceipts struct {
	ReadRate               float64 `json:"read_rate"`
	ExtraReaderProbability float64 `json:"extra_reader_probability"`
	ImmediateShare         float64 `json:"immediate_share"`
	ImmediateMeanSeconds   float64 `json:"immediate_mean_seconds"`
	NearTermShare          float64 `json:"near_term_share"`
	NearTermMeanSeconds    float64 `json:"near_term_exponential_mean_seconds"`
	DelayedShare           float64 `json:"delayed_share"`
	DelayedMu              float64 `json:"delayed_lognormal_mu"`
	DelayedSigma           float64 `json:"delayed_lognormal_sigma"`
	// ByMemberCount, when present, sets the read rate and the readers per read message
	// by the conversation's member count, ascending by MinMembers: a conversation uses
	// the last bucket whose MinMembers it reaches. A null value falls back to ReadRate
	// and ExtraReaderProbability. See ReaderBucket.
	ByMemberCount []ReaderBucket `json:"by_member_count,omitempty"`
}

// ReaderBucket is the read law of conversations with at least MinMembers members. A
// message is read with probability ReadRate; a read message gets one receipt and
// each further candidate reader (the members who had joined by then, less the sender
// and the first reader, c of them) reads it with probability
// min(1, (ReceiptsPerReadMessage − 1) / c), so a read message has
// ReceiptsPerReadMessage receipts on average wherever c allows.
type ReaderBucket struct {
	MinMembers             int      `json:"min_members"`
	ReadRate               *float64 `json:"read_rate"`
	ReceiptsPerReadMessage *float64 `json:"receipts_per_read_message"`
}

// Attachments describes attachments of media messages.
type Attachments struct {
	// TypeDistribution over shape.AttachmentTypes; shares sum to 1. A media message's
	// media_kind is the type of its first attachment.
	TypeDistribution map[string]float64 `json:"type_distribution"`
	// SizeBytes is the attachment size model.
	SizeBytes LogNormal `json:"size_bytes"`
	// PerMediaMessage is the mean number of attachments of a media message (≥ 1).
	PerMediaMessage float64 `json:"per_media_message"`
}
