package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runForPII(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"loader"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestScanPIICorpus(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runForPII(t, "scan-pii", "--input", "../../testdata/pii/corpus.json",
		"--deny-list", "../../testdata/pii/deny.txt")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings); stderr %s", code, stderr)
	}
	// 33 built-in findings and 3 deny-list findings, listed by hand in piiscan's test.
	if n := strings.Count(stdout, "\n"); n != 36 {
		t.Errorf("%d finding lines, want 36:\n%s", n, stdout)
	}
	if !strings.Contains(stdout, "$.planted.email[<key 1>]: email (in a key of 24 chars)\n") {
		t.Errorf("missing the redacted key finding:\n%s", stdout)
	}
	if !strings.Contains(stderr, ": 36 findings (8 api_key, 2 base64_run, 3 card_number, 3 deny_list, 3 email, 2 hex_run, 2 ipv4, 3 ipv6, 2 jwt, 6 phone, 2 uuid): do not export") {
		t.Errorf("stderr lacks the summary: %s", stderr)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	for _, leak := range []string{"example.", "4111", "192.0.2", "eyJ", "AKIA", "acme"} {
		if strings.Contains(stdout+stderr, leak) {
			t.Errorf("output contains %q", leak)
		}
	}
}

func TestScanPIIClean(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "clean.json")
	if err := os.WriteFile(f, []byte(`{"extracted_at": "2025-10-22T10:00:00Z", "h": {"0.25": 10, "10000": 12}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runForPII(t, "scan-pii", "--input", f)
	if code != 0 || stdout != "✓ No PII detected\n" || stderr != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// The allow list silences the corpus entirely when it lists its planted subtree.
	allow := filepath.Join(t.TempDir(), "allow.txt")
	if err := os.WriteFile(allow, []byte("# the planted section is test data\n$.planted\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runForPII(t, "scan-pii", "--input", "../../testdata/pii/corpus.json", "--allow-list", allow)
	if code != 0 || stdout != "✓ No PII detected\n" {
		t.Fatalf("with allow list: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestScanPIIErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "not.json")
	if err := os.WriteFile(notJSON, []byte("extracted_at: yesterday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"scan-pii"}, "--input is required"},
		{"missing file", []string{"scan-pii", "--input", filepath.Join(dir, "absent.json")}, "no such file"},
		{"not JSON", []string{"scan-pii", "--input", notJSON}, "not a JSON document"},
		{"missing deny list", []string{"scan-pii", "--input", notJSON, "--deny-list", filepath.Join(dir, "absent.txt")}, "deny list"},
		{"missing allow list", []string{"scan-pii", "--input", notJSON, "--allow-list", filepath.Join(dir, "absent.txt")}, "allow list"},
	}
	for _, c := range cases {
		code, stdout, stderr := runForPII(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d stderr %q stdout %q; want exit 2 and one line with %q", c.name, code, stderr, stdout, c.want)
		}
	}
}
