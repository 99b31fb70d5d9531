package fit

import (
	"fmt"
	"math"
	"time"

	"github.com/pgshape/pgshape/shape"
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
// pools them. A conversation with n messages (drawn from count, with the counts above
// the heavy-room quantile multiplied by mult, as HeavyShare splits them) has B = 1 + Binomial(n−1, 1−η) bursts;
// its n − B in-burst gaps are exponential with mean g (E X = g, E X² = 2g²), and its
// B − 1 gaps between bursts are taken as the spacings of B burst starts spread over
// the window W, W·Beta(1, B) (E X = W/(B+1), E X² = 2W²/((B+1)(B+2))): the profile's
// modulation is ignored. The expectation over B is exact for n ≤ 64 and uses E[B]
// above, where B is concentrated.
func ChainCV(count Model, xmin, xmax int, heavy HeavyShare, mult, eta, gap, window float64) float64 {
	surv := survivalOf(count)
	between := func(b float64) (float64, float64) {
		return (b - 1) * window / (b + 1), 2 * (b - 1) * window * window / ((b + 1) * (b + 2))
	}
	var s1, s2, ng float64
	add := func(n, p float64) {
		if n < 2 || !(p > 0) {
			return
		}
		g := n - 1
		b1, b2 := 0.0, 0.0
		if g <= 64 && eta > 0 && eta < 1 {
			// B − 1 ~ Binomial(g, 1 − η), pmf by recurrence.
			pk := math.Pow(eta, g)
			for k := 0.0; k <= g; k++ {
				a, c := between(k + 1)
				b1 += pk * a
				b2 += pk * c
				pk *= (g - k) / (k + 1) * (1 - eta) / eta
			}
		} else {
			b1, b2 = between(1 + g*(1-eta))
		}
		s1 += p * (g*eta*gap + b1)
		s2 += p * (g*eta*2*gap*gap + b2)
		ng += p * g
	}
	sPrev := surv(float64(xmin))
	for x := xmin; x <= xmax; x++ {
		sNext := surv(float64(x + 1))
		p := sPrev - sNext
		sPrev = sNext
		if !(p > 1e-18) {
			continue
		}
		// The busiest pct: everything above Q and a fraction of the atom at Q.
		var heavyP float64
		switch {
		case float64(x) > heavy.Q:
			heavyP = p
		case float64(x) == heavy.Q:
			heavyP = math.Max(heavy.Pct-heavy.Above, 0)
		}
		add(float64(x), p-heavyP)
		add(math.Max(1, math.Round(float64(x)*mult)), heavyP)
	}
	m1, m2 := s1/ng, s2/ng
	return math.Sqrt(m2/(m1*m1) - 1)
}
