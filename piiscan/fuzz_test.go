package piiscan

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets of the detectors. Each states properties that can fail; the seed
// corpora are testdata/fuzz/<name> plus the f.Add seeds, and `go test` runs them all
// (docs/testing.md says how to run the fuzzer itself).

// FuzzScan scans arbitrary bytes as a JSON document, with one deny-list entry.
// Properties:
//   - it never panics;
//   - it fails exactly when the input is not one JSON value (or nests deeper than
//     maxDepth), with ErrNotJSON and a one-line message;
//   - every finding is one line, and a key is spelled out in a finding's path only when
//     the key itself is clean: no detector and no deny-list entry matches it.
func FuzzScan(f *testing.F) {
	corpus, err := os.ReadFile("../testdata/pii/corpus.json")
	if err != nil {
		f.Fatal(err)
	}
	example, err := os.ReadFile("../testdata/shape-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(corpus, "acme-internal")
	f.Add(example, "")
	f.Add([]byte(`{"a@example.com": {"b": "4111 1111 1111 1111"}}`), "")
	f.Add([]byte(`[1, "x", {"\n": null}]`), "x")
	f.Fuzz(func(t *testing.T, data []byte, deny string) {
		var opts Options
		if deny != "" {
			opts.DenyList = []string{deny}
		}
		fs, err := Scan(data, opts)
		if err != nil {
			if !errors.Is(err, ErrNotJSON) {
				t.Fatalf("error %q does not wrap ErrNotJSON", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			if json.Valid(data) && !strings.Contains(err.Error(), "nested deeper") {
				t.Fatalf("a valid JSON document was refused: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanned an input that is not one JSON value without an error")
		}
		for _, fd := range fs {
			if s := fd.String(); strings.ContainsAny(s, "\n\r") {
				t.Fatalf("finding is not one line: %q", s)
			}
			keys, err := spelledKeys(fd.Path)
			if err != nil {
				t.Fatalf("finding path %q: %v", fd.Path, err)
			}
			for _, k := range keys {
				if len(detect(k)) > 0 {
					t.Fatalf("path %q spells out a key in which %v was found", fd.Path, detect(k))
				}
				if deny != "" && strings.Contains(strings.ToLower(k), strings.ToLower(deny)) {
					t.Fatalf("path %q spells out a key holding the deny-list entry", fd.Path)
				}
			}
		}
	})
}

// spelledKeys returns the object keys a finding path writes out (.name and ["…"]
// segments); [N] indexes and [<key N>] redactions carry no key text.
func spelledKeys(path string) ([]string, error) {
	if !strings.HasPrefix(path, "$") {
		return nil, fmt.Errorf("does not start with $")
	}
	var keys []string
	for p := path[1:]; p != ""; {
		switch {
		case p[0] == '.':
			end := strings.IndexAny(p[1:], ".[")
			if end < 0 {
				end = len(p) - 1
			}
			keys = append(keys, p[1:1+end])
			p = p[1+end:]
		case strings.HasPrefix(p, `["`):
			// A JSON string: scan to its closing quote, skipping escapes.
			i := 2
			for i < len(p) && p[i] != '"' {
				if p[i] == '\\' {
					i++
				}
				i++
			}
			if i+1 >= len(p) || p[i+1] != ']' {
				return nil, fmt.Errorf("unterminated quoted key")
			}
			var k string
			if err := json.Unmarshal([]byte(p[1:i+1]), &k); err != nil {
				return nil, fmt.Errorf("quoted key: %v", err)
			}
			keys = append(keys, k)
			p = p[i+2:]
		case strings.HasPrefix(p, "[<key "), p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, fmt.Errorf("unterminated [")
			}
			p = p[end+1:]
		default:
			return nil, fmt.Errorf("unexpected %q", p)
		}
	}
	return keys, nil
}

// separators bound a value in running text; none of them can be part of an
// email, UUID, address, card number or JWT, so a value between two of them must be
// found whatever surrounds it.
const separators = " \t\n,;()<>[]{}|!?\"'*&~^"

// piiValue builds a well-formed value of kind k (0…5) from a seeded source:
// an email, a UUID, an IPv4 or IPv6 address, a card number passing Luhn (plain or
// grouped by 4 with spaces or dashes) or a JWT.
func piiValue(k uint8, seed uint64) (Kind, string) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	const lower = "abcdefghijklmnopqrstuvwxyz"
	const alnum = lower + "0123456789"
	word := func(set string, min, max int) string {
		b := make([]byte, min+r.IntN(max-min+1))
		for i := range b {
			b[i] = set[r.IntN(len(set))]
		}
		return string(b)
	}
	switch k % 6 {
	case 0:
		local := word(alnum, 1, 12)
		if r.IntN(2) == 0 {
			local += "." + word(alnum, 1, 8)
		}
		domain := word(alnum, 1, 10)
		if r.IntN(2) == 0 {
			domain += "." + word(alnum, 1, 10)
		}
		return KindEmail, local + "@" + domain + "." + word(lower, 2, 6)
	case 1:
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], r.Uint64())
		binary.LittleEndian.PutUint64(b[8:], r.Uint64())
		h := fmt.Sprintf("%x", b)
		u := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		if r.IntN(2) == 0 {
			u = strings.ToUpper(u)
		}
		return KindUUID, u
	case 2:
		return KindIPv4, fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
	case 3:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], r.Uint64())
		binary.BigEndian.PutUint64(b[8:], r.Uint64())
		switch r.IntN(3) { // zero runs, so that :: compression shows up
		case 0:
			lo := r.IntN(16)
			clear(b[lo : lo+r.IntN(16-lo)+1])
		case 1:
			clear(b[:10])
			b[10], b[11] = 0xff, 0xff // ::ffff:a.b.c.d
		}
		if b == [16]byte{} {
			b[15] = 1
		}
		return KindIPv6, netip.AddrFrom16(b).String()
	case 4:
		n := 13 + r.IntN(7)
		d := make([]byte, n)
		for i := range n - 1 {
			d[i] = byte('0' + r.IntN(10))
		}
		d[n-1] = '0'
		d[n-1] = byte('0' + (10-refLuhnSum(string(d))%10)%10)
		if !refLuhn(string(d)) {
			panic("piiValue: check digit")
		}
		if sep := " -"[r.IntN(2)]; r.IntN(2) == 0 {
			var b strings.Builder
			for i := 0; i < n; i += 4 {
				if i > 0 {
					b.WriteByte(sep)
				}
				b.Write(d[i:min(i+4, n)])
			}
			return KindCardNumber, b.String()
		}
		return KindCardNumber, string(d)
	default:
		raw := func(min, max int) string {
			b := make([]byte, min+r.IntN(max-min+1))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return base64.RawURLEncoding.EncodeToString(b)
		}
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + word(alnum, 0, 8) + `"}`))
		return KindJWT, header + "." + raw(2, 60) + "." + raw(0, 40)
	}
}

