package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/shape"
)

// SingleSenderProb against values worked out by hand: with Dirichlet(1, 1) shares (p
// uniform), P(two messages from one member) = E[p² + (1−p)²] = 2/3 and three messages
// E[p³ + (1−p)³] = 1/2; Dirichlet(1, 1, 1): 3·E[p₁²] = 3·2/12 = 1/2; Beta(½, ½):
// 2·E[p²] = 2·(½·1½)/(1·2) = 3/4; one message always has one sender; θ → ∞ is k^(1−n).
func TestSingleSenderProbByHand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		k, n  int
		theta float64
		want  float64
	}{{2, 2, 1, 2.0 / 3}, {2, 3, 1, 0.5}, {3, 2, 1, 0.5}, {2, 2, 0.5, 0.75}, {7, 1, 0.1, 1}, {3, 4, 1e7, 1.0 / 27}} {
		if got := SingleSenderProb(c.k, c.n, c.theta); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("k %d, n %d, θ %g: %.8f, want %.8f", c.k, c.n, c.theta, got, c.want)
		}
	}
	// And by Monte Carlo: Dirichlet(0.3 × 5) shares from Gamma draws, 7 categorical
	// messages, 100 000 conversations: within 4 standard errors.
	r := rand.New(rand.NewPCG(3, 4))
	g := distuv.Gamma{Alpha: 0.3, Beta: 1, Src: r}
	const k, n, trials = 5, 7, 100_000
	hits := 0
	for range trials {
		var p [k]float64
		sum := 0.0
		for i := range p {
			p[i] = g.Rand()
			sum += p[i]
		}
		first, one := -1, true
		for range n {
			u, j := r.Float64()*sum, 0
			for j < k-1 && u >= p[j] {
				u -= p[j]
				j++
			}
			if first < 0 {
				first = j
			} else if j != first {
				one = false
			}
		}
		if one {
			hits++
		}
	}
	want := SingleSenderProb(k, n, 0.3)
	if se := math.Sqrt(want * (1 - want) / trials); math.Abs(float64(hits)/trials-want) > 4*se {
		t.Errorf("Monte Carlo single-sender share %.4f, formula %.4f ± %.4f", float64(hits)/trials, want, 4*se)
	}
}

// SingleSenderProbReply against values worked out by hand: two equally weighted members
// (θ → ∞), two messages, replies half the time: the second message keeps the sender
// only when it is no reply (½) and falls on the same member (½), 1/4; Dirichlet(1, 1),
// three messages, r = ½: E[p³ + (1−p)³]·¼ = ½·¼ = 1/8; three uniform-share members
// (θ = 1), two messages, r = 0.3: 0.7·½ = 0.35; r = 1 alternates: no single-sender
// thread of two messages or more; one member or one message: 1.
func TestSingleSenderProbReplyByHand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		k, n         int
		theta, reply float64
		want         float64
	}{{2, 2, 1e7, 0.5, 0.25}, {2, 3, 1, 0.5, 0.125}, {3, 2, 1, 0.3, 0.35}, {4, 5, 0.2, 1, 0}, {1, 9, 0.2, 0.9, 1}, {5, 1, 0.2, 0.9, 1}, {3, 4, 1, 0, SingleSenderProb(3, 4, 1)}} {
		if got := SingleSenderProbReply(c.k, c.n, c.theta, c.reply); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("k %d, n %d, θ %g, reply %g: %.8f, want %.8f", c.k, c.n, c.theta, c.reply, got, c.want)
		}
	}
}

// drawDegrees draws n membership degrees from the zero-inflated Poisson–log-normal.
func drawDegrees(m MixedPoisson, n int, r *rand.Rand) []float64 {
	out := make([]float64, n)
	for i := range out {
		if r.Float64() < m.ZeroShare {
			continue
		}
		w := math.Exp(m.Sigma*r.NormFloat64() - m.Sigma*m.Sigma/2)
		out[i] = distuv.Poisson{Lambda: m.Mean * w, Src: r}.Rand()
	}
	return out
}

