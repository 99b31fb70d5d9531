package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/dist"
)

// validJSON is a complete, valid spec (hand-written for the tests).
const validJSON = `
{
  "spec_version": "1",
  "source": "test",
  "window": {"end": "2026-01-05T00:00:00Z", "days": 14},
  "bands": {"tiny": {"messages": 20000}, "dev": {"messages": 5000000}, "staging": {"messages": 100000000}},
  "users": {
    "per_message": 0.02,
    "username_length": {"6": 10, "8": 30, "10": 40, "12": 15, "16": 5, "17": 0},
    "account_age_days": {"0": 2, "7": 5, "30": 10, "365": 20, "1095": 10, "1460": 0}
  },
  "conversations": {
    "inactive_ratio": 0.3,
    "type_distribution": {"one_to_one": 0.6, "small_group": 0.3, "large_group": 0.1},
    "small_group": {"p": 0.25, "min": 3, "max": 20},
    "large_group": {"alpha": 2.2, "x_min": 21, "x_max": 200},
    "heavy_rooms": {"percentage": 0.01, "traffic_share": 0.2, "multiplier": 2}
  },
  "messages": {
    "per_conversation_distribution": {"distribution": "discrete_lognormal", "mu": 2.5, "sigma": 1.2, "x_min": 1, "x_max": 5000},
    "content": {"text_length": {"distribution": "log_normal", "mu": 3.8, "sigma": 0.8, "max": 4000}, "media_ratio": 0.1},
    "inter_arrival": {
      "mean_lambda_peak": 0, "mean_lambda_trough": 0, "burst_coefficient": 0,
      "burst": {"model": "self_exciting_chain", "continue_probability": 0.6, "mean_gap_seconds": 40, "spacing_shape": 1},
      "weekday_hour_weights": [
        [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,4,3,3,2,2,1,1],
        [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,4,3,3,2,2,1,1],
        [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,4,3,3,2,2,1,1],
        [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,4,3,3,2,2,1,1],
        [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,4,3,3,2,2,1,1],
        [1,1,1,1,1,1,1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,1,1,1],
        [1,1,1,1,1,1,1,1,2,2,2,2,2,2,2,2,2,2,2,2,2,1,1,1]
      ]
    }
  },
  "read_receipts": {
    "read_rate": 0.8, "extra_reader_probability": 0.3,
    "immediate_share": 0.5, "immediate_mean_seconds": 15,
    "near_term_share": 0.3, "near_term_exponential_mean_seconds": 600,
    "delayed_share": 0.2, "delayed_lognormal_mu": 9, "delayed_lognormal_sigma": 1
  },
  "attachments": {
    "type_distribution": {"image": 0.6, "video": 0.1, "audio": 0.1, "document": 0.15, "other": 0.05},
    "size_bytes": {"distribution": "log_normal", "mu": 12, "sigma": 1.5, "max": 100000000},
    "per_media_message": 1.2
  }
}
`

func valid(t *testing.T) *Spec {
	t.Helper()
	s, err := Parse([]byte(validJSON))
	if err != nil {
		t.Fatalf("the valid spec does not parse: %v", err)
	}
	return s
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	s := valid(t)
	if s.Bands["tiny"].Messages != 20000 || s.Window.Days != 14 || s.Conversations.SmallGroup.Max != 20 {
		t.Fatalf("fields not read: %+v", s)
	}
	if got := s.Users.UsernameLength.Total(); got != 100 {
		t.Fatalf("username_length total = %d, want 100", got)
	}
	if s.SHA256() != valid(t).SHA256() || len(s.SHA256()) != 64 {
		t.Fatalf("SHA256 is not stable")
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"unknown field": {strings.Replace(validJSON, `"source"`, `"sourc"`, 1), `unknown field "sourc"`},
		"version":       {strings.Replace(validJSON, `"spec_version": "1"`, `"spec_version": "2"`, 1), "$.spec_version"},
		"not json":      {"{", "unexpected EOF"},
		"trailing":      {validJSON + "{}", "trailing data"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrInvalid mentioning %q", name, err, tc.want)
		}
	}
}

func TestValidateNamesPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path   string
		mutate func(*Spec)
	}{
		{"$.window.days", func(s *Spec) { s.Window.Days = 0 }},
		{"$.bands.tiny.messages", func(s *Spec) { s.Bands["tiny"] = Band{Messages: -1} }},
		{"$.users.per_message", func(s *Spec) { s.Users.PerMessage = 0 }},
		{"$.users.username_length", func(s *Spec) { s.Users.UsernameLength = nil }},
		{"$.conversations.inactive_ratio", func(s *Spec) { s.Conversations.InactiveRatio = 1.5 }},
		{"$.conversations.inactive_ratio", func(s *Spec) { s.Conversations.InactiveRatio = 1 }},
		{"$.conversations.type_distribution", func(s *Spec) { s.Conversations.TypeDistribution.OneToOne = 0.5 }},
		{"$.conversations.type_distribution.large_group", func(s *Spec) { s.Conversations.TypeDistribution.LargeGroup = -0.1 }},
		{"$.conversations.small_group.p", func(s *Spec) { s.Conversations.SmallGroup.P = 0 }},
		{"$.conversations.small_group.min", func(s *Spec) { s.Conversations.SmallGroup.Min = 30 }},
		{"$.conversations.large_group.alpha", func(s *Spec) { s.Conversations.LargeGroup.Alpha = 1 }},
		{"$.conversations.large_group.x_min", func(s *Spec) { s.Conversations.LargeGroup.XMin = 300 }},
		{"$.conversations.heavy_rooms.percentage", func(s *Spec) { s.Conversations.HeavyRooms.Percentage = 2 }},
		{"$.conversations.heavy_rooms.multiplier", func(s *Spec) { s.Conversations.HeavyRooms.Multiplier = 0 }},
		{"$.conversations.size_activity_correlation", func(s *Spec) { s.Conversations.SizeActivityCorrelation = 1 }},
		{"$.conversations.size_activity_correlation", func(s *Spec) { s.Conversations.SizeActivityCorrelation = math.NaN() }},
		{"$.read_receipts.by_member_count[1].min_members", func(s *Spec) {
			s.ReadReceipts.ByMemberCount = []ReaderBucket{{MinMembers: 3}, {MinMembers: 3}}
		}},
		{"$.read_receipts.by_member_count[0].read_rate", func(s *Spec) {
			s.ReadReceipts.ByMemberCount = []ReaderBucket{{MinMembers: 2, ReadRate: new(1.5)}}
		}},
		{"$.read_receipts.by_member_count[0].receipts_per_read_message", func(s *Spec) {
			s.ReadReceipts.ByMemberCount = []ReaderBucket{{MinMembers: 2, ReceiptsPerReadMessage: new(0.5)}}
		}},
		{"$.messages.per_conversation_distribution.sigma", func(s *Spec) { s.Messages.PerConversationDistribution.Sigma = 0 }},
		{"$.messages.per_conversation_distribution.alpha", func(s *Spec) {
			s.Messages.PerConversationDistribution.Distribution = "power_law"
			s.Messages.PerConversationDistribution.Alpha = 0.9
		}},
		{"$.messages.per_conversation_distribution.distribution", func(s *Spec) { s.Messages.PerConversationDistribution.Distribution = "zipf" }},
		{"$.messages.per_conversation_distribution.shift", func(s *Spec) {
			cm := &s.Messages.PerConversationDistribution
			cm.Distribution, cm.Shift = DistShiftedDiscreteLogNormal, float64(cm.XMin)+1
		}},
		{"$.messages.per_conversation_distribution.shift", func(s *Spec) {
			cm := &s.Messages.PerConversationDistribution
			cm.Distribution, cm.Shift = DistShiftedDiscreteLogNormal, -0.5
		}},
		{"$.messages.per_conversation_distribution.shift", func(s *Spec) {
			cm := &s.Messages.PerConversationDistribution
			cm.Distribution, cm.Shift = DistShiftedDiscreteLogNormal, math.NaN()
		}},
		{"$.messages.per_conversation_distribution.x_max", func(s *Spec) { s.Messages.PerConversationDistribution.XMax = MaxCountXMax + 1 }},
		{"$.messages.content.text_length.sigma", func(s *Spec) { s.Messages.Content.TextLength.Sigma = -1 }},
		{"$.messages.content.media_ratio", func(s *Spec) { s.Messages.Content.MediaRatio = 1.01 }},
		{"$.messages.inter_arrival.burst.continue_probability", func(s *Spec) { s.Messages.InterArrival.Burst.ContinueProbability = 1 }},
		{"$.messages.inter_arrival.burst.mean_gap_seconds", func(s *Spec) { s.Messages.InterArrival.Burst.MeanGapSeconds = 0 }},
		{"$.messages.inter_arrival.burst.spacing_shape", func(s *Spec) { s.Messages.InterArrival.Burst.SpacingShape = 0 }},
		{"$.messages.inter_arrival.burst.start_model", func(s *Spec) { s.Messages.InterArrival.Burst.StartModel = "poisson" }},
		{"$.messages.inter_arrival.burst.gap_mu", func(s *Spec) {
			s.Messages.InterArrival.Burst.StartModel, s.Messages.InterArrival.Burst.GapSigma = StartModelRenewal, 1
			s.Messages.InterArrival.Burst.GapMu = math.NaN()
		}},
		{"$.messages.inter_arrival.burst.gap_sigma", func(s *Spec) {
			s.Messages.InterArrival.Burst.StartModel, s.Messages.InterArrival.Burst.GapMu = StartModelRenewal, 8
		}},
		{"$.messages.inter_arrival.weekday_hour_weights[2][5]", func(s *Spec) { s.Messages.InterArrival.WeekdayHourWeights[2][5] = -1 }},
		{"$.messages.inter_arrival.weekday_hour_weights", func(s *Spec) { s.Messages.InterArrival.WeekdayHourWeights = [7][24]float64{} }},
		{"$.read_receipts.read_rate", func(s *Spec) { s.ReadReceipts.ReadRate = -0.1 }},
		{"$.read_receipts", func(s *Spec) { s.ReadReceipts.DelayedShare = 0.3 }},
		{"$.read_receipts.delayed_lognormal_sigma", func(s *Spec) { s.ReadReceipts.DelayedSigma = 0 }},
		{"$.attachments.type_distribution.gif", func(s *Spec) { s.Attachments.TypeDistribution["gif"] = 0 }},
		{"$.attachments.type_distribution", func(s *Spec) { s.Attachments.TypeDistribution["image"] = 0.7 }},
		{"$.attachments.per_media_message", func(s *Spec) { s.Attachments.PerMediaMessage = 0.5 }},
	} {
		s := valid(t)
		tc.mutate(s)
		err := s.Validate()
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.path+" ") {
			t.Errorf("%s: error %v, want one naming it", tc.path, err)
		}
	}
}

