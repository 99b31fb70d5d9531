package generate

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pgshape/pgshape/internal/status"
)

// progress reports per-table rows, rows/s and (where the total is known) the ETA: a
// line redrawn in place on a terminal, a plain log line every few seconds otherwise
// (package status).
type progress struct {
	stats map[string]*tableStat
	line  *status.Line
}

func startProgress(w io.Writer, stats map[string]*tableStat) *progress {
	p := &progress{stats: stats}
	p.line = status.Start(w, 5*time.Second, p.text)
	return p
}

// stop ends the reports; a terminal keeps the last line.
func (p *progress) stop() { p.line.Stop(true) }

func (p *progress) text(elapsed time.Duration, tty bool) string {
	el := elapsed.Seconds()
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
		return ""
	}
	if tty {
		return "[Generate] " + strings.Join(parts, " | ")
	}
	return fmt.Sprintf("[Generate] copy %.0fs: %s", el, strings.Join(parts, "; "))
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
