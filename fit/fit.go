package fit

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/stats"
)

// Options configures Fit. The zero value is usable.
type Options struct {
	// Source names the shape document in the report and the spec (default "shape document").
	Source string
	// Now is the report's calibrated_at (default time.Now().UTC()).
	Now time.Time
	// K is the k-anonymity threshold the document was exported with; a null weekday ×
	// hour cell counts as (K−1)/2 messages. At least 2; default (0) shape.DefaultK,
	// 10, the export's default.
	K int
	// HeavyRoomPercentage is the heavy-room share of conversations the spec targets:
	// 0.01, 0.02 or 0.05, matching heavy_room_share's top_1pct, top_2pct, top_5pct.
	// Default (0): the smallest the document publishes, top 1% first. The multiplier
	// scales every count in its set, so over the top 2% it moves the 99th percentile
	// by its own factor, against the exported p99 the count model already matches;
	// over the top 1% it leaves p99 (the set's edge) and everything below alone.
	HeavyRoomPercentage float64
}

// WithDefaults returns a copy with the defaults filled: Source, Now and K.
func (o Options) WithDefaults() Options {
	if o.Source == "" {
		o.Source = "shape document"
	}
	if o.Now.IsZero() {
		o.Now = now()
	}
	if o.K == 0 {
		o.K = shape.DefaultK
	}
	return o
}

// Validate checks the options; it changes nothing.
func (o Options) Validate() error {
	if o.K != 0 {
		if err := shape.CheckK(o.K); err != nil {
			return err
		}
	}
	switch o.HeavyRoomPercentage {
	case 0, 0.01, 0.02, 0.05:
		return nil
	}
	return option.Errorf("HeavyRoomPercentage", "error checking the heavy-room percentage: %g is not one the shape document publishes: pass {} 0.01, 0.02 or 0.05", o.HeavyRoomPercentage)
}

// ErrInput marks a document that cannot be fitted at all (as opposed to a family that
// falls back to the default); the message names the JSON path.
var ErrInput = errors.New("shape document cannot be fitted")

// Family names, as keys of Report.GoodnessOfFit and in warnings.
const (
	FamilyConversationSizes       = "conversation_sizes"
	FamilyMessagesPerConversation = "messages_per_conversation"
	FamilyContentLength           = "content_length"
	FamilyInterArrival            = "inter_arrival"
	FamilyReadTiming              = "read_timing"
	FamilyAttachments             = "attachments"
	FamilyUsers                   = "users"
	FamilyTimeProfile             = "time_profile"
)

// Report is the calibration report: the guide's keys, plus the goodness of fit of every
// fitted family and the warnings.
type Report struct {
	Source              string              `json:"source"`
	CalibratedAt        time.Time           `json:"calibrated_at"`
	ShapeExtractedAt    time.Time           `json:"shape_extracted_at"`
	SampleWindowDays    int                 `json:"sample_window_days"`
	FittedDistributions FittedDistributions `json:"fitted_distributions"`
	FidelityTargets     FidelityTargets     `json:"fidelity_targets"`
	GoodnessOfFit       map[string]*GOF     `json:"goodness_of_fit"`
	// Fallbacks lists the families that took the default spec's values.
	Fallbacks []string `json:"fallbacks"`
	Warnings  []string `json:"warnings"`
	// DPNoise accounts for a differential-privacy document's noise (noise.go); nil for
	// an exact document.
	DPNoise *DPNoise `json:"dp_noise,omitempty"`
}

// FidelityTargets are the guide's tolerances for validation.
type FidelityTargets struct {
	ConversationTypeTolerance float64 `json:"conversation_type_tolerance"`
	MediaRatioTolerance       float64 `json:"media_ratio_tolerance"`
	PercentileTolerance       float64 `json:"percentile_tolerance"`
}

// FittedDistributions keeps the guide's families and keys and adds the fitted
// parameters the generator needs.
type FittedDistributions struct {
	ConversationSizes       ConversationSizes       `json:"conversation_sizes"`
	MessagesPerConversation MessagesPerConversation `json:"messages_per_conversation"`
	ContentLength           ContentLength           `json:"content_length"`
	InterArrival            InterArrival            `json:"inter_arrival"`
	ReadTiming              ReadTiming              `json:"read_timing"`
	Attachments             AttachmentsReport       `json:"attachments"`
	Users                   UsersReport             `json:"users"`
	// People is who takes part (members and senders); empty for a version-1 document.
	People PeopleReport `json:"people"`
}

// ConversationSizes: the type mix and the group-size models.
type ConversationSizes struct {
	TypeMix                 spec.TypeMix `json:"type_mix"`
	SmallGroupGeometricP    float64      `json:"small_group_geometric_p"`
	LargeGroupPowerlawAlpha float64      `json:"large_group_powerlaw_alpha"`
	LargeGroupXMin          int          `json:"large_group_x_min"`
	LargeGroupXMax          int          `json:"large_group_x_max"`
	InactiveRatio           float64      `json:"inactive_ratio"`
	// FewMembers: the shares of conversations with no member and with one, from
	// member_count_histogram's buckets 0 and 1 (absent when both are 0).
	FewMembers  *spec.FewMembers `json:"few_members,omitempty"`
	MeanMembers float64          `json:"mean_members"`
	// SizeActivityCorrelation is the polychoric correlation of
	// size_activity_histogram (member-count bucket × activity bucket, inactive
	// conversations included), the generator's Gaussian-copula ρ; 0 when the table
	// gives none.
	SizeActivityCorrelation float64 `json:"size_activity_correlation"`
}

// HeavyRoomsReport: the heavy-room multiplier and the shares behind it.
type HeavyRoomsReport struct {
	Percentage float64 `json:"percentage"`
	// TrafficShare is the exported share (heavy_room_share.top_*pct).
	TrafficShare float64 `json:"traffic_share"`
	// ModelShare is the fitted model's own share before the multiplier.
	ModelShare float64 `json:"model_share"`
	Multiplier float64 `json:"multiplier"`
	// Quantile is the count above which the multiplier applies.
	Quantile float64 `json:"quantile"`
	// SolvedMultiplier is the multiplier that would make the model's share equal
	// TrafficShare exactly (NaN-free: 0 when none exists or the share is suppressed);
	// Multiplier is 1 instead when TrafficShare lies within SampledShare's band.
	SolvedMultiplier float64 `json:"solved_multiplier"`
	// SampledShare is the sampling distribution of the top share under the fitted law
	// (multiplier 1) at the export's number of active conversations; nil when the
	// share is suppressed or active_count is missing.
	SampledShare *TopShareBand `json:"sampled_share,omitempty"`
}

