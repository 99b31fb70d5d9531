package pgcluster_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
)

// TestStartSettingsRestart starts a cluster with wal_level=logical, checks the setting
// took, writes a row, survives a fast-shutdown restart with the row kept, and leaves no
// folder behind.
func TestStartSettingsRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical")
	url, err := c.CreateDatabase(ctx, "wal test")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var level string
	if err := conn.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "logical" {
		t.Fatalf("wal_level = %q, want logical", level)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t(x int); INSERT INTO t VALUES (41), (1)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	if err := c.Restart("fast"); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sum int
	if err := conn.QueryRow(ctx, "SELECT sum(x) FROM t").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 42 {
		t.Fatalf("sum after restart = %d, want 42", sum)
	}
}
