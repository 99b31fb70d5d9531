package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
	refschema "github.com/pgshape/pgshape/sql"
	"github.com/pgshape/pgshape/validate"
)

// The utility benchmark of issue 13, its bar: at ε = 1, δ = 10⁻⁶ on a production of at
// least 100k users, the type mix within ±10 % and p50–p99 of messages per conversation
// within ±20 % in at least 95 % of 100 runs, and validate GO on the DP document against
// the exact one.
const (
	dpUtilityRuns     = 100
	dpUtilityEpsilon  = 1.0
	dpUtilityDelta    = 1e-6
	dpUtilityMessages = 1_000_000 // the demo generator: 20,000 users hold them
	dpUtilityUsers    = 100_000   // users in all: the rest are accounts without a conversation
	dpUtilityWindow   = 30
	dpUtilityTypeMix  = 0.10
	dpUtilityActivity = 0.20
	dpUtilityAsOfRFC  = "2025-10-22T00:00:00Z"
	dpUtilityDocsEnv  = "PGSHAPE_DP_UTILITY_DOCS"
	dpUtilityRunsEnv  = "PGSHAPE_DP_UTILITY_RUNS" // releases to draw instead of dpUtilityRuns
	// PGSHAPE_DP_UTILITY_POLICY: assignments to shape.policy before the releases, e.g.
	// `dp_cap_conversations = 16, dp_weights = '{"conversations.activity": 6}'`
	dpUtilityPolicyEnv = "PGSHAPE_DP_UTILITY_POLICY"
	// PGSHAPE_DP_UTILITY_SCALE=k: a production k times as large (k·1M window messages,
	// k·100k users), the same shape
	dpUtilityScaleEnv = "PGSHAPE_DP_UTILITY_SCALE"
	// PGSHAPE_DP_UTILITY_KEYS=n: draw the releases' bounded counts with n keys only and
	// the noise of runs/n releases on each (shape.dp_document_v2), instead of one whole
	// shape.export_dp per release
	dpUtilityKeysEnv = "PGSHAPE_DP_UTILITY_KEYS"
	// PGSHAPE_DP_UTILITY_DATABASE=URL: an existing production with the shape layer
	// migrated (a scratch copy: its policy and ledger are changed), instead of a fill
	dpUtilityDatabaseEnv = "PGSHAPE_DP_UTILITY_DATABASE"
)

// dpUtilityExtraUsers adds users scale·dpUtilityMessages/50+1 … scale·dpUtilityUsers:
// accounts with the demo's username and account-age law and no membership, as the many
// accounts of a real production that did not write in the window.
func dpUtilityExtraUsers(asOf string, scale int) string {
	return fmt.Sprintf(`SELECT setseed(0.17);
INSERT INTO public.users (id, username, email, created_at)
SELECT i, 'u' || i || repeat('x', (floor(random() * 9))::int), 'user' || i || '@demo.invalid',
       timestamptz '%s' - make_interval(secs => least(3650, exp(5.0 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))) * 86400)
FROM generate_series(%d, %d) AS i;`, asOf, scale*dpUtilityMessages/50+1, scale*dpUtilityUsers)
}

