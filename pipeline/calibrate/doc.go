// Package calibrate closes the loop of the guide's Step 6: fit → generate a pilot →
// validate → adjust the parameters that miss → repeat, until the pilot is GO or a
// round limit is reached (`loader calibrate`).
//
// # Rounds
//
// Every round generates the pilot into the same synthetic target with the same seed
// (common random numbers: a correction then answers to the parameters, not to the noise
// of a fresh sample), measures it with the shape SQL (the generator's report), and
// compares it with the baseline (validate.Compare). The loop stops at the first GO (no
// critical check fails, at most two warnings), when no rule applies to the checks that
// miss, or after MaxRounds. The spec of the best round (the GO one, else the fewest
// failures, then warnings) is written.
//
// # Adjustment rules
//
// Adjust moves only the parameters behind checks that failed or warned, each by a
// multiplicative correction from the ratio of the baseline's value to the pilot's,
// exact for the simple model behind it (see Adjust): shares scale by target/observed;
// the heavy-room multiplier by the odds ratio of the top-2% share; the count model's
// log-normal mu by ln(p50 ratio) and sigma by the ratio of log(p95/p50); content length's
// mu and sigma from its median and mean/median; the weekday × hour weights cell by cell;
// the burst starts' spacing shape κ by a Newton step in ln κ on fit.ChainCV (the burst
// continue probability's odds by the burst-coefficient ratio once κ is at its bound); the read-delay
// scales by the worst percentile's ratio; the small-group size by its mean excess.
// Checks without a rule (the large-group size tail) are reported and left alone.
package calibrate