// MessagesPerConversation: both candidate models, the winner, and its checks.
type MessagesPerConversation struct {
	// Distribution is the winner by BIC ("power_law", "discrete_lognormal" or
	// "shifted_discrete_lognormal").
	Distribution string `json:"distribution"`
	// Alpha is the power-law candidate's exponent (the guide's key).
	Alpha       float64              `json:"alpha"`
	Mu          float64              `json:"mu,omitempty"`
	Sigma       float64              `json:"sigma,omitempty"`
	Shift       float64              `json:"shift,omitempty"`
	XMin        int                  `json:"x_min"`
	XMax        int                  `json:"x_max"`
	ObservedP50 *float64             `json:"observed_p50"`
	ObservedP75 *float64             `json:"observed_p75"`
	ObservedP90 *float64             `json:"observed_p90"`
	ObservedP95 *float64             `json:"observed_p95"`
	ObservedP99 *float64             `json:"observed_p99"`
	Models      map[string]*CountFit `json:"models"`
	// ObservedMean is messages.total_count / conversations.active_count; ModelMean is
	// the winner's mean after the heavy-room multiplier.
	ObservedMean float64          `json:"observed_mean"`
	ModelMean    float64          `json:"model_mean"`
	HeavyRooms   HeavyRoomsReport `json:"heavy_rooms"`
}

// ContentLength: the text-length log-normal, or a mixture of 2–3 log-normals when BIC
// prefers one (short replies and long posts).
type ContentLength struct {
	Distribution string  `json:"distribution"`
	Mu           float64 `json:"mu"`
	Sigma        float64 `json:"sigma"`
	// Components of the chosen mixture (absent for a single log-normal).
	Components []MixtureComponent `json:"components,omitempty"`
	// Models are the 1-, 2- and 3-component fits with their log-likelihood, AIC and BIC;
	// the chosen one has the smallest BIC.
	Models         []LogNormalMixtureFit `json:"models,omitempty"`
	ObservedMean   *float64              `json:"observed_mean"`
	ObservedMedian *float64              `json:"observed_median"`
	ModelMean      float64               `json:"model_mean"`
	ModelMedian    float64               `json:"model_median"`
	MediaRatio     float64               `json:"media_ratio"`
}

// InterArrival: the rate profile and the burst model.
type InterArrival struct {
	Distribution     string  `json:"distribution"`
	MeanLambdaPeak   float64 `json:"mean_lambda_peak"`
	MeanLambdaTrough float64 `json:"mean_lambda_trough"`
	// BurstCoefficient is the exported CV of within-conversation gaps.
	BurstCoefficient            float64  `json:"burst_coefficient"`
	PeakTroughRatio             float64  `json:"peak_trough_ratio"`
	WeekdayWeekendRatio         float64  `json:"weekday_weekend_ratio"`
	ObservedWeekdayWeekendRatio *float64 `json:"observed_weekday_weekend_ratio"`
	// ContinueProbability (η) and MeanGapSeconds (g) are the chain's parameters, from
	// the mixture's exponential component.
	ContinueProbability float64 `json:"continue_probability"`
	MeanGapSeconds      float64 `json:"mean_gap_seconds"`
	// InGapSigma is the chosen start model's σ of log-normal in-burst gaps (the spec's
	// burst.in_gap_sigma; 0: exponential).
	InGapSigma float64 `json:"in_gap_sigma"`
	// BetweenBurstMu and BetweenBurstSigma are the mixture's log-normal component.
	BetweenBurstMu    float64 `json:"between_burst_lognormal_mu"`
	BetweenBurstSigma float64 `json:"between_burst_lognormal_sigma"`
	// SpacingShape (κ) is the Dirichlet shape of the spacings of burst starts, solved
	// so that ChainCV meets the exported burst coefficient (SolveSpacingShape);
	// SpacingShapeAtBound is true when no κ in [0.05, 50] does and the closest bound
	// was taken.
	SpacingShape        float64 `json:"spacing_shape"`
	SpacingShapeAtBound bool    `json:"spacing_shape_at_bound"`
	// MixtureBurstCoefficient is the fitted mixture's CV; ChainBurstCoefficient is the
	// CV the generator's chain gives with the fitted count model under the chosen
	// start model.
	MixtureBurstCoefficient float64 `json:"mixture_burst_coefficient"`
	ChainBurstCoefficient   float64 `json:"chain_burst_coefficient"`
	// StartModel is the burst start model chosen (spec.Burst.StartModel): in a
	// version-2 document the candidate of StartModels with the smaller AIC; in a
	// version-1 one the one whose predicted CV is closer to the exported burst
	// coefficient, window_spacing on ties or when it reaches within 20 %. WindowSpacingBurstCoefficient is the CV the
	// window-spacing mode gives with the solved κ (ChainCV), RenewalBurstCoefficient
	// the one the renewal mode gives with the between-burst log-normal (RenewalCV);
	// null when that mode could not be evaluated.
	StartModel                    string   `json:"start_model"`
	WindowSpacingBurstCoefficient float64  `json:"window_spacing_burst_coefficient"`
	RenewalBurstCoefficient       *float64 `json:"renewal_burst_coefficient"`
	// StartModelBasis says how StartModel was chosen: "binned_likelihood" (a version-2
	// document: the candidates in StartModels, each fitted by maximising the binned
	// log-likelihood of the gap and lifetime histograms, the smaller AIC chosen; see
	// StartModelFit) or "burst_coefficient" (a version-1 document, without lifetimes:
	// the CV rule above).
	StartModelBasis string          `json:"start_model_basis"`
	StartModels     []StartModelFit `json:"start_models,omitempty"`
	// ObservedLifetimeP50 and ObservedLifetimeP90 are the export's conversation
	// lifetime percentiles (seconds; null when suppressed or in a version-1 document).
	ObservedLifetimeP50 *float64 `json:"observed_lifetime_p50_seconds"`
	ObservedLifetimeP90 *float64 `json:"observed_lifetime_p90_seconds"`
	// ObservedGapP50 and ObservedGapP90 are the export's exact within-conversation gap
	// percentiles (threads.gap_percentiles_seconds; null as above).
	ObservedGapP50 *float64 `json:"observed_gap_p50_seconds"`
	ObservedGapP90 *float64 `json:"observed_gap_p90_seconds"`
}

