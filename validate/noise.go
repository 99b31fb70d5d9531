package validate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/stats"
)

// Noise says how a check's tolerance was widened because a compared document is a
// differential-privacy release (shape.export_dp): its counts carry known noise, so a
// value derived from them differs from the exact one by the noise alone. See
// docs/validate.md ("Differential-privacy documents").
type Noise struct {
	// Vectors are the noisy count vectors the value derives from, with the noise's
	// standard deviation per count (privacy.vectors[…].sigma2, square-rooted).
	Vectors []NoiseVector `json:"vectors"`
	// BaseTolerance is the tolerance before widening; Widening is what was added, in
	// the units of Δ: the 95th percentile of |Δ| between a simulated release and the
	// released document (Draws seeded Monte Carlo draws per noisy side; both sides
	// noisy: the root of the sum of squares).
	BaseTolerance float64 `json:"base_tolerance"`
	Widening      float64 `json:"widening"`
	Draws         int     `json:"draws"`
	// Side is "baseline", "candidate" or "both": which documents are noisy.
	Side string `json:"side"`
}

// NoiseVector is one noisy vector behind a widened check.
type NoiseVector struct {
	Name  string  `json:"name"`
	Sigma float64 `json:"sigma"`
}

// NoiseDraws is how many simulated releases estimate a widening; NoiseQuantile is the
// quantile of |Δ| taken; noiseSeed seeds them (the same documents always give the same
// widening).
const (
	NoiseDraws    = 400
	NoiseQuantile = 0.95
	noiseSeed     = 13
)

// denseVectors are the vectors shape.export_dp only clamps at 0; every other vector goes
// through KeepTail (shape.dp_keep, migrations/00006, post-processing).
var denseVectors = map[string]bool{
	"messages.weekday_hour": true, "messages.media": true, "attachments.type": true,
	"read_receipts.messages_by_member_count": true, "read_receipts.read_by_member_count": true,
	"read_receipts.receipts_by_member_count": true,
}

// noisy is a count vector as released, with its noise.
type noisy struct {
	name   string
	counts []float64
	sigma  float64
	// threshold: the export's KeepTail rule (else only clamped at 0).
	threshold bool
}

// noiseModel builds, for one DP document, the released vectors a value derives from
// and the Δ-noise of a simulated release (drawn holds the simulated vectors in the
// same order). ok false: the document does not carry what the value needs.
type noiseModel func(d *shape.Document) (vecs []noisy, delta func(drawn [][]float64) float64, ok bool)

// isDP reports whether d is a differential-privacy release.
func isDP(d *shape.Document) bool {
	return d != nil && d.Privacy != nil && d.Privacy.Mode == shape.ModeDifferentialPrivacy
}

// vector returns the named vector of d with its σ; ok false when d has no such vector.
func vector(d *shape.Document, name string, counts []float64) (noisy, bool) {
	s, ok := d.Privacy.Sigma(name)
	if !ok || len(counts) == 0 {
		return noisy{}, false
	}
	return noisy{name: name, counts: counts, sigma: s, threshold: !denseVectors[name]}, true
}

// simulate draws one release around v: each count plus N(0, σ²) rounded to an integer
// (the discrete Gaussian N_Z(0, σ²) of the export has the same variance to within
// 1/12 for σ ≥ 1), then the export's post-processing.
func (v noisy) simulate(r *rand.Rand, out []float64) {
	for i, c := range v.counts {
		out[i] = c + math.Round(r.NormFloat64()*v.sigma)
	}
	if v.threshold {
		KeepTail(out, v.sigma*v.sigma)
		return
	}
	for i, x := range out {
		out[i] = max(x, 0)
	}
}

// KeepTail applies, in place, the export's post-processing of a sparse noisy histogram
// (shape.dp_keep, docs/privacy.md "Post-processing"): a bin is kept when its noisy
// count is at least ⌈5σ⌉ (strong), or when it is positive and joined to a strong bin by
// positive bins; every other bin becomes 0. It reads only the noisy counts and σ².
func KeepTail(noisy []float64, sigma2 float64) {
	thr := math.Ceil(5 * math.Sqrt(sigma2))
	keep := make([]bool, len(noisy))
	reach := false
	for i, x := range noisy {
		reach = x >= thr || (reach && x > 0)
		keep[i] = reach
	}
	reach = false
	for i := len(noisy) - 1; i >= 0; i-- {
		reach = noisy[i] >= thr || (reach && noisy[i] > 0)
		keep[i] = keep[i] || reach
	}
	for i := range noisy {
		if !keep[i] {
			noisy[i] = 0
		}
	}
}

