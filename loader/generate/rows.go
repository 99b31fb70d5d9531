package generate

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/pgshape/pgshape/spec"
)

// gen is one worker's scratch state: its random streams (re-seeded per entity) and
// reusable buffers, so producing a row allocates nothing.
type gen struct {
	m *model
	// Separate generators because their streams interleave per message: r for the
	// entity at hand, ru for user ages looked up meanwhile, rm for media, rt for text,
	// rx for receipts and attachment sizes.
	pr, pu, pm, pt, px pcgPair
	r, ru, rm, rt, rx  *rand.Rand

	conv     convState
	set      map[int64]struct{}
	ts       []int64      // message times of the conversation, sorted
	spacing  []float64    // Gamma(κ, 1) spacings of the conversation's burst starts (renewal: gaps between bursts before each)
	burstIn  []float64    // renewal: the bursts' own durations before each burst (operational)
	snd      []int32      // sender: index into conv.byJoin
	elig     []int32      // members joined by the message's time: a prefix of conv.byJoin
	cum      []float64    // cumulative sender weights in join order (weightedSenders)
	acts     *actCache    // users' activities (weightedSenders), allocated on first use
	unheard  spec.Unheard // members yet to send (weightedSenders, users.activity.breadth)
	voice    []float64    // their weights (weightedSenders)
	attTypes []int8       // attachment types of the current media message
	readers  []reader
	scratch  []byte
}

type pcgPair struct{ *rand.PCG }

type reader struct {
	uid    int64
	readAt int64
}

func newGen(m *model) *gen {
	g := &gen{m: m, set: map[int64]struct{}{}}
	for _, p := range []*pcgPair{&g.pr, &g.pu, &g.pm, &g.pt, &g.px} {
		p.PCG = rand.NewPCG(0, 0)
	}
	g.r, g.ru, g.rm, g.rt, g.rx = rand.New(g.pr), rand.New(g.pu), rand.New(g.pm), rand.New(g.pt), rand.New(g.px)
	return g
}

// seed points p at the stream of (tag, entity).
func (g *gen) seed(p *pcgPair, tag uint64, entity int64) { p.Seed(g.m.seed^tag, uint64(entity)) }

// convState is a conversation with its members.
type convState struct {
	id      int64 // 1-based
	kind    string
	title   []byte // nil: NULL
	created int64
	members []int64 // user ids, ascending
	joined  []int64 // joined_at of members[i]
	byJoin  []int32 // member indexes ordered by (joined_at, user id)
	joinAt  []int64 // joined_at in byJoin order
	law     readLaw // the read law of its member count (model.readLaw)
}

// userCreated is a user's created_at: window end minus an account age drawn from the
// histogram (strictly before the end).
func (g *gen) userCreated(uid int64) int64 {
	g.seed(&g.pu, tagUserAge, uid)
	age := int64(g.m.accountAge.sample(g.ru) * usPerDay)
	return g.m.end - max(age, 1)
}

// loadConversation computes conversation index idx (0-based) and its members.
// Kind and size come from one uniform through the type mix and then the group-size
// model of that type (sizes ascend with it: 2, then small groups, then large ones),
// coupled to the conversation's activity by the size–activity copula (sizeUniform).
// The conversation opens at the later of a time up to 180 days before the window and
// its earliest member's account creation (a direct conversation: its later member's);
// every member joins at the later of that and their own account creation.
func (g *gen) loadConversation(idx int64) *convState {
	m, c := g.m, &g.conv
	c.id = idx + 1
	g.seed(&g.pr, tagConv, c.id)
	var size int
	c.kind, size = m.sizeOf(idx, openUniform(g.r))
	c0 := m.start - g.r.Int64N(m.convCreatedD)
	c.title = nil
	if c.kind != kindDirect {
		l := 6 + g.r.IntN(19)
		off := g.r.IntN(len(m.textBuf) - l)
		c.title = m.textBuf[off : off+l]
	}

	g.seed(&g.pr, tagMembers, c.id)
	c.members = g.pickMembers(c.members[:0], size)
	c.joined = c.joined[:0]
	first, last := m.end, int64(math.MinInt64)
	for _, uid := range c.members {
		t := g.userCreated(uid)
		c.joined = append(c.joined, t)
		first, last = min(first, t), max(last, t)
	}
	c.created = max(c0, first)
	if len(c.members) == 0 { // nobody whose account it must wait for
		c.created = c0
	}
	if c.kind == kindDirect {
		// a direct conversation opens when both accounts exist: a message nobody
		// could read would lower its read rate (a group grows as members arrive)
		c.created = max(c0, last)
	}
	c.byJoin = c.byJoin[:0]
	for i := range c.joined {
		c.joined[i] = max(c.joined[i], c.created)
		c.byJoin = append(c.byJoin, int32(i))
	}
	slices.SortStableFunc(c.byJoin, func(a, b int32) int {
		if c.joined[a] < c.joined[b] {
			return -1
		}
		if c.joined[a] > c.joined[b] {
			return 1
		}
		return 0
	})
	c.joinAt = c.joinAt[:0]
	for _, i := range c.byJoin {
		c.joinAt = append(c.joinAt, c.joined[i])
	}
	c.law = m.readLaw(len(c.members))
	return c
}