// FitMembership recovers known parameters from 50 000 drawn degrees binned on the
// export's grid.
func TestFitMembershipRecovers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for _, want := range []MixedPoisson{{ZeroShare: 0.2, Sigma: 1, Mean: 12}, {ZeroShare: 0.05, Sigma: 1.8, Mean: 40}, {ZeroShare: 0.4, Sigma: 0.5, Mean: 3}} {
		got, err := FitMembership(shape.Bin(shape.GridSmallCount(), drawDegrees(want, 50_000, r)))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Sigma-want.Sigma) > 0.06*want.Sigma || math.Abs(got.ZeroShare-want.ZeroShare) > 0.015 || relOff(got.Mean, want.Mean) > 0.08 {
			t.Errorf("%+v: fitted %+v", want, got.MixedPoisson)
		}
		if got.GOF.TotalVariation > 0.02 {
			t.Errorf("%+v: total variation %.4f against its own draws", want, got.GOF.TotalVariation)
		}
	}
}

// SolveTheta inverts SingleSenderShare, and reports a share no θ reaches as at bound.
func TestSolveTheta(t *testing.T) {
	t.Parallel()
	laws := ThreadLaws{Sizes: []Weighted{{2, 0.6}, {5, 0.3}, {40, 0.1}}, Counts: []Weighted{{1, 0.2}, {3, 0.3}, {20, 0.3}, {300, 0.2}}}
	for _, theta := range []float64{0.02, 0.3, 5} {
		share := laws.SingleSenderShare(theta)
		got, atBound := laws.SolveTheta(share)
		if atBound || math.Abs(got/theta-1) > 1e-6 {
			t.Errorf("θ %g (share %.4f): solved %g, at bound %v", theta, share, got, atBound)
		}
	}
	// one-message conversations (20 %) always have one sender: a share of 0.1 is out of reach
	if got, atBound := laws.SolveTheta(0.1); !atBound || got != thetaHi {
		t.Errorf("share 0.1: θ %g, at bound %v; want the upper bound", got, atBound)
	}
}

