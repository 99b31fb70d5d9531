package status

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the line's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Not a terminal: plain lines, one per period, nothing after Stop; an empty text
// writes nothing.
func TestLogLines(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	tk := Start(&buf, 5*time.Millisecond, func(el time.Duration, tty bool) string {
		if tty {
			return "tty"
		}
		return "[ShapeSampler] exporting the shape: still running after " + el.Round(time.Second).String()
	})
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(buf.String(), "\n") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	tk.Stop(true)
	got := buf.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("%d lines after 5 s, want at least 2: %q", len(lines), got)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "[ShapeSampler] exporting the shape: still running after ") || strings.Contains(l, "\r") {
			t.Errorf("line %q, want a plain progress line", l)
		}
	}
	n := len(got)
	time.Sleep(20 * time.Millisecond)
	if len(buf.String()) != n {
		t.Errorf("the line was written after Stop")
	}
	tk.Stop(false) // a second Stop is harmless
	Start(nil, time.Millisecond, func(time.Duration, bool) string { return "x" }).Stop(true)

	var quiet syncBuffer
	q := Start(&quiet, time.Millisecond, func(time.Duration, bool) string { return "" })
	time.Sleep(20 * time.Millisecond)
	q.Stop(true)
	if quiet.String() != "" {
		t.Errorf("an empty text wrote %q", quiet.String())
	}
}
