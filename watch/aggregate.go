package watch

import (
	"time"

	"github.com/pgshape/pgshape/shape"
)

// Limits bound the aggregator's memory: the maps that pair a message with its
// conversation's previous message, or a receipt with its message, never grow past
// them, so a watch's memory is flat however long it runs.
type Limits struct {
	// Conversations is how many conversations are tracked (last message time, message
	// and member counts). Default 1 << 20; beyond it a new conversation's messages
	// count in the totals and profiles only (Coverage.UntrackedConversations).
	Conversations int
	// RecentMessages is how many recent messages are kept to match read receipts
	// (message id → created_at). Default 1 << 20; a receipt of an older message is
	// counted as unmatched (Coverage.UnmatchedReceipts).
	RecentMessages int
}

func (l Limits) withDefaults() Limits {
	if l.Conversations <= 0 {
		l.Conversations = 1 << 20
	}
	if l.RecentMessages <= 0 {
		l.RecentMessages = 1 << 20
	}
	return l
}

// µs since the Unix epoch: every time the aggregator keeps.
type micros = int64

const (
	second micros = 1_000_000
	minute        = 60 * second
	day           = 24 * 60 * minute
)

type conv struct {
	last    micros // created_at of the latest message seen
	msgs    int64
	members int32
	created bool // its conversations row was seen (a conversation born during the watch)
}

type recent struct {
	created micros
	read    bool
}

// Aggregator holds the counters of the committed transactions seen so far. It is not
// safe for concurrent use: one replication loop feeds it.
type Aggregator struct {
	lim Limits

	transactions      int64
	rows              [numTables]int64
	messages          int64
	commitProfile     [7][24]int64
	createdProfile    [7][24]int64
	days              map[int32]struct{} // UTC days (since the epoch) holding a created_at
	interArrival      hist               // gaps between consecutive messages, by commit time
	lastCommit        micros
	convGap           hist // gaps between consecutive messages of a conversation, by created_at
	convGapMoments    moments
	minuteAt          int64 // the current minute (since the epoch) of commit time; -1 before any
	minuteCount       int64
	perMinute         hist // messages per whole minute of commit time
	perMinuteMoments  moments
	rowsPerTxn        hist
	commitLag         hist // commit time − created_at, seconds
	negativeLag       int64
	receipts          int64
	matchedReceipts   int64
	unmatchedReceipts int64
	readMessages      int64
	delay             hist // minutes
	delaySketch       sketch
	convs             map[int64]conv
	untrackedConvs    int64
	recent            map[int64]recent
	ring              []int64
	ringPos           int
	untrackedMessages int64
	unparsed          int64

	free []*delta
}

// NewAggregator returns an empty aggregator.
func NewAggregator(lim Limits) *Aggregator {
	lim = lim.withDefaults()
	return &Aggregator{
		lim:          lim,
		days:         make(map[int32]struct{}),
		interArrival: newHist(shape.GridInterArrivalSeconds()),
		convGap:      newHist(shape.GridInterArrivalSeconds()),
		minuteAt:     -1,
		perMinute:    newHist(gridPerMinute()),
		rowsPerTxn:   newHist(gridRowsPerTxn()),
		commitLag:    newHist(shape.GridInterArrivalSeconds()),
		delay:        newHist(shape.GridDelayMinutes()),
		delaySketch:  newSketch(),
		convs:        make(map[int64]conv),
		recent:       make(map[int64]recent),
	}
}

// gridPerMinute: messages per minute, 0 then LogGrid(1, 1e7).
func gridPerMinute() []float64 { return append([]float64{0}, shape.LogGrid(1, 1e7)...) }

// gridRowsPerTxn: rows per transaction, 0 then LogGrid(1, 1e7).
func gridRowsPerTxn() []float64 { return append([]float64{0}, shape.LogGrid(1, 1e7)...) }

// Tables the watch understands, by their reference-schema names.
type table int

const (
	tUsers table = iota
	tConversations
	tMembers
	tMessages
	tReceipts
	tAttachments
	numTables
)

var tableNames = [numTables]string{"users", "conversations", "conversation_members", "messages", "read_receipts", "attachments"}

// delta holds the counters of one (sub)transaction until its commit.
type delta struct {
	rows      [numTables]int64
	messages  int64
	created   [7][24]int64
	convGap   hist
	gapMom    moments
	convs     map[int64]convDelta
	msgs      map[int64]recent
	readMain  map[int64]struct{} // aggregate messages first read in this transaction
	receipts  int64
	matched   int64
	unmatched int64
	readMsgs  int64
	delay     hist
	sketch    sketch
	createdAt map[int64]int64 // created_at / res → messages, for commit − created_at
	res       micros
	days      map[int32]struct{}
	untracked int64
	unparsed  int64
}

type convDelta struct {
	first, last micros
	msgs        int64
	members     int32
	created     bool
}

