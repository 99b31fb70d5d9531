package validate

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
)

// The Go twins of shape.dp_quantile, dp_mean, dp_top_share and dp_cv (migrations/00006)
// on a hand-computed histogram: bins [1,2) [2,4) [4,8) [8,12) (the last bin's upper
// bound is its lower bound plus the width below), ten counts each.
func TestDPDerivations(t *testing.T) {
	t.Parallel()
	lo, c := []float64{1, 2, 4, 8}, []float64{10, 10, 10, 10}
	// p50: 20 of 40 reached in bin [2,4) after 10 below: 2 + 2·(10/10) = 4
	near(t, "p50", dpQuantile(lo, c, 0.5), 4, 1e-12)
	// p99: 39.6 in [8,12) after 30 below: 8 + 4·(9.6/10) = 11.84
	near(t, "p99", dpQuantile(lo, c, 0.99), 11.84, 1e-12)
	// integer middles (lo + hi − 1)/2 = 1, 2.5, 5.5, 9.5
	near(t, "mean", dpMean(lo, c, true), 4.625, 1e-12)
	// top 10 %: 4 rooms of the top bin at 9.5 = 38 of 185
	near(t, "top share", dpTopShare(lo, c, 0.1), 38.0/185, 1e-12)
	// middles 1.5, 3, 6, 10: μ = 5.125, population variance 10.546875
	near(t, "cv", dpCV(lo, c), math.Sqrt(10.546875)/5.125, 1e-12)
	a, b := []float64{100, 100, 100, 100, 100, 100, 150, 50}, []float64{120, 110, 90, 100, 100, 100, 130, 50}
	near(t, "ksD", ksD(a, b), stats.KSBinned(a, b).D, 1e-15)
	near(t, "ksD (hand)", ksD(a, b), 0.0375, 1e-12)
	if !math.IsNaN(dpQuantile(lo, []float64{0, 0, 0, 0}, 0.5)) {
		t.Errorf("the quantile of an empty histogram is not NaN")
	}
}

// The Monte Carlo widening of a type share agrees with the delta method: the 1:1 share
// p = n₂/T of member bins {2: 6000, 3: 3000, 21: 1000} with σ = 20 per bin has
// Var p ≈ σ²/T² · ((1 − p)² + p² · 2) = 3.52·10⁻⁶, so |Δ|'s 95th percentile is
// 1.96 · 1.876·10⁻³ = 3.68·10⁻³ (the bins are far above the 3σ threshold; the empty
// bins under 2 do not enter the share).
func TestNoiseWideningDeltaMethod(t *testing.T) {
	t.Parallel()
	d := &shape.Document{Privacy: &shape.Privacy{Mode: shape.ModeDifferentialPrivacy,
		Vectors: map[string]shape.NoiseVector{"conversations.member_count": {Sigma2: 400, L2Sensitivity: 1}}}}
	d.Conversations.MemberCountHistogram = shape.FromEdges([]float64{0, 1, 2, 3, 21}, []int64{0, 0, 6000, 3000, 1000})
	w, vecs, ok := widening(d, noiseModels["type_mix.one_to_one"])
	if !ok || len(vecs) != 1 || vecs[0].Sigma != 20 {
		t.Fatalf("widening: ok %v, vectors %v", ok, vecs)
	}
	want := 1.959964 * math.Sqrt(400.0/1e8*(0.16+0.36*2))
	if math.Abs(w/want-1) > 0.15 {
		t.Errorf("widening %.4g, want %.4g ± 15 %% (delta method)", w, want)
	}
	// ten times the noise: ten times the widening
	d.Privacy.Vectors["conversations.member_count"] = shape.NoiseVector{Sigma2: 40000, L2Sensitivity: 1}
	w10, _, _ := widening(d, noiseModels["type_mix.one_to_one"])
	if math.Abs(w10/(10*want)-1) > 0.15 {
		t.Errorf("σ = 200: widening %.4g, want %.4g ± 15 %%", w10, 10*want)
	}
}

