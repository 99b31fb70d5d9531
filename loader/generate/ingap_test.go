package generate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/spec"
)

// timesDigest is the SHA-256 of the message times and senders of the model's first
// convs conversations (each with a message), as messageTimes draws them.
func timesDigest(t *testing.T, s *spec.Spec, convs int) string {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := newModel(s, "in-gap-digest", 50_000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	h := sha256.New()
	var buf [8]byte
	done := 0
	for idx := range m.convs {
		if done == convs {
			break
		}
		n := m.messageCount(idx)
		if n == 0 {
			continue
		}
		done++
		c := g.loadConversation(idx)
		g.messageTimes(c, n)
		for i, ts := range g.ts {
			binary.LittleEndian.PutUint64(buf[:], uint64(ts))
			h.Write(buf[:])
			binary.LittleEndian.PutUint64(buf[:], uint64(g.snd[i]))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestTimesWithoutInGapSigmaUnchanged: a spec without burst.in_gap_sigma draws the
// same random numbers as before it existed, so its message times and senders are the
// ones main generated (digests pinned from commit f5e5f59, before the field), under
// both start models and with a lifetime law; with in_gap_sigma 1 they differ.
func TestTimesWithoutInGapSigmaUnchanged(t *testing.T) {
	t.Parallel()
	renewal := func(s *spec.Spec) {
		b := &s.Messages.InterArrival.Burst
		b.StartModel, b.GapMu, b.GapSigma = spec.StartModelRenewal, 8, 1.2
	}
	for _, c := range []struct {
		name   string
		mutate func(s *spec.Spec)
		want   string
	}{
		{"window_spacing", func(*spec.Spec) {}, "90cbc97c59679a386dac230e1c3803bceaf0456c721f19200e5337293e7328a6"},
		{"renewal", renewal, "0153eed58f3af5a111b34b2dfc05dc81962c6b3173ecf607a5a2de8de7dce1a1"},
		{"renewal with a lifetime law", func(s *spec.Spec) {
			renewal(s)
			s.Messages.InterArrival.Burst.Lifetime = &spec.BurstLifetime{Mu: 9, Sigma: 1.5, CountSlope: 0.6}
		}, "5d3f24c2a94be0b1cfb6aedc36a6778f9e9a3e07732cc5a36c802c3a738710b7"},
	} {
		s := testSpec(t)
		c.mutate(s)
		got := timesDigest(t, s, 400)
		if got != c.want {
			t.Errorf("%s: times digest %s, want %s", c.name, got, c.want)
		}
		s.Messages.InterArrival.Burst.InGapSigma = 1
		if timesDigest(t, s, 400) == c.want {
			t.Errorf("%s: in_gap_sigma 1 gives the digest without it", c.name)
		}
	}
}

// TestInBurstGapsLogNormal: with in_gap_sigma σ = 1 and mean g = 30 s the generated
// in-burst gaps are log-normal(ln 30 − ½, 1): renewal start model, η = 0.9, 3 000
// conversations of 20 messages (about 51 000 in-burst gaps); the gaps between bursts
// are e^(13 + 0.3·Z) s (at least 2.4 days but for one in 10⁹), so every gap under
// 10⁴ s is an in-burst one (the log-normal's mass above 10⁴ s is 10⁻¹⁰). The
// Kolmogorov–Smirnov distance to the law must stay under 0.01 (its 1 % critical value
// at 51 000 draws is 1.63/√51 000 = 0.0072), their mean within 2 % of 30 s (standard
// error 30·√(e − 1)/√51 000 = 0.58 %), and the share under 5 s within 0.01 of the
// law's Φ(ln 5 − ln 30 + ½) = 0.0982 (the exponential's: 0.1535). The same
// conversation gives the same times again, and drawing them allocates nothing.
func TestInBurstGapsLogNormal(t *testing.T) {
	// not parallel: testing.AllocsPerRun refuses a parallel test
	const gap, sigma = 30.0, 1.0
	s := testSpec(t)
	b := &s.Messages.InterArrival.Burst
	b.StartModel, b.ContinueProbability, b.MeanGapSeconds, b.GapMu, b.GapSigma = spec.StartModelRenewal, 0.9, gap, 13, 0.3
	b.InGapSigma = sigma
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := newModel(s, "in-gap-law", 20_000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	var gaps []float64
	for id := int64(1); id <= 3000; id++ {
		c := &convState{id: id, created: m.start - usPerDay}
		g.messageTimes(c, 20)
		for i := 1; i < len(g.ts); i++ {
			if d := float64(g.ts[i]-g.ts[i-1]) / usPerSecond; d < 1e4 {
				gaps = append(gaps, d)
			}
		}
	}
	slices.Sort(gaps)
	law := distuv.LogNormal{Mu: math.Log(gap) - sigma*sigma/2, Sigma: sigma}
	var ks, mean float64
	nf := float64(len(gaps))
	for i, x := range gaps {
		f := law.CDF(x)
		ks = max(ks, math.Abs(f-float64(i)/nf), math.Abs(f-float64(i+1)/nf))
		mean += x / nf
	}
	under5 := float64(sort5(gaps)) / nf
	t.Logf("%d in-burst gaps: KS %.4f, mean %.2f s, share under 5 s %.4f (law %.4f)", len(gaps), ks, mean, under5, law.CDF(5))
	if len(gaps) < 45_000 {
		t.Fatalf("%d in-burst gaps, want about 51 000", len(gaps))
	}
	if ks > 0.01 {
		t.Errorf("KS distance %.4f between the in-burst gaps and log-normal(ln 30 − ½, 1), want under 0.01", ks)
	}
	if math.Abs(mean/gap-1) > 0.02 {
		t.Errorf("mean in-burst gap %.2f s, want 30 s within 2%%", mean)
	}
	if math.Abs(under5-0.0982) > 0.01 {
		t.Errorf("share of in-burst gaps under 5 s %.4f, want 0.0982 within 0.01", under5)
	}
	checkTimesStable(t, m, g, "log-normal in-burst gaps")
}

// sort5 is how many of the sorted xs are below 5.
func sort5(xs []float64) int {
	i, _ := slices.BinarySearch(xs, 5)
	return i
}
