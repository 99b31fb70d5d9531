package piiscan_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/piiscan"
)

type want struct {
	path string
	kind piiscan.Kind
	in   piiscan.Place
}

func got(fs []piiscan.Finding) []want {
	out := make([]want, len(fs))
	for i, f := range fs {
		out[i] = want{f.Path, f.Kind, f.In}
	}
	return out
}

// corpusFindings lists, by hand, every kind planted in testdata/pii/corpus.json: in
// values, in keys (shown redacted as [<key N>]) and in number text. The "benign"
// section (timestamps, histogram keys, counts, floats) must give nothing.
var corpusFindings = []want{
	{"$.planted.email.value", piiscan.KindEmail, piiscan.InValue},
	{"$.planted.email[<key 1>]", piiscan.KindEmail, piiscan.InKey},
	{"$.planted.email[<key 1>].nested", piiscan.KindEmail, piiscan.InValue},
	{"$.planted.uuid.value", piiscan.KindUUID, piiscan.InValue},
	{"$.planted.uuid[<key 1>]", piiscan.KindUUID, piiscan.InKey},
	{"$.planted.phone.e164", piiscan.KindPhone, piiscan.InValue},
	{"$.planted.phone.international", piiscan.KindPhone, piiscan.InValue},
	{"$.planted.phone.nanp", piiscan.KindPhone, piiscan.InValue},
	{"$.planted.phone.dotted", piiscan.KindPhone, piiscan.InValue},
	{"$.planted.phone.trunk", piiscan.KindPhone, piiscan.InValue},
	{"$.planted.phone[<key 5>]", piiscan.KindPhone, piiscan.InKey},
	{"$.planted.ipv4.value", piiscan.KindIPv4, piiscan.InValue},
	{"$.planted.ipv4[<key 1>]", piiscan.KindIPv4, piiscan.InKey},
	{"$.planted.ipv6.value", piiscan.KindIPv6, piiscan.InValue},
	{"$.planted.ipv6.mapped", piiscan.KindIPv6, piiscan.InValue},
	{"$.planted.ipv6[<key 2>]", piiscan.KindIPv6, piiscan.InKey},
	{"$.planted.jwt.value", piiscan.KindJWT, piiscan.InValue},
	{"$.planted.jwt[<key 1>]", piiscan.KindJWT, piiscan.InKey},
	{"$.planted.api_key.stripe", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.aws", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.github", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.github_oauth", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.slack", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.google", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key.generic", piiscan.KindAPIKey, piiscan.InValue},
	{"$.planted.api_key[<key 7>]", piiscan.KindAPIKey, piiscan.InKey},
	{"$.planted.hex_run.value", piiscan.KindHexRun, piiscan.InValue},
	{"$.planted.hex_run[<key 1>]", piiscan.KindHexRun, piiscan.InKey},
	{"$.planted.base64_run.value", piiscan.KindBase64Run, piiscan.InValue},
	{"$.planted.base64_run[<key 1>]", piiscan.KindBase64Run, piiscan.InKey},
	{"$.planted.card_number.value", piiscan.KindCardNumber, piiscan.InValue},
	{"$.planted.card_number[<key 1>]", piiscan.KindCardNumber, piiscan.InKey},
	{"$.planted.card_number.number", piiscan.KindCardNumber, piiscan.InNumber},
}

var denyFindings = []want{
	{"$.planted.deny_list.value", piiscan.KindDenyList, piiscan.InValue},
	{"$.planted.deny_list[<key 1>]", piiscan.KindDenyList, piiscan.InKey},
	{"$.planted.deny_list.number", piiscan.KindDenyList, piiscan.InNumber},
}

