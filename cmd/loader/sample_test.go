package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/internal/testdb"
)

// sampleSalt is made up; it must appear in no output.
const sampleSalt = "cli-test-salt-Wq3Lx8Pz"

// sampleSaltEnv sets a variable private to one test (os.Setenv, since t.Setenv
// forbids t.Parallel) and returns its name.
func sampleSaltEnv(t *testing.T, value string) string {
	t.Helper()
	name := "PGSHAPE_TEST_SALT_" + strings.ToUpper(strings.NewReplacer("/", "_", "-", "_", " ", "_").Replace(t.Name()))
	os.Setenv(name, value)
	t.Cleanup(func() { os.Unsetenv(name) })
	return name
}

func sampleRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"loader", "sample"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSampleBadInput(t *testing.T) {
	t.Parallel()
	saltEnv := sampleSaltEnv(t, sampleSalt)
	unset := "PGSHAPE_TEST_SALT_NEVER_SET_7C1D"
	os.Unsetenv(unset)
	noShape := testdb.New(t, testdb.Bare)
	testdb.Exec(t, noShape, `DROP SCHEMA IF EXISTS shape CASCADE`)
	good := testdb.New(t, testdb.Production)

	aFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing salt", []string{"--salt-env", unset, "--window-days", "30", "--database-url", good},
			unset + " environment variable required: export it from your secrets manager"},
		{"window 0", []string{"--window-days", "0", "--database-url", good}, "window_days is 0"},
		{"window missing", []string{"--database-url", good}, "window_days is 0"},
		{"window negative", []string{"--window-days", "-7", "--database-url", good}, "window_days is -7"},
		{"k 1", []string{"--window-days", "30", "--k", "1", "--database-url", good}, "k is 1, want at least 2"},
		{"k 0", []string{"--window-days", "30", "--k", "0", "--database-url", good}, "k is 0, want at least 2"},
		{"bad as-of", []string{"--window-days", "30", "--as-of", "yesterday", "--database-url", good}, "not an RFC 3339 time"},
		{"zero timeout", []string{"--window-days", "30", "--statement-timeout", "0s", "--database-url", good}, "--statement-timeout"},
		{"no server", []string{"--window-days", "30", "--database-url", "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=3"},
			"no PostgreSQL server answers at 127.0.0.1:1"},
		{"wrong URL", []string{"--window-days", "30", "--database-url", "postgres://someone:hunter2secret@127.0.0.1:notaport/db"},
			"the database URL is not valid"},
		{"no database", []string{"--window-days", "30", "--database-url", "postgres://postgres@127.0.0.1:5432/pgshape_no_such_database?sslmode=disable"},
			`database "pgshape_no_such_database" does not exist`},
		{"no shape schema", []string{"--window-days", "30", "--database-url", noShape}, "run `loader migrate`"},
		{"output dir missing", []string{"--window-days", "30", "--database-url", good, "--output-dir-missing"}, "writable directory"},
		{"output is a directory", []string{"--window-days", "30", "--database-url", good, "--output-is-dir"}, "is a directory"},
		{"output under a file", []string{"--window-days", "30", "--database-url", good, "--output-under-file"}, "writable directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{"--salt-env", saltEnv}
			out := filepath.Join(dir, "shape-metrics-x.json")
			for _, a := range c.args {
				switch a {
				case "--output-dir-missing":
					out = filepath.Join(dir, "missing", "shape-metrics-x.json")
				case "--output-is-dir":
					out = dir
				case "--output-under-file":
					out = filepath.Join(aFile, "shape-metrics-x.json")
				default:
					args = append(args, a)
				}
			}
			args = append(args, "--output", out)
			code, stdout, stderr := sampleRun(args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr)
			}
			if !strings.HasPrefix(stderr, "loader: ") || !strings.Contains(stderr, c.want) ||
				strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line with %q", stderr, c.want)
			}
			if strings.Contains(stderr, "hunter2secret") {
				t.Error("the error repeats the URL's password")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files left: %v", entries)
			}
			for _, form := range []string{sampleSalt, hex.EncodeToString([]byte(sampleSalt))} {
				if strings.Contains(stdout+stderr, form) {
					t.Error("the output contains the salt")
				}
			}
		})
	}
}