// A version-1 document has no people families: the spec keeps uniform members and
// senders and says why.
func TestFitPeopleVersion1(t *testing.T) {
	t.Parallel()
	rep, sp, err := Fit(example(t), Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Users.Membership != nil || sp.Users.Activity != nil || rep.FittedDistributions.People.Membership != nil {
		t.Errorf("version 1: membership %+v, activity %+v; want none", sp.Users.Membership, sp.Users.Activity)
	}
	if !anyContains(sp.Warnings, "fell back to uniform members and senders: the document is shape_version 1") {
		t.Errorf("version 1: no fallback warning in %q", sp.Warnings)
	}
}

// peopleV2Doc is the example document at shape_version 2 with people families: a
// membership law drawn for 20,000 users, a single-sender share of 0.25, busiest-sender
// shares 0.2, 0.45, 0.6 and active senders of its 142,350 users (88,870: 0.6243, the
// simulation's own share at σ_a = 0).
func peopleV2Doc(t *testing.T, active int64) (d *shape.Document, want MixedPoisson, share float64, top [3]float64) {
	t.Helper()
	d = example(t)
	d.ShapeVersion = "2"
	want = MixedPoisson{ZeroShare: 0.15, Sigma: 1.3, Mean: 20}
	r := rand.New(rand.NewPCG(7, 8))
	d.Users.Memberships = &shape.Memberships{Users: 20_000,
		ConversationsPerUserHistogram: shape.Bin(shape.GridSmallCount(), drawDegrees(want, 20_000, r))}
	share = 0.25
	top = [3]float64{0.2, 0.45, 0.6}
	d.Users.Senders = &shape.Senders{ActiveSenders: active, TopShare: shape.TopShare{Top1Pct: &top[0], Top5Pct: &top[1], Top10Pct: &top[2]}}
	d.Conversations.Threads = &shape.Threads{ActiveConversations: d.Conversations.ActiveCount, SingleSenderShare: &share}
	return d, want, share, top
}

// Who sends: the same document with 30 % of the users sending (against the 0.6243
// that σ_a = 0 gives) and no busiest-sender share published raises σ_a (more of each
// conversation's messages go to its most active members, fewer users ever send) until
// the simulated share is within 5 % of 0.3. (With this document's busiest shares, which
// σ_a = 0 exceeds already, the two pull apart and σ_a stays near 0.)
func TestFitActiveShare(t *testing.T) {
	t.Parallel()
	d, _, _, _ := peopleV2Doc(t, 42_705)
	d.Users.Senders.TopShare = shape.TopShare{}
	rep, sp, err := Fit(d, Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	ar := rep.FittedDistributions.People.Activity
	if sp.Users.Activity == nil || !(sp.Users.Activity.Sigma > 0.5) || math.Abs(ar.ObservedActiveShare-0.3) > 1e-4 ||
		math.Abs(ar.SimulatedActiveShare/0.3-1) > 0.05 {
		t.Errorf("σ_a %v, active share simulated %.4f against %.4f; want σ_a > 0.5 and within 5 %% of 0.3",
			sp.Users.Activity, ar.SimulatedActiveShare, ar.ObservedActiveShare)
	}
}

// A version-2 document: the membership law is recovered from its histogram, θ meets
// the single-sender share in closed form, σ_a is fitted, and a busiest-sender share
// that the simulation misses by more than 20 % has a warning (and only then).
func TestFitPeopleVersion2(t *testing.T) {
	t.Parallel()
	d, want, share, top := peopleV2Doc(t, 88_870)
	rep, sp, err := Fit(d, Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	mb, act := sp.Users.Membership, sp.Users.Activity
	if mb == nil || act == nil {
		t.Fatalf("membership %+v, activity %+v; warnings %q", mb, act, sp.Warnings)
	}
	// weight_sigma is the log-normal's; the generator draws by the weight classes, whose
	// zero share and lightest classes together give the users in no conversation.
	mr := rep.FittedDistributions.People.Membership
	if math.Abs(mb.WeightSigma-want.Sigma) > 0.1 || len(mb.Weights) == 0 || mr.WeightClasses != len(mb.Weights) ||
		math.Abs(mr.ModelZeroShare-mr.ObservedZeroShare) > 0.005 || math.Abs(mr.ObservedZeroShare-want.Mass(0, 1)) > 0.01 ||
		mb.ZeroShare > mr.ModelZeroShare {
		t.Errorf("membership σ %g with %d classes, report %+v; want σ %g and P(D = 0) %.3f", mb.WeightSigma, len(mb.Weights), *mr, want.Sigma, want.Mass(0, 1))
	}
	ar := rep.FittedDistributions.People.Activity
	if ar.ThetaAtBound || math.Abs(ar.ModelSingleSenderShare-share) > 1e-6 || ar.Theta != act.Theta {
		t.Errorf("θ %g (at bound %v) gives %.6f, want the share %g", ar.Theta, ar.ThetaAtBound, ar.ModelSingleSenderShare, share)
	}
	// At σ_a = 0 the simulation's busiest senders already carry more than the targets
	// (the membership law alone makes them busy), so σ_a stays at its bound.
	if ar.SimulatedTopShares[0] > top[0] && act.Sigma > 0.05 || rep.GoodnessOfFit[FamilyMemberships] == nil {
		t.Errorf("σ_a %g, membership GOF %v", act.Sigma, rep.GoodnessOfFit[FamilyMemberships])
	}
	for i, o := range top {
		warned := anyContains(rep.Warnings, fmt.Sprintf("the busiest %g%% of senders", 100*TopPercents[i]))
		if off := relOff(ar.SimulatedTopShares[i], o); (off > 0.2) != warned {
			t.Errorf("top %g%%: simulated %.3f against %.3f (off %.2f), warned %v", 100*TopPercents[i], ar.SimulatedTopShares[i], o, off, warned)
		}
	}
}

// PoissonMixture by hand: zero share 0.2, classes Λ = 1 and 3 with shares 0.5 each.
// P(D = 0) = 0.2 + 0.8·(e⁻¹ + e⁻³)/2 = 0.2 + 0.4·(0.367879 + 0.049787) = 0.367067;
// P(D ≥ 2) = 0.8·[(1 − 2e⁻¹) + (1 − 4e⁻³)]/2 = 0.4·(0.264241 + 0.800852) = 0.426037;
// the mean of the weighted users is 2.
func TestPoissonMixtureByHand(t *testing.T) {
	t.Parallel()
	m := PoissonMixture{ZeroShare: 0.2, Lambda: []float64{1, 3}, Share: []float64{0.5, 0.5}}
	s := m.SurvivalFunc()
	for _, c := range []struct{ x, want float64 }{{1, 1 - 0.367067}, {2, 0.426037}, {0, 1}, {math.Inf(1), 0}} {
		if got := s(c.x); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("S(%g) = %.6f, want %.6f", c.x, got, c.want)
		}
	}
	if got := m.Mass(0, 1); math.Abs(got-0.367067) > 1e-6 {
		t.Errorf("P(D = 0) = %.6f, want 0.367067", got)
	}
	if m.Mean() != 2 {
		t.Errorf("mean %g, want 2", m.Mean())
	}
	if c := m.Classes(); len(c) != 2 || c[0].Weight != 3 || c[1].Weight != 1 {
		t.Errorf("classes %+v, want heaviest (3) first", c)
	}
}

// drawMixture draws n degrees from a Poisson mixture whose weighted users' mean degree
// is lam(u) for a uniform u.
func drawMixture(zero float64, lam func(u float64) float64, n int, r *rand.Rand) []float64 {
	out := make([]float64, n)
	for i := range out {
		if r.Float64() < zero {
			continue
		}
		out[i] = distuv.Poisson{Lambda: lam(r.Float64()), Src: r}.Rand()
	}
	return out
}

// FitMembershipClasses recovers known degree laws from 50 000 drawn degrees binned on
// the export's grid: the zero share, the mean degree and the fitted law's distance
// from the truth. The truths: two classes (Λ = 2 for 90 %, 20 for 10 %); a
// log-normal weight (σ = 1.2, which FitMembership also holds); and a Zipf tail,
// Λ = 2·(1 − u)^(−0.8) capped at 3000 (P(Λ > x) ∝ x^(−1.25), most users in two or so
// conversations and a few in thousands), on which the log-normal's total variation
// is more than five times the classes'.
func TestFitMembershipClassesRecovers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		name string
		zero float64
		lam  func(u float64) float64
		mean float64
	}{
		{"two classes", 0.2, func(u float64) float64 { return map[bool]float64{true: 20, false: 2}[u < 0.1] }, 3.8},
		{"log-normal", 0.1, func(u float64) float64 { return 10 * math.Exp(1.2*distuv.UnitNormal.Quantile(u)-0.72) }, 10},
		{"zipf", 0.05, func(u float64) float64 { return min(3000, 2*math.Pow(1-u, -0.8)) }, 0},
	} {
		degrees := drawMixture(c.zero, c.lam, 50_000, r)
		mean, weighted := 0.0, 0.0
		for _, d := range degrees {
			mean += d
		}
		// the truth's mean over the weighted users, from a fine quadrature
		if c.mean == 0 {
			for i := range 100_000 {
				c.mean += c.lam((float64(i)+0.5)/100_000) / 100_000
			}
		}
		h := shape.Bin(shape.GridSmallCount(), degrees)
		got, err := FitMembershipClasses(h)
		if err != nil {
			t.Fatal(err)
		}
		weighted = mean / (50_000 * (1 - c.zero))
		// The zero share: Poisson zeros of the lightest classes and weightless users are
		// one mass at 0 to the histogram; compare P(D = 0).
		wantZero := 0.0
		for _, d := range degrees {
			if d == 0 {
				wantZero++
			}
		}
		wantZero /= 50_000
		if gotZero := got.Mass(0, 1); math.Abs(gotZero-wantZero) > 0.005 {
			t.Errorf("%s: P(D = 0) %.4f, drawn %.4f", c.name, gotZero, wantZero)
		}
		if gm := (1 - got.ZeroShare) * got.Mean(); relOff(gm, weighted*(1-c.zero)) > 0.03 {
			t.Errorf("%s: mean degree %.3f, drawn %.3f (law %.3f)", c.name, gm, weighted*(1-c.zero), c.mean*(1-c.zero))
		}
		if got.GOF.TotalVariation > 0.01 {
			t.Errorf("%s: total variation %.4f against its own draws", c.name, got.GOF.TotalVariation)
		}
		if c.name == "zipf" {
			ln, err := FitMembership(h)
			if err != nil {
				t.Fatal(err)
			}
			if ln.GOF.TotalVariation < 5*got.GOF.TotalVariation {
				t.Errorf("zipf: the log-normal's total variation %.4f is not several times the classes' %.4f", ln.GOF.TotalVariation, got.GOF.TotalVariation)
			}
		}
	}
}

// binnedKSCounts by hand: the exported senders per conversation {1: 50, 2: 30, 3+: 20}
// against simulated counts 40 with one sender, 40 with two, 10 with three and 10 with
// four (binned 40, 40, 20): cumulative shares 0.5, 0.8, 1 against 0.4, 0.8, 1, so D =
// 0.1; no simulated conversation gives NaN.
func TestBinnedKSCounts(t *testing.T) {
	t.Parallel()
	h := shape.FromEdges([]float64{1, 2, 3}, []int64{50, 30, 20})
	if d := binnedKSCounts(h, []float64{0, 40, 40, 10, 10}); math.Abs(d-0.1) > 1e-12 {
		t.Errorf("D = %g, want 0.1", d)
	}
	if d := binnedKSCounts(h, []float64{0}); !math.IsNaN(d) {
		t.Errorf("no simulated conversation: D = %g, want NaN", d)
	}
}
