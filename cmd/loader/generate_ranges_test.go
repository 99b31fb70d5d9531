package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// The absurd but finite inputs of issue 11, which ran until killed or panicked: each
// is refused with exit 2 and one line naming the field, its value and its range,
// before anything is generated (the test would time out otherwise).
func TestGenerateRefusesAbsurdValues(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(generateSpec)
	if err != nil {
		t.Fatal(err)
	}
	// withValue writes the test spec with the value at path (object keys) replaced.
	withValue := func(v any, path ...string) string {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		obj := doc
		for _, k := range path[:len(path)-1] {
			obj = obj[k].(map[string]any)
		}
		obj[path[len(path)-1]] = v
		out, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "spec.json")
		if err := os.WriteFile(f, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	target := testdb.New(t, testdb.Target)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"attachments per media message", []string{"--config", withValue(1e12, "attachments", "per_media_message")},
			"$.attachments.per_media_message is 1e+12, want [1, 100]"},
		{"users per message", []string{"--config", withValue(1e9, "users", "per_message")},
			"$.users.per_message is 1e+09, want (0, 1000]"},
		{"text max length", []string{"--config", withValue(1e18, "messages", "content", "text_length", "max")},
			"$.messages.content.text_length.max is 1e+18, want [0, 1.048576e+06]"},
		{"window days", []string{"--config", withValue(1_000_000_000, "window", "days")},
			"$.window.days is 1000000000, want 1 to 3660"},
		{"mean gap", []string{"--config", withValue(1e300, "messages", "inter_arrival", "burst", "mean_gap_seconds")},
			"$.messages.inter_arrival.burst.mean_gap_seconds is 1e+300, want (0, 86400]"},
		{"renewal gap", []string{"--config", withValue(map[string]any{"model": "self_exciting_chain", "continue_probability": 0.5,
			"mean_gap_seconds": 30, "spacing_shape": 1, "start_model": "renewal", "gap_mu": 1e300, "gap_sigma": 1},
			"messages", "inter_arrival", "burst")},
			"$.messages.inter_arrival.burst.gap_mu is 1e+300, want [-20, 40]"},
		{"band messages", []string{"--config", withValue(map[string]any{"messages": 1e12}, "bands", "tiny")},
			"$.bands.tiny.messages is 1000000000000, want 1 to 10000000000"},
		{"--messages", []string{"--config", generateSpec, "--messages", "1000000000000"},
			"--messages is 1000000000000, want 1 to 10000000000"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"loader", "generate", "--band", "tiny", "--seed", "s", "--report-dir", "",
			"--database-url", target}, tc.args...)
		code := run(context.Background(), args, &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout and one line with %q", tc.name, code, stdout.String(), msg, tc.want)
		}
	}
}

// loader fit refuses to write a spec outside the ranges: a shape document whose window
// is 100 000 days fits a spec generate would refuse, so fit exits 2 with the spec's
// field, value and range, and writes no spec.
func TestFitRefusesAnOutOfRangeSpec(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("../../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(good, &doc); err != nil {
		t.Fatal(err)
	}
	doc["sample_window_days"] = json.RawMessage(`100000`)
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "shape.json"), filepath.Join(dir, "spec.json")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runFit(t, in, "--report", filepath.Join(dir, "r.json"), "--spec", out)
	if want := "$.window.days is 100000, want 1 to 3660"; code != 2 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d stderr %q; want 2 and one line containing %q", code, stderr, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("fit wrote the out-of-range spec (stat: %v)", err)
	}
}
