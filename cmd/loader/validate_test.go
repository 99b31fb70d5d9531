package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

const exampleShape = "../../testdata/shape-example.json"

// writeDoc writes d to dir/name, optionally wrapped as a generator report.
func writeDoc(t *testing.T, dir, name string, d *shape.Document, asReport bool) string {
	t.Helper()
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if asReport {
		data = []byte(`{"band": "tiny", "seed": "s", "shape": ` + buf.String() + `}`)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loaderRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"loader"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidateDatasetGO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := shape.ReadFile(exampleShape)
	if err != nil {
		t.Fatal(err)
	}
	report := writeDoc(t, dir, "report_tiny_s.json", d, true)
	out := filepath.Join(dir, "validation.json")
	code, stdout, stderr := loaderRun(t, "validate", "--baseline", exampleShape, "--dataset", report, "--output", out)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	for _, want := range []string{"[Validation] Comparing against production baseline...\n",
		"[Distribution] Conversation type mix:\n", "=== VALIDATION SUMMARY ===\n", "Total checks: 34\n",
		// the example is shape_version 1: the eight people checks without their families
		// are skipped (gated, they are counted: validate.DefaultPeopleChecks)
		"Passed: 25\n", "Skipped: 9 (", "Decision: GO (within tolerance)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var res struct {
		Decision string            `json:"decision"`
		Checks   []json.RawMessage `json:"checks"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil || res.Decision != "GO" || len(res.Checks) != 34 {
		t.Errorf("validation.json: decision %q, %d checks, %v; want GO with 34", res.Decision, len(res.Checks), err)
	}
}

func TestValidateDatasetNOGO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := shape.ReadFile(exampleShape)
	if err != nil {
		t.Fatal(err)
	}
	*d.Messages.MediaRatio /= 2
	report := writeDoc(t, dir, "report.json", d, true)
	plots := filepath.Join(dir, "plots")
	code, stdout, stderr := loaderRun(t, "validate", "--baseline", exampleShape, "--dataset", report,
		"--output", filepath.Join(dir, "v.json"), "--plots", plots)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (NO-GO); stderr %q", code, stderr)
	}
	if want := "loader: NO-GO: failed: media ratio\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "Δ=-50%, ✗ outside ±5%") || !strings.Contains(stdout, "Decision: NO-GO (failed: media ratio)\n") {
		t.Errorf("stdout does not show the failed media ratio:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(plots, "index.html")); err != nil {
		t.Errorf("--plots wrote no page: %v", err)
	}
}

// Bad input exits 2 with one line that names the problem.
func TestValidateBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notShape := filepath.Join(dir, "not-shape.json")
	os.WriteFile(notShape, []byte(`{"conversations": {}}`), 0o644)
	notReport := filepath.Join(dir, "not-report.json")
	os.WriteFile(notReport, []byte(`{"band": "tiny", "tables": []}`), 0o644)
	out := filepath.Join(dir, "v.json")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"baseline not a shape document", []string{"--baseline", notShape, "--dataset", exampleShape},
			"error reading the baseline: " + notShape + ": invalid shape document: $.shape_version is missing"},
		{"baseline missing", []string{"--baseline", filepath.Join(dir, "nope.json"), "--dataset", exampleShape},
			"error reading the baseline: open "},
		{"report without a shape", []string{"--baseline", exampleShape, "--dataset", notReport},
			`it has neither a "shape" key nor a shape_version`},
		{"tolerance 0", []string{"--baseline", exampleShape, "--dataset", exampleShape, "--tolerance", "0"},
			"error checking --tolerance: 0 is outside (0, 1)"},
		{"tolerance 1.5", []string{"--baseline", exampleShape, "--dataset", exampleShape, "--tolerance", "1.5"},
			"error checking --tolerance: 1.5 is outside (0, 1)"},
		{"no baseline", []string{"--dataset", exampleShape}, "no baseline: pass --baseline"},
		{"both sources", []string{"--baseline", exampleShape, "--dataset", exampleShape, "--database-url", "postgres://x@127.0.0.1:1/x"},
			"pass either --database-url or --dataset, not both"},
	} {
		code, stdout, stderr := loaderRun(t, append([]string{"validate", "--output", out}, tc.args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stdout %q)", tc.name, code, stdout)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: stderr = %q, want one line containing %q", tc.name, stderr, tc.want)
		}
	}
}

func TestStatTests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := loaderRun(t, "stat-tests", exampleShape, exampleShape)
	if code != 0 {
		t.Fatalf("identical documents: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"[StatTests] Loading pilot dataset report...\n",
		"[StatTests] Running KS-test on conversation sizes...\n",
		"  KS statistic: 0.0000, p-value: 1.0000 (at n_eff = 1000; at the full n = 287420, m = 287420: 1.0000)\n",
		"[StatTests] Running chi-squared on content length...\n",
		"=== STATISTICAL TEST SUMMARY ===\n", "Conversation sizes (KS): PASS\n", "Content length (χ²): PASS\n",
		"Decision rule: a test passes when its effect size is within tolerance"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// Move a third of the first bucket ([0, 3): k-anonymity merged 0 and 1 into 2) to
	// three members: the member-count CDF at 3 drops by 64 935 / 287 420 = 0.226.
	d, err := shape.ReadFile(exampleShape)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Conversations.MemberCountHistogram
	var moved int64
	for i := range h {
		if h[i].Lo == 0 {
			moved = h[i].Count / 3
			h[i].Count -= moved
		}
	}
	for i := range h {
		if h[i].Lo == 3 {
			h[i].Count += moved
		}
	}
	report := writeDoc(t, dir, "report.json", d, true)
	code, stdout, stderr = loaderRun(t, "stat-tests", report, exampleShape)
	if !strings.Contains(stdout, "  ✗ D = 0.2259 > 0.10: the distributions differ\n") {
		t.Errorf("shifted sizes: stdout lacks D = 64935/287420 = 0.2259:\n%s", stdout)
	}
	if code != 1 || !strings.Contains(stdout, "Conversation sizes (KS): FAIL\n") || !strings.Contains(stdout, "Content length (χ²): PASS\n") {
		t.Errorf("shifted sizes: exit %d, want 1 with only the KS on sizes failing:\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = loaderRun(t, "stat-tests", report)
	if code != 2 || !strings.Contains(stderr, "want REPORT SHAPE") {
		t.Errorf("one argument: exit %d, stderr %q; want 2 naming REPORT SHAPE", code, stderr)
	}
}