// Start model bases (InterArrival.StartModelBasis).
const (
	StartBasisLikelihood       = "binned_likelihood"
	StartBasisBurstCoefficient = "burst_coefficient"
)

// ReadTiming: the read-delay mixture and the reader model.
type ReadTiming struct {
	// ImmediatePercentage, NearTermPercentage and DelayedPercentage are the exported
	// shares (< 60 s, < 1 h, the rest); the Model* fields are the mixture's.
	ImmediatePercentage      *float64 `json:"immediate_percentage"`
	NearTermPercentage       *float64 `json:"near_term_percentage"`
	DelayedPercentage        *float64 `json:"delayed_percentage"`
	ModelImmediatePercentage float64  `json:"model_immediate_percentage"`
	ModelNearTermPercentage  float64  `json:"model_near_term_percentage"`
	ModelDelayedPercentage   float64  `json:"model_delayed_percentage"`
	ImmediateShare           float64  `json:"immediate_share"`
	ImmediateMeanSeconds     float64  `json:"immediate_mean_seconds"`
	NearTermShare            float64  `json:"near_term_share"`
	NearTermExponentialMean  float64  `json:"near_term_exponential_mean"`
	DelayedShare             float64  `json:"delayed_share"`
	DelayedLognormalMu       float64  `json:"delayed_lognormal_mu"`
	DelayedLognormalSigma    float64  `json:"delayed_lognormal_sigma"`
	ReadRate                 float64  `json:"read_rate"`
	ExtraReaderProbability   float64  `json:"extra_reader_probability"`
	// ByMemberCount is the read law by member count the spec carries (the export's,
	// suppressed values null); empty when the document has none.
	ByMemberCount []spec.ReaderBucket `json:"by_member_count,omitempty"`
}

// AttachmentsReport: media and attachment models.
type AttachmentsReport struct {
	MediaRatio       float64            `json:"media_ratio"`
	TypeDistribution map[string]float64 `json:"type_distribution"`
	SizeMu           float64            `json:"size_lognormal_mu"`
	SizeSigma        float64            `json:"size_lognormal_sigma"`
	ObservedMedian   *float64           `json:"observed_median_bytes"`
	ModelMedian      float64            `json:"model_median_bytes"`
	PerMediaMessage  float64            `json:"per_media_message"`
}

// UsersReport: the users' scaling.
type UsersReport struct {
	PerMessage float64 `json:"per_message"`
}

// fitter carries one Fit call's state.
type fitter struct {
	doc  *shape.Document
	opts Options
	def  *spec.Spec
	sp   *spec.Spec
	rep  *Report
	// count model and heavy-room figures for the chain CV and the reader model.
	count     dist.Discrete
	heavy     dist.HeavyShare
	heavyMult float64
	// exportMult is the multiplier that describes the export's own rooms: the solved
	// one, also when the generator keeps 1 because the export's share is within the
	// model's sampling band (the gap and lifetime histograms the start models are
	// fitted to came from those rooms; docs/fit.md, "Heavy rooms").
	exportMult float64
}

// warn records a warning in the report and the spec.
func (f *fitter) warn(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	f.rep.Warnings = append(f.rep.Warnings, msg)
	f.sp.Warnings = append(f.sp.Warnings, msg)
}

// fallback records that family took the default spec's values.
func (f *fitter) fallback(family string, err error) {
	f.rep.Fallbacks = append(f.rep.Fallbacks, family)
	f.warn("%s: not fitted (%v); using the default spec's values", family, err)
}

// Fit estimates every model of the spec from a shape document and returns the
// calibration report and a spec that `loader generate` reads as it is. A family that
// cannot be fitted (missing, empty or fully suppressed data, no convergence) takes the
// default spec's values with a warning in the report and in spec.Warnings. Fit returns
// an error (wrapping ErrInput, naming the JSON path) only when the document cannot
// drive a spec at all: no messages, no window.
func Fit(doc *shape.Document, opts Options) (*Report, *spec.Spec, error) {
	if doc == nil {
		panic("fit: Fit: nil document")
	}
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	opts = opts.WithDefaults()
	if doc.Messages.TotalCount <= 0 {
		return nil, nil, fmt.Errorf("%w: $.messages.total_count is %d, want messages in the window (export a longer window)", ErrInput, doc.Messages.TotalCount)
	}
	if doc.SampleWindowDays <= 0 {
		return nil, nil, fmt.Errorf("%w: $.sample_window_days is %d, want a positive number of days", ErrInput, doc.SampleWindowDays)
	}
	if doc.ExtractedAt.IsZero() {
		return nil, nil, fmt.Errorf("%w: $.extracted_at is missing, want the export's as-of time", ErrInput)
	}
	def := spec.Default()
	sp := spec.Default()
	sp.Source = opts.Source
	sp.Warnings = nil
	sp.Window = spec.Window{End: doc.ExtractedAt.UTC(), Days: doc.SampleWindowDays}
	sp.Bands = map[string]spec.Band{"tiny": {Messages: 50_000}, "dev": {Messages: 5_000_000}, "staging": {Messages: 100_000_000}}
	f := &fitter{doc: doc, opts: opts, def: def, sp: sp, rep: &Report{
		Source: opts.Source, CalibratedAt: opts.Now, ShapeExtractedAt: doc.ExtractedAt.UTC(),
		SampleWindowDays: doc.SampleWindowDays,
		FidelityTargets:  FidelityTargets{ConversationTypeTolerance: 0.1, MediaRatioTolerance: 0.05, PercentileTolerance: 0.2},
		GoodnessOfFit:    map[string]*GOF{},
		Fallbacks:        []string{}, Warnings: []string{},
	}}
	f.users()
	f.conversations()
	f.counts()
	f.content()
	f.timing()
	f.reads()
	f.attachments()
	f.people()
	if err := sp.Validate(); err != nil {
		return nil, nil, fmt.Errorf("error fitting %s: the fitted spec is invalid: %w", opts.Source, err)
	}
	return f.rep, sp, nil
}

