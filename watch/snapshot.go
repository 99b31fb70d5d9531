package watch

import (
	"math"
	"sort"
	"time"

	"github.com/pgshape/pgshape/shape"
)

// Stream holds what only the write stream shows (no shape document carries it):
// commit-time arrival, transaction sizes, the write rate. Cells and buckets under k
// are suppressed as in the shape document.
type Stream struct {
	// CommitWeekdayHour is 7×24 message counts by the commit time of their
	// transaction (ISO weekday, UTC hour).
	CommitWeekdayHour [][]*int64 `json:"commit_weekday_hour"`
	// InterArrivalHistogramSeconds: gaps between consecutive messages of the stream
	// by commit time (0 within one transaction).
	InterArrivalHistogramSeconds shape.Histogram `json:"inter_arrival_histogram_seconds"`
	// WindowBurstCoefficient is σ/μ of the messages per whole minute of commit time
	// (fixed one-minute windows, empty minutes included): 0 for a perfectly steady
	// stream, larger when writes come in bursts.
	WindowBurstCoefficient *float64        `json:"window_burst_coefficient"`
	MessagesPerMinute      shape.Histogram `json:"messages_per_minute_histogram"`
	MessagesPerMinuteMean  *float64        `json:"messages_per_minute_mean"`
	RowsPerTransaction     shape.Histogram `json:"rows_per_transaction_histogram"`
	// CommitLagHistogramSeconds: commit time − created_at of each message.
	CommitLagHistogramSeconds shape.Histogram `json:"commit_lag_histogram_seconds"`
}

// Counts are the aggregate's totals and what it could not use.
type Counts struct {
	Transactions           int64            `json:"transactions"`
	StreamedTransactions   int64            `json:"streamed_transactions"`
	AbortedTransactions    int64            `json:"aborted_transactions"`
	AbortedSubtransactions int64            `json:"aborted_subtransactions"`
	Rows                   map[string]int64 `json:"rows"`
	Receipts               int64            `json:"receipts"`
	UnmatchedReceipts      int64            `json:"unmatched_receipts"`
	UntrackedConversations int64            `json:"untracked_conversations"`
	UntrackedMessages      int64            `json:"untracked_messages"`
	NegativeCommitLag      int64            `json:"negative_commit_lag"`
	UnparsedRows           int64            `json:"unparsed_rows"`
}

// Counts returns the decoder's and the aggregate's totals.
func (d *Decoder) Counts() Counts {
	a := d.agg
	c := Counts{Transactions: a.transactions, StreamedTransactions: d.streamedN, AbortedTransactions: d.aborted,
		AbortedSubtransactions: d.abortedSub, Rows: map[string]int64{}, Receipts: a.receipts,
		UnmatchedReceipts: a.unmatchedReceipts, UntrackedConversations: a.untrackedConvs,
		UntrackedMessages: a.untrackedMessages, NegativeCommitLag: a.negativeLag, UnparsedRows: a.unparsed}
	for t, n := range a.rows {
		c.Rows[tableNames[t]] = n
	}
	return c
}

// Families the watch covers, and the validate check IDs that belong to each.
var Families = []Family{
	{Name: "arrival", Checks: []string{"hourly_profile", "diurnal_peak_trough", "weekday_weekend_ratio"}},
	{Name: "gaps", Checks: []string{"burst_coefficient"}},
	{Name: "room_sizes", Checks: []string{"type_mix.one_to_one", "type_mix.small_group", "type_mix.large_group", "conversation_sizes.ks"}},
	{Name: "activity", Checks: []string{"messages_per_conversation.p50", "messages_per_conversation.p95",
		"messages_per_conversation.p99", "messages_per_conversation.ks", "heavy_rooms.top_2pct"}},
	{Name: "read_delay", Checks: []string{"read_rate", "read_delay.percentiles"}},
}

// Family is a group of validate checks the watch can judge.
type Family struct {
	Name   string   `json:"name"`
	Checks []string `json:"checks"`
}

