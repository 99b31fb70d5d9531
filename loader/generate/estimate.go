package generate

import (
	"context"
	"errors"
	"fmt"
	"github.com/pgshape/pgshape/option"
	"io"
	"net"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Bytes a row takes on disk once loaded, with its table's share of indexes, keys and
// page overhead: pg_total_relation_size / rows of each table after a load of the
// default spec (1M messages, PostgreSQL 15, default fillfactor; see docs/generate.md).
// Messages add their content's bytes to messageRowBytes.
const (
	userRowBytes         = 250
	conversationRowBytes = 82
	memberRowBytes       = 91
	messageRowBytes      = 142
	receiptRowBytes      = 84
	attachmentRowBytes   = 106
)

// ErrNoSpace means the load would not fit the target's disk.
var ErrNoSpace = errors.New("error checking the target's disk: the load will not fit")

// estimateSample bounds the messages the estimate walks.
const estimateSample = 200_000

// Estimate is the predicted size of a run's load.
type Estimate struct {
	Rows  map[string]int64 // by table
	Bytes int64            // on disk, with indexes
}

// estimate predicts the rows and bytes of the run: users, conversations, messages and
// attachments are the plan's; members per conversation, receipts per message and
// content bytes per message are measured on up to 4096 conversations spread evenly
// over the run (at most estimateSample messages) with the generator's own draws.
func estimate(p *plan) Estimate {
	m, g := p.m, newGen(p.m)
	convs := p.hi - p.lo
	step := max(1, convs/4096)
	var sampled, members, msgs, receipts, content int64
	for idx := p.lo; idx < p.hi && msgs < estimateSample; idx += step {
		c := g.loadConversation(idx)
		sampled++
		members += int64(len(c.members))
		n := m.messageCount(idx)
		if n == 0 {
			continue
		}
		g.messageTimes(c, n)
		g.seed(&g.pm, tagMedia, c.id)
		g.seed(&g.pt, tagText, c.id)
		g.seed(&g.px, tagReceipt, c.id)
		for i := range n {
			if !g.media() {
				content += int64(len(g.text())) + 1 // + the varlena header
			}
			g.receipts(c, int(i))
			receipts += int64(len(g.readers))
		}
		msgs += n
	}
	e := Estimate{Rows: map[string]int64{
		tUsers: m.users, tConversations: convs, tMessages: p.messages, tAttachments: p.attachs,
	}}
	var contentBytes float64
	if sampled > 0 {
		e.Rows[tMembers] = int64(float64(members) / float64(sampled) * float64(convs))
	}
	if msgs > 0 {
		e.Rows[tReceipts] = int64(float64(receipts) / float64(msgs) * float64(p.messages))
		contentBytes = float64(content) / float64(msgs) * float64(p.messages)
	}
	e.Bytes = int64(float64(e.Rows[tUsers])*userRowBytes + float64(e.Rows[tConversations])*conversationRowBytes +
		float64(e.Rows[tMembers])*memberRowBytes + float64(e.Rows[tMessages])*messageRowBytes + contentBytes +
		float64(e.Rows[tReceipts])*receiptRowBytes + float64(e.Rows[tAttachments])*attachmentRowBytes)
	return e
}

// freeBytes returns the free bytes of the file system holding the server's data
// directory, when it can tell: the connection goes to this machine (a Unix socket,
// localhost or a loopback address), the role may read data_directory (superuser or
// pg_read_all_settings), and the directory exists here. ok is false otherwise.
func freeBytes(ctx context.Context, conn *pgx.Conn) (free int64, dir string, ok bool) {
	host := conn.Config().Host
	if !strings.HasPrefix(host, "/") && host != "localhost" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return 0, "", false
		}
	}
	if err := conn.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&dir); err != nil || dir == "" {
		return 0, "", false
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return 0, "", false
	}
	free, ok = statfsFree(dir)
	return free, dir, ok
}

// checkSpace announces the estimate on out and refuses a load that clearly will not
// fit: more bytes than the data directory's file system has free, when freeBytes can
// tell.
func checkSpace(ctx context.Context, conn *pgx.Conn, p *plan, out io.Writer) error {
	e := estimate(p)
	free, dir, ok := freeBytes(ctx, conn)
	room := "free space on the server not known (remote server, or data_directory not readable)"
	if ok {
		room = fmt.Sprintf("%s free under %s", humanBytes(free), dir)
	}
	fmt.Fprintf(out, "[Generate] about %s on disk with indexes (%d members, %d receipts estimated); %s\n",
		humanBytes(e.Bytes), e.Rows[tMembers], e.Rows[tReceipts], room)
	return fits(e, free, dir, ok)
}

// fits refuses an estimate above the free bytes, when they are known.
func fits(e Estimate, free int64, dir string, known bool) error {
	if known && e.Bytes > free {
		return option.Errorf("Messages", "%w: about %s to write and %s free under %s: free space, or lower the band or {}",
			ErrNoSpace, humanBytes(e.Bytes), humanBytes(free), dir)
	}
	return nil
}

func humanBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