func (f *fitter) users() {
	u := f.doc.Users
	f.sp.Users.PerMessage = float64(u.TotalCount) / float64(f.doc.Messages.TotalCount)
	if u.TotalCount <= 0 {
		f.sp.Users.PerMessage = f.def.Users.PerMessage
		f.fallback(FamilyUsers, fmt.Errorf("$.users.total_count is 0"))
	}
	if u.UsernameLengthHistogram.Total() > 0 {
		f.sp.Users.UsernameLength = u.UsernameLengthHistogram
	} else {
		f.warn("users: $.users.username_length_histogram is empty or suppressed; using the default spec's")
	}
	if u.AccountAgeDaysHistogram.Total() > 0 {
		f.sp.Users.AccountAgeDays = u.AccountAgeDaysHistogram
	} else {
		f.warn("users: $.users.account_age_days_histogram is empty or suppressed; using the default spec's")
	}
	f.rep.FittedDistributions.Users.PerMessage = f.sp.Users.PerMessage
}

func (f *fitter) conversations() {
	c := f.doc.Conversations
	cs := &f.rep.FittedDistributions.ConversationSizes
	sc := &f.sp.Conversations
	if c.TotalCount > 0 && c.ActiveCount > 0 && c.ActiveCount <= c.TotalCount {
		sc.InactiveRatio = 1 - float64(c.ActiveCount)/float64(c.TotalCount)
	} else {
		f.warn("conversations: $.conversations.active_count %d of total_count %d gives no inactive ratio; using the default spec's", c.ActiveCount, c.TotalCount)
	}
	cs.InactiveRatio = sc.InactiveRatio
	td := c.TypeDistribution
	if td.OneToOne == nil || td.SmallGroup == nil || td.LargeGroup == nil || *td.OneToOne+*td.SmallGroup+*td.LargeGroup <= 0 {
		f.fallback(FamilyConversationSizes, fmt.Errorf("$.conversations.type_distribution is suppressed"))
	} else {
		s := *td.OneToOne + *td.SmallGroup + *td.LargeGroup
		sc.TypeDistribution = spec.TypeMix{OneToOne: *td.OneToOne / s, SmallGroup: *td.SmallGroup / s}
		sc.TypeDistribution.LargeGroup = 1 - sc.TypeDistribution.OneToOne - sc.TypeDistribution.SmallGroup
		fit, err := fitSizes(f.binned(c.MemberCountHistogram, "conversations.member_count"), sc.TypeDistribution.SmallGroup, sc.TypeDistribution.LargeGroup)
		if err != nil {
			f.fallback(FamilyConversationSizes, fmt.Errorf("$.conversations.member_count_histogram: %w", err))
		} else {
			sc.SmallGroup = spec.TruncatedGeometric{P: fit.Small.P, Min: fit.Small.Min, Max: fit.Small.Max}
			sc.LargeGroup = spec.PowerLaw{Alpha: fit.Large.Alpha, XMin: fit.Large.XMin, XMax: fit.Large.XMax}
			g := fit.GOF
			f.rep.GoodnessOfFit[FamilyConversationSizes] = &g
		}
	}
	// Conversations with no member or one: the histogram keeps 0 and 1 apart, and the
	// type mix is over the others.
	if h := c.MemberCountHistogram; h.Total() > 0 {
		var few spec.FewMembers
		for _, b := range h {
			switch {
			case b.Lo == 0 && b.Hi <= 1:
				few.None = float64(b.Count) / float64(h.Total())
			case b.Lo == 1 && b.Hi <= 2:
				few.One = float64(b.Count) / float64(h.Total())
			}
		}
		if few.None > 0 || few.One > 0 {
			sc.FewMembers, cs.FewMembers = &few, &few
		}
	}
	cs.TypeMix = sc.TypeDistribution
	cs.SmallGroupGeometricP = sc.SmallGroup.P
	cs.LargeGroupPowerlawAlpha = sc.LargeGroup.Alpha
	cs.LargeGroupXMin, cs.LargeGroupXMax = sc.LargeGroup.XMin, sc.LargeGroup.XMax
	ms, ml := sc.SmallGroup.Law().Mean(), sc.LargeGroup.Law().Mean()
	t := sc.TypeDistribution
	cs.MeanMembers = 2*t.OneToOne + ms*t.SmallGroup + ml*t.LargeGroup
	if f := sc.FewMembers; f != nil {
		cs.MeanMembers = (1-f.None-f.One)*cs.MeanMembers + f.One
	}
	f.sizeActivity()
}

// sizeActivity fits the Gaussian copula between member count and window activity:
// its ρ is the polychoric correlation of the joint table (stats.Polychoric; a
// suppressed cell leaves the likelihood, which is then conditional on the published
// cells). Without a usable table, ρ stays 0 (independent) with a warning.
func (f *fitter) sizeActivity() {
	sc := &f.sp.Conversations
	sc.SizeActivityCorrelation = 0
	tab, err := f.doc.Conversations.SizeActivityTable()
	if err == nil {
		var rho float64
		if rho, err = stats.Polychoric(tab); err == nil {
			sc.SizeActivityCorrelation = rho
		}
	}
	if err != nil {
		f.warn("conversations: no size–activity correlation from $.conversations.size_activity_histogram (%v); member counts and activity are drawn independently", err)
	}
	f.rep.FittedDistributions.ConversationSizes.SizeActivityCorrelation = sc.SizeActivityCorrelation
}

