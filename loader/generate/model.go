package generate

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/stats"
)

// Stream tags: every entity draws from rand.NewPCG(seedHash ^ tag, entityID), one tag
// per table or per aspect of an entity, so that each aspect can be recomputed alone
// (the receipts pass recomputes timestamps and senders, not text).
const (
	tagUser     uint64 = 0x9e3779b97f4a7c15
	tagUserAge  uint64 = 0xbf58476d1ce4e5b9
	tagConv     uint64 = 0x94d049bb133111eb
	tagMembers  uint64 = 0x2545f4914f6cdd1d
	tagTime     uint64 = 0xd6e8feb86659fd93
	tagSender   uint64 = 0xa0761d6478bd642f
	tagMedia    uint64 = 0xe7037ed1a0b428db
	tagText     uint64 = 0x8ebc6af09c88c6e3
	tagReceipt  uint64 = 0x589965cc75374cc3
	tagAttach   uint64 = 0x1d8e4e27c47d124f
	tagPerm     uint64 = 0xc2b2ae3d27d4eb4f
	tagTextBuf  uint64 = 0x165667b19e3779f9
	usPerSecond        = 1_000_000
	usPerDay           = 86_400 * usPerSecond
	usPerHour          = 3_600 * usPerSecond
)

// pgEpoch is PostgreSQL's timestamp epoch; timestamps are microseconds since it, as
// binary COPY sends them.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func toPG(t time.Time) int64 { return t.Sub(pgEpoch).Microseconds() }

// SeedHash maps the root seed string to the 64-bit root of every stream: the first
// eight bytes (big-endian) of its SHA-256.
func SeedHash(seed string) uint64 {
	sum := sha256.Sum256([]byte(seed))
	return binary.BigEndian.Uint64(sum[:8])
}

// Conversation kinds, by the type mix bucket they come from.
const (
	kindDirect  = "direct"  // one_to_one: exactly 2 members
	kindGroup   = "group"   // small_group: truncated geometric sizes
	kindChannel = "channel" // large_group: power-law sizes
)

// model is everything the row producers need, derived once from the spec, band and
// seed. It is read-only after newModel, shared by every worker.
type model struct {
	s         *spec.Spec
	seed      uint64
	start     int64 // window start, µs since pgEpoch
	end       int64 // window end (exclusive)
	users     int64 // U
	convs     int64 // C
	active    int64 // A
	inactive  int64 // C − A
	perm      feistel
	counts    countModel
	heavyFrom int64 // strata s ≥ heavyFrom are heavy rooms (scaled)
	heavy     spec.HeavyRooms
	heavyQ    float64 // the count model's (1 − percentage) quantile, the scaling's pivot

	slots       slotTable
	usernameLen histSampler
	accountAge  histSampler
	typeCum     [2]float64 // cumulative one_to_one, + small_group
	// conversations.few_members: the conversations of no member are the lowest
	// noneRanks activity ranks (inactive ones); one is the share of one member among
	// the others
	noneRanks    int64
	one          float64
	smallCum     []float64 // CDF of small-group sizes from SmallGroup.Min
	smallMin     int
	largeCum     []float64 // CDF of large-group sizes from LargeGroup.XMin
	largeMin     int
	attachTypes  []string
	attachCum    []float64
	extraAttach  float64   // Poisson mean of attachments beyond the first
	readLaws     []readLaw // by member count, ascending (spec read_receipts.by_member_count)
	textBuf      []byte
	textLen      *alias       // floor(log-normal) text lengths when capped at ≤ aliasMax
	convCreatedD int64        // conversations open up to this long before the window
	spacing      gammaSampler // Gamma(κ, 1) spacings of burst starts
	// renewal: burst starts follow the renewal start model (spec.StartModelRenewal),
	// with log-normal gaps between bursts of gapMu, gapSigma over µs.
	renewal         bool
	gapMu, gapSigma float64
	// inSigma > 0: in-burst gaps are log-normal of inMu, inSigma over µs (of mean
	// burst.mean_gap_seconds); 0: exponential.
	inMu, inSigma float64
	// ppl is the optional people model (users.membership, users.activity).
	ppl peopleModel
}

// convChunk is how many consecutive conversations share one plan entry (message and
// attachment id offsets).
const convChunk = 1024

