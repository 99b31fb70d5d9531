package generate

import (
	"io"
	"sync/atomic"
)

// Table names, in the order their COPYs are scheduled (largest first).
const (
	tUsers         = "users"
	tConversations = "conversations"
	tMembers       = "conversation_members"
	tMessages      = "messages"
	tReceipts      = "read_receipts"
	tAttachments   = "attachments"
)

// Tables lists the reference tables the generator writes, parents first.
var Tables = []string{tUsers, tConversations, tMembers, tMessages, tReceipts, tAttachments}

var tableColumns = map[string][]string{
	tUsers:         {"id", "username", "email", "created_at"},
	tConversations: {"id", "kind", "title", "created_at"},
	tMembers:       {"conversation_id", "user_id", "joined_at"},
	tMessages:      {"id", "conversation_id", "sender_id", "created_at", "media_kind", "content"},
	tReceipts:      {"message_id", "reader_id", "read_at"},
	tAttachments:   {"id", "message_id", "type", "size_bytes"},
}

// primaryKey is each table's key, for ordered checksums.
var primaryKey = map[string]string{
	tUsers: "id", tConversations: "id", tMembers: "conversation_id, user_id",
	tMessages: "id", tReceipts: "message_id, reader_id", tAttachments: "id",
}

// producer appends binary COPY tuples of one table over one range of entities, in
// primary-key order, resuming where it stopped.
type producer interface {
	// fill appends rows until len(buf) ≥ limit or the range is exhausted (done).
	fill(buf []byte, limit int) (out []byte, rows int64, done bool)
}

// copyReader streams a producer as a binary COPY body (header, tuples, trailer): the
// io.Reader pgconn's CopyFrom pulls from. It holds one buffer, never the table.
type copyReader struct {
	p       producer
	buf     []byte
	pos     int
	started bool
	done    bool
	rows    *atomic.Int64 // shared progress counter of the table
	bytes   *atomic.Int64
}

const copyChunk = 256 << 10

func (c *copyReader) Read(p []byte) (int, error) {
	for c.pos >= len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		c.buf, c.pos = c.buf[:0], 0
		if !c.started {
			c.buf = append(c.buf, copyHeader...)
			c.started = true
		}
		var n int64
		c.buf, n, c.done = c.p.fill(c.buf, copyChunk)
		if c.done {
			c.buf = append(c.buf, 0xff, 0xff)
		}
		c.rows.Add(n)
		c.bytes.Add(int64(len(c.buf)))
	}
	n := copy(p, c.buf[c.pos:])
	c.pos += n
	return n, nil
}

// ---- users ----

type usersProducer struct {
	g    *gen
	next int64 // next user id
	hi   int64 // last user id (inclusive)
}

func (p *usersProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	g, m := p.g, p.g.m
	var rows int64
	for ; p.next <= p.hi && len(b) < limit; p.next++ {
		uid := p.next
		g.seed(&g.pr, tagUser, uid)
		l := int(m.usernameLen.sample(g.r))
		b = putTuple(b, 4)
		b = putInt8(b, uid)
		b = putText(b, g.username(uid, l))
		e := append(g.scratch[:0], "user"...)
		e = appendInt(e, uid)
		e = append(e, "@example.invalid"...)
		g.scratch = e
		b = putText(b, e)
		b = putInt8(b, g.userCreated(uid))
		rows++
	}
	return b, rows, p.next > p.hi
}

