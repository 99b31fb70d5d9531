package migrations_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// gaussianDraws returns n draws of shape.dp_discrete_gaussian(sigma2, n).
func gaussianDraws(t *testing.T, db *sql.DB, sigma2 int64, n int) []int64 {
	t.Helper()
	out, err := drawGaussian(db, sigma2, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// drawGaussian is gaussianDraws for any goroutine.
func drawGaussian(db *sql.DB, sigma2 int64, n int) ([]int64, error) {
	rows, err := db.Query(`SELECT unnest(shape.dp_discrete_gaussian($1, $2))`, sigma2, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]int64, 0, n)
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("%d draws, want %d", len(out), n)
	}
	return out, nil
}

// The discrete Gaussian sampler against its exact pmf, P(x) = exp(−x²/(2σ²)) / Z with
// Z = Σ_y exp(−y²/(2σ²)) (Canonne, Kamath, Steinke 2020, Definition 1). 5·10⁴ draws at
// σ² = 5, one cell per x in [−8, 8] and one for |x| ≥ 9 (expected counts ≥ 6), a
// Pearson χ² test with 17 degrees of freedom. gen_random_bytes cannot be seeded, so
// the test fails when the p-value is below 10⁻⁶: a correct sampler fails one run in a
// million.
func TestDiscreteGaussianPMF(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	const sigma2, n, pFail = 5, 50_000, 1e-6
	draws := gaussianDraws(t, db, sigma2, n)
	var z float64
	for y := -200; y <= 200; y++ {
		z += math.Exp(-float64(y*y) / (2 * sigma2))
	}
	pmf := func(x int) float64 { return math.Exp(-float64(x*x)/(2*sigma2)) / z }
	obs := make([]float64, 18) // x = −8 … 8, then |x| ≥ 9
	for _, x := range draws {
		if x >= -8 && x <= 8 {
			obs[x+8]++
		} else {
			obs[17]++
		}
	}
	exp := make([]float64, 18)
	tail := 1.0
	for x := -8; x <= 8; x++ {
		exp[x+8] = n * pmf(x)
		tail -= pmf(x)
	}
	exp[17] = n * tail
	var chi2 float64
	for i := range obs {
		chi2 += (obs[i] - exp[i]) * (obs[i] - exp[i]) / exp[i]
	}
	p := distuv.ChiSquared{K: float64(len(obs) - 1)}.Survival(chi2)
	t.Logf("σ² = %d, %d draws: χ² = %.2f (17 df), p = %.3g; P(0) observed %.5f, exact %.5f",
		sigma2, n, chi2, p, obs[8]/n, pmf(0))
	if p < pFail {
		t.Errorf("χ² = %.2f, p = %.3g < %g: the draws do not follow N_Z(0, %d)\nobserved %v\nexpected %v", chi2, p, pFail, sigma2, obs, exp)
	}
	// A wrong variance must fail: the same draws against σ² = 5.5 (the test can fail).
	var z2, chi2Wrong float64
	for y := -200; y <= 200; y++ {
		z2 += math.Exp(-float64(y*y) / 11)
	}
	tail2 := 1.0
	for x := -8; x <= 8; x++ {
		e := n * math.Exp(-float64(x*x)/11) / z2
		tail2 -= e / n
		chi2Wrong += (obs[x+8] - e) * (obs[x+8] - e) / e
	}
	chi2Wrong += (obs[17] - n*tail2) * (obs[17] - n*tail2) / (n * tail2)
	if pw := (distuv.ChiSquared{K: 17}).Survival(chi2Wrong); pw >= pFail {
		t.Errorf("against σ² = 5.5 the χ² test passes (p = %.3g): it has no power", pw)
	}
}

// kolmogorovQ is the Kolmogorov distribution's survival function,
// Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²): the asymptotic p-value of √n·D. For a
// discrete distribution it is conservative (the true p-value is smaller).
func kolmogorovQ(lambda float64) float64 {
	if lambda < 0.2 {
		return 1
	}
	var q float64
	for k := 1; k <= 100; k++ {
		term := math.Exp(-2 * float64(k*k) * lambda * lambda)
		if k%2 == 1 {
			q += term
		} else {
			q -= term
		}
	}
	return math.Min(math.Max(2*q, 0), 1)
}

// 10⁶ draws of the discrete Gaussian at σ² = 5 (four sessions at once) against the exact pmf
// P(x) = exp(−x²/10)/Z (Canonne, Kamath, Steinke 2020, Definition 1): Pearson χ² over
// x = −9 … 9 and |x| ≥ 10 (19 df, the smallest expected count ≈ 20), and the
// Kolmogorov–Smirnov distance D = max_x |F̂(x) − F(x)| over the integers (√n·D against
// the Kolmogorov distribution, conservative for a discrete law). Each fails when its
// p-value is below 10⁻⁶ (gen_random_bytes cannot be seeded: a correct sampler fails one
// run in a million per test). Both must reject the same draws against σ² = 5.5. About
// a minute of CPU (two minutes on a loaded 2-core machine), so skipped with -short.
func TestDiscreteGaussianMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("10⁶ draws: skipped with -short")
	}
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	const n, pFail = 1_000_000, 1e-6
	// four sessions of 250 000 draws each, at once
	start := time.Now()
	parts := make([][]int64, 4)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = drawGaussian(db, 5, n/len(parts))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var draws []int64
	for _, p := range parts {
		draws = append(draws, p...)
	}
	if len(draws) != n {
		t.Fatalf("%d draws, want %d", len(draws), n)
	}
	counts := map[int64]float64{}
	for _, x := range draws {
		counts[x]++
	}
	test := func(sigma2 float64) (chi2, pChi, d, pKS float64) {
		var z float64
		for y := -300; y <= 300; y++ {
			z += math.Exp(-float64(y*y) / (2 * sigma2))
		}
		pmf := func(x int64) float64 { return math.Exp(-float64(x*x)/(2*sigma2)) / z }
		tailObs, tailExp := float64(n), 1.0
		for x := int64(-9); x <= 9; x++ {
			e := n * pmf(x)
			chi2 += (counts[x] - e) * (counts[x] - e) / e
			tailObs -= counts[x]
			tailExp -= pmf(x)
		}
		chi2 += (tailObs - n*tailExp) * (tailObs - n*tailExp) / (n * tailExp)
		pChi = distuv.ChiSquared{K: 19}.Survival(chi2)
		var fObs, fExp float64
		for x := int64(-300); x <= 300; x++ {
			fObs += counts[x] / n
			fExp += pmf(x)
			d = math.Max(d, math.Abs(fObs-fExp))
		}
		return chi2, pChi, d, kolmogorovQ(math.Sqrt(n) * d)
	}
	chi2, pChi, d, pKS := test(5)
	t.Logf("σ² = 5, %d draws in %s: χ² = %.2f (19 df), p = %.3g; KS D = %.5f, p = %.3g", n, took.Round(time.Second), chi2, pChi, d, pKS)
	if pChi < pFail || pKS < pFail {
		t.Errorf("the draws do not follow N_Z(0, 5): χ² p = %.3g, KS p = %.3g (fail below %g)", pChi, pKS, pFail)
	}
	if _, pw, _, pwKS := test(5.5); pw >= pFail || pwKS >= pFail {
		t.Errorf("against σ² = 5.5 the tests pass (χ² p = %.3g, KS p = %.3g): they have no power", pw, pwKS)
	}
}