// maxCreatedKeys bounds a delta's created_at counts; past it the resolution coarsens
// from a second to a minute, then an hour.
const maxCreatedKeys = 4096

func (a *Aggregator) newDelta() *delta {
	if n := len(a.free); n > 0 {
		d := a.free[n-1]
		a.free = a.free[:n-1]
		return d
	}
	return &delta{
		convGap:   newHist(shape.GridInterArrivalSeconds()),
		convs:     make(map[int64]convDelta),
		msgs:      make(map[int64]recent),
		readMain:  make(map[int64]struct{}),
		delay:     newHist(shape.GridDelayMinutes()),
		sketch:    newSketch(),
		createdAt: make(map[int64]int64),
		res:       second,
		days:      make(map[int32]struct{}),
	}
}

// release clears d and keeps it for reuse; a discarded delta leaves nothing behind.
// A delta whose maps grew large (a big transaction) is dropped instead, so the pool
// does not keep their memory.
func (a *Aggregator) release(d *delta) {
	if len(d.msgs) > 1<<12 || len(d.convs) > 1<<12 || len(d.readMain) > 1<<12 {
		return
	}
	d.rows = [numTables]int64{}
	d.messages = 0
	d.created = [7][24]int64{}
	if d.gapMom.N > 0 {
		d.convGap.reset()
	}
	d.gapMom = moments{}
	clear(d.convs)
	clear(d.msgs)
	clear(d.readMain)
	if d.matched > 0 {
		d.delay.reset()
		d.sketch.reset()
	}
	d.receipts, d.matched, d.unmatched, d.readMsgs = 0, 0, 0, 0
	clear(d.createdAt)
	d.res = second
	clear(d.days)
	d.untracked, d.unparsed = 0, 0
	if len(a.free) < 64 {
		a.free = append(a.free, d)
	}
}

