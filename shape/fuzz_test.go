package shape_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

// FuzzParseDocument feeds arbitrary bytes to shape.Parse (decoding and Validate).
// Properties:
//   - it never panics;
//   - an error wraps ErrInvalid, is one line and names a JSON path ($…);
//   - a document it accepts, written by Write and parsed again, is accepted and
//     equal to the first (the time compared as an instant), and writing it again
//     gives the same bytes.
//
// The seed corpus is testdata/fuzz/FuzzParseDocument plus the f.Add seeds below;
// `go test` runs them all. See docs/testing.md for running the fuzzer.
func FuzzParseDocument(f *testing.F) {
	example, err := os.ReadFile("../testdata/shape-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add(minimal())
	f.Add([]byte(`{`))
	f.Add([]byte(`[1]`))
	f.Add([]byte(`{"shape_version":"1"}`))
	f.Add(bytes.Replace(example, []byte(`"by_member_count"`), []byte(`"by_member_count_x"`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := shape.Parse(data)
		if err != nil {
			checkParseError(t, err)
			return
		}
		var first bytes.Buffer
		if err := d.Write(&first); err != nil {
			t.Fatalf("Write of an accepted document: %v", err)
		}
		d2, err := shape.Parse(first.Bytes())
		if err != nil {
			t.Fatalf("an accepted document, written by Write, no longer parses: %v\n%s", err, first.Bytes())
		}
		if !d.ExtractedAt.Equal(d2.ExtractedAt) {
			t.Fatalf("extracted_at %v read back as %v", d.ExtractedAt, d2.ExtractedAt)
		}
		d2.ExtractedAt = d.ExtractedAt // same instant; the *time.Location differs
		if len(d.ReadReceipts.ByMemberCount) == 0 && len(d2.ReadReceipts.ByMemberCount) == 0 {
			d2.ReadReceipts.ByMemberCount = d.ReadReceipts.ByMemberCount // {} is written as nothing (omitempty)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip changed the document:\n first %+v\nsecond %+v", d, d2)
		}
		var second bytes.Buffer
		if err := d2.Write(&second); err != nil {
			t.Fatalf("Write of the re-read document: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("Write is not stable:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}

func checkParseError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !errors.Is(err, shape.ErrInvalid) {
		t.Fatalf("error %q does not wrap ErrInvalid", msg)
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error is not one line: %q", msg)
	}
	if !strings.Contains(msg, ": $") {
		t.Fatalf("error names no JSON path: %q", msg)
	}
}
