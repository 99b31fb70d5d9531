package main

// The fault matrix (issue 11, docs/generate.md "Faults"): the built loader, run as a
// process, is killed (SIGKILL), interrupted (SIGINT) or has its backends terminated
// (pg_terminate_backend) during the COPY, the key build and the swap of a load over a
// known dataset; the server is shut down fast and restarted mid-load; two loads race
// into one target; a --truncate shard append is killed; `loader sample` is killed
// mid-export. A phase is reached through the generate.PauseEnv test hook: the process
// stops there, says so on stderr, and resumes on a line on stdin.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/loader/generate"
)

// faultMessages keeps every dataset of the matrix small: the band is tiny, cut to this.
const faultMessages = "5000"

// loadArgs are the arguments of a load of seed into url.
func loadArgs(url, seed string, extra ...string) []string {
	return append([]string{"generate", "--band", "tiny", "--messages", faultMessages, "--seed", seed,
		"--workers", "2", "--report-dir", "", "--database-url", url}, extra...)
}

// dbState is what a fault must not change: each chat table's row count and the md5 of
// its rows in key order, the synthetic-target mark, and every relation and schema
// outside the system catalogs (staging schemas, temporary tables, leftovers).
type dbState struct {
	tables  map[string]string
	mark    string
	objects []string
}

// readState reads url's state, with TimeZone UTC so that md5s compare across servers.
func readState(t *testing.T, url string) dbState {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["TimeZone"] = "UTC"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	st := dbState{tables: map[string]string{}}
	keys := map[string]string{"users": "id", "conversations": "id", "conversation_members": "conversation_id, user_id",
		"messages": "id", "read_receipts": "message_id, reader_id", "attachments": "id"}
	for _, tb := range generate.Tables {
		var sum string
		if err := conn.QueryRow(ctx, `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY `+
			keys[tb]+`)), '-') FROM public.`+tb+` t`).Scan(&sum); err != nil {
			t.Fatalf("error reading public.%s: %v", tb, err)
		}
		st.tables[tb] = sum
	}
	if err := conn.QueryRow(ctx, `SELECT (to_jsonb(s) - 'marked_at')::text FROM pgshape.synthetic_target s`).Scan(&st.mark); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `
		SELECT format('%s.%s (%s)', n.nspname, c.relname, c.relkind) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		UNION ALL
		SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
		UNION ALL
		SELECT 'prepared transaction ' || gid FROM pg_prepared_xacts
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if st.objects, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	return st
}

// loadOf is the part of the mark that says which dataset is loaded.
func (s dbState) loadOf() string {
	var b strings.Builder
	for _, f := range []string{`"seed"`, `"band"`, `"messages"`, `"spec_sha256"`} {
		_, v, _ := strings.Cut(s.mark, f+": ")
		v, _, _ = strings.Cut(v, ",")
		b.WriteString(f + "=" + v + " ")
	}
	return b.String()
}

func staging(objects []string) []string {
	var out []string
	for _, o := range objects {
		if strings.HasPrefix(o, "schema pgshape_gen_") {
			out = append(out, o)
		}
	}
	return out
}

func withoutStaging(objects []string) []string {
	return slices.DeleteFunc(slices.Clone(objects), func(o string) bool { return strings.Contains(o, "pgshape_gen_") })
}

// quiet waits until no client session but the caller's is left in url's database (a
// killed client's backend ends when the server notices), and fails naming what still runs.
func quiet(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rows, err := conn.Query(ctx, `SELECT format('pid %s %s: %s', pid, state, left(query, 60)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)
		if err != nil {
			t.Fatal(err)
		}
		if left, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
	}
	t.Fatalf("sessions of the interrupted loader still run: %v", left)
}

// terminate ends every other client backend of url's database and returns how many.
func terminate(t *testing.T, url string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// proc is a running loader process.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    bytes.Buffer
	mu     sync.Mutex
	errb   bytes.Buffer
	paused chan string
	done   chan struct{}
	code   int
}