// Large σ² (the numeric path of the uniform draws past 2^62 at σ² = 10⁹): the sample
// mean and variance within 6 standard errors (SE of the variance σ²·√(2/n)).
func TestDiscreteGaussianMoments(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	for _, c := range []struct {
		sigma2 int64
		n      int
	}{{1_000_000, 2000}, {1_000_000_000, 600}} {
		draws := gaussianDraws(t, db, c.sigma2, c.n)
		var sum, sq float64
		for _, x := range draws {
			sum += float64(x)
		}
		mean := sum / float64(c.n)
		for _, x := range draws {
			sq += (float64(x) - mean) * (float64(x) - mean)
		}
		v := sq / float64(c.n)
		sd := math.Sqrt(float64(c.sigma2))
		t.Logf("σ² = %d, %d draws: mean %.1f, variance/σ² = %.3f", c.sigma2, c.n, mean, v/float64(c.sigma2))
		if math.Abs(mean) > 6*sd/math.Sqrt(float64(c.n)) {
			t.Errorf("σ² = %d: mean %.1f, want within 6σ/√n = %.1f of 0", c.sigma2, mean, 6*sd/math.Sqrt(float64(c.n)))
		}
		if math.Abs(v/float64(c.sigma2)-1) > 6*math.Sqrt(2/float64(c.n)) {
			t.Errorf("σ² = %d: variance ratio %.3f, want within %.3f of 1", c.sigma2, v/float64(c.sigma2), 6*math.Sqrt(2/float64(c.n)))
		}
	}
}

// heavyTailedSQL fills the reference schema with seeded heavy-tailed data: 300 users,
// 60 conversations of 2–60 members (users 1 and 2 are in all of them), conversation i
// holding ⌊1500 / i^1.3⌋ messages in the 30 days before 2025-10-22 from senders drawn as
// 1 + ⌊299·U⁴⌋ (user 1 sends about a quarter of them, over a thousand), 0–8 receipts per
// message and 0–4 attachments per media message.
const heavyTailedSQL = `
SELECT setseed(0.13);
INSERT INTO public.users (id, username, email, created_at)
SELECT u, 'u' || u || repeat('u', (random() * 20)::int), 'e' || u, timestamptz '2025-10-22Z' - (random() * 900) * interval '1 day'
FROM generate_series(1, 300) u;
INSERT INTO public.conversations (id, kind, created_at)
SELECT c, 'group', timestamptz '2024-01-01Z' FROM generate_series(1, 60) c;
INSERT INTO public.conversation_members (conversation_id, user_id, joined_at)
SELECT c, u, timestamptz '2024-01-01Z'
FROM generate_series(1, 60) c, generate_series(1, 300) u
WHERE u <= 2 + (58 / c::float8 ^ 0.8)::int;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT row_number() OVER (), c, 1 + floor(299 * random() ^ 4)::int,
       timestamptz '2025-10-22Z' - random() * interval '30 days',
       CASE WHEN random() < 0.2 THEN 'image' END,
       CASE WHEN random() < 0.9 THEN repeat('x', (exp(random() * 6))::int) END
FROM generate_series(1, 60) c, generate_series(1, 1500) i
WHERE i <= floor(1500 / c::float8 ^ 1.3);
INSERT INTO public.read_receipts (message_id, reader_id, read_at)
SELECT m.id, r, m.created_at + (exp(random() * 12)) * interval '1 second'
FROM public.messages m, generate_series(1, 8) r
WHERE r <= (random() * 8)::int;
INSERT INTO public.attachments (id, message_id, type, size_bytes)
SELECT row_number() OVER (), m.id, (ARRAY['image', 'video', 'document', 'other'])[1 + (random() * 3)::int], (exp(random() * 20))::bigint
FROM public.messages m, generate_series(1, 4) a
WHERE m.media_kind IS NOT NULL AND a <= (random() * 4)::int;`

// dpCaps are the contribution bounds of shape.dp_aggregates_v2 and
// shape.dp_sensitivity_v2: per user conversations C, messages M, receipts R; per
// message attachments A; per conversation B messages and Bq receipts (the
// by-member-count vectors).
type dpCaps struct{ C, M, R, A, B, Bq int }

type sensitivity struct {
	Name    string
	L1, L2s int64 // L1 and the squared L2 sensitivity
}

