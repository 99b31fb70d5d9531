package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/spec"
)

// testSpec is testdata/spec.json: hand-written parameters whose consequences the
// tests work out by hand.
func testSpec(t testing.TB) *spec.Spec {
	t.Helper()
	s, err := spec.ReadFile("testdata/spec.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func options(t testing.TB, url string) Options {
	return Options{URL: url, Band: "tiny", Seed: "test-seed", Spec: testSpec(t), Workers: 2}
}

func load(t testing.TB, opts Options) *Result {
	t.Helper()
	var out bytes.Buffer
	res, err := Run(context.Background(), opts, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return res
}

// checksums returns md5 and count of each table's rows in key order.
func checksums(t testing.TB, conn *pgx.Conn) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range Tables {
		var sum string
		err := conn.QueryRow(context.Background(), `SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY `+
			primaryKey[tb]+`)), 'empty') || ':' || count(*) FROM public.`+tb+` t`).Scan(&sum)
		if err != nil {
			t.Fatal(err)
		}
		out[tb] = sum
	}
	return out
}

func queryFloat(t testing.TB, conn *pgx.Conn, sql string, args ...any) float64 {
	t.Helper()
	var v float64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// The same seed, spec and band give the same tables whatever the number of workers;
// shards 1/2 then 0/2, or shards 0/3, 1/3 and 2/3 loaded at the same time, into one
// database give the unsharded tables.
func TestDeterministicAcrossWorkersAndShards(t *testing.T) {
	t.Parallel()
	shards := func(n int, parallel bool, order ...int) func(Options) error {
		return func(opts Options) error {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for _, i := range order {
				o := opts
				o.Shard = Shard{Index: i, Count: n}
				if parallel {
					wg.Go(func() { _, errs[i] = Run(context.Background(), o, io.Discard) })
				} else if _, errs[i] = Run(context.Background(), o, io.Discard); errs[i] != nil {
					break
				}
			}
			wg.Wait()
			return errors.Join(errs...)
		}
	}
	one := func(mut func(*Options)) func(Options) error {
		return func(opts Options) error {
			mut(&opts)
			_, err := Run(context.Background(), opts, io.Discard)
			return err
		}
	}
	variants := []struct {
		name string
		run  func(Options) error
	}{
		{"1 worker", one(func(o *Options) { o.Workers = 1 })},
		{"3 workers", one(func(o *Options) { o.Workers = 3 })},
		{"shards 1/2 then 0/2", shards(2, false, 1, 0)},
		{"shards 0/3, 1/3, 2/3 at once", shards(3, true, 0, 1, 2)},
		{"another seed", one(func(o *Options) { o.Seed = "another seed" })},
	}
	sums := make([]map[string]string, len(variants))
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		url := testdb.New(t, testdb.Target)
		conn := testdb.Conn(t, url)
		wg.Go(func() {
			opts := options(t, url)
			// 100k messages: 5 chunks of 1024 conversations, split into COPY ranges of
			// 2 chunks with 1 worker and of 1 chunk with 3, so ranges start at
			// different places.
			opts.Messages, opts.NoShape = 100_000, true
			if errs[i] = v.run(opts); errs[i] != nil {
				return
			}
			sums[i] = checksums(t, conn)
			// The mark adds up the shards' messages and lists every shard.
			mark, err := loader.ReadTargetMark(context.Background(), conn)
			if err != nil {
				errs[i] = err
				return
			}
			var n int64
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM messages`).Scan(&n); err != nil {
				errs[i] = err
				return
			}
			if shardsLoaded := strings.Count(mark.Shard, "/"); mark.Messages != n || shardsLoaded != strings.Count(v.name, "/") {
				errs[i] = fmt.Errorf("mark records %d messages (table: %d) and shards %q", mark.Messages, n, mark.Shard)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", variants[i].name, err)
		}
	}
	for _, tb := range Tables {
		for i := 1; i < 4; i++ {
			if sums[0][tb] != sums[i][tb] {
				t.Errorf("%s: %s differs from the 1-worker load: %s vs %s", variants[i].name, tb, sums[i][tb], sums[0][tb])
			}
		}
		if sums[0][tb] == sums[4][tb] {
			t.Errorf("%s is the same under another seed", tb)
		}
	}
}

// What lands is relational and follows the spec; expectations are worked out from
// testdata/spec.json by hand.
func TestRelationalAndShaped(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	res := load(t, options(t, url))
	conn := testdb.Conn(t, url)
	s := testSpec(t)
	end := s.Window.End
	start := end.AddDate(0, 0, -s.Window.Days)

	// Keys and foreign keys hold (the post-load DDL checked them); these are the
	// invariants the schema cannot state. Each query counts violations.
	for name, sql := range map[string]string{
		"sender not a member": `SELECT count(*) FROM messages m LEFT JOIN conversation_members cm
			ON cm.conversation_id = m.conversation_id AND cm.user_id = m.sender_id WHERE cm.user_id IS NULL`,
		"sent before joining": `SELECT count(*) FROM messages m JOIN conversation_members cm
			ON cm.conversation_id = m.conversation_id AND cm.user_id = m.sender_id WHERE m.created_at < cm.joined_at`,
		"joined before the user existed": `SELECT count(*) FROM conversation_members cm JOIN users u ON u.id = cm.user_id
			JOIN conversations c ON c.id = cm.conversation_id WHERE cm.joined_at < u.created_at OR cm.joined_at < c.created_at`,
		"message outside the window": `SELECT count(*) FROM messages WHERE created_at < $1 OR created_at >= $2`,
		"reader is the sender or not a member": `SELECT count(*) FROM read_receipts r JOIN messages m ON m.id = r.message_id
			LEFT JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = r.reader_id
			WHERE r.reader_id = m.sender_id OR cm.user_id IS NULL OR cm.joined_at > m.created_at`,
		"read before sent or after the window": `SELECT count(*) FROM read_receipts r JOIN messages m ON m.id = r.message_id
			WHERE r.read_at <= m.created_at OR r.read_at >= $2`,
		"media with content or text without": `SELECT count(*) FROM messages WHERE (media_kind IS NULL) = (content IS NULL)`,
		"media message without attachment, or first type differs": `SELECT count(*) FROM messages m
			LEFT JOIN LATERAL (SELECT type FROM attachments a WHERE a.message_id = m.id ORDER BY a.id LIMIT 1) a ON true
			WHERE m.media_kind IS NOT NULL AND a.type IS DISTINCT FROM m.media_kind`,
		"attachment of a text message": `SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.media_kind IS NULL`,
		"kind inconsistent with size": `SELECT count(*) FROM (SELECT c.kind, count(*) AS n FROM conversations c
			JOIN conversation_members cm ON cm.conversation_id = c.id GROUP BY c.id) x
			WHERE NOT ((kind = 'direct' AND n = 2) OR (kind = 'group' AND n BETWEEN 3 AND 20) OR (kind = 'channel' AND n BETWEEN 21 AND 200))`,
		"message ids not in created_at order within a conversation": `SELECT count(*) FROM (SELECT created_at,
			lag(created_at) OVER (PARTITION BY conversation_id ORDER BY id) AS prev FROM messages) x WHERE created_at < prev`,
		"message ids not contiguous per conversation": `SELECT count(*) FROM (SELECT conversation_id, max(id) - min(id) + 1 - count(*) AS gap
			FROM messages GROUP BY conversation_id) x WHERE gap <> 0`,
		"username or email not of the synthetic form": `SELECT count(*) FROM users WHERE username !~ '^[a-z]*[0-9]+$' OR email <> 'user' || id || '@example.invalid'`,
	} {
		if n := queryFloat(t, conn, "SELECT ("+sql+")::float8 WHERE $1::timestamptz IS NOT NULL AND $2::timestamptz IS NOT NULL", start, end); n != 0 {
			t.Errorf("%s: %v rows", name, n)
		}
	}

	// Sizes. Exactly the requested 20000 messages (A is solved so the strata sum to
	// it), the inactive share is 0.3 up to rounding, users = 20000 · 0.02.
	if got := res.Rows(tMessages); math.Abs(float64(got)-20000) > 20 {
		t.Errorf("messages = %d, want 20000 ± 0.1%%", got)
	}
	if res.Users != 400 || queryFloat(t, conn, `SELECT count(*)::float8 FROM users`) != 400 {
		t.Errorf("users = %d, want 400", res.Users)
	}
	inactive := queryFloat(t, conn, `SELECT count(*)::float8 FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)`)
	if conv := float64(res.Conversations); math.Abs(inactive/conv-0.3) > 1/conv {
		t.Errorf("inactive share %v, want 0.3", inactive/conv)
	}

	// Counts: discrete log-normal(2.5, 1.2) on 1…5000. Its median is
	// floor(exp(2.5 + 1.2·Φ⁻¹(p))) with p = Φ(z(1)) + ½(1 − Φ(z(1))) (the x_max tail is
	// negligible), Φ(z(1)) = Φ(−2.083) = 0.0186, so p = 0.5093, Φ⁻¹(p) = 0.0233,
	// exp(2.528) = 12.5: the stratified median is exactly 12.
	if med := queryFloat(t, conn, `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n)::float8 FROM
		(SELECT count(*) AS n FROM messages GROUP BY conversation_id) x`); med != 12 {
		t.Errorf("median messages per active conversation = %v, want 12", med)
	}
	// Type mix 0.6 / 0.3 / 0.1 over ~1000 conversations: within 4 standard errors.
	conv := float64(res.Conversations)
	for kind, want := range map[string]float64{"direct": 0.6, "group": 0.3, "channel": 0.1} {
		got := queryFloat(t, conn, `SELECT count(*)::float8 FROM conversations WHERE kind = $1`, kind) / conv
		if se := math.Sqrt(want * (1 - want) / conv); math.Abs(got-want) > 4*se {
			t.Errorf("share of %s = %.3f, want %.3f ± %.3f", kind, got, want, 4*se)
		}
	}
	// Text length log-normal(3.8, 0.8): the median of floor(X) is floor(e^3.8) = 44.
	if med := queryFloat(t, conn, `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY char_length(content))::float8 FROM messages WHERE content IS NOT NULL`); math.Abs(med-44) > 1 {
		t.Errorf("median content length = %v, want 44 ± 1", med)
	}
	// Media ratio 0.1 over 20000 messages (se 0.0021).
	if got := queryFloat(t, conn, `SELECT avg((media_kind IS NOT NULL)::int)::float8 FROM messages`); math.Abs(got-0.1) > 0.0085 {
		t.Errorf("media ratio = %v, want 0.1", got)
	}
	// Burst starts follow the weekday × hour weights: weekdays 8–17 h carry
	// 5·2·40 / (2·(5·63 + 2·37)) = 400/778 = 0.514 of the weight over two full weeks.
	// Continuations (mean gap 40 s) rarely leave their hour, and conversations opened
	// inside the window see a subset of the same profile.
	if got := queryFloat(t, conn, `SELECT avg((extract(isodow FROM created_at AT TIME ZONE 'UTC') <= 5
		AND extract(hour FROM created_at AT TIME ZONE 'UTC') BETWEEN 8 AND 17)::int)::float8 FROM messages`); math.Abs(got-0.514) > 0.04 {
		t.Errorf("weekday working-hours share = %v, want 0.514", got)
	}
	// Read delays under 60 s: 0.5·(1 − e^−4) + 0.3·(1 − e^−0.1) + 0.2·Φ((ln 60 − 9)/1)
	// = 0.4908 + 0.0285 + 0.2·0.00004 = 0.519.
	if got := queryFloat(t, conn, `SELECT avg((r.read_at - m.created_at < interval '60 s')::int)::float8
		FROM read_receipts r JOIN messages m ON m.id = r.message_id`); math.Abs(got-0.519) > 0.03 {
		t.Errorf("share of reads within 60 s = %v, want 0.519", got)
	}
	// Attachments per media message: 1 + Poisson(0.2) has mean 1.2.
	if got := queryFloat(t, conn, `SELECT (SELECT count(*) FROM attachments)::float8 / (SELECT count(*) FROM messages WHERE media_kind IS NOT NULL)`); math.Abs(got-1.2) > 0.06 {
		t.Errorf("attachments per media message = %v, want 1.2", got)
	}
	// The mark records the load.
	mark, err := loader.ReadTargetMark(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if mark.Band != "tiny" || mark.Seed != "test-seed" || mark.SpecSHA256 != s.SHA256() || mark.Messages != res.Rows(tMessages) ||
		mark.WindowDays != 14 || mark.WindowEnd == nil || !mark.WindowEnd.Equal(end) || mark.Shard != "" {
		t.Errorf("mark = %+v", mark)
	}
	// The report's shape is the target's, measured with the same as_of. (users.total_count
	// is not checked: the shape SQL publishes 0 there at the time of writing.)
	if res.Shape == nil || res.Shape.Messages.TotalCount != res.Rows(tMessages) || res.Shape.Users.UsernameLengthHistogram.Total() != 400 {
		t.Errorf("shape of the target missing or wrong: %+v %+v", res.Shape.Messages.TotalCount, res.Shape.Users)
	}
}

// The swap keeps the views over the target tables (views over views included) with
// their comments and grants.
func TestSwapKeepsDependentViews(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	conn := testdb.Conn(t, url)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `
		CREATE VIEW public.busy AS SELECT conversation_id, count(*) AS n FROM shape_source.messages GROUP BY 1;
		COMMENT ON VIEW public.busy IS 'a view over a view';
		GRANT SELECT ON public.busy TO PUBLIC;`); err != nil {
		t.Fatal(err)
	}
	catalog := func() string {
		var out string
		if err := conn.QueryRow(ctx, `SELECT string_agg(x, E'\n' ORDER BY x) FROM (
			SELECT format('%s %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid), convalidated) AS x
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace
			UNION ALL
			SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') y`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := catalog()
	res := load(t, options(t, url))
	// The swapped-in tables carry exactly the reference schema's keys, checks, foreign
	// keys (validated) and indexes, as `loader migrate --target` created them.
	if after := catalog(); after != before {
		t.Errorf("catalog after the swap:\n%s\nwant (before):\n%s", after, before)
	}
	if strings.Count(before, "FOREIGN KEY") != 7 || strings.Contains(before, " false") {
		t.Errorf("unexpected reference catalog:\n%s", before)
	}
	var n float64
	var comment string
	var public bool
	if err := conn.QueryRow(ctx, `SELECT (SELECT sum(n) FROM public.busy)::float8, obj_description('public.busy'::regclass, 'pg_class'),
		has_table_privilege('public', 'public.busy', 'SELECT')`).Scan(&n, &comment, &public); err != nil {
		t.Fatal(err)
	}
	if int64(n) != res.Rows(tMessages) || comment != "a view over a view" {
		t.Errorf("busy view: sum %v (want %d), comment %q", n, res.Rows(tMessages), comment)
	}
	if !public {
		t.Errorf("busy view lost its grant to PUBLIC")
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 0 {
		t.Errorf("%v staging schemas left", c)
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM shape_source.read_receipts`); int64(c) != res.Rows(tReceipts) {
		t.Errorf("shape_source.read_receipts sees %v rows, want %d", c, res.Rows(tReceipts))
	}
}

// A load whose COPY backend is terminated leaves the target exactly as it was; the
// next run drops the stale staging schema of a killed run and succeeds.
func TestInterruptedLoadLeavesTarget(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	ctx := context.Background()
	first := load(t, options(t, url))
	conn := testdb.Conn(t, url)
	before := checksums(t, conn)
	markBefore, err := loader.ReadTargetMark(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}

	// A staging schema as a killed run leaves it (nobody holds its lock).
	if _, err := conn.Exec(ctx, `CREATE SCHEMA pgshape_gen_00000000000000ab; CREATE TABLE pgshape_gen_00000000000000ab.users (id bigint)`); err != nil {
		t.Fatal(err)
	}

	opts := options(t, url)
	opts.Seed, opts.Truncate, opts.Workers, opts.Messages = "second", true, 1, 400_000
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := Run(runCtx, opts, &bytes.Buffer{})
		errc <- err
	}()
	var killed bool
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !killed; time.Sleep(10 * time.Millisecond) {
		err := conn.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'COPY "pgshape_gen_%' AND state = 'active' LIMIT 1`).Scan(&killed)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
	}
	if !killed {
		t.Fatal("no COPY to terminate")
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "error loading") {
		t.Fatalf("Run after the backend was terminated: %v, want a loading error", err)
	}
	after := checksums(t, conn)
	for _, tb := range Tables {
		if before[tb] != after[tb] {
			t.Errorf("%s changed by the failed load: %s → %s", tb, before[tb], after[tb])
		}
	}
	if m, err := loader.ReadTargetMark(ctx, conn); err != nil || m.Seed != markBefore.Seed || !m.LoadedAt.Equal(*markBefore.LoadedAt) {
		t.Errorf("mark changed by the failed load: %+v (%v)", m, err)
	}

	opts.Messages = 0
	second := load(t, opts)
	if second.Rows(tMessages) != first.Rows(tMessages) {
		t.Errorf("rerun loaded %d messages, want %d", second.Rows(tMessages), first.Rows(tMessages))
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 0 {
		t.Errorf("%v staging schemas left after the rerun", c)
	}
	if after := checksums(t, conn); after[tMessages] == before[tMessages] {
		t.Errorf("the rerun did not replace the messages")
	}
}

// A target with rows is refused without Truncate, and nothing is written.
func TestRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	conn := testdb.Conn(t, url)
	if _, err := conn.Exec(context.Background(), `INSERT INTO users VALUES (1, 'a', 'a@example.invalid', now())`); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), options(t, url), &bytes.Buffer{})
	if !errors.Is(err, ErrTargetNotEmpty) || !strings.Contains(err.Error(), "public.users") {
		t.Fatalf("Run: %v, want ErrTargetNotEmpty naming public.users", err)
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 0 {
		t.Errorf("%v staging schemas left", c)
	}
	// A shard of the same run is fine after another; the same shard twice is not.
	url2 := testdb.New(t, testdb.Target)
	o := options(t, url2)
	o.Shard = Shard{0, 3}
	load(t, o)
	if _, err := Run(context.Background(), o, &bytes.Buffer{}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("the same shard twice: %v, want ErrTargetNotEmpty", err)
	}
	o.Shard, o.Seed = Shard{1, 3}, "other"
	if _, err := Run(context.Background(), o, &bytes.Buffer{}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("a shard of another seed: %v, want ErrTargetNotEmpty", err)
	}
}

// Cancelling the context (Ctrl-C) in the middle of the COPY stops the load, drops
// the staging schema and leaves the target as it was (empty here).
func TestCancelledLoad(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	conn := testdb.Conn(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := options(t, url)
	opts.Messages = 400_000
	errc := make(chan error, 1)
	go func() {
		_, err := Run(ctx, opts, &bytes.Buffer{})
		errc <- err
	}()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_stat_activity WHERE datname = current_database()
			AND query LIKE 'COPY "pgshape_gen_%' AND state = 'active'`) > 0 {
			break
		}
	}
	cancel()
	if err := <-errc; err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 0 {
		t.Errorf("%v staging schemas left", c)
	}
	if full, err := nonEmpty(context.Background(), conn); err != nil || full != "" {
		t.Errorf("the cancelled load wrote into public.%s (%v)", full, err)
	}
	if m, err := loader.ReadTargetMark(context.Background(), conn); err != nil || m.LoadedAt != nil {
		t.Errorf("the cancelled load recorded itself: %+v (%v)", m, err)
	}
}

// helperEnv makes the test binary act as a loader process (see TestKilledProcess).
const helperEnv = "PGSHAPE_GENERATE_HELPER_URL"

// TestHelperProcess is not a test: run with helperEnv set, it loads 400k messages into
// that database, so that TestKilledProcess can kill a real process mid-COPY.
func TestHelperProcess(t *testing.T) {
	url := os.Getenv(helperEnv)
	if url == "" {
		t.Skip("helper process only")
	}
	opts := options(t, url)
	opts.Messages, opts.Truncate, opts.Workers, opts.NoShape = 400_000, true, 1, true
	_, err := Run(context.Background(), opts, io.Discard)
	t.Fatalf("the helper was meant to be killed, Run returned %v", err)
}

// A loader process killed with SIGKILL in the middle of the COPY leaves the target as
// it was; the next run drops the dead run's staging schema and succeeds.
func TestKilledProcess(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	load(t, options(t, url))
	conn := testdb.Conn(t, url)
	before := checksums(t, conn)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copying := false
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !copying; time.Sleep(10 * time.Millisecond) {
		copying = queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_stat_activity WHERE datname = current_database()
			AND query LIKE 'COPY "pgshape_gen_%' AND state = 'active'`) > 0
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !copying {
		t.Fatal("the helper never reached the COPY")
	}
	// The server notices the dead client; wait for its sessions to end.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND backend_type = 'client backend'`) == 0 {
			break
		}
	}
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 1 {
		t.Fatalf("%v staging schemas after the kill, want the dead run's one", c)
	}
	after := checksums(t, conn)
	for _, tb := range Tables {
		if before[tb] != after[tb] {
			t.Errorf("%s changed by the killed load: %s → %s", tb, before[tb], after[tb])
		}
	}
	opts := options(t, url)
	opts.Truncate, opts.Seed = true, "after the kill"
	load(t, opts)
	if c := queryFloat(t, conn, `SELECT count(*)::float8 FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'`); c != 0 {
		t.Errorf("%v staging schemas left after the rerun", c)
	}
}
