package shape

import (
	"fmt"
	"math"
)

// SizeActivityTable returns conversations.size_activity_histogram as a two-way table:
// rows are the member-count buckets (JointMemberBuckets), columns the activity buckets
// (JointActivityBuckets), both in ascending order. A cell the export does not list
// holds 0 (no conversation), a suppressed cell (null, fewer than k) holds NaN. A key
// that is not a bucket of the grid is an error naming its JSON path.
func (c *Conversations) SizeActivityTable() ([][]float64, error) {
	const path = "$.conversations.size_activity_histogram"
	rowOf := bucketIndex(JointMemberBuckets)
	colOf := bucketIndex(JointActivityBuckets)
	t := make([][]float64, len(JointMemberBuckets))
	for i := range t {
		t[i] = make([]float64, len(JointActivityBuckets))
	}
	for mk, row := range c.SizeActivityHistogram {
		i, ok := rowOf[mk]
		if !ok {
			return nil, fmt.Errorf("%s.%q is not a member-count bucket (want one of %v)", path, mk, JointMemberBuckets)
		}
		for ak, n := range row {
			j, ok := colOf[ak]
			if !ok {
				return nil, fmt.Errorf("%s.%q.%q is not an activity bucket (want one of %v)", path, mk, ak, JointActivityBuckets)
			}
			switch {
			case n == nil:
				t[i][j] = math.NaN()
			case *n < 0:
				return nil, fmt.Errorf("%s.%q.%q is %d, want a count ≥ 0", path, mk, ak, *n)
			default:
				t[i][j] = float64(*n)
			}
		}
	}
	return t, nil
}

func bucketIndex(lower []float64) map[string]int {
	m := make(map[string]int, len(lower))
	for i, v := range lower {
		m[FormatKey(v)] = i
	}
	return m
}

// ReaderRow is one member-count bucket of ReadReceipts.ByMemberCount as numbers: a
// suppressed or absent value is NaN.
type ReaderRow struct {
	MinMembers             float64 // the bucket's lower bound (JointMemberBuckets)
	ReadRate               float64
	ReceiptsPerReadMessage float64
}

// ReaderTable returns read_receipts.by_member_count in the order of
// JointMemberBuckets, or nil when the document has none. A key that is not a bucket,
// a read rate outside [0, 1] or receipts per read message below 1 is an error naming
// its JSON path.
func (r *ReadReceipts) ReaderTable() ([]ReaderRow, error) {
	const path = "$.read_receipts.by_member_count"
	if len(r.ByMemberCount) == 0 {
		return nil, nil
	}
	rowOf := bucketIndex(JointMemberBuckets)
	t := make([]ReaderRow, len(JointMemberBuckets))
	for i, lo := range JointMemberBuckets {
		t[i] = ReaderRow{MinMembers: lo, ReadRate: math.NaN(), ReceiptsPerReadMessage: math.NaN()}
	}
	for k, c := range r.ByMemberCount {
		i, ok := rowOf[k]
		if !ok {
			return nil, fmt.Errorf("%s.%q is not a member-count bucket (want one of %v)", path, k, JointMemberBuckets)
		}
		if v := c.ReadRate; v != nil {
			if !(*v >= 0 && *v <= 1) {
				return nil, fmt.Errorf("%s.%q.read_rate is %v, want a share in [0, 1]", path, k, *v)
			}
			t[i].ReadRate = *v
		}
		if v := c.ReceiptsPerReadMessage; v != nil {
			if !(*v >= 1) || math.IsInf(*v, 0) {
				return nil, fmt.Errorf("%s.%q.receipts_per_read_message is %v, want a finite mean ≥ 1", path, k, *v)
			}
			t[i].ReceiptsPerReadMessage = *v
		}
	}
	return t, nil
}