// newModel derives the dataset's dimensions: active conversations A so that the
// stratified counts sum to about messages, C = A / (1 − inactive_ratio),
// U = messages · per_message (at least the largest group size needed, and 2).
func newModel(s *spec.Spec, seed string, messages int64) (*model, error) {
	m := &model{s: s, seed: SeedHash(seed)}
	m.end = toPG(s.Window.End.UTC())
	m.start = m.end - int64(s.Window.Days)*usPerDay
	m.convCreatedD = 180 * usPerDay

	var err error
	if m.counts, err = newCountModel(s.Messages.PerConversationDistribution); err != nil {
		return nil, err
	}
	hr := s.Conversations.HeavyRooms
	m.heavy = hr
	m.heavyQ = float64(m.counts.quantile(1 - hr.Percentage))

	// Active conversations: start from the mean on a fine grid, then correct with the
	// realized stratified sum until it lands within 0.1 % (or stops moving).
	e := m.meanCount(100_000, hr.Percentage)
	a := max(int64(1), int64(math.Round(float64(messages)/e)))
	if err := checkScale(s, messages, a); err != nil {
		return nil, err
	}
	for range 8 {
		got := m.stratifiedTotal(a, hr.Percentage)
		if got == 0 {
			break
		}
		next := max(int64(1), int64(math.Round(float64(a)*float64(messages)/float64(got))))
		if next == a || math.Abs(float64(got-messages)) <= 0.001*float64(messages) {
			break
		}
		a = next
	}
	m.active = a
	m.heavyFrom = heavyFrom(a, hr.Percentage)
	m.convs = max(a, int64(math.Round(float64(a)/(1-s.Conversations.InactiveRatio))))
	m.inactive = m.convs - m.active
	m.perm = newFeistel(uint64(m.convs), m.seed^tagPerm)

	m.users = max(2, int64(math.Round(float64(messages)*s.Users.PerMessage)))
	m.ppl = newPeopleModel(s.Users, m.users, m.seed)
	if m.slots, err = newSlotTable(m.start, m.end, s.Messages.InterArrival.WeekdayHourWeights); err != nil {
		return nil, err
	}
	b := s.Messages.InterArrival.Burst
	m.spacing = newGammaSampler(b.SpacingShape)
	m.renewal = b.Start() == spec.StartModelRenewal
	m.gapMu, m.gapSigma = b.GapMu+math.Log(usPerSecond), b.GapSigma
	if b.InGapSigma > 0 {
		m.inMu, m.inSigma = spec.InGapMu(b.MeanGapSeconds*usPerSecond, b.InGapSigma), b.InGapSigma
	}
	if m.usernameLen, err = newHistSampler(s.Users.UsernameLength); err != nil {
		return nil, fmt.Errorf("error reading $.users.username_length: %w", err)
	}
	if m.accountAge, err = newHistSampler(s.Users.AccountAgeDays); err != nil {
		return nil, fmt.Errorf("error reading $.users.account_age_days: %w", err)
	}
	td := s.Conversations.TypeDistribution
	m.typeCum = [2]float64{td.OneToOne, td.OneToOne + td.SmallGroup}
	if f := s.Conversations.FewMembers; f != nil {
		m.noneRanks = min(m.inactive, int64(math.Round(f.None*float64(m.convs))))
		m.one = f.One / (1 - f.None)
	}

	sg := s.Conversations.SmallGroup
	m.smallMin = sg.Min
	m.smallCum = cdf(sg.Min, min(int64(sg.Max), m.users), sg.Law().ProbFunc())
	lg := s.Conversations.LargeGroup
	m.largeMin = lg.XMin
	m.largeCum = cdf(lg.XMin, min(int64(lg.XMax), m.users), lg.Law().ProbFunc())
	if len(m.ppl.classW) > 0 {
		sizes, probs := m.realizedSizes()
		m.ppl.saturate(m.convs, sizes, probs)
	}

	for _, t := range shape.AttachmentTypes {
		if w := s.Attachments.TypeDistribution[t]; w > 0 {
			m.attachTypes = append(m.attachTypes, t)
			prev := 0.0
			if len(m.attachCum) > 0 {
				prev = m.attachCum[len(m.attachCum)-1]
			}
			m.attachCum = append(m.attachCum, prev+w)
		}
	}
	m.attachCum[len(m.attachCum)-1] = math.Inf(1)
	m.extraAttach = s.Attachments.PerMediaMessage - 1
	for _, rb := range s.ReadReceipts.ByMemberCount {
		l := readLaw{minMembers: rb.MinMembers, rate: s.ReadReceipts.ReadRate, perRead: math.NaN()}
		if rb.ReadRate != nil {
			l.rate = *rb.ReadRate
		}
		if rb.ReceiptsPerReadMessage != nil {
			l.perRead = *rb.ReceiptsPerReadMessage
		}
		m.readLaws = append(m.readLaws, l)
	}
	m.textBuf = pseudoWords(m.seed^tagTextBuf, textBufSize)
	if tl := s.Messages.Content.TextLength; tl.Max > 0 && tl.Max <= aliasMax {
		m.textLen = flooredLogNormal(tl.Mixture(), int(tl.Max))
	}
	return m, nil
}

