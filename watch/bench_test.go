package watch

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
)

// cpuSeconds is the process's user + system CPU time: on a shared machine (other jobs
// on both cores) rows per CPU second is steadier than rows per wall second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkDecodeCapture decodes and aggregates the captured reference stream
// (8021 pgoutput messages: plain, streamed and aborted transactions), two ways: the
// watch's decoder (inserts read in place), and pglogrepl.ParseV2 on every message
// without aggregating (what a decoder built on pglogrepl alone would pay to parse).
func BenchmarkDecodeCapture(b *testing.B) {
	msgs := readCapture(b, capturePath)
	var inserts int
	for _, m := range msgs {
		if m[0] == 'I' {
			inserts++
		}
	}
	b.Run("watch", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			d := NewDecoder(NewAggregator(Limits{}), ReferenceAllowlist)
			for _, m := range msgs {
				if err := d.Feed(m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(inserts*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(inserts*b.N)/(cpuSeconds()-cpu0), "rows/cpu-s")
	})
	b.Run("pglogrepl-parse-only", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			in := false
			for _, m := range msgs {
				switch m[0] {
				case 'S':
					in = true
				case 'E':
					in = false
				}
				if _, err := pglogrepl.ParseV2(m, in); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(inserts*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(inserts*b.N)/(cpuSeconds()-cpu0), "rows/cpu-s")
	})
}

// steadyStream returns the capture's Relation messages and a function that encodes a
// transaction of n messages (ids from next, 1000 conversations, one a second) and n/2
// receipts, in pgoutput's text format as the capture has them.
func steadyStream(b testing.TB) (rels [][]byte, txn func(next int64, n int) [][]byte) {
	msgs := readCapture(b, capturePath)
	relID := map[string]uint32{}
	in := false
	for _, m := range msgs {
		switch m[0] {
		case 'S':
			in = true
		case 'E':
			in = false
		}
		if m[0] == 'R' && !in {
			r, err := pglogrepl.ParseV2(m, false)
			if err != nil {
				b.Fatal(err)
			}
			rm := r.(*pglogrepl.RelationMessageV2)
			relID[rm.RelationName] = rm.RelationID
			rels = append(rels, m)
		}
	}
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	ts := func(i int64) string { return t0.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05-07") }
	insert := func(rel uint32, vals ...string) []byte {
		m := []byte{'I'}
		m = binary.BigEndian.AppendUint32(m, rel)
		m = append(m, 'N')
		m = binary.BigEndian.AppendUint16(m, uint16(len(vals)))
		for _, v := range vals {
			m = append(m, 't')
			m = binary.BigEndian.AppendUint32(m, uint32(len(v)))
			m = append(m, v...)
		}
		return m
	}
	begin := func(i int64) []byte {
		m := []byte{'B'}
		m = binary.BigEndian.AppendUint64(m, uint64(i))
		m = binary.BigEndian.AppendUint64(m, uint64(t0.Add(time.Duration(i)*time.Second).UnixMicro()-946684800000000))
		return binary.BigEndian.AppendUint32(m, uint32(i))
	}
	commit := func(i int64) []byte {
		m := []byte{'C', 0}
		m = binary.BigEndian.AppendUint64(m, uint64(i))
		m = binary.BigEndian.AppendUint64(m, uint64(i))
		return binary.BigEndian.AppendUint64(m, uint64(t0.Add(time.Duration(i)*time.Second).UnixMicro()-946684800000000))
	}
	return rels, func(next int64, n int) [][]byte {
		out := [][]byte{begin(next)}
		for i := next; i < next+int64(n); i++ {
			out = append(out, insert(relID["messages"], strconv.FormatInt(i, 10), strconv.FormatInt(i%1000, 10), ts(i)))
		}
		for i := next; i < next+int64(n); i += 2 {
			out = append(out, insert(relID["read_receipts"], strconv.FormatInt(i, 10), ts(i+30)))
		}
		return append(out, commit(next+int64(n)))
	}
}

// BenchmarkSteadyState feeds one aggregator ever more distinct messages (100 a
// transaction, half of them read) with small limits (65 536 recent messages, 1000
// conversations): the live heap after each size shows memory flat once the bounded
// maps are full.
func BenchmarkSteadyState(b *testing.B) {
	rels, txn := steadyStream(b)
	const perTxn = 100
	batches := make([][][]byte, 64) // pre-encoded, ids advance per batch
	for i := range batches {
		batches[i] = txn(int64(i*perTxn)+1, perTxn)
	}
	for _, rows := range []int{100_000, 1_000_000, 4_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			var heap uint64
			cpu0 := cpuSeconds()
			for b.Loop() {
				d := NewDecoder(NewAggregator(Limits{RecentMessages: 1 << 16, Conversations: 1000}), ReferenceAllowlist)
				for _, r := range rels {
					if err := d.Feed(r); err != nil {
						b.Fatal(err)
					}
				}
				for fed := 0; fed < rows; fed += perTxn {
					for _, m := range batches[(fed/perTxn)%len(batches)] {
						if err := d.Feed(m); err != nil {
							b.Fatal(err)
						}
					}
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = ms.HeapAlloc
				runtime.KeepAlive(d)
			}
			b.ReportMetric(float64(rows*3/2*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows*3/2*b.N)/(cpuSeconds()-cpu0), "rows/cpu-s")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
		})
	}
}

// TestMemoryBounded: however many distinct messages and conversations arrive, the
// maps stay within their limits, and what they drop is counted.
func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	rels, txn := steadyStream(t)
	d := NewDecoder(NewAggregator(Limits{RecentMessages: 1000, Conversations: 300}), ReferenceAllowlist)
	for _, r := range rels {
		if err := d.Feed(r); err != nil {
			t.Fatal(err)
		}
	}
	for next := int64(1); next < 5000; next += 100 {
		for _, m := range txn(next, 100) {
			if err := d.Feed(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := d.agg
	if len(a.recent) != 1000 || len(a.ring) != 1000 || len(a.convs) != 300 {
		t.Fatalf("recent %d ring %d conversations %d, want 1000, 1000, 300", len(a.recent), len(a.ring), len(a.convs))
	}
	// 5000 messages in 50 transactions of 100, conversation i mod 1000: the first
	// three transactions fill the 300 slots (conversations 1–300); of every ten
	// transactions seven touch 100 untracked conversations: 35 · 100 merges refused
	if a.messages != 5000 || a.untrackedConvs != 3500 {
		t.Fatalf("messages %d untracked conversations %d", a.messages, a.untrackedConvs)
	}
	// every receipt follows its message within the same transaction: all matched
	if a.unmatchedReceipts != 0 || a.matchedReceipts != 2500 {
		t.Fatalf("receipts matched %d unmatched %d", a.matchedReceipts, a.unmatchedReceipts)
	}
}
