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
