package validate

import (
	"math"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

// peopleDoc is baseDoc with the version-2 families, round numbers again:
//   - 1000 active senders, messages per sender {1: 500, 2: 300, 5: 150, 10: 50} (CDF at
//     the edges 0.5, 0.8, 0.95, 1); the busiest 10 send 44%, the busiest 1%/5%/10%
//     send 30%/50%/60%;
//   - 2000 users, conversations per user {0: 400, 1: 800, 2: 400, 5: 400};
//   - 800 active conversations, senders per conversation {1: 96, 2: 504, 3: 200}
//     (12% single-sender threads), lifetimes {0: 100, 60: 300, 3600: 300, 86400: 100};
//   - member counts 0–2 apart: {0: 10, 1: 50, 2: 450, 3: 300, 21: 40} (1 vs 2: 10%);
//   - gaps {0: 1000, 1: 10000, 60: 20000, 3600: 10000, 86400: 6200}.
func peopleDoc() *shape.Document {
	f := shape.Float
	d := baseDoc()
	d.Users.Senders = &shape.Senders{ActiveSenders: 1000,
		MessagesPerSenderHistogram: shape.FromEdges([]float64{1, 2, 5, 10}, []int64{500, 300, 150, 50}),
		TopShare:                   shape.TopShare{Top1Pct: f(0.30), Top5Pct: f(0.50), Top10Pct: f(0.60), Top10: f(0.44)}}
	d.Users.Memberships = &shape.Memberships{Users: 2000,
		ConversationsPerUserHistogram: shape.FromEdges([]float64{0, 1, 2, 5}, []int64{400, 800, 400, 400})}
	d.Conversations.Threads = &shape.Threads{ActiveConversations: 800,
		SendersPerConversationHistogram: shape.FromEdges([]float64{1, 2, 3}, []int64{96, 504, 200}),
		SingleSenderShare:               f(0.12),
		LifetimeHistogramSeconds:        shape.FromEdges([]float64{0, 60, 3600, 86400}, []int64{100, 300, 300, 100}),
		Gaps:                            47200}
	d.Conversations.MemberCountHistogram = shape.FromEdges([]float64{0, 1, 2, 3, 21}, []int64{10, 50, 450, 300, 40})
	d.Messages.InterArrivalHistogramSeconds = shape.FromEdges([]float64{0, 1, 60, 3600, 86400},
		[]int64{1000, 10000, 20000, 10000, 6200})
	return d
}

func people(r *Result) map[string]*Check {
	m := map[string]*Check{}
	for _, list := range [][]Check{r.Checks, r.Informational} {
		for i := range list {
			m[list[i].ID] = &list[i]
		}
	}
	return m
}

// Identical documents: every check of the shape of people and of time passes with
// Δ = 0; reported, they leave the 23 gated checks alone; gated, they are 11 more.
func TestPeopleIdentical(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	r := Compare(b, clone(t, b), Options{PeopleChecks: PeopleReported})
	if r.Total != 23 || len(r.Informational) != len(PeopleCheckIDs) || len(r.Notices) != 0 || !r.GO() {
		t.Fatalf("reported: total %d, informational %d, notices %v, %s; want 23, %d, none, GO",
			r.Total, len(r.Informational), r.Notices, r.Decision, len(PeopleCheckIDs))
	}
	for i, ch := range r.Informational {
		if ch.ID != PeopleCheckIDs[i] || ch.Status != Pass || ch.Delta == nil || *ch.Delta != 0 {
			t.Errorf("informational %d: %s %s Δ=%v, want %s passing with Δ = 0", i, ch.ID, ch.Status, ch.Delta, PeopleCheckIDs[i])
		}
	}
	g := Compare(b, clone(t, b), Options{PeopleChecks: PeopleGated})
	if g.Total != 23+len(PeopleCheckIDs) || g.Passed != g.Total || len(g.Informational) != 0 || !g.GO() {
		t.Errorf("gated: total %d passed %d informational %d %s, want %d all passed, none, GO",
			g.Total, g.Passed, len(g.Informational), g.Decision, 23+len(PeopleCheckIDs))
	}
	if Compare(b, b, Options{}).Options.PeopleChecks != DefaultPeopleChecks {
		t.Error("the zero PeopleChecks is not DefaultPeopleChecks")
	}
}

// Who sends: 1000 of the baseline's 2000 users send (0.5). A candidate where 300 of
// 2000 send (0.15) is Δ = 0.15/0.5 − 1 = −0.7, far outside ±20% and its 99% sampling
// error 2.5758293·√(0.5·0.5/2000)/0.5 = 0.057601: a critical failure, NO-GO, although
// its busiest senders' shares and messages per sender are the baseline's. 900 of 2000
// (Δ = −0.1) passes.
func TestPeopleActiveShare(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	c := clone(t, b)
	c.Users.Senders.ActiveSenders = 300
	r := Compare(b, c, Options{PeopleChecks: PeopleGated})
	ch := r.Check("senders.active_share")
	near(t, "Δ", *ch.Delta, -0.7, 1e-12)
	near(t, "sampling error", ch.Sampling.Error, 2.5758293035489004*math.Sqrt(0.25/2000)/0.5, 1e-12)
	if ch.Status != Fail || !ch.Critical || r.GO() || r.Reason != "failed: users who send" {
		t.Errorf("300 of 2000: %s critical %v, %s (%s); want a critical failure, NO-GO (failed: users who send)",
			ch.Status, ch.Critical, r.Decision, r.Reason)
	}
	for _, id := range []string{"senders.ks", "senders.top_10", "senders.top_pct"} {
		if st := r.Check(id).Status; st != Pass {
			t.Errorf("%s: %s, want pass (only who sends differs)", id, st)
		}
	}
	c.Users.Senders.ActiveSenders = 900
	if ch := Compare(b, c, Options{PeopleChecks: PeopleGated}).Check("senders.active_share"); ch.Status != Pass || math.Abs(*ch.Delta+0.1) > 1e-12 {
		t.Errorf("900 of 2000: %s Δ=%v, want a pass at −0.1", ch.Status, *ch.Delta)
	}
}

// Binned KS on messages per sender, by hand. Candidate {1: 350, 2: 300, 5: 250, 10: 100}
// has CDF 0.35, 0.65, 0.90, 1 against 0.5, 0.8, 0.95, 1: D = 0.15 > 0.10, and at
// n = m = 1000 the 1% critical value is 1.627624/(√500 + 0.12 + 0.11/√500) = 0.072386,
// so the difference is real: a critical failure. The same shares over 50 and 40 senders
// (baseline {25, 15, 8, 2}, candidate {14, 12, 10, 4}, D = 0.15 again) have e = 2000/90
// = 22.22 and D_crit = 1.627624/(4.714045 + 0.12 + 0.023335) = 0.335082: chance alone
// reaches D = 0.15 there, so the check passes on its sampling error.
func TestPeopleSendersKS(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	c := clone(t, b)
	c.Users.Senders.MessagesPerSenderHistogram = shape.FromEdges([]float64{1, 2, 5, 10}, []int64{350, 300, 250, 100})
	r := Compare(b, c, Options{PeopleChecks: PeopleGated})
	ch := r.Check("senders.ks")
	near(t, "D", *ch.Delta, 0.15, 1e-12)
	near(t, "D_crit(1%; 1000, 1000)", ch.Sampling.Error, 0.072386, 1e-6)
	if ch.Status != Fail || !ch.Critical || ch.Sampling.Decided || r.GO() || r.Reason != "failed: messages per sender (KS)" {
		t.Errorf("status %s critical %v decided %v, decision %s (%s); want a critical failure, NO-GO", ch.Status, ch.Critical,
			ch.Sampling.Decided, r.Decision, r.Reason)
	}

	b.Users.Senders.MessagesPerSenderHistogram = shape.FromEdges([]float64{1, 2, 5, 10}, []int64{25, 15, 8, 2})
	c.Users.Senders.MessagesPerSenderHistogram = shape.FromEdges([]float64{1, 2, 5, 10}, []int64{14, 12, 10, 4})
	r = Compare(b, c, Options{PeopleChecks: PeopleGated})
	ch = r.Check("senders.ks")
	near(t, "small D", *ch.Delta, 0.15, 1e-12)
	near(t, "D_crit(1%; 50, 40)", ch.Sampling.Error, 0.335082, 1e-6)
	if ch.Status != Pass || !ch.Sampling.Decided || !r.GO() {
		t.Errorf("small samples: status %s decided %v, %s; want a pass decided by the sampling error, GO", ch.Status, ch.Sampling.Decided, r.Decision)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "  Messages per sender (KS): D=0.1500 (✓ within its sampling error: ≤ D_crit(1%; n=50, m=40) = 0.3351; gate 0.10)"
	if !strings.Contains(text.String(), want) {
		t.Errorf("the report lacks %q:\n%s", want, text.String())
	}
}

// The small-count rule on a share, by hand. 12% single-sender threads in the baseline;
// the candidate shows 15% (Δ = +25%, beyond ±20%). Over 400 active conversations (48
// expected events) the sampling error is 2.5758·√(0.12·0.88/400)/0.12 = 34.9%: a pass on
// its sampling error. Over 4000 (480 events) it is 2.5758·√(0.12·0.88/4000)/0.12 =
// 11.0%: the +25% stands, a (non-critical) warning.
func TestPeopleSmallCountShare(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	c := clone(t, b)
	c.Conversations.Threads.SingleSenderShare = shape.Float(0.15)
	for _, x := range []struct {
		n         int64
		err       float64
		status    Status
		decided   bool
		wantInTxt string
	}{
		{400, 0.348769, Pass, true, "  Single-sender threads: 15.0% (baseline: 12.0%, Δ=+25%, ✓ within its sampling error (±34.9% at 99%, 48 expected events of 400))"},
		{4000, 0.110291, Warning, false, "  Single-sender threads: 15.0% (baseline: 12.0%, Δ=+25%, ⚠ outside ±20% (non-critical))"},
	} {
		c.Conversations.Threads.ActiveConversations = x.n
		r := Compare(b, c, Options{PeopleChecks: PeopleGated})
		ch := r.Check("single_sender_share")
		near(t, "Δ", *ch.Delta, 0.25, 1e-12)
		near(t, "relative sampling error", ch.Sampling.Error, x.err, 1e-6)
		near(t, "expected events", ch.Sampling.Expected, 0.12*float64(x.n), 1e-9)
		if ch.Status != x.status || ch.Sampling.Decided != x.decided || ch.Critical {
			t.Errorf("n=%d: status %s decided %v critical %v, want %s %v false", x.n, ch.Status, ch.Sampling.Decided, ch.Critical, x.status, x.decided)
		}
		var text strings.Builder
		if err := r.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), x.wantInTxt) {
			t.Errorf("n=%d: the report lacks %q:\n%s", x.n, x.wantInTxt, text.String())
		}
	}
}

