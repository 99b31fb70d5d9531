// Package fit estimates the distribution spec's models from a shape document: pure
// functions over aggregates, no database. `loader fit` calls Fit (through Run) and
// writes the calibration report and the spec that `loader generate` reads.
//
// # Binned maximum likelihood
//
// Everything the shape document carries about a distribution is a histogram of
// contiguous buckets [lo, hi) (the last open) with counts n_i. Every continuous or
// discrete model here is fitted by maximising the grouped-data log-likelihood
//
//	ℓ(θ) = Σ n_i ln P_i(θ),   P_i(θ) = F_θ(hi_i) − F_θ(lo_i)  (normalised over the buckets)
//
// (Fisher 1922; Kendall & Stuart vol. 2 ch. 18): the exact multinomial likelihood of
// the published counts, so no bucket representative (midpoint, lower bound) enters an
// estimate and k-anonymity merges (wider buckets) are handled for free. Parameters are
// transformed to the real line (log for scales, logistic for probabilities, softmax for
// mixture weights) and ℓ is maximised with gonum's Nelder–Mead simplex from one or two
// deterministic starting points; the same document always gives the same fit.
//
// # Models
//
//   - Conversation sizes: type mix (published); small groups 3–20 a truncated
//     geometric, large groups 21+ a discrete power law with Hurwitz-zeta normaliser
//     (Clauset, Shalizi & Newman 2009), x_min fixed at 21 (FitSizes says why).
//   - Messages per active conversation: discrete power law, discrete log-normal and
//     shifted discrete log-normal, all three fitted and reported, the smallest BIC
//     kept (FitCounts); the heavy-room multiplier solved in closed form
//     (dist.HeavyShare). The laws themselves live in
//     package dist; fit estimates their parameters.
//   - Content length, attachment size: log-normal (FitLogNormal).
//   - Time: weekday × hour rates over each cell's exposure in the window (FitProfile);
//     inter-arrival gaps a mixture of an exponential (the chain's in-burst gaps) and a
//     log-normal (gaps between bursts) (FitBurst); the chain's own gap CV (ChainCV).
//   - Read delays: immediate exponential + near-term exponential + delayed log-normal
//     (FitDelays).
//
// # Goodness of fit and fallbacks
//
// Each fitted family reports Pearson's X² and the G statistic against the model (bins
// merged to expected ≥ 5, fitted parameters off the degrees of freedom), the total
// variation distance, and model-versus-published percentiles. At production sizes the
// p-values reject any deviation, so the distances and percentile errors are what to
// read. A family that cannot be fitted takes the default spec's values (spec.Default)
// and says so in Report.Warnings and spec.Warnings.
//
// docs/fit.md explains each estimator, its source, and what the guide did instead.
package fit
