package piiscan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Place says where in the JSON a finding was.
type Place string

// The places a finding can be in.
const (
	InKey    Place = "key"
	InValue  Place = "value"
	InNumber Place = "number"
)

// Finding is one suspicious piece of text. It never holds the text itself.
type Finding struct {
	// Path is the JSON path of the value or key; keys that are findings themselves
	// are written [<key N>] (see the package doc).
	Path string
	Kind Kind
	// In says whether the text was an object key, a string value or a number.
	In Place
	// Length is the length of the whole text, in characters.
	Length int
	// DenyEntry is the 1-based position of the matching deny-list entry (deny_list
	// findings only; comments and blank lines are not counted).
	DenyEntry int
}

// String formats the finding as `<path>: <kind> (<redacted hint>)`.
func (f Finding) String() string {
	hint := fmt.Sprintf("in a %s of %d chars", f.In, f.Length)
	if f.Kind == KindDenyList {
		hint += fmt.Sprintf(", deny-list entry %d", f.DenyEntry)
	}
	return fmt.Sprintf("%s: %s (%s)", f.Path, f.Kind, hint)
}

// Options tunes Scan. The zero value scans with the built-in detectors only.
type Options struct {
	// DenyList holds substrings that are findings wherever they appear (matched
	// case-insensitively). Default none.
	DenyList []string
	// AllowPaths holds JSON paths whose findings, and those below them, are ignored
	// (a path is as Finding.Path prints it). Default none.
	AllowPaths []string
	// AllowValues holds exact texts (string, key or number text) that are not
	// checked. Default none.
	AllowValues []string
}

// maxDepth bounds the nesting of the scanned document.
const maxDepth = 1000

// ErrNotJSON means the scanned input is not one JSON value.
var ErrNotJSON = errors.New("not a JSON document")

// Scan checks every string, key and number of the JSON document doc and returns the
// findings in document order. It fails only when doc is not a single JSON value.
func Scan(doc []byte, opts Options) ([]Finding, error) {
	s := &scanner{
		dec:        json.NewDecoder(bytes.NewReader(doc)),
		allowValue: map[string]bool{},
	}
	s.dec.UseNumber()
	for _, d := range opts.DenyList {
		if d != "" {
			s.deny = append(s.deny, strings.ToLower(d))
		}
	}
	s.allowPath = opts.AllowPaths
	for _, a := range opts.AllowValues {
		s.allowValue[a] = true
	}
	if err := s.value(0); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if _, err := s.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: unexpected data after the top-level value", ErrNotJSON)
	}
	return s.found, nil
}

type scanner struct {
	dec        *json.Decoder
	deny       []string
	allowPath  []string
	allowValue map[string]bool
	found      []Finding
	segs       []string // the path below $ of the value being scanned
}

// value scans one JSON value. The path of the value is kept as a stack of segments
// (s.segs) and joined only when a finding or an error needs it: joining at every level
// made a deep document with long keys quadratic (a 1 MB document nested 1000 deep
// allocated about 1 GB of paths).
func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	tok, err := s.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for i := 0; s.dec.More(); i++ {
				kt, err := s.dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return fmt.Errorf("object key at %s is not a string", s.path())
				}
				redacted := "[<key " + strconv.Itoa(i) + ">]"
				s.segs = append(s.segs, redacted)
				if !s.check(key, InKey) {
					s.segs[len(s.segs)-1] = keySegment(key)
				}
				if err := s.value(depth + 1); err != nil {
					return err
				}
				s.segs = s.segs[:len(s.segs)-1]
			}
		case '[':
			for i := 0; s.dec.More(); i++ {
				s.segs = append(s.segs, "["+strconv.Itoa(i)+"]")
				if err := s.value(depth + 1); err != nil {
					return err
				}
				s.segs = s.segs[:len(s.segs)-1]
			}
		default:
			return fmt.Errorf("unexpected %q at %s", rune(t), s.path())
		}
		end, err := s.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := end.(json.Delim); !ok || (t == '{' && d != '}') || (t == '[' && d != ']') {
			return fmt.Errorf("unbalanced %q at %s", rune(t), s.path())
		}
	case string:
		s.check(t, InValue)
	case json.Number:
		s.check(string(t), InNumber)
	}
	return nil
}

// path returns the JSON path of the value being scanned.
func (s *scanner) path() string { return "$" + strings.Join(s.segs, "") }

// check records the findings of text at the current path and reports whether there
// were any (allowed ones included, so that a suspicious key is never spelled out in a
// path).
func (s *scanner) check(text string, in Place) bool {
	if s.allowValue[text] {
		return false
	}
	var fs []Finding
	n := utf8.RuneCountInString(text)
	if len(s.deny) > 0 {
		lower := strings.ToLower(text)
		for i, d := range s.deny {
			if strings.Contains(lower, d) {
				fs = append(fs, Finding{Kind: KindDenyList, In: in, Length: n, DenyEntry: i + 1})
				break
			}
		}
	}
	for _, k := range detect(text) {
		fs = append(fs, Finding{Kind: k, In: in, Length: n})
	}
	if len(fs) == 0 {
		return false
	}
	path := s.path()
	if !s.pathAllowed(path) {
		for i := range fs {
			fs[i].Path = path
		}
		s.found = append(s.found, fs...)
	}
	return true
}

func (s *scanner) pathAllowed(path string) bool {
	for _, a := range s.allowPath {
		if path == a || (strings.HasPrefix(path, a) && (path[len(a)] == '.' || path[len(a)] == '[')) {
			return true
		}
	}
	return false
}

var reIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// keySegment is the path segment of an object key: .name for identifiers, else
// ["…"] with the key JSON-quoted.
func keySegment(key string) string {
	if reIdent.MatchString(key) {
		return "." + key
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(key) // a string always encodes
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

// ParseList reads a deny list: one entry per line, surrounding spaces trimmed, blank
// lines and lines starting with # skipped, a leading backslash removed (so \#tag is
// the entry "#tag").
func ParseList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.TrimPrefix(line, `\`))
	}
	return out, sc.Err()
}

// ParseAllowList reads an allow list: lines as ParseList, where a line starting with
// $ is a JSON path and any other line an exact value (\$5 is the value "$5").
func ParseAllowList(r io.Reader) (paths, values []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "$"):
			paths = append(paths, line)
		default:
			values = append(values, strings.TrimPrefix(line, `\`))
		}
	}
	return paths, values, sc.Err()
}

// ReadList reads a deny list file (see ParseList).
func ReadList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseList(f)
}