// sizeOf is the kind and member count of conversation idx from its own uniform v,
// through its size uniform u = sizeUniform(v) (the conversation's activity rank, a
// permutation step, computed at most once for both). Under conversations.few_members
// the lowest activity ranks, inactive conversations all, have no member (as many as
// its none share asks, at most the inactive ones: an active one has a sender), and of
// the others the bottom of u, the one share over them, has one member (kind group).
// Then the type mix over the rest, each type's size model at u's place inside its
// share, so sizes ascend with u; capped at the users. loadConversation and
// realizedSizes both size by it.
func (m *model) sizeOf(idx int64, v float64) (kind string, size int) {
	var r int64 // the activity rank, when the copula or few_members needs it
	if m.noneRanks > 0 || m.s.Conversations.SizeActivityCorrelation != 0 {
		r = int64(m.perm.apply(uint64(idx)))
	}
	if m.noneRanks > 0 && r < m.noneRanks {
		return kindGroup, 0
	}
	u := m.sizeUniform(r, v)
	if m.one > 0 {
		if u < m.one {
			return kindGroup, 1
		}
		u = (u - m.one) / (1 - m.one)
	}
	switch t0, t1 := m.typeCum[0], m.typeCum[1]; {
	case u < t0:
		kind, size = kindDirect, 2
	case u < t1:
		kind, size = kindGroup, m.smallMin+pick(m.smallCum, (u-t0)/(t1-t0))
	default:
		kind, size = kindChannel, m.largeMin+pick(m.largeCum, min((u-t1)/(1-t1), 1))
	}
	return kind, int(min(int64(size), m.users))
}

