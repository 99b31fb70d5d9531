package spec

import (
	"fmt"
	"math"
)

// Who takes part: the optional people model of the users object. Both parts are
// pointers so that a spec written before them (and the default spec) reads and
// generates as it did: members drawn uniformly, senders uniformly among the members
// who had joined by the message's time.

// Membership is a Chung–Lu bipartite model of who belongs to which conversation.
// Each user has a weight: a ZeroShare of users have weight 0 (they join a
// conversation only when the weighted draw cannot fill it); the others' weights
// follow a log-normal law with σ = WeightSigma over the natural log (its scale is
// irrelevant). A conversation's members are drawn without replacement with
// probability proportional to weight, so a user's expected number of conversations
// is proportional to their weight and the degree (conversations per user) is a
// mixed Poisson: P(D = d) = ZeroShare·[d = 0] + (1 − ZeroShare)·E[Poisson(d; m·W)],
// W log-normal with mean 1 and m the mean degree of the weighted users.
//
// Weights, when present, replaces the log-normal by a discrete weight law: the
// weighted users fall into classes, a Share of them (the shares sum to 1) each with
// the relative Weight (its scale is irrelevant), heaviest ranks first. The degree is
// then the Poisson mixture P(D = d) = ZeroShare·[d = 0] + (1 − ZeroShare)·Σ_j
// Share_j·Poisson(d; m·Weight_j/W̄), W̄ = Σ_j Share_j·Weight_j: any over-dispersed
// degree law, a power-law tail included, which one log-normal cannot hold. The fit
// writes both; WeightSigma then remains the log-normal summary of the same degrees.
type Membership struct {
	WeightSigma float64       `json:"weight_sigma"`
	ZeroShare   float64       `json:"zero_share"`
	Weights     []WeightClass `json:"weights,omitempty"`
}

// WeightClass is one class of the discrete weight law (Membership.Weights).
type WeightClass struct {
	Weight float64 `json:"weight"`
	Share  float64 `json:"share"`
}

// Activity is who sends among a conversation's members. Member u of conversation c
// sends each message with probability proportional to a_u · G_cu among the members
// who had joined by its time: a_u = exp(Sigma·Z_u) is the user's activity across every
// conversation, G_cu ~ Gamma(Theta, 1) the user's share of this conversation. Under
// the membership model a weighted user's Z_u is their weight score (the normal
// quantile of their weight rank), so the users in the most conversations are also the
// most active there (a_u = w_u^(Sigma/WeightSigma)); otherwise Z_u is an independent
// standard normal. With k members joined throughout, the shares of one
// conversation are then Dirichlet(Theta, …, Theta) when Sigma = 0: a small Theta
// concentrates a conversation on one or two senders (single-sender threads), a
// large one spreads it evenly; Sigma makes the same users busy everywhere (heavy
// senders).
//
// Reply is the share of replies: each message after a conversation's first is, with
// probability Reply, drawn by the same weights among the joined members other than
// the previous message's sender (someone answers), else among all of them (the same
// sender may go on). Under iid senders a two-message thread of k equally weighted
// members has one sender with probability 1/k; with replies (1 − Reply)/k, and an
// n-message thread's single-sender probability is (1 − Reply)^(n−1) times the iid
// one. 0 (or absent, as in specs written before it) is iid senders.
type Activity struct {
	Sigma float64 `json:"sigma"`
	Theta float64 `json:"theta"`
	Reply float64 `json:"reply,omitempty"`
}

// Bounds of the people model (docs/generate.md has the same table).
const (
	// MaxPeopleSigma bounds users.membership.weight_sigma and users.activity.sigma:
	// the generator keeps one weight stratum per 2 % of weight (about 500·σ strata
	// over the ±5σ of a million users), and e^(5·5) is already 10¹⁰ times the median.
	MaxPeopleSigma = 5.0
	// MaxZeroShare bounds users.membership.zero_share: some users must carry weight.
	MaxZeroShare = 0.999
	// MinTheta and MaxTheta bound users.activity.theta: below 10⁻³ a Gamma draw
	// underflows even in logs' precision, above 10³ the shares are equal already.
	MinTheta = 1e-3
	MaxTheta = 1e3
	// MaxWeightClasses bounds users.membership.weights: the generator keeps one stratum
	// per class; the fit's grid has about 100.
	MaxWeightClasses = 1000
	// MaxWeightRatio bounds the ratio of the largest to the smallest class weight of
	// users.membership.weights (e^(2·5·5), the log-normal's range at MaxPeopleSigma).
	MaxWeightRatio = 1e21
)

// people checks the people model's ranges.
func (v *validator) people(u Users) {
	if m := u.Membership; m != nil {
		v.floatIn("$.users.membership.weight_sigma", m.WeightSigma, 0, MaxPeopleSigma, false, "over ln weight")
		v.floatIn("$.users.membership.zero_share", m.ZeroShare, 0, MaxZeroShare, false, "a share of users; some must carry weight")
		v.weightClasses(m.Weights)
	}
	if a := u.Activity; a != nil {
		v.floatIn("$.users.activity.sigma", a.Sigma, 0, MaxPeopleSigma, false, "over ln activity")
		v.floatIn("$.users.activity.theta", a.Theta, MinTheta, MaxTheta, false, "a Gamma shape")
		v.floatIn("$.users.activity.reply", a.Reply, 0, 1, false, "a probability")
	}
}

// weightClasses checks users.membership.weights: at most MaxWeightClasses classes,
// each weight positive and within MaxWeightRatio of the largest, each share in (0, 1],
// the shares summing to 1 within 10⁻⁶.
func (v *validator) weightClasses(w []WeightClass) {
	const path = "$.users.membership.weights"
	if len(w) == 0 {
		return
	}
	if len(w) > MaxWeightClasses {
		v.fail(path, "has %d classes, want at most %d", len(w), MaxWeightClasses)
		return
	}
	top, sum := 0.0, 0.0
	for _, c := range w {
		if finite(c.Weight) {
			top = max(top, c.Weight)
		}
	}
	for i, c := range w {
		at := fmt.Sprintf("%s[%d]", path, i)
		lo := top / MaxWeightRatio
		v.floatIn(at+".weight", c.Weight, lo, top, lo == 0, "a positive relative weight, within 1e21 of the largest")
		v.floatIn(at+".share", c.Share, 0, 1, true, "a share of the weighted users")
		sum += c.Share
	}
	if finite(sum) && math.Abs(sum-1) > 1e-6 {
		v.fail(path, "has shares summing to %.6g, want 1 (the weighted users' classes)", sum)
	}
}