// The rule on a version-1 check, the media ratio (±5%, critical): the docs' worked
// example. Baseline 2.0%, a 10 000-message pilot: E = 200 expected media messages, and
// the relative sampling error is 2.5758·√(0.98/200) = 18.03%. 2.3% (+15%) is chance;
// 2.5% (+25%) is not. Over 1 000 000 messages the error is 1.80% and +15% fails.
func TestMediaRatioSamplingError(t *testing.T) {
	t.Parallel()
	b := baseDoc()
	b.Messages.MediaRatio = shape.Float(0.02)
	for _, x := range []struct {
		n      int64
		ratio  float64
		err    float64
		status Status
	}{
		{10000, 0.023, 0.180308, Pass},
		{10000, 0.025, 0.180308, Fail},
		{1000000, 0.023, 0.0180308, Fail},
	} {
		c := clone(t, b)
		c.Messages.TotalCount = x.n
		c.Messages.MediaRatio = shape.Float(x.ratio)
		ch := Compare(b, c, Options{}).Check("media_ratio")
		near(t, "media sampling error", ch.Sampling.Error, x.err, 1e-6)
		if ch.Status != x.status {
			t.Errorf("n=%d ratio %g: status %s, want %s (note %q)", x.n, x.ratio, ch.Status, x.status, ch.Note)
		}
	}
}