func appendInt(b []byte, v int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// ---- conversations and members ----

type convProducer struct {
	g        *gen
	next, hi int64 // conversation indexes [next, hi)
}

func (p *convProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	var rows int64
	for ; p.next < p.hi && len(b) < limit; p.next++ {
		c := p.g.loadConversation(p.next)
		b = putTuple(b, 4)
		b = putInt8(b, c.id)
		b = putString(b, c.kind)
		if c.title == nil {
			b = putNull(b)
		} else {
			b = putText(b, c.title)
		}
		b = putInt8(b, c.created)
		rows++
	}
	return b, rows, p.next >= p.hi
}

type membersProducer struct {
	g        *gen
	next, hi int64
}

func (p *membersProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	var rows int64
	for ; p.next < p.hi && len(b) < limit; p.next++ {
		c := p.g.loadConversation(p.next)
		for i, uid := range c.members {
			b = putTuple(b, 3)
			b = putInt8(b, c.id)
			b = putInt8(b, uid)
			b = putInt8(b, c.joined[i])
		}
		rows += int64(len(c.members))
	}
	return b, rows, p.next >= p.hi
}

// ---- per-message tables ----

// msgWalker walks the messages of a conversation range in id order, keeping the
// current conversation's times and senders; the three message-derived producers embed
// it and differ only in what they emit per message.
type msgWalker struct {
	g        *gen
	next, hi int64 // conversation indexes still to visit
	conv     *convState
	n        int64  // messages of the current conversation
	i        int64  // next message within it
	firstID  int64  // id of the current conversation's first message
	nextID   int64  // id of the next conversation's first message
	begin    func() // called after a conversation is loaded, before its messages
}

// advance makes the walker point at a message; false when the range is done.
func (w *msgWalker) advance() bool {
	for w.conv == nil || w.i >= w.n {
		if w.next >= w.hi {
			return false
		}
		idx := w.next
		w.next++
		n := w.g.m.messageCount(idx)
		if n == 0 {
			continue
		}
		w.conv = w.g.loadConversation(idx)
		w.n, w.i = n, 0
		w.firstID, w.nextID = w.nextID, w.nextID+n
		w.g.messageTimes(w.conv, n)
		w.begin()
	}
	return true
}

type messagesProducer struct{ msgWalker }

func newMessagesProducer(g *gen, lo, hi, firstID int64) *messagesProducer {
	p := &messagesProducer{msgWalker{g: g, next: lo, hi: hi, nextID: firstID}}
	p.begin = func() {
		g.seed(&g.pm, tagMedia, p.conv.id)
		g.seed(&g.pt, tagText, p.conv.id)
	}
	return p
}

func (p *messagesProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	g, m := p.g, p.g.m
	var rows int64
	for len(b) < limit {
		if !p.advance() {
			return b, rows, true
		}
		c, i := p.conv, p.i
		b = putTuple(b, 6)
		b = putInt8(b, p.firstID+i)
		b = putInt8(b, c.id)
		b = putInt8(b, c.members[c.byJoin[g.snd[i]]])
		b = putInt8(b, g.ts[i])
		if g.media() {
			b = putString(b, m.attachTypes[g.attTypes[0]])
			b = putNull(b)
		} else {
			b = putNull(b)
			b = putText(b, g.text())
		}
		p.i++
		rows++
	}
	return b, rows, false
}

type receiptsProducer struct{ msgWalker }

func newReceiptsProducer(g *gen, lo, hi, firstID int64) *receiptsProducer {
	p := &receiptsProducer{msgWalker{g: g, next: lo, hi: hi, nextID: firstID}}
	p.begin = func() { g.seed(&g.px, tagReceipt, p.conv.id) }
	return p
}

func (p *receiptsProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	g := p.g
	var rows int64
	for len(b) < limit {
		if !p.advance() {
			return b, rows, true
		}
		g.receipts(p.conv, int(p.i))
		id := p.firstID + p.i
		for _, r := range g.readers {
			b = putTuple(b, 3)
			b = putInt8(b, id)
			b = putInt8(b, r.uid)
			b = putInt8(b, r.readAt)
		}
		rows += int64(len(g.readers))
		p.i++
	}
	return b, rows, false
}

// attachmentsProducer walks media draws only: it needs neither members nor times.
type attachmentsProducer struct {
	g          *gen
	next, hi   int64
	n, i       int64
	id         int64 // current conversation's first message id + i
	nextMsg    int64
	nextAttach int64
	convID     int64
}

func (p *attachmentsProducer) fill(b []byte, limit int) ([]byte, int64, bool) {
	g, m := p.g, p.g.m
	sz := m.s.Attachments.SizeBytes
	var rows int64
	for len(b) < limit {
		for p.i >= p.n {
			if p.next >= p.hi {
				return b, rows, true
			}
			idx := p.next
			p.next++
			p.n, p.i = m.messageCount(idx), 0
			if p.n == 0 {
				continue
			}
			p.convID = idx + 1
			p.id = p.nextMsg
			p.nextMsg += p.n
			g.seed(&g.pm, tagMedia, p.convID)
			g.seed(&g.px, tagAttach, p.convID)
		}
		if g.media() {
			for _, t := range g.attTypes {
				b = putTuple(b, 4)
				b = putInt8(b, p.nextAttach)
				b = putInt8(b, p.id)
				b = putString(b, m.attachTypes[t])
				b = putInt8(b, drawLogNormal(g.rx, &sz))
				p.nextAttach++
				rows++
			}
		}
		p.i++
		p.id++
	}
	return b, rows, false
}

// countRange returns the messages and attachments of conversations [lo, hi): the
// same draws as the producers, without the rows.
func (g *gen) countRange(lo, hi int64) (msgs, atts int64) {
	for idx := lo; idx < hi; idx++ {
		n := g.m.messageCount(idx)
		if n == 0 {
			continue
		}
		msgs += n
		g.seed(&g.pm, tagMedia, idx+1)
		for range n {
			if g.media() {
				atts += int64(len(g.attTypes))
			}
		}
	}
	return msgs, atts
}
