package stats

import "math"

// NormalCDF is the standard normal distribution function Φ(x) = erfc(−x/√2)/2, accurate
// in both tails.
func NormalCDF(x float64) float64 { return math.Erfc(-x/math.Sqrt2) / 2 }

// NormalQuantile is Φ⁻¹(p) = −√2·erfcinv(2p) for p in (0, 1) (±Inf at 0 and 1).
func NormalQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
