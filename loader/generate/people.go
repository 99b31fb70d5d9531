package generate

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/spec"
)

// Stream tags of the people model.
const (
	tagUserPerm uint64 = 0x7a3f1c9e5b2d4e61 // rank → user id permutation
	tagActivity uint64 = 0x3c6ef372fe94f82b // a user's activity a_u
	tagLurk     uint64 = 0x6a09e667bb67ae85 // a membership's silence (users.activity.lurk)
)

// peopleModel is the spec's optional people model (spec.Membership, spec.Activity),
// derived once and read-only afterwards; its memory is O(strata), not O(users).
//
// Membership is Chung–Lu: user ranks 0…nz−1 carry the log-normal weights w(r) =
// exp(σ·Φ⁻¹(1 − (r + ½)/nz)) (the law's quantiles, heaviest first), ranks nz…U−1
// weight 0, and a seeded Feistel permutation maps rank to user id, so no per-user
// table is kept. The ranks are cut into strata: each a run of ranks whose weights lie
// within stratumRatio of each other (the heaviest ranks are strata of one). A member
// draw picks a stratum from an alias table by the stratum's total weight (the exact
// integral of the log-normal over its quantile range), then a rank uniformly in it,
// so every user's propensity is within 2 % of their own weight.
type peopleModel struct {
	weighted bool
	nz       int64        // users with a positive weight
	perm     feistel      // rank → user id − 1, over 0…U−1
	strata   *alias       // stratum by total weight
	lo       []int64      // first rank of each stratum, and nz last
	classW   []float64    // weight classes: each stratum's per-user draw weight
	active   bool         // senders by propensity
	sigmaA   float64      // σ of the log-normal activity a_u
	theta    float64      // Gamma shape of a member's share of one conversation
	reply    float64      // probability that a message excludes the previous sender
	lurk     float64      // users.activity.lurk (0: no silent member)
	breadth  float64      // users.activity.breadth (0: no new-voice draw)
	relW     []float64    // each weight class's weight over the weighted users' mean (lurk)
	sigmaW   float64      // the log-normal weight law's σ, without classes (lurk)
	gamma    gammaSampler // Gamma(max(θ, θ+1 when θ < 1))
}

// stratumRatio is the largest ratio of two weights in one stratum.
const stratumRatio = 1.02

func newPeopleModel(u spec.Users, users int64, seed uint64) peopleModel {
	var p peopleModel
	if mb := u.Membership; mb != nil {
		p.weighted = true
		p.nz = max(1, int64(math.Round(float64(users)*(1-mb.ZeroShare))))
		p.perm = newFeistel(uint64(users), seed^tagUserPerm)
		p.sigmaW = mb.WeightSigma
		if len(mb.Weights) > 0 {
			p.lo, p.classW = spec.ClassRuns(p.nz, mb.Weights)
			p.strata = strataAlias(p.lo, p.classW)
			p.relW = spec.RelativeWeights(p.lo, p.classW)
		} else {
			p.lo, p.strata = weightStrata(p.nz, mb.WeightSigma)
		}
	}
	if a := u.Activity; a != nil {
		p.active = true
		p.sigmaA, p.theta, p.reply, p.lurk, p.breadth = a.Sigma, a.Theta, a.Reply, a.Lurk, a.Breadth
		k := a.Theta
		if k < 1 {
			k++
		}
		p.gamma = newGammaSampler(k)
	}
	return p
}

// weightStrata cuts ranks 0…nz−1 of the log-normal(0, σ) quantile weights into runs
// whose weights are within stratumRatio, and returns their first ranks (nz appended)
// and an alias table over their total weights.
func weightStrata(nz int64, sigma float64) ([]int64, *alias) {
	n := distuv.UnitNormal
	// z(r): the standard normal quantile of rank r's upper edge 1 − r/nz.
	z := func(r int64) float64 { return n.Quantile(1 - float64(r)/float64(nz)) }
	lo := []int64{0}
	var w []float64
	for r := int64(0); r < nz; {
		next := nz
		if sigma > 0 {
			// The first rank whose midpoint weight is below w(r)/stratumRatio.
			zr := n.Quantile(1 - (float64(r)+0.5)/float64(nz))
			target := zr - math.Log(stratumRatio)/sigma
			next = int64(math.Ceil(float64(nz)*(1-n.CDF(target)) - 0.5))
			next = min(nz, max(r+1, next))
		}
		// ∫ e^(σx) φ(x) dx over [z(next), z(r)] = e^(σ²/2)(Φ(z(r) − σ) − Φ(z(next) − σ)),
		// scaled by nz (the constant e^(σ²/2) is dropped: only ratios matter).
		w = append(w, n.CDF(z(r)-sigma)-n.CDF(z(next)-sigma))
		lo = append(lo, next)
		r = next
	}
	// A stratum whose weight underflowed (the lightest ranks at a large σ) is never
	// drawn; its users join only through the uniform fill.
	return lo, newAlias(w)
}