// BenchmarkDPUtility measures the DP export's utility (issue 13): one production of
// 100,000 users (the demo generator at 1M window messages, whose 20,000 users hold every
// membership and message, plus 80,000 accounts that hold none), the exact export once
// (shape.export at k = 10), then 100 releases of shape.export_dp(30 days, ε = 1,
// δ = 10⁻⁶). Each run is compared with the exact document:
//
//	typemix-ok    share of runs whose three type shares are within ±10 points of the
//	              exact ones (validate's reading of the guide's "±10%"); typemix-rel-ok
//	              the same with ±10 % relative
//	activity-ok   share of runs whose messages-per-conversation p50, p75, p90, p95 and p99
//	              are each within ±20 % of the exact ones
//	bar-ok        both at once
//	validate-go   share of runs where validate.Compare(DP document as the baseline, the
//	              exact document as the candidate) says GO, as `loader validate
//	              --baseline dp.json --dataset exact.json` does
//
// and it logs, per check, in how many runs it failed or warned, and the median noisy
// value next to the exact one.
//
// The ledger: the policy's budget is raised to cover the 100 releases, and the ledger's
// rows are deleted before each release (the benchmark database is the DBA's): the same
// request (window, as_of, ε, δ, caps) would otherwise return the first stored release at
// no cost, not a fresh draw of the noise. The spent-ρ sequence keeps counting; 100
// releases of ρ = 0.0175 spend ρ = 1.75 (ε ≈ 11.6 at δ = 10⁻⁶), which the raised budget
// allows. Varying as_of instead would move the window and compare against another exact
// document.
//
// PGSHAPE_DP_UTILITY_SCALE=k fills a production k times as large (k·1M window
// messages, k·100k users; the demo generator's shape: the caps bind as often, the
// counts are k times larger). PGSHAPE_DP_UTILITY_DATABASE=URL reads an existing one
// instead (a scratch copy with the shape layer migrated: the benchmark changes its
// policy and empties its ledger).
//
// PGSHAPE_DP_UTILITY_KEYS=n draws the releases on n keys: each key's bounded counts
// (shape.dp_aggregates_v2 with a fresh random key, as shape.export_dp draws it) are
// computed once, and runs/n releases each draw their own noise on them and derive
// their document (shape.dp_document_v2, the same function shape.export_dp calls).
// Each release then has exactly a release's distribution; releases on one key share
// the caps' choice of rows, so the shares are estimated with a little more variance
// than from independent releases. On a large production the bounded counts take most
// of a release's time (the noise and the document take well under a second).
//
// With PGSHAPE_DP_UTILITY_DOCS=DIR the documents are written to DIR (exact.json,
// dp-001.json …), and a DIR that already holds them is read instead of the database
// (however many releases it holds: the first log line says how many), so the figures
// can be recomputed after a change to validate without an hour of exports.
//
//	scripts/with-postgres go test -run '^$' -bench DPUtility -benchtime 1x -timeout 2h ./migrations/
func BenchmarkDPUtility(b *testing.B) {
	for range b.N {
		exact, dps := dpUtilityDocs(b)
		r := dpUtilityFigures(exact, dps)
		for _, l := range r.lines {
			b.Log(l)
		}
		b.ReportMetric(r.typeMix, "typemix-ok")
		b.ReportMetric(r.typeMixRel, "typemix-rel-ok")
		b.ReportMetric(r.activity, "activity-ok")
		b.ReportMetric(r.bar, "bar-ok")
		b.ReportMetric(r.validateGO, "validate-go")
		b.ReportMetric(r.validateGOExact, "validate-go-unwidened")
	}
}

