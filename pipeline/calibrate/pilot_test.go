package calibrate

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// PilotMessages by hand, at the default tolerances (w = 0.8, z = 2.5758293): a 2% media
// ratio at ±5% needs E ≥ (z/0.04)²·0.98 = 4146.81·0.98 = 4063.87 media messages, so
// 4063.87/0.02 → 203 194 messages; the type mix at ±10 points needs n ≥ (z/0.08)²·p(1−p)
// = 1036.70·0.25 → 260 conversations with ≥ 2 members (0.1 per message: 2600 messages);
// read rate 0.8 at ±20%: 259.18·0.2/0.8 → 65; the top-2% share 0.3: 259.18·0.7/0.3 → 605.
func TestPilotMessages(t *testing.T) {
	t.Parallel()
	f := shape.Float
	d := &shape.Document{Messages: shape.Messages{TotalCount: 100000, MediaRatio: f(0.02)},
		ReadReceipts: shape.ReadReceipts{ReadRate: f(0.8)},
		Conversations: shape.Conversations{
			MemberCountHistogram: shape.FromEdges([]float64{0, 1, 2, 3, 21}, []int64{500, 500, 5000, 4000, 1000}),
			TypeDistribution:     shape.TypeMix{OneToOne: f(0.5), SmallGroup: f(0.4), LargeGroup: f(0.1)},
			HeavyRoomShare:       shape.HeavyRoomShare{Top2Pct: f(0.3), Top5Pct: f(0.5)},
			Threads:              &shape.Threads{ActiveConversations: 8000, SingleSenderShare: f(0.12)},
		}}
	got, needs := PilotMessages(d, validate.Options{PeopleChecks: validate.PeopleReported}.WithDefaults())
	want := map[string][2]float64{
		"media_ratio":          {203194, 203194},
		"type_mix.one_to_one":  {260, 2600},
		"type_mix.small_group": {249, 2490},
		"type_mix.large_group": {94, 940},
		"read_rate":            {65, 65},
		"heavy_rooms.top_2pct": {605, 605},
	}
	if got != 203194 || len(needs) != len(want) {
		t.Errorf("PilotMessages = %d with %d needs, want 203194 with %d: %+v", got, len(needs), len(want), needs)
	}
	for _, n := range needs {
		if w, ok := want[n.Check]; !ok || n.Trials != w[0] || n.Messages != w[1] {
			t.Errorf("%s: %.0f trials, %.0f messages; want %v", n.Check, n.Trials, n.Messages, w)
		}
	}
	// A first bucket merged across 2 ([0, 3), as k-anonymity publishes it) counts
	// whole: 1000 + 4000 + 1000 conversations with ≥ 2 members, 0.06 per message, so
	// the one-to-one share's 260 conversations need ⌈260/0.06⌉ = 4334 messages.
	merged := *d
	merged.Conversations.MemberCountHistogram = shape.FromEdges([]float64{0, 3, 21}, []int64{1000, 4000, 1000})
	_, needs = PilotMessages(&merged, validate.Options{PeopleChecks: validate.PeopleReported}.WithDefaults())
	if needs[0].Check != "type_mix.one_to_one" || needs[0].Messages != 4334 {
		t.Errorf("merged first bucket: %+v, want type_mix.one_to_one at 4334 messages", needs[0])
	}
	// Gated, the shares of people and of time ask too: single-sender threads 0.12 over
	// 0.08 active conversations per message: 259.18·0.88/0.12 = 1900.6 → 1901 conversations,
	// 23 763 messages; 1 vs 2 (500 of 5500): 259.18·(10/11)/(1/11) = 2591.8 → 2592, at
	// 0.055 per message 47 128 messages; the top-5% share 0.5: 259.18 → 260.
	_, needs = PilotMessages(d, validate.Options{PeopleChecks: validate.PeopleGated}.WithDefaults())
	gated := map[string][2]float64{"single_sender_share": {1901, 23763}, "conversation_sizes.one_vs_two": {2592, 47128},
		"heavy_rooms.top_5pct": {260, 260}}
	for _, n := range needs {
		if w, ok := gated[n.Check]; ok {
			if n.Trials != w[0] || n.Messages != w[1] {
				t.Errorf("gated %s: %.0f trials, %.0f messages; want %v", n.Check, n.Trials, n.Messages, w)
			}
			delete(gated, n.Check)
		}
	}
	if len(gated) != 0 {
		t.Errorf("gated: no need for %v", gated)
	}
}