// A DP baseline widens the checks on its noisy values, and says so: a 1:1 share 11
// points off fails against ±10 points on an exact baseline; with the member-count
// vector at σ = 20 it passes (T = 1000 conversations: about 6 points of noise at the
// 95th percentile by the delta method; measured 0.0624: the 21+ bins of 30 and 15 sit
// next to the bulk, so shape.dp_keep keeps them whenever they stay positive, where
// the earlier flat 3σ cut emptied them in most simulated releases and gave 0.1+), the tolerance and
// the report line say by how much, and the checks whose vectors the document does
// not carry are not widened.
func TestCompareDPWidens(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Conversations.TypeDistribution.OneToOne = shape.Float(0.792)
	c.Conversations.TypeDistribution.SmallGroup = shape.Float(0.163)

	// The base document has no people families: gated, their checks would be skipped;
	// this test is about the DP widening of the others.
	exact := Compare(b, c, Options{PeopleChecks: PeopleReported})
	wantOnly(t, exact, map[string]Status{"type_mix.one_to_one": Fail, "type_mix.small_group": Fail})
	for _, ch := range exact.Checks {
		if ch.Noise != nil {
			t.Errorf("%s widened on k-anonymous documents", ch.ID)
		}
	}

	b.Privacy = &shape.Privacy{Mode: shape.ModeDifferentialPrivacy, Epsilon: 1, Delta: 1e-6, Rho: 0.0175,
		Vectors: map[string]shape.NoiseVector{"conversations.member_count": {Sigma2: 400, L2Sensitivity: 1}}}
	r := Compare(b, c, Options{PeopleChecks: PeopleReported})
	wantOnly(t, r, map[string]Status{})
	ch := r.Check("type_mix.one_to_one")
	if ch.Noise == nil || ch.Noise.BaseTolerance != 0.10 || ch.Noise.Side != "baseline" ||
		math.Abs(ch.Tolerance-0.10-ch.Noise.Widening) > 1e-12 || ch.Noise.Widening < 0.03 || ch.Noise.Widening > 0.20 {
		t.Fatalf("type_mix.one_to_one: tolerance %g, noise %+v", ch.Tolerance, ch.Noise)
	}
	if r.Check("media_ratio").Noise != nil {
		t.Errorf("media_ratio widened without its vectors in the document")
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "tolerance widened by DP noise σ=20 (conversations.member_count σ=20; baseline noisy): 0.1 + 0.06") {
		t.Errorf("the report does not say the tolerance was widened:\n%s", buf.String())
	}
	// both sides noisy: the widenings add in quadrature
	c.Privacy = b.Privacy
	both := Compare(b, c, Options{}).Check("type_mix.one_to_one").Noise
	if both == nil || both.Side != "both" {
		t.Fatalf("both noisy: %+v", both)
	}
	if cw, _, _ := widening(c, noiseModels["type_mix.one_to_one"]); math.Abs(both.Widening-math.Hypot(ch.Noise.Widening, cw)) > 1e-12 {
		t.Errorf("both noisy: widening %g, want √(%g² + %g²)", both.Widening, ch.Noise.Widening, cw)
	}
}

// The χ² with noise: without noise it is Pearson's two-sample statistic (the content-
// length example of TestChiSquaredContentLength, X² = 26.667); with σ² = 400 on each
// bin of the first side, each bin's variance r_i(1/N + 1/M) grows by 400/N²:
// 0.0625/0.01375 + 0.0625/0.01625 = 8.392.
func TestNoisyChiSquared(t *testing.T) {
	t.Parallel()
	a, b := []float64{100, 100}, []float64{50, 150}
	x2, df, merged := noisyChiSquared(a, b, []float64{0, 0}, []float64{0, 0})
	near(t, "X² without noise", x2, stats.ChiSquaredHistograms(a, b, stats.DefaultMinExpected).Stat, 1e-9)
	near(t, "X² without noise (hand)", x2, 26.6667, 1e-3)
	if df != 1 || merged != 0 {
		t.Errorf("df %g, merged %d, want 1, 0", df, merged)
	}
	x2, _, _ = noisyChiSquared(a, b, []float64{400, 400}, []float64{0, 0})
	near(t, "X² with σ² = 400", x2, 0.0625/0.01375+0.0625/0.01625, 1e-9)
}