// cdf returns the normalised cumulative sums of w over lo…hi (hi clamped to ≥ lo).
func cdf(lo int, hi int64, w func(int) float64) []float64 {
	if hi < int64(lo) {
		hi = int64(lo)
	}
	out := make([]float64, 0, hi-int64(lo)+1)
	sum := 0.0
	for x := lo; int64(x) <= hi; x++ {
		sum += w(x)
		out = append(out, sum)
	}
	for i := range out {
		out[i] /= sum
	}
	out[len(out)-1] = math.Inf(1)
	return out
}

// pick returns the index of the first cumulative value above u.
func pick(cum []float64, u float64) int {
	return sort.SearchFloat64s(cum, math.Nextafter(u, math.Inf(1)))
}

func heavyFrom(a int64, pct float64) int64 {
	return a - int64(math.Floor(pct*float64(a)+1e-9))
}

// stratumCount is the message count of the active conversation in stratum s of a:
// the count model's quantile n at (s + ½)/a; in the top strata, whose n is at least
// the (1 − percentage) quantile Q, the heavy-room multiplier scales the excess over
// Q (dist.HeavyCount), so Q and every count below it stay the model's and the
// busiest rooms stay the busiest.
func (m *model) stratumCount(s, a, heavyFrom int64) int64 {
	n := m.counts.quantile((float64(s) + 0.5) / float64(a))
	if s >= heavyFrom && m.heavy.Multiplier != 1 {
		n = int64(dist.HeavyCount(float64(n), m.heavyQ, m.heavy.Multiplier))
	}
	return n
}

func (m *model) meanCount(grid int64, pct float64) float64 {
	return float64(m.stratifiedTotal(grid, pct)) / float64(grid)
}

func (m *model) stratifiedTotal(a int64, pct float64) int64 {
	hf := heavyFrom(a, pct)
	var sum int64
	for s := range a {
		sum += m.stratumCount(s, a, hf)
	}
	return sum
}

// sizeUniform couples a conversation's size to its activity with a Gaussian copula of
// correlation ρ = conversations.size_activity_correlation. The activity side is the
// conversation's rank r among all C conversations (inactive ones lowest, then the
// strata of the count model in ascending order: messageCount), as the uniform
// (r + ½)/C (r the permutation of its index, which sizeOf computes once); v is the
// conversation's own uniform in (0, 1). It returns
// Φ(ρ·Φ⁻¹((r + ½)/C) + √(1 − ρ²)·Φ⁻¹(v)), uniform on (0, 1) for every ρ, and v itself
// when ρ = 0. Thresholding the two latent normals at the margins' cut points is
// exactly the model the polychoric correlation of the export's size × activity table
// estimates (fit.Fit).
func (m *model) sizeUniform(r int64, v float64) float64 {
	rho := m.s.Conversations.SizeActivityCorrelation
	if rho == 0 {
		return v
	}
	// the activity rank among the conversations sized by u: all of them, or, under
	// conversations.few_members, those above the noneRanks that have no member (so
	// that u stays uniform over them and the size margins are the spec's)
	lo, n := int64(0), m.convs
	if m.noneRanks > 0 && r >= m.noneRanks {
		lo, n = m.noneRanks, m.convs-m.noneRanks
	}
	za := stats.NormalQuantile((float64(r-lo) + 0.5) / float64(n))
	return stats.NormalCDF(rho*za + math.Sqrt(1-rho*rho)*stats.NormalQuantile(v))
}