// 1 vs 2 members: the baseline has 50 single-member and 450 two-member conversations
// (10%); a candidate with 30 and 570 has 5% (Δ = −50%) over n = 600, E = 60, sampling
// error 2.5758·√(0.9/60) = 31.5%: a warning (not critical). Merged buckets publish
// nothing; a first bucket at 2 means none.
func TestPeopleOneVsTwo(t *testing.T) {
	t.Parallel()
	for _, x := range []struct {
		h     shape.Histogram
		share float64 // −1: not published
		n     float64
	}{
		{shape.FromEdges([]float64{0, 1, 2, 3, 21}, []int64{10, 50, 450, 300, 40}), 0.1, 500},
		{shape.FromEdges([]float64{2, 3}, []int64{450, 300}), 0, 450},
		{shape.FromEdges([]float64{0, 2, 3}, []int64{60, 450, 300}), -1, 0}, // 1 merged with 0
		{shape.FromEdges([]float64{1, 3}, []int64{500, 300}), -1, 0},        // 1 and 2 merged
		{shape.FromEdges([]float64{1, 2}, []int64{50, 450}), -1, 0},         // 2 is the open last bucket
		{nil, -1, 0},
	} {
		s, n := OneVsTwo(x.h)
		if x.share < 0 {
			if s != nil {
				t.Errorf("OneVsTwo(%v) = %g, want not published", x.h, *s)
			}
			continue
		}
		if s == nil || *s != x.share || n != x.n {
			t.Errorf("OneVsTwo(%v) = %v over %g, want %g over %g", x.h, s, n, x.share, x.n)
		}
	}
	b := peopleDoc()
	c := clone(t, b)
	c.Conversations.MemberCountHistogram = shape.FromEdges([]float64{1, 2, 3, 21}, []int64{30, 570, 300, 40})
	ch := Compare(b, c, Options{PeopleChecks: PeopleGated}).Check("conversation_sizes.one_vs_two")
	near(t, "Δ", *ch.Delta, -0.5, 1e-12)
	near(t, "sampling error", ch.Sampling.Error, 2.5758293035489004*math.Sqrt(0.9/60), 1e-12)
	if ch.Status != Warning || ch.Critical {
		t.Errorf("status %s critical %v, want a non-critical warning", ch.Status, ch.Critical)
	}
	c.Conversations.MemberCountHistogram = shape.FromEdges([]float64{0, 2, 3}, []int64{60, 450, 300})
	if ch := Compare(b, c, Options{PeopleChecks: PeopleGated}).Check("conversation_sizes.one_vs_two"); ch.Status != Warning ||
		!strings.Contains(ch.Note, "not published apart") {
		t.Errorf("merged candidate: %s (%q), want a warning naming the merge", ch.Status, ch.Note)
	}
}

