package shape

import "math"

// The bucket grids of the shape SQL. Each returns the lower bounds of the fine buckets
// before any k-anonymity merge; the SQL functions shape.grid_<name>() return the same
// arrays (a test compares them), so the generator's report and the tests bin exactly
// as the export does.

// LogGrid returns the distinct values ceil(10^(i/10)) for i = 10·log10(from) …
// 10·log10(to): ten buckets per decade, integer bounds, so every integer falls in
// exactly one bucket. from and to must be powers of ten ≥ 1.
func LogGrid(from, to float64) []float64 {
	i0 := int(math.Round(10 * math.Log10(from)))
	i1 := int(math.Round(10 * math.Log10(to)))
	var out []float64
	for i := i0; i <= i1; i++ {
		v := math.Ceil(math.Pow(10, float64(i)/10) - 1e-9)
		if len(out) == 0 || v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

func linear(from, to float64) []float64 {
	var out []float64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

// GridUsernameLength: 0, 1, …, 32 characters (one bucket per length; ≥ 32 is open).
func GridUsernameLength() []float64 { return linear(0, 32) }

// GridAccountAgeDays: account age in whole days at the export's as-of time.
func GridAccountAgeDays() []float64 {
	return []float64{0, 1, 2, 3, 7, 14, 30, 60, 90, 180, 365, 730, 1095, 1460, 1825, 2555, 3650}
}

// GridMemberCount: exact sizes 0…20 (so the type mix cut-offs 2 | 3–20 | 21+ are
// edges), then roughly logarithmic.
func GridMemberCount() []float64 {
	return append(linear(0, 21), 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 5000, 10000)
}

// GridActivity: messages per active conversation in the window, LogGrid(1, 1e6).
func GridActivity() []float64 { return LogGrid(1, 1e6) }

// GridContentLength: characters of non-NULL content: 0, then LogGrid(1, 1e5).
func GridContentLength() []float64 { return append([]float64{0}, LogGrid(1, 1e5)...) }

// GridInterArrivalSeconds: gaps between consecutive messages of one conversation:
// 0 (same second), then LogGrid(1, 1e7).
func GridInterArrivalSeconds() []float64 { return append([]float64{0}, LogGrid(1, 1e7)...) }

// GridDelayMinutes: read delay in minutes. 1 and 60 are edges, so the immediate
// (< 1 min), near-term (1–60 min) and delayed (≥ 60 min) shares are unions of buckets.
func GridDelayMinutes() []float64 {
	return []float64{0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240,
		360, 480, 720, 1080, 1440, 2160, 2880, 4320, 7200, 10080, 20160, 43200}
}

// GridAttachmentSizeBytes: 0, then LogGrid(1, 1e10).
func GridAttachmentSizeBytes() []float64 { return append([]float64{0}, LogGrid(1, 1e10)...) }

// GridSmallCount: conversations per user and distinct senders per conversation: exact
// counts 0…20 (1 and 2 apart), then roughly logarithmic.
func GridSmallCount() []float64 {
	return append(linear(0, 20), 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 5000, 10000)
}

// GridLifetimeSeconds: a conversation's first to last window message, in seconds: 0,
// then LogGrid(1, 1e8) (about three years).
func GridLifetimeSeconds() []float64 { return append([]float64{0}, LogGrid(1, 1e8)...) }

// Member-count buckets and activity buckets of the joint size × activity histogram
// (conversations.size_activity_histogram), as lower bounds.
var (
	JointMemberBuckets   = []float64{0, 2, 3, 6, 11, 21, 51, 101}
	JointActivityBuckets = []float64{0, 1, 10, 100, 1000, 10000}
)

// Read-delay cut-offs in seconds: immediate < ImmediateSeconds ≤ near-term <
// NearTermSeconds ≤ delayed.
const (
	ImmediateSeconds = 60
	NearTermSeconds  = 3600
)
