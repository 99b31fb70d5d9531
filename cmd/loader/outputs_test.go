package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
)

// TestHelperLoader is the loader itself, for the tests that must run it in another
// working directory (a test may not change its own): it runs only when
// PGSHAPE_LOADER_ARGS holds the arguments, one per line.
func TestHelperLoader(t *testing.T) {
	args := os.Getenv("PGSHAPE_LOADER_ARGS")
	if args == "" {
		t.Skip("runs only as a subprocess of TestDefaultOutputFolder")
	}
	os.Exit(run(context.Background(), append([]string{"loader"}, strings.Split(args, "\n")...), os.Stdout, os.Stderr))
}

// loaderIn runs the loader in dir, as a subprocess.
func loaderIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperLoader$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PGSHAPE_LOADER_ARGS="+strings.Join(args, "\n"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// The result goes to a dated folder under the working directory, named on stdout; an
// existing file is kept (exit 2, one line naming --overwrite) unless --overwrite.
func TestDefaultOutputFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	example, err := filepath.Abs(exampleShape)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := loaderIn(t, dir, "validate", "--baseline", example, "--dataset", example)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	m := regexp.MustCompile(`\[Validation\] Wrote (pgshape-out/(\d{8}T\d{6}Z)/validation\.json)\n`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout names no pgshape-out/<UTC date-time>/validation.json:\n%s", stdout)
	}
	if at, err := time.Parse("20060102T150405Z", m[2]); err != nil || time.Since(at) > time.Hour || time.Since(at) < -time.Minute {
		t.Errorf("folder %s is not this run's UTC time (%v)", m[2], err)
	}
	if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
		t.Errorf("the named file is not there: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != "pgshape-out" {
		t.Errorf("the working directory holds %v, want only pgshape-out", entries)
	}

	out := filepath.Join(dir, "validation.json")
	if err := os.WriteFile(out, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = loaderIn(t, dir, "validate", "--baseline", example, "--dataset", example, "--output", "validation.json")
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "validation.json: it exists and is kept: pass --overwrite") {
		t.Errorf("over an existing file: exit %d, stderr %q; want 2 and one line naming --overwrite", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "mine" {
		t.Errorf("the existing file changed: %q", b)
	}
	code, _, stderr = loaderIn(t, dir, "validate", "--baseline", example, "--dataset", example, "--output", "validation.json", "--overwrite")
	if b, _ := os.ReadFile(out); code != 0 || !bytes.Contains(b, []byte(`"decision": "GO"`)) {
		t.Errorf("with --overwrite: exit %d, stderr %q, file %.40q", code, stderr, b)
	}
}

// `loader validate --database-url` on a database without the synthetic-target mark
// (production itself) is refused in one line, exit 2, nothing written; with
// --allow-any-target it compares, and says what: which kind of database, which window.
func TestValidateRefusesAnyTarget(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Production)
	_, baseline, out := demoBaseline(t, url, 20000)

	code, stdout, stderr := loaderRun(t, "validate", "--baseline", baseline, "--database-url", url, "--output", out)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "is not a synthetic target") ||
		!strings.Contains(stderr, "pass --allow-any-target") {
		t.Errorf("exit %d, stderr %q; want 2 and one line refusing a database without the mark", code, stderr)
	}
	if strings.Contains(stdout, "Decision") {
		t.Errorf("a refused run compared anyway:\n%s", stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote %s (stat: %v)", out, err)
	}

	code, stdout, stderr = loaderRun(t, "validate", "--baseline", baseline, "--database-url", url, "--output", out, "--allow-any-target")
	if code != 0 {
		t.Fatalf("with --allow-any-target: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"is not a synthetic target (no pgshape.synthetic_target mark): comparing it with the baseline anyway",
		"[Validation] Exporting the shape of that database (the baseline's window: 30 days ending 2025-10-22T00:00:00Z, k=10)...\n",
		"Decision: GO"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var res struct {
		Candidate struct {
			Source string `json:"source"`
		} `json:"candidate"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil || !strings.HasPrefix(res.Candidate.Source, "database that is not a synthetic target ") ||
		!strings.Contains(res.Candidate.Source, "the baseline's window: 30 days ending 2025-10-22T00:00:00Z, k=10") {
		t.Errorf("validation.json candidate.source = %q (%v), want the kind of database and the window", res.Candidate.Source, err)
	}
}

// An existing report is refused before the load (exit 2, --overwrite named), and the
// target keeps no rows.
func TestGenerateKeepsAnExistingReport(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report_tiny_s.json"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := loaderRun(t, "generate", "--band", "tiny", "--seed", "s", "--config", generateSpec,
		"--database-url", url, "--report-dir", dir)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "report_tiny_s.json: it exists and is kept: pass --overwrite") {
		t.Errorf("exit %d, stderr %q; want 2 and one line naming --overwrite", code, stderr)
	}
	pool, err := loader.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows int64
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM public.messages`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("the refused run loaded %d messages (%v)", rows, err)
	}
}
