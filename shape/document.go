// Package shape owns the shape document: the only thing that crosses the production
// boundary, and the only contract between pgshape's two phases.
//
// # Where it comes from
//
// shape.export(window_days, k [, as_of]) in PostgreSQL (migrations/) returns it as
// jsonb. `loader sample` writes it; `loader fit` and `loader validate` read it;
// `loader generate` writes its report in the same form, and validate measures a
// synthetic target with the same SQL. This package reads, writes and checks it;
// nothing else parses the JSON by hand.
//
// # Conventions
//
//   - Histograms are contiguous maps of inclusive lower bound to count (see Histogram).
//   - Ratios are fractions in [0, 1] (the guide's *_percentage fields too).
//   - A value published over fewer than k rows is null (nil here); merged buckets and
//     nulled values are counted per family in Suppressed.
//   - Times are UTC; weekdays are ISO (0 = Monday … 6 = Sunday).
package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"
)

// Version is the shape_version this code writes: "2" adds the shape of people and of
// time (Users.Senders, Users.Memberships, Conversations.Threads).
const Version = "2"

// ReadableVersions are the shape_versions Parse accepts: a version-1 document has no
// version-2 families (their fields stay nil, and fit and validate fall back).
var ReadableVersions = []string{"1", "2"}

// PrivacyLevel is the only privacy_level a shape document may carry.
const PrivacyLevel = "ANONYMIZED_SHAPE_ONLY"

// Document is a shape document. Its top-level keys are the guide's eight plus
// shape_version.
type Document struct {
	ExtractedAt      time.Time     `json:"extracted_at"`
	SampleWindowDays int           `json:"sample_window_days"`
	PrivacyLevel     string        `json:"privacy_level"`
	ShapeVersion     string        `json:"shape_version"`
	Users            Users         `json:"users"`
	Conversations    Conversations `json:"conversations"`
	Messages         Messages      `json:"messages"`
	ReadReceipts     ReadReceipts  `json:"read_receipts"`
	Attachments      Attachments   `json:"attachments"`
	// Privacy says how the document was protected and with what parameters (privacy.go).
	// Absent: k-anonymity (shape.export). Present: differential privacy (shape.export_dp).
	Privacy *Privacy `json:"privacy,omitempty"`
}

// Suppressed counts what k-anonymity removed from a family: buckets merged into a
// neighbour (or dropped with a histogram whose total is under k) and values published
// as null.
type Suppressed struct {
	MergedBuckets int `json:"merged_buckets"`
	NullValues    int `json:"null_values"`
}

