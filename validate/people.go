package validate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pgshape/pgshape/shape"
)

// PeopleGate says whether the checks of the shape of people and of time (Options.PeopleChecks)
// count toward the decision.
type PeopleGate string

const (
	// PeopleGated: the checks are in Result.Checks and decide like any other.
	PeopleGated PeopleGate = "gate"
	// PeopleReported: the checks are computed and printed, in Result.Informational,
	// but count toward neither GO nor NO-GO.
	PeopleReported PeopleGate = "report"
)

// DefaultPeopleChecks is the one switch that makes the checks of the shape of people
// and of time (PeopleCheckIDs) count toward GO / NO-GO. It was PeopleReported while the
// generator drew senders and members uniformly and spread activity to the window's
// end; it is PeopleGated since the generator models senders, memberships and lifetimes
// (issue 12, point 5) and both demos are GO with these checks counted (docs/validate.md).
const DefaultPeopleChecks = PeopleGated

// PeopleCheckIDs are the checks People returns, in order.
var PeopleCheckIDs = []string{
	"heavy_rooms.top_5pct", "conversation_sizes.one_vs_two",
	"senders.active_share", "senders.ks", "senders.top_10", "senders.top_pct",
	"memberships.ks",
	"senders_per_conversation.ks", "single_sender_share", "lifetimes.ks", "gaps.ks",
}

// Version2Families are the families shape_version 2 adds, by JSON path.
var Version2Families = []string{"users.senders", "users.memberships", "conversations.threads"}

// missingFamilies lists the version-2 families d does not carry.
func missingFamilies(d *shape.Document) []string {
	var out []string
	for _, f := range Version2Families {
		if !hasFamily(d, f) {
			out = append(out, f)
		}
	}
	return out
}

func hasFamily(d *shape.Document, family string) bool {
	switch family {
	case "users.senders":
		return d.Users.Senders != nil
	case "users.memberships":
		return d.Users.Memberships != nil
	case "conversations.threads":
		return d.Conversations.Threads != nil
	}
	panic("validate: unknown family " + family)
}

// FamilyNotices names the version-2 families either side lacks (a version-1 document,
// or a source contract without sender or member identity): their checks are skipped.
func FamilyNotices(baseline, candidate *shape.Document) []string {
	var out []string
	for _, x := range []struct {
		what string
		d    *shape.Document
	}{{"baseline", baseline}, {"candidate", candidate}} {
		if m := missingFamilies(x.d); len(m) > 0 {
			out = append(out, fmt.Sprintf("the %s (shape_version %s) has no %s: their checks are skipped",
				x.what, x.d.ShapeVersion, strings.Join(m, ", ")))
		}
	}
	return out
}

