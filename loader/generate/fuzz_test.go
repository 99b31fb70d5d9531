package generate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pgshape/pgshape/spec"
)

// fuzzRows bounds the rows a fuzz input generates: the conversations walked are the
// first ones whose messages and members add up to it (and at most as many users).
const fuzzRows = 20_000

// FuzzSpecPlan reads a spec, and when spec.Validate accepts it, builds the generator's
// model and plan and generates the first conversations of every table, without a
// database, for a message count of 1…50 000. A spec that Validate accepts must not
// hang (an input running over 60 s panics), panic, overflow or produce a row outside
// its invariants: timestamps inside [window.end − days, window.end) and sorted per
// conversation, read_at after created_at, sizes and counts non-negative, ids in
// sequence. Seeds: testdata/fuzz/FuzzSpecPlan (each field at the end of its range);
// `make test` runs them.
//
//	go test -run '^$' -fuzz FuzzSpecPlan -fuzztime 3m -parallel 1 ./loader/generate/
func FuzzSpecPlan(f *testing.F) {
	f.Add(spec.DefaultJSON(), uint32(50_000))
	f.Fuzz(func(t *testing.T, data []byte, messages uint32) {
		s, err := spec.Parse(data)
		if err != nil {
			return
		}
		n := 1 + int64(messages%50_000)
		hang := time.AfterFunc(60*time.Second, func() {
			panic(fmt.Sprintf("FuzzSpecPlan: a valid spec ran over 60 s for %d messages: a hang", n))
		})
		defer hang.Stop()
		m, err := newModel(s, "fuzz", n)
		if err != nil {
			return // refused with an error: fine
		}
		if m.active < 1 || m.convs < m.active || m.users < 2 || m.start >= m.end {
			t.Fatalf("model: %d active of %d conversations, %d users, window [%d, %d)", m.active, m.convs, m.users, m.start, m.end)
		}
		p, err := newPlan(context.Background(), m, Shard{}, 1)
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		if p.messages < m.active || p.attachs < 0 {
			t.Fatalf("plan: %d messages and %d attachments for %d active conversations", p.messages, p.attachs, m.active)
		}
		checkRows(t, m, p)
	})
}

// checkRows generates the first conversations' rows through the producers and checks
// their invariants through the generator's draws.
func checkRows(t *testing.T, m *model, p *plan) {
	g := newGen(m)
	var hi, rows int64
	for hi = p.lo; hi < p.hi && rows < fuzzRows; hi++ {
		n := m.messageCount(hi)
		if n > fuzzRows {
			break // a busy room (up to spec.MaxConversationMessages): walked by the plan only
		}
		rows += n + int64(len(g.loadConversation(hi).members))
	}
	users := min(m.users, fuzzRows)
	for _, pr := range []producer{&usersProducer{g: g, next: 1, hi: users}, &convProducer{g: g, next: p.lo, hi: hi},
		&membersProducer{g: g, next: p.lo, hi: hi}, newMessagesProducer(g, p.lo, hi, 1), newReceiptsProducer(g, p.lo, hi, 1),
		&attachmentsProducer{g: g, next: p.lo, hi: hi, nextMsg: 1, nextAttach: 1}} {
		var b []byte
		var rows int64
		for done := false; !done; {
			var k int64
			b, k, done = pr.fill(b[:0], copyChunk)
			if k < 0 {
				t.Fatalf("%T: %d rows", pr, k)
			}
			rows += k
		}
	}
	for uid := range users {
		if at := g.userCreated(uid + 1); at >= m.end {
			t.Fatalf("user %d created at %d, not before the window end %d", uid+1, at, m.end)
		}
	}
	var total int64
	for idx := p.lo; idx < hi; idx++ {
		n := m.messageCount(idx)
		total += n
		if n < 0 || total < 0 {
			t.Fatalf("conversation %d: %d messages (%d so far)", idx, n, total)
		}
		if n == 0 {
			continue
		}
		c := g.loadConversation(idx)
		if len(c.members) < 2 || int64(len(c.members)) > m.users {
			t.Fatalf("conversation %d: %d members of %d users", idx, len(c.members), m.users)
		}
		g.messageTimes(c, n)
		if int64(len(g.ts)) != n {
			t.Fatalf("conversation %d: %d times for %d messages", idx, len(g.ts), n)
		}
		for i, ts := range g.ts {
			if ts < m.start || ts >= m.end || (i > 0 && ts < g.ts[i-1]) {
				t.Fatalf("conversation %d: message %d at %d, want sorted times in [%d, %d)", idx, i, ts, m.start, m.end)
			}
			g.receipts(c, i)
			for _, r := range g.readers {
				if r.readAt <= ts || r.readAt >= m.end {
					t.Fatalf("conversation %d: message %d at %d read at %d, want in (created, %d)", idx, i, ts, r.readAt, m.end)
				}
			}
		}
	}
}
