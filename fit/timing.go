package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/pgshape/pgshape/dist"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/spec"
)

// exposure returns how many hours of each ISO weekday × UTC hour cell the window
// [asOf − days, asOf) holds (fractions at the ends), so that counts become rates.
func exposure(asOf time.Time, days int) (cells [7][24]float64) {
	asOf = asOf.UTC()
	t := asOf.Add(-time.Duration(days) * 24 * time.Hour)
	for t.Before(asOf) {
		next := t.Truncate(time.Hour).Add(time.Hour)
		if next.After(asOf) {
			next = asOf
		}
		wd := (int(t.Weekday()) + 6) % 7
		cells[wd][t.Hour()] += next.Sub(t).Hours()
		t = next
	}
	return cells
}

// Profile is the fitted time-of-week rate profile.
type Profile struct {
	// Weights is the relative message rate by ISO weekday and UTC hour, mean 1.
	Weights [7][24]float64
	// LambdaPeak and LambdaTrough are messages per second at the busiest and quietest
	// hour of day (hour-of-day count over the hours of that hour the window holds).
	LambdaPeak, LambdaTrough float64
	// PeakTroughRatio and WeekdayWeekendRatio are the profile's own figures.
	PeakTroughRatio, WeekdayWeekendRatio float64
}

// FitProfile turns the weekday × hour counts (or, without them, the hourly counts and
// the weekday/weekend ratio) into rates by dividing by each cell's exposure in the
// window, so that a window holding five Mondays and four Sundays does not read as a
// weekday effect. A null (suppressed) cell counts as (k−1)/2 messages, the middle of
// what it can hold.
func FitProfile(d *shape.Document, k int) (Profile, error) {
	var p Profile
	exp := exposure(d.ExtractedAt, d.SampleWindowDays)
	var hourExp [24]float64
	for wd := range exp {
		for h := range exp[wd] {
			hourExp[h] += exp[wd][h]
		}
	}
	null := float64(k-1) / 2
	val := func(v *int64) float64 {
		if v == nil {
			return null
		}
		return float64(*v)
	}
	m := d.Messages
	var hourly [24]float64
	haveHourly := len(m.HourlyDistribution) == 24
	switch {
	case len(m.WeekdayHourDistribution) == 7:
		var sum, n float64
		for wd := range 7 {
			for h := range 24 {
				if exp[wd][h] > 0 {
					p.Weights[wd][h] = val(m.WeekdayHourDistribution[wd][h]) / exp[wd][h]
					sum += p.Weights[wd][h]
					n++
				}
				hourly[h] += val(m.WeekdayHourDistribution[wd][h])
			}
		}
		if !(sum > 0) {
			return p, fmt.Errorf("$.messages.weekday_hour_distribution holds no messages")
		}
		// A window shorter than a week leaves cells unseen: give them their hour's mean.
		for h := range 24 {
			var s, c float64
			for wd := range 7 {
				if exp[wd][h] > 0 {
					s += p.Weights[wd][h]
					c++
				}
			}
			for wd := range 7 {
				if exp[wd][h] == 0 && c > 0 {
					p.Weights[wd][h] = s / c
				}
			}
		}
	case haveHourly:
		ratio := 1.0
		if m.WeekdayWeekendRatio != nil && *m.WeekdayWeekendRatio > 0 {
			ratio = *m.WeekdayWeekendRatio
		}
		for h := range 24 {
			rate := val(m.HourlyDistribution[h]) / math.Max(hourExp[h], 1e-9)
			for wd := range 7 {
				p.Weights[wd][h] = rate
				if wd >= 5 {
					p.Weights[wd][h] = rate / ratio
				}
			}
		}
	default:
		return p, fmt.Errorf("$.messages.hourly_distribution and $.messages.weekday_hour_distribution are missing")
	}
	if haveHourly {
		for h := range 24 {
			hourly[h] = val(m.HourlyDistribution[h])
		}
	}
	var total float64
	for wd := range 7 {
		for h := range 24 {
			total += p.Weights[wd][h]
		}
	}
	if !(total > 0) {
		return p, fmt.Errorf("$.messages.hourly_distribution holds no messages")
	}
	for wd := range 7 {
		for h := range 24 {
			p.Weights[wd][h] *= 168 / total
		}
	}
	p.LambdaPeak, p.LambdaTrough = math.Inf(-1), math.Inf(1)
	for h := range 24 {
		if hourExp[h] == 0 {
			continue
		}
		l := hourly[h] / (hourExp[h] * 3600)
		p.LambdaPeak = math.Max(p.LambdaPeak, l)
		p.LambdaTrough = math.Min(p.LambdaTrough, l)
	}
	p.PeakTroughRatio, p.WeekdayWeekendRatio = ProfileRatios(p.Weights)
	return p, nil
}