// Busiest senders: the real archive had the busiest 10 senders at 44% and a
// uniform generator at 2.8% (Δ = −93.6%): gated, a critical failure and NO-GO; reported,
// GO with the failure printed under "Not gated". The worst of the 1%/5%/10% shares names
// its percentile.
func TestPeopleGate(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	c := clone(t, b)
	c.Users.Senders.TopShare = shape.TopShare{Top1Pct: shape.Float(0.30), Top5Pct: shape.Float(0.30),
		Top10Pct: shape.Float(0.60), Top10: shape.Float(0.028)}
	g := Compare(b, c, Options{PeopleChecks: PeopleGated})
	near(t, "top-10 Δ", delta(t, g, "senders.top_10"), 0.028/0.44-1, 1e-12)
	near(t, "top-% Δ", delta(t, g, "senders.top_pct"), -0.4, 1e-12)
	if ch := g.Check("senders.top_pct"); ch.Status != Warning || ch.Label != "Busiest senders' share, top 5% (worst of 1%, 5%, 10%)" {
		t.Errorf("top_pct: %s %q, want a warning labelled at the top 5%%", ch.Status, ch.Label)
	}
	if g.GO() || g.Reason != "failed: busiest 10 senders' share" {
		t.Errorf("gated: %s (%s), want NO-GO (failed: busiest 10 senders' share)", g.Decision, g.Reason)
	}
	r := Compare(b, c, Options{PeopleChecks: PeopleReported})
	if !r.GO() || r.Check("senders.top_10") != nil || people(r)["senders.top_10"].Status != Fail {
		t.Errorf("reported: %s, want GO with senders.top_10 failing among the informational checks", r.Decision)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[People] The shape of people and of time, reported and not gated (Options.PeopleChecks = \"report\";",
		"[People] Senders:\n",
		"  Busiest 10 senders' share: 2.8% (baseline: 44.0%, Δ=-94%, ✗ outside ±20%)\n",
		"Not gated: 11 (busiest 10 senders' share fail: 2.8% vs 44.0%, Δ=-94%; busiest senders' shares (1%, 5%, 10%) warning: 30.0% vs 50.0%, Δ=-40%)\n",
		"Decision: GO (within tolerance)\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, text.String())
		}
	}
	if err := (Options{PeopleChecks: "yes"}).Validate(); err == nil || err.Error() != `error checking validate.Options.PeopleChecks: "yes", want "gate" or "report"` {
		t.Errorf("Validate(PeopleChecks yes) = %v", err)
	}
}