// openUniform draws a uniform on the open interval (0, 1): 53 random bits and a half,
// so that Φ⁻¹ of it is finite.
func openUniform(r *rand.Rand) float64 {
	return (float64(r.Uint64()>>11) + 0.5) / (1 << 53)
}

// messageCount returns the window message count of conversation index i (0-based):
// the bijective permutation sends i to a rank; the lowest C − A ranks are inactive,
// the others are strata of the count model.
func (m *model) messageCount(i int64) int64 {
	r := int64(m.perm.apply(uint64(i)))
	if r < m.inactive {
		return 0
	}
	return m.stratumCount(r-m.inactive, m.active, m.heavyFrom)
}

// ---- the count model ----

// countModel is the per-conversation count law (spec.CountModel.Law) with its quantile
// function tabulated once (dist.Inverse), so each conversation's count is a table
// look-up.
type countModel struct{ inv *dist.Inverse }

func newCountModel(c spec.CountModel) (countModel, error) {
	inv, err := dist.NewInverse(c.Law())
	if err != nil {
		return countModel{}, fmt.Errorf("error building the count model (%s): %w", c.Distribution, err)
	}
	return countModel{inv}, nil
}

// quantile returns the smallest x with F(x) ≥ u.
func (c *countModel) quantile(u float64) int64 { return int64(c.inv.Quantile(u)) }

// ---- a seeded bijection of 0…n−1 ----

// feistel is a 4-round Feistel network over the smallest even-bit power of two ≥ n,
// cycle-walked into 0…n−1: a bijection that needs no table.
type feistel struct {
	n        uint64
	halfBits uint
	mask     uint64
	keys     [4]uint64
}

