// Package dist holds the count laws of pgshape, one file per law in the manner of
// gonum's stat/distuv: the number of messages in a conversation (discrete power law,
// discrete log-normal), the size of a small group (truncated geometric), and the
// heavy-room transform of a count law. fit estimates their parameters, the generator
// draws from them and calibrate predicts with them; none of those writes a formula of
// its own.
//
// Each law is a value type with exported parameters and the formula (with its source)
// in its doc comment. It has the methods of a law on the integers of its support
// [lo, hi]:
//
//   - Prob(x): P(X = x);
//   - Mass(lo, hi): P(lo ≤ X < hi) over real edges, what a histogram bucket holds;
//   - Survival(x): P(X ≥ x), and CDF(x): P(X ≤ x);
//   - Quantile(p): the smallest integer x with CDF(x) ≥ p, found by bisection over the
//     support, so a support of millions costs about twenty evaluations;
//   - Mean(): E[X];
//
// and, for loops over many points, SurvivalFunc and ProbFunc, which compute the
// parameter-only constants (normalisers, special functions) once. Inverse precomputes
// a law's quantile function for many draws (the generator's one per conversation).
//
// A malformed law (an empty support, a power law or log-normal from below 1, p outside
// [0, 1]) is a programmer error and panics with a "dist: " prefix; a law that a
// fitted parameter leaves without mass is bad data, and NewInverse returns an error.
package dist