// start runs the loader with args; pauseAt ("" for none) sets the test hook.
func start(t *testing.T, bin, pauseAt string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), paused: make(chan string, 1), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), generate.PauseEnv+"="+pauseAt), env...)
	p.cmd.Stdout = &p.out
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.errb.WriteString(line + "\n")
			p.mu.Unlock()
			if phase, ok := strings.CutPrefix(line, generate.PauseMarker); ok {
				p.paused <- phase
			}
		}
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -2
		}
		close(p.done)
	}()
	return p
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errb.String()
}

// waitPaused waits for the process to stop at phase.
func (p *proc) waitPaused(t *testing.T, phase string) {
	t.Helper()
	select {
	case got := <-p.paused:
		if got != phase {
			t.Fatalf("paused at %s, want %s", got, phase)
		}
	case <-p.done:
		t.Fatalf("the loader ended (exit %d) before pausing at %s: %s", p.code, phase, p.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("the loader did not pause at %s: %s", phase, p.stderr())
	}
}

// wait waits for the process to end and returns its exit code (-1: killed by a signal).
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the loader did not end: %s", p.stderr())
	}
	return p.code
}

// runLoader runs the loader to its end and fails unless it exits 0.
func runLoader(t *testing.T, bin string, env []string, args ...string) {
	t.Helper()
	p := start(t, bin, "", env, args...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("loader %s: exit %d: %s", strings.Join(args[:1], " "), code, p.stderr())
	}
}

// matrix is what the cases share: the built binary and the state of a clean load of
// each seed the faulted runs load.
type matrix struct {
	bin   string
	clean map[string]dbState
	known string // a target holding seed "a", the template of each case's target
}

// TestFaultMatrix builds the loader, loads seeds a, b and c cleanly once (a: the known
// dataset every case starts from; b, c: what a rerun must equal), then runs every case
// of the matrix at once. docs/generate.md "Faults" is its table.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "loader")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	m := &matrix{bin: bin, clean: map[string]dbState{}}
	urls := map[string]string{"a": testdb.New(t, testdb.Target), "b": testdb.New(t, testdb.Target), "c": testdb.New(t, testdb.Target)}
	var wg sync.WaitGroup
	for seed, url := range urls {
		p := start(t, bin, "", nil, loadArgs(url, seed)...)
		wg.Go(func() {
			if <-p.done; p.code != 0 {
				t.Errorf("clean load of seed %s: exit %d: %s", seed, p.code, p.stderr())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for seed, url := range urls {
		m.clean[seed] = readState(t, url)
	}
	m.known = urls["a"]
	if m.clean["b"].tables["messages"] == m.clean["c"].tables["messages"] {
		t.Fatal("seeds b and c load the same messages: the race case could not tell them apart")
	}

	// The cases wait on processes and the server far more than they compute: they run
	// side by side, all at once (t.Parallel would run GOMAXPROCS of them at a time).
	cases := map[string]func(t *testing.T){}
	for _, fault := range []string{"kill", "sigint", "terminate"} {
		for _, phase := range []string{"copy", "keys", "swap"} {
			cases[fault+"/"+phase] = func(t *testing.T) { m.processFault(t, fault, phase) }
		}
	}
	cases["kill/truncate-append"] = func(t *testing.T) { m.processFault(t, "kill", "swap", "--shard", "0/1") }
	for _, phase := range []string{"copy", "keys", "swap"} {
		cases["fast-restart/"+phase] = func(t *testing.T) { m.serverRestart(t, phase) }
	}
	cases["kill/keys-statement"] = m.killMidStatement
	cases["two-loads-at-once"] = m.race
	for _, fault := range []string{"kill", "sigint"} {
		cases["sample/"+fault] = func(t *testing.T) { m.sampleFault(t, fault) }
	}
	var cw sync.WaitGroup
	for name, f := range cases {
		cw.Go(func() { t.Run(name, f) })
	}
	cw.Wait()
}

// target returns a new target holding the dataset of seed "a" (a copy of m.known made
// with CREATE DATABASE … TEMPLATE, dropped when t passes) and its state.
func (m *matrix) target(t *testing.T) (string, dbState) {
	ctx := context.Background()
	kc, err := pgx.ParseConfig(m.known)
	if err != nil {
		t.Fatal(err)
	}
	// the server's own user (the test role may not create databases)
	adminURL := loader.ResolveURL("")
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("pgshape_fault_%d_", os.Getpid()) + strings.NewReplacer("/", "_", "-", "_").Replace(strings.ToLower(t.Name()[len("TestFaultMatrix/"):]))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{kc.Database}.Sanitize()+
		" OWNER "+pgx.Identifier{kc.User}.Sanitize()); err != nil {
		t.Fatalf("error copying the known target: %v", err)
	}
	u, err := url.Parse(m.known)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the target is kept: %s", u)
			return
		}
		if err := testdb.TryExec(adminURL, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("error dropping %s: %v", name, err)
		}
	})
	st := readState(t, u.String())
	if !maps(st.tables, m.clean["a"].tables) {
		t.Fatalf("the copy of the known target differs from it: %v", st.tables)
	}
	return u.String(), st
}

