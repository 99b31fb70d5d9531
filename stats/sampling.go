package stats

import "math"

// SamplingZ is the two-sided normal quantile of pgshape's sampling-error rule at level
// SamplingAlpha: Φ⁻¹(1 − 0.01/2) = 2.5758 (a test checks it against NormalQuantile).
const SamplingZ = 2.5758293035489004

// SamplingAlpha is the level at which a difference is judged to be within its sampling
// error: a check whose difference a chance draw would reach more often than α (1%) is
// not evidence that the generator is wrong.
const SamplingAlpha = 0.01

// ScoreZ is the score statistic of an observed share pHat over n trials against the
// null share p0: z = (pHat − p0) / √(p0(1 − p0)/n). The null variance (not pHat's) is
// what makes this the score test; the set of p0 with |z| ≤ z_{1−α/2} is the Wilson
// (1927) score interval of pHat, whose coverage stays near its nominal level down to a
// handful of events (Agresti & Coull 1998, The American Statistician 52:119–126).
// p0 of 0 or 1 gives ±Inf when pHat differs from it and 0 when it does not; n ≤ 0 or a
// share outside [0, 1] gives NaN.
func ScoreZ(pHat, p0, n float64) float64 {
	if !(n > 0) || !(p0 >= 0 && p0 <= 1) || !(pHat >= 0 && pHat <= 1) {
		return math.NaN()
	}
	d := pHat - p0
	v := p0 * (1 - p0) / n
	if v == 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(int(math.Copysign(1, d)))
	}
	return d / math.Sqrt(v)
}

// WilsonInterval is the score interval of a share pHat observed over n trials at the
// normal quantile z (SamplingZ for 99%): the p0 with |ScoreZ(pHat, p0, n)| ≤ z,
//
//	(pHat + z²/2n ± z·√(pHat(1−pHat)/n + z²/4n²)) / (1 + z²/n)   (Wilson 1927).
//
// n ≤ 0 gives NaN bounds.
func WilsonInterval(pHat, n, z float64) (lo, hi float64) {
	if !(n > 0) {
		return math.NaN(), math.NaN()
	}
	z2 := z * z
	c := pHat + z2/(2*n)
	h := z * math.Sqrt(pHat*(1-pHat)/n+z2/(4*n*n))
	den := 1 + z2/n
	return max(0, (c-h)/den), min(1, (c+h)/den)
}

// ShareSamplingError is the half-width, at the normal quantile z, of the sampling error
// of a share p0 estimated from n trials: z·√(p0(1 − p0)/n), in share points. Divided
// by p0 it is the relative error z·√((1 − p0)/E), E = n·p0 being the expected count of
// events, so a share whose expected count is small has a wide error. n ≤ 0 gives +Inf.
func ShareSamplingError(p0, n, z float64) float64 {
	if !(n > 0) {
		return math.Inf(1)
	}
	return z * math.Sqrt(p0*(1-p0)/n)
}

// EventsFor is how many expected events E = n·p0 a share p0 needs for its relative
// sampling error at z to fit within rel: z·√((1 − p0)/E) ≤ rel, so E ≥ (z/rel)²(1 − p0).
// rel ≤ 0 gives +Inf.
func EventsFor(p0, rel, z float64) float64 {
	if !(rel > 0) {
		return math.Inf(1)
	}
	return (z / rel) * (z / rel) * (1 - p0)
}

// TrialsForAbsolute is how many trials n a share p0 needs for its sampling error at z
// to fit within abs share points: z·√(p0(1 − p0)/n) ≤ abs, so n ≥ (z/abs)²·p0(1 − p0).
// abs ≤ 0 gives +Inf.
func TrialsForAbsolute(p0, abs, z float64) float64 {
	if !(abs > 0) {
		return math.Inf(1)
	}
	return (z / abs) * (z / abs) * p0 * (1 - p0)
}