// dpUtilityDocs returns the exact document and the DP releases, from
// PGSHAPE_DP_UTILITY_DOCS when it holds them, else from a fresh test database.
func dpUtilityDocs(b *testing.B) (*shape.Document, []*shape.Document) {
	dir := os.Getenv(dpUtilityDocsEnv)
	if dir != "" {
		if raw, err := os.ReadFile(filepath.Join(dir, "exact.json")); err == nil {
			exact, err := shape.Parse(raw)
			if err != nil {
				b.Fatalf("%s/exact.json: %v", dir, err)
			}
			var dps []*shape.Document
			for i := 1; ; i++ {
				raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("dp-%03d.json", i)))
				if err != nil {
					break
				}
				d, err := shape.Parse(raw)
				if err != nil {
					b.Fatalf("%s/dp-%03d.json: %v", dir, i, err)
				}
				dps = append(dps, d)
			}
			if len(dps) > 0 {
				b.Logf("read the exact document and %d releases from %s", len(dps), dir)
				return exact, dps
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	runs := envCount(b, dpUtilityRunsEnv, dpUtilityRuns)
	keys := envCount(b, dpUtilityKeysEnv, runs)
	scale := envCount(b, dpUtilityScaleEnv, 1)
	if keys > runs {
		b.Fatalf("%s = %d: want at most the releases (%d)", dpUtilityKeysEnv, keys, runs)
	}
	asOf, _ := time.Parse(time.RFC3339, dpUtilityAsOfRFC)
	var db *sql.DB
	if url := os.Getenv(dpUtilityDatabaseEnv); url != "" {
		var err error
		if db, err = sql.Open("pgx", url); err != nil {
			b.Fatalf("%s: %v", dpUtilityDatabaseEnv, err)
		}
		b.Cleanup(func() { _ = db.Close() })
	} else {
		db = testdb.Open(b, testdb.Production)
		fillDPUtility(b, db, asOf, scale)
	}
	var users, msgs int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM public.users), (SELECT count(*) FROM public.messages)`).Scan(&users, &msgs); err != nil {
		b.Fatal(err)
	}
	b.Logf("production: %d users, %d messages", users, msgs)
	if users < 100_000 {
		b.Fatalf("%d users, the bar needs at least 100,000", users)
	}
	var rawExact string
	t0 := time.Now()
	if err := db.QueryRowContext(ctx, `SELECT shape.export($1, 10, $2)::text`, dpUtilityWindow, asOf).Scan(&rawExact); err != nil {
		b.Fatalf("exact export: %v", err)
	}
	b.Logf("exact export in %s", time.Since(t0).Round(time.Millisecond))
	exact, err := shape.Parse([]byte(rawExact))
	if err != nil {
		b.Fatal(err)
	}
	write := func(name, raw string) {
		if dir == "" {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(raw), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// the budget: what an existing database has spent already (the total lives in a
	// sequence the ledger's DELETE does not reset) and the releases' ρ, with room for
	// rounding
	if _, err := db.ExecContext(ctx, `UPDATE shape.policy SET dp_delta = $2::float8,
		dp_epsilon = shape.dp_epsilon(shape.dp_spent_nano() / 1e9 + 1.01 * $1::float8 * shape.dp_rho($3::float8, $2::float8), $2::float8)`,
		runs, dpUtilityDelta, dpUtilityEpsilon); err != nil {
		b.Fatalf("raising the budget: %v", err)
	}
	if set := os.Getenv(dpUtilityPolicyEnv); set != "" {
		if _, err := db.ExecContext(ctx, `UPDATE shape.policy SET `+set); err != nil {
			b.Fatalf("%s = %q: %v", dpUtilityPolicyEnv, set, err)
		}
		b.Logf("policy: %s", set)
	}
	write("exact.json", rawExact)
	var dps []*shape.Document
	add := func(i int, raw string) {
		d, err := shape.Parse([]byte(raw))
		if err != nil {
			b.Fatalf("release %d does not parse: %v", i, err)
		}
		dps = append(dps, d)
		write(fmt.Sprintf("dp-%03d.json", i), raw)
	}
	var took time.Duration
	if keys == runs {
		for i := 1; i <= runs; i++ {
			if _, err := db.ExecContext(ctx, `DELETE FROM shape.dp_ledger`); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			raw, err := exportDP(ctx, db, dpUtilityWindow, dpUtilityEpsilon, dpUtilityDelta)
			if err != nil {
				b.Fatalf("release %d: %v", i, err)
			}
			took += time.Since(t0)
			add(i, raw)
		}
		b.Logf("%d releases, %s each on average", runs, (took / time.Duration(runs)).Round(time.Millisecond))
		return exact, dps
	}
	// keys < runs: the bounded counts of each key stay in a temporary table of this
	// session; each release draws its own noise on them, as shape.export_dp would
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	var tookNoise time.Duration
	for k, i := 0, 1; k < keys; k++ {
		t0 := time.Now()
		if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS pg_temp.dp_raw`); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `CREATE TEMPORARY TABLE dp_raw AS
			SELECT shape.dp_aggregates_v2($1, $2, p.dp_cap_conversations, p.dp_cap_messages, p.dp_cap_receipts,
			                              p.dp_cap_attachments, p.dp_cap_conversation_messages,
			                              p.dp_cap_conversation_receipts, shape.dp_random_bytes(32)) AS raw
			  FROM shape.policy p`, dpUtilityWindow, asOf); err != nil {
			b.Fatalf("bounded counts, key %d: %v", k+1, err)
		}
		took += time.Since(t0)
		// runs/keys releases on each key, the first runs%keys keys one more
		for range runs/keys + btoi(k < runs%keys) {
			t0 := time.Now()
			var raw string
			if err := conn.QueryRowContext(ctx, `SELECT shape.dp_document_v2(r.raw, p, $1, $2, $3, $4, shape.dp_rho($3, $4))::text
				FROM pg_temp.dp_raw r, shape.policy p`, dpUtilityWindow, asOf, dpUtilityEpsilon, dpUtilityDelta).Scan(&raw); err != nil {
				b.Fatalf("release %d: %v", i, err)
			}
			tookNoise += time.Since(t0)
			add(i, raw)
			i++
		}
	}
	b.Logf("%d releases on %d keys: the bounded counts %s a key, the noise and the document %s a release",
		runs, keys, (took / time.Duration(keys)).Round(time.Millisecond), (tookNoise / time.Duration(runs)).Round(time.Millisecond))
	return exact, dps
}