// ProfileRatios returns a weekday × hour profile's peak/trough ratio (busiest over
// quietest hour of day, summed over the week) and its weekday/weekend ratio (mean
// weekday cell over mean weekend cell).
func ProfileRatios(w [7][24]float64) (peakTrough, weekdayWeekend float64) {
	var hour [24]float64
	var wk, we float64
	for wd := range 7 {
		for h := range 24 {
			hour[h] += w[wd][h]
			if wd < 5 {
				wk += w[wd][h] / 5
			} else {
				we += w[wd][h] / 2
			}
		}
	}
	hi, lo := math.Inf(-1), math.Inf(1)
	for _, v := range hour {
		hi, lo = math.Max(hi, v), math.Min(lo, v)
	}
	return hi / lo, wk / we
}

// ChainCV returns the coefficient of variation of the within-conversation gaps that the
// generator's self-exciting chain produces, pooled over conversations as the shape SQL
// pools them. A conversation with n messages (drawn from count, the busiest ones scaled
// by the heavy-room multiplier mult as dist.HeavyShare.Scale does) has
// B = 1 + Binomial(n−1, 1−η) bursts; its n − B in-burst gaps are exponential with mean
// g (E X = g, E X² = 2g²), and its B − 1 gaps between bursts are the spacings of B
// burst starts spread over the window W: Dirichlet(κ, …, κ) spacings S₁…S_B of a circle
// of length W (κ = kappa, the spec's spacing_shape), cut at a uniform point. The cut
// falls in a spacing with probability S_i/W, so the B − 1 gaps are the spacings that
// are not size-biased out: with S_i ~ W·Beta(κ, (B−1)κ),
//
//	E[Σ gaps]  = W − B·E[S²]/W      = W κ(B−1) / (Bκ+1)
//	E[Σ gaps²] = B·E[S²] − B·E[S³]/W = W² κ(κ+1)(B−1) / ((Bκ+1)(Bκ+2))
//
// (E S = W/B, E S² = W²(κ+1)/(B(Bκ+1)), E S³ = W³(κ+1)(κ+2)/(B(Bκ+1)(Bκ+2))). κ = 1 is
// B uniform starts, W·Beta(1, B) gaps: mean W/(B+1), E X² = 2W²/((B+1)(B+2)). The
// profile's modulation and the conversation's created_at are ignored. The expectation
// over B is exact for n ≤ 64 and uses E[B] above, where B is concentrated; counts
// above countAtomsExact are summed in bins of 0.1% (countAtoms).
func ChainCV(count dist.Discrete, heavy dist.HeavyShare, mult, eta, gap, kappa, window float64) float64 {
	return newChainMoments(count, heavy, mult, eta, gap).cv(kappa, window)
}

// chainMoments holds the chain's pooled gap sums that do not depend on κ: the in-burst
// sums, the gap count, and the weight w[i] of each burst count b[i].
type chainMoments struct {
	in1, in2, ng float64
	b, w         []float64
}