// A DP document's distribution tests report their p-values with the noise in each
// bin's variance: the same D, a smaller effective size. The base activity bins (100
// six times, 150, 50: 800 in all) against a candidate of 120, 110, 90, 100, 100, 100, 130, 50: the largest CDF
// gap is after the second bin, F_a = 0.25, F_b = 0.2875, D = 0.0375, pooled
// F = 0.26875. The binomial variance there is F(1 − F)(1/800 + 1/800) = 4.913·10⁻⁴;
// σ² = 400 on each of the baseline's 8 bins adds 400·(2·(1 − 0.25)² + 6·0.25²)/800² =
// 9.375·10⁻⁴, so n_eff = 400 · 4.913/(4.913 + 9.375) = 137.5.
func TestCompareDPTests(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Conversations.ActivityHistogram = shape.FromEdges([]float64{1, 2, 5, 10, 20, 50, 100, 500},
		[]int64{120, 110, 90, 100, 100, 100, 130, 50})
	plain := Compare(b, c, Options{}).Check("messages_per_conversation.ks").Test
	near(t, "D", plain.Statistic, 0.0375, 1e-12)
	near(t, "n_eff without noise", plain.NEff, 400, 1e-9)
	b.Privacy = &shape.Privacy{Mode: shape.ModeDifferentialPrivacy, Epsilon: 1, Delta: 1e-6, Rho: 0.0175,
		Vectors: map[string]shape.NoiseVector{"conversations.activity": {Sigma2: 400, L2Sensitivity: 1}}}
	ks := Compare(b, c, Options{}).Check("messages_per_conversation.ks")
	if ks.Noise == nil || ks.Test == nil {
		t.Fatalf("KS not widened: %+v", ks)
	}
	f := 0.26875
	binom := f * (1 - f) * (2.0 / 800)
	noise := 400 * (2*0.75*0.75 + 6*0.25*0.25) / (800 * 800)
	near(t, "n_eff with noise", ks.Test.NEff, 400*binom/(binom+noise), 1e-9)
	near(t, "n_eff with noise (hand)", ks.Test.NEff, 137.5, 0.1)
	near(t, "p", ks.Test.PValue, stats.KSPValueAtN(0.0375, ks.Test.NEff), 1e-12)
}

// A DP document's caps make two checks another quantity: skipped, with the reason, on
// either side; on exact documents they are compared as before.
func TestCompareDPNotComparable(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	c := clone(t, b)
	c.Messages.BurstCoefficient = shape.Float(5) // +100 %: a warning between exact documents
	if s := Compare(b, c, Options{}).Check("burst_coefficient").Status; s != Warning {
		t.Fatalf("exact documents: burst coefficient %s, want warning", s)
	}
	c.Privacy = &shape.Privacy{Mode: shape.ModeDifferentialPrivacy, Epsilon: 1, Delta: 1e-6, Rho: 0.0175,
		Caps: map[string]int64{"messages_per_conversation": 50, "receipts_per_message": 5}}
	r := Compare(b, c, Options{})
	for _, id := range []string{"burst_coefficient", "receipts_per_read_message.by_members"} {
		ch := r.Check(id)
		if ch.Status != Skipped || !strings.HasPrefix(ch.Note, "not comparable: a differential-privacy release") || ch.Summary() != ch.Note {
			t.Errorf("%s: %s (%q), want skipped as not comparable", id, ch.Status, ch.Note)
		}
	}
	if !strings.Contains(r.Check("burst_coefficient").Note, "at most 50 messages (privacy.caps.messages_per_conversation)") {
		t.Errorf("burst coefficient note %q does not name the cap", r.Check("burst_coefficient").Note)
	}
}