// ShapeDocument renders the aggregate in the shape document's form with k-anonymity
// threshold k. Families the watch does not cover (users, content, media, attachments,
// the size × activity table) are left empty. windowDays is written as
// sample_window_days (the baseline's, so both sides describe the same kind of window).
func (a *Aggregator) ShapeDocument(k int, windowDays int, at time.Time) *shape.Document {
	d := &shape.Document{ExtractedAt: at.UTC(), SampleWindowDays: windowDays, PrivacyLevel: shape.PrivacyLevel,
		ShapeVersion: shape.Version}
	kk := int64(k)
	m := &d.Messages
	m.TotalCount = a.messages
	m.HourlyDistribution = make([]*int64, 24)
	m.WeekdayHourDistribution = make([][]*int64, 7)
	var hourly [24]int64
	var wkday, wkend float64
	for wd := 0; wd < 7; wd++ {
		m.WeekdayHourDistribution[wd] = make([]*int64, 24)
		for h := 0; h < 24; h++ {
			n := a.createdProfile[wd][h]
			hourly[h] += n
			m.WeekdayHourDistribution[wd][h] = cell(n, kk, &m.Suppressed)
			if wd < 5 {
				wkday += float64(n)
			} else {
				wkend += float64(n)
			}
		}
	}
	for h := range hourly {
		m.HourlyDistribution[h] = cell(hourly[h], kk, &m.Suppressed)
	}
	// weekday/weekend ratio: per day of each kind over the days the messages span
	if nd, ne := a.dayKinds(); nd > 0 && ne > 0 && wkday >= float64(k) && wkend >= float64(k) {
		m.WeekdayWeekendRatio = shape.Float((wkday / float64(nd)) / (wkend / float64(ne)))
	}
	if a.convGapMoments.N >= kk {
		if v, ok := a.convGapMoments.cv(); ok {
			m.BurstCoefficient = shape.Float(v)
		}
		if v, ok := a.convGapMoments.mean(); ok {
			m.InterArrivalMeanSeconds = shape.Float(v)
		}
	}
	m.InterArrivalHistogramSeconds = kAnon(a.convGap.histogram(), kk, &m.Suppressed)

	c := &d.Conversations
	var members []float64
	var activity []float64
	var total float64
	for _, cv := range a.convs {
		if cv.created {
			c.TotalCount++
			members = append(members, float64(cv.members))
		}
		if cv.msgs > 0 {
			activity = append(activity, float64(cv.msgs))
			total += float64(cv.msgs)
		}
	}
	c.ActiveCount = int64(len(activity))
	c.MemberCountHistogram = kAnon(shape.Bin(shape.GridMemberCount(), members), kk, &c.Suppressed)
	var one, small, large int64
	for _, x := range members {
		switch {
		case x == 2:
			one++
		case x >= 3 && x <= 20:
			small++
		case x >= 21:
			large++
		}
	}
	if n := one + small + large; n >= kk {
		c.TypeDistribution = shape.TypeMix{OneToOne: share(one, n), SmallGroup: share(small, n), LargeGroup: share(large, n)}
	}
	c.ActivityHistogram = kAnon(shape.Bin(shape.GridActivity(), activity), kk, &c.Suppressed)
	sort.Float64s(activity)
	c.ActivityPercentiles = percentiles(activity, nil, kk, &c.Suppressed)
	top := func(p float64) *float64 {
		n := int(math.Ceil(p * float64(len(activity))))
		if n < k || total == 0 {
			return nil
		}
		var s float64
		for _, v := range activity[len(activity)-n:] {
			s += v
		}
		return shape.Float(s / total)
	}
	c.HeavyRoomShare = shape.HeavyRoomShare{Top1Pct: top(0.01), Top2Pct: top(0.02), Top5Pct: top(0.05)}

	r := &d.ReadReceipts
	r.TotalCount = a.matchedReceipts
	// the read rate's denominator is the messages a receipt could be matched with
	if tracked := a.messages - a.untrackedMessages; tracked >= kk && a.readMessages >= kk {
		r.ReadRate = shape.Float(min(float64(a.readMessages)/float64(tracked), 1))
		r.ReceiptsPerReadMessage = shape.Float(float64(a.matchedReceipts) / float64(a.readMessages))
	}
	r.DelayHistogramMinutes = kAnon(a.delay.histogram(), kk, &r.Suppressed)
	r.DelayPercentilesSeconds = percentiles(nil, &a.delaySketch, kk, &r.Suppressed)
	if n := a.delay.total(); n >= kk {
		var imm, near int64
		for i, lo := range a.delay.grid {
			switch {
			case lo < shape.ImmediateSeconds/60:
				imm += a.delay.counts[i]
			case lo < shape.NearTermSeconds/60:
				near += a.delay.counts[i]
			}
		}
		r.ImmediatePercentage = share(imm, n)
		r.NearTermPercentage = share(near, n)
		r.DelayedPercentage = share(n-imm-near, n)
	}
	d.Attachments.TypeDistribution = map[string]*float64{}
	return d
}