// widening is the NoiseQuantile of |Δ| over NoiseDraws simulated releases of d.
func widening(d *shape.Document, m noiseModel) (float64, []NoiseVector, bool) {
	vecs, delta, ok := m(d)
	if !ok {
		return 0, nil, false
	}
	r := rand.New(rand.NewPCG(noiseSeed, uint64(len(vecs))))
	drawn := make([][]float64, len(vecs))
	for i, v := range vecs {
		drawn[i] = make([]float64, len(v.counts))
	}
	var ds []float64
	for range NoiseDraws {
		for i, v := range vecs {
			v.simulate(r, drawn[i])
		}
		if x := math.Abs(delta(drawn)); !math.IsNaN(x) {
			ds = append(ds, x)
		}
	}
	if len(ds) < NoiseDraws/2 {
		return 0, nil, false
	}
	sort.Float64s(ds)
	w := ds[min(len(ds)-1, int(math.Ceil(NoiseQuantile*float64(len(ds))))-1)]
	var names []NoiseVector
	for _, v := range vecs {
		names = append(names, NoiseVector{Name: v.name, Sigma: v.sigma})
	}
	return w, names, true
}

// relative is the relative change of f between a simulated and the released vectors.
func relative(vecs []noisy, f func(v [][]float64) float64) func([][]float64) float64 {
	base := f(released(vecs))
	return func(drawn [][]float64) float64 { return (f(drawn) - base) / base }
}

// absolute is the change of f between a simulated and the released vectors.
func absolute(vecs []noisy, f func(v [][]float64) float64) func([][]float64) float64 {
	base := f(released(vecs))
	return func(drawn [][]float64) float64 { return f(drawn) - base }
}

func released(vecs []noisy) [][]float64 {
	out := make([][]float64, len(vecs))
	for i, v := range vecs {
		out[i] = v.counts
	}
	return out
}

// dpUpper is shape.dp_upper: each bin's upper bound, the last bin's its lower bound
// plus the width of the bin below.
func dpUpper(lo []float64) []float64 {
	hi := make([]float64, len(lo))
	for i := range lo {
		switch {
		case i+1 < len(lo):
			hi[i] = lo[i+1]
		case i > 0:
			hi[i] = lo[i] + (lo[i] - lo[i-1])
		default:
			hi[i] = lo[i] + 1
		}
	}
	return hi
}

// dpQuantile is shape.dp_quantile: the p-quantile, linear inside its bin.
func dpQuantile(lo, counts []float64, p float64) float64 {
	hi := dpUpper(lo)
	var n float64
	for _, c := range counts {
		n += c
	}
	var below float64
	for i, c := range counts {
		if n > 0 && c > 0 && below+c >= p*n {
			return lo[i] + (hi[i]-lo[i])*min(max((p*n-below)/c, 0), 1)
		}
		below += c
	}
	return math.NaN()
}

// dpMean is shape.dp_mean: the mean of the bins' middles (integer values: of
// lo … hi − 1).
func dpMean(lo, counts []float64, integer bool) float64 {
	hi := dpUpper(lo)
	var n, s float64
	for i, c := range counts {
		m := (lo[i] + hi[i]) / 2
		if integer {
			m = (lo[i] + hi[i] - 1) / 2
		}
		n += c
		s += c * m
	}
	return s / n
}

// dpCV is shape.dp_cv: σ/μ of the bins' middles.
func dpCV(lo, counts []float64) float64 {
	hi := dpUpper(lo)
	var n, s float64
	for i, c := range counts {
		n += c
		s += c * (lo[i] + hi[i]) / 2
	}
	mu := s / n
	var v float64
	for i, c := range counts {
		d := (lo[i]+hi[i])/2 - mu
		v += c * d * d
	}
	return math.Sqrt(max(v/n, 0)) / mu
}

