package generate

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports per-table rows, rows/s and (where the total is known) the ETA: a
// line redrawn in place on a terminal, a plain log line every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	stats map[string]*tableStat
	start time.Time
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, stats map[string]*tableStat) *progress {
	p := &progress{w: w, stats: stats, start: time.Now(), done: make(chan struct{})}
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	every := 5 * time.Second
	if p.tty {
		every = 250 * time.Millisecond
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.print()
			case <-p.done:
				return
			}
		}
	})
	return p
}

func (p *progress) stop() {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
		if p.w != nil && p.tty {
			p.print()
			fmt.Fprintln(p.w)
		}
	})
}

func (p *progress) print() {
	el := time.Since(p.start).Seconds()
	var parts []string
	for _, t := range []string{tMessages, tReceipts, tAttachments, tMembers, tConversations, tUsers} {
		st := p.stats[t]
		rows := st.rows.Load()
		if rows == 0 {
			continue
		}
		rate := float64(rows) / max(el, 1e-3)
		part := fmt.Sprintf("%s %s", t, count(rows))
		if st.expected > 0 {
			part += "/" + count(st.expected)
		}
		part += fmt.Sprintf(" %s rows/s", count(int64(rate)))
		if st.expected > rows && rate > 0 {
			part += fmt.Sprintf(" ETA %.0fs", float64(st.expected-rows)/rate)
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K[Generate] %s", strings.Join(parts, " | "))
		return
	}
	fmt.Fprintf(p.w, "[Generate] copy %.0fs: %s\n", el, strings.Join(parts, "; "))
}

// count writes n with a k/M suffix.
func count(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
