package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
	refschema "github.com/pgshape/pgshape/sql"
	"github.com/pgshape/pgshape/watch"
)

// TestWatchChild is the watch process TestWatchKillLeavesNoSlot kills; it runs only
// as that test's child.
func TestWatchChild(t *testing.T) {
	args := os.Getenv("PGSHAPE_WATCH_CHILD")
	if args == "" {
		t.Skip("the child of TestWatchKillLeavesNoSlot")
	}
	os.Exit(run(context.Background(), append([]string{"loader"}, strings.Split(args, "\x1f")...), os.Stdout, os.Stderr))
}

// TestWatchKillLeavesNoSlot: kill -9 of a running `loader watch` leaves no slot
// holding WAL (the slot is temporary: the server drops it with the connection).
func TestWatchKillLeavesNoSlot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical")
	url, err := c.CreateDatabase(ctx, "watch")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, refschema.Schema); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"loader", "watch-setup", "--database-url", url, "--publication", "pub"}, &out, &errOut); code != 0 {
		t.Fatalf("watch-setup: exit %d: %s", code, errOut.String())
	}
	var pubinsert, pubupdate bool
	if err := conn.QueryRow(ctx, "SELECT pubinsert, pubupdate FROM pg_publication WHERE pubname = 'pub'").Scan(&pubinsert, &pubupdate); err != nil ||
		!pubinsert || pubupdate {
		t.Fatalf("publication after watch-setup: insert %v update %v (%v)", pubinsert, pubupdate, err)
	}
	args := strings.Join([]string{"watch", "--database-url", url, "--publication", "pub",
		"--baseline", "../../testdata/shape-example.json", "--output", t.TempDir()}, "\x1f")
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGSHAPE_WATCH_CHILD="+args)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slots := func() (n int) {
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	wait := func(want int) {
		for deadline := time.Now().Add(30 * time.Second); slots() != want; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("%d slots, want %d (child stderr: %s)", slots(), want, stderr.String())
			}
		}
	}
	wait(1)
	var temporary bool
	if err := conn.QueryRow(ctx, "SELECT temporary FROM pg_replication_slots").Scan(&temporary); err != nil || !temporary {
		t.Fatalf("the watch's slot is not temporary (%v)", err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	wait(0)
}

func TestWatchBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--publication", "pub"}, "--baseline is required"},
		{[]string{"watch", "--publication", "Pub; DROP", "--baseline", "x.json"}, "publication name"},
		{[]string{"watch", "--publication", "pub", "--baseline", "x.json", "--once"}, "--once needs --duration"},
		{[]string{"watch", "--publication", "pub", "--baseline", "missing.json", "--database-url", "postgres://nobody@127.0.0.1:1/x"}, "error reading the baseline"},
		{[]string{"watch-setup", "--publication", "1bad", "--print"}, "publication name"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"loader"}, c.args...), &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestWatchOnceDrift: `loader watch --once` on a stream unlike the baseline (every
// message at 03:00, every room one-to-one) prints DRIFT with one line per family and
// exits 1.
func TestWatchOnceDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical")
	url, err := c.CreateDatabase(ctx, "watch")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, refschema.Schema+`;
		INSERT INTO users SELECT u, 'u' || u, u || '@example.test', '2025-01-01' FROM generate_series(1, 40) u`); err != nil {
		t.Fatal(err)
	}
	var discard bytes.Buffer
	if code := run(ctx, []string{"loader", "watch-setup", "--database-url", url, "--publication", "pub"}, &discard, &discard); code != 0 {
		t.Fatalf("watch-setup: %s", discard.String())
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	codec := make(chan int, 1)
	go func() {
		codec <- run(ctx, []string{"loader", "watch", "--database-url", url, "--publication", "pub", "--baseline",
			"../../testdata/shape-example.json", "--once", "--duration", "8s", "--k", "2", "--output", out}, &stdout, &stderr)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot: %s", stderr.String())
		}
	}
	if _, err := conn.Exec(ctx, `
		INSERT INTO conversations SELECT c, 'direct', NULL, '2026-01-05' FROM generate_series(1, 20) c;
		INSERT INTO conversation_members SELECT c, 2 * c - 1, '2026-01-05'::timestamptz FROM generate_series(1, 20) c
			UNION ALL SELECT c, 2 * c, '2026-01-05'::timestamptz FROM generate_series(1, 20) c;
		INSERT INTO messages SELECT i, 1 + i % 20, 1, '2026-01-05 03:00:00+00'::timestamptz + i * interval '1 second', NULL, 'hello'
			FROM generate_series(1, 500) i`); err != nil {
		t.Fatal(err)
	}
	code := <-codec
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if code != 1 || !strings.HasPrefix(lines[0], "watch: DRIFT (") || !strings.Contains(lines[0], "arrival") ||
		!strings.Contains(lines[0], "room_sizes") || len(lines) != 1+len(watch.Families) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	for i, f := range watch.Families {
		if !strings.HasPrefix(lines[1+i], f.Name+" ") {
			t.Errorf("line %d %q, want family %s", 1+i, lines[1+i], f.Name)
		}
	}
	if !strings.Contains(stderr.String(), "DRIFT") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stderr %q, want one DRIFT line", stderr.String())
	}
	if files, _ := os.ReadDir(out); len(files) != 2 {
		t.Errorf("%d files written, want the shape document and the snapshot", len(files))
	}
}