// dpTopShare is shape.dp_top_share: the share of the total carried by the ⌈p·n⌉
// largest values, each at its bin's middle (integer values).
func dpTopShare(lo, counts []float64, p float64) float64 {
	hi := dpUpper(lo)
	var n, total float64
	mid := make([]float64, len(lo))
	for i, c := range counts {
		mid[i] = (lo[i] + hi[i] - 1) / 2
		n += c
		total += c * mid[i]
	}
	top := math.Ceil(p * n)
	var above, s float64
	for i := len(counts) - 1; i >= 0; i-- {
		s += min(counts[i], max(top-above, 0)) * mid[i]
		above += counts[i]
	}
	return s / total
}

func histVec(d *shape.Document, name string, h shape.Histogram) (noisy, []float64, bool) {
	v, ok := vector(d, name, h.Counts())
	return v, h.Edges(), ok
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// cells returns the 168 weekday × hour cells (a null cell as 0).
func cells(d *shape.Document) []float64 {
	w := d.Messages.WeekdayHourDistribution
	if len(w) != 7 {
		return nil
	}
	out := make([]float64, 0, 168)
	for _, row := range w {
		if len(row) != 24 {
			return nil
		}
		for _, c := range row {
			if c != nil {
				out = append(out, float64(*c))
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}

func fold(c []float64) []float64 {
	h := make([]float64, 24)
	for i, x := range c {
		h[i%24] += x
	}
	return h
}

func ptrs(xs []float64) []*int64 {
	out := make([]*int64, len(xs))
	for i, x := range xs {
		v := int64(x)
		out[i] = &v
	}
	return out
}

// histModel: a value f of one histogram vector (relative or absolute change).
func histModel(name string, h func(d *shape.Document) shape.Histogram, rel bool, f func(lo, counts []float64) float64) noiseModel {
	return func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		v, lo, ok := histVec(d, name, h(d))
		if !ok || sum(v.counts) == 0 {
			return nil, nil, false
		}
		vecs := []noisy{v}
		g := func(x [][]float64) float64 { return f(lo, x[0]) }
		if rel {
			return vecs, relative(vecs, g), true
		}
		return vecs, absolute(vecs, g), true
	}
}

// histDistance: a distance between a simulated and the released histogram.
func histDistance(name string, h func(d *shape.Document) shape.Histogram, dist func(a, b []float64) float64) noiseModel {
	return func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		v, _, ok := histVec(d, name, h(d))
		if !ok || sum(v.counts) == 0 {
			return nil, nil, false
		}
		return []noisy{v}, func(x [][]float64) float64 { return dist(x[0], v.counts) }, true
	}
}

// cellsModel: a value of the 168 weekday × hour cells.
func cellsModel(rel bool, f func(c []float64) float64) noiseModel {
	return func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		v, ok := vector(d, "messages.weekday_hour", cells(d))
		if !ok || sum(v.counts) == 0 {
			return nil, nil, false
		}
		vecs := []noisy{v}
		g := func(x [][]float64) float64 { return f(x[0]) }
		if rel {
			return vecs, relative(vecs, g), true
		}
		return vecs, absolute(vecs, g), true
	}
}

func members(d *shape.Document) shape.Histogram  { return d.Conversations.MemberCountHistogram }
func activity(d *shape.Document) shape.Histogram { return d.Conversations.ActivityHistogram }
func content(d *shape.Document) shape.Histogram  { return d.Messages.ContentLengthHistogram }

// typeShare is the export's type mix from the member-count bins: 2 | 3–20 | 21+ over 2+.
func typeShare(which int) func(lo, counts []float64) float64 {
	return func(lo, counts []float64) float64 {
		var tot, k float64
		for i, c := range counts {
			if lo[i] < 2 {
				continue
			}
			tot += c
			if (which == 0 && lo[i] == 2) || (which == 1 && lo[i] >= 3 && lo[i] < 21) || (which == 2 && lo[i] >= 21) {
				k += c
			}
		}
		return k / tot
	}
}

// ksD is the KS statistic of two histograms on the same bins: the largest gap between
// their CDFs (stats.KSBinned's D, without its p-value).
func ksD(a, b []float64) float64 {
	na, nb := sum(a), sum(b)
	var ca, cb, d float64
	for i := range a {
		ca += a[i]
		cb += b[i]
		d = max(d, math.Abs(ca/na-cb/nb))
	}
	return d
}

// noiseModels maps a check ID to how its value derives from the noisy vectors.
var noiseModels = map[string]noiseModel{
	"type_mix.one_to_one":  histModel("conversations.member_count", members, false, typeShare(0)),
	"type_mix.small_group": histModel("conversations.member_count", members, false, typeShare(1)),
	"type_mix.large_group": histModel("conversations.member_count", members, false, typeShare(2)),
	"media_ratio": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		c := cells(d)
		if d.Messages.MediaRatio == nil {
			return nil, nil, false
		}
		m, ok1 := vector(d, "messages.media", []float64{math.Round(*d.Messages.MediaRatio * sum(c))})
		v, ok2 := vector(d, "messages.weekday_hour", c)
		if !ok1 || !ok2 || sum(c) == 0 {
			return nil, nil, false
		}
		vecs := []noisy{m, v}
		return vecs, relative(vecs, func(x [][]float64) float64 { return min(x[0][0]/sum(x[1]), 1) }), true
	},
	"messages_per_conversation.p50": histModel("conversations.activity", activity, true, func(lo, c []float64) float64 { return dpQuantile(lo, c, 0.50) }),
	"messages_per_conversation.p95": histModel("conversations.activity", activity, true, func(lo, c []float64) float64 { return dpQuantile(lo, c, 0.95) }),
	"messages_per_conversation.p99": histModel("conversations.activity", activity, true, func(lo, c []float64) float64 { return dpQuantile(lo, c, 0.99) }),
	"content_length.mean":           histModel("messages.content_length", content, true, func(lo, c []float64) float64 { return dpMean(lo, c, true) }),
	"content_length.median":         histModel("messages.content_length", content, true, func(lo, c []float64) float64 { return dpQuantile(lo, c, 0.5) }),
	"read_rate": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		// read_rate = Σ read / Σ messages over the 8 member buckets; the document does
		// not publish the two sums, so Σ messages is taken as messages.total_count (both
		// count the kept window messages) and each sum's noise as 8 bins' (σ√8).
		rr, m := d.ReadReceipts.ReadRate, float64(d.Messages.TotalCount)
		sr, ok1 := d.Privacy.Sigma("read_receipts.read_by_member_count")
		sm, ok2 := d.Privacy.Sigma("read_receipts.messages_by_member_count")
		if rr == nil || !ok1 || !ok2 || m <= 0 {
			return nil, nil, false
		}
		vecs := []noisy{{name: "read_receipts.read_by_member_count", counts: []float64{*rr * m}, sigma: sr * math.Sqrt(8)},
			{name: "read_receipts.messages_by_member_count", counts: []float64{m}, sigma: sm * math.Sqrt(8)}}
		return vecs, relative(vecs, func(x [][]float64) float64 { return min(x[0][0]/x[1][0], 1) }), true
	},
	"read_delay.percentiles": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		// the check is the worst of p50…p99: the largest relative change of the five
		v, lo, ok := histVec(d, "read_receipts.delay_minutes", d.ReadReceipts.DelayHistogramMinutes)
		if !ok || sum(v.counts) == 0 {
			return nil, nil, false
		}
		ps := []float64{0.5, 0.75, 0.9, 0.95, 0.99}
		base := make([]float64, len(ps))
		for i, p := range ps {
			base[i] = dpQuantile(lo, v.counts, p)
		}
		return []noisy{v}, func(x [][]float64) float64 {
			var w float64
			for i, p := range ps {
				w = max(w, math.Abs(dpQuantile(lo, x[0], p)/base[i]-1))
			}
			return w
		}, true
	},
	"attachments.type_mix": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		n := float64(d.Attachments.TotalCount)
		c := make([]float64, len(shape.AttachmentTypes))
		for i, t := range shape.AttachmentTypes {
			if s := d.Attachments.TypeDistribution[t]; s != nil {
				c[i] = math.Round(*s * n)
			}
		}
		v, ok := vector(d, "attachments.type", c)
		if !ok || n <= 0 {
			return nil, nil, false
		}
		return []noisy{v}, func(x [][]float64) float64 { return stats.TotalVariation(x[0], c) }, true
	},
	"hourly_profile": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		v, ok := vector(d, "messages.weekday_hour", cells(d))
		if !ok || sum(v.counts) == 0 {
			return nil, nil, false
		}
		h := fold(v.counts)
		return []noisy{v}, func(x [][]float64) float64 { return stats.TotalVariation(fold(x[0]), h) }, true
	},
	"diurnal_peak_trough": cellsModel(true, func(c []float64) float64 {
		r, ok := PeakTrough(ptrs(fold(c)))
		if !ok || math.IsInf(r, 0) {
			return math.NaN()
		}
		return r
	}),
	"weekday_weekend_ratio": cellsModel(true, func(c []float64) float64 {
		// (weekday cells / weekday days) / (weekend cells / weekend days): the days
		// cancel in the relative change
		return sum(c[:120]) / sum(c[120:])
	}),
	"burst_coefficient": histModel("messages.inter_arrival", func(d *shape.Document) shape.Histogram { return d.Messages.InterArrivalHistogramSeconds },
		true, dpCV),
	"heavy_rooms.top_2pct": histModel("conversations.activity", activity, true, func(lo, c []float64) float64 { return dpTopShare(lo, c, 0.02) }),
	"size_activity.correlation": func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		t, err := d.Conversations.SizeActivityTable()
		if err != nil || len(t) == 0 {
			return nil, nil, false
		}
		cols := len(t[0])
		var flat []float64
		for _, row := range t {
			flat = append(flat, row...)
		}
		v, ok := vector(d, "conversations.size_activity", flat)
		if !ok {
			return nil, nil, false
		}
		rho := func(x [][]float64) float64 {
			tt := make([][]float64, len(t))
			for i := range tt {
				tt[i] = x[0][i*cols : (i+1)*cols]
			}
			r, err := stats.Polychoric(tt)
			if err != nil {
				return math.NaN()
			}
			return r
		}
		vecs := []noisy{v}
		return vecs, absolute(vecs, rho), true
	},
	"conversation_sizes.ks":        histDistance("conversations.member_count", members, ksD),
	"messages_per_conversation.ks": histDistance("conversations.activity", activity, ksD),
	"content_length.chi_squared":   histDistance("messages.content_length", content, stats.TotalVariation),
}

