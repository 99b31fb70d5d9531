package watch

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pglogrepl"
)

// ErrPrivacy marks a stream or publication that would let more than counters'
// inputs reach the watch: a column outside the allowlist, a published update or
// delete, a logical decoding message. The watch stops and discards its state.
var ErrPrivacy = errors.New("privacy gate")

// relation is what a Relation message told about a published table: which of its
// columns the aggregator reads, by position in the tuple.
type relation struct {
	table table
	// positions of the columns the aggregator reads; -1 when not published
	id, conversationID, messageID, createdAt, readAt int
	ncols                                            int
}

// Decoder decodes pgoutput protocol version 2 messages (the WALData of XLogData, or
// the data column of pg_logical_slot_peek_binary_changes) into an Aggregator.
//
// Begin, Commit, Relation and the Stream messages are decoded by pglogrepl. Inserts,
// the hot path, are read in place: pglogrepl copies every column's bytes into a new
// slice, including columns the watch never needs, while this reads the few integer
// and timestamp columns it aggregates and copies nothing.
type Decoder struct {
	agg      *Aggregator
	allow    Allowlist
	rels     map[uint32]*relation
	inStream bool
	// the transaction being received outside streaming mode
	cur        *delta
	curCommit  micros
	streamTop  uint32
	streams    map[uint32]*streamed
	aborted    int64
	abortedSub int64
	streamedN  int64
	lastLSN    pglogrepl.LSN
	tap        func([]byte) // tests only: sees every message fed
}

// streamed is a streamed transaction not yet committed: one delta per xid (the
// top-level transaction and each subtransaction), in order of first appearance.
type streamed struct {
	byXid map[uint32]*delta
	order []uint32
}

// NewDecoder returns a decoder that feeds agg and enforces allow on every Relation
// message.
func NewDecoder(agg *Aggregator, allow Allowlist) *Decoder {
	return &Decoder{agg: agg, allow: allow, rels: make(map[uint32]*relation), streams: make(map[uint32]*streamed)}
}

// Aggregator returns the aggregator the decoder feeds.
func (d *Decoder) Aggregator() *Aggregator { return d.agg }

// Feed decodes one pgoutput message. An error wrapping ErrPrivacy means the watch must
// stop and discard its state; any other error is a malformed message.
func (d *Decoder) Feed(data []byte) error {
	if len(data) == 0 {
		return errors.New("error decoding a pgoutput message: empty")
	}
	if d.tap != nil {
		d.tap(data)
	}
	switch pglogrepl.MessageType(data[0]) {
	case pglogrepl.MessageTypeInsert:
		return d.insert(data)
	case pglogrepl.MessageTypeUpdate, pglogrepl.MessageTypeDelete, pglogrepl.MessageTypeTruncate:
		return fmt.Errorf("%w: the stream carries an %s: the publication must publish inserts only (ALTER PUBLICATION … SET (publish = 'insert'))",
			ErrPrivacy, pglogrepl.MessageType(data[0]))
	case pglogrepl.MessageTypeMessage:
		return fmt.Errorf("%w: the stream carries a logical decoding message, which the watch never asks for", ErrPrivacy)
	}
	m, err := pglogrepl.ParseV2(data, d.inStream)
	if err != nil {
		return fmt.Errorf("error decoding a pgoutput %q message: %w", data[0], err)
	}
	switch m := m.(type) {
	case *pglogrepl.BeginMessage:
		d.cur = d.agg.newDelta()
		d.curCommit = toMicros(m.CommitTime)
	case *pglogrepl.CommitMessage:
		if d.cur == nil {
			return errors.New("error decoding a pgoutput commit: no transaction began")
		}
		d.agg.commit([]*delta{d.cur}, toMicros(m.CommitTime))
		d.cur = nil
		d.lastLSN = m.TransactionEndLSN
	case *pglogrepl.RelationMessageV2:
		return d.relation(&m.RelationMessage)
	case *pglogrepl.StreamStartMessageV2:
		d.inStream = true
		d.streamTop = m.Xid
		if d.streams[m.Xid] == nil {
			d.streams[m.Xid] = &streamed{byXid: make(map[uint32]*delta)}
		}
	case *pglogrepl.StreamStopMessageV2:
		d.inStream = false
	case *pglogrepl.StreamCommitMessageV2:
		s := d.streams[m.Xid]
		delete(d.streams, m.Xid)
		d.streamedN++
		var ds []*delta
		if s != nil {
			for _, x := range s.order {
				ds = append(ds, s.byXid[x])
			}
		}
		d.agg.commit(ds, toMicros(m.CommitTime))
		d.lastLSN = m.TransactionEndLSN
	case *pglogrepl.StreamAbortMessageV2:
		s := d.streams[m.Xid]
		if s == nil {
			return nil
		}
		if m.SubXid == m.Xid {
			for _, x := range s.order {
				d.agg.release(s.byXid[x])
			}
			delete(d.streams, m.Xid)
			d.aborted++
			return nil
		}
		if sd := s.byXid[m.SubXid]; sd != nil {
			d.agg.release(sd)
			delete(s.byXid, m.SubXid)
			for i, x := range s.order {
				if x == m.SubXid {
					s.order = append(s.order[:i], s.order[i+1:]...)
					break
				}
			}
			d.abortedSub++
		}
	}
	// Type and Origin messages carry nothing the watch needs.
	return nil
}

