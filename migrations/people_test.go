package migrations_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/migrations"
	"github.com/pgshape/pgshape/shape"
)

// sub splits a nested family object (e.g. $.users.senders) into field → raw JSON, so
// wantHist can check its histograms key by key.
func sub(t *testing.T, f map[string]map[string]json.RawMessage, fam, field string) map[string]map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f[fam][field], &m); err != nil {
		t.Fatalf("$.%s.%s: %v", fam, field, err)
	}
	return map[string]map[string]json.RawMessage{fam + "." + field: m}
}

// The shape_version-2 families of the hand-built fixture (fixture_test.go), k = 2,
// against hand arithmetic.
func TestPeopleHandFixture(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, fixtureSQL)
	raw, doc := export(t, db, 7, 2, fixtureAsOf)
	f := fields(t, raw)
	if doc.ShapeVersion != "2" {
		t.Fatalf("shape_version %q, want 2", doc.ShapeVersion)
	}

	// Senders of the window's messages 1…9, 12: user 1 sent 1, 3, 6, 12 (4); users 2,
	// 3, 4, 101, 102, 103 one each. 7 active senders, 10 messages; sorted 1,1,1,1,1,1,4.
	// p50 = rank 3 → 1 (7·0.5 = 3.5 ≥ 2); p75 (7·0.25 = 1.75) … p99 null: 4 nulls.
	// Activity grid: "1": 6, then 2, 3 empty and 4: 1, a trailing group under 2 that
	// merges below → {"1": 7}. Top shares: ceil(p·7) = 1 < 2 for 1%, 5%, 10%, and 10
	// senders > 7: 4 nulls.
	s := doc.Users.Senders
	if s == nil {
		t.Fatal("$.users.senders is missing")
	}
	if s.ActiveSenders != 7 {
		t.Errorf("active_senders = %d, want 7", s.ActiveSenders)
	}
	wantFloat(t, "senders p50", s.MessagesPerSenderPercentiles.P50, f64(1))
	wantFloat(t, "senders p75", s.MessagesPerSenderPercentiles.P75, nil)
	wantHist(t, sub(t, f, "users", "senders"), "users.senders", "messages_per_sender_histogram", map[string]int64{"1": 7})
	wantFloat(t, "top_10pct", s.TopShare.Top10Pct, nil)
	wantFloat(t, "top_10", s.TopShare.Top10, nil)
	wantSuppressed(t, "users.senders", s.Suppressed, len(shape.GridActivity())-1, 4+4)

	// Conversations per user, users 1…6 (7 after as_of), memberships of c1…c5 (c6
	// after as_of): u1 c1, c3; u2 c1, c3; u3 c2, c3; u4 c2; u5, u6 none. Members
	// 101…125 are no users of the table: not counted. Degrees 0,0,1,2,2,2: p50 = rank
	// 2.5 → 1.5 (6·0.5 = 3 ≥ 2), p75 on null. Grid 0…20: "0": 2, then 1 and 2 → "1": 4.
	m := doc.Users.Memberships
	if m == nil {
		t.Fatal("$.users.memberships is missing")
	}
	if m.Users != 6 {
		t.Errorf("memberships.users = %d, want 6", m.Users)
	}
	wantFloat(t, "memberships p50", m.ConversationsPerUserPercentiles.P50, f64(1.5))
	wantFloat(t, "memberships p75", m.ConversationsPerUserPercentiles.P75, nil)
	wantHist(t, sub(t, f, "users", "memberships"), "users.memberships", "conversations_histogram", map[string]int64{"0": 2, "1": 4})
	wantSuppressed(t, "users.memberships", m.Suppressed, len(shape.GridSmallCount())-2, 4)

	// Threads: c1 (senders 1, 2; 09:00:00 → 10:00:30 = 3630 s), c2 (3, 4; 120 s), c3
	// (1; 0 s), c4 (1; 0 s), c5 (101, 102, 103; Oct 16 09:00 → Oct 19 09:00 = 259200 s).
	// Senders 2, 2, 1, 1, 3: "1": 2, "2": 2, and 3 alone merges below → "2": 3. Single
	// sender 2/5. Lifetimes 0, 0, 120, 3630, 259200: "0": 2; 120 (bucket 100) and 3630
	// (bucket 3163) reach 2 → "1": 2; 259200 (bucket 251189) alone merges below → "1": 3.
	// p50 = 120; p75 null. Gaps 30, 3600, 120, 10, 259190: p50 = 120, p75 null.
	th := doc.Conversations.Threads
	if th == nil {
		t.Fatal("$.conversations.threads is missing")
	}
	if th.ActiveConversations != 5 || th.Gaps != 5 {
		t.Errorf("threads active/gaps = %d/%d, want 5/5", th.ActiveConversations, th.Gaps)
	}
	tf := sub(t, f, "conversations", "threads")
	wantHist(t, tf, "conversations.threads", "senders_per_conversation_histogram", map[string]int64{"1": 2, "2": 3})
	wantFloat(t, "single_sender_share", th.SingleSenderShare, f64(0.4))
	wantHist(t, tf, "conversations.threads", "lifetime_histogram_seconds", map[string]int64{"0": 2, "1": 3})
	wantFloat(t, "lifetime p50", th.LifetimePercentilesSeconds.P50, f64(120))
	wantFloat(t, "lifetime p75", th.LifetimePercentilesSeconds.P75, nil)
	wantFloat(t, "gap p50", th.GapPercentilesSeconds.P50, f64(120))
	wantFloat(t, "gap p75", th.GapPercentilesSeconds.P75, nil)
	wantSuppressed(t, "conversations.threads", th.Suppressed,
		(len(shape.GridSmallCount())-2)+(len(shape.GridLifetimeSeconds())-2), 4+4)
}