// FuzzEmbeddedPII plants a known value (see piiValue) anywhere inside arbitrary text,
// bounded by two separators. Properties:
//   - the value alone is detected as its kind;
//   - planted in the text, the text is still detected as that kind;
//   - scanned as a JSON string value, as an object key and inside an array under that
//     key, each place is reported with that kind, and no finding's printed form holds
//     the value.
func FuzzEmbeddedPII(f *testing.F) {
	for k := range uint8(6) {
		f.Add(k, uint64(k), "order ", " shipped", uint8(0))
		f.Add(k, uint64(k)+100, "", "", uint8(3))
	}
	f.Add(uint8(2), uint64(9), "v1.2.", "", uint8(1))
	f.Add(uint8(0), uint64(1), "mail: x@", ".org", uint8(5))
	f.Fuzz(func(t *testing.T, k uint8, seed uint64, prefix, suffix string, seps uint8) {
		kind, value := piiValue(k, seed)
		if !slices.Contains(detect(value), kind) {
			t.Fatalf("%s %q alone: detected %v", kind, value, detect(value))
		}
		sep1 := string(separators[int(seps)%len(separators)])
		sep2 := string(separators[int(seps/16)%len(separators)])
		text := prefix + sep1 + value + sep2 + suffix
		if got := detect(text); !slices.Contains(got, kind) {
			t.Fatalf("%s %q planted in %q: detected %v", kind, value, text, got)
		}
		qt, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		doc := `{"v":` + string(qt) + `,` + string(qt) + `:[` + string(qt) + `]}`
		fs, err := Scan([]byte(doc), Options{})
		if err != nil {
			t.Fatalf("scanning %s: %v", doc, err)
		}
		want := map[string]bool{"$.v": false, "$[<key 1>]": false, "$[<key 1>][0]": false}
		for _, fd := range fs {
			if fd.Kind == kind {
				if _, ok := want[fd.Path]; ok {
					want[fd.Path] = true
				}
			}
			if strings.Contains(fd.String(), value) {
				t.Fatalf("finding %q holds the value", fd)
			}
		}
		for path, found := range want {
			if !found {
				t.Fatalf("%s %q planted in %q: no %s finding at %s (findings %v)", kind, value, text, kind, path, fs)
			}
		}
	})
}