func readCorpus(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile("../testdata/pii/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestCorpusEveryKindAtItsPathAndNothingElse(t *testing.T) {
	t.Parallel()
	doc := readCorpus(t)
	deny, err := piiscan.ReadList("../testdata/pii/deny.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deny, []string{"acme-internal", "8675309"}) {
		t.Fatalf("deny list read as %q", deny)
	}

	t.Run("built-in detectors", func(t *testing.T) {
		t.Parallel()
		fs, err := piiscan.Scan(doc, piiscan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, got(fs), corpusFindings)
	})
	t.Run("with deny list", func(t *testing.T) {
		t.Parallel()
		fs, err := piiscan.Scan(doc, piiscan.Options{DenyList: deny})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, got(fs), append(slices.Clone(corpusFindings), denyFindings...))
		for _, f := range fs {
			if f.Kind == piiscan.KindDenyList {
				wantEntry := 1
				if f.In == piiscan.InNumber {
					wantEntry = 2
				}
				if f.DenyEntry != wantEntry {
					t.Errorf("%s: deny entry %d, want %d", f.Path, f.DenyEntry, wantEntry)
				}
			}
		}
	})
	// Every kind of the package is exercised by the corpus.
	t.Run("all kinds planted", func(t *testing.T) {
		t.Parallel()
		seen := map[piiscan.Kind]bool{}
		for _, w := range append(slices.Clone(corpusFindings), denyFindings...) {
			seen[w.kind] = true
		}
		for _, k := range []piiscan.Kind{piiscan.KindDenyList, piiscan.KindJWT, piiscan.KindAPIKey,
			piiscan.KindEmail, piiscan.KindUUID, piiscan.KindIPv6, piiscan.KindIPv4,
			piiscan.KindCardNumber, piiscan.KindPhone, piiscan.KindHexRun, piiscan.KindBase64Run} {
			if !seen[k] {
				t.Errorf("kind %s is not planted in the corpus", k)
			}
		}
	})
}

// diff compares findings as sets (order is document order, checked separately).
func diff(t *testing.T, got, expected []want) {
	t.Helper()
	key := func(w want) string { return fmt.Sprintf("%s %s %s", w.path, w.kind, w.in) }
	g := map[string]bool{}
	for _, w := range got {
		if g[key(w)] {
			t.Errorf("reported twice: %s", key(w))
		}
		g[key(w)] = true
	}
	wm := map[string]bool{}
	for _, w := range expected {
		wm[key(w)] = true
		if !g[key(w)] {
			t.Errorf("missed: %s", key(w))
		}
	}
	for _, w := range got {
		if !wm[key(w)] {
			t.Errorf("unexpected: %s", key(w))
		}
	}
}

// Findings and their printed form never carry the text found, and key paths are
// redacted.
func TestFindingsDoNotLeakText(t *testing.T) {
	t.Parallel()
	fs, err := piiscan.Scan(readCorpus(t), piiscan.Options{DenyList: []string{"acme-internal", "8675309"}})
	if err != nil {
		t.Fatal(err)
	}
	var printed strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&printed, f)
	}
	out := printed.String()
	for _, secret := range []string{"example.", "123e4567", "00000000-", "555", "7946", "192.0.2", "198.51",
		"2001:db8", "eyJ", "sk_test", "AKIA", "ghp_", "gho_", "xox", "AIza", "Zq8v", "9f86d0", "d41d8c",
		"VGhp", "QW5v", "4111", "acme", "ACME", "8675309"} {
		if strings.Contains(out, secret) {
			t.Errorf("printed findings contain %q", secret)
		}
	}
	if !strings.Contains(out, "$.planted.card_number.number: card_number (in a number of 16 chars)") {
		t.Errorf("unexpected format:\n%s", out)
	}
}

// Text that is not personal data: timestamps, histogram keys, counts, floats, the
// shape document's own vocabulary.
func TestNoFalsePositives(t *testing.T) {
	t.Parallel()
	clean := []string{
		`"2025-10-22T10:00:00Z"`, `"2025-10-22T10:00:00.123456+00:00"`, `"2025-10-22 10:00:00-07:00"`,
		`"2026-11-26T09:59:46.123456789Z"`, `"2025-10-22"`, `"10:00:00"`, `"23:59:59.999"`,
		`{"0":1,"0.25":2,"0.5":3,"10000":4,"43200":5,"1000000":6,"10000000000":7}`,
		`[0.3333333333333333, 0.4111111111111111, 0.41111111111111111111, 4111.1111111111111111, 1e-7, 2E+10, -0.125]`,
		`95324871`, `12345678901`, `9223372036854775807`, `0.33333333333333333333333333333333333333`,
		`{"inter_arrival_histogram_seconds": {}, "weekday_hour_distribution": [[null, 1]], "size_activity_histogram": {"101": {"10000": 12}}}`,
		`"ANONYMIZED_SHAPE_ONLY"`, `"@media print"`, `"user@localhost"`, `"version 1.2.3"`, `"30-day window"`,
		`"shape_source.messages"`, `"pgshape loader v0.0.0-20261126095946-b3d6db0a1b2c"`,
		`"PBKDF2-HMAC-SHA256"`, `"mapping-manifest-prod-20251022.json"`, `"shape-metrics-prod-20251022.json"`,
		`"202 555"`, `"1 2 3 4 5 6 7 8 9 10"`, `"12:30"`, `"::"`, `"std::string"`, `"Base::Deref"`,
	}
	for _, doc := range clean {
		fs, err := piiscan.Scan([]byte(doc), piiscan.Options{})
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(fs) != 0 {
			t.Errorf("%s: false positives %v", doc, got(fs))
		}
	}
}

func TestSingleValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text string
		kind piiscan.Kind // "" = clean
	}{
		// Luhn: 4111 1111 1111 1111 is Visa's test number; changing its last digit breaks the check.
		{`"4111 1111 1111 1112"`, ""},
		{`"5500-0000-0000-0004"`, piiscan.KindCardNumber}, // Mastercard test number
		{`"378282246310005"`, piiscan.KindCardNumber},     // American Express test number
		// Next to another number (found by FuzzEmbeddedPII): the run fails as a whole,
		// its parts between spaces are tried.
		{`"ref 12 4111 1111 1111 1111"`, piiscan.KindCardNumber},
		{`"1.5 4111-1111-1111-1111"`, piiscan.KindCardNumber},
		{`"4111111111111111 2026"`, piiscan.KindCardNumber},
		// Parts are tried only when every group but the last has 4 digits or more, as
		// in card layouts: 200300400500600700 would pass Luhn.
		{`"100 200 300 400 500 600 700"`, ""},
		{`"+1 (415) 555-0100"`, piiscan.KindPhone},
		{`"415 555 0100"`, piiscan.KindPhone},
		{`"07700 900123"`, piiscan.KindPhone},
		{`"+33 1 23 45 67 89"`, piiscan.KindPhone},
		{`"999.1.1.1"`, ""}, // not an address: octet over 255
		{`"10.0.0.1"`, piiscan.KindIPv4},
		{`"fe80::1"`, piiscan.KindIPv6},
		{`"ABCDEF0123456789ABCDEF0123456789"`, piiscan.KindHexRun},
		{`"abcdefabcdefabcdefabcdefabcdefabcdef"`, ""}, // no digit: not taken for a hex secret
		{`"username_length_histogram_and_more_words"`, ""},
	}
	for _, c := range cases {
		fs, err := piiscan.Scan([]byte(c.text), piiscan.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		var kinds []piiscan.Kind
		for _, f := range fs {
			kinds = append(kinds, f.Kind)
		}
		switch {
		case c.kind == "" && len(kinds) != 0:
			t.Errorf("%s: want clean, got %v", c.text, kinds)
		case c.kind != "" && !slices.Equal(kinds, []piiscan.Kind{c.kind}):
			t.Errorf("%s: want [%s], got %v", c.text, c.kind, kinds)
		}
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	paths, values, err := piiscan.ParseAllowList(strings.NewReader(`
# comment
$.planted.email
$.planted.uuid[<key 1>]
sk_test_notARealKey0123456789
\$literal
4111111111111111
`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths, []string{"$.planted.email", "$.planted.uuid[<key 1>]"}) ||
		!slices.Equal(values, []string{"sk_test_notARealKey0123456789", "$literal", "4111111111111111"}) {
		t.Fatalf("paths %q values %q", paths, values)
	}
	fs, err := piiscan.Scan(readCorpus(t), piiscan.Options{AllowPaths: paths, AllowValues: values})
	if err != nil {
		t.Fatal(err)
	}
	var rest []want
	for _, w := range corpusFindings {
		switch {
		case strings.HasPrefix(w.path, "$.planted.email"), w.path == "$.planted.uuid[<key 1>]",
			w.path == "$.planted.api_key.stripe", w.path == "$.planted.card_number.number":
		default:
			rest = append(rest, w)
		}
	}
	diff(t, got(fs), rest)
	// A path prefix that is not a whole segment does not match.
	fs, err = piiscan.Scan([]byte(`{"emails": "a@example.com"}`), piiscan.Options{AllowPaths: []string{"$.email"}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("got %v, %v; want one finding", fs, err)
	}
}

func TestKeyPaths(t *testing.T) {
	t.Parallel()
	fs, err := piiscan.Scan([]byte(`{"users": {"some key": ["x", "192.0.2.1"], "10000": {"a\"b": "198.51.100.2"}}}`), piiscan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, got(fs), []want{
		{`$.users["some key"][1]`, piiscan.KindIPv4, piiscan.InValue},
		{`$.users["10000"]["a\"b"]`, piiscan.KindIPv4, piiscan.InValue},
	})
}

func TestNotJSON(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{``, `{`, `{"a": 1} {"b": 2}`, `{"a" 1}`, `[1, 2`, `nope`} {
		if _, err := piiscan.Scan([]byte(doc), piiscan.Options{}); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	if _, err := piiscan.Scan([]byte(deep), piiscan.Options{}); err == nil {
		t.Error("5000 nested arrays: no error")
	}
}
