package generate

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// The estimate announced before a load predicts the rows of every table (members and
// receipts measured on the run's own conversations: all of them at this size, so
// exactly) and the bytes the tables and their indexes take once loaded, within 25 %
// of pg_total_relation_size (per-row figures calibrated on the default spec, checked
// here on the test spec).
func TestEstimateMatchesTheLoad(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	opts := options(t, url)
	opts.Messages, opts.NoShape = 100_000, true
	var out bytes.Buffer
	res, err := Run(context.Background(), opts, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "[Generate] about ") || !strings.Contains(out.String(), "on disk with indexes") {
		t.Fatalf("no size announced:\n%s", out.String())
	}
	m, err := newModel(opts.Spec, opts.Seed, opts.Messages)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(context.Background(), m, Shard{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	e := estimate(p)
	for _, tb := range Tables {
		if got, want := e.Rows[tb], res.Rows(tb); got != want {
			t.Errorf("%s: %d rows estimated, %d loaded", tb, got, want)
		}
	}
	conn := testdb.Conn(t, url)
	var disk int64
	if err := conn.QueryRow(context.Background(), `SELECT sum(pg_total_relation_size(format('public.%I', t)))::bigint
		FROM unnest($1::text[]) t`, Tables).Scan(&disk); err != nil {
		t.Fatal(err)
	}
	if r := float64(e.Bytes) / float64(disk); r < 0.75 || r > 1.25 {
		t.Errorf("estimated %d bytes, the tables take %d (ratio %.2f), want within 25 %%", e.Bytes, disk, r)
	}
	t.Logf("estimated %s, loaded %s", humanBytes(e.Bytes), humanBytes(disk))
}

// A load that needs more than the free space is refused with one line; unknown free
// space or enough of it lets it run.
func TestFitsRefusesWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	e := Estimate{Bytes: 3 << 30}
	err := fits(e, 2<<30, "/srv/pg", true)
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "about 3.0 GiB to write and 2.0 GiB free under /srv/pg") {
		t.Errorf("3 GiB into 2 GiB: %v", err)
	}
	if err := fits(e, 4<<30, "/srv/pg", true); err != nil {
		t.Errorf("3 GiB into 4 GiB: %v", err)
	}
	if err := fits(e, 0, "", false); err != nil {
		t.Errorf("unknown free space: %v", err)
	}
}