// refLuhnSum is the Luhn sum written out from its definition (ISO/IEC 7812-1 annex B):
// from the rightmost digit leftwards, every second digit is doubled and the digits of
// each product are added.
func refLuhnSum(d string) int {
	sum := 0
	for i := range len(d) {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			v = v/10 + v%10
		}
		sum += v
	}
	return sum
}

func refLuhn(d string) bool { return refLuhnSum(d)%10 == 0 }

// FuzzLuhn checks luhn and isCard against the reference refLuhn, and the property
// that makes Luhn worth checking: changing any one digit of a valid number breaks it.
func FuzzLuhn(f *testing.F) {
	f.Add([]byte("4111111111111111"))
	f.Add([]byte("378282246310005"))
	f.Add([]byte("5500-0000-0000-0004"))
	f.Add([]byte("4111 1111 1111 1112"))
	f.Add([]byte("79927398713"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		text := string(raw)
		d := digitsOf(text)
		if got, want := luhn(d), refLuhn(d); got != want {
			t.Fatalf("luhn(%q) = %v, reference %v", d, got, want)
		}
		wantCard := len(d) >= 13 && len(d) <= 19 && refLuhn(d)
		if got := isCard(text); got != wantCard {
			t.Fatalf("isCard(%q) = %v, want %v", text, got, wantCard)
		}
		if !luhn(d) || len(d) > 64 {
			return
		}
		b := []byte(d)
		for i := range b {
			orig := b[i]
			for c := byte('0'); c <= '9'; c++ {
				if c == orig {
					continue
				}
				b[i] = c
				if luhn(string(b)) {
					t.Fatalf("luhn accepts %q and %q, one digit apart", d, b)
				}
			}
			b[i] = orig
		}
	})
}

// detectReference is detect with the overlap test written the plain way (every
// candidate against every claimed span), to check the fast claim bookkeeping.
func detectReference(s string) []Kind {
	var claimed []span
	var kinds []Kind
	for _, d := range detectors {
		if !d.pre(s) {
			continue
		}
	next:
		for _, sp := range d.find(s) {
			for _, c := range claimed {
				if sp.lo < c.hi && c.lo < sp.hi {
					continue next
				}
			}
			claimed = append(claimed, sp)
			if !slices.Contains(kinds, d.kind) {
				kinds = append(kinds, d.kind)
			}
		}
	}
	return kinds
}

// FuzzDetect runs detect on arbitrary text. Properties: it never panics, every kind
// appears once, and the result agrees with detectReference.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"write to someone@example.com", "4111 1111 1111 1111", "10.0.0.1 fe80::1",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "+1 (415) 555-0100", "1 2 3 4 5 6 7 8 9 10",
		"2025-10-22T10:00:00Z", "ABCDEF0123456789ABCDEF0123456789", strconv.Itoa(1e9)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := detect(s)
		for i, k := range got {
			if slices.Contains(got[:i], k) {
				t.Fatalf("detect(%q) = %v: %s twice", s, got, k)
			}
		}
		if want := detectReference(s); !slices.Equal(got, want) {
			t.Fatalf("detect(%q) = %v, reference %v", s, got, want)
		}
	})
}