// A version-1 baseline: its missing families are named in one notice, and their checks
// are skipped (the gaps, the top-5% share and 1 vs 2 still compare: they are version-1
// fields); a candidate whose contract has no sender identity skips the sender checks.
func TestPeopleVersion1(t *testing.T) {
	t.Parallel()
	v2 := peopleDoc()
	v1 := clone(t, v2)
	v1.ShapeVersion = "1"
	v1.Users.Senders, v1.Users.Memberships, v1.Conversations.Threads = nil, nil, nil
	r := Compare(v1, v2, Options{PeopleChecks: PeopleGated})
	wantNotice := "the baseline (shape_version 1) has no users.senders, users.memberships, conversations.threads: their checks are skipped"
	if len(r.Notices) != 1 || r.Notices[0] != wantNotice {
		t.Errorf("notices %q, want [%q]", r.Notices, wantNotice)
	}
	skipped := map[string]string{"senders.active_share": "users.senders", "senders.ks": "users.senders", "senders.top_10": "users.senders", "senders.top_pct": "users.senders",
		"memberships.ks": "users.memberships", "senders_per_conversation.ks": "conversations.threads",
		"single_sender_share": "conversations.threads", "lifetimes.ks": "conversations.threads"}
	for _, id := range PeopleCheckIDs {
		ch := r.Check(id)
		if fam, ok := skipped[id]; ok {
			if ch.Status != Skipped || ch.Note != "the baseline has no "+fam+" (shape_version 1, or a contract without sender or member identity)" {
				t.Errorf("%s: %s (%q), want skipped naming %s", id, ch.Status, ch.Note, fam)
			}
		} else if ch.Status != Pass {
			t.Errorf("%s: %s, want pass (a version-1 field)", id, ch.Status)
		}
	}
	if !r.GO() || r.Skipped != len(skipped) {
		t.Errorf("%s with %d skipped, want GO with %d", r.Decision, r.Skipped, len(skipped))
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "[Validation] ⚠ "+wantNotice+"\n") {
		t.Errorf("the report lacks the notice:\n%s", text.String())
	}

	noSender := clone(t, v2)
	noSender.Users.Senders = nil
	r = Compare(v2, noSender, Options{PeopleChecks: PeopleGated})
	if len(r.Notices) != 1 || r.Notices[0] != "the candidate (shape_version 2) has no users.senders: their checks are skipped" {
		t.Errorf("notices %q", r.Notices)
	}
	if ch := r.Check("senders.ks"); ch.Status != Skipped || !strings.HasPrefix(ch.Note, "the candidate has no users.senders") {
		t.Errorf("senders.ks: %s (%q), want skipped", ch.Status, ch.Note)
	}
}