// target returns the delta an insert of (sub)transaction xid goes to.
func (d *Decoder) target(xid uint32) (*delta, error) {
	if !d.inStream {
		if d.cur == nil {
			return nil, errors.New("error decoding a pgoutput insert: outside a transaction")
		}
		return d.cur, nil
	}
	s := d.streams[d.streamTop]
	if s == nil {
		return nil, errors.New("error decoding a pgoutput insert: outside a stream")
	}
	ds := s.byXid[xid]
	if ds == nil {
		ds = d.agg.newDelta()
		s.byXid[xid] = ds
		s.order = append(s.order, xid)
	}
	return ds, nil
}

func (d *Decoder) relation(m *pglogrepl.RelationMessage) error {
	cols := make([]Column, len(m.Columns))
	for i, c := range m.Columns {
		cols[i] = Column{Name: c.Name, TypeOID: c.DataType}
	}
	if err := d.allow.Check(m.RelationName, cols); err != nil {
		return fmt.Errorf("%w: a Relation message shows %v", ErrPrivacy, err)
	}
	r := &relation{table: -1, id: -1, conversationID: -1, messageID: -1, createdAt: -1, readAt: -1, ncols: len(cols)}
	for t, name := range tableNames {
		if name == m.RelationName {
			r.table = table(t)
		}
	}
	for i, c := range cols {
		switch c.Name {
		case "id":
			r.id = i
		case "conversation_id":
			r.conversationID = i
		case "message_id":
			r.messageID = i
		case "created_at":
			r.createdAt = i
		case "read_at":
			r.readAt = i
		}
	}
	d.rels[m.RelationID] = r
	return nil
}

// errShort is a truncated insert message.
var errShort = errors.New("error decoding a pgoutput insert: message truncated")

