package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/spec"
)

func TestCalibrateBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--baseline", exampleShape, "--max-rounds", "0"}, "error checking --max-rounds: 0, want at least 1"},
		{[]string{"--baseline", exampleShape, "--tolerance", "1"}, "error checking --tolerance: 1 is outside (0, 1)"},
		{[]string{"--baseline", exampleShape, "--spec", exampleShape}, "start from `loader fit`"},
		{[]string{"--database-url", "postgres://x@127.0.0.1:1/x"}, "no baseline: pass --baseline"},
	} {
		code, _, stderr := loaderRun(t, append([]string{"calibrate"}, tc.args...)...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line containing %q", tc.args, code, stderr, tc.want)
		}
	}
}

// One round from a spec whose media ratio is a tenth of the baseline's cannot be GO:
// exit 1, and the round's spec is still written.
func TestCalibrateNotConverged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := spec.Default()
	s.Messages.Content.MediaRatio = 0.0163
	// The band is the pilot's size: a pilot below the band would be raised to the size
	// its shares need (calibrate.PilotMessages) and its GO confirmed at the band's.
	s.Bands["tiny"] = spec.Band{Messages: 20000}
	data, _ := json.Marshal(s)
	start := filepath.Join(dir, "start.json")
	os.WriteFile(start, data, 0o644)
	out := filepath.Join(dir, "calibrated.json")
	code, stdout, stderr := loaderRun(t, "calibrate", "--baseline", exampleShape, "--database-url", testdb.New(t, testdb.Target),
		"--spec", start, "--max-rounds", "1", "--messages", "20000", "--spec-out", out)
	if code != 1 || !strings.Contains(stderr, "calibration did not converge in 1 rounds") {
		t.Fatalf("exit %d, stderr %q; want 1 and not converged:\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "[Calibrate] Round 1: 20000-message pilot: NO-GO") || !strings.Contains(stdout, "media ratio") {
		t.Errorf("stdout lacks the round table with the media ratio:\n%s", stdout)
	}
	got, err := spec.ReadFile(out)
	if err != nil || got.Messages.Content.MediaRatio != 0.0163 {
		t.Errorf("written spec: %v; want round 1's spec (media ratio 0.0163)", err)
	}
}
