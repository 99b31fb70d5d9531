package spec

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/shape"
)

// Each field just past its range is refused with its path, its value and the range;
// the range's own ends are accepted.
func TestValidateRanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want string // want: the value and the range, as printed
		mutate     func(*Spec)
	}{
		{"$.window.end", "is 2200-01-01T00:00:01Z, want 1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z", func(s *Spec) {
			s.Window.End = MaxWindowEnd.Add(time.Second)
		}},
		{"$.window.end", "is 1899-12-31T23:59:59Z", func(s *Spec) { s.Window.End = MinWindowEnd.Add(-time.Second) }},
		{"$.window.days", "is 3661, want 1 to 3660", func(s *Spec) { s.Window.Days = MaxWindowDays + 1 }},
		{"$.window.days", "is 1000000000, want 1 to 3660", func(s *Spec) { s.Window.Days = 1_000_000_000 }},
		{"$.bands.dev.messages", "is 10000000001, want 1 to 10000000000", func(s *Spec) { s.Bands["dev"] = Band{Messages: MaxMessages + 1} }},
		{"$.users.per_message", "is 1000.5, want (0, 1000]", func(s *Spec) { s.Users.PerMessage = 1000.5 }},
		{"$.users.username_length", "has the bucket 256, want bucket bounds from 0 to 255", func(s *Spec) {
			s.Users.UsernameLength = shape.FromEdges([]float64{0, 256}, []int64{1, 1})
		}},
		{"$.users.account_age_days", "has the bucket 1e+12", func(s *Spec) {
			s.Users.AccountAgeDays = shape.FromEdges([]float64{0, 1e12}, []int64{1, 1})
		}},
		{"$.users.account_age_days", "counts sum to 1.8014398509481984e+16, want at most 9007199254740992", func(s *Spec) {
			s.Users.AccountAgeDays = shape.FromEdges([]float64{0, 1}, []int64{1 << 53, 1 << 53})
		}},
		{"$.users.membership.weight_sigma", "is 5.5, want [0, 5]", func(s *Spec) { s.Users.Membership = &Membership{WeightSigma: 5.5} }},
		{"$.users.membership.zero_share", "is 1, want [0, 0.999]", func(s *Spec) { s.Users.Membership = &Membership{WeightSigma: 1, ZeroShare: 1} }},
		{"$.users.membership.weights[1].weight", "is 0, want [1e-20, 10]", func(s *Spec) {
			s.Users.Membership = &Membership{WeightSigma: 1, Weights: []WeightClass{{10, 0.5}, {0, 0.5}}}
		}},
		{"$.users.membership.weights[0].share", "is 0, want (0, 1]", func(s *Spec) {
			s.Users.Membership = &Membership{WeightSigma: 1, Weights: []WeightClass{{1, 0}, {2, 1}}}
		}},
		{"$.users.membership.weights", "has shares summing to 0.9, want 1", func(s *Spec) {
			s.Users.Membership = &Membership{WeightSigma: 1, Weights: []WeightClass{{1, 0.6}, {2, 0.3}}}
		}},
		{"$.users.membership.weights", "has 1001 classes, want at most 1000", func(s *Spec) {
			s.Users.Membership = &Membership{WeightSigma: 1, Weights: make([]WeightClass, MaxWeightClasses+1)}
		}},
		{"$.users.activity.sigma", "is -0.1, want [0, 5]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: -0.1, Theta: 1} }},
		{"$.users.activity.theta", "is 0, want [0.001, 1000]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1} }},
		{"$.users.activity.theta", "is NaN, want [0.001, 1000]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: math.NaN()} }},
		{"$.users.activity.reply", "is 1.5, want [0, 1]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: 1, Reply: 1.5} }},
		{"$.users.activity.reply", "is -0.1, want [0, 1]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: 1, Reply: -0.1} }},
		{"$.users.activity.lurk", "is -1, want [0, 1000]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: 1, Lurk: -1} }},
		{"$.conversations.few_members.one", "is 0.5, want [0, 0.49]", func(s *Spec) { s.Conversations.FewMembers = &FewMembers{None: 0.5, One: 0.5} }},
		{"$.conversations.few_members.none", "is -0.1, want [0, 0.99]", func(s *Spec) { s.Conversations.FewMembers = &FewMembers{None: -0.1} }},
		{"$.users.activity.breadth", "is 1.5, want [0, 1]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: 1, Breadth: 1.5} }},
		{"$.users.activity.lurk", "is +Inf, want [0, 1000]", func(s *Spec) { s.Users.Activity = &Activity{Sigma: 1, Theta: 1, Lurk: math.Inf(1)} }},
		{"$.conversations.inactive_ratio", "is 0.9995, want [0, 0.999]", func(s *Spec) { s.Conversations.InactiveRatio = 0.9995 }},
		{"$.conversations.small_group.max", "is 1000001, want 3 to 1000000", func(s *Spec) { s.Conversations.SmallGroup.Max = MaxGroupSize + 1 }},
		{"$.conversations.large_group.x_max", "is 2000000000, want 21 to 1000000", func(s *Spec) { s.Conversations.LargeGroup.XMax = 2_000_000_000 }},
		{"$.conversations.large_group.alpha", "is 21, want (1, 20]", func(s *Spec) { s.Conversations.LargeGroup.Alpha = 21 }},
		{"$.conversations.heavy_rooms.multiplier", "is 1001, want (0, 1000]", func(s *Spec) { s.Conversations.HeavyRooms.Multiplier = 1001 }},
		// Each within its own range, but x_min 1 + 999·(12 000 − 1) = 11 987 002 messages
		// in the busiest room.
		{"$.conversations.heavy_rooms.multiplier", "is 999: with $.messages.per_conversation_distribution.x_max 12000 the busiest conversation gets up to 1.199e+07 messages, want at most 10000000", func(s *Spec) {
			s.Conversations.HeavyRooms.Multiplier = 999
			s.Messages.PerConversationDistribution.XMax = 12_000
		}},
		{"$.messages.per_conversation_distribution.mu", "is 41, want [-20, 40]", func(s *Spec) { s.Messages.PerConversationDistribution.Mu = 41 }},
		{"$.messages.per_conversation_distribution.sigma", "is 11, want (0, 10]", func(s *Spec) { s.Messages.PerConversationDistribution.Sigma = 11 }},
		{"$.messages.per_conversation_distribution.alpha", "is 1e+300, want (1, 20]", func(s *Spec) {
			s.Messages.PerConversationDistribution.Distribution = "power_law"
			s.Messages.PerConversationDistribution.Alpha = 1e300
		}},
		{"$.messages.content.text_length.max", "is 1e+18, want [0, 1.048576e+06]", func(s *Spec) { s.Messages.Content.TextLength.Max = 1e18 }},
		{"$.messages.content.text_length.mu", "is 15, want [-20, 14]", func(s *Spec) { s.Messages.Content.TextLength.Mu = 15 }},
		{"$.messages.content.text_length.sigma", "is 1e+300, want (0, 10]", func(s *Spec) { s.Messages.Content.TextLength.Sigma = 1e300 }},
		{"$.messages.inter_arrival.mean_lambda_peak", "is 2e+09, want [0, 1e+09]", func(s *Spec) { s.Messages.InterArrival.MeanLambdaPeak = 2e9 }},
		{"$.messages.inter_arrival.mean_lambda_trough", "is 2e+09", func(s *Spec) { s.Messages.InterArrival.MeanLambdaTrough = 2e9 }},
		{"$.messages.inter_arrival.burst_coefficient", "is 1001, want [0, 1000]", func(s *Spec) { s.Messages.InterArrival.BurstCoefficient = 1001 }},
		{"$.messages.inter_arrival.burst.mean_gap_seconds", "is 1e+300, want (0, 86400]", func(s *Spec) { s.Messages.InterArrival.Burst.MeanGapSeconds = 1e300 }},
		{"$.messages.inter_arrival.burst.in_gap_sigma", "is 3.5, want [0, 3]", func(s *Spec) { s.Messages.InterArrival.Burst.InGapSigma = 3.5 }},
		{"$.messages.inter_arrival.burst.in_gap_sigma", "is -0.5, want [0, 3]", func(s *Spec) { s.Messages.InterArrival.Burst.InGapSigma = -0.5 }},
		{"$.messages.inter_arrival.burst.in_gap_sigma", "is NaN, want [0, 3]", func(s *Spec) { s.Messages.InterArrival.Burst.InGapSigma = math.NaN() }},
		{"$.messages.inter_arrival.burst.spacing_shape", "is 0.0001, want [0.001, 1000]", func(s *Spec) { s.Messages.InterArrival.Burst.SpacingShape = 1e-4 }},
		{"$.messages.inter_arrival.burst.gap_mu", "is 41, want [-20, 40]", func(s *Spec) {
			b := &s.Messages.InterArrival.Burst
			b.StartModel, b.GapMu, b.GapSigma = StartModelRenewal, 41, 1
		}},
		{"$.messages.inter_arrival.burst.gap_sigma", "is 11, want (0, 10]", func(s *Spec) {
			b := &s.Messages.InterArrival.Burst
			b.StartModel, b.GapMu, b.GapSigma = StartModelRenewal, 8, 11
		}},
		{"$.messages.inter_arrival.burst.lifetime", "is set with start_model \"window_spacing\", want start_model \"renewal\"", func(s *Spec) {
			s.Messages.InterArrival.Burst.Lifetime = &BurstLifetime{Mu: 9, Sigma: 1, CountSlope: 0.5}
		}},
		{"$.messages.inter_arrival.burst.lifetime.sigma", "is 0, want (0, 10]", func(s *Spec) {
			b := &s.Messages.InterArrival.Burst
			b.StartModel, b.GapMu, b.GapSigma, b.Lifetime = StartModelRenewal, 8, 1, &BurstLifetime{Mu: 9, CountSlope: 0.5}
		}},
		{"$.messages.inter_arrival.burst.lifetime.count_slope", "is 3.5, want [-3, 3]", func(s *Spec) {
			b := &s.Messages.InterArrival.Burst
			b.StartModel, b.GapMu, b.GapSigma, b.Lifetime = StartModelRenewal, 8, 1, &BurstLifetime{Mu: 9, Sigma: 1, CountSlope: 3.5}
		}},
		{"$.messages.inter_arrival.burst.lifetime.mu", "is NaN, want [-20, 40]", func(s *Spec) {
			b := &s.Messages.InterArrival.Burst
			b.StartModel, b.GapMu, b.GapSigma, b.Lifetime = StartModelRenewal, 8, 1, &BurstLifetime{Mu: math.NaN(), Sigma: 1}
		}},
		{"$.messages.inter_arrival.weekday_hour_weights[6][23]", "is 1e+308, want [0, 1e+06]", func(s *Spec) {
			s.Messages.InterArrival.WeekdayHourWeights[6][23] = 1e308
		}},
		{"$.read_receipts.immediate_mean_seconds", "is 1e+300, want (0, 1e+08]", func(s *Spec) { s.ReadReceipts.ImmediateMeanSeconds = 1e300 }},
		{"$.read_receipts.near_term_exponential_mean_seconds", "is 2e+08", func(s *Spec) { s.ReadReceipts.NearTermMeanSeconds = 2e8 }},
		{"$.read_receipts.delayed_lognormal_mu", "is 1e+300, want [-20, 40]", func(s *Spec) { s.ReadReceipts.DelayedMu = 1e300 }},
		{"$.read_receipts.delayed_lognormal_sigma", "is 11, want (0, 10]", func(s *Spec) { s.ReadReceipts.DelayedSigma = 11 }},
		{"$.read_receipts.by_member_count", "is 1001, want 0 to 1000", func(s *Spec) {
			for i := range MaxReaderBuckets + 1 {
				s.ReadReceipts.ByMemberCount = append(s.ReadReceipts.ByMemberCount, ReaderBucket{MinMembers: i})
			}
		}},
		{"$.read_receipts.by_member_count[0].min_members", "is 1000001, want 0 to 1000000", func(s *Spec) {
			s.ReadReceipts.ByMemberCount = []ReaderBucket{{MinMembers: MaxGroupSize + 1}}
		}},
		{"$.read_receipts.by_member_count[0].receipts_per_read_message", "is 2e+06, want [1, 1e+06]", func(s *Spec) {
			s.ReadReceipts.ByMemberCount = []ReaderBucket{{MinMembers: 2, ReceiptsPerReadMessage: new(2e6)}}
		}},
		{"$.attachments.size_bytes.mu", "is 36, want [-20, 35]", func(s *Spec) { s.Attachments.SizeBytes.Mu = 36 }},
		{"$.attachments.size_bytes.sigma", "is 11", func(s *Spec) { s.Attachments.SizeBytes.Sigma = 11 }},
		{"$.attachments.size_bytes.max", "is 2e+15, want [0, 1e+15]", func(s *Spec) { s.Attachments.SizeBytes.Max = 2e15 }},
		{"$.attachments.per_media_message", "is 1e+12, want [1, 100]", func(s *Spec) { s.Attachments.PerMediaMessage = 1e12 }},
	} {
		s := valid(t)
		tc.mutate(s)
		err := s.Validate()
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.path+" "+tc.want) {
			t.Errorf("%s: error %v, want %q", tc.path, err, tc.path+" "+tc.want)
		}
	}
}

// The ends of each range are valid.
func TestValidateRangeEnds(t *testing.T) {
	t.Parallel()
	s := valid(t)
	s.Window.End, s.Window.Days = MaxWindowEnd, MaxWindowDays
	s.Bands["staging"] = Band{Messages: MaxMessages}
	s.Users.PerMessage = MaxUsersPerMessage
	s.Conversations.InactiveRatio = MaxInactiveRatio
	s.Conversations.SmallGroup.Max, s.Conversations.LargeGroup.XMax = MaxGroupSize, MaxGroupSize
	s.Messages.Content.TextLength.Max = MaxTextLength
	s.Messages.InterArrival.Burst.MeanGapSeconds = MaxMeanGapSeconds
	s.Messages.InterArrival.Burst.SpacingShape = MinSpacingShape
	s.Attachments.PerMediaMessage = MaxAttachmentsPerMediaMessage
	s.Attachments.SizeBytes.Max = MaxAttachmentBytes
	s.Users.Membership = &Membership{WeightSigma: MaxPeopleSigma, ZeroShare: MaxZeroShare,
		Weights: []WeightClass{{MaxWeightRatio, 0.25}, {1, 0.75}}}
	s.Users.Activity = &Activity{Sigma: MaxPeopleSigma, Theta: MinTheta, Reply: 1}
	// 1 + 1000·(10 000 − 1) = 9 999 001 messages in the busiest room: inside.
	s.Conversations.HeavyRooms.Multiplier = MaxHeavyMultiplier
	s.Messages.PerConversationDistribution.XMax = 10_000
	if err := s.Validate(); err != nil {
		t.Fatalf("the ends of the ranges are refused: %v", err)
	}
	s.Window.End = MinWindowEnd
	if err := s.Validate(); err != nil {
		t.Fatalf("the earliest window end is refused: %v", err)
	}
}