// widenForNoise widens, in place, the tolerance of every check whose value derives from
// a differential-privacy document's noisy counts, and re-judges it. A document without
// privacy (k-anonymity) changes nothing.
func (o Options) widenForNoise(b, c *shape.Document, checks []Check) {
	bDP, cDP := isDP(b), isDP(c)
	if !bDP && !cDP {
		return
	}
	for i := range checks {
		ch := &checks[i]
		if ch.Status == Skipped {
			continue
		}
		if why := notComparable(ch.ID, b, c); why != "" {
			ch.Status, ch.Note, ch.Delta = Skipped, why, nil
			continue
		}
		if ch.ID == "read_rate.by_members" || ch.ID == "receipts_per_read_message.by_members" {
			o.widenByMembers(ch, b, c, bDP, cDP)
			continue
		}
		m, ok := noiseModels[ch.ID]
		if !ok || ch.Delta == nil {
			continue
		}
		w2, vecs, side := bothSides(bDP, cDP, func(baseline bool) (float64, []NoiseVector, bool) {
			if baseline {
				return widening(b, m)
			}
			return widening(c, m)
		})
		if side == "" {
			continue
		}
		n := &Noise{Vectors: vecs, BaseTolerance: ch.Tolerance, Widening: math.Sqrt(w2), Draws: NoiseDraws, Side: side}
		ch.Tolerance += n.Widening
		ch.Noise = n
		*ch = o.judge(o.unjudged(*ch), *ch.Delta)
		if ch.Test != nil {
			o.noisyTest(ch, b, c, bDP, cDP)
		}
	}
}