func TestValidateMixTolerance(t *testing.T) {
	t.Parallel()
	s := valid(t)
	// 0.6 + 0.3 + 0.1 + 5e-7 is within ±1e-6 of 1; + 2e-6 is not.
	s.Conversations.TypeDistribution.LargeGroup = 0.1 + 5e-7
	if err := s.Validate(); err != nil {
		t.Fatalf("a mix 5e-7 off is rejected: %v", err)
	}
	s.Conversations.TypeDistribution.LargeGroup = 0.1 + 2e-6
	if err := s.Validate(); err == nil {
		t.Fatalf("a mix 2e-6 off is accepted")
	}
}

// A spec without start_model (written before it existed) reads as "window_spacing";
// "renewal" with its log-normal is valid, and the window-spacing mode ignores gap_mu
// and gap_sigma.
func TestBurstStartModel(t *testing.T) {
	t.Parallel()
	s := valid(t)
	if b := s.Messages.InterArrival.Burst; b.StartModel != "" || b.Start() != StartModelWindowSpacing {
		t.Fatalf("start model %q (in force %q), want empty read as %q", b.StartModel, b.Start(), StartModelWindowSpacing)
	}
	in := strings.Replace(validJSON, `"spacing_shape": 1}`, `"spacing_shape": 1, "start_model": "renewal", "gap_mu": 8, "gap_sigma": 1.2}`, 1)
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if b := r.Messages.InterArrival.Burst; b.Start() != StartModelRenewal || b.GapMu != 8 || b.GapSigma != 1.2 {
		t.Fatalf("renewal burst read as %+v", b)
	}
	s.Messages.InterArrival.Burst.StartModel = StartModelWindowSpacing
	if err := s.Validate(); err != nil {
		t.Fatalf("window_spacing without gap_mu/gap_sigma: %v", err)
	}
}

