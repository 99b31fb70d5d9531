package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// The privacy flags of loader sample, and loader privacy-budget on a fresh layer.
func TestPrivacyCommands(t *testing.T) {
	t.Parallel()
	saltEnv := sampleSaltEnv(t, sampleSalt)
	good := testdb.New(t, testdb.Production)
	out := filepath.Join(t.TempDir(), "shape-metrics-dp.json")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown mode", []string{"--privacy", "laplace"}, `"laplace" is not one: pass --privacy k-anonymity (the default) or --privacy dp`},
		{"no epsilon", []string{"--privacy", "dp"}, "epsilon is 0, want a positive number"},
		{"delta 1", []string{"--privacy", "dp", "--epsilon", "1", "--delta", "1"}, "delta is 1, want 0 < delta < 1"},
		{"as-of inside a day", []string{"--privacy", "dp", "--epsilon", "1", "--as-of", "2025-10-21T23:59:59Z"},
			"error running shape.export_dp: error exporting the differential-privacy shape for as_of = 2025-10-21T23:59:59.000000Z: the privacy policy (shape.policy) requires as_of at a UTC day boundary"},
	} {
		args := append([]string{"--salt-env", saltEnv, "--window-days", "30", "--output", out, "--database-url", good}, c.args...)
		code, _, stderr := sampleRun(args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line with %q", c.name, code, stderr, c.want)
		}
	}

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"loader", "privacy-budget", "--database-url", good}, &stdout, &stderr)
	// ρ(1, 1e-6) = 0.0243555 by Canonne, Kamath and Steinke's Proposition 12 (docs/privacy.md)
	want := "[Privacy] policy mode k_anonymity; budget ε = 1 at δ = 1e-06 (zCDP ρ = 0.0243555)\n" +
		"[Privacy] spent ρ = 0 (ε = 0 at δ = 1e-06) in 0 release(s); remaining ρ = 0.0243555\n"
	if code != 0 || stdout.String() != want {
		t.Errorf("privacy-budget: exit %d, stdout %q, stderr %q; want\n%s", code, stdout.String(), stderr.String(), want)
	}
}
