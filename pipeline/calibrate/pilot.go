package calibrate

import (
	"fmt"
	"math"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
	"github.com/pgshape/pgshape/validate"
)

// PilotNeed is what one checked share asks of the pilot's size.
type PilotNeed struct {
	// Check is the check's ID ("media_ratio").
	Check string `json:"check"`
	// Share is the baseline's share p0.
	Share float64 `json:"share"`
	// Trials is how many trials (messages, conversations) the share needs: for a
	// relative tolerance T, E = Trials·p0 ≥ (z/(w·T))²·(1 − p0) expected events; for
	// an absolute one (the type mix, share points), Trials ≥ (z/(w·T))²·p0(1 − p0).
	// z = stats.SamplingZ (99%), w = WarnFraction: the share's sampling error then
	// stays inside the pass band of its tolerance.
	Trials float64 `json:"trials"`
	// Messages is the pilot size that gives Trials, from the baseline's trials per
	// window message (1 for a share of messages).
	Messages float64 `json:"messages"`
}

// PilotMessages is the smallest pilot, in window messages, at which every share the
// validation checks (and gates) expects enough events for its 99% sampling error to stay
// within WarnFraction of its tolerance, so that a pilot's GO is not luck and a pilot's
// miss is not noise: stats.EventsFor for a relative tolerance, stats.TrialsForAbsolute
// for the type mix. needs lists what each share asks; the largest sets the size. A share the baseline does not publish, or publishes as 0
// or 1, asks nothing (no sampling error to average away). opts must be defaulted.
func PilotMessages(baseline *shape.Document, opts validate.Options) (messages int64, needs []PilotNeed) {
	msgs := float64(baseline.Messages.TotalCount)
	if msgs <= 0 {
		return 0, nil
	}
	w := opts.WarnFraction
	add := func(id string, p *float64, tol float64, relative bool, trialsPerMessage float64) {
		if p == nil || *p <= 0 || *p >= 1 || !(trialsPerMessage > 0) {
			return
		}
		var trials float64
		if relative {
			trials = stats.EventsFor(*p, w*tol, stats.SamplingZ) / *p
		} else {
			trials = stats.TrialsForAbsolute(*p, w*tol, stats.SamplingZ)
		}
		needs = append(needs, PilotNeed{Check: id, Share: *p, Trials: math.Ceil(trials),
			Messages: math.Ceil(math.Ceil(trials) / trialsPerMessage)})
	}
	c := baseline.Conversations
	var atLeast2 int64
	for _, b := range c.MemberCountHistogram {
		if b.Hi > 2 { // a bucket merged across 2, such as [0, 3), counts whole
			atLeast2 += b.Count
		}
	}
	add("type_mix.one_to_one", c.TypeDistribution.OneToOne, opts.TypeMixTolerance, false, float64(atLeast2)/msgs)
	add("type_mix.small_group", c.TypeDistribution.SmallGroup, opts.TypeMixTolerance, false, float64(atLeast2)/msgs)
	add("type_mix.large_group", c.TypeDistribution.LargeGroup, opts.TypeMixTolerance, false, float64(atLeast2)/msgs)
	add("media_ratio", baseline.Messages.MediaRatio, opts.MediaRatioTolerance, true, 1)
	add("read_rate", baseline.ReadReceipts.ReadRate, opts.Tolerance, true, 1)
	add("heavy_rooms.top_2pct", c.HeavyRoomShare.Top2Pct, opts.Tolerance, true, 1)
	if opts.PeopleChecks == validate.PeopleGated {
		add("heavy_rooms.top_5pct", c.HeavyRoomShare.Top5Pct, opts.Tolerance, true, 1)
		if s := baseline.Users.Senders; s != nil {
			add("senders.top_10", s.TopShare.Top10, opts.Tolerance, true, 1)
			add("senders.active_share", validate.ActiveShare(baseline), opts.Tolerance, true,
				float64(baseline.Users.TotalCount)/msgs)
		}
		if t := c.Threads; t != nil {
			add("single_sender_share", t.SingleSenderShare, opts.Tolerance, true, float64(t.ActiveConversations)/msgs)
		}
		if s, n := validate.OneVsTwo(c.MemberCountHistogram); s != nil {
			add("conversation_sizes.one_vs_two", s, opts.Tolerance, true, n/msgs)
		}
	}
	for _, n := range needs {
		messages = max(messages, int64(n.Messages))
	}
	return messages, needs
}

// largest is the need that sets the pilot's size, in words.
func largest(needs []PilotNeed) string {
	var top PilotNeed
	for _, n := range needs {
		if n.Messages > top.Messages {
			top = n
		}
	}
	return fmt.Sprintf("%s at %.3g needs %.0f trials, %.0f messages", top.Check, top.Share, top.Trials, top.Messages)
}
