package generate

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/spec"
)

// The Feistel permutation is a bijection of 0…n−1 for sizes around powers of two.
func TestFeistelIsABijection(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{1, 2, 3, 4, 5, 63, 64, 65, 1000, 4097} {
		f := newFeistel(n, 42)
		seen := make([]bool, n)
		for i := range n {
			x := f.apply(i)
			if x >= n || seen[x] {
				t.Fatalf("n=%d: %d ↦ %d (repeated or out of range)", n, i, x)
			}
			seen[x] = true
		}
	}
	// Another key gives another order.
	a, b := newFeistel(1000, 1), newFeistel(1000, 2)
	same := 0
	for i := range uint64(1000) {
		if a.apply(i) == b.apply(i) {
			same++
		}
	}
	if same > 20 {
		t.Errorf("keys 1 and 2 agree on %d of 1000 points", same)
	}
}

// Quantiles of the count models against hand-computed values.
func TestCountModelQuantiles(t *testing.T) {
	t.Parallel()
	// Power law α = 2 on 1…10⁷: P(X = 1) = 1/ζ(2) = 0.6079, P(X ≤ 2) = 1.25/ζ(2) = 0.7599
	// (the mass beyond 10⁷ is 6e-8 of it).
	pl, err := newCountModel(spec.CountModel{Distribution: "power_law", Alpha: 2, XMin: 1, XMax: 10_000_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    float64
		want int64
	}{{0.0001, 1}, {0.607, 1}, {0.609, 2}, {0.759, 2}, {0.761, 3}} {
		if got := pl.quantile(c.u); got != c.want {
			t.Errorf("power law quantile(%g) = %d, want %d", c.u, got, c.want)
		}
	}
	// Beyond the 2²⁰-entry table the tail is ∫ t^−2 dt with the ½ correction:
	// P(X ≥ x) = (1/(x − ½) − 1/(10⁷ + ½)) / ζ(2). P(X ≥ x) = 2.5e-7 gives
	// 1/(x − ½) = 2.5e-7·1.644934 + 1e-7 = 5.1123e-7, x = 1.95606e6.
	if got := pl.quantile(1 - 2.5e-7); math.Abs(float64(got)-1.95606e6) > 2e3 {
		t.Errorf("power law tail quantile = %d, want 1.956e6 ± 0.1%%", got)
	}
	// Discrete log-normal (μ = 2.5, σ = 1.2) on 1…5000: quantile(u) = floor(exp(μ + σ·Φ⁻¹(p)))
	// with p = Φ(z(1)) + u·(Φ(z(5001)) − Φ(z(1))), Φ(z(1)) = Φ(−2.0833) = 0.018610,
	// Φ(z(5001)) = Φ(5.0144) ≈ 1. u = ½: p = 0.509305, Φ⁻¹ = 0.023325, e^2.52799 = 12.53.
	// u = 0.9: p = 0.901861, Φ⁻¹ = 1.29186, e^4.05023 = 57.4.
	ln, err := newCountModel(spec.CountModel{Distribution: "discrete_lognormal", Mu: 2.5, Sigma: 1.2, XMin: 1, XMax: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    float64
		want int64
	}{{0.5, 12}, {0.9, 57}, {1e-9, 1}, {1 - 1e-12, 5000}} {
		if got := ln.quantile(c.u); got != c.want {
			t.Errorf("log-normal quantile(%g) = %d, want %d", c.u, got, c.want)
		}
	}
	// Shifted discrete log-normal (μ = 2.5, σ = 1.2, shift 1.5) on 1…5000: every draw
	// of 1.5 + Y is at least 1, so quantile(u) = ⌊1.5 + exp(μ + σ·Φ⁻¹(u·Φ(z(5001))))⌋,
	// Φ(z(5001)) = Φ(5.0144) = 1 − 2.7e-7. u = ½: 1.5 + e^2.5 = 13.68; u = 0.9:
	// Φ⁻¹ = 1.281552, 1.5 + e^4.037862 = 58.18; u = 0.01: Φ⁻¹ = −2.326348,
	// 1.5 + e^−0.291618 = 2.247; u = 0.001: Φ⁻¹ = −3.090232, 1.5 + e^−1.208278 = 1.799.
	sh, err := newCountModel(spec.CountModel{Distribution: spec.DistShiftedDiscreteLogNormal, Mu: 2.5, Sigma: 1.2, Shift: 1.5, XMin: 1, XMax: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    float64
		want int64
	}{{0.5, 13}, {0.9, 58}, {0.01, 2}, {0.001, 1}, {1 - 1e-12, 5000}} {
		if got := sh.quantile(c.u); got != c.want {
			t.Errorf("shifted log-normal quantile(%g) = %d, want %d", c.u, got, c.want)
		}
	}
}

// Burst starts fall only where the weekday × hour profile has weight.
func TestSlotTableFollowsTheProfile(t *testing.T) {
	t.Parallel()
	var w [7][24]float64
	w[0][10] = 1                                       // Monday 10:00–11:00 UTC only
	w[2][3] = 3                                        // Wednesday 03:00–04:00, three times the weight
	end := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	st, err := newSlotTable(toPG(end.AddDate(0, 0, -14)), toPG(end), w)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	wed := 0
	const n = 20000
	for range n {
		at := pgEpoch.Add(time.Duration(st.sample(r, st.start[0], 0)) * time.Microsecond)
		switch {
		case at.Weekday() == time.Monday && at.Hour() == 10:
		case at.Weekday() == time.Wednesday && at.Hour() == 3:
			wed++
		default:
			t.Fatalf("sample at %v, outside the weighted hours", at)
		}
	}
	// Wednesday carries 3/4 of the weight: within 4 standard errors (0.0031).
	if got := float64(wed) / n; math.Abs(got-0.75) > 0.0125 {
		t.Errorf("Wednesday share %v, want 0.75", got)
	}
	// From a lower bound on the last Monday at 05:00, only that Monday's 10:00 hour and
	// the last Wednesday's 03:00 hour are left; with no weight left (after that
	// Wednesday) the draw is uniform over what remains of the window.
	lo := time.Date(2025, 12, 29, 5, 0, 0, 0, time.UTC)
	for range 1000 {
		at := pgEpoch.Add(time.Duration(st.sample(r, toPG(lo), st.weightBefore(toPG(lo)))) * time.Microsecond)
		if at.Before(lo) || !(at.Day() == 29 && at.Hour() == 10 || at.Day() == 31 && at.Hour() == 3) {
			t.Fatalf("sample %v, want Dec 29 10h or Dec 31 3h", at)
		}
	}
	late := toPG(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	for range 1000 {
		if at := st.sample(r, late, st.weightBefore(late)); at < late || at >= st.end {
			t.Fatalf("sample %d outside [%d, %d)", at, late, st.end)
		}
	}
}

// Usernames are unique and of the requested length when the id fits; text is
// lowercase pseudo-words.
func TestUsernamesAndText(t *testing.T) {
	t.Parallel()
	m, err := newModel(testSpec(t), "s", 20000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	seen := map[string]bool{}
	for uid := int64(1); uid <= 20000; uid++ {
		l := int(uid % 12)
		name := string(g.username(uid, l))
		if seen[name] {
			t.Fatalf("username %q repeats", name)
		}
		seen[name] = true
		if digits := len(strings.TrimLeft(name, "abcdefghijklmnopqrstuvwxyz")); len(name) != max(l, digits) {
			t.Fatalf("uid %d length %d: %q", uid, l, name)
		}
	}
	if strings.Trim(string(m.textBuf), "abcdefghijklmnopqrstuvwxyz ") != "" {
		t.Errorf("the text buffer holds something other than lowercase words")
	}
}

// The alias table draws floor(log-normal) lengths with the exact probabilities:
// μ = 0, σ = 1, capped at 3: P(0) = Φ(0) = 0.5, P(1) = Φ(ln 2) − Φ(0) = 0.25589,
// P(2) = Φ(ln 3) − Φ(ln 2) = 0.10815, P(3) = 1 − Φ(ln 3) = 0.13596.
func TestFlooredLogNormalAlias(t *testing.T) {
	t.Parallel()
	a := flooredLogNormal([]spec.LogNormalComponent{{Weight: 1, Mu: 0, Sigma: 1}}, 3)
	want := []float64{0.5, 0.25589, 0.10815, 0.13596}
	r := rand.New(rand.NewPCG(7, 7))
	const n = 400_000
	got := make([]float64, 4)
	for range n {
		got[a.sample(r)]++
	}
	for l, p := range want {
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(got[l]/n-p) > 4*se+1e-5 {
			t.Errorf("P(L = %d) = %.5f, want %.5f ± %.5f", l, got[l]/n, p, 4*se)
		}
	}
}

// A two-component mixture tabulates the weighted sum of its components' floored
// masses: ¼ of ln X ~ N(0, 1) and ¾ of ln X ~ N(ln 2, 0.5²), capped at 3. By hand, with
// z(y) = (ln y − ln 2)/0.5, the second component gives p₂(0) = Φ(z(1)) = 0.08283,
// p₂(1) = Φ(0) − Φ(z(1)) = 0.41717, p₂(2) = Φ(2 ln 1.5) − ½ = 0.29130,
// p₂(3) = 1 − Φ(2 ln 1.5) = 0.20870; the first is TestFlooredLogNormalAlias's.
func TestFlooredMixtureAlias(t *testing.T) {
	t.Parallel()
	a := flooredLogNormal([]spec.LogNormalComponent{{Weight: 0.25, Mu: 0, Sigma: 1}, {Weight: 0.75, Mu: math.Ln2, Sigma: 0.5}}, 3)
	p1 := []float64{0.5, 0.25589, 0.10815, 0.13596}
	p2 := []float64{0.08283, 0.41717, 0.29130, 0.20870}
	r := rand.New(rand.NewPCG(7, 8))
	const n = 400_000
	got := make([]float64, 4)
	for range n {
		got[a.sample(r)]++
	}
	for l := range p1 {
		p := 0.25*p1[l] + 0.75*p2[l]
		if se := math.Sqrt(p * (1 - p) / n); math.Abs(got[l]/n-p) > 4*se+1e-5 {
			t.Errorf("P(L = %d) = %.5f, want %.5f ± %.5f", l, got[l]/n, p, 4*se)
		}
	}
}

// TestHeavyRoomsKeepTheirEdge: the default spec's heavy rooms (the busiest 2% of the
// strata, their excess over the count model's 98th percentile Q scaled by the
// multiplier) carry the share dist.HeavyShare predicts for the multiplier, 30% at the
// default's 2.751443; and a shrinking multiplier, as a document whose model is too
// heavy at the top gets, lowers the top counts without moving Q or anything below it:
// the strata's own 98th percentile stays Q, where multiplying whole counts by 0.5
// would put half of the top rooms under it.
func TestHeavyRoomsKeepTheirEdge(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	cm, hr := s.Messages.PerConversationDistribution, s.Conversations.HeavyRooms
	count := cm.Law()
	h := dist.NewHeavyShare(count, hr.Percentage)
	for _, mult := range []float64{hr.Multiplier, 0.5} {
		sp := *s
		sp.Conversations.HeavyRooms.Multiplier = mult
		m, err := newModel(&sp, "heavy", 5_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if m.heavyQ != h.Q {
			t.Fatalf("generator pivot %g, fit's (1 − pct) quantile %g", m.heavyQ, h.Q)
		}
		a := m.active
		counts := make([]int64, a)
		var total, top int64
		for st := range a {
			counts[st] = m.stratumCount(st, a, m.heavyFrom)
			total += counts[st]
			if st >= m.heavyFrom {
				top += counts[st]
				if float64(counts[st]) < h.Q {
					t.Fatalf("multiplier %g: heavy stratum %d holds %d messages, under Q = %g", mult, st, counts[st], h.Q)
				}
			}
		}
		got, want := float64(top)/float64(total), h.Share(mult)
		if math.Abs(got-want) > 0.01 {
			t.Errorf("multiplier %g: the busiest 2%% of %d conversations carry %.4f, fit predicts %.4f", mult, a, got, want)
		}
		if mult == hr.Multiplier && math.Abs(got-0.30) > 0.01 {
			t.Errorf("default multiplier: the busiest 2%% carry %.4f, want 0.30", got)
		}
		slices.Sort(counts)
		if q := counts[int64(math.Ceil(0.98*float64(a)))-1]; float64(q) != h.Q {
			t.Errorf("multiplier %g: the strata's 98th percentile is %d, want Q = %g", mult, q, h.Q)
		}
	}
}