// TestBurstInGapSigma: in_gap_sigma reads and validates; absent it is 0 (exponential
// in-burst gaps) and is not written back; InGapMu keeps the mean: with g = 30 s and
// σ = 1, μ = ln 30 − 0.5 = 2.9012.
func TestBurstInGapSigma(t *testing.T) {
	t.Parallel()
	s := valid(t)
	if b := s.Messages.InterArrival.Burst; b.InGapSigma != 0 {
		t.Fatalf("in_gap_sigma absent read as %g, want 0", b.InGapSigma)
	}
	out, err := json.Marshal(s.Messages.InterArrival.Burst)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "in_gap_sigma") {
		t.Fatalf("in_gap_sigma 0 written: %s", out)
	}
	in := strings.Replace(validJSON, `"spacing_shape": 1}`, `"spacing_shape": 1, "in_gap_sigma": 1.25}`, 1)
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Messages.InterArrival.Burst.InGapSigma; got != 1.25 {
		t.Fatalf("in_gap_sigma read as %g, want 1.25", got)
	}
	if got := InGapMu(30, 1); math.Abs(got-2.901198) > 1e-6 {
		t.Fatalf("InGapMu(30, 1) = %.6f, want 2.901198", got)
	}
}

// TestTextLengthMixture: a 2-component mixture reads and validates; its components'
// weights must sum to 1, there must be 2 or 3 of them, and a plain log-normal carries
// none. Each error names the JSON path.
func TestTextLengthMixture(t *testing.T) {
	t.Parallel()
	mix := `"text_length": {"distribution": "log_normal_mixture", "mu": 3.9, "sigma": 1.7, "max": 4000,
	  "components": [{"weight": 0.6, "mu": 2.3, "sigma": 0.6}, {"weight": 0.4, "mu": 5.5, "sigma": 0.8}]}`
	in := strings.Replace(validJSON, `"text_length": {"distribution": "log_normal", "mu": 3.8, "sigma": 0.8, "max": 4000}`, mix, 1)
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("a valid mixture is refused: %v", err)
	}
	if m := s.Messages.Content.TextLength.Mixture(); len(m) != 2 || m[1].Mu != 5.5 || m[0].Weight != 0.6 {
		t.Fatalf("components read as %+v", m)
	}
	if m := s.Attachments.SizeBytes.Mixture(); len(m) != 1 || m[0].Weight != 1 || m[0].Mu != 12 {
		t.Fatalf("a plain log-normal's Mixture() = %+v, want one component of weight 1", m)
	}
	for name, tc := range map[string]struct{ from, to, path string }{
		"weights":      {`"weight": 0.4`, `"weight": 0.3`, "$.messages.content.text_length.components"},
		"one":          {`, {"weight": 0.4, "mu": 5.5, "sigma": 0.8}`, ``, "$.messages.content.text_length.components"},
		"sigma":        {`"sigma": 0.8}]`, `"sigma": 0}]`, "$.messages.content.text_length.components[1].sigma"},
		"distribution": {`"log_normal_mixture"`, `"log_normal"`, "$.messages.content.text_length.components"},
	} {
		_, err := Parse([]byte(strings.Replace(in, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.path)
		}
	}
}