// The default variable's message is the guide's troubleshooting line.
func TestSampleDefaultSaltMessage(t *testing.T) {
	t.Parallel()
	if os.Getenv("ANONYMIZATION_SALT") != "" {
		t.Skip("ANONYMIZATION_SALT is set in this environment")
	}
	code, _, stderr := sampleRun("--window-days", "30", "--output", filepath.Join(t.TempDir(), "x.json"))
	if code != 2 || !strings.HasPrefix(stderr, "loader: ANONYMIZATION_SALT environment variable required: ") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

// A successful run on a fixture database: exit 0, both files 0600, the salt in no
// output, and the document passes scan-pii.
func TestSampleAndScan(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Production)
	fixture, err := os.ReadFile("../../testdata/pii/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, url, string(fixture))
	dir := t.TempDir()
	out := filepath.Join(dir, "shape-metrics-cli.json")
	code, stdout, stderr := sampleRun("--salt-env", sampleSaltEnv(t, sampleSalt), "--database-url", url,
		"--output", out, "--window-days", "30", "--as-of", "2025-10-22T00:00:00Z", "--statement-timeout", "2m")
	if code != 0 {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "[Messages] ✓ Sampled 3,000 messages (30-day window)\n") ||
		!strings.HasSuffix(stdout, "[Manifest] ✓ Written to "+filepath.Join(dir, "mapping-manifest-cli.json")+"\n") {
		t.Errorf("stdout %q", stdout)
	}
	all := stdout + stderr
	for _, name := range []string{"shape-metrics-cli.json", "mapping-manifest-cli.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(filepath.Join(dir, name))
		all += string(b)
	}
	for _, form := range []string{sampleSalt, hex.EncodeToString([]byte(sampleSalt))} {
		if strings.Contains(all, form) {
			t.Error("the salt appears in the output")
		}
	}
	// Both files scan clean as they are: the manifest's hashes are recognised as its own.
	manifest := filepath.Join(dir, "mapping-manifest-cli.json")
	for _, f := range []string{out, manifest} {
		var sout, serr bytes.Buffer
		if code := run(context.Background(), []string{"loader", "scan-pii", "--input", f}, &sout, &serr); code != 0 ||
			sout.String() != "✓ No PII detected\n" {
			t.Errorf("scan-pii %s: exit %d stdout %q stderr %q", filepath.Base(f), code, sout.String(), serr.String())
		}
	}
	// Only the hashes: an address put where the salt fingerprint goes, or a hex run
	// elsewhere in the manifest, is still a finding.
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["salt_fingerprint"] = "ops@example.com"
	m["loader_version"] = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" // sha256("x")
	bad, _ := json.Marshal(m)
	badPath := filepath.Join(dir, "tampered.json")
	if err := os.WriteFile(badPath, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var sout, serr bytes.Buffer
	code = run(context.Background(), []string{"loader", "scan-pii", "--input", badPath}, &sout, &serr)
	if code != 1 || !strings.Contains(sout.String(), "$.salt_fingerprint") || !strings.Contains(sout.String(), "$.loader_version") {
		t.Errorf("tampered manifest: exit %d stdout %q, want findings at $.salt_fingerprint and $.loader_version", code, sout.String())
	}
}

// sample's help names --window-days as required, not as defaulting to 0.
func TestSampleHelpWindowDays(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"loader", "sample", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "--window-days") && (strings.Contains(line, "(default: 0)") || !strings.Contains(line, "(required)")) {
			t.Errorf("help line %q: want (required) and no default of 0", line)
		}
	}
}