// fillDPUtility fills db with the benchmark's production: the demo generator at
// scale·1M window messages, then the accounts without a conversation up to scale·100k
// users.
func fillDPUtility(b *testing.B, db *sql.DB, asOf time.Time, scale int) {
	ctx := context.Background()
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET search_path TO public;\n"+refschema.DemoFillSQL(int64(scale)*dpUtilityMessages, asOf, 0.42)); err != nil {
		b.Fatalf("filling the production: %v", err)
	}
	_ = conn.Close()
	if _, err := db.ExecContext(ctx, dpUtilityExtraUsers(dpUtilityAsOfRFC, scale)); err != nil {
		b.Fatalf("adding users: %v", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled in %s", time.Since(start).Round(time.Second))
}

// envCount is the whole number ≥ 1 in the environment variable name, else def.
func envCount(b *testing.B, name string, def int) int {
	e := os.Getenv(name)
	if e == "" {
		return def
	}
	n, err := strconv.Atoi(e)
	if err != nil || n < 1 {
		b.Fatalf("%s = %q: want a whole number ≥ 1, e.g. 20", name, e)
	}
	return n
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

type dpUtilityResult struct {
	typeMix, typeMixRel, activity, bar, validateGO, validateGOExact float64
	lines                                                           []string
}

// dpUtilityFigures computes the benchmark's shares and a per-check account.
func dpUtilityFigures(exact *shape.Document, dps []*shape.Document) dpUtilityResult {
	var r dpUtilityResult
	within := func(got, want *float64, tol float64, relative bool) bool {
		if got == nil || want == nil {
			return false
		}
		d := *got - *want
		if relative {
			if *want == 0 {
				return *got == 0
			}
			d /= *want
		}
		return math.Abs(d) <= tol
	}
	et := exact.Conversations.TypeDistribution
	ep := exact.Conversations.ActivityPercentiles
	bad := map[string]int{}
	values := map[string][]float64{}
	exactValue := map[string]*float64{}
	for _, d := range dps {
		dt := d.Conversations.TypeDistribution
		dp := d.Conversations.ActivityPercentiles
		tm, tmr := true, true
		for _, x := range [][2]*float64{{dt.OneToOne, et.OneToOne}, {dt.SmallGroup, et.SmallGroup}, {dt.LargeGroup, et.LargeGroup}} {
			tm = tm && within(x[0], x[1], dpUtilityTypeMix, false)
			tmr = tmr && within(x[0], x[1], dpUtilityTypeMix, true)
		}
		act := true
		for _, x := range [][2]*float64{{dp.P50, ep.P50}, {dp.P75, ep.P75}, {dp.P90, ep.P90}, {dp.P95, ep.P95}, {dp.P99, ep.P99}} {
			act = act && within(x[0], x[1], dpUtilityActivity, true)
		}
		res := validate.Compare(d, exact, validate.Options{})
		plain := *d
		plain.Privacy = nil
		resExact := validate.Compare(&plain, exact, validate.Options{})
		for _, ch := range res.Checks {
			if ch.Status == validate.Fail || ch.Status == validate.Warning {
				bad[ch.ID+" "+string(ch.Status)]++
			}
			if ch.Baseline != nil && ch.Candidate != nil {
				values[ch.ID] = append(values[ch.ID], *ch.Baseline)
				exactValue[ch.ID] = ch.Candidate
			} else if ch.Delta != nil && ch.Kind == validate.Distance {
				values[ch.ID] = append(values[ch.ID], *ch.Delta)
			}
		}
		n := 1 / float64(len(dps))
		if tm {
			r.typeMix += n
		}
		if tmr {
			r.typeMixRel += n
		}
		if act {
			r.activity += n
		}
		if tm && act {
			r.bar += n
		}
		if res.GO() {
			r.validateGO += n
		}
		if resExact.GO() {
			r.validateGOExact += n
		}
	}
	r.lines = append(r.lines, fmt.Sprintf("%d runs: type mix within ±10 points %.0f%% (±10%% relative %.0f%%), p50–p99 within ±20%% %.0f%%, both %.0f%%; validate GO %.0f%% (without the DP widening %.0f%%)",
		len(dps), 100*r.typeMix, 100*r.typeMixRel, 100*r.activity, 100*r.bar, 100*r.validateGO, 100*r.validateGOExact))
	var keys []string
	for k := range bad {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.lines = append(r.lines, fmt.Sprintf("  %-45s in %3d runs", k, bad[k]))
	}
	keys = keys[:0]
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := values[k]
		sort.Float64s(v)
		med := v[len(v)/2]
		if e := exactValue[k]; e != nil {
			r.lines = append(r.lines, fmt.Sprintf("  %-45s DP median %.4g [5%%: %.4g, 95%%: %.4g], exact %.4g", k, med, v[len(v)*5/100], v[len(v)*95/100], *e))
		} else {
			r.lines = append(r.lines, fmt.Sprintf("  %-45s distance median %.4g [95%%: %.4g]", k, med, v[len(v)*95/100]))
		}
	}
	return r
}
