package loader_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/testdb"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/piiscan"
	"github.com/pgshape/pgshape/shape"
)

// testSalt is a made-up salt; the tests look for it (and its hex and base64 forms)
// everywhere the sampler writes.
const testSalt = "pgshape-test-salt-Q7mZ2vK9"

func TestSampleOptionsValidate(t *testing.T) {
	t.Parallel()
	ok := loader.SampleOptions{Output: "x.json", WindowDays: 30, Salt: testSalt}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid options rejected: %v", err)
	}
	cases := []struct {
		name string
		edit func(*loader.SampleOptions)
		want string
	}{
		// The guide's troubleshooting message, first in the line.
		{"no salt", func(o *loader.SampleOptions) { o.Salt = "" }, "ANONYMIZATION_SALT environment variable required: "},
		{"other salt variable", func(o *loader.SampleOptions) { o.Salt, o.SaltEnv = "", "MY_SALT" }, "MY_SALT environment variable required: "},
		{"no output", func(o *loader.SampleOptions) { o.Output = "" }, "Output is required"},
		{"window 0", func(o *loader.SampleOptions) { o.WindowDays = 0 }, "window_days is 0"},
		{"window < 0", func(o *loader.SampleOptions) { o.WindowDays = -1 }, "window_days is -1"},
		{"k 1", func(o *loader.SampleOptions) { o.K = 1 }, "k is 1, want at least 2"},
		{"negative timeout", func(o *loader.SampleOptions) { o.StatementTimeout = -time.Second }, "statement timeout"},
	}
	for _, c := range cases {
		o := ok
		c.edit(&o)
		err := o.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if err := (loader.SampleOptions{}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "ANONYMIZATION_SALT environment variable required") {
		t.Errorf("empty options: %v (the salt is checked first)", err)
	}
}

