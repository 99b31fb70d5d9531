// Package status shows the state of long work: on a terminal one line redrawn in place,
// otherwise a plain log line every so often, so that a log stays readable.
package status

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// redraw is how often a terminal line is redrawn.
const redraw = 250 * time.Millisecond

// Line is a running status. Text gives the line for the elapsed time, different on
// a terminal (tty) if it likes; an empty text skips that tick.
type Line struct {
	w     io.Writer
	tty   bool
	text  func(elapsed time.Duration, tty bool) string
	start time.Time
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

// Start shows text on w: redrawn every 250 ms on a terminal, a log line every logEvery
// otherwise. A nil w shows nothing.
func Start(w io.Writer, logEvery time.Duration, text func(elapsed time.Duration, tty bool) string) *Line {
	l := &Line{w: w, text: text, start: time.Now(), done: make(chan struct{})}
	if w == nil {
		return l
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		l.tty = true
	}
	every := logEvery
	if l.tty {
		every = redraw
	}
	l.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.print()
			case <-l.done:
				return
			}
		}
	})
	return l
}

func (l *Line) print() {
	s := l.text(time.Since(l.start), l.tty)
	switch {
	case s == "":
	case l.tty:
		fmt.Fprintf(l.w, "\r\033[K%s", s)
	default:
		fmt.Fprintln(l.w, s)
	}
}

// Stop ends the line. On a terminal keep draws it a last time and ends it with a
// newline (a summary worth keeping); otherwise the line is cleared. Later calls do
// nothing.
func (l *Line) Stop(keep bool) {
	l.once.Do(func() {
		close(l.done)
		l.wg.Wait()
		if l.w == nil || !l.tty {
			return
		}
		if keep {
			l.print()
			fmt.Fprintln(l.w)
		} else {
			fmt.Fprint(l.w, "\r\033[K")
		}
	})
}