func (f *fitter) counts() {
	c := f.doc.Conversations
	r := &f.rep.FittedDistributions.MessagesPerConversation
	ap := c.ActivityPercentiles
	r.ObservedP50, r.ObservedP75, r.ObservedP90, r.ObservedP95, r.ObservedP99 = ap.P50, ap.P75, ap.P90, ap.P95, ap.P99
	if c.ActiveCount > 0 {
		r.ObservedMean = float64(f.doc.Messages.TotalCount) / float64(c.ActiveCount)
	}
	cm := &f.sp.Messages.PerConversationDistribution
	fits, err := fitCounts(f.binned(c.ActivityHistogram, "conversations.activity"))
	if err != nil {
		f.fallback(FamilyMessagesPerConversation, fmt.Errorf("$.conversations.activity_histogram: %w", err))
	} else {
		r.Models = make(map[string]*CountFit, len(fits))
		for i := range fits {
			r.Models[fits[i].Distribution] = &fits[i]
		}
		win := fits.Best()
		*cm = win.CountModel
		g := win.gof
		g.Percentiles = f.percentiles(ap, func(p float64) float64 { return float64(dist.Quantile(win.model, p)) })
		for _, pc := range g.Percentiles {
			if math.Abs(pc.RelativeError) > 0.2 {
				f.warn("messages_per_conversation: the %s model's p%g is %g, the export's %g (%.0f%% off)", win.Distribution, pc.P*100, pc.Model, pc.Observed, pc.RelativeError*100)
			}
		}
		f.rep.GoodnessOfFit[FamilyMessagesPerConversation] = &g
	}
	r.Distribution, r.Mu, r.Sigma, r.Shift, r.XMin, r.XMax = cm.Distribution, cm.Mu, cm.Sigma, cm.Shift, cm.XMin, cm.XMax
	r.Alpha = cm.Alpha
	if pl, ok := fits.Get(spec.DistPowerLaw); ok {
		r.Alpha = pl.Alpha
	}
	f.count = tabulate(cm.Law())

	// Heavy rooms: the requested set, or the smallest published one (Options).
	shares := map[float64]*float64{0.01: c.HeavyRoomShare.Top1Pct, 0.02: c.HeavyRoomShare.Top2Pct, 0.05: c.HeavyRoomShare.Top5Pct}
	pct := f.opts.HeavyRoomPercentage
	if pct == 0 {
		pct = 0.01
		for _, p := range []float64{0.01, 0.02, 0.05} {
			if shares[p] != nil {
				pct = p
				break
			}
		}
	}
	hs := dist.NewHeavyShare(f.count, pct)
	hr := &f.sp.Conversations.HeavyRooms
	exported := shares[pct]
	model := hs.Share(1)
	switch {
	case err != nil:
		// The default's heavy rooms go with the default's count model.
	case exported == nil:
		f.warn("heavy rooms: $.conversations.heavy_room_share.top_%gpct is suppressed; the fitted model's own share %.3f stands (multiplier 1)", pct*100, model)
		*hr = spec.HeavyRooms{Percentage: pct, TrafficShare: model, Multiplier: 1}
	default:
		m := hs.Multiplier(*exported)
		if !math.IsNaN(m) {
			r.HeavyRooms.SolvedMultiplier = m
		}
		if t, ok := f.count.(tabulated); ok && c.ActiveCount > 0 && !math.IsNaN(m) {
			// The export's share is one draw of the top ceil(pct·n) of n rooms: a share
			// inside the fitted law's own central 99% at that n is noise, not a tail the
			// law lacks (docs/fit.md, "Heavy rooms").
			band := sampledTopShare(t, int(min(c.ActiveCount, math.MaxInt32)), pct)
			r.HeavyRooms.SampledShare = &band
			if band.Contains(*exported) {
				m = 1
			}
		}
		if math.IsNaN(m) {
			f.warn("heavy rooms: no multiplier makes the top %g%% carry %.3f of the messages (model share %.3f); using 1", pct*100, *exported, model)
			m = 1
		} else if m < 0.5 || m > 2 {
			f.warn("heavy rooms: the exported top %g%% share %.3f disagrees with the activity histogram (model share %.3f): multiplier %.3g", pct*100, *exported, model, m)
		}
		*hr = spec.HeavyRooms{Percentage: pct, TrafficShare: *exported, Multiplier: m}
	}
	if hr.Percentage != pct {
		hs = dist.NewHeavyShare(f.count, hr.Percentage)
	}
	f.heavy, f.heavyMult, f.exportMult = hs, hr.Multiplier, hr.Multiplier
	if sm := r.HeavyRooms.SolvedMultiplier; sm > 0 && hr.Multiplier == 1 && r.HeavyRooms.SampledShare != nil {
		f.exportMult = sm
	}
	r.HeavyRooms.Percentage, r.HeavyRooms.TrafficShare, r.HeavyRooms.ModelShare = hr.Percentage, hr.TrafficShare, hs.Share(1)
	r.HeavyRooms.Multiplier, r.HeavyRooms.Quantile = hr.Multiplier, hs.Q
	r.ModelMean = hs.Mean(hr.Multiplier)
	if r.ObservedMean > 0 && relOff(r.ModelMean, r.ObservedMean) > 0.2 {
		f.warn("messages_per_conversation: the model's mean %.1f is %.0f%% off the export's %.1f messages per active conversation; generated conversation counts will be off by as much",
			r.ModelMean, 100*stats.RelativeError(r.ModelMean, r.ObservedMean), r.ObservedMean)
	}
}

// percentiles compares a model's quantile function with the published percentiles.
func (f *fitter) percentiles(ps shape.Percentiles, q func(p float64) float64) []PercentileCheck {
	var out []PercentileCheck
	for _, e := range []struct {
		p float64
		v *float64
	}{{0.5, ps.P50}, {0.75, ps.P75}, {0.9, ps.P90}, {0.95, ps.P95}, {0.99, ps.P99}} {
		if e.v == nil {
			continue
		}
		m := q(e.p)
		out = append(out, PercentileCheck{P: e.p, Observed: *e.v, Model: m, RelativeError: stats.RelativeError(m, *e.v)})
	}
	return out
}

