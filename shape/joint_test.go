package shape

import (
	"math"
	"strings"
	"testing"
)

func TestSizeActivityTable(t *testing.T) {
	t.Parallel()
	n := func(v int64) *int64 { return &v }
	c := Conversations{SizeActivityHistogram: map[string]map[string]*int64{
		"2":   {"0": n(40), "1": n(7), "10000": n(1)},
		"21":  {"100": n(12), "1000": nil},
		"101": {},
	}}
	got, err := c.SizeActivityTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(JointMemberBuckets) || len(got[0]) != len(JointActivityBuckets) {
		t.Fatalf("table is %d×%d, want %d×%d", len(got), len(got[0]), len(JointMemberBuckets), len(JointActivityBuckets))
	}
	// rows 0,2,3,6,11,21,51,101; columns 0,1,10,100,1000,10000
	want := map[[2]int]float64{{1, 0}: 40, {1, 1}: 7, {1, 5}: 1, {5, 3}: 12}
	for i, row := range got {
		for j, v := range row {
			if i == 5 && j == 4 {
				if !math.IsNaN(v) {
					t.Errorf("suppressed cell [21][1000] = %v, want NaN", v)
				}
				continue
			}
			if v != want[[2]int{i, j}] {
				t.Errorf("cell [%v][%v] = %v, want %v", JointMemberBuckets[i], JointActivityBuckets[j], v, want[[2]int{i, j}])
			}
		}
	}

	for _, bad := range []struct {
		h    map[string]map[string]*int64
		want string
	}{
		{map[string]map[string]*int64{"4": {"0": n(1)}}, `size_activity_histogram."4" is not a member-count bucket`},
		{map[string]map[string]*int64{"2": {"5": n(1)}}, `size_activity_histogram."2"."5" is not an activity bucket`},
		{map[string]map[string]*int64{"2": {"1": n(-3)}}, `is -3, want a count ≥ 0`},
	} {
		c := Conversations{SizeActivityHistogram: bad.h}
		if _, err := c.SizeActivityTable(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("SizeActivityTable(%v) error = %v, want one containing %q", bad.h, err, bad.want)
		}
	}
}

func TestReaderTable(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := ReadReceipts{ByMemberCount: map[string]ReaderCell{
		"2":  {ReadRate: f(0.9), ReceiptsPerReadMessage: f(1)},
		"21": {ReadRate: f(0.5), ReceiptsPerReadMessage: nil},
	}}
	got, err := r.ReaderTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(JointMemberBuckets) {
		t.Fatalf("%d rows, want %d", len(got), len(JointMemberBuckets))
	}
	for i, row := range got {
		if row.MinMembers != JointMemberBuckets[i] {
			t.Errorf("row %d is bucket %v, want %v", i, row.MinMembers, JointMemberBuckets[i])
		}
		switch row.MinMembers {
		case 2:
			if row.ReadRate != 0.9 || row.ReceiptsPerReadMessage != 1 {
				t.Errorf("bucket 2 = %+v, want 0.9 and 1", row)
			}
		case 21:
			if row.ReadRate != 0.5 || !math.IsNaN(row.ReceiptsPerReadMessage) {
				t.Errorf("bucket 21 = %+v, want 0.5 and NaN", row)
			}
		default:
			if !math.IsNaN(row.ReadRate) || !math.IsNaN(row.ReceiptsPerReadMessage) {
				t.Errorf("bucket %v = %+v, want NaN, NaN", row.MinMembers, row)
			}
		}
	}
	if got, err := (&ReadReceipts{}).ReaderTable(); got != nil || err != nil {
		t.Errorf("no by_member_count: %v, %v; want nil, nil", got, err)
	}
	for _, bad := range []struct {
		m    map[string]ReaderCell
		want string
	}{
		{map[string]ReaderCell{"4": {}}, `by_member_count."4" is not a member-count bucket`},
		{map[string]ReaderCell{"2": {ReadRate: f(1.2)}}, `"2".read_rate is 1.2`},
		{map[string]ReaderCell{"2": {ReceiptsPerReadMessage: f(0.5)}}, `"2".receipts_per_read_message is 0.5`},
	} {
		r := ReadReceipts{ByMemberCount: bad.m}
		if _, err := r.ReaderTable(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ReaderTable(%v) error = %v, want one containing %q", bad.m, err, bad.want)
		}
	}
}
