package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgshape/pgshape/internal/testdb"
)

// readerConn returns a connection of db whose role is shape_reader (SET ROLE), reset
// when the test ends.
func readerConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The membership is cluster-global and other tests may grant it at the same time.
	for try := 0; ; try++ {
		_, err = conn.ExecContext(ctx, `GRANT shape_reader TO CURRENT_USER`)
		if err == nil || try == 5 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GRANT shape_reader: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `SET ROLE shape_reader`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.ExecContext(ctx, `RESET ROLE`) })
	return conn
}

// wantDenied runs q on conn and wants SQLSTATE code with a message containing each of
// parts.
func wantDenied(t *testing.T, conn *sql.Conn, code, q string, parts ...string) {
	t.Helper()
	var s string
	err := conn.QueryRowContext(context.Background(), q).Scan(&s)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Errorf("%s: error %v, want SQLSTATE %s", q, err, code)
		return
	}
	for _, p := range parts {
		if !strings.Contains(pe.Message, p) {
			t.Errorf("%s: message %q does not say %q", q, pe.Message, p)
		}
	}
}

// Issue 13's differencing attack: two exports one microsecond apart (and the same
// with k = 2) subtract to one message. Under the default policy shape_reader gets a
// clear refusal for each; the owner is not restricted.
func TestPolicyStopsDifferencing(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, fixtureSQL)
	conn := readerConn(t, db)

	// t = the created_at of the last window message before 2025-10-22 (message 6).
	const t0 = `timestamptz '2025-10-21 23:59:59Z'`
	attack := `SELECT (shape.export(30, 10, ` + t0 + `) -> 'messages' -> 'content_length_histogram')::text || ` +
		`(shape.export(30, 10, ` + t0 + ` + interval '1 microsecond') -> 'messages' -> 'content_length_histogram')::text`
	wantDenied(t, conn, "42501", attack, "as_of = 2025-10-21T23:59:59.000000Z", "UTC day boundary")
	wantDenied(t, conn, "42501", strings.ReplaceAll(attack, "(30, 10,", "(30, 2,"), "k = 2", "requires k ≥ 10")
	// every family function and the views are held to it too
	for _, fam := range []string{"users", "conversations", "messages", "read_receipts", "attachments"} {
		wantDenied(t, conn, "42501", `SELECT shape.`+fam+`_v1(30, 10, `+t0+`)::text`, "UTC day boundary")
		wantDenied(t, conn, "42501", `SELECT shape.`+fam+`_v1(30, 2, '2025-10-22Z')::text`, "requires k ≥ 10")
	}
	wantDenied(t, conn, "42501", `SELECT shape.export(30, 10)::text`, "UTC day boundary") // as_of = now()
	wantDenied(t, conn, "42501", `SELECT doc::text FROM shape.v1_export`, "UTC day boundary")
	wantDenied(t, conn, "42501", `SELECT shape.export(6, 10, '2025-10-22Z')::text`, "at least 7 days")
	wantDenied(t, conn, "42501", `SELECT shape.export(30, 10, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day')::text`,
		"no later than the start of today")
	// The bypasses: the raw computation, the policy itself.
	wantDenied(t, conn, "42501", `SELECT shape.compute_v1(30, 2, `+t0+`, ARRAY['messages'])::text`, "permission denied")
	if _, err := conn.ExecContext(context.Background(), `UPDATE shape.policy SET min_k = 2`); err == nil {
		t.Errorf("shape_reader changed shape.policy")
	}

	// Allowed: a day-aligned window of ≥ 7 days with k ≥ 10; the document equals the
	// owner's byte for byte.
	var asReader, asOwner string
	if err := conn.QueryRowContext(context.Background(), `SELECT shape.export(30, 10, '2025-10-22Z')::text`).Scan(&asReader); err != nil {
		t.Fatalf("shape_reader, allowed arguments: %v", err)
	}
	if err := db.QueryRow(`SELECT shape.export(30, 10, '2025-10-22Z')::text`).Scan(&asOwner); err != nil {
		t.Fatal(err)
	}
	if asReader != asOwner {
		t.Errorf("shape_reader's document differs from the owner's")
	}
	// The owner is unrestricted: the attack's two calls run, and differ by message 6.
	var a, b int64
	if err := db.QueryRow(`SELECT (shape.export(30, 2, `+t0+`) -> 'messages' ->> 'total_count')::bigint,
		(shape.export(30, 2, `+t0+` + interval '1 microsecond') -> 'messages' ->> 'total_count')::bigint`).Scan(&a, &b); err != nil {
		t.Fatalf("owner: %v", err)
	}
	if b-a != 1 {
		t.Errorf("owner: totals %d and %d, want them one apart (message 6)", a, b)
	}

	// The DBA raises min_k and switches to DP mode: the reader follows.
	exec(t, db, `UPDATE shape.policy SET min_k = 20`)
	wantDenied(t, conn, "42501", `SELECT shape.export(30, 10, '2025-10-22Z')::text`, "requires k ≥ 20")
	exec(t, db, `UPDATE shape.policy SET mode = 'differential_privacy'`)
	wantDenied(t, conn, "42501", `SELECT shape.export(30, 20, '2025-10-22Z')::text`, "differential_privacy mode")
}
