// Package validate compares a candidate shape document (what landed in a synthetic
// target, measured by the same shape SQL as production, or a generator report) with
// the production baseline, check by check, and decides GO or NO-GO.
//
// # Checks
//
// Compare runs twenty checks, the guide's fifteen families with the type mix and the
// activity percentiles counted per line. Δ is computed in one of three ways:
//
//   - Absolute (type-mix shares): Δ = candidate − baseline in share points; the
//     tolerance is ±10 points, the guide's "±10% for type mix" (its example
//     "69.8% (baseline: 68.2%, Δ=+1.6%)" is a difference of points).
//   - Relative (everything with a scale): Δ = (candidate − baseline) / baseline; the
//     tolerance is --tolerance (0.20), except the media ratio (±5%, the guide's).
//   - Distance (distributions): the KS statistic D on binned CDFs, or the total-variation
//     distance TV = ½ Σ |p_i − q_i|; both in [0, 1], gated at DistanceTolerance
//     (Tolerance/2 = 0.10 by default).
//
// Critical checks: the three type-mix shares, the media ratio, messages per
// conversation p50/p95/p99, the top-2% heavy-room traffic share, the hourly profile
// (TV), the diurnal peak/trough ratio, and the three distribution tests (KS on
// conversation sizes, KS on messages per conversation, content length). These are
// what a load test feels: how many rooms of each kind, how hot the hot rooms are, how
// traffic moves through the day, how big rows are. Non-critical: content length mean
// and median (the distribution test covers them), read rate, read-delay percentiles,
// attachment type mix, weekday/weekend ratio and the burst coefficient (a coefficient
// of variation of gaps, dominated by the few longest gaps and noisy at pilot sizes).
//
// Status: a check passes when |Δ| ≤ 0.8·tolerance; a check with 0.8·tolerance < |Δ| ≤
// tolerance is a warning ("near the limit"); beyond the tolerance a critical check
// fails and a non-critical one is a warning. A value the baseline does not publish
// (k-anonymity) is skipped; one the candidate does not publish is a warning.
//
// # People and time (shape_version 2)
//
// People adds ten checks of issue 12: the top-5% traffic share, single- against
// two-member conversations, messages per sender (binned KS), the busiest senders'
// shares, conversations per user (binned KS), senders per conversation (binned KS),
// single-sender threads, conversation lifetimes and within-conversation gaps (binned
// KS). Options.PeopleChecks (default DefaultPeopleChecks, the one switch to flip once
// the generator models senders, memberships and lifetimes) says whether they decide or
// are only reported (Result.Informational). A family either document lacks (a
// version-1 document) skips its checks, and Result.Notices names it.
//
// # Sampling error
//
// A share beyond its pass band passes when the difference is within its 99% sampling
// error, z·√(p0(1 − p0)/n) (the score test; relative: z·√((1 − p0)/E) for E expected
// events), and a version-2 KS distance when D is within the two-sample critical value
// at 1% (stats.KSCritical): see Sampling. Small pilots then stop failing on noise.
//
// # Decision
//
// GO when no check fails and there are at most two warnings (the guide's convergence
// criteria), NO-GO otherwise; Result.Reason names the failing checks.
//
// # Why effect sizes decide, not p-values
//
// The guide's criterion "KS p-value > 0.05" cannot work at production scale: with
// millions of rows on each side the two-sample KS test rejects D = 0.002, a difference
// nobody could see on a plot, and chi-squared statistics grow linearly with n at any
// fixed difference. So the gate is on effect sizes that do not grow with n: KS D and
// the total-variation distance, at most 0.10 (no set of buckets, and no quantile's
// probability, differs by more than ten points).
//
// The p-values are still reported, as information, at an effective sample size
// n_eff = min(n·m/(n+m), 1000). n·m/(n+m) is the size the two-sample KS law depends on
// (√n_eff·D is asymptotically Kolmogorov-distributed). The cap of 1000 asks "would this
// difference be noticed in a sample of a thousand?": at n_eff = 1000 the 5% critical
// value of D is 1.36/√1000 ≈ 0.043, below the 0.10 gate, so a p-value under 0.05 there
// is an early warning of a difference half the size of the gate, while at n_eff in the
// millions it would flag D ≈ 0.001. The chi-squared statistic is scaled by
// 1000/n_eff before its p-value is read (X² is proportional to n_eff at a fixed
// difference). Full-size p-values are reported too, to show why they cannot gate.
//
// # Binned data
//
// The distribution tests run on the published histograms. k-anonymity merges sparse
// buckets by dropping keys, differently on each side, so both histograms are re-binned
// onto the keys they share (CommonGrid) before any test: no row crosses an edge, and D
// is evaluated only at edges both sides know (a lower bound of the raw-data D).
//
// # Running it
//
// Compare is pure: no file, no database. The runners that read files or export a
// target live above it, in package pipeline; the pictures and the HTML page in
// pipeline/plot; the calibration loop in pipeline/calibrate.
package validate