func sensitivities(t *testing.T, db *sql.DB, c dpCaps) []sensitivity {
	t.Helper()
	rows, err := db.Query(`SELECT name, l1, l2_squared FROM shape.dp_sensitivity_v2($1, $2, $3, $4, $5, $6)`, c.C, c.M, c.R, c.A, c.B, c.Bq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sensitivity
	for rows.Next() {
		var s sensitivity
		if err := rows.Scan(&s.Name, &s.L1, &s.L2s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// dpAggregates returns the pre-noise counts of shape.dp_aggregates_v2 with a fixed key.
func dpAggregates(t *testing.T, db *sql.DB, c dpCaps) map[string][]int64 {
	t.Helper()
	var raw []byte
	if err := db.QueryRow(`SELECT shape.dp_aggregates_v2(30, '2025-10-22Z', $1, $2, $3, $4, $5, $6, '\x0123456789abcdef'::bytea)::text`,
		c.C, c.M, c.R, c.A, c.B, c.Bq).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var out map[string][]int64
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// deleteUserSQL removes one user with the rows of the unit (docs/privacy.md): their
// user row, memberships, messages, the receipts and attachments of those messages, and
// the receipts they made as a reader.
const deleteUserSQL = `
DELETE FROM public.read_receipts WHERE reader_id = %[1]d;
DELETE FROM public.read_receipts r USING public.messages m WHERE r.message_id = m.id AND m.sender_id = %[1]d;
DELETE FROM public.attachments a USING public.messages m WHERE a.message_id = m.id AND m.sender_id = %[1]d;
DELETE FROM public.messages WHERE sender_id = %[1]d;
DELETE FROM public.conversation_members WHERE user_id = %[1]d;
DELETE FROM public.users WHERE id = %[1]d;`

// move returns the L1 and squared L2 distance between two count vectors.
func move(a, b []int64) (l1, l2s int64) {
	for i := range a {
		d := a[i] - b[i]
		l1 += max(d, -d)
		l2s += d * d
	}
	return l1, l2s
}

// Sensitivity: on heavy-tailed data, removing one user with all the unit's rows (the
// heaviest sender and member, then the next, then a light one) moves each pre-noise
// vector by at most its declared L1 and L2² (shape.dp_sensitivity_v2). The heaviest
// user sends over a thousand window messages and is a member of all 60 conversations:
// with the caps lifted, the same removal moves the 7×24 cells by their exact window
// message count and the member histogram by 2·(the conversations they leave a bucket
// in), far past the capped bounds, so the caps are what holds the bounds. With C = 60
// (every user keeps every conversation) and M = 20 (binding for the heaviest sender),
// the activity and size × activity vectors equal the exact ones computed from the
// tables (activity is not M-capped), the 7×24 cells stay M-capped, and the removal of
// the heaviest user stays within those caps' declared bounds too.
func TestDPSensitivity(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, heavyTailedSQL)
	small := dpCaps{C: 3, M: 20, R: 10, A: 2, B: 15, Bq: 25}
	sens := sensitivities(t, db, small)
	if len(sens) != 15 {
		t.Fatalf("%d vectors declared, want 15", len(sens))
	}
	// the declared values, by hand: C = 3, M = 20, R = 10, A = 2, B = 15, Bq = 25
	want := map[string][2]int64{
		"users.username_length": {1, 1}, "users.account_age_days": {1, 1},
		"conversations.member_count": {6, 18}, "conversations.size_activity": {6, 18}, "conversations.activity": {6, 18},
		"messages.content_length": {20, 400}, "messages.weekday_hour": {20, 400}, "messages.media": {20, 400},
		"messages.inter_arrival": {60, 2000}, "read_receipts.delay_minutes": {60, 1800},
		"read_receipts.messages_by_member_count": {90, 4050}, "read_receipts.read_by_member_count": {90, 4050},
		"read_receipts.receipts_by_member_count": {150, 11250},
		"attachments.type":                       {40, 1600}, "attachments.size_bytes": {40, 1600},
	}
	for _, s := range sens {
		if w, ok := want[s.Name]; !ok || w != [2]int64{s.L1, s.L2s} {
			t.Errorf("%s: declared L1 %d, L2² %d; want %v", s.Name, s.L1, s.L2s, w)
		}
	}
	var heavy, heavyMsgs, next int64
	if err := db.QueryRow(`SELECT sender_id, count(*) FROM public.messages WHERE created_at >= '2025-09-22Z'
		GROUP BY 1 ORDER BY 2 DESC LIMIT 1`).Scan(&heavy, &heavyMsgs); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT sender_id FROM public.messages WHERE sender_id <> $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, heavy).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if heavyMsgs < 500 {
		t.Fatalf("the heaviest user sends %d window messages; the data should give over 500", heavyMsgs)
	}
	moved := map[string]int64{} // the largest L1 move seen per vector
	check := func(label string, sens []sensitivity, before, after map[string][]int64) {
		t.Helper()
		for _, s := range sens {
			b, a := before[s.Name], after[s.Name]
			if len(b) != len(a) || len(b) == 0 {
				t.Fatalf("%s: %s has %d then %d bins", label, s.Name, len(b), len(a))
			}
			l1, l2s := move(b, a)
			if l1 > s.L1 || l2s > s.L2s {
				t.Errorf("%s: %s moved by L1 %d, L2² %d; declared L1 %d, L2² %d", label, s.Name, l1, l2s, s.L1, s.L2s)
			}
			moved[s.Name] = max(moved[s.Name], l1)
		}
	}
	lifted := dpCaps{C: 10000, M: 10000, R: 10000, A: 10000, B: 10000, Bq: 10000}
	full, fullLifted := dpAggregates(t, db, small), dpAggregates(t, db, lifted)
	// the heaviest user's receipts, as a reader (user ids 1–8 read) and on their
	// messages, that count with the caps lifted: window messages read before as_of by
	// a member of the conversation
	var heavyReceipts, asReader int64
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE r.reader_id = $1)
		FROM public.read_receipts r JOIN public.messages m ON m.id = r.message_id
		WHERE m.created_at >= '2025-09-22Z' AND m.created_at < '2025-10-22Z' AND r.read_at < '2025-10-22Z'
		  AND (r.reader_id = $1 OR m.sender_id = $1)
		  AND EXISTS (SELECT FROM public.conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.user_id = r.reader_id)`, heavy).Scan(&heavyReceipts, &asReader); err != nil {
		t.Fatal(err)
	}
	if asReader < 1000 {
		t.Fatalf("the heaviest user made %d counted receipts as a reader; the data should give over 1000", asReader)
	}
	// Activity is not M-capped: with C = 60 no user drops a conversation (there are 60)
	// while M = 20 binds for the heaviest sender, the activity and size × activity
	// vectors equal the exact ones (every window message, every membership), computed
	// here from the tables, while the message vectors stay M-capped.
	mid := dpCaps{C: 60, M: 20, R: 10, A: 2, B: 15, Bq: 25}
	sensMid := sensitivities(t, db, mid)
	fullMid := dpAggregates(t, db, mid)
	var exactAct, exactJoint []int64
	var rawAct, rawJoint []byte
	var windowMsgs int64
	if err := db.QueryRow(`
		WITH a AS (SELECT conversation_id, count(*) AS n FROM public.messages
		            WHERE created_at >= '2025-09-22Z' AND created_at < '2025-10-22Z' GROUP BY 1),
		     m AS (SELECT conversation_id, count(*) AS n FROM public.conversation_members GROUP BY 1),
		     c AS (SELECT coalesce(m.n, 0) AS members, coalesce(a.n, 0) AS n FROM public.conversations sc
		            LEFT JOIN a ON a.conversation_id = sc.id LEFT JOIN m ON m.conversation_id = sc.id)
		SELECT (SELECT to_json(array_agg((SELECT count(*) FROM c WHERE n > 0
		                           AND greatest(width_bucket(n::float8, shape.grid_activity()), 1) = i) ORDER BY i))::text
		          FROM generate_series(1, cardinality(shape.grid_activity())) i),
		       (SELECT to_json(array_agg((SELECT count(*) FROM c
		                           WHERE (greatest(width_bucket(members::float8, shape.grid_joint_member()), 1) - 1) * 6
		                                 + greatest(width_bucket(n::float8, shape.grid_joint_activity()), 1) = i) ORDER BY i))::text
		          FROM generate_series(1, 48) i),
		       (SELECT sum(n) FROM a)`).Scan(&rawAct, &rawJoint, &windowMsgs); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(json.Unmarshal(rawAct, &exactAct), json.Unmarshal(rawJoint, &exactJoint)); err != nil {
		t.Fatal(err)
	}
	if got := fullMid["conversations.activity"]; !slices.Equal(got, exactAct) {
		t.Errorf("C = 60, M = 20: activity %v, want the exact window activity %v (activity must not be M-capped)", got, exactAct)
	}
	if got := fullMid["conversations.size_activity"]; !slices.Equal(got, exactJoint) {
		t.Errorf("C = 60, M = 20: size × activity %v, want the exact %v", got, exactJoint)
	}
	var cells int64
	for _, n := range fullMid["messages.weekday_hour"] {
		cells += n
	}
	if cells > windowMsgs-heavyMsgs+20 {
		t.Errorf("C = 60, M = 20: the 7×24 cells hold %d messages, want them M-capped (the heaviest sender's %d of %d window messages count 20)",
			cells, heavyMsgs, windowMsgs)
	}
	// With every cap lifted the by-member-count vectors are the exact counts: per member
	// bucket, the window messages, those read by a member of the conversation before
	// as_of, and those receipts; a conversation nobody read adds 0 receipts (it once
	// added ½ per conversation: the receipts' count was numeric, so the scaled count was
	// not rounded)
	var rawByM []byte
	if err := db.QueryRow(`
		WITH r AS (SELECT m.conversation_id, m.id, count(*) AS q
		             FROM public.messages m JOIN public.read_receipts rr ON rr.message_id = m.id
		            WHERE m.created_at >= '2025-09-22Z' AND m.created_at < '2025-10-22Z' AND rr.read_at < '2025-10-22Z'
		              AND EXISTS (SELECT FROM public.conversation_members cm
		                           WHERE cm.conversation_id = m.conversation_id AND cm.user_id = rr.reader_id)
		            GROUP BY 1, 2),
		     c AS (SELECT sc.id, (SELECT count(*) FROM public.conversation_members cm WHERE cm.conversation_id = sc.id) AS members,
		                  (SELECT count(*) FROM public.messages m WHERE m.conversation_id = sc.id
		                      AND m.created_at >= '2025-09-22Z' AND m.created_at < '2025-10-22Z') AS n,
		                  (SELECT count(*) FROM r WHERE r.conversation_id = sc.id) AS rd,
		                  (SELECT coalesce(sum(r.q), 0) FROM r WHERE r.conversation_id = sc.id) AS q
		             FROM public.conversations sc),
		     b AS (SELECT greatest(width_bucket(members::float8, shape.grid_joint_member()), 1) AS b, n, rd, q FROM c WHERE n > 0)
		SELECT json_build_array(
		         (SELECT json_agg((SELECT coalesce(sum(n), 0) FROM b WHERE b.b = i) ORDER BY i) FROM generate_series(1, 8) i),
		         (SELECT json_agg((SELECT coalesce(sum(rd), 0) FROM b WHERE b.b = i) ORDER BY i) FROM generate_series(1, 8) i),
		         (SELECT json_agg((SELECT coalesce(sum(q), 0) FROM b WHERE b.b = i) ORDER BY i) FROM generate_series(1, 8) i))::text`).Scan(&rawByM); err != nil {
		t.Fatal(err)
	}
	var exactByM [3][]int64
	if err := json.Unmarshal(rawByM, &exactByM); err != nil {
		t.Fatal(err)
	}
	if exactByM[2][0]+exactByM[2][1]+exactByM[2][2]+exactByM[2][3] == 0 {
		t.Fatalf("the data should hold counted receipts in small rooms: %v", exactByM[2])
	}
	for i, name := range []string{"read_receipts.messages_by_member_count", "read_receipts.read_by_member_count",
		"read_receipts.receipts_by_member_count"} {
		if got := fullLifted[name]; !slices.Equal(got, exactByM[i]) {
			t.Errorf("caps lifted: %s %v, want the exact %v", name, got, exactByM[i])
		}
	}
	exec(t, db, fmt.Sprintf(deleteUserSQL, heavy))
	noHeavy := dpAggregates(t, db, small)
	check("without the heaviest user", sens, full, noHeavy)
	check("C = 60, M = 20, without the heaviest user", sensMid, fullMid, dpAggregates(t, db, mid))
	// the caps hold the bound: uncapped, the same removal moves the cells by every
	// window message the user sent, and the delay histogram by every receipt of theirs,
	// as sender and as reader
	noHeavyLifted := dpAggregates(t, db, lifted)
	if l1, _ := move(fullLifted["messages.weekday_hour"], noHeavyLifted["messages.weekday_hour"]); l1 != heavyMsgs {
		t.Errorf("caps lifted: the 7×24 cells moved by %d, want the user's %d window messages", l1, heavyMsgs)
	}
	if l1, _ := move(fullLifted["read_receipts.delay_minutes"], noHeavyLifted["read_receipts.delay_minutes"]); l1 != heavyReceipts {
		t.Errorf("caps lifted: the delay histogram moved by %d, want the user's %d receipts (%d as a reader)", l1, heavyReceipts, asReader)
	}
	exec(t, db, fmt.Sprintf(deleteUserSQL, next))
	noNext := dpAggregates(t, db, small)
	check("without the next heaviest", sens, noHeavy, noNext)
	exec(t, db, fmt.Sprintf(deleteUserSQL, 250))
	check("without a light user", sens, noNext, dpAggregates(t, db, small))
	// the removals did move what the unit touches (a test that could not fail otherwise)
	for _, name := range []string{"users.username_length", "conversations.member_count", "messages.weekday_hour",
		"read_receipts.delay_minutes", "read_receipts.messages_by_member_count"} {
		if moved[name] == 0 {
			t.Errorf("%s never moved: the removals did not reach it", name)
		}
	}
	t.Logf("largest L1 moves: %v", moved)
}

// dpReferenceSQL is the definition of shape.dp_aggregates_v2's bounded counts (all but
// the two users vectors) as one plain statement over materialized CTEs: the way the
// function computed them before its passes were split into parallel statements
// (shape.dp_passes_v2, which finds the kept messages by per-sender thresholds instead
// of ranking them in each pass). $1, $2: the window; $3 … $8: C, M, R, A, B, Bq; $9:
// the seed (the key's first 8 bytes).
const dpReferenceSQL = `
WITH wm AS MATERIALIZED (SELECT m.message_id, m.conversation_id, m.sender_id, m.created_at, m.has_media, m.content_length
                           FROM shape_source.messages m
                          WHERE m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz),
     mem AS MATERIALIZED (SELECT cm.user_id, cm.conversation_id FROM shape_source.conversation_members cm),
     -- per user, the C conversations of smallest keyed hash among those they are a
     -- member of or write in
     kc AS MATERIALIZED (SELECT x.user_id, x.conversation_id
                           FROM (SELECT uc.user_id, uc.conversation_id,
                                        pg_catalog.row_number() OVER (PARTITION BY uc.user_id
                                            ORDER BY pg_catalog.hashint8extended(uc.conversation_id, $9::bigint # uc.user_id), uc.conversation_id) AS rk
                                   FROM (SELECT mem.user_id, mem.conversation_id FROM mem WHERE mem.user_id IS NOT NULL
                                         UNION
                                         SELECT wm.sender_id, wm.conversation_id FROM wm WHERE wm.sender_id IS NOT NULL) uc) x
                          WHERE x.rk <= $3::int),
     -- kept memberships: those in a kept conversation of their user
     kmem AS (SELECT mem.conversation_id, pg_catalog.count(*) AS n
                FROM mem JOIN kc ON kc.user_id = mem.user_id AND kc.conversation_id = mem.conversation_id
               GROUP BY 1),
     -- kept messages: per sender, the M of smallest keyed hash among their window
     -- messages in their kept conversations
     kept0 AS (SELECT x.message_id, x.conversation_id, x.sender_id, x.created_at, x.has_media, x.content_length
                 FROM (SELECT wm.*, pg_catalog.row_number() OVER (PARTITION BY wm.sender_id
                                       ORDER BY pg_catalog.hashint8extended(wm.message_id, $9::bigint), wm.message_id) AS rk
                         FROM wm JOIN kc ON kc.user_id = wm.sender_id AND kc.conversation_id = wm.conversation_id) x
                WHERE x.rk <= $4::int),
     -- with the gap to the previous kept message of the conversation
     kept AS MATERIALIZED (SELECT k.message_id, k.conversation_id, k.sender_id, k.created_at, k.has_media, k.content_length,
                                  pg_catalog.date_part('epoch', k.created_at)
                                      - pg_catalog.date_part('epoch', pg_catalog.lag(k.created_at) OVER (PARTITION BY k.conversation_id
                                                                                            ORDER BY k.created_at, k.message_id)) AS gap
                             FROM kept0 k),
     -- per conversation: kept window messages (M-capped: the by-member-count vectors)
     act AS (SELECT kept.conversation_id, pg_catalog.count(*) AS n FROM kept GROUP BY 1),
     -- per conversation: its activity, every window message sent by a user who kept
     -- it (not M-capped: a user's removal changes the activity of their ≤ C kept
     -- conversations only, whatever they sent there)
     kact AS (SELECT wm.conversation_id, pg_catalog.count(*) AS n
                FROM wm JOIN kc ON kc.user_id = wm.sender_id AND kc.conversation_id = wm.conversation_id
               GROUP BY 1),
     -- per conversation: kept members, activity
     c AS MATERIALIZED (SELECT coalesce(kmem.n, 0) AS members, coalesce(kact.n, 0) AS activity
                          FROM shape_source.conversations sc
                          LEFT JOIN kmem ON kmem.conversation_id = sc.conversation_id
                          LEFT JOIN kact ON kact.conversation_id = sc.conversation_id
                         WHERE sc.created_at < $2::timestamptz),
     -- counted receipts: on kept messages, read before $2::timestamptz, by a member of
     -- the conversation who kept it
     cr AS MATERIALIZED (SELECT kept.message_id, kept.conversation_id, sr.reader_id, sr.read_at,
                                (pg_catalog.date_part('epoch', sr.read_at) - pg_catalog.date_part('epoch', kept.created_at)) / 60 AS delay_min
                           FROM kept
                           JOIN shape_source.read_receipts sr ON sr.message_id = kept.message_id
                           JOIN kc ON kc.user_id = sr.reader_id AND kc.conversation_id = kept.conversation_id
                          WHERE sr.read_at < $2::timestamptz
                            AND EXISTS (SELECT FROM mem WHERE mem.user_id = sr.reader_id AND mem.conversation_id = kept.conversation_id)),
     -- the delay histogram's receipts: per conversation, the R counted receipts of
     -- smallest keyed hash of message and reader
     rr AS (SELECT x.delay_min
              FROM (SELECT cr.delay_min,
                           pg_catalog.row_number() OVER (PARTITION BY cr.conversation_id
                               ORDER BY pg_catalog.hashint8extended(cr.message_id # pg_catalog.hashint8extended(cr.reader_id, $9::bigint), $9::bigint),
                                        cr.message_id, cr.reader_id, cr.read_at) AS rk
                      FROM cr) x
             WHERE x.rk <= $5::int),
     -- the by-member-count vectors: a conversation with n kept messages, r of them
     -- read (a counted receipt), q counted receipts, puts in its kept member bucket
     -- min(n, B) messages and, scaled by s = min(n, B)/n and rounded half up,
     -- s·r ≤ min(n, B) read messages and min(s·q, Bq) receipts: counts bounded by B
     -- and Bq that depend on the conversation's kept rows alone
     rq AS (SELECT x.conversation_id, pg_catalog.count(*) AS r, pg_catalog.sum(x.q)::bigint AS q
              FROM (SELECT cr.conversation_id, cr.message_id, pg_catalog.count(*) AS q FROM cr GROUP BY 1, 2) x
             GROUP BY 1),
     bym AS MATERIALIZED (SELECT GREATEST(pg_catalog.width_bucket(coalesce(kmem.n, 0)::float8, shape.grid_joint_member()), 1) AS b,
                                 LEAST(act.n, $7::int) AS mn,
                                 (2 * LEAST(act.n, $7::int) * coalesce(rq.r, 0) + act.n) / (2 * act.n) AS rn,
                                 LEAST((2 * LEAST(act.n, $7::int) * coalesce(rq.q, 0) + act.n) / (2 * act.n),
                                       $8::int) AS qn
                            FROM act
                            LEFT JOIN kmem ON kmem.conversation_id = act.conversation_id
                            LEFT JOIN rq ON rq.conversation_id = act.conversation_id),
     att AS MATERIALIZED (SELECT a.type, a.size_bytes
                            FROM (SELECT sa.type, sa.size_bytes,
                                         pg_catalog.row_number() OVER (PARTITION BY sa.message_id
                                             ORDER BY pg_catalog.hashint8extended(sa.size_bytes, $9::bigint), sa.type) AS rk
                                    FROM kept JOIN shape_source.attachments sa ON sa.message_id = kept.message_id) a
                           WHERE a.rk <= $6::int)
SELECT pg_catalog.jsonb_build_object(
           '_null_senders', (SELECT pg_catalog.count(*) FROM wm WHERE wm.sender_id IS NULL),
           '_null_members', (SELECT pg_catalog.count(*) FROM mem WHERE mem.user_id IS NULL),
           'conversations.member_count', (SELECT shape.bucket_counts(shape.grid_member_count(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(c.members::float8, shape.grid_member_count()), 1) AS b, pg_catalog.count(*) AS n FROM c GROUP BY 1) s),
           'conversations.size_activity', (SELECT shape.bucket_counts(array_fill(0::float8, ARRAY[48]), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT (GREATEST(pg_catalog.width_bucket(c.members::float8, shape.grid_joint_member()), 1) - 1) * 6
                            + GREATEST(pg_catalog.width_bucket(c.activity::float8, shape.grid_joint_activity()), 1) AS b, pg_catalog.count(*) AS n
                       FROM c GROUP BY 1) s),
           'conversations.activity', (SELECT shape.bucket_counts(shape.grid_activity(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(c.activity::float8, shape.grid_activity()), 1) AS b, pg_catalog.count(*) AS n
                       FROM c WHERE c.activity > 0 GROUP BY 1) s),
           'messages.content_length', (SELECT shape.bucket_counts(shape.grid_content_length(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.content_length::float8, shape.grid_content_length()), 1) AS b, pg_catalog.count(*) AS n
                       FROM kept WHERE kept.content_length IS NOT NULL GROUP BY 1) s),
           'messages.weekday_hour', (SELECT shape.bucket_counts(array_fill(0::float8, ARRAY[168]), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT ((pg_catalog.date_part('isodow', kept.created_at) - 1) * 24
                             + pg_catalog.date_part('hour', kept.created_at))::int + 1 AS b, pg_catalog.count(*) AS n
                       FROM kept GROUP BY 1) s),
           'messages.media', ARRAY[(SELECT pg_catalog.count(*) FROM kept WHERE kept.has_media)],
           'messages.inter_arrival', (SELECT shape.bucket_counts(shape.grid_inter_arrival_seconds(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.gap, shape.grid_inter_arrival_seconds()), 1) AS b, pg_catalog.count(*) AS n
                       FROM kept WHERE kept.gap IS NOT NULL GROUP BY 1) s),
           'read_receipts.delay_minutes', (SELECT shape.bucket_counts(shape.grid_delay_minutes(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(rr.delay_min, shape.grid_delay_minutes()), 1) AS b, pg_catalog.count(*) AS n
                       FROM rr GROUP BY 1) s),
           'read_receipts.messages_by_member_count', (SELECT shape.bucket_counts(shape.grid_joint_member(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT bym.b, pg_catalog.sum(bym.mn)::bigint AS n FROM bym GROUP BY 1) s),
           'read_receipts.read_by_member_count', (SELECT shape.bucket_counts(shape.grid_joint_member(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT bym.b, pg_catalog.sum(bym.rn)::bigint AS n FROM bym GROUP BY 1) s),
           'read_receipts.receipts_by_member_count', (SELECT shape.bucket_counts(shape.grid_joint_member(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT bym.b, pg_catalog.sum(bym.qn)::bigint AS n FROM bym GROUP BY 1) s),
           'attachments.type', (SELECT shape.bucket_counts(array_fill(0::float8, ARRAY[5]), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT pg_catalog.array_position(ARRAY['image', 'video', 'audio', 'document', 'other'],
                                                      CASE WHEN att.type IN ('image', 'video', 'audio', 'document') THEN att.type ELSE 'other' END) AS b,
                            pg_catalog.count(*) AS n
                       FROM att GROUP BY 1) s),
           'attachments.size_bytes', (SELECT shape.bucket_counts(shape.grid_attachment_size_bytes(), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
               FROM (SELECT GREATEST(pg_catalog.width_bucket(att.size_bytes::float8, shape.grid_attachment_size_bytes()), 1) AS b, pg_catalog.count(*) AS n
                       FROM att GROUP BY 1) s))
`

// The bounded counts equal the reference definition (dpReferenceSQL) vector by vector on
// the heavy-tailed data, for caps that bind (C = 1 and 3 for the users in all 60
// conversations, M = 1 and 20 for the heaviest senders, R and A binding), the defaults,
// and C past every user's conversations with the other caps lifted, under two keys.
func TestDPAggregatesMatchReference(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, heavyTailedSQL)
	for _, key := range []string{"0123456789abcdef", "fedcba9876543210ffee"} {
		for _, c := range []dpCaps{{C: 1, M: 1, R: 1, A: 1, B: 1, Bq: 1}, {C: 3, M: 20, R: 10, A: 2, B: 15, Bq: 25},
			{C: 8, M: 100, R: 100, A: 2, B: 50, Bq: 100}, {C: 60, M: 10000, R: 10000, A: 10000, B: 10000, Bq: 10000}} {
			var rawGot, rawWant []byte
			if err := db.QueryRow(`SELECT shape.dp_aggregates_v2(30, '2025-10-22Z', $1, $2, $3, $4, $5, $6, decode($7, 'hex'))::text`,
				c.C, c.M, c.R, c.A, c.B, c.Bq, key).Scan(&rawGot); err != nil {
				t.Fatal(err)
			}
			seed, err := strconv.ParseUint(key[:16], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT r::text FROM (`+dpReferenceSQL+`) AS q(r)`, "2025-09-22T00:00:00Z", "2025-10-22T00:00:00Z",
				c.C, c.M, c.R, c.A, c.B, c.Bq, int64(seed)).Scan(&rawWant); err != nil {
				t.Fatal(err)
			}
			var got map[string][]int64
			var want map[string]json.RawMessage
			if err := errors.Join(json.Unmarshal(rawGot, &got), json.Unmarshal(rawWant, &want)); err != nil {
				t.Fatal(err)
			}
			if len(got) != 15 || len(want) != 15 { // 13 vectors and two NULL counts in the reference
				t.Fatalf("key %s, caps %+v: %d vectors, reference %d entries", key, c, len(got), len(want))
			}
			for name, raw := range want {
				if strings.HasPrefix(name, "_") {
					continue
				}
				var w []int64
				if err := json.Unmarshal(raw, &w); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got[name], w) {
					t.Errorf("key %s, caps %+v: %s = %v, the reference gives %v", key, c, name, got[name], w)
				}
			}
		}
	}
}

// A contract without identities cannot bound a user: shape_source.messages with a NULL
// sender_id, then shape_source.conversation_members with a NULL user_id, then
// shape_source.read_receipts with a NULL reader_id, then each view without its column:
// each refuses the release (55000, naming the view), before anything is charged or
// stored.
func TestDPRefusesWithoutIdentities(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, heavyTailedSQL)
	ctx := context.Background()
	const msgs = `CREATE OR REPLACE VIEW shape_source.messages AS SELECT m.id AS message_id, m.conversation_id, m.created_at,
		(m.media_kind IS NOT NULL) AS has_media, char_length(m.content)::integer AS content_length, %s AS sender_id FROM public.messages m`
	const mems = `CREATE OR REPLACE VIEW shape_source.conversation_members AS SELECT m.conversation_id, %s AS user_id
		FROM public.conversation_members m`
	const reads = `CREATE OR REPLACE VIEW shape_source.read_receipts AS SELECT r.message_id, r.read_at, %s AS reader_id
		FROM public.read_receipts r`
	for _, c := range []struct {
		name string
		set  []string
		want string
	}{
		{"NULL sender_id", []string{fmt.Sprintf(msgs, "CASE WHEN m.id % 97 = 0 THEN NULL ELSE m.sender_id::bigint END")}, "shape_source.messages has window messages whose sender_id is NULL"},
		{"NULL user_id", []string{fmt.Sprintf(msgs, "m.sender_id::bigint"), fmt.Sprintf(mems, "NULL::bigint")}, "shape_source.conversation_members has memberships whose user_id is NULL"},
		{"NULL reader_id", []string{fmt.Sprintf(mems, "m.user_id::bigint"), fmt.Sprintf(reads, "CASE WHEN r.message_id % 53 = 0 THEN NULL ELSE r.reader_id::bigint END")},
			"shape_source.read_receipts has receipts whose reader_id is NULL"},
		{"no reader_id", []string{`DROP VIEW shape_source.read_receipts`,
			`CREATE VIEW shape_source.read_receipts AS SELECT r.message_id, r.read_at FROM public.read_receipts r`},
			"shape_source.read_receipts has no column reader_id"},
		{"no sender_id", []string{`DROP VIEW shape_source.read_receipts`, fmt.Sprintf(`CREATE VIEW shape_source.read_receipts AS SELECT r.message_id, r.read_at, %s AS reader_id
			FROM public.read_receipts r`, "r.reader_id::bigint"), `DROP VIEW shape_source.messages`,
			`CREATE VIEW shape_source.messages AS SELECT m.id AS message_id, m.conversation_id, m.created_at,
			(m.media_kind IS NOT NULL) AS has_media, char_length(m.content)::integer AS content_length FROM public.messages m`},
			"shape_source.messages has no column sender_id"},
	} {
		exec(t, db, c.set...)
		_, err := exportDP(ctx, db, 30, 0.5, 1e-6)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "55000" || !strings.Contains(pe.Message, c.want) || !strings.Contains(pe.Hint, "re-point") {
			t.Errorf("%s: %v, want 55000 %q with a hint to re-point", c.name, err, c.want)
		}
		if got := spentNano(t, db); got != 0 {
			t.Errorf("%s: refused, yet %d nano-ρ charged", c.name, got)
		}
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM shape.dp_ledger`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("ledger rows %d (%v) after refusals, want 0", rows, err)
	}
}

// exportDP runs shape.export_dp on q and returns the raw document or the error.
func exportDP(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, window int, eps, delta float64) (string, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT shape.export_dp($1, '2025-10-22Z', $2, $3)::text`, window, eps, delta).Scan(&doc)
	return doc, err
}

func spentNano(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT shape.dp_spent_nano()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The ledger: eight sessions at once ask for eight different releases against a budget
// that holds three and a half: exactly three are released, the others refused, and
// the spent ρ is exactly three charges. A repeated request returns the stored
// document at no cost, even with the budget spent. A release whose transaction rolls
// back stays paid.
func TestDPLedger(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	ctx := context.Background()
	const eps, delta = 0.5, 1e-6
	var charge int64
	if err := db.QueryRow(`SELECT ceil(shape.dp_rho($1, $2) * 1e9)::bigint`, eps, delta).Scan(&charge); err != nil {
		t.Fatal(err)
	}
	exec(t, db, fmt.Sprintf(`UPDATE shape.policy SET dp_epsilon = shape.dp_epsilon(3.5 * %d / 1e9, 1e-6), dp_delta = 1e-6`, charge))

	var wg sync.WaitGroup
	errs := make([]error, 8)
	docs := make([]string, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i], errs[i] = exportDP(ctx, db, 7+i, eps, delta)
		}()
	}
	wg.Wait()
	ok, first := 0, -1
	for i, err := range errs {
		var pe *pgconn.PgError
		switch {
		case err == nil:
			ok++
			if first < 0 {
				first = i
			}
		case errors.As(err, &pe) && pe.Code == "42501" && strings.Contains(pe.Message, "privacy budget is spent"):
		default:
			t.Errorf("session %d: %v, want a release or 42501 budget spent", i, err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d releases, want 3 (budget 3.5 charges)", ok)
	}
	if got := spentNano(t, db); got != 3*charge {
		t.Errorf("spent %d nano-ρ, want 3 × %d", got, charge)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM shape.dp_ledger`).Scan(&rows); err != nil || rows != 3 {
		t.Errorf("ledger rows %d (%v), want 3", rows, err)
	}

	// the same request again: the stored document, nothing charged
	again, err := exportDP(ctx, db, 7+first, eps, delta)
	if err != nil {
		t.Fatalf("repeated request with the budget spent: %v", err)
	}
	if again != docs[first] {
		t.Errorf("repeated request returned another document")
	}
	if got := spentNano(t, db); got != 3*charge {
		t.Errorf("after the repeat: spent %d nano-ρ, want %d", got, 3*charge)
	}

	// rolled back: still paid, no ledger row
	exec(t, db, fmt.Sprintf(`UPDATE shape.policy SET dp_epsilon = shape.dp_epsilon(4.5 * %d / 1e9, 1e-6)`, charge))
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exportDP(ctx, tx, 20, eps, delta); err != nil {
		t.Fatalf("release in a transaction: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := spentNano(t, db); got != 4*charge {
		t.Errorf("after a rolled-back release: spent %d nano-ρ, want %d", got, 4*charge)
	}
	if _, err := exportDP(ctx, db, 21, eps, delta); err == nil {
		t.Errorf("a fifth release passed a budget of 4.5 charges")
	}
	// the reader's view of the budget
	var releases int64
	var spentEps, budgetEps float64
	if err := db.QueryRow(`SELECT releases, spent_epsilon, budget_epsilon FROM shape.v1_privacy_budget`).Scan(&releases, &spentEps, &budgetEps); err != nil {
		t.Fatal(err)
	}
	wantEps := zcdpEpsilon(4*float64(charge)/1e9, 1e-6) // Canonne, Kamath and Steinke, Prop. 12
	if releases != 3 || math.Abs(spentEps-wantEps) > 1e-4*wantEps || spentEps > budgetEps {
		t.Errorf("v1_privacy_budget: releases %d (want 3), spent ε %.6f (want %.6f, under the budget %.6f)", releases, spentEps, wantEps, budgetEps)
	}
}

// The released document: it parses as a shape document, says how it was made (unit
// "user", the policy's caps, each vector's L1, L2², σ², ρ), and as shape_reader in
// differential_privacy mode it is the only export allowed. With the caps lifted past
// the data and a huge ε its totals sit within a few σ of the exact ones.
func TestDPExportDocument(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, heavyTailedSQL,
		`UPDATE shape.policy SET mode = 'differential_privacy', dp_epsilon = 2e9, dp_delta = 1e-6,
		 dp_cap_conversations = 100, dp_cap_messages = 5000, dp_cap_receipts = 10000, dp_cap_attachments = 4,
		 dp_cap_conversation_messages = 2000, dp_cap_conversation_receipts = 3000, dp_weights = '{}'`)
	conn := readerConn(t, db)
	ctx := context.Background()
	raw, err := exportDP(ctx, conn, 30, 1e9, 1e-6)
	if err != nil {
		t.Fatalf("shape_reader: export_dp: %v", err)
	}
	doc, err := shape.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("the DP document does not parse: %v", err)
	}
	p := doc.Privacy
	wantCaps := map[string]int64{"conversations_per_user": 100, "messages_per_user": 5000, "delay_receipts_per_conversation": 10000,
		"attachments_per_message": 4, "messages_per_conversation": 2000, "receipts_per_conversation": 3000}
	if p == nil || p.Mode != shape.ModeDifferentialPrivacy || p.Epsilon != 1e9 || p.Delta != 1e-6 || p.Unit != "user" ||
		len(p.Caps) != len(wantCaps) || len(p.Vectors) != 15 || p.ReleaseID < 1 {
		t.Fatalf("privacy = %+v", p)
	}
	for k, v := range wantCaps {
		if p.Caps[k] != v {
			t.Errorf("caps.%s = %d, want %d", k, p.Caps[k], v)
		}
	}
	// the published sensitivities are those of shape.dp_sensitivity_v2 for these caps;
	// σ² = ⌈15·L2² / (2ρ)⌉; l2_sensitivity = ⌈√L2²⌉; the vectors' ρ add up to at most
	// the release's
	declared := map[string]sensitivity{}
	for _, s := range sensitivities(t, db, dpCaps{C: 100, M: 5000, R: 10000, A: 4, B: 2000, Bq: 3000}) {
		declared[s.Name] = s
	}
	var sumRho float64
	for name, v := range p.Vectors {
		d := declared[name]
		if v.Unit != "user" || v.L1Sensitivity != d.L1 || v.L2SquaredSensitivity != d.L2s {
			t.Errorf("%s: unit %q, L1 %d, L2² %d; want user, %d, %d", name, v.Unit, v.L1Sensitivity, v.L2SquaredSensitivity, d.L1, d.L2s)
		}
		if l2 := v.L2Sensitivity; l2*l2 < d.L2s || (l2-1)*(l2-1) >= d.L2s {
			t.Errorf("%s: l2_sensitivity %d is not ⌈√%d⌉", name, l2, d.L2s)
		}
		want := int64(math.Max(1, math.Ceil(float64(v.L2Squared())*15/(2*p.Rho))))
		if v.Sigma2 != want {
			t.Errorf("%s: sigma2 %d, want %d", name, v.Sigma2, want)
		}
		sumRho += v.Rho
	}
	if sumRho > p.Rho*(1+1e-12) {
		t.Errorf("the vectors cost ρ %.6g, more than the release's %.6g", sumRho, p.Rho)
	}
	// ρ converts back to ε = 10⁹ (Canonne, Kamath and Steinke's Proposition 12), and is
	// at least Bun and Steinke's (√(ε + L) − √L)²
	if loose := math.Pow(math.Sqrt(1e9+math.Log(1e6))-math.Sqrt(math.Log(1e6)), 2); p.Rho < loose {
		t.Errorf("ρ = %.12g, below Bun and Steinke's %.12g", p.Rho, loose)
	}
	if e := zcdpEpsilon(p.Rho, 1e-6); math.Abs(e-1e9) > 1e-6*1e9 {
		t.Errorf("ρ = %.12g converts to ε = %.12g, want 10⁹", p.Rho, e)
	}
	// no cap binds (no user sends 5000 window messages or is in 100 conversations), so
	// the totals are the exact ones plus noise
	var users, convs, msgs, maxSent, maxConvs int64
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM public.users), (SELECT count(*) FROM public.conversations),
		(SELECT count(*) FROM public.messages WHERE created_at >= '2025-09-22Z' AND created_at < '2025-10-22Z'),
		(SELECT max(n) FROM (SELECT count(*) n FROM public.messages GROUP BY sender_id) s),
		(SELECT max(n) FROM (SELECT count(DISTINCT conversation_id) n FROM
			(SELECT user_id, conversation_id FROM public.conversation_members UNION ALL SELECT sender_id, conversation_id FROM public.messages) x
			GROUP BY user_id) s)`).Scan(&users, &convs, &msgs, &maxSent, &maxConvs); err != nil {
		t.Fatal(err)
	}
	if maxSent > 5000 || maxConvs > 100 {
		t.Fatalf("a user sends %d messages in %d conversations: the caps bind, the test data changed", maxSent, maxConvs)
	}
	for _, c := range []struct {
		name      string
		got, want int64
		sigma     float64
		bins      int
	}{
		{"users", doc.Users.TotalCount, users, mustSigma(t, p, "users.username_length"), 33},
		{"conversations", doc.Conversations.TotalCount, convs, mustSigma(t, p, "conversations.member_count"), len(doc.Conversations.MemberCountHistogram)},
		{"messages", doc.Messages.TotalCount, msgs, mustSigma(t, p, "messages.weekday_hour"), 168},
	} {
		// a sum of `bins` noisy counts (clamped at 0: the clamp only adds) within 6 SD
		if tol := 6 * c.sigma * math.Sqrt(float64(c.bins)); c.got < c.want-int64(tol) || float64(c.got) > float64(c.want)+tol+float64(c.bins)*c.sigma {
			t.Errorf("%s total %d, want %d ± %.0f (σ %.2f)", c.name, c.got, c.want, tol, c.sigma)
		}
	}
	// k-anonymous exports are refused to shape_reader in this mode
	wantDenied(t, conn, "42501", `SELECT shape.export(30, 10, '2025-10-22Z')::text`, "differential_privacy mode")
	// and the budget view is readable
	var releases int64
	if err := conn.QueryRowContext(ctx, `SELECT releases FROM shape.v1_privacy_budget`).Scan(&releases); err != nil || releases != 1 {
		t.Errorf("shape_reader: v1_privacy_budget releases %d (%v), want 1", releases, err)
	}
}

func mustSigma(t *testing.T, p *shape.Privacy, name string) float64 {
	t.Helper()
	s, ok := p.Sigma(name)
	if !ok {
		t.Fatalf("no vector %s", name)
	}
	return s
}

// clopperPearson returns the exact binomial confidence bounds for k successes in n at
// level 1 − 2α (each side α).
func clopperPearson(k, n int, alpha float64) (lo, hi float64) {
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(alpha)
	}
	hi = 1
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - alpha)
	}
	return lo, hi
}