func (f *fitter) content() {
	m := f.doc.Messages
	r := &f.rep.FittedDistributions.ContentLength
	r.ObservedMean, r.ObservedMedian = m.ContentLengthMean, m.ContentLengthMedian
	tl := &f.sp.Messages.Content.TextLength
	b := newBinned(m.ContentLengthHistogram)
	choice, err := ChooseLengthModel(m.ContentLengthHistogram)
	if err != nil {
		f.fallback(FamilyContentLength, fmt.Errorf("$.messages.content_length_histogram: %w", err))
	} else {
		choice.Chosen = f.chooseNoisy(choice, m.ContentLengthHistogram, "messages.content_length")
		r.Models = choice.Candidates
		best := choice.Candidates[choice.Chosen]
		max := topBound(b, shape.GridContentLength(), true)
		var model Model
		var g GOF
		if len(best.Components) == 1 {
			// One component: the Nelder–Mead fit of the same likelihood (EM agrees to
			// 1e-3; this keeps single-log-normal documents' specs as they were).
			one, err := fitLogNormal(f.binned(m.ContentLengthHistogram, "messages.content_length"), 0)
			if err != nil {
				one = LogNormalFit{Mu: best.Components[0].Mu, Sigma: best.Components[0].Sigma, GOF: best.GOF}
			}
			*tl = spec.LogNormal{Distribution: spec.DistLogNormal, Mu: one.Mu, Sigma: one.Sigma, Max: max}
			model, g = LogNormal{Mu: one.Mu, Sigma: one.Sigma}, one.GOF
		} else {
			if f.doc.Privacy != nil {
				// the mixture's EM maximises the multinomial likelihood; it has no
				// noise-weighted form yet
				f.dpNoise().Unweighted = append(f.dpNoise().Unweighted, "messages.content_length (log-normal mixture, EM)")
			}
			*tl = spec.LogNormal{Distribution: spec.DistLogNormalMixture, Max: max}
			for _, c := range best.Components {
				tl.Components = append(tl.Components, spec.LogNormalComponent{Weight: c.Weight, Mu: c.Mu, Sigma: c.Sigma})
			}
			tl.Mu, tl.Sigma = mixtureLogMoments(best.Components)
			r.Components = best.Components
			model, g = best.Model(), best.GOF
		}
		// Lengths are ⌊X⌋: the model's median length is ⌊median of X⌋.
		g.Percentiles = f.percentiles(shape.Percentiles{P50: m.ContentLengthMedian}, func(p float64) float64 {
			return math.Floor(QuantileReal(model, p, 1e9))
		})
		f.rep.GoodnessOfFit[FamilyContentLength] = &g
	}
	r.Distribution = tl.Distribution
	r.Mu, r.Sigma = tl.Mu, tl.Sigma
	// The mean of ⌊X⌋ is E X − ½ to within the rounding's variation.
	r.ModelMean = -0.5
	for _, c := range tl.Mixture() {
		r.ModelMean += c.Weight * LogNormal{Mu: c.Mu, Sigma: c.Sigma, Max: tl.Max}.Moment(1)
	}
	r.ModelMedian = math.Floor(math.Exp(tl.Mu))
	if tl.Distribution == spec.DistLogNormalMixture {
		r.ModelMedian = math.Floor(QuantileReal(lengthModel(*tl), 0.5, 1e9))
	}
	if m.MediaRatio != nil {
		f.sp.Messages.Content.MediaRatio = *m.MediaRatio
	} else {
		f.warn("content: $.messages.media_ratio is suppressed; using the default spec's %.3f", f.def.Messages.Content.MediaRatio)
	}
	r.MediaRatio = f.sp.Messages.Content.MediaRatio
}

func (f *fitter) timing() {
	m := f.doc.Messages
	r := &f.rep.FittedDistributions.InterArrival
	r.Distribution = "exponential_with_diurnal"
	ia := &f.sp.Messages.InterArrival
	prof, err := FitProfile(f.doc, f.opts.K)
	if err != nil {
		f.fallback(FamilyTimeProfile, err)
	} else {
		ia.WeekdayHourWeights, ia.MeanLambdaPeak, ia.MeanLambdaTrough = prof.Weights, prof.LambdaPeak, prof.LambdaTrough
	}
	r.MeanLambdaPeak, r.MeanLambdaTrough = ia.MeanLambdaPeak, ia.MeanLambdaTrough
	r.PeakTroughRatio, r.WeekdayWeekendRatio = ProfileRatios(ia.WeekdayHourWeights)
	r.ObservedWeekdayWeekendRatio = m.WeekdayWeekendRatio
	if m.WeekdayWeekendRatio != nil && relOff(r.WeekdayWeekendRatio, *m.WeekdayWeekendRatio) > 0.1 {
		f.warn("time profile: the profile's weekday/weekend ratio %.2f is off the export's %.2f", r.WeekdayWeekendRatio, *m.WeekdayWeekendRatio)
	}

	window := float64(f.doc.SampleWindowDays) * 86400
	bf, err := fitBurst(f.binned(m.InterArrivalHistogramSeconds, "messages.inter_arrival"), window)
	if err != nil {
		f.fallback(FamilyInterArrival, fmt.Errorf("$.messages.inter_arrival_histogram_seconds: %w", err))
	} else {
		ia.Burst = spec.Burst{Model: "self_exciting_chain", ContinueProbability: bf.Eta, MeanGapSeconds: bf.Gap,
			SpacingShape: f.def.Messages.InterArrival.Burst.SpacingShape}
		g := bf.GOF
		f.rep.GoodnessOfFit[FamilyInterArrival] = &g
		r.BetweenBurstMu, r.BetweenBurstSigma = bf.Mu, bf.Sigma
		r.MixtureBurstCoefficient = bf.CV()
	}
	if m.BurstCoefficient != nil {
		ia.BurstCoefficient = *m.BurstCoefficient
	}
	r.BurstCoefficient = ia.BurstCoefficient
	r.ContinueProbability, r.MeanGapSeconds = ia.Burst.ContinueProbability, ia.Burst.MeanGapSeconds
	b := &ia.Burst
	b.StartModel = spec.StartModelWindowSpacing
	if err == nil && f.doc.Conversations.Threads != nil {
		if ok := f.startByLikelihood(bf, window); ok {
			return
		}
	} else if err == nil {
		f.warn("inter_arrival: the document has no conversation lifetimes ($.conversations.threads, shape_version 2); the burst start model is chosen on the burst coefficient alone, not on the gap distribution")
	}
	r.StartModelBasis = StartBasisBurstCoefficient
	var renewal float64
	if err == nil {
		b.GapMu, b.GapSigma = bf.Mu, bf.Sigma
		renewal = RenewalCV(f.count, f.heavy, f.heavyMult,
			b.ContinueProbability, b.MeanGapSeconds, b.GapMu, b.GapSigma, 0, window)
		if !math.IsNaN(renewal) {
			r.RenewalBurstCoefficient = &renewal
		}
	}
	if m.BurstCoefficient != nil && *m.BurstCoefficient > 0 {
		target := *m.BurstCoefficient
		var ok bool
		b.SpacingShape, r.WindowSpacingBurstCoefficient, ok = SolveSpacingShape(target, f.count,
			f.heavy, f.heavyMult, b.ContinueProbability, b.MeanGapSeconds, window)
		r.SpacingShapeAtBound = !ok
		r.ChainBurstCoefficient = r.WindowSpacingBurstCoefficient
		wsErr := relOff(r.WindowSpacingBurstCoefficient, target)
		if r.RenewalBurstCoefficient != nil && wsErr > 0.2 && relOff(renewal, target) < wsErr {
			b.StartModel, r.ChainBurstCoefficient = spec.StartModelRenewal, renewal
		}
		if !ok && b.StartModel == spec.StartModelWindowSpacing {
			f.warn("inter_arrival: no burst spacing shape in [%g, %g] gives the export's burst coefficient %.2f; the closest, κ = %g, gives %.2f",
				MinSpacingShape, MaxSpacingShape, target, b.SpacingShape, r.WindowSpacingBurstCoefficient)
		}
		if err == nil && relOff(r.MixtureBurstCoefficient, target) > 0.2 {
			f.warn("inter_arrival: the fitted mixture's CV %.2f is off the export's burst coefficient %.2f", r.MixtureBurstCoefficient, target)
		}
		if relOff(r.ChainBurstCoefficient, target) > 0.2 {
			f.warn("inter_arrival: the generator's chain gives a gap CV of %.2f (%s start model; window spacing %.2f, renewal %s) against the export's burst coefficient %.2f",
				r.ChainBurstCoefficient, b.StartModel, r.WindowSpacingBurstCoefficient, optCV(r.RenewalBurstCoefficient), target)
		}
	} else {
		r.WindowSpacingBurstCoefficient = ChainCV(f.count, f.heavy, f.heavyMult,
			b.ContinueProbability, b.MeanGapSeconds, b.SpacingShape, window)
		r.ChainBurstCoefficient = r.WindowSpacingBurstCoefficient
	}
	r.SpacingShape = b.SpacingShape
	r.StartModel = b.StartModel
}

