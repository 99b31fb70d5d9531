package refschema_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/shape"
	refschema "github.com/pgshape/pgshape/sql"
	"github.com/pgshape/pgshape/stats"
)

// The demo data follows the parameters its header promises. Tolerances are several
// standard errors wide at this size (n ≈ 20 000 messages).
func TestDemoFillFollowsItsParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.Open(t, testdb.Production)
	asOf := time.Date(2025, 10, 22, 0, 0, 0, 0, time.UTC)
	if _, err := db.ExecContext(ctx, refschema.DemoFillSQL(20000, asOf, 0.42)); err != nil {
		t.Fatalf("fill: %v", err)
	}
	var (
		msgs, inWindow                     int64
		media, read, twoShare, large       float64
		orphanSender, badReader, early     int64
		meanLogLen, sdLogLen, attachPerMed float64
	)
	q := func(sql string, dst ...any) {
		t.Helper()
		if err := db.QueryRowContext(ctx, sql).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`SELECT count(*), count(*) FILTER (WHERE created_at >= '2025-09-22' AND created_at < '2025-10-22'),
	          avg((media_kind IS NOT NULL)::int) FROM messages`, &msgs, &inWindow, &media)
	q(`SELECT avg((EXISTS (SELECT 1 FROM read_receipts r WHERE r.message_id = m.id))::int) FROM messages m`, &read)
	// The read law by room size, against its formulas (not the SQL that draws it): a
	// message in a room of m members is read with probability 0.86 − 0.04·ln(m/2), and
	// a read one has 1 + min(G, m − 2) receipts with G geometric, P(G ≥ j) = q^j,
	// q = μ/(1 + μ), μ = 0.3·√(m − 1): E[min(G, c)] = q(1 − q^c)/(1 − q). Small rooms
	// (m < 21) and large ones apart; the expectations average over the actual messages.
	var readSmall, wantReadSmall, readLarge, wantReadLarge, perSmall, wantPerSmall, perLarge, wantPerLarge float64
	q(`WITH mm AS (SELECT m.id, (SELECT count(*) FROM conversation_members c WHERE c.conversation_id = m.conversation_id)::float8 AS n,
	                      (SELECT count(*) FROM read_receipts r WHERE r.message_id = m.id)::float8 AS k
	                 FROM messages m),
	        law AS (SELECT n, k, 0.86 - 0.04 * ln(n / 2) AS p, 0.3 * sqrt(n - 1) / (1 + 0.3 * sqrt(n - 1)) AS q FROM mm)
	   SELECT avg((k > 0)::int) FILTER (WHERE n < 21), avg(p) FILTER (WHERE n < 21),
	          avg((k > 0)::int) FILTER (WHERE n >= 21), avg(p) FILTER (WHERE n >= 21),
	          avg(k) FILTER (WHERE n < 21 AND k > 0), sum(p * (1 + q * (1 - power(q, n - 2)) / (1 - q))) FILTER (WHERE n < 21) / sum(p) FILTER (WHERE n < 21),
	          avg(k) FILTER (WHERE n >= 21 AND k > 0), sum(p * (1 + q * (1 - power(q, n - 2)) / (1 - q))) FILTER (WHERE n >= 21) / sum(p) FILTER (WHERE n >= 21)
	     FROM law`, &readSmall, &wantReadSmall, &readLarge, &wantReadLarge, &perSmall, &wantPerSmall, &perLarge, &wantPerLarge)
	q(`SELECT avg((n = 2)::int), avg((n > 20)::int) FROM (SELECT count(*) n FROM conversation_members GROUP BY conversation_id) s`, &twoShare, &large)
	q(`SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM conversation_members c
	     WHERE c.conversation_id = m.conversation_id AND c.user_id = m.sender_id)`, &orphanSender)
	q(`SELECT count(*) FROM read_receipts r JOIN messages m ON m.id = r.message_id
	     WHERE r.reader_id = m.sender_id OR NOT EXISTS (SELECT 1 FROM conversation_members c
	     WHERE c.conversation_id = m.conversation_id AND c.user_id = r.reader_id)`, &badReader)
	q(`SELECT count(*) FROM read_receipts r JOIN messages m ON m.id = r.message_id WHERE r.read_at < m.created_at`, &early)
	q(`SELECT avg(ln(char_length(content) + 0.5)), stddev_pop(ln(char_length(content) + 0.5)) FROM messages
	     WHERE content IS NOT NULL AND char_length(content) BETWEEN 1 AND 1999`, &meanLogLen, &sdLogLen)
	q(`SELECT (SELECT count(*) FROM attachments)::float8 / (SELECT count(*) FROM messages WHERE media_kind IS NOT NULL)`, &attachPerMed)

	if msgs < 15000 || msgs > 30000 || inWindow != msgs {
		t.Errorf("messages = %d (in window %d), want ≈ 20000, all in the window", msgs, inWindow)
	}
	within := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	within("media ratio", media, 0.163, 0.015)
	within("read rate", read, 0.81, 0.015)
	t.Logf("read rate small rooms %.4f (law %.4f), large %.4f (law %.4f); receipts per read message small %.3f (law %.3f), large %.3f (law %.3f)",
		readSmall, wantReadSmall, readLarge, wantReadLarge, perSmall, wantPerSmall, perLarge, wantPerLarge)
	within("read rate, rooms < 21 members", readSmall, wantReadSmall, 0.015)
	within("read rate, rooms ≥ 21 members", readLarge, wantReadLarge, 0.03)
	within("receipts per read message, rooms < 21 members", perSmall, wantPerSmall, 0.03)
	within("receipts per read message, rooms ≥ 21 members", perLarge, wantPerLarge, 0.05*wantPerLarge)
	// Type mix over conversations: 0.68 two-member, 0.05 large (binomial se ≈ 0.01 / 0.005 at ~900 conversations).
	within("one-to-one share", twoShare, 0.68, 0.05)
	within("large-group share", large, 0.05, 0.025)
	// floor(exp(N(4.2, 0.9))) measured as ln(len + 0.5) ≈ N(4.2, 0.9) (the floor shifts the mean by < 0.01).
	within("mean log content length", meanLogLen, 4.2, 0.05)
	within("sd log content length", sdLogLen, 0.9, 0.05)
	within("attachments per media message", attachPerMed, 1.1, 0.03)
	// Size × activity: the polychoric correlation of the conversations' member-count ×
	// activity table on the export's grid recovers the copula's ρ = 0.5 (standard error
	// about 0.04 at ~900 conversations).
	table := make([][]float64, len(shape.JointMemberBuckets))
	for i := range table {
		table[i] = make([]float64, len(shape.JointActivityBuckets))
	}
	rows, err := db.QueryContext(ctx, `SELECT (SELECT count(*) FROM conversation_members cm WHERE cm.conversation_id = c.id),
	       (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var members, activity float64
		if err := rows.Scan(&members, &activity); err != nil {
			t.Fatal(err)
		}
		table[shape.BucketIndex(shape.JointMemberBuckets, members)][shape.BucketIndex(shape.JointActivityBuckets, activity)]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rho, err := stats.Polychoric(table)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("size × activity polychoric ρ = %.3f", rho)
	within("size × activity polychoric ρ", rho, 0.5, 0.12)

	if orphanSender != 0 || badReader != 0 || early != 0 {
		t.Errorf("consistency: %d senders not members, %d bad readers, %d receipts before their message", orphanSender, badReader, early)
	}
}