// processFault loads seed "b" with --truncate over seed "a", stops it at phase with
// fault, and checks the target and a rerun.
func (m *matrix) processFault(t *testing.T, fault, phase string, extra ...string) {
	url, before := m.target(t)
	args := loadArgs(url, "b", append([]string{"--truncate"}, extra...)...)
	p := start(t, m.bin, phase, nil, args...)
	p.waitPaused(t, phase)
	switch fault {
	case "kill":
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		if code := p.wait(t); code != -1 {
			t.Fatalf("exit %d after SIGKILL", code)
		}
	case "sigint":
		_ = p.cmd.Process.Signal(os.Interrupt)
		if code := p.wait(t); code != 2 || !strings.Contains(p.stderr(), "interrupted") {
			t.Fatalf("after SIGINT: exit %d, stderr %q: want 2 and one line saying it was interrupted", code, p.stderr())
		}
	case "terminate":
		if n := terminate(t, url); n == 0 {
			t.Fatal("no backend of the loader to terminate")
		}
		_, _ = io.WriteString(p.stdin, "\n")
		if code := p.wait(t); code != 2 {
			t.Fatalf("after pg_terminate_backend: exit %d, stderr %q: want 2", code, p.stderr())
		}
	}
	quiet(t, url)
	after := readState(t, url)
	m.checkUnchanged(t, before, after, fault == "kill")
	m.checkRerun(t, url, before, args...)
}