// insert reads an Insert message in place: 'I', [xid], relation id, 'N', the tuple.
func (d *Decoder) insert(data []byte) error {
	p := 1
	var xid uint32
	if d.inStream {
		if len(data) < p+4 {
			return errShort
		}
		xid = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if len(data) < p+7 {
		return errShort
	}
	relID := binary.BigEndian.Uint32(data[p:])
	p += 4
	if data[p] != 'N' {
		return fmt.Errorf("error decoding a pgoutput insert: tuple kind %q, want 'N'", data[p])
	}
	p++
	n := int(binary.BigEndian.Uint16(data[p:]))
	p += 2
	r := d.rels[relID]
	if r == nil {
		return fmt.Errorf("error decoding a pgoutput insert: relation %d was never described", relID)
	}
	if n != r.ncols {
		return fmt.Errorf("error decoding a pgoutput insert: %d columns, the relation has %d", n, r.ncols)
	}
	dl, err := d.target(xid)
	if err != nil {
		return err
	}
	var vals [8][]byte // the columns the aggregator reads, by position (≤ 8 allowed per table)
	for i := 0; i < n; i++ {
		if p >= len(data) {
			return errShort
		}
		kind := data[p]
		p++
		switch kind {
		case 't', 'b':
			if len(data) < p+4 {
				return errShort
			}
			l := int(binary.BigEndian.Uint32(data[p:]))
			p += 4
			if len(data) < p+l {
				return errShort
			}
			if i < len(vals) {
				vals[i] = data[p : p+l]
			}
			p += l
		case 'n', 'u':
		default:
			return fmt.Errorf("error decoding a pgoutput insert: column kind %q", kind)
		}
	}
	col := func(i int) []byte {
		if i < 0 || i >= len(vals) {
			return nil
		}
		return vals[i]
	}
	ok := true
	num := func(i int) int64 {
		v, good := parseInt(col(i))
		ok = ok && good
		return v
	}
	ts := func(i int) micros {
		v, good := parseTimestamp(col(i))
		ok = ok && good
		return v
	}
	switch r.table {
	case tMessages:
		id, c, at := num(r.id), num(r.conversationID), ts(r.createdAt)
		if ok {
			d.agg.message(dl, id, c, at)
		}
	case tReceipts:
		m, at := num(r.messageID), ts(r.readAt)
		if ok {
			d.agg.receipt(dl, m, at)
		}
	case tConversations:
		c := num(r.id)
		if ok {
			d.agg.conversation(dl, c)
		}
	case tMembers:
		c := num(r.conversationID)
		if ok {
			d.agg.member(dl, c)
		}
	default:
		if r.table >= 0 {
			dl.rows[r.table]++
		}
	}
	if !ok {
		dl.unparsed++
	}
	return nil
}

// parseInt parses a text-format integer.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, len(b) > 0
}

// parseTimestamp parses a text-format timestamptz (or timestamp, read as UTC) in
// DateStyle ISO: "2006-01-02 15:04:05[.ffffff][+hh[:mm[:ss]]]". It returns µs since
// the Unix epoch.
func parseTimestamp(b []byte) (micros, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	dig := func(s []byte) (int64, bool) {
		var v int64
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	y, ok1 := dig(b[0:4])
	mo, ok2 := dig(b[5:7])
	dd, ok3 := dig(b[8:10])
	hh, ok4 := dig(b[11:13])
	mi, ok5 := dig(b[14:16])
	ss, ok6 := dig(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 {
		return 0, false
	}
	p := 19
	var frac int64
	if p < len(b) && b[p] == '.' {
		p++
		scale := int64(100000)
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			frac += int64(b[p]-'0') * scale
			scale /= 10
			p++
		}
	}
	var off int64
	if p < len(b) {
		sign := int64(1)
		switch b[p] {
		case '+':
		case '-':
			sign = -1
		default:
			return 0, false
		}
		p++
		parts := [3]int64{}
		for k := 0; k < 3 && p+2 <= len(b); k++ {
			v, ok := dig(b[p : p+2])
			if !ok {
				return 0, false
			}
			parts[k] = v
			p += 2
			if p < len(b) && b[p] == ':' {
				p++
			}
		}
		if p != len(b) {
			return 0, false
		}
		off = sign * (parts[0]*3600 + parts[1]*60 + parts[2])
	}
	days := daysFromCivil(y, mo, dd)
	sec := days*86400 + hh*3600 + mi*60 + ss - off
	return sec*int64(second) + frac, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm, http://howardhinnant.github.io/date_algorithms.html).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