func newChainMoments(count dist.Discrete, heavy dist.HeavyShare, mult, eta, gap float64) *chainMoments {
	c := &chainMoments{}
	exact := make([]float64, 66) // weight of B = k for the conversations with n ≤ 65
	add := func(n, p float64) {
		if n < 2 || !(p > 0) {
			return
		}
		g := n - 1
		if g <= 64 && eta > 0 && eta < 1 {
			// B − 1 ~ Binomial(g, 1 − η), pmf by recurrence.
			pk := math.Pow(eta, g)
			for k := 0.0; k <= g; k++ {
				exact[int(k)+1] += p * pk
				pk *= (g - k) / (k + 1) * (1 - eta) / eta
			}
		} else {
			c.b = append(c.b, 1+g*(1-eta))
			c.w = append(c.w, p)
		}
		c.in1 += p * g * eta * gap
		c.in2 += p * g * eta * 2 * gap * gap
		c.ng += p * g
	}
	countAtoms(count, heavy, func(mid, light, heavyP float64) {
		add(mid, light)
		add(heavy.Scale(mid, mult), heavyP)
	})
	for k, p := range exact {
		if k >= 2 && p > 0 {
			c.b = append(c.b, float64(k))
			c.w = append(c.w, p)
		}
	}
	return c
}

// countAtomsExact: countAtoms takes the counts below it one by one, above it in bins
// of 0.1% of n.
const countAtomsExact = 4096

// countAtoms calls fn, in increasing n, for each atom of the count model on
// its support: its midpoint and its mass split into the light part and the heavy part
// (the busiest pct that dist.HeavyShare scales: all of an atom above the quantile Q,
// and the fraction Pct − Above of the atom at Q). Counts below countAtomsExact are an
// atom each; above, atoms are bins of 0.1% of n at their midpoint that never straddle
// Q, so a count model reaching millions costs a few thousand survival evaluations.
// The sums over the atoms (ChainCV, RenewalCV) are smooth in n there: the midpoint
// moves a bin's terms by a relative O(10⁻⁷). Atoms of mass ≤ 10⁻¹⁸ are skipped.
func countAtoms(count dist.Discrete, heavy dist.HeavyShare, fn func(mid, light, heavy float64)) {
	surv := count.SurvivalFunc()
	xmin, xmax := count.Support()
	sPrev := surv(float64(xmin))
	for x := xmin; x <= xmax; {
		step := 1
		if x >= countAtomsExact && float64(x) != heavy.Q {
			step = x / 1000
			if float64(x) < heavy.Q && float64(x+step) > heavy.Q {
				step = int(heavy.Q) - x
			}
		}
		step = min(step, xmax-x+1)
		sNext := surv(float64(x + step))
		p := sPrev - sNext
		sPrev = sNext
		mid := float64(x) + float64(step-1)/2
		x += step
		if !(p > 1e-18) {
			continue
		}
		var heavyP float64
		switch {
		case mid > heavy.Q:
			heavyP = p
		case mid == heavy.Q:
			heavyP = math.Max(heavy.Pct-heavy.Above, 0)
		}
		fn(mid, p-heavyP, heavyP)
	}
}

// cv is the pooled gap CV with spacing shape kappa over a window of window seconds.
func (c *chainMoments) cv(kappa, window float64) float64 {
	s1, s2 := c.in1, c.in2
	for i, b := range c.b {
		d := b*kappa + 1
		s1 += c.w[i] * window * kappa * (b - 1) / d
		s2 += c.w[i] * window * window * kappa * (kappa + 1) * (b - 1) / (d * (d + 1))
	}
	m1, m2 := s1/c.ng, s2/c.ng
	return math.Sqrt(m2/(m1*m1) - 1)
}

// Bounds of the spacing shape SolveSpacingShape searches.
const (
	MinSpacingShape = 0.05
	MaxSpacingShape = 50.0
)