// checkUnchanged compares the chat tables, the mark and the objects with before; a
// killed run may leave its staging schema (and only that: the next run drops it).
func (m *matrix) checkUnchanged(t *testing.T, before, after dbState, mayLeaveStaging bool) {
	t.Helper()
	for _, tb := range generate.Tables {
		if after.tables[tb] != before.tables[tb] {
			t.Errorf("public.%s changed: %s, was %s", tb, after.tables[tb], before.tables[tb])
		}
	}
	if after.mark != before.mark {
		t.Errorf("synthetic-target mark changed: %s, was %s", after.mark, before.mark)
	}
	if got, want := withoutStaging(after.objects), withoutStaging(before.objects); !slices.Equal(got, want) {
		t.Errorf("objects after the fault:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	left := staging(after.objects)
	if max := map[bool]int{true: 1, false: 0}[mayLeaveStaging]; len(left) > max {
		t.Errorf("staging schemas left after the fault: %v (at most %d)", left, max)
	}
}

// checkRerun runs args again, unhindered, and wants the clean load of seed "b": the
// same md5s, no staging schema, the same objects as before the fault.
func (m *matrix) checkRerun(t *testing.T, url string, before dbState, args ...string) {
	t.Helper()
	runLoader(t, m.bin, nil, args...)
	after := readState(t, url)
	want := m.clean["b"]
	for _, tb := range generate.Tables {
		if after.tables[tb] != want.tables[tb] {
			t.Errorf("after the rerun public.%s is %s, a clean load gives %s", tb, after.tables[tb], want.tables[tb])
		}
	}
	if after.loadOf() != want.loadOf() {
		t.Errorf("after the rerun the mark says %s, a clean load %s", after.loadOf(), want.loadOf())
	}
	if !slices.Equal(after.objects, before.objects) {
		t.Errorf("objects after the rerun:\n%s\nwant:\n%s", strings.Join(after.objects, "\n"), strings.Join(before.objects, "\n"))
	}
}

// killMidStatement kills the loader while one of its key statements runs (waits on a
// lock the test holds on the staging tables): the statement's session must end while
// the lock is still held, not run on once it gets it.
func (m *matrix) killMidStatement(t *testing.T) {
	ctx := context.Background()
	url, before := m.target(t)
	args := loadArgs(url, "b", "--truncate")
	p := start(t, m.bin, "keys", nil, args...)
	p.waitPaused(t, "keys")
	lock, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	var stg string
	if err := lock.QueryRow(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgshape\_gen\_%'`).Scan(&stg); err != nil {
		t.Fatal(err)
	}
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var locked []string
	for _, tb := range generate.Tables {
		locked = append(locked, pgx.Identifier{stg, tb}.Sanitize())
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(locked, ", ")+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(p.stdin, "\n")
	waiting := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !waiting; time.Sleep(20 * time.Millisecond) {
		if err := watch.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> $1 AND wait_event_type = 'Lock'`, lock.PgConn().PID()).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if !waiting {
		t.Fatalf("no key statement waited on the lock: %s", p.stderr())
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	if code := p.wait(t); code != -1 {
		t.Fatalf("exit %d after SIGKILL", code)
	}
	left := sessionsLeft(t, watch, lock.PgConn().PID())
	if len(left) > 0 {
		t.Errorf("the killed loader's statements outlived it: %v", left)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	lock.Close(ctx)
	watch.Close(ctx)
	quiet(t, url)
	m.checkUnchanged(t, before, readState(t, url), true)
	m.checkRerun(t, url, before, args...)
}

// serverRestart shuts a private cluster down fast (and starts it again) while a load
// is paused at phase.
func (m *matrix) serverRestart(t *testing.T, phase string) {
	ctx := context.Background()
	c := pgcluster.Start(t)
	url, err := c.CreateDatabase(ctx, "target")
	if err != nil {
		t.Fatal(err)
	}
	runLoader(t, m.bin, nil, "migrate", "--target", "--database-url", url)
	runLoader(t, m.bin, nil, loadArgs(url, "a")...)
	before := readState(t, url)
	args := loadArgs(url, "b", "--truncate")
	p := start(t, m.bin, phase, nil, args...)
	p.waitPaused(t, phase)
	if err := c.Restart("fast"); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(p.stdin, "\n")
	if code := p.wait(t); code != 2 {
		t.Fatalf("after a fast restart: exit %d, stderr %q: want 2", code, p.stderr())
	}
	quiet(t, url)
	// The loader fails as soon as the server goes: it cannot drop its staging schema
	// then, and leaves it to the next run.
	m.checkUnchanged(t, before, readState(t, url), true)
	if t.Failed() {
		t.Logf("the faulted loader said: %s", p.stderr())
	}
	m.checkRerun(t, url, before, args...)
}

// race starts two loads of different seeds over the known dataset at once: each
// succeeds or refuses, and the target ends holding one of them whole.
func (m *matrix) race(t *testing.T) {
	url, before := m.target(t)
	b := start(t, m.bin, "", nil, loadArgs(url, "b", "--truncate")...)
	c := start(t, m.bin, "", nil, loadArgs(url, "c", "--truncate")...)
	cb, cc := b.wait(t), c.wait(t)
	for _, r := range []struct {
		seed string
		code int
		p    *proc
	}{{"b", cb, b}, {"c", cc, c}} {
		if r.code != 0 && r.code != 2 {
			t.Errorf("load of seed %s: exit %d: %s", r.seed, r.code, r.p.stderr())
		}
	}
	if cb != 0 && cc != 0 {
		t.Fatalf("both loads failed:\n%s\n%s", b.stderr(), c.stderr())
	}
	quiet(t, url)
	after := readState(t, url)
	var whole string
	for _, seed := range []string{"b", "c"} {
		if maps(after.tables, m.clean[seed].tables) && after.loadOf() == m.clean[seed].loadOf() {
			whole = seed
		}
	}
	if whole == "" {
		t.Fatalf("the target holds a mix: %v, mark %s", after.tables, after.mark)
	}
	t.Logf("exit codes b %d, c %d; the target holds seed %s", cb, cc, whole)
	if !slices.Equal(after.objects, before.objects) {
		t.Errorf("objects after the race:\n%s\nwant:\n%s", strings.Join(after.objects, "\n"), strings.Join(before.objects, "\n"))
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// sampleFault kills (or interrupts) `loader sample` while its export waits on a lock
// the test holds: no output file may be left, nor its session, and a rerun writes both.
func (m *matrix) sampleFault(t *testing.T, fault string) {
	ctx := context.Background()
	url := testdb.New(t, testdb.Production)
	// one user, so that the rerun has something to sample (an all-empty contract is refused)
	testdb.Exec(t, url, `INSERT INTO public.users (id, username, email, created_at) VALUES (1, 'u', 'e', '2025-01-01Z')`)
	dir := t.TempDir()
	out := filepath.Join(dir, "shape.json")
	env := []string{"PGSHAPE_FAULT_SALT=matrix-made-up-salt"}
	args := []string{"sample", "--salt-env", "PGSHAPE_FAULT_SALT", "--window-days", "30", "--output", out, "--database-url", url}

	lock, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE public.messages IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	watch, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	p := start(t, m.bin, "", env, args...)
	waiting := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !waiting; time.Sleep(20 * time.Millisecond) {
		if err := watch.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if !waiting {
		t.Fatalf("the export never reached the locked table: %s", p.stderr())
	}
	if fault == "kill" {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	} else {
		_ = p.cmd.Process.Signal(os.Interrupt)
	}
	code := p.wait(t)
	if (fault == "kill" && code != -1) || (fault == "sigint" && code != 2) {
		t.Errorf("exit %d after %s: %s", code, fault, p.stderr())
	}
	// The export's session must end while the lock is still held: a killed client's
	// query must not run on until it can take its locks.
	left := sessionsLeft(t, watch, lock.PgConn().PID())
	if len(left) > 0 {
		t.Errorf("the sample's session outlived its %s: %v", fault, left)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if files := listDir(t, dir); len(files) > 0 {
		t.Errorf("files left by the %s sample: %v", fault, files)
	}
	runLoader(t, m.bin, env, args...)
	files := listDir(t, dir)
	if len(files) != 2 || files[0] != "mapping-manifest-shape.json" || files[1] != "shape.json" {
		t.Errorf("after the rerun the folder holds %v, want the shape document and its manifest", files)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// sessionsLeft waits up to 10 s for every client session of watch's database but watch
// and the lock holder (pid) to end, and returns those still there.
func sessionsLeft(t *testing.T, watch *pgx.Conn, pid uint32) []string {
	t.Helper()
	ctx := context.Background()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rows, err := watch.Query(ctx, `SELECT format('pid %s %s: %s', pid, state, left(query, 60)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1 AND backend_type = 'client backend'`, pid)
		if err != nil {
			t.Fatal(err)
		}
		if left, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
	}
	return left
}
