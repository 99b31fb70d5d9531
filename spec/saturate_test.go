package spec

import (
	"math"
	"slices"
	"testing"
)

// groupSizes by hand: sizes 2 and 3 stay apart (at most exactSizes); 100, 103 and 105
// are within 5 % of 100 and become one group at their mean size 0.2·100 + 0.2·103 +
// 0.1·105 over 0.5 = 102.2 → 102; 200 starts a group of its own.
func TestGroupSizes(t *testing.T) {
	t.Parallel()
	gs, gp := groupSizes([]int{2, 3, 100, 103, 105, 200}, []float64{0.3, 0.1, 0.2, 0.2, 0.1, 0.1})
	if !slices.Equal(gs, []int{2, 3, 102, 200}) || len(gp) != 4 || math.Abs(gp[2]-0.5) > 1e-12 {
		t.Errorf("groups %v with %v, want [2 3 102 200] with 0.3 0.1 0.5 0.1", gs, gp)
	}
	// A million sizes give about 160 groups above exactSizes.
	sizes, probs := make([]int, 0, 1_000_000), make([]float64, 0, 1_000_000)
	for s := 2; s <= 1_000_000; s++ {
		sizes, probs = append(sizes, s), append(probs, 1)
	}
	if gs, _ := groupSizes(sizes, probs); len(gs) > exactSizes+200 {
		t.Errorf("%d groups from a million sizes, want at most %d", len(gs), exactSizes+200)
	}
}

// CumExp by hand: log weights ln 2, 0, ln 3 are e^(lw − ln 3) = 2/3, 1/3, 1, cumulated
// 2/3, 1, 2; at 1000 and 1000 + ln 3, where e^lw overflows, 1/3 and 4/3.
func TestCumExp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lw, want []float64 }{
		{[]float64{math.Log(2), 0, math.Log(3)}, []float64{2.0 / 3, 1, 2}},
		{[]float64{1000, 1000 + math.Log(3)}, []float64{1.0 / 3, 4.0 / 3}},
		// a silent member (−∞) adds nothing; all silent: zeros, total 0
		{[]float64{math.Inf(-1), 0, math.Inf(-1)}, []float64{0, 1, 1}},
		{[]float64{math.Inf(-1), math.Inf(-1)}, []float64{0, 0}},
	} {
		lw := slices.Clone(c.lw)
		total := CumExp(lw)
		for i := range lw {
			if math.Abs(lw[i]-c.want[i]) > 1e-12 {
				t.Errorf("CumExp(%v) = %v, want %v", c.lw, lw, c.want)
				break
			}
		}
		if math.Abs(total-c.want[len(c.want)-1]) > 1e-12 {
			t.Errorf("CumExp(%v) total %g, want %g", c.lw, total, c.want[len(c.want)-1])
		}
	}
}

// RelativeWeights by hand: runs of 2, 3 and 5 ranks with weights 8, 3, 1 have the mean
// weight (16 + 9 + 5)/10 = 3, so the relative weights are 8/3, 1 and 1/3.
func TestRelativeWeights(t *testing.T) {
	t.Parallel()
	got := RelativeWeights([]int64{0, 2, 5, 10}, []float64{8, 3, 1})
	for i, want := range []float64{8.0 / 3, 1, 1.0 / 3} {
		if math.Abs(got[i]-want) > 1e-12 {
			t.Fatalf("RelativeWeights = %v, want [8/3 1 1/3]", got)
		}
	}
}

// Unheard by hand: weights 1, 2, 3, 4 with member 1 heard. Among the first 3 the
// unheard weigh 1 + 3 = 4: x = 0.2 (at 0.8) is member 0, x = 0.3 (at 1.2) member 2.
// Among all four, 10⁵ evenly spread x give members 0, 2, 3 the shares 1/8, 3/8, 4/8. A
// silent member (weight −1) is never drawn; members whose weights underflowed (0) are
// drawn uniformly, and beside a weight 10³⁰ times theirs, once it is heard, too
// (its sum absorbed theirs). Once all are heard, −1.
func TestUnheard(t *testing.T) {
	t.Parallel()
	var u Unheard
	u.Reset([]float64{1, 2, 3, 4})
	u.Remove(1)
	u.Remove(1)
	if a, b := u.Draw(3, 0.2), u.Draw(3, 0.3); a != 0 || b != 2 {
		t.Errorf("Draw(3, 0.2), Draw(3, 0.3) = %d, %d; want 0, 2", a, b)
	}
	counts := make([]float64, 4)
	const n = 100_000
	for i := range n {
		counts[u.Draw(4, (float64(i)+0.5)/n)]++
	}
	for j, want := range []float64{1.0 / 8, 0, 3.0 / 8, 4.0 / 8} {
		if math.Abs(counts[j]/n-want) > 1e-4 {
			t.Errorf("member %d drawn %.5f of the time, want %.5f", j, counts[j]/n, want)
		}
	}
	for _, j := range []int{0, 2, 3} {
		u.Remove(j)
	}
	if got := u.Draw(4, 0.3); got != -1 {
		t.Errorf("every member heard: Draw = %d, want -1", got)
	}
	u.Reset([]float64{-1, 0, 0})
	for _, x := range []float64{0.1, 0.6} {
		if got, want := u.Draw(3, x), 1+int(x*2); got != want {
			t.Errorf("silent, then two underflowed: Draw(3, %g) = %d, want %d", x, got, want)
		}
	}
	u.Reset([]float64{1e30, 1, 1})
	u.Remove(0)
	for _, x := range []float64{0.1, 0.6} {
		if got, want := u.Draw(3, x), 1+int(x*2); got != want {
			t.Errorf("beside 1e30, once it is heard: Draw(3, %g) = %d, want %d", x, got, want)
		}
	}
}

// LogNormalRelative by hand: σ = 1, z = 0.5 gives e^(0.5 − 0.5) = 1; z = 0 gives
// e^(−0.5), the median over the mean.
func TestLogNormalRelative(t *testing.T) {
	t.Parallel()
	if a, b := LogNormalRelative(1, 0.5), LogNormalRelative(1, 0); math.Abs(a-1) > 1e-15 || math.Abs(b-math.Exp(-0.5)) > 1e-15 {
		t.Errorf("LogNormalRelative(1, 0.5), (1, 0) = %g, %g; want 1, e^(−0.5)", a, b)
	}
}

// VoiceWeights by hand: log weights ln 2, −∞ (silent), 0 give e^(lw − ln 2): 1, −1, 0.5.
func TestVoiceWeights(t *testing.T) {
	t.Parallel()
	got := VoiceWeights(nil, []float64{math.Log(2), math.Inf(-1), 0})
	if len(got) != 3 || math.Abs(got[0]-1) > 1e-12 || got[1] != -1 || math.Abs(got[2]-0.5) > 1e-12 {
		t.Errorf("VoiceWeights = %v, want [1 -1 0.5]", got)
	}
}
