package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/pgshape/pgshape/spec"
)

// Limits on what a spec and a message count derive, checked before anything is
// tabulated (spec.Validate bounds each field alone; these bound their products).
const (
	// MaxConversations bounds the conversations C = A / (1 − inactive_ratio): the plan
	// keeps four int64 per 1024 conversations (32 MB at 10⁹), and the solve for A
	// walks the A active ones a few times.
	MaxConversations = 1_000_000_000
	// MaxUsers bounds U = messages · users.per_message: the users table is written
	// whole by every run and every shard.
	MaxUsers = 1_000_000_000
)

// ErrTooLarge marks a spec and message count whose dataset is beyond the generator's
// limits (bad input: exit 2 at the CLI).
var ErrTooLarge = errors.New("the dataset is too large")

// checkScale refuses a dataset whose conversations or users exceed the limits, from
// the first estimate a of the active conversations (messages over the count model's
// mean), before newModel walks them.
func checkScale(s *spec.Spec, messages, a int64) error {
	r := s.Conversations.InactiveRatio
	if c := float64(a) / (1 - r); c > MaxConversations {
		return fmt.Errorf("%w: %d messages at the count model's mean need about %.3g conversations ($.conversations.inactive_ratio %g), want at most %d: lower the message count or raise $.messages.per_conversation_distribution",
			ErrTooLarge, messages, c, r, int64(MaxConversations))
	}
	if u := math.Round(float64(messages) * s.Users.PerMessage); u > MaxUsers {
		return fmt.Errorf("%w: %d messages × $.users.per_message %g = %.3g users, want at most %d: lower the message count or per_message",
			ErrTooLarge, messages, s.Users.PerMessage, u, int64(MaxUsers))
	}
	return nil
}

// plan is the id layout of one run: per chunk of convChunk conversations, how many
// messages and attachments it holds, so that any worker can start at any
// conversation with the right first message and attachment ids. It costs one pass
// over the media draws up to the shard's end, in parallel, and a few int64 per chunk.
type plan struct {
	m        *model
	lo, hi   int64   // conversation indexes of this run (the shard)
	msgStart []int64 // first message id of chunk k
	attStart []int64 // first attachment id of chunk k
	messages int64   // messages of [lo, hi)
	attachs  int64   // attachments of [lo, hi)
}

func newPlan(ctx context.Context, m *model, sh Shard, workers int) (*plan, error) {
	p := &plan{m: m}
	p.lo, p.hi = sh.convRange(m.convs)
	nChunks := (p.hi + convChunk - 1) / convChunk
	msgs := make([]int64, nChunks)
	atts := make([]int64, nChunks)
	var wg sync.WaitGroup
	next := make(chan int64)
	for range workers {
		g := newGen(m)
		wg.Go(func() {
			for k := range next {
				msgs[k], atts[k] = g.countRange(k*convChunk, min((k+1)*convChunk, p.hi))
			}
		})
	}
	var err error
feed:
	for k := range nChunks {
		select {
		case next <- k:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	p.msgStart = make([]int64, nChunks+1)
	p.attStart = make([]int64, nChunks+1)
	p.msgStart[0], p.attStart[0] = 1, 1
	for k := range nChunks {
		p.msgStart[k+1] = p.msgStart[k] + msgs[k]
		p.attStart[k+1] = p.attStart[k] + atts[k]
	}
	g := newGen(m)
	loMsg, loAtt := p.idsAt(g, p.lo)
	hiMsg, hiAtt := p.idsAt(g, p.hi)
	p.messages, p.attachs = hiMsg-loMsg, hiAtt-loAtt
	return p, nil
}

// idsAt returns the first message id and first attachment id of conversation index
// idx (idx ≤ hi).
func (p *plan) idsAt(g *gen, idx int64) (msgID, attID int64) {
	k := idx / convChunk
	if k >= int64(len(p.msgStart)) {
		k = int64(len(p.msgStart)) - 1
	}
	msgs, atts := g.countRange(k*convChunk, idx)
	return p.msgStart[k] + msgs, p.attStart[k] + atts
}

// ranges splits [lo, hi) at chunk boundaries into pieces of about target messages.
func (p *plan) ranges(target int64) [][2]int64 {
	var out [][2]int64
	start := p.lo
	for start < p.hi {
		end := start
		for end < p.hi {
			k := end / convChunk
			end = min((k+1)*convChunk, p.hi)
			if p.msgStart[min(end/convChunk, int64(len(p.msgStart))-1)]-p.msgStart[start/convChunk] >= target {
				break
			}
		}
		out = append(out, [2]int64{start, end})
		start = end
	}
	return out
}