// weekdayHour returns the ISO weekday (0 = Monday) and UTC hour of t.
func weekdayHour(t micros) (int, int) {
	days := floorDiv(t, day)
	wd := int((days + 3) % 7) // 1970-01-01 was a Thursday (ISO 3)
	if wd < 0 {
		wd += 7
	}
	h := int(floorDiv(t-days*day, 60*minute))
	return wd, h
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func absDiff(a, b micros) micros {
	if a > b {
		return a - b
	}
	return b - a
}

// message records a message created at created in conversation c.
func (a *Aggregator) message(d *delta, id, c int64, created micros) {
	d.rows[tMessages]++
	d.messages++
	wd, h := weekdayHour(created)
	d.created[wd][h]++
	if len(d.days) < 1<<16 {
		d.days[int32(floorDiv(created, day))] = struct{}{}
	}
	k := floorDiv(created, d.res)
	d.createdAt[k]++
	if len(d.createdAt) > maxCreatedKeys {
		d.coarsen()
	}
	cd, ok := d.convs[c]
	if !ok && len(d.convs) >= a.lim.Conversations {
		d.untracked++
	} else {
		if cd.msgs > 0 {
			g := float64(absDiff(created, cd.last)) / float64(second)
			d.convGap.add(g, 1)
			d.gapMom.add(g)
			cd.last = max(cd.last, created)
		} else {
			cd.first, cd.last = created, created
		}
		cd.msgs++
		d.convs[c] = cd
	}
	if len(d.msgs) < a.lim.RecentMessages {
		d.msgs[id] = recent{created: created}
	}
}

func (d *delta) coarsen() {
	next := d.res * 60
	old := d.createdAt
	d.createdAt = make(map[int64]int64, len(old)/8)
	for k, n := range old {
		d.createdAt[floorDiv(k*d.res, next)] += n
	}
	d.res = next
}

// conversation records a conversation created during the watch.
func (a *Aggregator) conversation(d *delta, c int64) {
	d.rows[tConversations]++
	a.touchConv(d, c, func(cd *convDelta) { cd.created = true })
}

// member records one member joining conversation c.
func (a *Aggregator) member(d *delta, c int64) {
	d.rows[tMembers]++
	a.touchConv(d, c, func(cd *convDelta) { cd.members++ })
}

// touchConv applies f to conversation c's entry of d, unless c is new and the map is
// at its limit: then the conversation is counted as untracked.
func (a *Aggregator) touchConv(d *delta, c int64, f func(*convDelta)) {
	cd, ok := d.convs[c]
	if !ok && len(d.convs) >= a.lim.Conversations {
		d.untracked++
		return
	}
	f(&cd)
	d.convs[c] = cd
}

// receipt records a read receipt of message m at readAt.
func (a *Aggregator) receipt(d *delta, m int64, readAt micros) {
	d.rows[tReceipts]++
	d.receipts++
	var created micros
	if r, ok := d.msgs[m]; ok {
		created = r.created
		if !r.read {
			r.read = true
			d.msgs[m] = r
			d.readMsgs++
		}
	} else if r, ok := a.recent[m]; ok {
		created = r.created
		if _, seen := d.readMain[m]; !r.read && !seen {
			d.readMain[m] = struct{}{}
			d.readMsgs++
		}
	} else {
		d.unmatched++
		return
	}
	d.matched++
	sec := float64(readAt-created) / float64(second)
	if sec < 0 {
		sec = 0
	}
	d.delay.add(sec/60, 1)
	d.sketch.add(sec, 1)
}

// commit merges d, committed at commitTime, into the aggregate and releases it.
func (a *Aggregator) commit(ds []*delta, commitTime micros) {
	a.transactions++
	var rows, msgs int64
	for _, d := range ds {
		for t, n := range d.rows {
			rows += n
			a.rows[t] += n
		}
		msgs += d.messages
	}
	a.rowsPerTxn.add(float64(rows), 1)
	if msgs > 0 {
		a.messages += msgs
		wd, h := weekdayHour(commitTime)
		a.commitProfile[wd][h] += msgs
		if a.lastCommit != 0 {
			a.interArrival.add(float64(max(commitTime-a.lastCommit, 0))/float64(second), 1)
		}
		if msgs > 1 {
			a.interArrival.add(0, msgs-1) // the messages of one transaction arrive together
		}
		a.lastCommit = commitTime
		a.perMinuteAdd(commitTime, msgs)
	}
	for _, d := range ds {
		a.mergeDelta(d, commitTime)
		a.release(d)
	}
}

func (a *Aggregator) perMinuteAdd(commitTime micros, n int64) {
	m := floorDiv(commitTime, minute)
	switch {
	case a.minuteAt < 0:
		a.minuteAt = m
	case m > a.minuteAt:
		a.perMinute.add(float64(a.minuteCount), 1)
		a.perMinuteMoments.add(float64(a.minuteCount))
		if empty := m - a.minuteAt - 1; empty > 0 {
			a.perMinute.add(0, empty)
			a.perMinuteMoments.addZeros(empty)
		}
		a.minuteAt, a.minuteCount = m, 0
	}
	a.minuteCount += n
}

func (a *Aggregator) mergeDelta(d *delta, commitTime micros) {
	for wd := range d.created {
		for h, n := range d.created[wd] {
			a.createdProfile[wd][h] += n
		}
	}
	for k := range d.days {
		if len(a.days) < 1<<16 {
			a.days[k] = struct{}{}
		}
	}
	for k, n := range d.createdAt {
		created := k * d.res
		if d.res > second {
			created += d.res / 2
		}
		lag := commitTime - created
		if lag < 0 {
			a.negativeLag += n
			lag = 0
		}
		a.commitLag.add(float64(lag)/float64(second), n)
	}
	if d.gapMom.N > 0 {
		a.convGap.merge(&d.convGap)
		a.convGapMoments.merge(d.gapMom)
	}
	for id, cd := range d.convs {
		c, ok := a.convs[id]
		if !ok && len(a.convs) >= a.lim.Conversations {
			a.untrackedConvs++
			continue
		}
		if cd.msgs > 0 {
			if c.msgs > 0 {
				g := float64(absDiff(cd.first, c.last)) / float64(second)
				a.convGap.add(g, 1)
				a.convGapMoments.add(g)
				c.last = max(c.last, cd.last)
			} else {
				c.last = cd.last
			}
			c.msgs += cd.msgs
		}
		c.members += cd.members
		c.created = c.created || cd.created
		a.convs[id] = c
	}
	a.untrackedConvs += d.untracked
	for id := range d.readMain {
		if r, ok := a.recent[id]; ok {
			r.read = true
			a.recent[id] = r
		}
	}
	for id, r := range d.msgs {
		a.remember(id, r)
	}
	a.untrackedMessages += d.messages - int64(len(d.msgs))
	a.receipts += d.receipts
	a.matchedReceipts += d.matched
	a.unmatchedReceipts += d.unmatched
	a.readMessages += d.readMsgs
	if d.matched > 0 { // the histograms are long: merge only what was touched
		a.delay.merge(&d.delay)
		a.delaySketch.merge(&d.sketch)
	}
	a.unparsed += d.unparsed
}

// remember keeps message id in the bounded map of recent messages, evicting the
// oldest one remembered when it is full.
func (a *Aggregator) remember(id int64, r recent) {
	if _, ok := a.recent[id]; ok {
		a.recent[id] = r
		return
	}
	if len(a.ring) < a.lim.RecentMessages {
		a.ring = append(a.ring, id)
	} else {
		delete(a.recent, a.ring[a.ringPos])
		a.ring[a.ringPos] = id
		a.ringPos = (a.ringPos + 1) % len(a.ring)
	}
	a.recent[id] = r
}

// Messages returns how many committed messages the aggregate holds.
func (a *Aggregator) Messages() int64 { return a.messages }

// Transactions returns how many committed transactions the aggregate holds.
func (a *Aggregator) Transactions() int64 { return a.transactions }

func toMicros(t time.Time) micros { return t.UnixMicro() }
