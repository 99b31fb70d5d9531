package watch

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/pgcluster"
	refschema "github.com/pgshape/pgshape/sql"
)

// sentinel is written into every message's content and every title; it must never
// appear in anything the watch receives or writes.
const sentinel = "SENTINEL-7f3a9c-do-not-leak"

const capturePath = "testdata/reference.pgoutput"

// referenceWorkload is the workload captured in testdata/reference.pgoutput, run after
// the slot exists. Its counters are computed by hand in TestAggregatorReference.
//
//	txn 1: conversations 1, 2, 3 with 2, 5 and 25 members (35 rows)
//	txn 2: messages 1–3 in conversation 1 (Mon 2026-01-05 09:00:00, 09:00:30, 09:02:30)
//	       and 4–6 in conversation 2 (Tue 2026-01-06 14:00:00, 14:00:00, 15:00:00)
//	txn 3: receipts of message 1 (+10 s, +30 s), of message 4 (+7200 s), and of message
//	       999, created before the slot (unmatched)
//	txn 4: streamed: messages 1001–3000 in conversation 3, one a second from Wed
//	       2026-01-07 00:00:00; a savepoint with 2000 messages (10001–12000, Thu 12:00)
//	       rolled back; then 3001–4000 continuing the one-a-second run
//	txn 5: streamed and rolled back: 3000 messages in conversation 2 (Sat 2026-01-10)
//	txn 6: an application UPDATE and a DELETE (not published: the publication is
//	       insert-only)
var referenceWorkload = []string{
	`INSERT INTO conversations VALUES (1, 'direct', NULL, '2026-01-05 08:00:00+00'),
		(2, 'group', '` + sentinel + `', '2026-01-05 08:00:00+00'), (3, 'channel', '` + sentinel + `', '2026-01-05 08:00:00+00');
	 INSERT INTO conversation_members SELECT 1, u, '2026-01-05 08:00:00+00' FROM generate_series(1, 2) u;
	 INSERT INTO conversation_members SELECT 2, u, '2026-01-05 08:00:00+00' FROM generate_series(1, 5) u;
	 INSERT INTO conversation_members SELECT 3, u, '2026-01-05 08:00:00+00' FROM generate_series(1, 25) u;`,
	`INSERT INTO messages VALUES
		(1, 1, 1, '2026-01-05 09:00:00+00', NULL, '` + sentinel + `'),
		(2, 1, 2, '2026-01-05 09:00:30+00', NULL, '` + sentinel + `'),
		(3, 1, 1, '2026-01-05 09:02:30+00', 'image', NULL),
		(4, 2, 3, '2026-01-06 14:00:00+00', NULL, '` + sentinel + `'),
		(5, 2, 4, '2026-01-06 14:00:00+00', NULL, '` + sentinel + `'),
		(6, 2, 5, '2026-01-06 15:00:00+00', NULL, '` + sentinel + `');`,
	`INSERT INTO read_receipts VALUES (1, 2, '2026-01-05 09:00:10+00'), (1, 3, '2026-01-05 09:00:30+00'),
		(4, 2, '2026-01-06 16:00:00+00'), (999, 3, '2026-01-06 16:00:00+00');`,
	`BEGIN;
	 INSERT INTO messages SELECT i, 3, 1 + i % 25, '2026-01-07 00:00:00+00'::timestamptz + (i - 1001) * interval '1 second',
		NULL, repeat('` + sentinel + `', 10) FROM generate_series(1001, 3000) i;
	 SAVEPOINT s;
	 INSERT INTO messages SELECT i, 3, 1, '2026-01-08 12:00:00+00'::timestamptz, NULL, repeat('` + sentinel + `', 10)
		FROM generate_series(10001, 12000) i;
	 ROLLBACK TO SAVEPOINT s;
	 INSERT INTO messages SELECT i, 3, 1 + i % 25, '2026-01-07 00:00:00+00'::timestamptz + (i - 1001) * interval '1 second',
		NULL, repeat('` + sentinel + `', 10) FROM generate_series(3001, 4000) i;
	 COMMIT;`,
	`BEGIN;
	 INSERT INTO messages SELECT i, 2, 1, '2026-01-10 10:00:00+00'::timestamptz + i * interval '1 second', NULL,
		repeat('` + sentinel + `', 10) FROM generate_series(20001, 23000) i;
	 ROLLBACK;`,
	`UPDATE messages SET content = 'edited ` + sentinel + `' WHERE id = 2;
	 DELETE FROM messages WHERE id = 6;`,
}

// referencePrelude runs before the slot exists: the schema, users, message 999 (so
// its receipt is unmatched) and the publication.
func referencePrelude() []string {
	setup, _ := WatchSetupSQL("pub", "public")
	return []string{
		refschema.Schema,
		`INSERT INTO users SELECT u, 'user' || u, 'user' || u || '@example.test', '2025-01-01 00:00:00+00' FROM generate_series(1, 30) u;
		 INSERT INTO conversations VALUES (9, 'direct', NULL, '2025-12-01 00:00:00+00');
		 INSERT INTO messages VALUES (999, 9, 1, '2025-12-01 00:00:00+00', NULL, '` + sentinel + `');`,
		setup,
	}
}

// TestCaptureReference regenerates testdata/reference.pgoutput on a private cluster
// with wal_level=logical (run with PGSHAPE_WATCH_CAPTURE=1); the other tests read the
// saved bytes and need no cluster.
func TestCaptureReference(t *testing.T) {
	t.Parallel()
	if os.Getenv("PGSHAPE_WATCH_CAPTURE") == "" {
		t.Skip("set PGSHAPE_WATCH_CAPTURE=1 to recapture testdata/reference.pgoutput")
	}
	msgs := captureReference(t)
	var buf bytes.Buffer
	for _, m := range msgs {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(m)))
		buf.Write(m)
	}
	if err := os.WriteFile(capturePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("captured %d pgoutput messages, %d bytes", len(msgs), buf.Len())
}

// captureReference runs the reference workload on a private cluster and returns the
// pgoutput messages of pg_logical_slot_peek_binary_changes.
func captureReference(t *testing.T) [][]byte {
	t.Helper()
	ctx := context.Background()
	c := pgcluster.Start(t, "wal_level=logical", "logical_decoding_work_mem=64kB")
	url, err := c.CreateDatabase(ctx, "watch")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%v\n%s", err, firstLine(sql))
		}
	}
	for _, s := range referencePrelude() {
		exec(s)
	}
	exec(`SELECT pg_create_logical_replication_slot('s', 'pgoutput')`)
	for _, s := range referenceWorkload {
		exec(s)
	}
	exec(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO'`)
	rows, err := conn.Query(ctx, `SELECT data FROM pg_logical_slot_peek_binary_changes('s', NULL, NULL,
		'proto_version', '2', 'publication_names', 'pub', 'streaming', 'on')`)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// readCapture reads a saved capture.
func readCapture(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatalf("%v (recapture with PGSHAPE_WATCH_CAPTURE=1 go test -run TestCaptureReference ./watch/)", err)
	}
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 4 {
			t.Fatal("truncated capture")
		}
		n := int(binary.BigEndian.Uint32(data))
		out = append(out, data[4:4+n])
		data = data[4+n:]
	}
	return out
}