// mixtureLogMoments returns the mean and standard deviation of ln X under a log-normal
// mixture: Σ w μ and √(Σ w (σ² + μ²) − (Σ w μ)²).
func mixtureLogMoments(cs []MixtureComponent) (mu, sigma float64) {
	var m2 float64
	for _, c := range cs {
		mu += c.Weight * c.Mu
		m2 += c.Weight * (c.Sigma*c.Sigma + c.Mu*c.Mu)
	}
	return mu, math.Sqrt(math.Max(m2-mu*mu, 0))
}

// lengthModel is the spec's text-length law (log-normal or mixture) as a Model.
func lengthModel(l spec.LogNormal) Model {
	mix := Mixture{}
	for _, c := range l.Mixture() {
		mix.Weights = append(mix.Weights, c.Weight)
		mix.Components = append(mix.Components, LogNormal{Mu: c.Mu, Sigma: c.Sigma})
	}
	return mix
}

// relOff is how far got is from want, as an absolute relative error |got − want|/|want|:
// a model that undershoots is as wrong as one that overshoots.
func relOff(got, want float64) float64 { return math.Abs(stats.RelativeError(got, want)) }

// optCV formats an optional CV for a message.
func optCV(cv *float64) string {
	if cv == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", *cv)
}

func (f *fitter) reads() {
	rr := f.doc.ReadReceipts
	r := &f.rep.FittedDistributions.ReadTiming
	s := &f.sp.ReadReceipts
	r.ImmediatePercentage, r.NearTermPercentage, r.DelayedPercentage = rr.ImmediatePercentage, rr.NearTermPercentage, rr.DelayedPercentage
	shares := [3]float64{0.6, 0.3, 0.1}
	if rr.ImmediatePercentage != nil && rr.NearTermPercentage != nil && rr.DelayedPercentage != nil {
		shares = [3]float64{*rr.ImmediatePercentage, *rr.NearTermPercentage, *rr.DelayedPercentage}
	}
	df, err := fitDelays(f.binned(rr.DelayHistogramMinutes, "read_receipts.delay_minutes"), shares)
	if err != nil {
		f.fallback(FamilyReadTiming, fmt.Errorf("$.read_receipts.delay_histogram_minutes: %w", err))
		df = DelayFit{ImmediateShare: s.ImmediateShare, ImmediateMean: s.ImmediateMeanSeconds, NearTermShare: s.NearTermShare,
			NearTermMean: s.NearTermMeanSeconds, DelayedShare: s.DelayedShare, DelayedMu: s.DelayedMu, DelayedSigma: s.DelayedSigma}
	} else {
		*s = spec.ReadReceipts{ReadRate: s.ReadRate, ExtraReaderProbability: s.ExtraReaderProbability,
			ImmediateShare: df.ImmediateShare, ImmediateMeanSeconds: df.ImmediateMean,
			NearTermShare: df.NearTermShare, NearTermMeanSeconds: df.NearTermMean,
			DelayedShare: max(0, 1-df.ImmediateShare-df.NearTermShare), DelayedMu: df.DelayedMu, DelayedSigma: df.DelayedSigma}
		// A component with (next to) no share has no data behind its parameters (the
		// likelihood is flat in them, and the optimiser may leave them anywhere): it keeps
		// the default spec's, which the generator never draws from at that share.
		const negligible = 1e-9
		if s.ImmediateShare < negligible {
			s.ImmediateMeanSeconds = f.def.ReadReceipts.ImmediateMeanSeconds
		}
		if s.NearTermShare < negligible {
			s.NearTermMeanSeconds = f.def.ReadReceipts.NearTermMeanSeconds
		}
		if s.DelayedShare < negligible {
			s.DelayedMu, s.DelayedSigma = f.def.ReadReceipts.DelayedMu, f.def.ReadReceipts.DelayedSigma
		}
		g := df.GOF
		mix := df.Model()
		g.Percentiles = f.percentiles(rr.DelayPercentilesSeconds, func(p float64) float64 { return QuantileReal(mix, p, 1e10) })
		for _, pc := range g.Percentiles {
			if math.Abs(pc.RelativeError) > 0.2 {
				f.warn("read_timing: the mixture's p%g delay is %.0f s, the export's %.0f s", pc.P*100, pc.Model, pc.Observed)
			}
		}
		f.rep.GoodnessOfFit[FamilyReadTiming] = &g
	}
	mix := df.Model()
	r.ModelImmediatePercentage = mix.Mass(0, shape.ImmediateSeconds)
	r.ModelNearTermPercentage = mix.Mass(shape.ImmediateSeconds, shape.NearTermSeconds)
	r.ModelDelayedPercentage = mix.Mass(shape.NearTermSeconds, math.Inf(1))
	r.ImmediateShare, r.ImmediateMeanSeconds = s.ImmediateShare, s.ImmediateMeanSeconds
	r.NearTermShare, r.NearTermExponentialMean = s.NearTermShare, s.NearTermMeanSeconds
	r.DelayedShare, r.DelayedLognormalMu, r.DelayedLognormalSigma = s.DelayedShare, s.DelayedMu, s.DelayedSigma

	if rr.ReadRate != nil {
		s.ReadRate = *rr.ReadRate
	} else {
		f.warn("read_timing: $.read_receipts.read_rate is suppressed; using the default spec's %.2f", s.ReadRate)
	}
	// A read message has one receipt plus each of its members − 2 further non-senders
	// with probability p: receipts per read message = 1 + p·E[members − 2], the
	// expectation over messages, from the fitted size, count and heavy-room models
	// coupled by the size–activity copula (MessageWeightedExtras: busier rooms weigh
	// more; with ρ = 0 it is the mean over conversations).
	extras := MessageWeightedExtras(f.sp.Conversations, f.count)
	if rr.ReceiptsPerReadMessage != nil {
		p := math.NaN()
		if extras > 0 {
			p = (*rr.ReceiptsPerReadMessage - 1) / extras
		}
		switch {
		case math.IsNaN(p):
			f.warn("read_timing: no conversation has more than 2 members, so receipts_per_read_message %.3f cannot be met; extra_reader_probability 0", *rr.ReceiptsPerReadMessage)
			p = 0
		case p < 0 || p > 1:
			f.warn("read_timing: receipts_per_read_message %.3f needs an extra-reader probability of %.3f with %.2f further members on average; clamped to [0, 1]", *rr.ReceiptsPerReadMessage, p, extras)
			p = math.Min(math.Max(p, 0), 1)
		}
		s.ExtraReaderProbability = p
	} else {
		f.warn("read_timing: $.read_receipts.receipts_per_read_message is suppressed; using the default spec's extra-reader probability")
	}
	r.ReadRate, r.ExtraReaderProbability = s.ReadRate, s.ExtraReaderProbability

	// The read law by member count: the export's read rate and receipts per read
	// message per member bucket, as they are (the generator meets each bucket's mean
	// per conversation, so nothing is solved here); a suppressed value stays null and
	// the generator falls back to the global law above for it.
	tab, err := rr.ReaderTable()
	if err != nil {
		f.warn("read_timing: %v; readers by member count not used", err)
		tab = nil
	}
	s.ByMemberCount = nil
	for _, row := range tab {
		b := spec.ReaderBucket{MinMembers: int(row.MinMembers)}
		if !math.IsNaN(row.ReadRate) {
			b.ReadRate = new(row.ReadRate)
		}
		if !math.IsNaN(row.ReceiptsPerReadMessage) {
			b.ReceiptsPerReadMessage = new(row.ReceiptsPerReadMessage)
		}
		if b.ReadRate != nil || b.ReceiptsPerReadMessage != nil {
			s.ByMemberCount = append(s.ByMemberCount, b)
		}
	}
	r.ByMemberCount = s.ByMemberCount
}