// People compares the shape of people and of time (issue 12): the top-5%
// conversation share, single- against two-member conversations, messages per sender
// (binned KS) and the busiest senders' shares, conversations per user (binned KS),
// senders per conversation (binned KS) and the single-sender share, conversation
// lifetimes and within-conversation gaps (binned KS). A check whose family either
// document lacks is skipped (FamilyNotices says which). Shares are judged with their
// sampling error, KS distances with their critical value (Sampling).
func (o Options) People(b, c *shape.Document) []Check {
	o = o.WithDefaults()
	msgs := float64(c.Messages.TotalCount)
	var out []Check
	add := func(ch Check) { out = append(out, ch) }

	add(o.share(Check{ID: "heavy_rooms.top_5pct", Name: "heavy-room traffic share (top 5%)", Group: "Heavy rooms",
		Label: "Top 5% traffic share", Critical: true, Kind: Relative, Unit: UnitShare, Tolerance: o.Tolerance},
		b.Conversations.HeavyRoomShare.Top5Pct, c.Conversations.HeavyRoomShare.Top5Pct, msgs))

	bs, _ := OneVsTwo(b.Conversations.MemberCountHistogram)
	cs, cn := OneVsTwo(c.Conversations.MemberCountHistogram)
	ch := o.share(Check{ID: "conversation_sizes.one_vs_two", Name: "single-member conversations (1 vs 2)",
		Group: "Conversation sizes", Label: "1 member among 1–2 members", Kind: Relative, Unit: UnitShare,
		Tolerance: o.Tolerance}, bs, cs, cn)
	if bs == nil || cs == nil {
		ch.Note = "member counts 1 and 2 not published apart (buckets merged under k)"
	}
	add(ch)

	// users.senders
	senders := func(d *shape.Document) *shape.Senders {
		if d.Users.Senders == nil {
			return &shape.Senders{}
		}
		return d.Users.Senders
	}
	sb, sc := senders(b), senders(c)
	// Who sends at all: the share of users with a message in the window. The busiest
	// senders' shares and messages per sender are over the active senders, so a
	// candidate where a sixth of the users send, against three fifths, passes them
	// both (demo-real before the protagonists, at production's size: 811 of 3,750
	// against 2,237); this check does not.
	add(o.family("users.senders", b, c, o.share(Check{ID: "senders.active_share", Name: "users who send",
		Group: "Senders", Label: "Users with a message in the window", Critical: true, Kind: Relative,
		Unit: UnitShare, Tolerance: o.Tolerance},
		ActiveShare(b), ActiveShare(c), float64(c.Users.TotalCount))))
	add(o.family("users.senders", b, c, o.ksFamily(Check{ID: "senders.ks", Name: "messages per sender (KS)",
		Group: "Senders", Label: "Messages per sender (KS)", Critical: true},
		sb.MessagesPerSenderHistogram, sc.MessagesPerSenderHistogram)))
	top10Base, top10Note := sb.TopShare.Top10, ""
	if sc.ActiveSenders > 0 && sb.ActiveSenders > sc.ActiveSenders {
		if at := TopShareAt(sb, 10/float64(sc.ActiveSenders)); at != nil {
			top10Base = at
			top10Note = fmt.Sprintf("baseline at the candidate's scale: the share of its busiest %.2f%% of senders (10 of the candidate's %d), interpolated from its busiest 10, 1%%, 5%%, 10%% of %d",
				1000/float64(sc.ActiveSenders), sc.ActiveSenders, sb.ActiveSenders)
		}
	}
	top10 := o.share(Check{ID: "senders.top_10", Name: "busiest 10 senders' share",
		Group: "Senders", Label: "Busiest 10 senders' share", Critical: true, Kind: Relative, Unit: UnitShare,
		Tolerance: o.Tolerance}, top10Base, sc.TopShare.Top10, msgs)
	if top10Note != "" {
		top10.Note = appendNote(top10.Note, top10Note)
	}
	add(o.family("users.senders", b, c, top10))
	top := o.worst(Check{ID: "senders.top_pct", Name: "busiest senders' shares (1%, 5%, 10%)", Group: "Senders",
		Kind: Relative, Unit: UnitShare, Tolerance: o.Tolerance},
		[]namedPair{{"top 1%", sb.TopShare.Top1Pct, sc.TopShare.Top1Pct}, {"top 5%", sb.TopShare.Top5Pct, sc.TopShare.Top5Pct},
			{"top 10%", sb.TopShare.Top10Pct, sc.TopShare.Top10Pct}},
		func(at string) string { return "Busiest senders' share, " + at + " (worst of 1%, 5%, 10%)" })
	add(o.family("users.senders", b, c, o.withinSampling(top, msgs)))

	// users.memberships
	memberships := func(d *shape.Document) shape.Histogram {
		if d.Users.Memberships == nil {
			return nil
		}
		return d.Users.Memberships.ConversationsPerUserHistogram
	}
	add(o.family("users.memberships", b, c, o.ksFamily(Check{ID: "memberships.ks", Name: "conversations per user (KS)",
		Group: "Memberships", Label: "Conversations per user (KS)"}, memberships(b), memberships(c))))

	// conversations.threads
	threads := func(d *shape.Document) *shape.Threads {
		if d.Conversations.Threads == nil {
			return &shape.Threads{}
		}
		return d.Conversations.Threads
	}
	tb, tc := threads(b), threads(c)
	add(o.family("conversations.threads", b, c, o.ksFamily(Check{ID: "senders_per_conversation.ks",
		Name: "senders per conversation (KS)", Group: "Threads", Label: "Senders per conversation (KS)"},
		tb.SendersPerConversationHistogram, tc.SendersPerConversationHistogram)))
	add(o.family("conversations.threads", b, c, o.share(Check{ID: "single_sender_share", Name: "single-sender threads",
		Group: "Threads", Label: "Single-sender threads", Kind: Relative, Unit: UnitShare, Tolerance: o.Tolerance},
		tb.SingleSenderShare, tc.SingleSenderShare, float64(tc.ActiveConversations))))
	add(o.family("conversations.threads", b, c, o.ksFamily(Check{ID: "lifetimes.ks", Name: "conversation lifetimes (KS)",
		Group: "Threads", Label: "Lifetime, first to last message (KS)", Critical: true},
		tb.LifetimeHistogramSeconds, tc.LifetimeHistogramSeconds)))
	// The gaps' histogram is a version-1 family (messages.inter_arrival_histogram_seconds).
	add(o.ksFamily(Check{ID: "gaps.ks", Name: "gaps between messages (KS)", Group: "Threads",
		Label: "Gaps between messages of a conversation (KS)", Critical: true},
		b.Messages.InterArrivalHistogramSeconds, c.Messages.InterArrivalHistogramSeconds))
	return out
}

