package migrations_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
)

// The empirical privacy test on whole releases (issue 13, "How it is checked"): many
// shape.export_dp releases on neighbouring databases, and Clopper–Pearson bounds on the
// privacy loss they show.
//
// TestDPEmpiricalPrivacy checks the sampler on one count; this test runs the whole
// release (the bounding SQL, the noise of all fifteen vectors, the post-processing,
// the document) on two databases that differ in one user, and on a third that differs
// in eight. A mechanism is ρ-zCDP only if no event of its output separates neighbours by
// more than its (ε, δ) allows, so the test looks for the event that separates them
// best and bounds its probabilities from below and above.
//
// The neighbouring databases are built for it (attackSQL): the removed user attains
// the declared L2 sensitivity in thirteen of the fifteen vectors (all but the gaps and
// the delays, which they move by less: each change lands in one bin, and every bin it
// touches holds hundreds of rows, so the post-processing keeps it), and no other user reaches a cap, so the bounded
// counts do not depend on the release's key. The statistic reads the twelve vectors
// whose counts the document publishes (the by-member-count ones are published as
// ratios only). The attacker knows both databases, hence the expected released counts
// a (with the user) and b (without), and uses the optimal linear statistic
//
//	T = Σ_vectors Σ_bins (x − a)(b − a) / σ²_vector,  z = T / √S,  S = Σ (b − a)² / σ²,
//
// which is N(0, 1) on D and N(√S, 1) on D′ for the Gaussian mechanism (S = 2ρ_actual).
// For the events {z ≥ t} and {z ≤ t}, t = −1, −0.5, …, 4, Clopper–Pearson bounds
// (α = 10⁻⁷ over all events and both directions) give ε̂ = ln((P̂_D′(E)_lo − δ) / P̂_D(E)_hi),
// and the reverse. The claim it is held to is the release's own: ρ-zCDP converts to
// (ε, δ)-DP with δ = inf_{α>1} exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α (Canonne, Kamath
// and Steinke 2020, Proposition 12, as the ledger converts it; tighter than Bun and
// Steinke's ε = ρ + 2√(ρ·ln(1/δ)), so the test is harder to pass). A release at
// ρ = 1/8, δ = 10⁻³ claims ε = 1.55. (With 400 releases a side, no event can show an
// ε̂ much above 2.9, so the claim must sit well below that for the test to have power.)
//
// That it can fail: the same releases against a database eight users away (the group's
// changes add up in the same bins, a privacy loss 64 times the one-user ρ) must give
// ε̂ above the one-user claim.