func (f *fitter) attachments() {
	a := f.doc.Attachments
	r := &f.rep.FittedDistributions.Attachments
	s := &f.sp.Attachments
	mix := map[string]float64{}
	var sum float64
	for _, t := range shape.AttachmentTypes {
		if v := a.TypeDistribution[t]; v != nil {
			mix[t] = *v
			sum += *v
		}
	}
	if sum > 0 {
		for t := range mix {
			mix[t] /= sum
		}
		s.TypeDistribution = mix
	} else {
		f.warn("attachments: $.attachments.type_distribution is empty or suppressed; using the default spec's")
	}
	b := f.binned(a.SizeHistogramBytes, "attachments.size_bytes")
	fit, err := fitLogNormal(b, 0)
	if err != nil {
		f.fallback(FamilyAttachments, fmt.Errorf("$.attachments.size_histogram_bytes: %w", err))
	} else {
		s.SizeBytes = spec.LogNormal{Distribution: "log_normal", Mu: fit.Mu, Sigma: fit.Sigma, Max: topBound(b, shape.GridAttachmentSizeBytes(), true)}
		g := fit.GOF
		l := LogNormal{Mu: fit.Mu, Sigma: fit.Sigma}
		g.Percentiles = f.percentiles(shape.Percentiles{P50: a.SizeMedianBytes}, func(p float64) float64 { return math.Floor(QuantileReal(l, p, 1e12)) })
		f.rep.GoodnessOfFit[FamilyAttachments] = &g
	}
	if a.PerMediaMessage != nil && *a.PerMediaMessage >= 1 {
		s.PerMediaMessage = *a.PerMediaMessage
	} else {
		f.warn("attachments: $.attachments.per_media_message is suppressed or below 1; using the default spec's %.2f", s.PerMediaMessage)
	}
	r.MediaRatio = f.sp.Messages.Content.MediaRatio
	r.TypeDistribution = s.TypeDistribution
	r.SizeMu, r.SizeSigma = s.SizeBytes.Mu, s.SizeBytes.Sigma
	r.ObservedMedian = a.SizeMedianBytes
	r.ModelMedian = math.Floor(math.Exp(s.SizeBytes.Mu))
	r.PerMediaMessage = s.PerMediaMessage
}