// Who sends, by hand: one conversation where sender i (1…20) sends i messages, 210 in
// all. The busiest 10 send 20 + … + 11 = 155 → 155/210; the busiest 10% (ceil(2) = 2
// senders) 39/210; 1% and 5% are one sender (< k = 2): null. p50 of 1…20 at rank 9.5 →
// 10.5; p75 at rank 14.25 → 15.25 (20·0.25 = 5 ≥ 2); p90 at rank 17.1 → 18.1
// (20·0.1 = 2 ≥ 2); p95 (1 < 2) and p99 null.
func TestPeopleSenderShares(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, `
INSERT INTO public.users (id, username, email, created_at) SELECT u, 'u' || u, 'e' || u, '2025-01-01Z' FROM generate_series(1, 20) u;
INSERT INTO public.conversations (id, kind, title, created_at) VALUES (1, 'channel', NULL, '2025-01-01Z');
INSERT INTO public.conversation_members (conversation_id, user_id, joined_at) SELECT 1, u, '2025-01-01Z' FROM generate_series(1, 20) u;
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT row_number() OVER (), 1, s.u, timestamptz '2025-10-20Z' + (row_number() OVER ()) * interval '1 minute', NULL, 'x'
  FROM generate_series(1, 20) s(u), generate_series(1, 20) i WHERE i <= s.u;`)
	_, doc := export(t, db, 7, 2, time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC))
	s := doc.Users.Senders
	if s == nil || s.ActiveSenders != 20 {
		t.Fatalf("senders = %+v, want 20 active", s)
	}
	wantFloat(t, "top_10", s.TopShare.Top10, f64(155.0/210))
	wantFloat(t, "top_10pct", s.TopShare.Top10Pct, f64(39.0/210))
	wantFloat(t, "top_5pct", s.TopShare.Top5Pct, nil)
	wantFloat(t, "top_1pct", s.TopShare.Top1Pct, nil)
	wantFloat(t, "p50", s.MessagesPerSenderPercentiles.P50, f64(10.5))
	wantFloat(t, "p75", s.MessagesPerSenderPercentiles.P75, f64(15.25))
	wantFloat(t, "p90", s.MessagesPerSenderPercentiles.P90, f64(18.1))
	wantFloat(t, "p95", s.MessagesPerSenderPercentiles.P95, nil)
	// One conversation of 20 members, all of whom sent: one thread with 20 senders.
	th := doc.Conversations.Threads
	wantFloat(t, "single_sender_share", th.SingleSenderShare, nil) // 1 conversation < k
	if m := doc.Users.Memberships; m == nil || m.Users != 20 {
		t.Errorf("memberships = %+v, want 20 users", m)
	}
}