// sampleFixture samples the fixture database into dir and returns stdout.
func sampleFixture(t *testing.T, url, dir, salt string) string {
	t.Helper()
	var out bytes.Buffer
	err := loader.Sample(context.Background(), loader.SampleOptions{
		DatabaseURL: url, Output: filepath.Join(dir, "shape-metrics-fixture.json"),
		WindowDays: fixtureWindow, AsOf: fixtureAsOf, Salt: salt,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestSampleFixture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := fixtureURL(t)
	dir := t.TempDir()
	stdout := sampleFixture(t, url, dir, testSalt)
	docPath := filepath.Join(dir, "shape-metrics-fixture.json")
	manPath := filepath.Join(dir, "mapping-manifest-fixture.json")

	// The guide's progress lines, with the fixture's hand-counted totals.
	want := strings.Join([]string{
		"[ShapeSampler] Initialized with production salt",
		"[Users] Sampling user metrics...",
		"[Users] ✓ Sampled 300 users",
		"[Conversations] Sampling conversation metrics...",
		"[Conversations] ✓ Sampled 60 conversations",
		"[Messages] Sampling message metrics...",
		"[Messages] ✓ Sampled 3,000 messages (30-day window)",
		"[ReadReceipts] Sampling read timing...",
		"[ReadReceipts] ✓ Sampled 1,500 read receipts",
		"[Attachments] Sampling attachment distribution...",
		"[Attachments] ✓ Sampled 360 attachments",
		"",
		"[Output] ✓ Written to " + docPath,
		"[Manifest] ✓ Written to " + manPath,
		"",
	}, "\n")
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}

	// Only the two files, both 0600: no temporary file is left.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if !slices.Equal(names, []string{"mapping-manifest-fixture.json", "shape-metrics-fixture.json"}) {
		t.Errorf("files %v", names)
	}

	// The written document equals a separate shape.export for the same arguments.
	doc, err := shape.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := loader.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	exported, err := loader.Export(ctx, pool, loader.ExportOptions{WindowDays: fixtureWindow, AsOf: fixtureAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, exported) {
		a, _ := json.Marshal(doc)
		b, _ := json.Marshal(exported)
		t.Errorf("sampled document differs from shape.export:\n%s\n%s", a, b)
	}

	// The manifest.
	raw, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatal(err)
	}
	var m loader.Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	docBytes, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.ManifestVersion != "1" || m.ShapeVersion != shape.Version || m.WindowDays != 30 || m.K != 10 ||
		!m.AsOf.Equal(fixtureAsOf) || !m.ExtractedAt.Equal(fixtureAsOf) ||
		m.ShapeFile != "shape-metrics-fixture.json" || !strings.HasPrefix(m.LoaderVersion, "pgshape loader") {
		t.Errorf("manifest header %+v", m)
	}
	if m.ShapeSHA256 != sha256Hex(docBytes) {
		t.Errorf("shape_sha256 %s does not match the document", m.ShapeSHA256)
	}
	if want := (loader.RowCounts{Users: 300, Conversations: 60, Messages: 3000, ReadReceipts: 1500, Attachments: 360}); m.RowCounts != want {
		t.Errorf("row counts %+v, want %+v", m.RowCounts, want)
	}
	if m.SaltFingerprint != loader.SaltFingerprint(testSalt) || len(m.SaltFingerprint) != 64 {
		t.Errorf("salt fingerprint %q", m.SaltFingerprint)
	}
	if m.FingerprintKDF.Iterations < 600000 || m.FingerprintKDF.Algorithm != "PBKDF2-HMAC-SHA256" {
		t.Errorf("fingerprint kdf %+v", m.FingerprintKDF)
	}
	// Each view's token is the HMAC of its definition as the database prints it.
	views := []string{"attachments", "conversation_members", "conversations", "messages", "read_receipts", "users"}
	if len(m.SourceMapping.Views) != len(views) {
		t.Errorf("source mapping has %d views, want %d", len(m.SourceMapping.Views), len(views))
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, v := range views {
		var def string
		if err := conn.QueryRow(ctx, `SELECT pg_get_viewdef(to_regclass($1), true)`, "shape_source."+v).Scan(&def); err != nil {
			t.Fatal(err)
		}
		if got := m.SourceMapping.Views["shape_source."+v]; got != loader.SourceToken(testSalt, def) {
			t.Errorf("token of %s: %q", v, got)
		}
	}
	// No raw identifier or text: the manifest and the document name no application
	// table or column and hold none of the fixture's usernames, addresses or titles.
	for _, name := range []string{"public.", "email", "media_kind", "sender_id", "user_", "@", "example", "Room", "555-0"} {
		if bytes.Contains(raw, []byte(name)) || bytes.Contains(docBytes, []byte(name)) {
			t.Errorf("output names %q", name)
		}
	}

	// The salt appears nowhere, in any encoding.
	assertNoSalt(t, testSalt, stdout, string(docBytes), string(raw))

	// A real export of the fixture (whose text columns hold example.com addresses
	// and 555-01xx numbers) scans clean. So does the manifest once its hashes, hex
	// by construction, are allowed by path (docs/phase-a-cli.md).
	hashes := []string{"$.shape_sha256", "$.salt_fingerprint", "$.source_mapping.views"}
	for i, b := range [][]byte{docBytes, raw} {
		opts := piiscan.Options{DenyList: []string{"example.com", "555-0", "user_"}}
		if i == 1 {
			opts.AllowPaths = hashes
		}
		found, err := piiscan.Scan(b, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 0 {
			t.Errorf("PII scan findings: %v", found)
		}
	}
}

// Two runs with one salt agree on the fingerprint and the mapping; another salt
// changes both.
func TestSampleManifestSalts(t *testing.T) {
	t.Parallel()
	url := fixtureURL(t)
	read := func(dir string) loader.Manifest {
		raw, err := os.ReadFile(filepath.Join(dir, "mapping-manifest-fixture.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m loader.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	d1, d2, d3 := t.TempDir(), t.TempDir(), t.TempDir()
	sampleFixture(t, url, d1, testSalt)
	sampleFixture(t, url, d2, testSalt)
	sampleFixture(t, url, d3, "a different made-up salt")
	m1, m2, m3 := read(d1), read(d2), read(d3)
	if m1.SaltFingerprint != m2.SaltFingerprint || !reflect.DeepEqual(m1.SourceMapping, m2.SourceMapping) {
		t.Error("the same salt gave different manifests")
	}
	if m1.SaltFingerprint == m3.SaltFingerprint {
		t.Error("different salts gave the same fingerprint")
	}
	for v, tok := range m1.SourceMapping.Views {
		if m3.SourceMapping.Views[v] == tok {
			t.Errorf("%s: different salts gave the same token", v)
		}
	}
	// Re-pointing one view changes its token and only its token.
	testdb.Exec(t, url, `CREATE OR REPLACE VIEW shape_source.conversation_members AS
		SELECT m.conversation_id, m.user_id FROM public.conversation_members m WHERE m.joined_at IS NOT NULL`)
	d4 := t.TempDir()
	sampleFixture(t, url, d4, testSalt)
	m4 := read(d4)
	for v, tok := range m1.SourceMapping.Views {
		changed := m4.SourceMapping.Views[v] != tok
		if changed != (v == "shape_source.conversation_members") {
			t.Errorf("%s: token changed = %v", v, changed)
		}
	}
}

func TestSampleFailureLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	err := loader.Sample(context.Background(), loader.SampleOptions{
		DatabaseURL: noShapeURL(t), Output: filepath.Join(dir, "shape-metrics-x.json"),
		WindowDays: 30, Salt: testSalt,
	}, &out)
	if err == nil || !strings.Contains(err.Error(), "run `loader migrate`") {
		t.Fatalf("got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
	assertNoSalt(t, testSalt, out.String(), err.Error())
}

func assertNoSalt(t *testing.T, salt string, texts ...string) {
	t.Helper()
	forms := []string{salt, strings.ToLower(salt), hex.EncodeToString([]byte(salt)),
		base64.StdEncoding.EncodeToString([]byte(salt)), base64.RawURLEncoding.EncodeToString([]byte(salt))}
	for i, text := range texts {
		for _, f := range forms {
			if strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
				t.Errorf("output %d contains the salt", i)
			}
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The families run in a read-only, repeatable-read transaction with the statement
// timeout set: shape_source.messages is re-pointed so that content_length is 7 only
// when all three hold inside the export (and 70 otherwise), so every window message's
// length, hence the median and the mean, must be 7. sender_id is NULL unless they hold,
// and the version-2 families run on a second connection (exportSplit): its 300
// senders say that its transaction has them too.
func TestSampleTransactionSettings(t *testing.T) {
	t.Parallel()
	url := fixtureURL(t)
	testdb.Exec(t, url, `CREATE OR REPLACE VIEW shape_source.messages AS
		SELECT m.id AS message_id, m.conversation_id, m.created_at,
		       (m.media_kind IS NOT NULL) AS has_media,
		       CASE WHEN current_setting('transaction_isolation') = 'repeatable read'
		             AND current_setting('transaction_read_only') = 'on'
		             AND current_setting('statement_timeout') = '2min' THEN 7 ELSE 70 END AS content_length,
		       -- read by the second connection (the version-2 families): the same settings
		       CASE WHEN current_setting('transaction_isolation') = 'repeatable read'
		             AND current_setting('transaction_read_only') = 'on'
		             AND current_setting('statement_timeout') = '2min' THEN m.sender_id END AS sender_id
		FROM public.messages m`)
	dir := t.TempDir()
	var out bytes.Buffer
	err := loader.Sample(context.Background(), loader.SampleOptions{
		DatabaseURL: url, Output: filepath.Join(dir, "s.json"), WindowDays: fixtureWindow,
		AsOf: fixtureAsOf, Salt: testSalt, StatementTimeout: 2 * time.Minute,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := shape.ReadFile(filepath.Join(dir, "s.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkRatio(t, "content_length_median", doc.Messages.ContentLengthMedian, 7)
	checkRatio(t, "content_length_mean", doc.Messages.ContentLengthMean, 7)
	if s := doc.Users.Senders; s == nil || s.ActiveSenders != 300 {
		t.Errorf("senders %+v, want 300 active (the second connection's settings)", s)
	}
}

// A statement over the timeout is cancelled, the error says what to do, and nothing
// is written. shape_source.users sleeps 10 ms per row (300 rows: 3 s) against 300 ms.
func TestSampleStatementTimeout(t *testing.T) {
	t.Parallel()
	url := fixtureURL(t)
	testdb.Exec(t, url, `CREATE OR REPLACE VIEW shape_source.users AS
		SELECT u.id AS user_id, char_length(u.username)::integer AS username_length, u.created_at
		FROM public.users u WHERE pg_sleep(0.01) IS NOT NULL`)
	dir := t.TempDir()
	var out bytes.Buffer
	start := time.Now()
	err := loader.Sample(context.Background(), loader.SampleOptions{
		DatabaseURL: url, Output: filepath.Join(dir, "s.json"), WindowDays: fixtureWindow,
		AsOf: fixtureAsOf, Salt: testSalt, StatementTimeout: 300 * time.Millisecond,
	}, &out)
	var fe *option.FieldError
	if err == nil || !strings.Contains(err.Error(), "raise StatementTimeout") || !errors.As(err, &fe) || fe.Field != "StatementTimeout" {
		t.Fatalf("got %v, want the statement timeout", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("took %s: the timeout did not apply", d)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

// TestSampleAsShapeReader: the least privilege a DBA grants is enough for loader
// sample. A session whose role is shape_reader (set at connection start, as a login
// role that is only a member of it would run) samples the fixture, and the document
// is the one the owner gets; before shape.version() was granted to the role, the
// sampler's layer check failed with "permission denied for function version".
func TestSampleAsShapeReader(t *testing.T) {
	t.Parallel()
	url := fixtureURL(t)
	// The membership is cluster-global and other tests may grant it at the same time.
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
	owner, reader := t.TempDir(), t.TempDir()
	sampleFixture(t, url, owner, testSalt)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	sampleFixture(t, url+sep+"role=shape_reader", reader, testSalt)
	a, err := os.ReadFile(filepath.Join(owner, "shape-metrics-fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(reader, "shape-metrics-fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("shape_reader's document differs from the owner's:\n%s\n%s", b, a)
	}
	// And the role is really in effect: it may not read a contract view.
	if err := testdb.TryExec(url+sep+"role=shape_reader", `SELECT count(*) FROM shape_source.users`); err == nil {
		t.Errorf("a shape_reader session read shape_source.users")
	}
}

// A shape layer whose source views are all empty (the placeholders of a database
// without the reference tables, never re-pointed) is refused with the views to
// re-point, and no file is written: a document of zeros describes nothing.
func TestSampleRefusesEmptyContract(t *testing.T) {
	t.Parallel()
	url := testdb.New(t, testdb.Bare)
	dir := t.TempDir()
	var out bytes.Buffer
	err := loader.Sample(context.Background(), loader.SampleOptions{
		DatabaseURL: url, Output: filepath.Join(dir, "shape-metrics-x.json"),
		WindowDays: 30, AsOf: fixtureAsOf, Salt: testSalt,
	}, &out)
	if !errors.Is(err, loader.ErrEmptyContract) || !strings.Contains(err.Error(), "re-point them") ||
		!strings.Contains(err.Error(), "shape_source.users") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want one line naming the views to re-point", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}