// strataAlias is the alias table over strata of per-user weights w: stratum k weighs
// w[k]·(lo[k+1] − lo[k]).
func strataAlias(lo []int64, w []float64) *alias {
	mass := make([]float64, len(w))
	for k := range w {
		mass[k] = w[k] * float64(lo[k+1]-lo[k])
	}
	return newAlias(mass)
}

// saturate replaces the weight classes' per-user weights by spec.SaturateWeights'
// draw weights for this load's conversations (convs of the given sizes).
func (p *peopleModel) saturate(convs int64, sizes []int, probs []float64) {
	if len(p.classW) == 0 || convs <= 0 {
		return
	}
	n := make([]float64, len(p.classW))
	for k := range n {
		n[k] = float64(p.lo[k+1] - p.lo[k])
	}
	if v := spec.SaturateWeights(p.classW, n, convs, sizes, probs); v != nil {
		p.classW = v
		p.strata = strataAlias(p.lo, v)
	}
}

// realizedSizes returns the member counts of this load's conversations, tallied: the
// size each conversation draws in loadConversation (its first draw from the (tagConv,
// id) stream through sizeUniform and the type mix, capped at the users), computed
// ahead. A small band's few large channels make its member slots stray from the size
// law's expectation, and the users' degrees with them; saturate solves on what will be
// drawn. O(conversations) once, memory O(distinct sizes).
func (m *model) realizedSizes() (sizes []int, probs []float64) {
	pcg := rand.NewPCG(0, 0)
	r := rand.New(pcg)
	tally := map[int]int64{}
	for idx := range m.convs {
		pcg.Seed(m.seed^tagConv, uint64(idx+1))
		_, size := m.sizeOf(idx, openUniform(r))
		tally[size]++
	}
	for s := range tally {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	for _, s := range sizes {
		probs = append(probs, float64(tally[s])/float64(m.convs))
	}
	return sizes, probs
}

// weightedMembers draws size distinct user ids with probability proportional to
// weight, ascending. A duplicate rank is redrawn (ranks are deduplicated before the
// Feistel permutation turns the accepted ones into ids); once 8·size + 64 draws have
// not filled the conversation (it wants most of the weighted users) the rest is
// filled uniformly over all users, zero-weight ones included.
func (g *gen) weightedMembers(out []int64, size int) []int64 {
	p := &g.m.ppl
	big := size > 32
	if big {
		clear(g.set)
	}
	has := func(x int64) bool {
		if big {
			_, ok := g.set[x]
			return ok
		}
		return slices.Contains(out, x)
	}
	add := func(x int64) {
		if big {
			g.set[x] = struct{}{}
		}
		out = append(out, x)
	}
	for tries := 8*size + 64; len(out) < size && tries > 0; tries-- {
		k := p.strata.sample(g.r)
		if rank := p.lo[k] + g.r.Int64N(p.lo[k+1]-p.lo[k]); !has(rank) {
			add(rank)
		}
	}
	for i, rank := range out {
		out[i] = int64(p.perm.apply(uint64(rank))) + 1
	}
	if len(out) < size { // the fill deduplicates ids, not ranks
		if big {
			clear(g.set)
			for _, x := range out {
				g.set[x] = struct{}{}
			}
		}
		for len(out) < size {
			if x := 1 + g.r.Int64N(g.m.users); !has(x) {
				add(x)
			}
		}
	}
	slices.Sort(out)
	return out
}

// person returns user uid's log activity ln a_u = σ_a·Z_u. Under the membership model a
// weighted user's Z_u is their weight score, the normal quantile Φ⁻¹(1 − (r + ½)/nz)
// of their rank r (found by inverting the Feistel permutation): the users in the most
// conversations are the most active in each (a_u = w_u^(σ_a/σ_w)). Otherwise (no
// membership model, or a zero-weight user) Z_u is standard normal from a hash of
// (seed, uid). Either way it is the same in every conversation and on every worker.
//
// With rel set it also returns the user's membership weight over the weighted users'
// mean (rankWeight; 0 for a zero-weight user), from the same inversion of the Feistel
// permutation; without it, or without the membership model, 1.
func (m *model) person(uid int64, rel bool) (logA, relW float64) {
	p := &m.ppl
	relW = 1
	if p.weighted {
		r := int64(p.perm.invert(uint64(uid - 1)))
		if r < p.nz {
			q := 1 - (float64(r)+0.5)/float64(p.nz)
			z := math.Sqrt2 * math.Erfinv(2*q-1)
			if rel {
				relW = p.rankWeight(r, z)
			}
			return p.sigmaA * z, relW
		}
		relW = 0
	}
	h := mix64(m.seed ^ tagActivity ^ mix64(uint64(uid)))
	u := (float64(h>>11) + 0.5) / (1 << 53)
	return p.sigmaA * math.Sqrt2 * math.Erfinv(2*u-1), relW
}

// invert is apply's inverse: the rounds backwards, cycle-walked the same way.
func (f *feistel) invert(y uint64) uint64 {
	x := f.unround(y)
	for x >= f.n {
		x = f.unround(x)
	}
	return x
}

func (f *feistel) unround(x uint64) uint64 {
	l, r := x>>f.halfBits, x&f.mask
	for i := len(f.keys) - 1; i >= 0; i-- {
		l, r = r^(mix64(l^f.keys[i])&f.mask), l
	}
	return l<<f.halfBits | r
}

// actCache is a per-worker direct-mapped cache of users' activities a_u (a
// conversation's members recur: the heaviest users are in many conversations), a
// fixed 64 KiB whatever the users.
const actCacheSize = 4096

type actCache struct {
	uid [actCacheSize]int64 // 0: empty (ids start at 1)
	a   [actCacheSize]float64
	rel [actCacheSize]float64 // the relative weight (person), when users.activity.lurk is positive
}

// act returns a_u = exp(activity(uid)) and the user's relative weight (person's, when
// users.activity.lurk is positive, else 1) through the cache.
func (g *gen) act(uid int64) (a, rel float64) {
	if g.acts == nil {
		g.acts = new(actCache)
	}
	i := mix64(uint64(uid)) & (actCacheSize - 1)
	if g.acts.uid[i] != uid {
		la, r := g.m.person(uid, g.m.ppl.lurk > 0)
		g.acts.uid[i], g.acts.a[i], g.acts.rel[i] = uid, math.Exp(la), r
	}
	return g.acts.a[i], g.acts.rel[i]
}

// silent reports whether member uid of conversation cid, of relative weight rel
// (person's), is silent under users.activity.lurk λ: with probability λ/(λ + rel), from
// a hash of (seed, cid, uid), so it is the same on every worker and costs no draw of
// the conversation's stream.
func (g *gen) silent(cid, uid int64, rel float64) bool {
	lk := g.m.ppl.lurk
	if lk <= 0 {
		return false
	}
	h := mix64(g.m.seed ^ tagLurk ^ mix64(uint64(cid)^mix64(uint64(uid))))
	u := (float64(h>>11) + 0.5) / (1 << 53)
	return u*(lk+rel) < lk
}

// rankWeight is the relative weight of weighted rank r, whose weight score is z: their
// class's spec.RelativeWeights under weight classes, spec.LogNormalRelative under the
// log-normal weight law.
func (p *peopleModel) rankWeight(r int64, z float64) float64 {
	if len(p.relW) > 0 {
		k, _ := slices.BinarySearch(p.lo, r+1) // the run holding r: lo[k−1] ≤ r < lo[k]
		return p.relW[k-1]
	}
	return spec.LogNormalRelative(p.sigmaW, z)
}

// thetaLogs is the θ below which sender weights are computed in logs: Gamma(θ)
// = Gamma(θ+1)·e^(−E/θ) underflows once E > 745·θ, which above it has probability
// below e^(−37).
const thetaLogs = 0.05

// weightedSenders fills g.snd and g.elig as senders does, each message's sender
// drawn with probability ∝ a_u·G_cu among the members joined by its time, a silent
// member's weight 0 (users.activity.lurk: it sends only when every joined member is
// silent, drawn uniformly then); with users.activity.breadth a message may go to a
// joined member who has not sent yet instead (g.unheard, O(log members) per draw;
// silent members are never one). The
// weights of the members joined by the last message (in join order, the only ones
// that can send) are computed once (in logs when θ < thetaLogs, where a Gamma(θ) draw
// underflows) and kept as cumulative sums: O(members) per conversation, O(log
// members) per message.
func (g *gen) weightedSenders(c *convState) {
	p := &g.m.ppl
	g.seed(&g.pr, tagSender, c.id)
	g.snd, g.elig = g.snd[:0], g.elig[:0]
	if len(g.ts) == 0 {
		return
	}
	last := g.ts[len(g.ts)-1]
	e := 0
	for e < len(c.joinAt) && c.joinAt[e] <= last {
		e++
	}
	e = max(e, 1)
	g.cum = g.cum[:0]
	g.voice = g.voice[:0] // each joined member's weight for new voices, −1 when silent
	if p.theta >= thetaLogs {
		sum := 0.0
		for j := range e {
			uid := c.members[c.byJoin[j]]
			a, rel := g.act(uid)
			w := a * p.gamma.draw(g.r)
			if p.theta < 1 { // Gamma(θ) = Gamma(θ+1)·U^(1/θ)
				w *= math.Exp(-g.r.ExpFloat64() / p.theta)
			}
			if g.silent(c.id, uid, rel) {
				w = 0
				if p.breadth > 0 {
					g.voice = append(g.voice, -1)
				}
			} else if p.breadth > 0 {
				g.voice = append(g.voice, w)
			}
			sum += w
			g.cum = append(g.cum, sum)
		}
	} else {
		for j := range e {
			uid := c.members[c.byJoin[j]]
			la, rel := g.m.person(uid, p.lurk > 0)
			lw := la + math.Log(p.gamma.draw(g.r)) - g.r.ExpFloat64()/p.theta
			if g.silent(c.id, uid, rel) {
				lw = math.Inf(-1)
			}
			g.cum = append(g.cum, lw)
		}
		if p.breadth > 0 {
			g.voice = spec.VoiceWeights(g.voice, g.cum)
		}
		spec.CumExp(g.cum)
	}
	if p.breadth > 0 {
		g.unheard.Reset(g.voice)
	}
	e = 0
	prev := -1
	for _, t := range g.ts {
		for e < len(c.joinAt) && c.joinAt[e] <= t {
			e++
		}
		e = max(e, 1)
		j := -1
		// A new voice (probability users.activity.breadth, drawn only when it is
		// positive): a joined member who has not sent yet, by weight, if one is left.
		if p.breadth > 0 && prev >= 0 && g.r.Float64() < p.breadth {
			j = g.unheard.Draw(e, g.r.Float64())
		}
		// A reply (probability users.activity.reply, drawn only when it is positive so
		// that a spec without it keeps its stream) excludes the previous sender: the
		// draw falls on the others' cumulative weight and skips the previous one's run.
		if j >= 0 {
			// the new voice
		} else if p.reply > 0 && prev >= 0 && e > 1 && g.r.Float64() < p.reply {
			j = g.replySender(e, prev)
		} else if tot := g.cum[e-1]; tot > 0 {
			j = firstAbove(g.cum[:e], g.r.Float64()*tot)
		} else { // every joined member silent, or their weights underflowed beside a later one's
			j = g.r.IntN(e)
		}
		j = min(j, e-1)
		if p.breadth > 0 {
			g.unheard.Remove(j)
		}
		prev = j
		g.snd = append(g.snd, int32(j))
		g.elig = append(g.elig, int32(e))
	}
}

// firstAbove returns the index of the first cumulative sum above x (the last at most).
func firstAbove(cum []float64, x float64) int {
	j, _ := slices.BinarySearch(cum, x)
	for j < len(cum)-1 && cum[j] <= x {
		j++
	}
	return j
}

// replySender draws a sender among the first e joined members other than prev, by
// their weights in g.cum (uniformly when the others' weights underflowed).
func (g *gen) replySender(e, prev int) int {
	lo := 0.0
	if prev > 0 {
		lo = g.cum[prev-1]
	}
	w := g.cum[prev] - lo
	if rest := g.cum[e-1] - w; rest > 0 && w >= 0 {
		x := g.r.Float64() * rest
		if x >= lo {
			x += w
		}
		if j := firstAbove(g.cum[:e], x); j != prev {
			return j
		}
	}
	j := g.r.IntN(e - 1)
	if j >= prev {
		j++
	}
	return j
}