// A contract re-pointed before shape_version 2 (the version-1 columns only) keeps its
// definition through the upgrade and gains sender_id and user_id as NULL, with a
// NOTICE naming what to do; the families that need them are null, the rest of the
// version-2 document (lifetimes, gaps) is there.
func TestPeopleUpgradeKeepsRepointedContract(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Bare)
	ctx := context.Background()
	p, err := migrations.ShapeProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatalf("down to 4: %v", err)
	}
	contract, err := os.ReadFile("../testdata/repointed-contract.sql")
	if err != nil {
		t.Fatal(err)
	}
	// The version-1 contract: the re-pointing example without the two new columns.
	v1 := strings.Replace(strings.Replace(string(contract), ",\n           rm.account_no AS user_id", "", 1),
		",\n           p.author_no AS sender_id", "", 1)
	if v1 == string(contract) {
		t.Fatal("the example no longer has the lines this test removes")
	}
	exec(t, db, v1, `
INSERT INTO legacy.accounts VALUES (1, 'abc', '2025-01-01Z'), (2, 'xyz', '2025-01-01Z');
INSERT INTO legacy.rooms VALUES (1, '2025-01-01Z');
INSERT INTO legacy.room_members VALUES (1, 1), (1, 2);
INSERT INTO legacy.posts VALUES (1, 1, 1, '2025-10-20 09:00Z', 'hey', NULL), (2, 1, 2, '2025-10-20 10:00Z', 'yo', NULL);`)
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	var def string
	if err := db.QueryRow(`SELECT pg_get_viewdef('shape_source.messages'::regclass)`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "legacy.posts") || !strings.Contains(def, "sender_id") {
		t.Errorf("shape_source.messages after the upgrade = %s, want it to read legacy.posts and have sender_id", def)
	}
	_, doc := export(t, db, 7, 2, time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC))
	if doc.Users.Senders != nil || doc.Users.Memberships != nil {
		t.Errorf("senders %+v, memberships %+v: want both null without identities in the contract", doc.Users.Senders, doc.Users.Memberships)
	}
	th := doc.Conversations.Threads
	if th == nil || th.SendersPerConversationHistogram != nil || th.SingleSenderShare != nil {
		t.Fatalf("threads = %+v, want no sender figures", th)
	}
	// One conversation, messages at 09:00 and 10:00: lifetime 3600 s, one gap of 3600 s
	// (both single values under k = 2: the histogram is {} and p50 null).
	if th.ActiveConversations != 1 || th.Gaps != 1 {
		t.Errorf("threads active %d gaps %d, want 1, 1", th.ActiveConversations, th.Gaps)
	}
}

// The version-2 families are held to the privacy policy like the rest: shape_reader
// may not run shape.people_v2 itself, and its policy-checked entry refuses the
// differencing window; with allowed arguments the reader's document, new families
// included, equals the owner's.
func TestPeoplePolicy(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, testdb.Production)
	dropUserFKs(t, db)
	exec(t, db, fixtureSQL)
	conn := readerConn(t, db)
	const t0 = `timestamptz '2025-10-21 23:59:59Z'`
	wantDenied(t, conn, "42501", `SELECT shape.people_v2(30, 10, `+t0+`)::text`, "permission denied")
	wantDenied(t, conn, "42501", `SELECT shape.people_reader_v2(30, 10, `+t0+`)::text`, "UTC day boundary")
	wantDenied(t, conn, "42501", `SELECT shape.people_as_caller_v2(30, 2, '2025-10-22Z')::text`, "requires k ≥ 10")
	var asReader, asOwner string
	if err := conn.QueryRowContext(context.Background(), `SELECT shape.export(30, 10, '2025-10-22Z')::text`).Scan(&asReader); err != nil {
		t.Fatalf("shape_reader, allowed arguments: %v", err)
	}
	if err := db.QueryRow(`SELECT shape.export(30, 10, '2025-10-22Z')::text`).Scan(&asOwner); err != nil {
		t.Fatal(err)
	}
	if asReader != asOwner || !strings.Contains(asOwner, `"threads"`) {
		t.Errorf("shape_reader's version-2 document differs from the owner's, or has no threads")
	}
}
