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