// An empirical privacy test that can fail: the mechanism count + N_Z(0, σ²) on two
// neighbouring counts (0 and 1, sensitivity 1), with σ² = 2 as the accountant would
// choose for ρ = 1/4: (ε, δ) = (2.33, 10⁻³) by Canonne, Kamath and Steinke's
// Proposition 12 (Bun and Steinke's looser 1/4 + 2√(ln(1/δ)/4) would say 2.88). For the events
// S_c = {output ≥ c}, c = 1 … 5, Clopper–Pearson bounds (α = 10⁻⁷ a side, so a correct
// sampler fails with probability under 2·10⁻⁶) give a lower bound on the privacy
// loss, ε̂ = ln((P̂₁(S)_lo − δ) / P̂₀(S)_hi); the test fails when ε̂ > ε. The same draws
// with a neighbour 4 apart (a sensitivity the noise was not made for) must give ε̂ > ε:
// the test has the power to see a mechanism whose noise is too small.
func TestDPEmpiricalPrivacy(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	const sigma2, n, delta, alpha = 2, 20_000, 1e-3, 1e-7
	rho := 1.0 / (2 * sigma2)
	eps := zcdpEpsilon(rho, delta)        // the ledger's conversion (Canonne, Kamath and Steinke, Prop. 12): 2.33
	d0 := gaussianDraws(t, db, sigma2, n) // M(D) = 0 + Z
	d1 := gaussianDraws(t, db, sigma2, n) // M(D') = 1 + Z'
	epsHat := func(shift int64) float64 {
		best := math.Inf(-1)
		for c := int64(1); c <= 5; c++ {
			var k0, k1 int
			for i := range d0 {
				if d0[i] >= c {
					k0++
				}
				if d1[i]+shift >= c {
					k1++
				}
			}
			lo1, _ := clopperPearson(k1, n, alpha)
			_, hi0 := clopperPearson(k0, n, alpha)
			if lo1-delta > 0 {
				best = math.Max(best, math.Log((lo1-delta)/hi0))
			}
		}
		return best
	}
	got, wrong := epsHat(1), epsHat(4)
	t.Logf("σ² = %d, %d + %d draws: ε̂ ≥ %.3f at δ = %g (claimed ε = %.3f); a neighbour 4 apart: ε̂ ≥ %.3f", sigma2, n, n, got, delta, eps, wrong)
	if got > eps {
		t.Errorf("ε̂ = %.3f > ε = %.3f: the noise is smaller than the accountant assumes", got, eps)
	}
	if wrong <= eps {
		t.Errorf("a neighbour 4 apart gives ε̂ = %.3f ≤ ε = %.3f: the test cannot see a privacy loss this large", wrong, eps)
	}
}

