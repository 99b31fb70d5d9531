package migrations_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/shape"
)

// export runs shape.export(window, k, asOf) and returns the raw JSON, checked by
// shape.Parse (which rejects unknown fields), and the parsed document.
func export(t *testing.T, db *sql.DB, window, k int, asOf time.Time) ([]byte, *shape.Document) {
	t.Helper()
	var raw []byte
	if err := db.QueryRowContext(context.Background(),
		`SELECT shape.export($1, $2, $3)::text`, window, k, asOf).Scan(&raw); err != nil {
		t.Fatalf("shape.export(%d, %d, %s): %v", window, k, asOf.Format(time.RFC3339), err)
	}
	doc, err := shape.Parse(raw)
	if err != nil {
		t.Fatalf("the export does not parse as a shape document: %v", err)
	}
	return raw, doc
}

// fields splits the raw document into family → field → raw JSON.
func fields(t *testing.T, raw []byte) map[string]map[string]json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]json.RawMessage{}
	for _, fam := range []string{"users", "conversations", "messages", "read_receipts", "attachments"} {
		var f map[string]json.RawMessage
		if err := json.Unmarshal(top[fam], &f); err != nil {
			t.Fatalf("$.%s: %v", fam, err)
		}
		out[fam] = f
	}
	return out
}

// wantHist checks a histogram field key by key, keys exactly as written by the SQL.
func wantHist(t *testing.T, f map[string]map[string]json.RawMessage, fam, field string, want map[string]int64) {
	t.Helper()
	var got map[string]int64
	if err := json.Unmarshal(f[fam][field], &got); err != nil {
		t.Fatalf("$.%s.%s: %v", fam, field, err)
	}
	if len(got) != len(want) {
		t.Errorf("$.%s.%s = %v, want %v", fam, field, got, want)
		return
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("$.%s.%s = %v, want %v", fam, field, got, want)
			return
		}
	}
}

// wantFloat checks a nullable number; want nil means null.
func wantFloat(t *testing.T, path string, got, want *float64) {
	t.Helper()
	switch {
	case want == nil && got == nil:
	case want == nil:
		t.Errorf("%s = %v, want null", path, *got)
	case got == nil:
		t.Errorf("%s = null, want %v", path, *want)
	case math.Abs(*got-*want) > 1e-9*math.Max(1, math.Abs(*want)):
		t.Errorf("%s = %.15g, want %.15g", path, *got, *want)
	}
}

func wantSuppressed(t *testing.T, fam string, got shape.Suppressed, merged, nulls int) {
	t.Helper()
	if got.MergedBuckets != merged || got.NullValues != nulls {
		t.Errorf("$.%s.suppressed = %+v, want merged_buckets %d null_values %d", fam, got, merged, nulls)
	}
}

func f64(v float64) *float64 { return &v }

// exec runs each statement, failing the test on the first error.
func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", firstLine(s), err)
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// popCV is the population coefficient of variation σ/μ.
func popCV(xs ...float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss/float64(len(xs))) / mean
}

// dropUserFKs lets a fixture have members, senders and readers without a users row, so
// the users family stays small and hand-countable.
func dropUserFKs(t *testing.T, db *sql.DB) {
	t.Helper()
	exec(t, db,
		`ALTER TABLE public.conversation_members DROP CONSTRAINT conversation_members_user_id_fkey`,
		`ALTER TABLE public.messages DROP CONSTRAINT messages_sender_id_fkey`,
		`ALTER TABLE public.read_receipts DROP CONSTRAINT read_receipts_reader_id_fkey`)
}