// attackSQL builds the neighbouring database with k target users (format arguments:
// k, then the number of background users, 2,100 + 10k). Each background user is a
// member of exactly two conversations and the sender of at most two window messages
// (one receipt each, one attachment per media message): no cap of attackCaps binds
// for them. Conversations 1–200 have 11 members and 10 window messages, 201–400 have
// 10 and 8; each message is read once, by the member in the next slot of its
// conversation (a target's messages by the first), so no conversation counts more than
// 10 receipts. Target user i (100000 + i) is the eleventh member of two conversations
// (999 + 2i, 1000 + 2i) that hold 8 background messages, and sends 2 window messages
// in each: 45 characters, an image of 1,000 bytes, sent on Wednesday 2025-10-15
// between 10:00 and 11:00 UTC, read 3.5 minutes later; their username is 8 characters
// long and their account 120 days old, the most common bins. Removing one moves two
// conversations from 11 members and 10 messages to 10 and 8 (a member-count bin, an
// activity bin and a size × activity cell each) and takes 4 from one bin of every
// message, receipt and attachment vector.
const attackSQL = `
INSERT INTO public.users (id, username, email, created_at)
SELECT u, CASE WHEN u %% 10 < 7 THEN 'b' || lpad(u::text, 7, '0') ELSE 'c' || u || repeat('x', u %% 5) END, 'e' || u,
       timestamptz '2025-10-22Z' - CASE WHEN u %% 10 < 7 THEN 120 ELSE 400 END * interval '1 day'
FROM generate_series(1, %[2]d) u;
INSERT INTO public.users (id, username, email, created_at)
SELECT 100000 + i, 't' || lpad(i::text, 7, '0'), 't' || i, timestamptz '2025-10-22Z' - interval '120 days'
FROM generate_series(1, %[1]d) i;
INSERT INTO public.conversations (id, kind, created_at)
SELECT c, 'group', timestamptz '2025-01-01Z'
FROM (SELECT generate_series(1, 400) UNION ALL SELECT generate_series(1001, 1000 + 2 * %[1]d)) s(c);
CREATE TEMP TABLE slot AS
SELECT c, s, 1 + (row_number() OVER (ORDER BY c, s) - 1) %% %[2]d AS u
FROM (SELECT generate_series(1, 400) UNION ALL SELECT generate_series(1001, 1000 + 2 * %[1]d)) x(c),
     generate_series(1, CASE WHEN c <= 200 THEN 11 ELSE 10 END) s;
DO $$ BEGIN
    IF (SELECT count(*) FROM slot) <> 2 * %[2]d THEN RAISE EXCEPTION 'attackSQL: %% slots, want %[2]d · 2 (two per background user)', (SELECT count(*) FROM slot); END IF;
END $$;
INSERT INTO public.conversation_members (conversation_id, user_id, joined_at)
SELECT c, u, timestamptz '2025-01-01Z' FROM slot
UNION ALL
SELECT 1000 + 2 * (i - 1) + j, 100000 + i, timestamptz '2025-01-01Z' FROM generate_series(1, %[1]d) i, generate_series(1, 2) j;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT row_number() OVER (ORDER BY c, s), c, u,
       timestamptz '2025-09-23Z' + ((c * 13 + s * 5) %% 29) * interval '1 day' + interval '10 hours' + ((c + 3 * s) %% 60) * interval '1 minute',
       CASE WHEN (c + s) %% 10 < 3 THEN 'image' END,
       repeat('x', CASE WHEN (c * 7 + s) %% 10 < 7 THEN 45 WHEN (c + s) %% 2 = 0 THEN 10 ELSE 200 END)
FROM slot WHERE s <= CASE WHEN c <= 200 THEN 10 ELSE 8 END;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT 100000 + 4 * (i - 1) + 2 * (j - 1) + k, 1000 + 2 * (i - 1) + j, 100000 + i,
       timestamptz '2025-10-15 10:00Z' + (4 * (i - 1) + 2 * (j - 1) + k) * interval '1 minute', 'image', repeat('x', 45)
FROM generate_series(1, %[1]d) i, generate_series(1, 2) j, generate_series(1, 2) k;
INSERT INTO public.read_receipts (message_id, reader_id, read_at)
SELECT m.id, rd.u, m.created_at + CASE WHEN m.id %% 10 < 7 OR m.id > 100000 THEN interval '210 seconds' ELSE interval '30 minutes' END
FROM public.messages m
LEFT JOIN slot snd ON snd.c = m.conversation_id AND snd.u = m.sender_id
JOIN slot rd ON rd.c = m.conversation_id AND rd.s = coalesce(snd.s, 0) %% 10 + 1;
INSERT INTO public.attachments (id, message_id, type, size_bytes)
SELECT m.id, m.id, 'image', 1000 FROM public.messages m WHERE m.media_kind IS NOT NULL;`

// attackFixture is attackSQL with k target users.
func attackFixture(k int) string { return fmt.Sprintf(attackSQL, k, 2100+10*k) }

// attackCaps: C = 2 conversations, M = 4 messages per user, A = 1 attachment per
// message, R = 10 receipts per conversation in the delay histogram (never binding
// here), B = Bq = 4 per conversation. A target user is exactly at C and M.
var attackCaps = dpCaps{C: 2, M: 4, R: 10, A: 1, B: 4, Bq: 4}