// dayKinds counts the weekdays and weekend days between the first and the last day a
// message's created_at fell on.
func (a *Aggregator) dayKinds() (weekdays, weekend int) {
	if len(a.days) == 0 {
		return 0, 0
	}
	first, last := int32(math.MaxInt32), int32(math.MinInt32)
	for k := range a.days {
		first, last = min(first, k), max(last, k)
	}
	for dd := first; dd <= last; dd++ {
		if wd, _ := weekdayHour(int64(dd) * day); wd < 5 {
			weekdays++
		} else {
			weekend++
		}
	}
	return weekdays, weekend
}

// StreamFigures renders the stream-only figures with k-anonymity threshold k.
func (a *Aggregator) StreamFigures(k int) Stream {
	kk := int64(k)
	var sup shape.Suppressed
	s := Stream{CommitWeekdayHour: make([][]*int64, 7)}
	for wd := range s.CommitWeekdayHour {
		s.CommitWeekdayHour[wd] = make([]*int64, 24)
		for h := 0; h < 24; h++ {
			s.CommitWeekdayHour[wd][h] = cell(a.commitProfile[wd][h], kk, &sup)
		}
	}
	s.InterArrivalHistogramSeconds = kAnon(a.interArrival.histogram(), kk, &sup)
	s.MessagesPerMinute = kAnon(a.perMinute.histogram(), kk, &sup)
	if a.perMinuteMoments.N > 0 {
		if v, ok := a.perMinuteMoments.cv(); ok {
			s.WindowBurstCoefficient = shape.Float(v)
		}
		v, _ := a.perMinuteMoments.mean()
		s.MessagesPerMinuteMean = shape.Float(v)
	}
	s.RowsPerTransaction = kAnon(a.rowsPerTxn.histogram(), kk, &sup)
	s.CommitLagHistogramSeconds = kAnon(a.commitLag.histogram(), kk, &sup)
	return s
}

func share(n, of int64) *float64 { return shape.Float(float64(n) / float64(of)) }

// cell publishes a count of at least k (0 too: an empty cell reveals nothing) and
// nulls the rest, as the shape SQL does.
func cell(n, k int64, sup *shape.Suppressed) *int64 {
	if n > 0 && n < k {
		sup.NullValues++
		return nil
	}
	return shape.Int(n)
}

// kAnon drops empty buckets and merges every bucket under k into its lower neighbour
// (the lowest into the one above), the export's rule; a histogram whose total is under
// k is dropped.
func kAnon(h shape.Histogram, k int64, sup *shape.Suppressed) shape.Histogram {
	h = h.Trim()
	if h.Total() < k {
		sup.MergedBuckets += len(h)
		return shape.Histogram{}
	}
	var out shape.Histogram
	for _, b := range h {
		if len(out) > 0 && (b.Count < k || out[len(out)-1].Count < k) {
			out[len(out)-1].Count += b.Count
			out[len(out)-1].Hi = b.Hi
			sup.MergedBuckets++
			continue
		}
		out = append(out, b)
	}
	if n := len(out); n > 1 && out[n-1].Count < k {
		out[n-2].Count += out[n-1].Count
		out[n-2].Hi = out[n-1].Hi
		out = out[:n-1]
		sup.MergedBuckets++
	}
	return out
}

// percentiles computes p50…p99 as percentile_cont over sorted values, or over a
// sketch; a percentile is null unless n·min(p, 1−p) ≥ k.
func percentiles(sorted []float64, sk *sketch, k int64, sup *shape.Suppressed) shape.Percentiles {
	var n int64
	if sk != nil {
		n = sk.total()
	} else {
		n = int64(len(sorted))
	}
	at := func(p float64) *float64 {
		if float64(n)*min(p, 1-p) < float64(k) || n == 0 {
			sup.NullValues++
			return nil
		}
		if sk != nil {
			return shape.Float(sk.percentile(p))
		}
		return shape.Float(percentileCont(sorted, p))
	}
	return shape.Percentiles{P50: at(0.50), P75: at(0.75), P90: at(0.90), P95: at(0.95), P99: at(0.99)}
}