// ActiveShare is the share of d's users (users.total_count) with a message in the
// window (users.senders.active_senders); nil without senders or users.
func ActiveShare(d *shape.Document) *float64 {
	if d.Users.Senders == nil || d.Users.TotalCount <= 0 {
		return nil
	}
	v := float64(d.Users.Senders.ActiveSenders) / float64(d.Users.TotalCount)
	return &v
}

// TopShareAt is the share of the messages sent by the busiest fraction f of s's active
// senders, interpolated linearly in ln f between its published points: the busiest 10
// (fraction 10/n) and the busiest ceil(p·n) for p = 1 %, 5 %, 10 % (n active senders).
// The busiest 10 of a smaller candidate are a larger part of its senders than the
// baseline's busiest 10 of its own: under the same law of activity they carry the share
// of that larger part. nil when f lies outside the published points or fewer than two
// are published.
func TopShareAt(s *shape.Senders, f float64) *float64 {
	n := float64(s.ActiveSenders)
	if !(n > 0) || !(f > 0) {
		return nil
	}
	type point struct{ f, share float64 }
	var pts []point
	for _, x := range []struct {
		k     float64
		share *float64
	}{{10, s.TopShare.Top10}, {math.Ceil(0.01 * n), s.TopShare.Top1Pct}, {math.Ceil(0.05 * n), s.TopShare.Top5Pct},
		{math.Ceil(0.10 * n), s.TopShare.Top10Pct}} {
		if x.share != nil && x.k <= n {
			pts = append(pts, point{x.k / n, *x.share})
		}
	}
	slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.f, b.f) })
	for i := 1; i < len(pts); i++ {
		lo, hi := pts[i-1], pts[i]
		if f < lo.f || f > hi.f {
			continue
		}
		if hi.f == lo.f {
			return shape.Float(lo.share)
		}
		t := math.Log(f/lo.f) / math.Log(hi.f/lo.f)
		return shape.Float(lo.share + t*(hi.share-lo.share))
	}
	return nil
}

// family marks ch skipped when either document lacks the family it reads.
func (o Options) family(family string, b, c *shape.Document, ch Check) Check {
	var lack []string
	if !hasFamily(b, family) {
		lack = append(lack, "the baseline")
	}
	if !hasFamily(c, family) {
		lack = append(lack, "the candidate")
	}
	if len(lack) == 0 {
		return ch
	}
	ch.Status, ch.Delta, ch.Baseline, ch.Candidate, ch.Test, ch.Sampling = Skipped, nil, nil, nil, nil, nil
	verb := "has"
	if len(lack) == 2 {
		verb = "have"
	}
	ch.Note = fmt.Sprintf("%s %s no %s (shape_version 1, or a contract without sender or member identity)",
		strings.Join(lack, " and "), verb, family)
	return ch
}

// ksFamily is ks for a check whose criticality is its own (ks makes every distance
// check critical), judged with its critical value (withinKSCritical).
func (o Options) ksFamily(ch Check, b, c shape.Histogram) Check {
	critical := ch.Critical
	ch = o.ks(ch, b, c)
	if ch.Critical = critical; ch.Status == Fail && !critical {
		ch.Status = Warning
		ch.Note = appendNote(ch.Note, "out of tolerance (non-critical)")
	}
	return withinKSCritical(ch)
}

// OneVsTwo is the share of single-member conversations among those with one or two
// members, c1/(c1 + c2), and c1 + c2, from a member-count histogram; nil when the
// histogram does not publish both counts apart (their buckets merged under k). A
// histogram whose first bucket starts at 2 or above has no single-member conversation.
func OneVsTwo(h shape.Histogram) (share *float64, n float64) {
	c1, c2 := int64(-1), int64(-1)
	if len(h) > 0 && h[0].Lo >= 2 {
		c1 = 0
	}
	for _, x := range h {
		switch {
		case x.Lo == 1 && x.Hi == 2:
			c1 = x.Count
		case x.Lo == 2 && x.Hi == 3:
			c2 = x.Count
		}
	}
	if c1 < 0 || c2 < 0 || c1+c2 == 0 {
		return nil, 0
	}
	n = float64(c1 + c2)
	return shape.Float(float64(c1) / n), n
}
