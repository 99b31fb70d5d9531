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

// A version-2 document: the membership law is recovered from its histogram, θ meets
// the single-sender share in closed form, σ_a is fitted, and a busiest-sender share
// that the simulation misses by more than 20 % has a warning (and only then).
func TestFitPeopleVersion2(t *testing.T) {
	t.Parallel()
	d := example(t)
	d.ShapeVersion = "2"
	want := MixedPoisson{ZeroShare: 0.15, Sigma: 1.3, Mean: 20}
	r := rand.New(rand.NewPCG(7, 8))
	d.Users.Memberships = &shape.Memberships{Users: 20_000,
		ConversationsPerUserHistogram: shape.Bin(shape.GridSmallCount(), drawDegrees(want, 20_000, r))}
	share := 0.25
	top := [3]float64{0.2, 0.45, 0.6}
	d.Users.Senders = &shape.Senders{ActiveSenders: 5000, TopShare: shape.TopShare{Top1Pct: &top[0], Top5Pct: &top[1], Top10Pct: &top[2]}}
	d.Conversations.Threads = &shape.Threads{ActiveConversations: d.Conversations.ActiveCount, SingleSenderShare: &share}
	rep, sp, err := Fit(d, Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	mb, act := sp.Users.Membership, sp.Users.Activity
	if mb == nil || act == nil {
		t.Fatalf("membership %+v, activity %+v; warnings %q", mb, act, sp.Warnings)
	}
	if math.Abs(mb.WeightSigma-want.Sigma) > 0.1 || math.Abs(mb.ZeroShare-want.ZeroShare) > 0.02 {
		t.Errorf("membership %+v, want σ %g, zero share %g", *mb, want.Sigma, want.ZeroShare)
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