// Lifetimes and gaps by hand. Candidate lifetimes {0: 400, 60: 200, 3600: 100, 86400:
// 100} (CDF 0.5, 0.75, 0.875, 1 against 0.125, 0.5, 0.875, 1): D = 0.375, far beyond
// D_crit(1%; 800, 800) = 1.627624/(20 + 0.12 + 0.0055) = 0.080887. Gaps with the first
// two buckets swapped in size ({0: 10000, 1: 1000, …}): D = 9000/47200 = 0.190678.
func TestPeopleTime(t *testing.T) {
	t.Parallel()
	b := peopleDoc()
	c := clone(t, b)
	c.Conversations.Threads.LifetimeHistogramSeconds = shape.FromEdges([]float64{0, 60, 3600, 86400}, []int64{400, 200, 100, 100})
	c.Messages.InterArrivalHistogramSeconds = shape.FromEdges([]float64{0, 1, 60, 3600, 86400}, []int64{10000, 1000, 20000, 10000, 6200})
	r := Compare(b, c, Options{PeopleChecks: PeopleGated})
	near(t, "lifetime D", delta(t, r, "lifetimes.ks"), 0.375, 1e-12)
	near(t, "lifetime D_crit", r.Check("lifetimes.ks").Sampling.Error, 1.6276236115/(20+0.12+0.0055), 1e-9)
	near(t, "gaps D", delta(t, r, "gaps.ks"), 9000.0/47200, 1e-12)
	if r.Check("lifetimes.ks").Status != Fail || r.Check("gaps.ks").Status != Fail ||
		r.Reason != "failed: conversation lifetimes (KS), gaps between messages (KS)" {
		t.Errorf("%s (%s), want NO-GO on lifetimes and gaps", r.Decision, r.Reason)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "  Lifetime, first to last message (KS): D=0.3750 (✗ > 0.10)"; !strings.Contains(text.String(), want) {
		t.Errorf("the report lacks %q:\n%s", want, text.String())
	}
}

// v1 is the options of the tests of the version-1 checks (compare_test.go): the checks
// of people and of time only reported, so that their counts and decisions do not move
// when DefaultPeopleChecks is switched to PeopleGated.
var v1 = Options{PeopleChecks: PeopleReported}

// The busiest 10 at the candidate's scale, by hand on peopleDoc's baseline (1000 active
// senders; 5% = 50 senders send 50%, 10% = 100 senders 60%): 10 of 200 candidate
// senders are the fraction 0.05 of them, 50%; 10 of 100 are 0.1, 60%; the fraction
// 0.075 lies ln 1.5/ln 2 of the way from 0.05 to 0.1 in ln f: 50% + 10%·0.585. Outside
// the points (under 10 of 1000, over 10%) there is no figure. A candidate with 200
// senders is judged against 50%: its busiest 10 at 75% fail (+50%), at 52% pass (+4%);
// with as many senders as the baseline the published 44% stays.
func TestTopShareAtScale(t *testing.T) {
	t.Parallel()
	s := peopleDoc().Users.Senders
	for _, c := range []struct {
		f    float64
		want float64
	}{{0.05, 0.50}, {0.1, 0.60}, {0.075, 0.50 + 0.10*math.Log(1.5)/math.Log(2)}} {
		got := TopShareAt(s, c.f)
		if got == nil || math.Abs(*got-c.want) > 1e-9 {
			t.Errorf("f = %g: %v, want %g", c.f, got, c.want)
		}
	}
	for _, f := range []float64{0.005, 0.2, 0} {
		if got := TopShareAt(s, f); got != nil {
			t.Errorf("f = %g: %g, want none", f, *got)
		}
	}
	b, c := peopleDoc(), peopleDoc()
	c.Users.Senders.ActiveSenders = 200
	c.Users.Senders.TopShare.Top10 = shape.Float(0.75)
	ch := people(Compare(b, c, Options{PeopleChecks: PeopleGated}))["senders.top_10"]
	if ch.Baseline == nil || math.Abs(*ch.Baseline-0.50) > 1e-9 || ch.Status != Fail || !strings.Contains(ch.Note, "the candidate's scale") {
		t.Errorf("200 senders, busiest 10 at 75%%: baseline %v, %s (%s); want 50%%, a failure, the note", ch.Baseline, ch.Status, ch.Note)
	}
	c.Users.Senders.TopShare.Top10 = shape.Float(0.52)
	if ch := people(Compare(b, c, Options{PeopleChecks: PeopleGated}))["senders.top_10"]; ch.Status != Pass {
		t.Errorf("200 senders, busiest 10 at 52%%: %s (%s), want a pass against 50%%", ch.Status, ch.Note)
	}
	c.Users.Senders.ActiveSenders = 1000
	if ch := people(Compare(b, c, Options{PeopleChecks: PeopleGated}))["senders.top_10"]; ch.Baseline == nil || *ch.Baseline != 0.44 {
		t.Errorf("as many senders: baseline %v, want the published 44%%", ch.Baseline)
	}
}
