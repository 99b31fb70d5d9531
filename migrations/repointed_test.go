package migrations_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/migrations"
)

// The export through a re-pointed contract: tables and columns with other names
// (testdata/repointed-contract.sql) on a database without the reference schema.
func TestExportRepointedContract(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	contract, err := os.ReadFile("../testdata/repointed-contract.sql")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, string(contract), `
INSERT INTO legacy.accounts VALUES (1, 'abc', '2025-01-01Z'), (2, 'xyz', '2025-01-01Z'), (3, 'abcde', '2025-01-01Z');
INSERT INTO legacy.rooms VALUES (1, '2025-01-01Z'), (2, '2025-01-01Z');
INSERT INTO legacy.room_members VALUES (1, 1), (1, 2), (2, 1), (2, 2), (2, 3);
INSERT INTO legacy.posts VALUES
 (1, 1, 1, '2025-10-20 09:00Z', 'hey', NULL),
 (2, 1, 2, '2025-10-20 10:00Z', NULL, 'photo'),
 (3, 2, 3, '2025-10-21 09:00Z', 'hello', NULL),
 (4, 2, 1, '2025-10-21 09:30Z', NULL, 'voice'),
 (5, 2, 1, '2025-09-01 09:30Z', 'old', NULL);          -- before the window
INSERT INTO legacy.post_reads VALUES (1, 2, '2025-10-20 09:01Z'), (1, 3, '2025-10-20 09:02Z'), (3, 1, '2025-10-21 09:00:30Z');
INSERT INTO legacy.files VALUES (1, 2, 'image/png', 100), (2, 2, 'application/pdf', 200), (3, 4, 'audio/ogg', 300);`)

	// k = 2, as_of 2025-10-22 12:00, 7 days: posts 1–4 (5 is older).
	raw, doc := export(t, db, 7, 2, fixtureAsOf)
	f := fields(t, raw)
	got := []int64{doc.Users.TotalCount, doc.Conversations.TotalCount, doc.Messages.TotalCount,
		doc.ReadReceipts.TotalCount, doc.Attachments.TotalCount}
	want := []int64{3, 2, 4, 3, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("users, conversations, messages, receipts, attachments = %v, want %v", got, want)
		}
	}
	// handles 3,3,5: empty 0…2 dropped, 3 → "3":2, then 5 alone merges down → "3":3.
	wantHist(t, f, "users", "username_length_histogram", map[string]int64{"3": 3})
	// rooms of 2 and 3 members.
	wantFloat(t, "one_to_one", doc.Conversations.TypeDistribution.OneToOne, f64(0.5))
	wantFloat(t, "small_group", doc.Conversations.TypeDistribution.SmallGroup, f64(0.5))
	// posts 2 and 4 carry files: 2/4; bodies 'hey', 'hello' → mean 4.
	wantFloat(t, "media_ratio", doc.Messages.MediaRatio, f64(0.5))
	wantFloat(t, "content_length_mean", doc.Messages.ContentLengthMean, f64(4))
	// posts 1 and 3 read, by 2 and 1 accounts: 2/4 and 3/2.
	wantFloat(t, "read_rate", doc.ReadReceipts.ReadRate, f64(0.5))
	wantFloat(t, "receipts_per_read_message", doc.ReadReceipts.ReceiptsPerReadMessage, f64(1.5))
	// image/png, application/pdf, audio/ogg → 1/3 each; 3 files over 2 media posts.
	for typ, w := range map[string]float64{"image": 1.0 / 3, "document": 1.0 / 3, "audio": 1.0 / 3, "video": 0, "other": 0} {
		wantFloat(t, "type_distribution."+typ, doc.Attachments.TypeDistribution[typ], f64(w))
	}
	wantFloat(t, "per_media_message", doc.Attachments.PerMediaMessage, f64(1.5))
}