// bothSides combines the widenings of the noisy sides (baseline when bDP, candidate
// when cDP; widen(true) is the baseline's): the sum of their squares, the first noisy
// side's vectors, and which side was noisy ("baseline", "candidate", "both"; "" when
// neither gave a widening).
func bothSides(bDP, cDP bool, widen func(baseline bool) (float64, []NoiseVector, bool)) (w2 float64, vecs []NoiseVector, side string) {
	for _, s := range []struct {
		dp, baseline bool
		name         string
	}{{bDP, true, "baseline"}, {cDP, false, "candidate"}} {
		if !s.dp {
			continue
		}
		w, v, ok := widen(s.baseline)
		if !ok {
			continue
		}
		w2 += w * w
		if vecs == nil {
			vecs = v
		}
		if side == "" {
			side = s.name
		} else {
			side = "both"
		}
	}
	return w2, vecs, side
}

// unjudged strips what judge added to a check, so that it can be judged again.
func (o Options) unjudged(ch Check) Check {
	for _, s := range []string{"out of tolerance (non-critical)", fmt.Sprintf("within tolerance but above %.0f%% of it", o.WarnFraction*100)} {
		ch.Note = strings.TrimSuffix(strings.TrimSuffix(ch.Note, s), "; ")
	}
	ch.Note = strings.TrimSuffix(ch.Note, "; ")
	return ch
}