// releasedCounts returns the noisy counts a DP document publishes, by vector name of
// shape.dp_sensitivity_v2 and in the order of shape.dp_aggregates_v2's arrays, and
// each vector's σ². The media count and the attachment types are published as ratios
// of published totals and are recovered from them; the three by-member-count vectors
// are published only as ratios of each other and are left out (the statistic is then
// weaker, never wrong).
func releasedCounts(raw []byte) (map[string][]float64, map[string]float64, error) {
	doc, err := shape.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("the DP document does not parse: %v", err)
	}
	if doc.Privacy == nil {
		return nil, nil, fmt.Errorf("the DP document has no privacy section")
	}
	joint, err := doc.Conversations.SizeActivityTable()
	if err != nil {
		return nil, nil, err
	}
	var cells, flat []float64
	for _, row := range doc.Messages.WeekdayHourDistribution {
		for _, n := range row {
			if n == nil {
				return nil, nil, fmt.Errorf("a weekday-hour cell is null")
			}
			cells = append(cells, float64(*n))
		}
	}
	for _, row := range joint {
		flat = append(flat, row...)
	}
	if doc.Messages.MediaRatio == nil {
		return nil, nil, fmt.Errorf("no media ratio")
	}
	var types []float64
	for _, name := range []string{"image", "video", "audio", "document", "other"} {
		r := doc.Attachments.TypeDistribution[name]
		if r == nil {
			return nil, nil, fmt.Errorf("no attachment type share %s", name)
		}
		types = append(types, math.Round(*r*float64(doc.Attachments.TotalCount)))
	}
	out := map[string][]float64{
		"users.username_length":       doc.Users.UsernameLengthHistogram.Counts(),
		"users.account_age_days":      doc.Users.AccountAgeDaysHistogram.Counts(),
		"conversations.member_count":  doc.Conversations.MemberCountHistogram.Counts(),
		"conversations.size_activity": flat,
		"conversations.activity":      doc.Conversations.ActivityHistogram.Counts(),
		"messages.content_length":     doc.Messages.ContentLengthHistogram.Counts(),
		"messages.weekday_hour":       cells,
		"messages.media":              {math.Round(*doc.Messages.MediaRatio * float64(doc.Messages.TotalCount))},
		"messages.inter_arrival":      doc.Messages.InterArrivalHistogramSeconds.Counts(),
		"read_receipts.delay_minutes": doc.ReadReceipts.DelayHistogramMinutes.Counts(),
		"attachments.type":            types,
		"attachments.size_bytes":      doc.Attachments.SizeHistogramBytes.Counts(),
	}
	sigma2 := map[string]float64{}
	for name, v := range doc.Privacy.Vectors {
		sigma2[name] = float64(v.Sigma2)
	}
	return out, sigma2, nil
}