// The by-member read rate widens each bucket by its own noise: the 21+ bucket of the base
// document below has 200 conversations of activity 1–9 (middle 5) and 100 of 10–99
// (middle 54.5, capped at 50): 200·5 + 100·50 = 6000 estimated messages; a −30 % read
// rate there warns (out of ±20 %, non-critical) between exact documents and passes
// with σ = 500 on its counts.
func TestCompareDPByMembers(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	b.Conversations.SizeActivityHistogram = map[string]map[string]*int64{
		"2":  {"0": shape.Int(100), "1": shape.Int(1000), "10": shape.Int(1000)},
		"21": {"0": shape.Int(10), "1": shape.Int(200), "10": shape.Int(100)},
	}
	c := clone(t, b)
	c.ReadReceipts.ByMemberCount["21"] = shape.ReaderCell{ReadRate: shape.Float(0.42), ReceiptsPerReadMessage: shape.Float(4)}
	if s := Compare(b, c, Options{}).Check("read_rate.by_members").Status; s != Warning {
		t.Fatalf("exact documents: read rate by members %s, want a warning (non-critical, −30 %%)", s)
	}
	// 21+: 200·min(5, 50) + 100·min(54.5, 50) = 6000 messages, 3600 read at 0.6
	if m := bucketMessages(withCaps(b))["21"]; m != 6000 {
		t.Errorf("estimated messages of the 21+ bucket %g, want 6000", m)
	}
	b.Privacy = withCaps(b).Privacy
	b.Privacy.Vectors = map[string]shape.NoiseVector{
		"read_receipts.read_by_member_count":     {Sigma2: 250000, L2Sensitivity: 50},
		"read_receipts.messages_by_member_count": {Sigma2: 250000, L2Sensitivity: 50},
	}
	ch := Compare(b, c, Options{}).Check("read_rate.by_members")
	// read/messages = 3600/6000 with σ = 500 on each: relative SD ≈ √(1/3600² + 1/6000²)·500 = 0.162
	if ch.Noise == nil || ch.Noise.Widening < 0.2 || ch.Noise.Widening > 0.45 || ch.Status != Pass {
		t.Errorf("read rate by members with noise: %s, noise %+v, want pass with a widening near 1.96 · 0.162", ch.Status, ch.Noise)
	}
}

func withCaps(d *shape.Document) *shape.Document {
	x := *d
	x.Privacy = &shape.Privacy{Mode: shape.ModeDifferentialPrivacy, Epsilon: 1, Delta: 1e-6, Rho: 0.0175,
		Caps: map[string]int64{"messages_per_conversation": 50, "receipts_per_message": 5}}
	return &x
}

// KeepTail, the export's sparse-histogram rule, on hand-made vectors (σ² = 100, strong at
// 50), and its properties on random ones: every bin is 0 or its own noisy count, the
// kept bins are exactly the positive runs holding a strong bin, and applying it twice
// changes nothing (it is a function of the noisy vector alone, so post-processing).
func TestKeepTail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{900, 300, 40, 7, 1, -3, 30, 12, 0}, []float64{900, 300, 40, 7, 1, 0, 0, 0, 0}},
		{[]float64{2, 5, 80, 6, -1, 49, 0}, []float64{2, 5, 80, 6, 0, 0, 0}},
		{[]float64{60, 0, 0, 3, 50, 4, -7}, []float64{60, 0, 0, 3, 50, 4, 0}},
		{[]float64{49, 48, -2, 10}, []float64{0, 0, 0, 0}},
	} {
		got := append([]float64(nil), c.in...)
		KeepTail(got, 100)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("KeepTail(%v, 100) = %v, want %v", c.in, got, c.want)
				break
			}
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	for range 1000 {
		in := make([]float64, 1+r.IntN(40))
		for i := range in {
			in[i] = float64(r.IntN(60) - 15)
		}
		out := append([]float64(nil), in...)
		KeepTail(out, 16) // strong at 20
		for i := range in {
			// the run of positive bins through i
			a, b := i, i
			for a > 0 && in[a-1] > 0 {
				a--
			}
			for b < len(in)-1 && in[b+1] > 0 {
				b++
			}
			strong := false
			for j := a; j <= b; j++ {
				strong = strong || in[j] >= 20
			}
			want := 0.0
			if in[i] >= 20 || (in[i] > 0 && strong) {
				want = in[i]
			}
			if out[i] != want {
				t.Fatalf("KeepTail(%v, 16)[%d] = %g, want %g", in, i, out[i], want)
			}
		}
		again := append([]float64(nil), out...)
		KeepTail(again, 16)
		for i := range out {
			if again[i] != out[i] {
				t.Fatalf("KeepTail is not idempotent on %v", in)
			}
		}
	}
}