// The confirming run, on a pilot without a database: a generator that reproduces the
// baseline's media ratio at the pilot's size but undershoots it by 10% at the band's
// (a size-dependent effect the pilot cannot see). The example's type mix is left out.
// The 5 000-message pilot is first
// raised to 21 294 messages (the example's media ratio 0.163 at ±5% needs 4146.81·0.837
// /0.163 = 21 294), reaches GO in round 1, the band's run (round 2) is NO-GO on the
// media ratio, the media ratio is scaled by 1/0.9, and round 3 at the band's size is GO.
func TestConfirmAtBandSize(t *testing.T) {
	t.Parallel()
	baseline, err := shape.ReadFile("../../testdata/shape-example.json")
	if err != nil {
		t.Fatal(err)
	}
	// Its type mix, over 287 420 conversations among 95 million messages, would ask
	// for more messages than the band has; unpublished, it asks nothing.
	baseline.Conversations.TypeDistribution = shape.TypeMix{}
	const band = 100000
	start := spec.Default()
	start.Bands["tiny"] = spec.Band{Messages: band}
	media0 := start.Messages.Content.MediaRatio
	gen := func(_ context.Context, s *spec.Spec, messages int64) (*shape.Document, error) {
		var buf bytes.Buffer
		if err := baseline.Write(&buf); err != nil {
			return nil, err
		}
		c, err := shape.Parse(buf.Bytes())
		if err != nil {
			return nil, err
		}
		c.Messages.TotalCount = messages
		r := *baseline.Messages.MediaRatio * s.Messages.Content.MediaRatio / media0
		if messages == band {
			r *= 0.9
		}
		c.Messages.MediaRatio = &r
		return c, nil
	}
	run := func(maxRounds int, noConfirm bool) (*Outcome, string) {
		t.Helper()
		s, err := clone(start)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Baseline: "x", Band: "tiny", Messages: 5000, MaxRounds: maxRounds, NoConfirm: noConfirm, SpecOut: "x"}.WithDefaults()
		var out bytes.Buffer
		o, best, err := rounds(context.Background(), opts, baseline, s, gen, &out)
		if err != nil {
			t.Fatal(err)
		}
		o.Spec = best
		return o, out.String()
	}

	o, out := run(5, false)
	var sizes []int64
	var confirm []bool
	for _, r := range o.Rounds {
		sizes, confirm = append(sizes, r.Messages), append(confirm, r.Confirm)
	}
	if o.PilotMessages != 21294 || !o.Converged || !o.Confirmed || o.Best != 3 ||
		len(sizes) != 3 || sizes[0] != 21294 || sizes[1] != band || sizes[2] != band || !confirm[1] || confirm[2] {
		t.Errorf("pilot %d, converged %v confirmed %v best %d, rounds %v confirm %v; want 21294, true true 3, [21294 %d %d] [false true false]\n%s",
			o.PilotMessages, o.Converged, o.Confirmed, o.Best, sizes, confirm, band, band, out)
	}
	if got := o.Spec.Messages.Content.MediaRatio; math.Abs(got-media0/0.9) > 1e-9 {
		t.Errorf("calibrated media ratio %.6g, want %.6g (the band's undershoot corrected)", got, media0/0.9)
	}
	for _, want := range []string{
		"[Calibrate] Pilot raised from 5000 to 21294 messages so that every checked share expects enough events (media_ratio at 0.163 needs 21294 trials, 21294 messages)\n",
		"[Calibrate] The 21294-message pilot is GO: confirming at the band's size (tiny, 100000 messages)\n",
		"[Calibrate] Round 2: 100000-message pilot: NO-GO",
		"[Calibrate] The band's size is NO-GO where the pilot was GO: the remaining rounds adjust at 100000 messages\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}

	// One round allowed: the confirming run still runs, is NO-GO, and outranks the
	// pilot's GO; without confirmation the pilot's GO stands, unconfirmed.
	o, out = run(1, false)
	if len(o.Rounds) != 2 || o.Converged || o.Best != 2 {
		t.Errorf("max 1 round: %d rounds, converged %v, best %d; want 2, false, 2\n%s", len(o.Rounds), o.Converged, o.Best, out)
	}
	o, out = run(5, true)
	if len(o.Rounds) != 1 || !o.Converged || o.Confirmed {
		t.Errorf("NoConfirm: %d rounds, converged %v, confirmed %v; want 1, true, false\n%s", len(o.Rounds), o.Converged, o.Confirmed, out)
	}
	if _, err := json.Marshal(o); err != nil {
		t.Fatal(err)
	}
}
