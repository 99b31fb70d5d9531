// Package stats holds the statistics that judge pgshape's fidelity: two-sample
// Kolmogorov–Smirnov tests (raw, weighted, binned) with exact and asymptotic p-values,
// chi-squared and G tests (homogeneity of two histograms, goodness of fit to a model),
// distances between distributions (total variation, Jensen–Shannon), relative error and
// quantiles (weighted, percentile_cont-compatible, and of a binned distribution). It
// knows nothing of chat data: inputs are samples, weights and histogram counts.
//
// docs/stats.md gives every formula with its source.
//
// # Kolmogorov–Smirnov
//
// D = sup |F1 − F2|, evaluated after each run of tied values (KSTwoSample,
// KSTwoSampleWeighted) or at bin boundaries (KSBinned). KSPValue is exact for whole
// sample sizes with n·m ≤ ExactLimit: a lattice-path recursion over probabilities (Kim &
// Jennrich 1973), which cannot overflow and keeps small p-values accurate. With ties it is
// the permutation distribution conditional on the tie pattern (as R's psmirnov).
// Larger samples use the Kolmogorov distribution (KolmogorovSurvival) at the effective
// size e = n·m/(n+m) with Stephens' correction: p = Q((√e + 0.12 + 0.11/√e)·D).
//
// # Chi-squared and G
//
// ChiSquaredHistograms is Pearson's X² for homogeneity of two histograms with different
// totals (Numerical Recipes' chstwo); ChiSquaredGOF and GTestGOF test observed counts
// against model probabilities. All three merge adjacent bins upward until every expected
// count reaches minExpected (DefaultMinExpected = 5), and take p-values from gonum's
// distuv.ChiSquared.
//
// # Why the validator gates on effect sizes, not p-values
//
// A p-value answers "could the difference be chance at this sample size?", not "is the
// difference large?". At a fixed true difference, √e·D and X² grow with the sample: with
// a million rows a side (e = 500 000) the 5% KS critical value is 1.358/√e ≈ 0.0019, so a
// CDF gap of 0.2 percentage points, invisible in any plot and irrelevant to a staging
// database, "rejects". A synthetic copy is never the same distribution as production, so
// at production sizes every test rejects and the p-value carries no information about
// fidelity. pgshape's validator therefore gates on effect sizes that do not grow with n
// (KS D, TotalVariation, JensenShannon, RelativeError of percentiles and ratios, CohenW)
// against tolerances, and reports p-values as information at a capped effective size
// (EffectiveN, KSPValueAtN, ChiSquaredPValueAtN): "this difference would (not) be
// noticeable in a sample of 1 000".
//
// # Conventions
//
// Programmer errors (mismatched lengths, negative counts or weights, p outside [0, 1])
// panic with a "stats:" prefix. Empty data gives NaN statistics, so a gate such as
// D ≤ tol fails instead of passing; callers check sizes first.
//
// # Polychoric correlation
//
// Polychoric estimates the correlation of the bivariate normal pair behind an ordinal
// two-way table by Olsson's (1979, Psychometrika 44:443–460) two-step maximum likelihood:
// thresholds from the margins, then ρ maximising the likelihood of the cells. NaN marks
// an unknown cell; the likelihood is then conditional on the observed cells and the
// thresholds are refined on margins completed with expected counts. BivariateNormalCDF,
// Φ₂(h, k; ρ), is Genz's (2004, Statistics and Computing 14:251–260) version of Drezner &
// Wesolowsky (1990), accurate to about 1e−15.
package stats
