package loader_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/shape"
)

// loader sample --privacy dp as a shape_reader login, with the policy in
// differential_privacy mode: the document says how it was made, the release is charged
// once, the same request again writes the same document at no cost, and the exact
// export is refused.
func TestSampleDPAsShapeReader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := fixtureURL(t)
	testdb.Exec(t, url, `UPDATE shape.policy SET mode = 'differential_privacy', dp_epsilon = 3, dp_delta = 1e-6`)
	var err error
	for try := 0; try < 5; try++ {
		if err = testdb.TryExec(url, `GRANT shape_reader TO CURRENT_USER`); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GRANT shape_reader: %v", err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	reader := url + sep + "role=shape_reader"
	sample := func(dir string, privacy string) error {
		var out bytes.Buffer
		return loader.Sample(ctx, loader.SampleOptions{
			DatabaseURL: reader, Output: filepath.Join(dir, "shape-metrics-dp.json"),
			WindowDays: fixtureWindow, AsOf: fixtureAsOf, Salt: testSalt,
			Privacy: privacy, Epsilon: 1, Delta: 1e-6,
		}, &out)
	}
	a, b := t.TempDir(), t.TempDir()
	if err := sample(a, loader.PrivacyDP); err != nil {
		t.Fatal(err)
	}
	if err := sample(b, loader.PrivacyDP); err != nil {
		t.Fatalf("the same request again: %v", err)
	}
	first, err := os.ReadFile(filepath.Join(a, "shape-metrics-dp.json"))
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(b, "shape-metrics-dp.json"))
	if !bytes.Equal(first, second) {
		t.Errorf("the repeated request wrote another document")
	}
	doc, err := shape.Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Privacy == nil || doc.Privacy.Mode != shape.ModeDifferentialPrivacy || doc.Privacy.Epsilon != 1 || doc.Privacy.Delta != 1e-6 ||
		doc.Privacy.Unit != "user" || doc.Privacy.Caps["conversations_per_user"] != 16 {
		t.Fatalf("privacy = %+v", doc.Privacy)
	}
	raw, err := os.ReadFile(filepath.Join(a, "mapping-manifest-dp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man loader.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if man.K != 0 {
		t.Errorf("manifest k = %d, want 0 for a differential-privacy release", man.K)
	}

	var out bytes.Buffer
	if err := loader.PrivacyBudget(ctx, loader.PrivacyBudgetOptions{DatabaseURL: reader}, &out); err != nil {
		t.Fatal(err)
	}
	// ρ(1, 1e-6) = 0.02436 by Canonne, Kamath and Steinke's Proposition 12 (Bun and
	// Steinke's (√(1 + ln 1e6) − √(ln 1e6))² would be 0.0175); one release however often asked
	for _, want := range []string{"policy mode differential_privacy; budget ε = 3 at δ = 1e-06",
		"spent ρ = 0.02435", "in 1 release(s)", "#1 ", ": 30 days to 2025-10-22T00:00:00Z, ε = 1, δ = 1e-06",
		"; caps attachments_per_message 2, conversations_per_user 16, delay_receipts_per_conversation 8, messages_per_conversation 50, messages_per_user 200, receipts_per_conversation 100; ρ weights conversations.activity 15, conversations.member_count 5 (every other vector 1)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("privacy-budget output lacks %q:\n%s", want, out.String())
		}
	}

	// the DBA splits ρ another way: the next release carries the weights, and the
	// budget shows them on its line; with no weights, the even split
	pool, err := loader.Connect(ctx, reader)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, c := range []struct {
		weights string
		epsilon float64
		want    string
	}{
		{`{"conversations.activity": 6, "conversations.member_count": 2.5}`, 0.5,
			"; ρ weights conversations.activity 6, conversations.member_count 2.5 (every other vector 1)"},
		{`{}`, 0.25, "; ρ split evenly"},
	} {
		testdb.Exec(t, url, `UPDATE shape.policy SET dp_weights = '`+c.weights+`'`)
		if _, err := loader.Export(ctx, pool, loader.ExportOptions{WindowDays: fixtureWindow, AsOf: fixtureAsOf, Privacy: loader.PrivacyDP,
			Epsilon: c.epsilon, Delta: 1e-6}); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := loader.PrivacyBudget(ctx, loader.PrivacyBudgetOptions{DatabaseURL: reader}, &out); err != nil {
			t.Fatal(err)
		}
		release := fmt.Sprintf("ε = %g, δ = 1e-06, ρ = ", c.epsilon)
		_, line, found := strings.Cut(out.String(), release)
		line, _, _ = strings.Cut(line, "\n")
		if !found || !strings.HasSuffix(line, "receipts_per_conversation 100"+c.want) {
			t.Errorf("weights %s: privacy-budget output lacks the release %q ending %q:\n%s", c.weights, release, c.want, out.String())
		}
	}

	if err := sample(t.TempDir(), loader.PrivacyKAnonymity); err == nil || !strings.Contains(err.Error(), "differential_privacy mode") {
		t.Errorf("k-anonymous sample in differential_privacy mode: %v, want the policy's refusal", err)
	}
}

func TestExportOptionsPrivacy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o    loader.ExportOptions
		want string // "" = valid
	}{
		{loader.ExportOptions{WindowDays: 30, Privacy: loader.PrivacyDP, Epsilon: 1, Delta: 1e-6}, ""},
		{loader.ExportOptions{WindowDays: 30, Privacy: loader.PrivacyDP, Delta: 1e-6}, "epsilon is 0"},
		{loader.ExportOptions{WindowDays: 30, Privacy: loader.PrivacyDP, Epsilon: 1, Delta: 1}, "delta is 1"},
		{loader.ExportOptions{WindowDays: 30, Privacy: "laplace"}, `"laplace" is not one`},
		{loader.ExportOptions{WindowDays: 30, Privacy: loader.PrivacyKAnonymity, K: 10}, ""},
	} {
		err := c.o.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}
