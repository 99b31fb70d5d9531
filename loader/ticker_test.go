package loader

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the ticker's goroutine and the test.
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

// Not a terminal: plain lines, one per period, nothing after stop.
func TestTickerLogLines(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	tk := startTicker(&buf, "exporting the shape", 5*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(buf.String(), "\n") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	tk.stop()
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
		t.Errorf("the ticker wrote after stop")
	}
	tk.stop() // a second stop is harmless
	startTicker(nil, "nothing", time.Millisecond).stop()
}