// shape.dp_keep, the sparse-histogram post-processing, on hand-made noisy vectors at
// σ² = 100 (σ = 10, strong at ⌈5σ⌉ = 50), each expectation worked by hand: a positive
// run joined to a strong bin is kept in both directions, a run that never reaches 50
// is emptied, a lone 50 is kept, negatives become 0.
func TestDPKeep(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	for _, c := range []struct{ in, want string }{
		// bulk 900, 300 with a tail 40, 7, 1 then a gap (−3), then 30 and 12 (never 50): gone
		{"{900,300,40,7,1,-3,30,12,0}", "{900,300,40,7,1,0,0,0,0}"},
		// a left tail running into the bulk is kept too; the 49 alone is under 50
		{"{2,5,80,6,-1,49,0}", "{2,5,80,6,0,0,0}"},
		// a far strong bin at exactly 50 keeps its positive neighbours
		{"{60,0,0,3,50,4,-7}", "{60,0,0,3,50,4,0}"},
		// nothing strong: everything 0
		{"{49,48,-2,10}", "{0,0,0,0}"},
		{"{}", "{}"},
	} {
		var got string
		if err := db.QueryRow(`SELECT shape.dp_keep($1::bigint[], 100)::text`, c.in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("dp_keep(%s, σ² = 100) = %s, want %s", c.in, got, c.want)
		}
	}
	// σ² = 2: ⌈5·√2⌉ = ⌈7.07⌉ = 8
	var got string
	if err := db.QueryRow(`SELECT shape.dp_keep('{7,1,8,1,-1,7}'::bigint[], 2)::text`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "{7,1,8,1,0,0}" {
		t.Errorf("dp_keep({7,1,8,1,-1,7}, σ² = 2) = %s, want {7,1,8,1,0,0}", got)
	}
	// validate.KeepTail, the Go copy validate simulates releases with, agrees with it on
	// 200 random noisy vectors (σ² = 9, strong at 15; counts −10 … 29, so runs, gaps
	// and strong bins all occur)
	r := rand.New(rand.NewPCG(13, 1))
	for k := range 200 {
		in := make([]float64, 1+r.IntN(30))
		parts := make([]string, len(in))
		for i := range in {
			in[i] = float64(r.IntN(40) - 10)
			parts[i] = fmt.Sprint(in[i])
		}
		var txt string
		if err := db.QueryRow(`SELECT array_to_string(shape.dp_keep($1::bigint[], 9), ',')`, "{"+strings.Join(parts, ",")+"}").Scan(&txt); err != nil {
			t.Fatal(err)
		}
		orig := strings.Join(parts, ",")
		validate.KeepTail(in, 9)
		for i := range in {
			parts[i] = fmt.Sprint(in[i])
		}
		if want := strings.Join(parts, ","); txt != want {
			t.Fatalf("vector %d {%s}: shape.dp_keep gives {%s}, validate.KeepTail {%s}", k, orig, txt, want)
		}
	}
	// it reads only its arguments: immutable, and its body names no relation
	var vol, src string
	if err := db.QueryRow(`SELECT provolatile::text, prosrc FROM pg_proc WHERE oid = 'shape.dp_keep(bigint[], bigint)'::regprocedure`).Scan(&vol, &src); err != nil {
		t.Fatal(err)
	}
	if vol != "i" || strings.Contains(strings.ToUpper(src), "FROM") || strings.Contains(strings.ToUpper(src), "SELECT") {
		t.Errorf("shape.dp_keep is %q with a body that queries: it must be an immutable function of the noisy vector and σ² only", vol)
	}
}