// pickMembers draws size distinct user ids uniformly from 1…U, ascending, or by
// weight under the people model (weightedMembers).
func (g *gen) pickMembers(out []int64, size int) []int64 {
	if g.m.ppl.weighted {
		return g.weightedMembers(out, size)
	}
	U := g.m.users
	if size <= 32 {
	draw:
		for len(out) < size {
			x := 1 + g.r.Int64N(U)
			for _, y := range out {
				if y == x {
					continue draw
				}
			}
			out = append(out, x)
		}
	} else { // Floyd's algorithm
		clear(g.set)
		for j := U - int64(size) + 1; j <= U; j++ {
			t := 1 + g.r.Int64N(j)
			if _, dup := g.set[t]; dup {
				t = j
			}
			g.set[t] = struct{}{}
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// messageTimes fills g.ts with the n sorted message times of the conversation: a
// self-exciting chain in which each message is followed within its burst with the
// continue probability after an in-burst gap (inGap: exponential, or log-normal with
// burst.in_gap_sigma), and otherwise opens a new burst. The B burst starts lie in
// [created, window end) in operational time (where the weekday × hour profile is
// flat): a uniform offset u, then u plus the cumulative Dirichlet(κ, …, κ) spacings
// (normalised Gamma(κ, 1) draws), modulo 1, so each start alone follows the profile.
// A gap running past the window end opens a burst at a time drawn from the profile
// instead, and the burst goes on from there. That is the window-spacing start model;
// under the renewal one renewalTimes places the starts. g.snd and g.elig get each
// message's sender (drawn uniformly from the members joined by then) and the size of
// that eligible prefix.
func (g *gen) messageTimes(c *convState, n int64) {
	m := g.m
	g.seed(&g.pr, tagTime, c.id)
	lo := c.created
	wLo := m.slots.weightBefore(lo)
	p := m.s.Messages.InterArrival.Burst.ContinueProbability
	gap := m.s.Messages.InterArrival.Burst.MeanGapSeconds * usPerSecond
	// First the chain: -1 marks a burst's first message, the others hold their offset
	// from it; one spacing per burst.
	g.ts, g.spacing = g.ts[:0], g.spacing[:0]
	if m.renewal {
		g.renewalTimes(lo, wLo, n, p, gap)
		g.senders(c)
		return
	}
	var off int64
	sum := 0.0
	for i := range n {
		if i == 0 || g.r.Float64() >= p {
			x := m.spacing.draw(g.r)
			g.spacing = append(g.spacing, x)
			sum += x
			g.ts = append(g.ts, -1)
			off = 0
			continue
		}
		off += g.inGap(gap)
		g.ts = append(g.ts, off)
	}
	if !(sum > 0) || math.IsInf(sum, 0) { // all spacings underflowed: even ones
		for k := range g.spacing {
			g.spacing[k] = 1
		}
		sum = float64(len(g.spacing))
	}
	// Then the starts, and each message at its burst's start plus its offset.
	inv := 1 / sum
	u := g.r.Float64()
	k := 0
	g.place(lo, wLo, false, func() int64 {
		base := m.slots.operational(u, lo, wLo)
		if u += g.spacing[k] * inv; u >= 1 {
			u--
		}
		k++
		return base
	})
	g.senders(c)
}

// maxInGapUs caps a log-normal in-burst gap (µs, about 285 years) so that it stays an
// int64 whatever its draw; the exponential's never reaches it (mean at most a day).
const maxInGapUs = 1 << 53

// inGap draws one in-burst gap (µs) of mean gap (µs): exponential (one ExpFloat64,
// as before burst.in_gap_sigma existed, so old specs draw the same numbers), or
// log-normal with σ = burst.in_gap_sigma (one NormFloat64).
func (g *gen) inGap(gap float64) int64 {
	if g.m.inSigma == 0 {
		return int64(g.r.ExpFloat64() * gap)
	}
	return int64(math.Min(math.Exp(g.m.inMu+g.m.inSigma*g.r.NormFloat64()), maxInGapUs))
}

// place turns the chain in g.ts (−1 for a burst's first message, else its offset from
// the burst's start) into sorted message times: start gives each burst's start in turn.
// Unless confine is set, a message that would run past the window end opens a burst at
// a time drawn from the profile instead (the window-spacing model spreads bursts over
// the whole interval anyway). With confine (the renewal model, whose chain is a
// conversation's lifetime) such a message is kept, and the conversation is then moved
// back as a whole so that its last message falls just before the end: gaps and the
// lifetime are kept, and no message leaves [first, last] of its chain.
func (g *gen) place(lo int64, wLo float64, confine bool, start func() int64) {
	m := g.m
	var base int64
	for i, o := range g.ts {
		if o < 0 {
			base = start()
			g.ts[i] = base
			continue
		}
		t := base + o
		if t >= m.end && !confine {
			t = m.slots.sample(g.r, lo, wLo)
			base = t - o
		}
		g.ts[i] = t
	}
	slices.Sort(g.ts)
	if last := g.ts[len(g.ts)-1]; confine && last >= m.end {
		d, floor := last-(m.end-1), max(lo, m.start)
		for i := range g.ts {
			g.ts[i] = max(g.ts[i]-d, floor) // monotone: the order holds
		}
	}
}

// renewalTimes fills g.ts with the n sorted message times of the chain under the
// renewal start model: a conversation's activity is its chain, confined to its
// lifetime, never spread to the window's end. First the chain from 0 in operational
// time over [lo, end), counted at the window's average rate (one operational second is
// one real second on average over the window, so the conversation's interval holds
// (total − wLo)/total of the window's length): each next burst starts a log-normal gap
// after the previous burst's last message. Then its placement:
//
//   - a chain that fits the interval (span < 1) is shifted by a uniform amount within
//     what is left, so its first message follows the profile and its lifetime is its
//     span;
//   - a longer one (a busy room) is compressed to the interval: its gaps between
//     bursts are scaled by the one factor (1 − inb)/between that makes the chain span
//     the interval (inb: the bursts' own durations, between: the sum of the gaps
//     between them), so bursts keep their inside and the gaps between them their
//     shape (a log-normal scaled is a log-normal with μ + ln factor); when the bursts
//     alone take half the interval or more, everything is scaled by 1/span instead.
//
// Messages within a burst follow its start by the chain's in-burst gaps (inGap) in real
// time; place(confine) moves a conversation that so runs past the window end back as a
// whole. With a lifetime law (spec.BurstLifetime) a chain of n ≥ 2 messages is instead
// stretched or compressed to span a lifetime drawn from it (spec.StretchChain; one more normal
// draw per conversation). g.spacing holds each burst's operational sum of gaps between bursts before it,
// g.burstIn the bursts' durations before it, g.ts −1 for a burst's first message and
// the offset from its start otherwise. p is the continue probability, gap the in-burst
// mean (µs). Two draws per message at most and one per conversation: the cost per row
// is flat.
func (g *gen) renewalTimes(lo int64, wLo float64, n int64, p, gap float64) {
	m := g.m
	// du is the operational fraction per real µs over the conversation's interval.
	du := 1 / (float64(m.end-m.start) * (1 - wLo/m.slots.total))
	if m.slots.spent(wLo) {
		du = 1 / float64(m.end-lo)
	}
	g.burstIn = g.burstIn[:0]
	var between, inb float64
	var off int64
	for i := range n {
		if i == 0 || g.r.Float64() >= p {
			if i > 0 {
				inb += float64(off) * du
				between += math.Exp(m.gapMu+m.gapSigma*g.r.NormFloat64()) * du
			}
			g.spacing = append(g.spacing, between)
			g.burstIn = append(g.burstIn, inb)
			g.ts = append(g.ts, -1)
			off = 0
			continue
		}
		off += g.inGap(gap)
		g.ts = append(g.ts, off)
	}
	inb += float64(off) * du
	// a scales the gaps between bursts, b the bursts themselves (and their offsets).
	const room = 1 - 1e-9
	a, b := 1.0, 1.0
	if lt := m.s.Messages.InterArrival.Burst.Lifetime; lt != nil && n >= 2 {
		// The lifetime law: one more draw per conversation, and the chain spans it.
		l := math.Exp(lt.Mu+lt.CountSlope*math.Log(float64(n-1))+lt.Sigma*g.r.NormFloat64()) * usPerSecond * du
		a, b = spec.StretchChain(inb, between, min(l, room))
	} else {
		a, b = spec.CompressChain(inb, between, room)
	}
	shift := g.r.Float64() * max(0, room-a*between-b*inb)
	if b != 1 {
		for i, o := range g.ts {
			if o > 0 {
				g.ts[i] = int64(float64(o) * b)
			}
		}
	}
	k := 0
	g.place(lo, wLo, true, func() int64 {
		u := shift + a*g.spacing[k] + b*g.burstIn[k]
		k++
		return m.slots.operational(min(u, math.Nextafter(1, 0)), lo, wLo)
	})
}

// senders fills g.snd and g.elig from the sorted g.ts: each message's sender drawn
// uniformly from the members joined by its time (by propensity under the people
// model: weightedSenders), and the size of that eligible prefix.
func (g *gen) senders(c *convState) {
	if g.m.ppl.active {
		g.weightedSenders(c)
		return
	}
	g.seed(&g.pr, tagSender, c.id)
	g.snd, g.elig = g.snd[:0], g.elig[:0]
	e := 0
	for _, t := range g.ts {
		for e < len(c.joinAt) && c.joinAt[e] <= t {
			e++
		}
		e = max(e, 1)
		g.snd = append(g.snd, int32(g.r.IntN(e)))
		g.elig = append(g.elig, int32(e))
	}
}

// media draws whether the next message carries media; if so it fills g.attTypes with
// its attachments' types (1 + Poisson(per_media_message − 1) of them) and returns
// true. The first type is the message's media_kind.
func (g *gen) media() bool {
	m := g.m
	if g.rm.Float64() >= m.s.Messages.Content.MediaRatio {
		return false
	}
	k := 1 + poisson(g.rm, m.extraAttach)
	g.attTypes = g.attTypes[:0]
	for range k {
		g.attTypes = append(g.attTypes, int8(pick(m.attachCum, g.rm.Float64())))
	}
	return true
}

// poisson draws Poisson(λ): Knuth's product method for small λ, a rounded normal
// approximation above 30.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// drawLogNormal draws floor(X) for the spec's log-normal or log-normal mixture, capped
// at its Max when Max > 0. A single log-normal uses one normal draw; a mixture first
// picks its component with one uniform.
func drawLogNormal(r *rand.Rand, l *spec.LogNormal) int64 {
	if l.Distribution != spec.DistLogNormalMixture {
		return logNormal(r, l.Mu, l.Sigma, l.Max)
	}
	u := r.Float64()
	c := l.Components[len(l.Components)-1]
	for _, cc := range l.Components {
		if u < cc.Weight {
			c = cc
			break
		}
		u -= cc.Weight
	}
	return logNormal(r, c.Mu, c.Sigma, l.Max)
}

// logNormal draws floor(exp(μ + σ·N)), capped at max when max > 0.
func logNormal(r *rand.Rand, mu, sigma, maxV float64) int64 {
	v := math.Exp(mu + sigma*r.NormFloat64())
	if maxV > 0 && v > maxV {
		v = maxV
	}
	if v > math.MaxInt64/2 {
		v = math.MaxInt64 / 2
	}
	return int64(v)
}

// text returns a slice of the pseudo-word buffer of log-normal length.
func (g *gen) text() []byte {
	var l int
	if g.m.textLen != nil {
		l = min(g.m.textLen.sample(g.rt), len(g.m.textBuf))
	} else {
		l = int(min(drawLogNormal(g.rt, &g.m.s.Messages.Content.TextLength), int64(len(g.m.textBuf))))
	}
	off := g.rt.IntN(len(g.m.textBuf) - l + 1)
	return g.m.textBuf[off : off+l]
}

// readDelay draws a read delay in µs (≥ 1) from the three-part mixture.
func (g *gen) readDelay() int64 {
	rr := &g.m.s.ReadReceipts
	u := g.rx.Float64()
	var sec float64
	switch {
	case u < rr.ImmediateShare:
		sec = g.rx.ExpFloat64() * rr.ImmediateMeanSeconds
	case u < rr.ImmediateShare+rr.NearTermShare:
		sec = g.rx.ExpFloat64() * rr.NearTermMeanSeconds
	default:
		sec = math.Exp(rr.DelayedMu + rr.DelayedSigma*g.rx.NormFloat64())
	}
	us := sec * usPerSecond
	if us > 1e15 {
		us = 1e15
	}
	return max(1, int64(us))
}

// receipts fills g.readers with message i's receipts, ascending by reader: with the
// read rate of the conversation's member count (c.law) the message is read by
// one member other than the sender who had joined by its time, and each further such
// member reads it with probability q (drawn by geometric skips, so the cost follows
// the readers, not the members): q = (r − 1)/(c − 1) for the bucket's mean r receipts
// per read message and c candidates, so that the mean is r wherever c allows, else
// the spec's extra-reader probability. Receipts at or after the window end are not
// kept (see docs/generate.md).
func (g *gen) receipts(c *convState, i int) {
	rr := &g.m.s.ReadReceipts
	g.readers = g.readers[:0]
	cand := int(g.elig[i]) - 1
	law := &c.law
	if cand <= 0 || g.rx.Float64() >= law.rate {
		return
	}
	sender := int(g.snd[i])
	created := g.ts[i]
	add := func(k int) { // k indexes the candidates: eligible prefix minus the sender
		if k >= sender {
			k++
		}
		at := created + g.readDelay()
		if at < g.m.end {
			g.readers = append(g.readers, reader{uid: c.members[c.byJoin[k]], readAt: at})
		}
	}
	first := g.rx.IntN(cand)
	add(first)
	q := rr.ExtraReaderProbability
	if !math.IsNaN(law.perRead) {
		q = 0
		if cand > 1 {
			q = min(1, max(0, (law.perRead-1)/float64(cand-1)))
		}
	}
	if q > 0 && cand > 1 {
		// Virtual positions 0…cand−2 are the candidates minus the first reader.
		lq := math.Log1p(-q)
		for v := -1; ; {
			if q >= 1 {
				v++
			} else {
				v += 1 + int(math.Floor(math.Log(1-g.rx.Float64())/lq))
			}
			if v >= cand-1 || v < 0 {
				break
			}
			k := v
			if k >= first {
				k++
			}
			add(k)
		}
	}
	slices.SortFunc(g.readers, func(a, b reader) int {
		switch {
		case a.uid < b.uid:
			return -1
		case a.uid > b.uid:
			return 1
		}
		return 0
	})
}

// ---- binary COPY encoding ----

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func putTuple(b []byte, n int) []byte { return binary.BigEndian.AppendUint16(b, uint16(n)) }

func putInt8(b []byte, v int64) []byte {
	b = append(b, 0, 0, 0, 8)
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

func putText(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func putString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func putNull(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff) }

// username returns a unique synthetic username of length l (when l allows): random
// lowercase letters, then the decimal user id. Letters and digits never mix, so the
// split point is unambiguous and two ids never give the same name.
func (g *gen) username(uid int64, l int) []byte {
	b := g.scratch[:0]
	digits := len(strconv.AppendInt(b, uid, 10))
	for range l - digits {
		b = append(b, byte('a'+g.r.IntN(26)))
	}
	b = strconv.AppendInt(b, uid, 10)
	g.scratch = b
	return b
}
