package loader

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// ticker shows that one long statement is still running: on a terminal a line redrawn
// in place with the elapsed time, cleared when it stops; otherwise a plain log line
// every logEvery. A single SQL statement reports no rows while it runs, so elapsed
// time is all there is to show.
type ticker struct {
	w    io.Writer
	tty  bool
	what string
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// startTicker starts a ticker for what ("exporting the shape", …) on w; a nil w shows
// nothing.
func startTicker(w io.Writer, what string, logEvery time.Duration) *ticker {
	t := &ticker{w: w, what: what, done: make(chan struct{})}
	if w == nil {
		return t
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.tty = true
	}
	every := logEvery
	if t.tty {
		every = 250 * time.Millisecond
	}
	start := time.Now()
	t.wg.Go(func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
				el := time.Since(start).Round(time.Second)
				if t.tty {
					fmt.Fprintf(t.w, "\r\033[K[ShapeSampler] %s… %s", t.what, el)
				} else {
					fmt.Fprintf(t.w, "[ShapeSampler] %s: still running after %s\n", t.what, el)
				}
			case <-t.done:
				return
			}
		}
	})
	return t
}

// stop ends the ticker and, on a terminal, clears its line.
func (t *ticker) stop() {
	t.once.Do(func() {
		close(t.done)
		t.wg.Wait()
		if t.w != nil && t.tty {
			fmt.Fprint(t.w, "\r\033[K")
		}
	})
}
