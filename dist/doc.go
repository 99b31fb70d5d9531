// Package dist holds the count laws of pgshape, one file per law in the manner of
// gonum's stat/distuv: the number of messages in a conversation (discrete power law,
// discrete log-normal, shifted discrete log-normal), the size of a small group (truncated geometric), and the
// heavy-room transform of a count law. fit estimates their parameters, the generator
// draws from them and calibrate predicts with them; none of those writes a formula of
// its own.
//
// Each law is a value type with exported parameters and the formula (with its source)
// in its doc comment. It has the methods of a law on the integers of its support
// [lo, hi] (the Discrete interface and more):
//
//   - Support(): lo and hi;
//   - SurvivalFunc(): S(x) = P(X ≥ x), and ProbFunc(): P(X = x), as functions with the
//     parameter-only constants (normalisers, special functions) computed once, for
//     loops over many points;
//   - Mass(lo, hi): P(lo ≤ X < hi) over real edges, what a histogram bucket holds;
//   - Quantile(p): the smallest integer x with CDF(x) ≥ p, exactly: a closed form
//     settled against the survival function (log-normal, geometric) or bisection over
//     the support (power law), so a support of millions costs a few evaluations;
//   - Mean(): E[X].
//
// The package functions CDF, Quantile (bisection) and Mean (a sum over the support)
// work on any Discrete. Inverse precomputes a law's quantile function for many draws
// (the generator's one per conversation). HeavyCount and HeavyShare are the
// heavy-room transform of a count law and what it does to the busiest rooms' share.
//
// A malformed law (an empty support, a power law or log-normal from below 1, p outside
// [0, 1]) is a programmer error and panics with a "dist: " prefix; a law that a
// fitted parameter leaves without mass is bad data, and NewInverse returns an error.
package dist