// Line is the text that says how a check's tolerance was widened.
func (n *Noise) Line() string {
	var vs []string
	for _, v := range n.Vectors {
		vs = append(vs, fmt.Sprintf("%s σ=%.3g", v.Name, v.Sigma))
	}
	return fmt.Sprintf("tolerance widened by DP noise σ=%.3g (%s; %s noisy): %s + %s",
		n.Vectors[0].Sigma, strings.Join(vs, ", "), n.Side, trimFloat(n.BaseTolerance), trimFloat(n.Widening))
}

// testHistograms names the histograms and vectors behind the distribution tests.
var testHistograms = map[string]struct {
	vector string
	h      func(d *shape.Document) shape.Histogram
}{
	"conversation_sizes.ks":        {"conversations.member_count", members},
	"messages_per_conversation.ks": {"conversations.activity", activity},
	"content_length.chi_squared":   {"messages.content_length", content},
}

// commonVariance is the noise variance of each common bin: σ² times the number of the
// document's bins it holds (each published bin got its own noise).
func commonVariance(d *shape.Document, vector string, h shape.Histogram, edges []float64) []float64 {
	v := make([]float64, len(edges))
	s, ok := d.Privacy.Sigma(vector)
	if !ok {
		return v
	}
	for _, b := range h {
		j := max(sort.SearchFloat64s(edges, b.Lo+1e-9*math.Max(1, math.Abs(b.Lo)))-1, 0)
		v[j] += s * s
	}
	return v
}

// noisyTest recomputes the information p-values of a distribution test with the DP
// noise added to each bin's variance (docs/validate.md): KS at the effective size
// whose binomial variance of the CDF at the largest gap equals the binomial plus the
// noise variance there; χ² with each bin's variance r_i(1/N + 1/M) + v_a/N² + v_b/M².
func (o Options) noisyTest(ch *Check, b, c *shape.Document, bDP, cDP bool) {
	th, ok := testHistograms[ch.ID]
	if !ok {
		return
	}
	bh, chh := th.h(b), th.h(c)
	g := CommonGrid(bh, chh)
	va, vb := make([]float64, len(g.Edges)), make([]float64, len(g.Edges))
	if bDP {
		va = commonVariance(b, th.vector, bh, g.Edges)
	}
	if cDP {
		vb = commonVariance(c, th.vector, chh, g.Edges)
	}
	t := ch.Test
	n, m := t.N, t.M
	if n <= 0 || m <= 0 {
		return
	}
	if t.Method == "ks" {
		// the CDFs at the largest gap
		var fa, fb, best float64
		at := -1
		var ca, cb float64
		for i := range g.A {
			ca += g.A[i]
			cb += g.B[i]
			if d := math.Abs(ca/n - cb/m); d > best {
				best, at, fa, fb = d, i, ca/n, cb/m
			}
		}
		if at < 0 {
			return
		}
		f := (fa*n + fb*m) / (n + m)
		var noise float64
		for i := range g.A {
			wa, wb := fa, fb // a bin above the gap moves F by −F·ε/N, one below by (1−F)·ε/N
			if i <= at {
				wa, wb = 1-fa, 1-fb
			}
			noise += va[i]*wa*wa/(n*n) + vb[i]*wb*wb/(m*m)
		}
		binom := f * (1 - f) * (1/n + 1/m)
		if !(binom > 0) {
			return
		}
		neff := stats.EffectiveN(n, m) * binom / (binom + noise)
		t.PValueFull = stats.KSPValueAtN(t.Statistic, neff)
		t.NEff = min(neff, o.NEffCap)
		t.PValue = stats.KSPValueAtN(t.Statistic, t.NEff)
		return
	}
	x2, df, merged := noisyChiSquared(g.A, g.B, va, vb)
	t.Statistic, t.DF, t.MergedBins = x2, df, merged
	t.PValueFull = stats.ChiSquaredSurvival(x2, df)
	t.PValue = stats.ChiSquaredPValueAtN(x2, df, stats.EffectiveN(n, m), o.NEffCap)
}