// SolveSpacingShape returns the spacing shape κ in [MinSpacingShape, MaxSpacingShape]
// for which ChainCV equals target, by bisection on ln κ (ChainCV falls as κ grows),
// with the CV that κ gives. When no κ in the bounds reaches target it returns the
// bound whose CV is closest, and ok = false.
func SolveSpacingShape(target float64, count dist.Discrete, heavy dist.HeavyShare, mult, eta, gap, window float64) (kappa, cv float64, ok bool) {
	c := newChainMoments(count, heavy, mult, eta, gap)
	f := func(lk float64) float64 { return math.Log(c.cv(math.Exp(lk), window) / target) }
	lo, hi := math.Log(MinSpacingShape), math.Log(MaxSpacingShape)
	flo, fhi := f(lo), f(hi)
	switch {
	case math.IsNaN(flo) || math.IsNaN(fhi):
		return 1, c.cv(1, window), false
	case flo <= 0: // even the most clumped starts give too low a CV
		return MinSpacingShape, c.cv(MinSpacingShape, window), flo == 0
	case fhi >= 0: // even the most even starts give too high a CV
		return MaxSpacingShape, c.cv(MaxSpacingShape, window), fhi == 0
	}
	for range 40 { // the bracket is ln 1000 wide: 40 halvings leave 6e-12 in ln κ
		mid := (lo + hi) / 2
		if f(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	kappa = math.Exp((lo + hi) / 2)
	return kappa, c.cv(kappa, window), true
}

// Size of RenewalCV's Monte Carlo: renewalStrata conversations, one per stratum of the
// gap-weighted count law, each simulated with at most renewalCap messages.
const (
	renewalStrata = 256
	renewalCap    = 1024
)

// RenewalCV returns the pooled gap CV of the generator's chain under the renewal start
// model (spec.StartModelRenewal): in-burst gaps are exponential with mean g (log-normal
// of that mean and σ = inSigma when inSigma > 0) after each message with probability η, each next burst starts a LogNormal(μ, σ) gap after the
// previous burst's last message, and a chain longer than the window W is compressed to
// it (spec.CompressChain; the profile is ignored as in ChainCV). It is a small
// deterministic Monte Carlo with fixed seeds. The pooled moments are
// E[X^k] = E_q[Σ gaps^k / (n−1)] under the gap-weighted law q(n) ∝ P(n)·(n−1) of the
// count model (heavy rooms scaled as in ChainCV), so the busy rooms that hold most
// gaps get most of the effort: q is cut into renewalStrata equal-weight strata
// (countStrata), and one conversation is simulated at each stratum's midpoint. A
// conversation of n > renewalCap messages is simulated as renewalCap messages over a
// window of W·cap/n: bursts per second, and so how much the chain is compressed, stay
// as they are. TestRenewalCVByHand checks both regimes' exact laws.
func RenewalCV(count dist.Discrete, heavy dist.HeavyShare, mult, eta, gap, mu, sigma, inSigma, window float64) float64 {
	return renewalCV(count, heavy, mult, eta, gap, mu, sigma, inSigma, window, renewalStrata, renewalCap)
}

// countStrata cuts a weighted count law into strata of equal weight and returns each
// stratum's count (the count at its midpoint), the light conversations in increasing
// n, then the heavy ones (their counts scaled by dist.HeavyShare.Scale with mult): the
// weight of a count n ≥ minN of probability p is weight(n, p) (p·(n − 1) for the
// gap-weighted law, p for conversations). nil when no count carries weight.
func countStrata(count dist.Discrete, heavy dist.HeavyShare, mult float64, strata int, minN float64, weight func(n, p float64) float64) []float64 {
	type atom struct{ n, w float64 }
	var light, heavyA []atom
	var total float64
	countAtoms(count, heavy, func(mid, lightP, heavyP float64) {
		if n := math.Round(mid); n >= minN && lightP > 0 {
			light = append(light, atom{n, weight(n, lightP)})
			total += light[len(light)-1].w
		}
		if n := math.Round(heavy.Scale(mid, mult)); n >= minN && heavyP > 0 {
			heavyA = append(heavyA, atom{n, weight(n, heavyP)})
			total += heavyA[len(heavyA)-1].w
		}
	})
	if !(total > 0) {
		return nil
	}
	ns := make([]float64, 0, strata)
	var acc float64
	for _, as := range [][]atom{light, heavyA} {
		for _, a := range as {
			acc += a.w
			for len(ns) < strata && (float64(len(ns))+0.5)/float64(strata)*total <= acc {
				ns = append(ns, a.n)
			}
		}
	}
	for len(ns) < strata { // rounding at the top
		ns = append(ns, ns[len(ns)-1])
	}
	return ns
}

func renewalCV(count dist.Discrete, heavy dist.HeavyShare, mult, eta, gap, mu, sigma, inSigma, window float64, strata, maxN int) float64 {
	ns := countStrata(count, heavy, mult, strata, 2, func(n, p float64) float64 { return p * (n - 1) })
	if ns == nil {
		return math.NaN()
	}
	// The strata are independent (each has its own seeded generator), so they run
	// on all CPUs; their moments are summed in stratum order afterwards, so the
	// result does not depend on the number of CPUs.
	e1, e2 := make([]float64, len(ns)), make([]float64, len(ns))
	eachShare(len(ns), func(first, step int) {
		ts := make([]float64, 0, maxN)
		for j := first; j < len(ns); j += step {
			e1[j], e2[j] = renewalChain(ts, j, ns[j], maxN, eta, gap, mu, sigma, inSigma, window)
		}
	})
	var m1, m2 float64
	for j := range ns {
		m1 += e1[j]
		m2 += e2[j]
	}
	m1, m2 = m1/float64(strata), m2/float64(strata)
	return math.Sqrt(m2/(m1*m1) - 1)
}

// renewalChain simulates stratum j's conversation of n messages (at most maxN, over a
// window shrunk in proportion) and returns Σ gaps / (k − 1) and Σ gaps² / (k − 1) of
// its k messages. As the generator does (loader/generate renewalTimes), a chain that
// fits the window keeps its gaps (its shift within the window changes none); a longer
// one is compressed to the window: its gaps between bursts scaled by the one factor
// that makes it span the window, or, when its bursts alone take half the window or
// more, every gap by window/span (spec.CompressChain). ts is unused scratch space, kept for
// the callers' symmetry.
func renewalChain(_ []float64, j int, n float64, maxN int, eta, gap, mu, sigma, inSigma, window float64) (a1, a2 float64) {
	r := rand.New(rand.NewPCG(0x72656e6577616c, uint64(j)))
	k, w := int(n), window
	if k > maxN {
		k, w = maxN, window*float64(maxN)/n
	}
	var in1, in2, b1, b2 float64
	for i := 1; i < k; i++ {
		if r.Float64() >= eta {
			d := math.Exp(mu + sigma*r.NormFloat64())
			b1 += d
			b2 += d * d
			continue
		}
		d := gap * draw{e: r.ExpFloat64()}.withZi(inSigma).inMul(inSigma)
		in1 += d
		in2 += d * d
	}
	a, b := spec.CompressChain(in1, b1, w)
	return (b*in1 + a*b1) / float64(k-1), (b*b*in2 + a*a*b2) / float64(k-1)
}

// eachShare runs fn(first, step) once per CPU (at most n times), concurrently, with
// first = 0, 1, … and step the number of calls: each call takes the indexes first,
// first + step, … of 0…n−1, so work that grows with the index is shared evenly. It
// returns when all are done. Callers write results by index, so the outcome does not
// depend on the number of CPUs.
func eachShare(n int, fn func(first, step int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		fn(0, 1)
		return
	}
	var wg sync.WaitGroup
	for c := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(c, w)
		}()
	}
	wg.Wait()
}
