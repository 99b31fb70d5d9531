package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadSpec feeds arbitrary bytes to Parse (decoding and Validate). Properties:
//   - it never panics;
//   - it accepts only a single JSON value (nothing trailing);
//   - an error wraps ErrInvalid and is one line;
//   - a spec it accepts, encoded as `loader fit` writes it (encoding/json) and parsed
//     again, is accepted, equal to the first (the window end compared as an instant),
//     encodes to the same bytes and so has the same SHA256.
//
// The seed corpus is testdata/fuzz/FuzzReadSpec (with the inputs that failed once:
// trailing-close-brace, newline-in-band-name) plus the f.Add seeds below; `go test`
// runs them all. See docs/testing.md for running the fuzzer.
func FuzzReadSpec(f *testing.F) {
	f.Add(DefaultJSON())
	f.Add([]byte(validJSON))
	f.Add([]byte(`{"spec_version":"1"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			msg := err.Error()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %q does not wrap ErrInvalid", msg)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted an input that is not one JSON value (%d bytes)", len(data))
		}
		first, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("encoding an accepted spec: %v", err)
		}
		s2, err := Parse(first)
		if err != nil {
			t.Fatalf("an accepted spec, encoded, no longer parses: %v", err)
		}
		if !s.Window.End.Equal(s2.Window.End) {
			t.Fatalf("window.end %v read back as %v", s.Window.End, s2.Window.End)
		}
		s2.Window.End = s.Window.End // same instant; the *time.Location differs
		if len(s.Warnings) == 0 && len(s2.Warnings) == 0 {
			s2.Warnings = s.Warnings // "warnings": [] is written as nothing (omitempty)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed the spec:\n first %+v\nsecond %+v", s, s2)
		}
		second, err := json.Marshal(s2)
		if err != nil {
			t.Fatalf("encoding the re-read spec: %v", err)
		}
		if !bytes.Equal(first, second) || s.SHA256() != s2.SHA256() {
			t.Fatalf("encoding is not stable:\n%s\n%s", first, second)
		}
	})
}