// noisyChiSquared is the two-sample χ² statistic of the counts a and b with each bin's
// noise variances va and vb: Σ (a_i/N − b_i/M)² / (r_i(1/N + 1/M) + va_i/N² + vb_i/M²),
// r_i = (a_i + b_i)/(N + M), after merging adjacent bins until both expected counts
// N·r and M·r are at least stats.DefaultMinExpected (a remainder joins the last bin).
// With no noise it is Pearson's two-sample statistic Σ (O − E)²/E over the 2 × k table.
func noisyChiSquared(a, b, va, vb []float64) (stat, df float64, merged int) {
	n, m := sum(a), sum(b)
	type bin struct{ a, b, sa, sb float64 }
	var bins []bin
	var cur bin
	for i := range a {
		cur = bin{cur.a + a[i], cur.b + b[i], cur.sa + va[i], cur.sb + vb[i]}
		r := (cur.a + cur.b) / (n + m)
		if r*n >= stats.DefaultMinExpected && r*m >= stats.DefaultMinExpected {
			bins = append(bins, cur)
			cur = bin{}
		} else {
			merged++
		}
	}
	if cur.a+cur.b > 0 {
		if len(bins) > 0 {
			l := &bins[len(bins)-1]
			l.a, l.b, l.sa, l.sb = l.a+cur.a, l.b+cur.b, l.sa+cur.sa, l.sb+cur.sb
		} else {
			bins = append(bins, cur)
		}
	}
	for _, x := range bins {
		r := (x.a + x.b) / (n + m)
		if den := r*(1/n+1/m) + x.sa/(n*n) + x.sb/(m*m); den > 0 {
			stat += math.Pow(x.a/n-x.b/m, 2) / den
		}
	}
	return stat, float64(max(len(bins)-1, 1)), merged
}

// notComparable says why a check cannot compare a differential-privacy document with
// another one at all ("" when it can): the release's caps bound the quantity itself.
//   - receipts per read message (by member count): the release counts at most
//     caps.receipts_per_conversation receipts per conversation, so in big rooms it
//     measures a capped count, not the readers;
//   - the burst coefficient: the release's gaps are those of at most
//     caps.messages_per_conversation messages per conversation (the busiest
//     conversations' bursts mostly cut), each taken at its bin's middle, and its
//     histogram's noisy tail ends at its first non-positive bin (KeepTail); the CV,
//     dominated by the longest gaps, is another quantity (measured: 2.27 against
//     3.28 exact, in every release of BenchmarkDPUtility under the earlier 3σ cut).
func notComparable(id string, b, c *shape.Document) string {
	for _, d := range []*shape.Document{b, c} {
		if !isDP(d) {
			continue
		}
		switch id {
		case "receipts_per_read_message.by_members":
			if k, r, ok := capNamed(d, "receipts_per_"); ok {
				return fmt.Sprintf("not comparable: a differential-privacy release keeps at most %d receipts (privacy.caps.%s)", r, k)
			}
		case "burst_coefficient":
			if k, m, ok := capNamed(d, "messages_per_"); ok {
				return fmt.Sprintf("not comparable: a differential-privacy release measures the gaps of at most %d messages (privacy.caps.%s) at bin middles", m, k)
			}
		}
	}
	return ""
}

// capNamed returns the release's cap whose name starts with prefix (the unit's caps:
// "messages_per_conversation", or a user-level release's per-user caps), the first in
// name order.
func capNamed(d *shape.Document, prefix string) (string, int64, bool) {
	var keys []string
	for k := range d.Privacy.Caps {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", 0, false
	}
	sort.Strings(keys)
	return keys[0], d.Privacy.Caps[keys[0]], true
}

