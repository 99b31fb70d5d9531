package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/spec"
)

func runFit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"loader", "fit"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestFitCommand: `loader fit SHAPE --report … --spec …` as the guide writes it: the
// guide's progress lines and summary, a report with the guide's keys, and a spec that
// the generator's reader accepts as it is.
func TestFitCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep, sp := filepath.Join(dir, "calibration-report.json"), filepath.Join(dir, "distribution-spec.json")
	code, stdout, stderr := runFit(t, "../../testdata/shape-example.json", "--report", rep, "--spec", sp)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, line := range []string{
		"[Calibration] Loading shape metrics...\n",
		"[Calibration] Fitting distributions...\n",
		"[Calibration] ✓ Fitted all distributions\n",
		"[Calibration] ✓ Written to " + rep + "\n",
		"[Calibration] ✓ Written to " + sp + "\n",
		"\n=== CALIBRATION SUMMARY ===\n",
		// The example's type_distribution (0.6778/0.2719/0.0503), as percentages.
		"Conversation type mix: 67.8% 1:1, 27.2% small, 5.0% large\n",
		"Messages/conversation power-law: α=",
		"(p50=14, p95=1205)\n",
		// The example's counts are a log-normal from below 1; over its 217 653
		// conversations the shift (0.13) gains 11 in log-likelihood, more than BIC's
		// ln N / 2 = 6.1.
		"Messages/conversation model: shifted discrete log-normal won by BIC (power law ",
		// content_length_mean 66.5 and median 36 of the example, as the guide prints them.
		"(mean=66, median=36)\n",
		"Inter-arrival exponential: λ_peak=",
		"Read timing: ",
		"read rate 82.0%",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, stdout)
		}
	}
	// The report keeps the guide's keys.
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	fd, _ := r["fitted_distributions"].(map[string]any)
	for _, path := range [][]string{
		{"conversation_sizes", "type_mix", "one_to_one"},
		{"conversation_sizes", "small_group_geometric_p"},
		{"conversation_sizes", "large_group_powerlaw_alpha"},
		{"messages_per_conversation", "alpha"},
		{"messages_per_conversation", "observed_p99"},
		{"content_length", "mu"},
		{"content_length", "observed_median"},
		{"inter_arrival", "mean_lambda_peak"},
		{"inter_arrival", "burst_coefficient"},
		{"read_timing", "immediate_percentage"},
		{"read_timing", "near_term_exponential_mean"},
		{"read_timing", "delayed_lognormal_sigma"},
	} {
		var v any = fd
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		if _, ok := v.(float64); !ok {
			t.Errorf("report lacks fitted_distributions.%s", strings.Join(path, "."))
		}
	}
	if ft, _ := r["fidelity_targets"].(map[string]any); ft["percentile_tolerance"] != 0.2 || ft["conversation_type_tolerance"] != 0.1 || ft["media_ratio_tolerance"] != 0.05 {
		t.Errorf("fidelity_targets %v, want the guide's 0.1/0.05/0.2", ft)
	}
	if g, _ := r["goodness_of_fit"].(map[string]any); len(g) != 6 {
		t.Errorf("goodness_of_fit has %d families, want 6", len(g))
	}
	s, err := spec.ReadFile(sp)
	if err != nil {
		t.Fatalf("the written spec does not read back: %v", err)
	}
	if s.Source != "shape-example.json" || s.Bands["tiny"].Messages != 50_000 {
		t.Errorf("spec source %q, tiny band %d", s.Source, s.Bands["tiny"].Messages)
	}
}

// TestFitCommandBadInput: malformed JSON, a missing family and an unknown
// shape_version each give exit 2 and one line naming the JSON path.
func TestFitCommandBadInput(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("../../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(good, &doc); err != nil {
		t.Fatal(err)
	}
	without := func(key string) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range doc {
			if k != key {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return b
	}
	with := func(key, value string) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range doc {
			m[k] = v
		}
		m[key] = json.RawMessage(value)
		b, _ := json.Marshal(m)
		return b
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"malformed", good[:len(good)/2], "$ is not valid JSON"},
		{"missing family", without("messages"), "$.messages is missing"},
		{"unknown version", with("shape_version", `"7"`), "$.shape_version is \"7\""},
		{"bad histogram", with("read_receipts", `{"delay_histogram_minutes": {"x": 1}}`), "$.read_receipts.delay_histogram_minutes: histogram key \"x\""},
		{"wrong type", with("users", `{"total_count": "many"}`), "$.users.total_count has the wrong type"},
	} {
		f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(f, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runFit(t, f, "--report", filepath.Join(dir, "r.json"), "--spec", filepath.Join(dir, "s.json"))
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d stderr %q; want 2 and one line containing %q", c.name, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r.json")); !os.IsNotExist(err) {
		t.Errorf("a failed fit wrote a report (stat: %v)", err)
	}
	if code, _, stderr := runFit(t); code != 2 || !strings.Contains(stderr, "no shape document given") {
		t.Errorf("no argument: exit %d stderr %q", code, stderr)
	}
	if code, _, stderr := runFit(t, "../../testdata/shape-example.json", "extra.json"); code != 2 || !strings.Contains(stderr, "want one shape document") {
		t.Errorf("two arguments: exit %d stderr %q", code, stderr)
	}
}
