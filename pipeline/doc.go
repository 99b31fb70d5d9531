// Package pipeline is the file and database side of validation, behind `loader validate`
// and `loader stat-tests`: it reads the baseline and the dataset report, or exports a
// target with the same shape SQL that measured production, calls validate.Compare,
// prints the guide's report, writes the JSON result and, on request, the pictures and
// HTML page of pipeline/plot. It sits above validate (pure comparison), loader
// (databases) and fit, and ties the phases together.
//
// # Which window the target is measured over
//
// A synthetic target records the window its last load was generated for
// (pgshape.synthetic_target.window_end, window_days); ExportTarget exports over exactly
// that window, so the candidate is measured as the generator meant it. A database
// without the mark (a production replica compared with its own earlier sample, a
// hand-filled fixture) is exported over the baseline's window: as_of = extracted_at,
// sample_window_days days. The export runs in one read-only REPEATABLE READ
// transaction, so every family sees the same snapshot, at k = 2 on a synthetic target
// (as the generator's report) and k = 10 elsewhere unless told otherwise.
//
// # Errors and verdicts
//
// Validate and StatTests return an error only when the comparison could not be made
// (a file that is not a shape document or report, a tolerance outside (0, 1), no
// server, no shape schema); a NO-GO or a failed test is a result. The command line
// maps the first to exit 2 and the second to exit 1.
package pipeline