// The people model is optional: the default spec has none and writes no key for it;
// a spec with it reads back equal.
func TestPeopleOptional(t *testing.T) {
	t.Parallel()
	s := Default()
	if s.Users.Membership != nil || s.Users.Activity != nil {
		t.Fatalf("the default spec has a people model: %+v %+v", s.Users.Membership, s.Users.Activity)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"membership"`)) || bytes.Contains(data, []byte(`"activity"`)) {
		t.Errorf("the default spec writes a people key")
	}
	s.Users.Membership = &Membership{WeightSigma: 1.5, ZeroShare: 0.2}
	s.Users.Activity = &Activity{Sigma: 1, Theta: 0.3}
	if data, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"membership":{"weight_sigma":1.5,"zero_share":0.2},"activity":{"sigma":1,"theta":0.3}`)) {
		t.Errorf("people keys not as documented: %s", data)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Users.Membership, s.Users.Membership) {
		t.Errorf("read back %+v", back.Users.Membership)
	}
	s.Users.Membership.Weights = []WeightClass{{Weight: 8, Share: 0.25}, {Weight: 1, Share: 0.75}}
	if data, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"membership":{"weight_sigma":1.5,"zero_share":0.2,"weights":[{"weight":8,"share":0.25},{"weight":1,"share":0.75}]}`)) {
		t.Errorf("weight classes not as documented: %s", data)
	}
	if back, err = Parse(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Users.Membership, s.Users.Membership) || *back.Users.Activity != *s.Users.Activity {
		t.Errorf("read back %+v %+v", back.Users.Membership, back.Users.Activity)
	}
	// The reply share is written only when positive (a spec without it reads as 0).
	s.Users.Activity.Reply = 0.4
	if data, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"activity":{"sigma":1,"theta":0.3,"reply":0.4}`)) {
		t.Errorf("reply key not as documented: %s", data)
	}
	if back, err = Parse(data); err != nil || back.Users.Activity.Reply != 0.4 {
		t.Errorf("read back reply %+v (%v)", back.Users.Activity, err)
	}
}

// A "shifted_discrete_lognormal" count model reads with its shift and names
// dist.ShiftedDiscreteLogNormal; the same model without the key (a spec written before
// the shifted law, as validJSON is) still reads as the unshifted law.
func TestShiftedCountModel(t *testing.T) {
	t.Parallel()
	old := valid(t)
	if cm := old.Messages.PerConversationDistribution; cm.Shift != 0 || cm.Law() != (dist.DiscreteLogNormal{Mu: 2.5, Sigma: 1.2, XMin: 1, XMax: 5000}) {
		t.Fatalf("the unshifted model reads as %+v, law %#v", cm, cm.Law())
	}
	js := strings.Replace(validJSON, `{"distribution": "discrete_lognormal", "mu": 2.5,`,
		`{"distribution": "shifted_discrete_lognormal", "shift": 1.5, "mu": 2.5,`, 1)
	s, err := Parse([]byte(js))
	if err != nil {
		t.Fatalf("the shifted model does not parse: %v", err)
	}
	want := dist.ShiftedDiscreteLogNormal{Mu: 2.5, Sigma: 1.2, Shift: 1.5, XMin: 1, XMax: 5000}
	if got := s.Messages.PerConversationDistribution.Law(); got != want {
		t.Errorf("law %#v, want %#v", got, want)
	}
}
