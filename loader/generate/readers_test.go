package generate

import (
	"math"
	"testing"

	"github.com/pgshape/pgshape/spec"
)

// The read law by member count: over the messages the receipts producer walks, each
// bucket's read rate and receipts per read message come out as the spec says, and a
// bucket with null values falls back to the global read rate and extra-reader
// probability. Rates are over the messages that have a candidate reader (a message
// sent before anyone else joined cannot be read; about 0.4 % here). Delays are a few seconds, so hardly a receipt is cut at the window end.
func TestReadLawByMemberCount(t *testing.T) {
	t.Parallel()
	s := spec.Default()
	rr := &s.ReadReceipts
	rr.ImmediateShare, rr.NearTermShare, rr.DelayedShare, rr.ImmediateMeanSeconds = 1, 0, 0, 2
	rr.ReadRate, rr.ExtraReaderProbability = 0.8, 0.25
	rr.ByMemberCount = []spec.ReaderBucket{
		{MinMembers: 2, ReadRate: new(0.9), ReceiptsPerReadMessage: new(1.0)},
		{MinMembers: 3, ReadRate: new(0.6), ReceiptsPerReadMessage: new(1.5)},
		{MinMembers: 11, ReadRate: nil, ReceiptsPerReadMessage: nil}, // the global law
		{MinMembers: 21, ReadRate: new(0.4), ReceiptsPerReadMessage: new(6.0)},
	}
	m, err := newModel(s, "readers", 300_000)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(m)
	w := &msgWalker{g: g, next: 0, hi: m.convs, nextID: 1}
	w.begin = func() { g.seed(&g.px, tagReceipt, w.conv.id) }
	bucket := func(members int) int {
		b := 0
		for i, rb := range rr.ByMemberCount {
			if members >= rb.MinMembers {
				b = i
			}
		}
		return b
	}
	var msgs, read, receipts [4]float64
	var extras, cands [4]float64 // bucket 2: further readers and further candidates
	for w.advance() {
		g.receipts(w.conv, int(w.i))
		b := bucket(len(w.conv.members))
		if g.elig[w.i] < 2 { // no one but the sender had joined: nobody can read it
			w.i++
			continue
		}
		msgs[b]++
		if len(g.readers) > 0 {
			read[b]++
			receipts[b] += float64(len(g.readers))
			extras[b] += float64(len(g.readers) - 1)
			cands[b] += float64(g.elig[w.i] - 2)
		}
		w.i++
	}
	for b, rb := range rr.ByMemberCount {
		if msgs[b] < 2000 {
			t.Fatalf("bucket %d+ has only %.0f messages; the test needs more", rb.MinMembers, msgs[b])
		}
		rate, per := read[b]/msgs[b], receipts[b]/read[b]
		wantRate := rr.ReadRate
		if rb.ReadRate != nil {
			wantRate = *rb.ReadRate
		}
		if se := math.Sqrt(wantRate * (1 - wantRate) / msgs[b]); math.Abs(rate-wantRate) > 4*se {
			t.Errorf("bucket %d+: read rate %.4f, want %.4f ± %.4f", rb.MinMembers, rate, wantRate, 4*se)
		}
		if rb.ReceiptsPerReadMessage != nil {
			// a few early messages have fewer candidates than the mean needs: 2 % slack
			want := *rb.ReceiptsPerReadMessage
			if math.Abs(per-want) > 0.02*want {
				t.Errorf("bucket %d+: %.4f receipts per read message, want %.4f", rb.MinMembers, per, want)
			}
		} else {
			// global law: each further candidate reads with p = 0.25
			if p := extras[b] / cands[b]; math.Abs(p-rr.ExtraReaderProbability) > 0.01 {
				t.Errorf("bucket %d+: further candidates read with p = %.4f, want %.2f", rb.MinMembers, p, rr.ExtraReaderProbability)
			}
		}
	}
}
