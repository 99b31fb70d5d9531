package spec

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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
//
// Lurk is the lurkers' share of the memberships: a membership of a user whose
// membership weight is r times the weighted users' mean weight (r = 1 for everyone
// without the membership model, 0 for a zero-weight user) is silent with probability
// Lurk/(Lurk + r), decided once per (conversation, user) by a hash of the seed. A silent
// member sends only when no other joined member can (every one of them silent, or a
// reply with only silent others), so every message still has a sender. A user in
// m̄·r conversations on average (m̄ the weighted users' mean degree) is then silent in
// m̄·r·Lurk/(Lurk + r) of them: about m̄·Lurk for a heavy user, nearly all for a light
// one (the many who read and rarely write; the busy, silent in a few rooms). Real chats
// grow their rosters from who talks (a thread's members are mostly its senders): on
// the real-looking fixture 85 % of memberships send, and without lurkers the
// generator's weighted senders leave 42 % silent on the wrong users. 0 (or absent, as
// in specs written before it) is no lurker.
//
// Breadth is the share of new voices: each message after a conversation's first goes,
// with probability Breadth, to a joined member who has not sent in it yet, by the same
// weights among them (uniformly when all of theirs underflowed; a silent member is
// never one), else, or when every joined member has sent, as above (a reply, or by
// the weights among all). Where a thread's
// members are the people who wrote in it, as in an archive whose rosters are its
// posters, every member speaks: the weights alone leave the light ones silent beside a
// busy one. 0 (or absent) is no such draw: the rows of a spec without it.
type Activity struct {
	Sigma   float64 `json:"sigma"`
	Theta   float64 `json:"theta"`
	Reply   float64 `json:"reply,omitempty"`
	Lurk    float64 `json:"lurk,omitempty"`
	Breadth float64 `json:"breadth,omitempty"`
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
	// MaxLurk bounds users.activity.lurk: at 10³ all but the 0.1 % heaviest users'
	// memberships are silent in most conversations already.
	MaxLurk = 1e3
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
		v.floatIn("$.users.activity.lurk", a.Lurk, 0, MaxLurk, false, "the lurkers' weight, in mean membership weights")
		v.floatIn("$.users.activity.breadth", a.Breadth, 0, 1, false, "a probability")
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

// ClassRuns cuts ranks 0…nz−1 for a discrete weight law (Membership.Weights): the
// classes, heaviest first, take consecutive runs of ranks, class j the ranks from
// round(nz·C_j) to round(nz·C_(j+1)) with C_j the shares of the heavier classes (a
// class too small to hold a rank at this nz gets none). It returns the runs' first
// ranks (nz appended) and each run's per-user weight. The generator draws members by
// these runs; fit's sender simulation gives its users the same weights.
func ClassRuns(nz int64, classes []WeightClass) (lo []int64, w []float64) {
	cs := slices.Clone(classes)
	slices.SortStableFunc(cs, func(a, b WeightClass) int { return cmp.Compare(b.Weight, a.Weight) })
	total := 0.0
	for _, c := range cs {
		total += c.Share
	}
	lo = []int64{0}
	cum := 0.0
	for _, c := range cs {
		cum += c.Share
		if next := min(nz, int64(math.Round(float64(nz)*cum/total))); next > lo[len(lo)-1] {
			w = append(w, c.Weight)
			lo = append(lo, next)
		}
	}
	lo[len(lo)-1] = nz // rounding: the lightest class takes the rest
	return lo, w
}

// RelativeWeights returns each class run's per-user weight w[k] over the mean weight
// of the ranks lo[0]…lo[len(w)] − 1 (ClassRuns' runs and weights, before
// SaturateWeights: the degrees the fit wants, not the draw weights that give them):
// the r of Activity.Lurk. The generator and fit's sender simulation both use it.
func RelativeWeights(lo []int64, w []float64) []float64 {
	sum := 0.0
	for k := range w {
		sum += w[k] * float64(lo[k+1]-lo[k])
	}
	mean := sum / float64(lo[len(w)]-lo[0])
	out := make([]float64, len(w))
	for k := range w {
		out[k] = w[k] / mean
	}
	return out
}

// LogNormalRelative is the relative weight (Activity.Lurk's r) of a user of weight
// score z under the log-normal weight law of σ: e^(σz)/E[e^(σZ)] = e^(σz − σ²/2). The
// generator and fit's sender simulation both use it.
func LogNormalRelative(sigma, z float64) float64 {
	return math.Exp(sigma*z - sigma*sigma/2)
}

// Saturation: the steps of saturate's fixed point and of its Newton solve.
const (
	saturateIters = 60
	newtonIters   = 50
	// saturateCap is the largest target degree, as a share of the conversations.
	saturateCap = 0.95
)

// SaturateWeights turns weight classes' per-user weights classW (the target mean
// degrees, up to scale; n[k] users in class k) into draw weights that give those degrees when conversations of the given
// sizes draw their members ∝ weight without replacement. Drawn naively, a user whose
// weight would put them in more than one member slot of a conversation takes only
// one: the heaviest users fall short of their degree (most where conversations are
// large beside the users, as in a small band) and the slots they leave go to everyone
// else. The inclusion probability of weight v in a conversation of size s is taken as
// 1 − e^(−θ_s·v), θ_s solving Σ_k n_k·(1 − e^(−θ_s·v_k)) = s (the Poisson
// approximation of successive sampling, Rosén 1972); the draw weights v_k are then
// rescaled by target/expected degree until they agree. The targets share the
// generator's member slots (convs × the mean size) in proportion to the class
// weights, capped at saturateCap of the conversations. Strata-many numbers: its cost
// does not grow with the rows. nil when no class needs it (the weights stand). The
// generator draws members by these weights (convs: the load's conversations and their
// realized sizes), and fit's sender simulation by the same (its own conversations).
func SaturateWeights(classW, n []float64, convs int64, sizes []int, probs []float64) []float64 {
	if len(classW) == 0 || convs <= 0 {
		return nil
	}
	sizes, probs = groupSizes(sizes, probs)
	weighted := 0.0
	for _, x := range n {
		weighted += x
	}
	slots := 0.0
	for i, s := range sizes {
		slots += probs[i] * min(float64(s), weighted)
	}
	slots *= float64(convs)
	limit := saturateCap * float64(convs)
	if slots >= limit*weighted {
		return nil
	}
	// Targets: T_k = min(f·w_k, limit) with f such that Σ n_k T_k = slots (bisection).
	target := make([]float64, len(n))
	fill := func(f float64) float64 {
		sum := 0.0
		for k, w := range classW {
			target[k] = min(f*w, limit)
			sum += n[k] * target[k]
		}
		return sum
	}
	lo, hi := 0.0, 1.0
	for fill(hi) < slots {
		hi *= 2
	}
	for range 100 {
		if mid := (lo + hi) / 2; fill(mid) < slots {
			lo = mid
		} else {
			hi = mid
		}
	}
	fill(hi)
	v := slices.Clone(target)
	theta := make([]float64, len(sizes))
	for range saturateIters {
		for i, s := range sizes {
			if float64(s) >= weighted { // every weighted user is in it (the rest is filled)
				theta[i] = math.Inf(1)
				continue
			}
			// Newton from below on the concave Σ n_k(1 − e^(−θ v_k)) − s.
			th := theta[i]
			for range newtonIters {
				f, df := -float64(s), 0.0
				for k, vk := range v {
					e := math.Exp(-th * vk)
					f += n[k] * (1 - e)
					df += n[k] * vk * e
				}
				if df <= 0 {
					break
				}
				step := -f / df
				th += step
				if step <= 1e-12*th {
					break
				}
			}
			theta[i] = th
		}
		worst := 0.0
		for k, vk := range v {
			e := 0.0
			for i, th := range theta {
				e += probs[i] * -math.Expm1(-th*vk)
			}
			e *= float64(convs)
			if e > 0 {
				v[k] = vk * target[k] / e
				worst = max(worst, math.Abs(e/target[k]-1))
			}
		}
		if worst < 1e-4 {
			break
		}
	}
	return v
}

// Size groups of saturate: sizes up to exactSizes are kept apart, larger ones grouped
// while the largest is within sizeGroupRatio of the smallest (about 160 groups from 64
// to a million), each at its mean size.
const (
	exactSizes     = 64
	sizeGroupRatio = 1.05
)

// groupSizes merges an ascending size law into the groups above.
func groupSizes(sizes []int, probs []float64) ([]int, []float64) {
	var gs []int
	var gp []float64
	for i := 0; i < len(sizes); {
		j, mass, sum := i, 0.0, 0.0
		for j < len(sizes) && (j == i || (sizes[i] > exactSizes && float64(sizes[j]) <= sizeGroupRatio*float64(sizes[i]))) {
			mass += probs[j]
			sum += probs[j] * float64(sizes[j])
			j++
		}
		if mass > 0 {
			gs, gp = append(gs, int(math.Round(sum/mass))), append(gp, mass)
		}
		i = j
	}
	return gs, gp
}

// CumExp turns log weights into the cumulative sums of e^(lw − max lw), in place, and
// returns the total: weights that would underflow or overflow as e^lw keep their
// ratios. The generator's sender draw (in logs at small θ) and fit's sender
// simulation both use it.
//
// Log weights that are all −∞ (every member silent: Activity.Lurk) give cumulative
// sums and a total of 0, which the callers read as "draw uniformly".
func CumExp(lw []float64) float64 {
	top := math.Inf(-1)
	for _, x := range lw {
		top = max(top, x)
	}
	if math.IsInf(top, -1) {
		clear(lw)
		return 0
	}
	sum := 0.0
	for j, x := range lw {
		sum += math.Exp(x - top)
		lw[j] = sum
	}
	return sum
}

// VoiceWeights appends to dst the weights e^(lw − max lw) of log weights lw for
// Unheard.Reset, −1 for a silent member (−∞): the weights themselves, which a
// cumulative sum would absorb when far below another's.
func VoiceWeights(dst, lw []float64) []float64 {
	top := math.Inf(-1)
	for _, x := range lw {
		top = max(top, x)
	}
	for _, x := range lw {
		if math.IsInf(x, -1) {
			dst = append(dst, -1)
		} else {
			dst = append(dst, math.Exp(x-top))
		}
	}
	return dst
}

// Unheard holds the members of a conversation, in join order, who have not sent in it
// yet, for the new-voice draws of Activity.Breadth: two Fenwick trees (Fenwick 1994,
// Software: Practice and Experience 24(3):327), one over their weights and one over 1
// for each, so that a draw among the unheard of the first e joined is a descent of the
// first (by weight) or, when their weights have all underflowed, of the second
// (uniformly). A weight far below another's is absorbed in a node's floating-point
// sum and would be lost once the other is heard, so the weight tree is rebuilt from
// the members' own weights whenever a removal takes more than half of what was left:
// the total at least halves between rebuilds, so there are at most a few dozen. Reset
// is O(k) for k members, Draw and Remove O(log k) amortised, with no allocation once
// the buffers have grown. The generator and fit's sender simulation both draw through
// it.
type Unheard struct {
	w      []float64 // each member's weight while unheard (0 when heard or silent)
	left   []bool    // unheard and not silent
	wt, ct []float64 // the trees, 1-based: node i sums (i − lowbit(i), i]
	total  float64   // the unheard weight at the last build, less what left since
	n      int       // members unheard (a conversation's later messages find none: O(1))
}

// Reset loads k = len(w) members: w[j] ≥ 0 is member j's weight (0 when it
// underflowed: they are still drawn, uniformly, once no weight is left), w[j] < 0
// marks a silent member, never drawn.
func (u *Unheard) Reset(w []float64) {
	k := len(w)
	u.w = slices.Grow(u.w[:0], k)[:k]
	u.left = slices.Grow(u.left[:0], k)[:k]
	u.wt = slices.Grow(u.wt[:0], k+1)[:k+1]
	u.ct = slices.Grow(u.ct[:0], k+1)[:k+1]
	for j, x := range w {
		u.left[j] = x >= 0
		u.w[j] = max(x, 0)
	}
	u.build()
}

// build makes both trees from w and left: O(k), each node passing its sum to its
// parent.
func (u *Unheard) build() {
	k := len(u.w)
	u.wt[0], u.ct[0] = 0, 0
	u.total, u.n = 0, 0
	for j := range u.w {
		u.wt[j+1], u.ct[j+1] = 0, 0
		if u.left[j] {
			u.wt[j+1], u.ct[j+1] = u.w[j], 1
			u.total += u.w[j]
			u.n++
		}
	}
	for i := 1; i <= k; i++ {
		if p := i + i&-i; p <= k {
			u.wt[p] += u.wt[i]
			u.ct[p] += u.ct[i]
		}
	}
}

// Remove marks member j heard (a no-op when they were, or are silent).
func (u *Unheard) Remove(j int) {
	if !u.left[j] {
		return
	}
	x := u.w[j]
	u.left[j], u.w[j] = false, 0
	u.n--
	if u.total -= x; x > u.total { // most of the weight left: the sums carry its rounding
		u.build()
		return
	}
	for i := j + 1; i < len(u.wt); i += i & -i {
		u.wt[i] -= x
		u.ct[i]--
	}
}

// sum is Σ tree over members 0…e−1.
func sum(tree []float64, e int) float64 {
	s := 0.0
	for i := e; i > 0; i -= i & -i {
		s += tree[i]
	}
	return s
}

// descend returns the largest i with Σ tree over members 0…i−1 at most target: the
// member whose run holds target.
func descend(tree []float64, target float64) int {
	i, step := 0, 1
	for step*2 < len(tree) {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if n := i + step; n < len(tree) && tree[n] <= target {
			i = n
			target -= tree[n]
		}
	}
	return i
}

// Draw returns an unheard member among the first e, by weight (x a uniform in [0, 1)),
// uniformly when their weights are gone, or −1 when every one of them was heard.
func (u *Unheard) Draw(e int, x float64) int {
	if u.n == 0 {
		return -1
	}
	n := sum(u.ct, e)
	if n < 0.5 {
		return -1
	}
	if tw := sum(u.wt, e); tw > 0 {
		if i := descend(u.wt, x*tw); i < e && u.left[i] && u.w[i] > 0 {
			return i
		}
	}
	if i := descend(u.ct, math.Floor(x*n)); i < e && u.left[i] {
		return i
	}
	return -1 // not reached: the counts are exact
}