func newFeistel(n, key uint64) feistel {
	bits := uint(2)
	for (uint64(1) << bits) < n {
		bits += 2
	}
	f := feistel{n: n, halfBits: bits / 2, mask: (uint64(1) << (bits / 2)) - 1}
	for i := range f.keys {
		f.keys[i] = mix64(key + uint64(i+1)*0x9e3779b97f4a7c15)
	}
	return f
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (f *feistel) round(x uint64) uint64 {
	l, r := x>>f.halfBits, x&f.mask
	for _, k := range f.keys {
		l, r = r, l^(mix64(r^k)&f.mask)
	}
	return l<<f.halfBits | r
}

func (f *feistel) apply(i uint64) uint64 {
	x := f.round(i)
	for x >= f.n {
		x = f.round(x)
	}
	return x
}

// ---- the weekday × hour profile over the window ----

// slotTable cuts the window at UTC hour boundaries; each slot's weight is its hour's
// weekday × hour weight times its length, so burst starts follow the profile.
type slotTable struct {
	start []int64   // slot start, µs
	cum   []float64 // cumulative weight before the slot
	rate  []float64 // weight per µs
	total float64
	end   int64
	// guide[j] is the slot holding weight j·total/len(guide): a draw starts its search
	// there and walks a step or two (an O(1) inverse instead of a binary search).
	guide []int32
}

func newSlotTable(start, end int64, w [7][24]float64) (slotTable, error) {
	t := slotTable{end: end}
	for s := start; s < end; {
		hourStart := s - floorMod(s, usPerHour)
		e := min(hourStart+usPerHour, end)
		tm := pgEpoch.Add(time.Duration(s) * time.Microsecond)
		wd := (int(tm.Weekday()) + 6) % 7 // ISO: 0 = Monday
		rate := w[wd][tm.Hour()] / float64(usPerHour)
		t.start = append(t.start, s)
		t.cum = append(t.cum, t.total)
		t.rate = append(t.rate, rate)
		t.total += rate * float64(e-s)
		s = e
	}
	if !(t.total > 0) {
		return t, fmt.Errorf("error building the weekday × hour profile: no weight falls inside the window")
	}
	t.guide = make([]int32, 4*len(t.start))
	k := 0
	for j := range t.guide {
		w := float64(j) * t.total / float64(len(t.guide))
		for k+1 < len(t.cum) && t.cum[k+1] <= w {
			k++
		}
		t.guide[j] = int32(k)
	}
	return t, nil
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// weightBefore is the cumulative weight of [window start, at).
func (t *slotTable) weightBefore(at int64) float64 {
	k := sort.Search(len(t.start), func(i int) bool { return t.start[i] > at }) - 1
	if k < 0 {
		return 0
	}
	return t.cum[k] + t.rate[k]*float64(at-t.start[k])
}

// sample draws a time in [lo, end) with density proportional to the profile, given
// lo's cumulative weight wLo; uniformly when no weight is left after lo.
func (t *slotTable) sample(r *rand.Rand, lo int64, wLo float64) int64 {
	if t.spent(wLo) {
		return lo + r.Int64N(t.end-lo)
	}
	return t.at(wLo+r.Float64()*(t.total-wLo), lo)
}

// spent reports whether no weight is left after cumulative weight wLo.
func (t *slotTable) spent(wLo float64) bool { return wLo >= t.total*(1-1e-12) }

// operational maps u ∈ [0, 1) of operational time over [lo, end) (where the profile is
// flat) to real time: the time at cumulative weight wLo + u·(total − wLo), or
// lo + u·(end − lo) when no weight is left after lo. A uniform u gives sample's law.
func (t *slotTable) operational(u float64, lo int64, wLo float64) int64 {
	if t.spent(wLo) {
		return min(lo+int64(u*float64(t.end-lo)), t.end-1)
	}
	return t.at(wLo+u*(t.total-wLo), lo)
}

// at is the inverse of the cumulative weight: the time at cumulative weight w, at least
// lo.
func (t *slotTable) at(w float64, lo int64) int64 {
	k := int(t.guide[max(0, min(int(w/t.total*float64(len(t.guide))), len(t.guide)-1))])
	for k+1 < len(t.cum) && t.cum[k+1] <= w {
		k++
	}
	for k > 0 && t.cum[k] > w {
		k--
	}
	for k > 0 && t.rate[k] == 0 {
		k--
	}
	at := t.start[k] + int64((w-t.cum[k])/t.rate[k])
	slotEnd := t.end
	if k+1 < len(t.start) {
		slotEnd = t.start[k+1]
	}
	// Rounding can put at a hair outside its slot or below lo (lo < end always).
	return max(min(max(at, t.start[k]), slotEnd-1), lo)
}

// ---- the spacings of burst starts ----

// gammaSampler draws Gamma(κ, 1): the exponential for κ = 1, Marsaglia and Tsang's
// squeeze method for κ > 1 ("A simple method for generating gamma variables", ACM TOMS
// 26(3), 2000), and for κ < 1 their boost Gamma(κ+1) · U^(1/κ).
type gammaSampler struct {
	kappa float64
	d, c  float64 // Marsaglia–Tsang constants of max(κ, κ+1 when κ < 1)
	invK  float64 // 1/κ, for the boost
}

func newGammaSampler(kappa float64) gammaSampler {
	g := gammaSampler{kappa: kappa, invK: 1 / kappa}
	a := kappa
	if a < 1 {
		a++
	}
	g.d = a - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

func (g *gammaSampler) draw(r *rand.Rand) float64 {
	if g.kappa == 1 {
		return r.ExpFloat64()
	}
	var x float64
	for {
		n := r.NormFloat64()
		v := 1 + g.c*n
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		n2 := n * n
		if u < 1-0.0331*n2*n2 || math.Log(u) < 0.5*n2+g.d*(1-v+math.Log(v)) {
			x = g.d * v
			break
		}
	}
	if g.kappa < 1 { // U^(1/κ) = e^(−E/κ) with E = −ln U exponential
		x *= math.Exp(-r.ExpFloat64() * g.invK)
	}
	return x
}

// ---- histograms sampled uniformly within a bucket ----

type histSampler struct {
	lo, hi []float64
	cum    []float64
}

// newHistSampler samples a bucket by its count and a value uniformly inside it; the
// open last bucket [lo, ∞) is read as [lo, max(lo+1, 1.25·lo)).
func newHistSampler(h shape.Histogram) (histSampler, error) {
	var s histSampler
	total := float64(h.Total())
	if total <= 0 {
		return s, fmt.Errorf("the histogram is empty")
	}
	acc := 0.0
	for _, b := range h {
		if b.Count == 0 {
			continue
		}
		hi := b.Hi
		if math.IsInf(hi, 1) {
			hi = max(b.Lo+1, 1.25*b.Lo)
		}
		acc += float64(b.Count) / total
		s.lo, s.hi, s.cum = append(s.lo, b.Lo), append(s.hi, hi), append(s.cum, acc)
	}
	s.cum[len(s.cum)-1] = math.Inf(1)
	return s, nil
}

func (s *histSampler) sample(r *rand.Rand) float64 {
	i := pick(s.cum, r.Float64())
	return s.lo[i] + r.Float64()*(s.hi[i]-s.lo[i])
}

// ---- synthetic text ----

const textBufSize = 1 << 20

// pseudoWords fills n bytes with lowercase pseudo-words (2–9 letters, syllable-like)
// separated by single spaces, from its own seeded stream: no text is copied from
// anywhere.
func pseudoWords(seed uint64, n int) []byte {
	const consonants = "bcdfghjklmnprstvwz"
	const vowels = "aeiou"
	r := rand.New(rand.NewPCG(seed, 0))
	buf := make([]byte, 0, n+16)
	for len(buf) < n {
		l := 2 + r.IntN(8)
		for j := range l {
			if j%2 == 0 {
				buf = append(buf, consonants[r.IntN(len(consonants))])
			} else {
				buf = append(buf, vowels[r.IntN(len(vowels))])
			}
		}
		buf = append(buf, ' ')
	}
	return buf[:n]
}

// ---- exact O(1) draws of a floored, capped log-normal ----

const aliasMax = 1 << 16

// alias is Vose's alias table: one uniform draw picks a value with exact
// probabilities.
type alias struct {
	prob  []float64
	other []int32
}

// flooredLogNormal tabulates L = min(floor(X), max) for X drawn from a log-normal
// mixture (one component: ln X ~ N(mu, sigma²)): P(L = l) = Σ_j w_j [Φ(z_j(l+1)) −
// Φ(z_j(l))] for l < max, P(L = max) = Σ_j w_j [1 − Φ(z_j(max))], z_j(y) = (ln y −
// mu_j)/sigma_j — the distribution logNormal draws, without an exp per draw.
func flooredLogNormal(comps []spec.LogNormalComponent, maxL int) *alias {
	w := make([]float64, maxL+1)
	for _, c := range comps {
		cdf := func(y float64) float64 {
			if y <= 0 {
				return 0
			}
			return stats.NormalCDF((math.Log(y) - c.Mu) / c.Sigma)
		}
		for l := range maxL {
			w[l] += c.Weight * (cdf(float64(l+1)) - cdf(float64(l)))
		}
		w[maxL] += c.Weight * (1 - cdf(float64(maxL)))
	}
	return newAlias(w)
}

func newAlias(w []float64) *alias {
	n := len(w)
	a := &alias{prob: make([]float64, n), other: make([]int32, n)}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int32
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.other[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i], a.other[i] = 1, i
	}
	return a
}

// sample uses the high 32 bits of one draw for the column, the low 32 for the coin.
func (a *alias) sample(r *rand.Rand) int {
	u := r.Uint64()
	i := int((u >> 32) * uint64(len(a.prob)) >> 32)
	if float64(uint32(u))*(1.0/(1<<32)) < a.prob[i] {
		return i
	}
	return int(a.other[i])
}

// readLaw is the read law of conversations with at least minMembers members: read
// rate, and receipts per read message (NaN: each further candidate reads with the
// spec's extra-reader probability instead).
type readLaw struct {
	minMembers int
	rate       float64
	perRead    float64
}

// readLaw returns the read law of a conversation of the given member count: the last
// by_member_count bucket it reaches, else the spec's global law.
func (m *model) readLaw(members int) readLaw {
	l := readLaw{rate: m.s.ReadReceipts.ReadRate, perRead: math.NaN()}
	for _, b := range m.readLaws {
		if members < b.minMembers {
			break
		}
		l = b
	}
	return l
}
