package shape_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

func TestHistogramJSONOrderAndRoundTrip(t *testing.T) {
	t.Parallel()
	var h shape.Histogram
	// Keys out of order and as strings, as jsonb might write them.
	if err := json.Unmarshal([]byte(`{"10": 3420, "5": 120, "0.25": 7, "100": 1}`), &h); err != nil {
		t.Fatal(err)
	}
	want := shape.Histogram{
		{Lo: 0.25, Hi: 5, Count: 7},
		{Lo: 5, Hi: 10, Count: 120},
		{Lo: 10, Hi: 100, Count: 3420},
		{Lo: 100, Hi: math.Inf(1), Count: 1},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("got %+v, want %+v", h, want)
	}
	out, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"0.25":7,"5":120,"10":3420,"100":1}` {
		t.Fatalf("marshal = %s", out)
	}
	if h.Total() != 3548 {
		t.Fatalf("total = %d, want 3548", h.Total())
	}
}

func TestHistogramRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"a": 1}`, `{"1": -2}`, `{"1": 1.5}`, `[1,2]`, `{"1": 1, "1.0": 2}`} {
		var h shape.Histogram
		if err := json.Unmarshal([]byte(in), &h); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

// LogGrid's first decade, computed by hand: ceil(10^(i/10)) for i = 0..10 is
// 1, 2, 2, 2, 3, 4, 4, 6, 7, 8, 10 (10^0.1 = 1.259, 10^0.5 = 3.162, 10^0.6 = 3.981,
// 10^0.7 = 5.012 → 6); duplicates collapse.
func TestLogGrid(t *testing.T) {
	t.Parallel()
	got := shape.LogGrid(1, 10)
	want := []float64{1, 2, 3, 4, 6, 7, 8, 10}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LogGrid(1, 10) = %v, want %v", got, want)
	}
	// 10^(15/10) = 31.62 → 32; 10^(20/10) = 100 exactly (no float drift upward).
	g := shape.LogGrid(1, 100)
	if g[len(g)-1] != 100 || g[len(g)-6] != 32 {
		t.Fatalf("LogGrid(1, 100) tail = %v", g[len(g)-6:])
	}
}

func TestBinMatchesWidthBucketSemantics(t *testing.T) {
	t.Parallel()
	grid := []float64{0, 1, 2, 5}
	h := shape.Bin(grid, []float64{-1, 0, 0.5, 1, 4.99, 5, 1e9})
	// -1 → first bucket; 0, 0.5 → [0,1); 1 → [1,2); 4.99 → [2,5); 5, 1e9 → [5,∞).
	want := []int64{3, 1, 1, 2}
	for i, b := range h {
		if b.Count != want[i] {
			t.Fatalf("bucket %d count %d, want %d (%+v)", i, b.Count, want[i], h)
		}
	}
}

func TestTrimMergesInnerZerosDownward(t *testing.T) {
	t.Parallel()
	h := shape.FromEdges([]float64{0, 1, 2, 3, 4}, []int64{0, 5, 0, 7, 0}).Trim()
	want := shape.Histogram{{Lo: 1, Hi: 3, Count: 5}, {Lo: 3, Hi: math.Inf(1), Count: 7}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("Trim = %+v, want %+v", h, want)
	}
}

func TestParseNamesTheJSONPath(t *testing.T) {
	t.Parallel()
	valid := minimal()
	if _, err := shape.Parse(valid); err != nil {
		t.Fatalf("minimal document: %v", err)
	}
	cases := map[string]string{
		`{`:   "$ is not valid JSON (line 1",
		`[1]`: "$ is not a JSON object",
		strings.Replace(string(valid), `"shape_version":"2"`, `"shape_version":"9"`, 1):                            "$.shape_version",
		strings.Replace(string(valid), `"media_ratio":0.163`, `"media_ratio":1.63`, 1):                             "$.messages.media_ratio",
		strings.Replace(string(valid), `"privacy_level":"ANONYMIZED_SHAPE_ONLY"`, `"privacy_level":"RAW"`, 1):      "$.privacy_level",
		strings.Replace(string(valid), `"attachments":{`, `"attachmentz":{`, 1):                                    "$.attachments is missing",
		strings.Replace(string(valid), `"content_length_histogram":{}`, `"content_length_histogram":{"ten":3}`, 1): "$.messages.content_length_histogram",
		strings.Replace(string(valid), `"total_count":0,"username`, `"total_count":"many","username`, 1):           "$.users.total_count",
		strings.Replace(string(valid), `"burst_coefficient":null`, `"burst_coefficient":null,"colour":1`, 1):       "$.messages.colour",
	}
	for in, want := range cases {
		_, err := shape.Parse([]byte(in))
		if err == nil || !errors.Is(err, shape.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to mention %q", err, want)
		}
	}
}

func minimal() []byte {
	d := shape.Document{SampleWindowDays: 30, PrivacyLevel: shape.PrivacyLevel, ShapeVersion: shape.Version}
	d.Messages.MediaRatio = shape.Float(0.163)
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(d); err != nil {
		panic(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// A version-1 document (testdata/shape-example.json) still reads, without the
// version-2 families; the version-2 families round-trip through Write and Parse.
func TestReadsVersionOneAndTwo(t *testing.T) {
	t.Parallel()
	d, err := shape.ReadFile("../testdata/shape-example.json")
	if err != nil {
		t.Fatalf("version-1 example: %v", err)
	}
	if d.ShapeVersion != "1" || d.Users.Senders != nil || d.Users.Memberships != nil || d.Conversations.Threads != nil {
		t.Fatalf("version %q senders %v memberships %v threads %v, want version 1 without the version-2 families",
			d.ShapeVersion, d.Users.Senders, d.Users.Memberships, d.Conversations.Threads)
	}
	d.ShapeVersion = shape.Version
	d.Users.Senders = &shape.Senders{ActiveSenders: 20, TopShare: shape.TopShare{Top10: shape.Float(0.74)},
		MessagesPerSenderHistogram: shape.FromEdges([]float64{1, 10}, []int64{12, 8})}
	d.Conversations.Threads = &shape.Threads{ActiveConversations: 5, SingleSenderShare: shape.Float(0.4),
		SendersPerConversationHistogram: shape.FromEdges([]float64{1, 2}, []int64{2, 3})}
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := shape.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("version-2 round trip: %v", err)
	}
	if back.Users.Senders.ActiveSenders != 20 || *back.Users.Senders.TopShare.Top10 != 0.74 ||
		back.Conversations.Threads.SendersPerConversationHistogram.Total() != 5 || back.Users.Memberships != nil {
		t.Errorf("round trip lost the version-2 families: %+v %+v", back.Users.Senders, back.Conversations.Threads)
	}
	bad := bytes.Replace(buf.Bytes(), []byte(`"single_sender_share": 0.4`), []byte(`"single_sender_share": 4`), 1)
	if _, err := shape.Parse(bad); err == nil || !strings.Contains(err.Error(), "$.conversations.threads.single_sender_share") {
		t.Errorf("single_sender_share 4: error %v, want one naming the path", err)
	}
}
