package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/testdb"
)

const generateSpec = "../../loader/generate/testdata/spec.json"

func TestGenerateBadInput(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"spec_version": "1", "window": {"days": 0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	target := testdb.New(t, testdb.Target)
	production := testdb.New(t, testdb.Production)
	base := []string{"loader", "generate", "--seed", "s", "--report-dir", t.TempDir()}
	for _, tc := range []struct {
		name string
		args []string
		url  string
		want string
	}{
		{"unknown band", []string{"--band", "huge", "--config", generateSpec}, target, `unknown band "huge"`},
		{"shard i ≥ n", []string{"--band", "tiny", "--config", generateSpec, "--shard", "2/2"}, target, "--shard \"2/2\""},
		{"shard n < 1", []string{"--band", "tiny", "--config", generateSpec, "--shard", "0/0"}, target, "--shard \"0/0\""},
		{"shard not i/n", []string{"--band", "tiny", "--config", generateSpec, "--shard", "half"}, target, "is not i/n"},
		{"invalid spec", []string{"--band", "tiny", "--config", bad}, target, "$.window.end"},
		{"missing spec", []string{"--band", "tiny", "--config", bad + ".missing"}, target, "error reading distribution spec"},
		{"not a target", []string{"--band", "tiny", "--config", generateSpec}, production, "not marked as a synthetic target"},
	} {
		var stdout, stderr bytes.Buffer
		args := append(append(append([]string{}, base...), tc.args...), "--database-url", tc.url)
		code := run(context.Background(), args, &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", tc.name, code, msg, tc.want)
		}
	}
	// Nothing was written: no staging schema, no rows, the mark untouched.
	for _, url := range []string{target, production} {
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		var schemas, rows int
		if err := conn.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgshape_gen_%'),
			(SELECT count(*) FROM public.users) + (SELECT count(*) FROM public.messages)`).Scan(&schemas, &rows); err != nil {
			t.Fatal(err)
		}
		conn.Close(context.Background())
		if schemas != 0 || rows != 0 {
			t.Errorf("a refused run wrote: %d staging schemas, %d rows", schemas, rows)
		}
	}
}

func TestGenerateLoadsAndReports(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Target)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"loader", "generate", "--band", "tiny", "--seed", "cli seed/1",
		"--config", generateSpec, "--database-url", url, "--workers", "2", "--report-dir", dir}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"[Generate] ✓ loaded in", "report → "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The band's 20 000 messages, within the 0.1% the stratified counts are solved to.
	var messages int64
	_, line, _ := strings.Cut(out, "[Generate] band tiny: ")
	if _, err := fmt.Sscanf(line, "%d messages", &messages); err != nil || messages < 19_980 || messages > 20_020 {
		t.Errorf("band tiny generated %d messages (%v), want 20000 ± 0.1%%:\n%s", messages, err, out)
	}
	// '/' and ' ' in the seed become '_' in the file name.
	data, err := os.ReadFile(filepath.Join(dir, "report_tiny_cli_seed_1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Band       string
		Seed       string
		SpecSHA256 string `json:"spec_sha256"`
		Tables     []struct {
			Name string
			Rows int64
		}
		Shape *struct {
			Messages struct {
				TotalCount int64 `json:"total_count"`
			}
		}
		Distributions map[string]map[string]int64
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Band != "tiny" || rep.Seed != "cli seed/1" || len(rep.SpecSHA256) != 64 || len(rep.Tables) != 6 {
		t.Fatalf("report header: %+v", rep)
	}
	if rep.Shape == nil || rep.Shape.Messages.TotalCount != messages {
		t.Fatalf("report shape: %+v", rep.Shape)
	}
	if len(rep.Distributions["conversation_size_histogram"]) == 0 || len(rep.Distributions["content_length_histogram"]) == 0 {
		t.Fatalf("report distributions: %v", rep.Distributions)
	}
	// A second run without --truncate is refused; with it, it replaces the rows.
	stdout.Reset()
	stderr.Reset()
	args := []string{"loader", "generate", "--band", "tiny", "--seed", "other", "--config", generateSpec,
		"--database-url", url, "--report-dir", ""}
	if code := run(context.Background(), args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--truncate") {
		t.Fatalf("second run: exit %d, %q; want 2 asking for --truncate", code, stderr.String())
	}
	if code := run(context.Background(), append(args, "--truncate"), &stdout, &stderr); code != 0 {
		t.Fatalf("run with --truncate: exit %d: %s", code, stderr.String())
	}
}