// shape_reader runs the export and reads the views, and nothing else: no table, no
// shape_source view, no internal function.
func TestShapeReaderRole(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	ctx := context.Background()
	conn := readerConn(t, db)

	var doc string
	// shape.policy (00005): a day-aligned as_of, k ≥ 10, ≥ 7 days (policy_test.go)
	if err := conn.QueryRowContext(ctx, `SELECT shape.export(30, 10, '2025-10-22Z')::text`).Scan(&doc); err != nil {
		t.Fatalf("shape_reader: shape.export: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `SET shape.window_days = 7; SET shape.k = 10; SET shape.as_of = '2025-10-22 00:00Z'`); err != nil {
		t.Fatal(err)
	}
	for _, fam := range []string{"users", "conversations", "messages", "read_receipts", "attachments"} {
		var same bool
		err := conn.QueryRowContext(ctx, `SELECT (SELECT doc FROM shape.v1_`+fam+`) = shape.`+fam+`_v1(7, 10, '2025-10-22 00:00Z')`).Scan(&same)
		if err != nil || !same {
			t.Errorf("shape_reader: shape.v1_%s differs from shape.%s_v1 with the settings (err %v)", fam, fam, err)
		}
	}
	var window int
	if err := conn.QueryRowContext(ctx, `SELECT (doc ->> 'sample_window_days')::int FROM shape.v1_export`).Scan(&window); err != nil || window != 7 {
		t.Errorf("shape_reader: shape.v1_export sample_window_days = %d (err %v), want 7 from shape.window_days", window, err)
	}

	denied := []string{}
	for _, tbl := range []string{"users", "conversations", "conversation_members", "messages", "read_receipts", "attachments"} {
		denied = append(denied, `SELECT 1 FROM public.`+tbl+` LIMIT 1`, `SELECT 1 FROM shape_source.`+tbl+` LIMIT 1`)
	}
	denied = append(denied, `SELECT shape.compute_v1(30, 10, now(), ARRAY['users'])`, `SELECT shape.grid_activity()`)
	for _, q := range denied {
		_, err := conn.ExecContext(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("shape_reader: %s: error %v, want permission denied (42501)", q, err)
		}
	}
}

// Migrations go up, down to 0 (leaving the application tables alone) and up again.
func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	ctx := context.Background()
	p, err := migrations.ShapeProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	var shapeLeft, sourceLeft, tables bool
	if err := db.QueryRow(`SELECT to_regnamespace('shape') IS NOT NULL, to_regnamespace('shape_source') IS NOT NULL,
		to_regclass('public.messages') IS NOT NULL`).Scan(&shapeLeft, &sourceLeft, &tables); err != nil {
		t.Fatal(err)
	}
	if shapeLeft || sourceLeft || !tables {
		t.Fatalf("after down: shape %v shape_source %v (want both gone), public.messages %v (want kept)", shapeLeft, sourceLeft, tables)
	}
	var grants int
	if err := db.QueryRow(`SELECT count(*) FROM information_schema.role_routine_grants WHERE grantee = 'shape_reader'`).Scan(&grants); err != nil {
		t.Fatal(err)
	}
	if grants != 0 {
		t.Errorf("after down: %d routine grants to shape_reader left", grants)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	var v string
	if err := db.QueryRow(`SELECT shape.export(30, 10) ->> 'shape_version'`).Scan(&v); err != nil || v != "2" {
		t.Fatalf("export after up again: %q %v", v, err)
	}
	var canExport, canCompute bool
	if err := db.QueryRow(`SELECT has_function_privilege('shape_reader', 'shape.export(int, int)', 'EXECUTE'),
		has_function_privilege('shape_reader', 'shape.compute_v1(int, int, timestamptz, text[])', 'EXECUTE')`).Scan(&canExport, &canCompute); err != nil {
		t.Fatal(err)
	}
	if !canExport || canCompute {
		t.Errorf("after up again: shape_reader may export %v (want true), compute_v1 %v (want false)", canExport, canCompute)
	}
}

// The generator swaps a target's tables and re-creates only the shape_source views:
// the shape views must not depend on them, so a plain DROP VIEW (no CASCADE) works and
// the export reads the re-created view.
func TestShapeViewsDoNotDependOnContract(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	var def string
	if err := db.QueryRow(`SELECT pg_get_viewdef('shape_source.messages'::regclass)`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `DROP VIEW shape_source.messages`, `CREATE VIEW shape_source.messages AS `+def)
	var n int64
	if err := db.QueryRow(`SELECT (doc -> 'messages' ->> 'total_count')::bigint FROM shape.v1_export`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("shape.v1_export after re-creating shape_source.messages: %d %v", n, err)
	}
}