// zcdpEpsilon is the ε for which ρ-zCDP implies (ε, δ)-DP by Canonne, Kamath and
// Steinke 2020, Proposition 12: δ(ε) = inf_{α>1} exp((α−1)(αρ−ε)) / (α−1) ·
// (1 − 1/α)^α, solved for δ(ε) = delta by bisection (δ(ε) decreases in ε).
func zcdpEpsilon(rho, delta float64) float64 {
	logDelta := func(eps float64) float64 {
		// the exponent is convex in α: a coarse log-spaced scan, then golden section
		f := func(a float64) float64 {
			return (a-1)*(a*rho-eps) + a*math.Log1p(-1/a) - math.Log(a-1)
		}
		best, at := math.Inf(1), 0.0
		for a := 1 + 1e-6; a < 1e6; a *= 1.05 {
			if v := f(a); v < best {
				best, at = v, a
			}
		}
		lo, hi := math.Max(1+1e-9, at/1.05), at*1.05
		const g = 0.6180339887498949
		for i := 0; i < 100; i++ {
			m1, m2 := hi-g*(hi-lo), lo+g*(hi-lo)
			if f(m1) < f(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		return math.Min(best, f((lo+hi)/2))
	}
	lo, hi := 0.0, rho+2*math.Sqrt(rho*math.Log(1/delta)) // the loose conversion is an upper bound
	for i := 0; i < 100; i++ {
		m := (lo + hi) / 2
		if logDelta(m) > math.Log(delta) {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// The conversion against values worked outside the code (a log-spaced scan of α in
// Python, 2026-12-06): ρ = 1/4, δ = 10⁻³ gives 2.330; ρ = 0.0174, δ = 10⁻⁶ gives 0.835.
// It must lie between the exact continuous Gaussian's ε (a mechanism that is exactly
// ρ-zCDP: Balle and Wang 2018, δ = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2), μ = √(2ρ))
// and Bun and Steinke's ρ + 2√(ρ·ln(1/δ)). The ledger's shape.dp_epsilon (a grid of α)
// must agree with it to 10⁻⁴ without going below it, and shape.dp_rho must invert it:
// at ε = 1, δ = 10⁻⁶ a release spends ρ = 0.02436 (Bun and Steinke: 0.01747).
func TestZCDPEpsilon(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	for _, c := range []struct{ rho, delta float64 }{{0.25, 1e-3}, {0.0174, 1e-6}, {1, 1e-6}, {1e-6, 1e-9}, {100, 1e-6}, {1e9, 1e-6}} {
		var sqlEps, back float64
		if err := db.QueryRow(`SELECT shape.dp_epsilon($1, $2), shape.dp_rho(shape.dp_epsilon($1, $2), $2)`, c.rho, c.delta).Scan(&sqlEps, &back); err != nil {
			t.Fatal(err)
		}
		goEps := zcdpEpsilon(c.rho, c.delta)
		if sqlEps < goEps*(1-1e-9) || sqlEps > goEps*(1+1e-4) {
			t.Errorf("ρ %g, δ %g: shape.dp_epsilon %.8g, want %.8g (to 10⁻⁴, never below)", c.rho, c.delta, sqlEps, goEps)
		}
		if math.Abs(back-c.rho) > 1e-9*c.rho {
			t.Errorf("ρ %g, δ %g: shape.dp_rho(shape.dp_epsilon) = %.12g", c.rho, c.delta, back)
		}
	}
	var rho float64
	if err := db.QueryRow(`SELECT shape.dp_rho(1, 1e-6)`).Scan(&rho); err != nil || math.Abs(rho-0.02436) > 1e-5 {
		t.Errorf("shape.dp_rho(1, 1e-6) = %.6g (%v), want 0.02436", rho, err)
	}
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, c := range []struct{ rho, delta, want float64 }{{0.25, 1e-3, 2.330}, {0.0174, 1e-6, 0.835}, {1, 1e-6, 7.766}} {
		got := zcdpEpsilon(c.rho, c.delta)
		if math.Abs(got-c.want) > 0.002 {
			t.Errorf("ρ %g, δ %g: ε = %.4f, want %.3f", c.rho, c.delta, got, c.want)
		}
		mu := math.Sqrt(2 * c.rho)
		if d := phi(-got/mu+mu/2) - math.Exp(got)*phi(-got/mu-mu/2); d > c.delta {
			t.Errorf("ρ %g: at ε = %.4f the Gaussian's own δ is %.3g > %g: the conversion is below the exact curve", c.rho, got, d, c.delta)
		}
		if loose := c.rho + 2*math.Sqrt(c.rho*math.Log(1/c.delta)); got >= loose {
			t.Errorf("ρ %g: ε = %.4f is not below the ledger's %.4f", c.rho, got, loose)
		}
	}
}

// epsHat is the largest Clopper–Pearson lower bound on the privacy loss over the
// events {z ≥ t} and {z ≤ t}, t = −1, −0.5, …, 4, in both directions (P₁ against P₀
// and P₀ against P₁): max over E of ln((P̂₁(E)_lo − δ) / P̂₀(E)_hi), each bound at level
// alpha/(number of bounds), so a mechanism that keeps its claim exceeds it with
// probability under alpha.
func epsHat(z0, z1 []float64, delta, alpha float64) float64 {
	var ts []float64
	for t := -1.0; t <= 4; t += 0.5 {
		ts = append(ts, t)
	}
	events := 4 * len(ts) // two sides, two directions
	a := alpha / float64(2*events)
	count := func(z []float64, t float64, above bool) int {
		k := 0
		for _, v := range z {
			if (above && v >= t) || (!above && v <= t) {
				k++
			}
		}
		return k
	}
	best := math.Inf(-1)
	for _, t := range ts {
		for _, above := range []bool{true, false} {
			k0, k1 := count(z0, t, above), count(z1, t, above)
			for _, p := range [][2]int{{k1, k0}, {k0, k1}} { // P₁ against P₀, then P₀ against P₁
				lo, _ := clopperPearson(p[0], len(z0), a)
				_, hi := clopperPearson(p[1], len(z0), a)
				if lo-delta > 0 {
					best = math.Max(best, math.Log((lo-delta)/hi))
				}
			}
		}
	}
	return best
}

// attackReleases is how many releases the test draws on each database.
const attackReleases = 400

func TestDPReleaseEmpiricalPrivacy(t *testing.T) {
	t.Parallel()
	const targets, rho, delta, alpha = 8, 0.125, 1e-3, 1e-7
	policy := fmt.Sprintf(`UPDATE shape.policy SET mode = 'differential_privacy', dp_epsilon = 1e6, dp_delta = %g,
		dp_cap_conversations = %d, dp_cap_messages = %d, dp_cap_receipts = %d, dp_cap_attachments = %d,
		dp_cap_conversation_messages = %d, dp_cap_conversation_receipts = %d`,
		delta, attackCaps.C, attackCaps.M, attackCaps.R, attackCaps.A, attackCaps.B, attackCaps.Bq)
	// D with every target user, D − 1 without the first, D − 8 without any
	dbs := make([]*sql.DB, 3)
	for i, removed := range []int{0, 1, targets} {
		dbs[i] = testdb.Open(t, testdb.Production)
		dropUserFKs(t, dbs[i])
		exec(t, dbs[i], attackFixture(targets), policy)
		for u := 1; u <= removed; u++ {
			exec(t, dbs[i], fmt.Sprintf(deleteUserSQL, 100000+u))
		}
	}
	// the expected released counts: no cap binds for anyone, so the bounded counts do
	// not depend on the key (checked with two keys)
	means := make([]map[string][]int64, 3)
	for i, db := range dbs {
		means[i] = dpAggregates(t, db, attackCaps)
	}
	var other string
	if err := dbs[0].QueryRow(`SELECT shape.dp_aggregates_v2(30, '2025-10-22Z', $1, $2, $3, $4, $5, $6, '\xfedcba9876543210'::bytea)::text`,
		attackCaps.C, attackCaps.M, attackCaps.R, attackCaps.A, attackCaps.B, attackCaps.Bq).Scan(&other); err != nil {
		t.Fatal(err)
	}
	var otherKey map[string][]int64
	if err := json.Unmarshal([]byte(other), &otherKey); err != nil {
		t.Fatal(err)
	}
	for name, v := range means[0] {
		if l1, _ := move(v, otherKey[name]); l1 != 0 {
			t.Fatalf("%s depends on the key (L1 %d between two keys): a cap binds, the fixture changed", name, l1)
		}
	}
	// the removed user attains the declared sensitivity in the vectors the statistic reads
	sens := sensitivities(t, dbs[0], attackCaps)
	attained := 0
	for _, s := range sens {
		l1, l2s := move(means[0][s.Name], means[1][s.Name])
		if l1 > s.L1 || l2s > s.L2s {
			t.Fatalf("%s: one user moved it by L1 %d, L2² %d, past the declared %d, %d", s.Name, l1, l2s, s.L1, s.L2s)
		}
		if l2s == s.L2s {
			attained++
		}
	}
	if attained < 13 {
		t.Fatalf("the removed user attains the declared L2² in %d vectors, want 13 (all but the gaps and the delays)", attained)
	}

	// the releases, one database per connection, at the same time
	var eps float64 // the ε the ledger reads as ρ = 1/8
	if err := dbs[0].QueryRow(`SELECT shape.dp_epsilon($1, $2)`, rho, delta).Scan(&eps); err != nil {
		t.Fatal(err)
	}
	type release struct {
		counts map[string][]float64
		sigma2 map[string]float64
	}
	out := make([][]release, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for range attackReleases {
				raw, err := exportDP(ctx, db, 30, eps, delta)
				if err == nil {
					// a new request each time: the same request would return the stored release
					_, err = db.ExecContext(ctx, `DELETE FROM shape.dp_ledger`)
				}
				var r release
				if err == nil {
					r.counts, r.sigma2, err = releasedCounts([]byte(raw))
				}
				if err != nil {
					errs[i] = err
					return
				}
				out[i] = append(out[i], r)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var relRho float64
	if err := dbs[0].QueryRow(`SELECT shape.dp_rho($1, $2)`, eps, delta).Scan(&relRho); err != nil {
		t.Fatal(err)
	}
	claim := zcdpEpsilon(relRho, delta)

	// z = T/√S for each release against the direction of one neighbour
	zs := func(rel []release, a, b map[string][]int64) (z []float64, s float64) {
		sigma2 := rel[0].sigma2
		for name, x := range rel[0].counts {
			if len(x) != len(a[name]) {
				t.Fatalf("%s: the document publishes %d bins, the aggregates have %d", name, len(x), len(a[name]))
			}
			for i := range x {
				d := float64(b[name][i] - a[name][i])
				s += d * d / sigma2[name]
			}
		}
		for _, r := range rel {
			var tt float64
			for name, x := range r.counts {
				if r.sigma2[name] != sigma2[name] {
					t.Fatalf("%s: σ² %g then %g", name, sigma2[name], r.sigma2[name])
				}
				for i := range x {
					tt += (x[i] - float64(a[name][i])) * float64(b[name][i]-a[name][i]) / sigma2[name]
				}
			}
			z = append(z, tt/math.Sqrt(s))
		}
		return z, s
	}
	z0, s1 := zs(out[0], means[0], means[1])
	z1, _ := zs(out[1], means[0], means[1])
	z0g, s8 := zs(out[0], means[0], means[2])
	z6, _ := zs(out[2], means[0], means[2])
	got, group := epsHat(z0, z1, delta, alpha), epsHat(z0g, z6, delta, alpha)
	m0, sd0 := stat.MeanStdDev(z0, nil)
	m1, sd1 := stat.MeanStdDev(z1, nil)
	t.Logf("ρ = %.4g, δ = %g: the release claims ε = %.3f (the ledger's grid: %.3f; Bun and Steinke's: %.3f); %d releases on each database",
		relRho, delta, claim, eps, relRho+2*math.Sqrt(relRho*math.Log(1/delta)), attackReleases)
	t.Logf("one user: √S = %.3f (the declared ρ alone gives %.3f); z on D %.3f ± %.3f, on D − 1 %.3f ± %.3f; ε̂ ≥ %.3f", math.Sqrt(s1), math.Sqrt(2*relRho), m0, sd0, m1, sd1, got)
	t.Logf("%d users: √S = %.3f; ε̂ ≥ %.3f", targets, math.Sqrt(s8), group)
	if got > claim {
		t.Errorf("one user apart: ε̂ = %.3f > the claimed ε = %.3f at δ = %g: the releases separate neighbours more than ρ = %.4g allows", got, claim, delta, relRho)
	}
	if group <= claim {
		t.Errorf("%d users apart: ε̂ = %.3f ≤ ε = %.3f: the test cannot see a privacy loss %d times the claim", targets, group, claim, targets*targets)
	}
	// the noise is what the document declares: z is N(0, 1) on D and N(√S, 1) on D − 1
	// (6 standard errors; a σ off by 15 % fails)
	se := 1 / math.Sqrt(attackReleases)
	for _, c := range []struct {
		name         string
		mean, sd, mu float64
	}{{"D", m0, sd0, 0}, {"D − 1", m1, sd1, math.Sqrt(s1)}} {
		if math.Abs(c.mean-c.mu) > 6*se || math.Abs(c.sd-1) > 6*se/math.Sqrt2 {
			t.Errorf("z on %s: mean %.3f, sd %.3f; want %.3f, 1 (± %.3f, ± %.3f)", c.name, c.mean, c.sd, c.mu, 6*se, 6*se/math.Sqrt2)
		}
	}
}