// bucketMessages estimates the kept window messages of each member-count bucket of a
// DP document, which it does not publish: Σ over the size × activity cells of the
// bucket of conversations × min(the activity bucket's middle, the messages cap).
func bucketMessages(d *shape.Document) map[string]float64 {
	t, err := d.Conversations.SizeActivityTable()
	if err != nil {
		return nil
	}
	capM := math.Inf(1) // no per-conversation cap: each conversation at its bucket's middle
	if m, ok := d.Privacy.Caps["messages_per_conversation"]; ok {
		capM = float64(m)
	}
	hi := dpUpper(shape.JointActivityBuckets)
	out := map[string]float64{}
	for i, lo := range shape.JointMemberBuckets {
		if i >= len(t) {
			break
		}
		var n float64
		for j, c := range t[i] {
			if j < len(shape.JointActivityBuckets) {
				n += c * min((shape.JointActivityBuckets[j]+hi[j]-1)/2, capM)
			}
		}
		out[shape.FormatKey(lo)] = n
	}
	return out
}

// byMemberWidening is the widening of one member-count bucket's read rate (rate) or
// receipts per read message of a DP document: read/messages and receipts/read with
// each count's noise, the bucket's messages estimated by bucketMessages.
func byMemberWidening(d *shape.Document, key string, rate bool, msgs map[string]float64) (float64, []NoiseVector, bool) {
	cell, ok := d.ReadReceipts.ByMemberCount[key]
	m := msgs[key]
	if !ok || cell.ReadRate == nil || !(m > 0) {
		return 0, nil, false
	}
	read := *cell.ReadRate * m
	return widening(d, func(d *shape.Document) ([]noisy, func([][]float64) float64, bool) {
		r, ok1 := vector(d, "read_receipts.read_by_member_count", []float64{read})
		n, ok2 := vector(d, "read_receipts.messages_by_member_count", []float64{m})
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		if rate {
			vecs := []noisy{r, n}
			return vecs, relative(vecs, func(x [][]float64) float64 { return min(x[0][0]/x[1][0], 1) }), true
		}
		if cell.ReceiptsPerReadMessage == nil {
			return nil, nil, false
		}
		rc, ok3 := vector(d, "read_receipts.receipts_by_member_count", []float64{*cell.ReceiptsPerReadMessage * read})
		if !ok3 {
			return nil, nil, false
		}
		vecs := []noisy{r, rc}
		return vecs, relative(vecs, func(x [][]float64) float64 { return max(x[1][0]/x[0][0], 1) }), true
	})
}

// widenByMembers re-judges a by-member-count check with each bucket's own widening:
// the check reports the bucket nearest its widened tolerance, |Δ_b| / (T + w_b) largest.
func (o Options) widenByMembers(ch *Check, b, c *shape.Document, bDP, cDP bool) {
	rate := ch.ID == "read_rate.by_members"
	var bm, cm map[string]float64
	if bDP {
		bm = bucketMessages(b)
	}
	if cDP {
		cm = bucketMessages(c)
	}
	what := "Receipts per read message"
	if rate {
		what = "Read rate"
	}
	base := ch.Tolerance
	worst := -1.0
	var pick *Check
	for _, lo := range shape.JointMemberBuckets {
		k := shape.FormatKey(lo)
		bc, cc := b.ReadReceipts.ByMemberCount[k], c.ReadReceipts.ByMemberCount[k]
		bv, cv := bc.ReceiptsPerReadMessage, cc.ReceiptsPerReadMessage
		if rate {
			bv, cv = bc.ReadRate, cc.ReadRate
		}
		if bv == nil || cv == nil {
			continue
		}
		w2, vecs, side := bothSides(bDP, cDP, func(baseline bool) (float64, []NoiseVector, bool) {
			if baseline {
				return byMemberWidening(b, k, rate, bm)
			}
			return byMemberWidening(c, k, rate, cm)
		})
		d := stats.RelativeError(*cv, *bv)
		tol := base + math.Sqrt(w2)
		if score := math.Abs(d) / tol; score > worst || math.IsNaN(d) {
			worst = score
			x := *ch
			x.Baseline, x.Candidate, x.Tolerance = bv, cv, tol
			x.Label = what + ", " + k + "+ members (nearest its widened tolerance)"
			x.Note = "worst at " + k + "+ members"
			x.Noise = nil
			if side != "" {
				x.Noise = &Noise{Vectors: vecs, BaseTolerance: base, Widening: math.Sqrt(w2), Draws: NoiseDraws, Side: side}
			}
			pick = &x
		}
	}
	if pick == nil {
		return
	}
	*ch = o.judge(*pick, stats.RelativeError(*pick.Candidate, *pick.Baseline))
}