// Percentiles holds p50…p99; a percentile is null unless at least k rows lie on each
// side of it (n·min(p, 1−p) ≥ k). Values are percentile_cont (linear interpolation).
type Percentiles struct {
	P50 *float64 `json:"p50"`
	P75 *float64 `json:"p75"`
	P90 *float64 `json:"p90"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

// Users: every user created before the as-of time.
type Users struct {
	TotalCount              int64      `json:"total_count"`
	UsernameLengthHistogram Histogram  `json:"username_length_histogram"`
	AccountAgeDaysHistogram Histogram  `json:"account_age_days_histogram"`
	Suppressed              Suppressed `json:"suppressed"`
	// Senders is who sends (version 2; nil in a version-1 document, or when the source
	// contract has no sender identity).
	Senders *Senders `json:"senders,omitempty"`
	// Memberships is how many conversations each user is in (version 2; nil as above
	// when the contract has no member identity).
	Memberships *Memberships `json:"memberships,omitempty"`
}

// TopShare is the share of the window's messages sent by the busiest 1%, 5% and 10% of
// active senders (ceil(p·n) senders) and by the busiest 10; null when that set is
// smaller than k.
type TopShare struct {
	Top1Pct  *float64 `json:"top_1pct"`
	Top5Pct  *float64 `json:"top_5pct"`
	Top10Pct *float64 `json:"top_10pct"`
	Top10    *float64 `json:"top_10"`
}

// Senders: the window's messages per active sender (a user with at least one window
// message).
type Senders struct {
	ActiveSenders                int64       `json:"active_senders"`
	MessagesPerSenderPercentiles Percentiles `json:"messages_per_sender_percentiles"`
	// MessagesPerSenderHistogram is on GridActivity.
	MessagesPerSenderHistogram Histogram  `json:"messages_per_sender_histogram"`
	TopShare                   TopShare   `json:"top_share"`
	Suppressed                 Suppressed `json:"suppressed"`
}

// Memberships: conversations per user (membership degree, 0 included) over the users
// and conversations created before the as-of time.
type Memberships struct {
	Users                           int64       `json:"users"`
	ConversationsPerUserPercentiles Percentiles `json:"conversations_percentiles"`
	// ConversationsPerUserHistogram is on GridSmallCount.
	ConversationsPerUserHistogram Histogram  `json:"conversations_histogram"`
	Suppressed                    Suppressed `json:"suppressed"`
}

// Threads: the active conversations' senders, lifetime and gaps in the window.
type Threads struct {
	ActiveConversations int64 `json:"active_conversations"`
	// SendersPerConversationHistogram counts distinct senders per active conversation
	// on GridSmallCount (1 and 2 are buckets of their own); absent without sender
	// identity.
	SendersPerConversationHistogram Histogram `json:"senders_per_conversation_histogram,omitempty"`
	// SingleSenderShare is the share of active conversations with exactly one sender.
	SingleSenderShare *float64 `json:"single_sender_share"`
	// LifetimeHistogramSeconds: last minus first window message of each active
	// conversation, on GridLifetimeSeconds (0 for a single message).
	LifetimeHistogramSeconds   Histogram   `json:"lifetime_histogram_seconds"`
	LifetimePercentilesSeconds Percentiles `json:"lifetime_percentiles_seconds"`
	// Gaps counts the gaps between consecutive window messages of a conversation (the
	// inter-arrival histogram's), GapPercentilesSeconds their exact percentiles.
	Gaps                  int64       `json:"gaps"`
	GapPercentilesSeconds Percentiles `json:"gap_percentiles_seconds"`
	Suppressed            Suppressed  `json:"suppressed"`
}

// TypeMix is the conversation type mix by member count: one_to_one (exactly 2),
// small_group (3–20), large_group (21+), as shares of conversations with ≥ 2 members.
type TypeMix struct {
	OneToOne   *float64 `json:"one_to_one"`
	SmallGroup *float64 `json:"small_group"`
	LargeGroup *float64 `json:"large_group"`
}

// HeavyRoomShare is the share of the window's messages carried by the busiest 1%, 2%
// and 5% of active conversations (ceil(p·n) conversations; null when that is < k).
type HeavyRoomShare struct {
	Top1Pct *float64 `json:"top_1pct"`
	Top2Pct *float64 `json:"top_2pct"`
	Top5Pct *float64 `json:"top_5pct"`
}

// Conversations: every conversation created before the as-of time; activity counts
// the window's messages of the conversations with at least one (the active ones).
type Conversations struct {
	TotalCount           int64          `json:"total_count"`
	ActiveCount          int64          `json:"active_count"`
	MemberCountHistogram Histogram      `json:"member_count_histogram"`
	TypeDistribution     TypeMix        `json:"type_distribution"`
	ActivityPercentiles  Percentiles    `json:"activity_percentiles"`
	ActivityHistogram    Histogram      `json:"activity_histogram"`
	HeavyRoomShare       HeavyRoomShare `json:"heavy_room_share"`
	// SizeActivityHistogram is the joint histogram of all conversations: member-count
	// bucket (JointMemberBuckets) → window-activity bucket (JointActivityBuckets, 0 =
	// inactive) → count; a cell under k is null.
	SizeActivityHistogram map[string]map[string]*int64 `json:"size_activity_histogram"`
	Suppressed            Suppressed                   `json:"suppressed"`
	// Threads is the shape of threads in time (version 2; nil in a version-1 document).
	Threads *Threads `json:"threads,omitempty"`
}

// Messages: messages created in the window [as_of − window_days, as_of).
type Messages struct {
	TotalCount             int64     `json:"total_count"`
	ContentLengthHistogram Histogram `json:"content_length_histogram"` // characters, non-NULL content
	ContentLengthMean      *float64  `json:"content_length_mean"`
	ContentLengthMedian    *float64  `json:"content_length_median"`
	// MediaRatio is the share of messages with a media kind.
	MediaRatio *float64 `json:"media_ratio"`
	// HourlyDistribution is 24 counts by UTC hour of day.
	HourlyDistribution []*int64 `json:"hourly_distribution"`
	// WeekdayHourDistribution is 7×24 counts, ISO weekday (0 = Monday) by UTC hour.
	WeekdayHourDistribution [][]*int64 `json:"weekday_hour_distribution"`
	// WeekdayWeekendRatio is messages per weekday day over messages per weekend day,
	// each divided by how many such days the window holds.
	WeekdayWeekendRatio *float64 `json:"weekday_weekend_ratio"`
	// BurstCoefficient is the coefficient of variation (population σ/μ) of the gaps
	// between consecutive messages of the same conversation within the window: 1 for
	// a Poisson stream, larger when messages come in bursts.
	BurstCoefficient             *float64   `json:"burst_coefficient"`
	InterArrivalHistogramSeconds Histogram  `json:"inter_arrival_histogram_seconds"`
	InterArrivalMeanSeconds      *float64   `json:"inter_arrival_mean_seconds"`
	Suppressed                   Suppressed `json:"suppressed"`
}

// ReadReceipts: receipts of the window's messages read before the as-of time. The
// delay is read_at − message created_at; immediate < 60 s ≤ near-term < 1 h ≤ delayed.
type ReadReceipts struct {
	TotalCount int64 `json:"total_count"`
	// ReadRate is the share of the window's messages with at least one receipt.
	ReadRate *float64 `json:"read_rate"`
	// ReceiptsPerReadMessage is the mean number of receipts of a read message.
	ReceiptsPerReadMessage  *float64    `json:"receipts_per_read_message"`
	DelayHistogramMinutes   Histogram   `json:"delay_histogram_minutes"`
	DelayPercentilesSeconds Percentiles `json:"delay_percentiles_seconds"`
	ImmediatePercentage     *float64    `json:"immediate_percentage"` // a fraction, as every ratio
	NearTermPercentage      *float64    `json:"near_term_percentage"`
	DelayedPercentage       *float64    `json:"delayed_percentage"`
	// ByMemberCount splits read_rate and receipts_per_read_message by the member-count
	// bucket of the message's conversation (JointMemberBuckets, as lower bounds); each
	// value is null below k of its denominator. Absent in documents written before it
	// existed.
	ByMemberCount map[string]ReaderCell `json:"by_member_count,omitempty"`
	Suppressed    Suppressed            `json:"suppressed"`
}

// ReaderCell is one member-count bucket of ReadReceipts.ByMemberCount.
type ReaderCell struct {
	ReadRate               *float64 `json:"read_rate"`
	ReceiptsPerReadMessage *float64 `json:"receipts_per_read_message"`
}

// AttachmentTypes lists the type vocabulary; the source contract maps anything else
// to "other", so no free text leaves the boundary.
var AttachmentTypes = []string{"image", "video", "audio", "document", "other"}

// Attachments: attachments of the window's messages.
type Attachments struct {
	TotalCount         int64               `json:"total_count"`
	TypeDistribution   map[string]*float64 `json:"type_distribution"`
	SizeHistogramBytes Histogram           `json:"size_histogram_bytes"`
	SizeMedianBytes    *float64            `json:"size_median_bytes"`
	// PerMediaMessage is attachments per message with a media kind.
	PerMediaMessage *float64   `json:"per_media_message"`
	Suppressed      Suppressed `json:"suppressed"`
}

// ErrInvalid marks a document that is not a usable shape document; the message names
// the JSON path.
var ErrInvalid = errors.New("invalid shape document")

// Parse decodes and checks a shape document. Unknown fields are rejected so that a
// typo or a foreign document is named rather than silently read as zeros.
func Parse(data []byte) (*Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return nil, fmt.Errorf("%w: $ is not valid JSON (line %d: %v): pass the file written by `loader sample`", ErrInvalid, line, se)
		}
		return nil, fmt.Errorf("%w: $ is not a JSON object (%v): pass the file written by `loader sample`", ErrInvalid, err)
	}
	if v, ok := top["shape_version"]; !ok {
		return nil, fmt.Errorf("%w: $.shape_version is missing (is this a shape document written by `loader sample`?)", ErrInvalid)
	} else {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || !slices.Contains(ReadableVersions, s) {
			var one bytes.Buffer
			_ = json.Compact(&one, v) // v is valid JSON: it was just decoded
			return nil, fmt.Errorf("%w: $.shape_version is %s, this loader reads %q", ErrInvalid, one.Bytes(), ReadableVersions)
		}
	}
	for _, k := range []string{"users", "conversations", "messages", "read_receipts", "attachments"} {
		if v, ok := top[k]; !ok || string(bytes.TrimSpace(v)) == "null" {
			return nil, fmt.Errorf("%w: $.%s is missing", ErrInvalid, k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, locate(top, err))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// locate names the JSON path of a decoding error: encoding/json reports the field of a
// type mismatch but not of an error raised by a field's own UnmarshalJSON (a bad
// histogram key), so each top-level field, then each field of that family, is decoded
// alone until the failing one is found. It runs only on the error path.
func locate(top map[string]json.RawMessage, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("$.%s has the wrong type (%s, want %s)", te.Field, te.Value, te.Type)
	}
	strict := func(data []byte, v any) error {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	for name, raw := range top {
		one, _ := json.Marshal(map[string]json.RawMessage{name: raw})
		if strict(one, &Document{}) == nil {
			continue
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) == nil {
			for fname, fraw := range fields {
				inner, _ := json.Marshal(map[string]json.RawMessage{fname: fraw})
				wrapped, _ := json.Marshal(map[string]json.RawMessage{name: inner})
				if ferr := strict(wrapped, &Document{}); ferr != nil {
					return fmt.Sprintf("%s: %v", member(member("$", name), fname), ferr)
				}
			}
		}
		return fmt.Sprintf("%s: %v", member("$", name), err)
	}
	return fmt.Sprintf("$: %v", err) // no field fails alone (a key given twice, the first one bad)
}

// member is the JSON path of key in the object at path: .key for an identifier, else
// ["key"] quoted, so that a key holding a newline keeps the error one line.
func member(path, key string) string {
	for i, r := range key {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return path + "[" + strconv.Quote(key) + "]"
		}
	}
	return path + "." + key
}

// ReadFile reads and checks a shape document from path. Errors name the path;
// callers add what the document was for.
func ReadFile(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError: "open <path>: <cause>"
	}
	d, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Validate checks the invariants every consumer relies on; errors name the JSON path.
func (d *Document) Validate() error {
	bad := func(path, format string, a ...any) error {
		return fmt.Errorf("%w: %s %s", ErrInvalid, path, fmt.Sprintf(format, a...))
	}
	if d.PrivacyLevel != PrivacyLevel {
		return bad("$.privacy_level", "is %q, want %q", d.PrivacyLevel, PrivacyLevel)
	}
	if d.SampleWindowDays <= 0 {
		return bad("$.sample_window_days", "is %d, want a positive number of days", d.SampleWindowDays)
	}
	ratios := map[string]*float64{
		"$.conversations.type_distribution.one_to_one":  d.Conversations.TypeDistribution.OneToOne,
		"$.conversations.type_distribution.small_group": d.Conversations.TypeDistribution.SmallGroup,
		"$.conversations.type_distribution.large_group": d.Conversations.TypeDistribution.LargeGroup,
		"$.messages.media_ratio":                        d.Messages.MediaRatio,
		"$.read_receipts.read_rate":                     d.ReadReceipts.ReadRate,
		"$.read_receipts.immediate_percentage":          d.ReadReceipts.ImmediatePercentage,
		"$.read_receipts.near_term_percentage":          d.ReadReceipts.NearTermPercentage,
		"$.read_receipts.delayed_percentage":            d.ReadReceipts.DelayedPercentage,
	}
	if t := d.Conversations.Threads; t != nil {
		ratios["$.conversations.threads.single_sender_share"] = t.SingleSenderShare
	}
	if u := d.Users.Senders; u != nil {
		ts := u.TopShare
		for name, v := range map[string]*float64{"top_1pct": ts.Top1Pct, "top_5pct": ts.Top5Pct, "top_10pct": ts.Top10Pct, "top_10": ts.Top10} {
			ratios["$.users.senders.top_share."+name] = v
		}
	}
	for path, v := range ratios {
		if v != nil && (*v < 0 || *v > 1) {
			return bad(path, "is %g, want a fraction in [0, 1]", *v)
		}
	}
	if _, err := d.ReadReceipts.ReaderTable(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if n := len(d.Messages.HourlyDistribution); n != 0 && n != 24 {
		return bad("$.messages.hourly_distribution", "has %d entries, want 24", n)
	}
	if n := len(d.Messages.WeekdayHourDistribution); n != 0 {
		if n != 7 {
			return bad("$.messages.weekday_hour_distribution", "has %d rows, want 7", n)
		}
		for i, row := range d.Messages.WeekdayHourDistribution {
			if len(row) != 24 {
				return bad(fmt.Sprintf("$.messages.weekday_hour_distribution[%d]", i), "has %d entries, want 24", len(row))
			}
		}
	}
	for _, c := range []int64{d.Users.TotalCount, d.Conversations.TotalCount, d.Messages.TotalCount,
		d.ReadReceipts.TotalCount, d.Attachments.TotalCount} {
		if c < 0 {
			return bad("$.*.total_count", "is negative")
		}
	}
	if err := d.Privacy.validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// Write encodes d as indented JSON.
func (d *Document) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// Float returns a pointer to v, for building documents.
func Float(v float64) *float64 { return &v }

// Int returns a pointer to v, for building documents.
func Int(v int64) *int64 { return &v }
