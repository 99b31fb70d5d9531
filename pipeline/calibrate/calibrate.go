package calibrate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/loader/generate"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/pipeline"
	"github.com/pgshape/pgshape/spec"
	"github.com/pgshape/pgshape/validate"
)

// Options configures Run.
type Options struct {
	// Baseline is the production shape document. Required.
	Baseline string
	// DatabaseURL is the synthetic target the pilots are generated into (it is
	// replaced each round). Default "": see loader.ResolveURL.
	DatabaseURL string
	// Start is the first round's spec. Default nil: fit.Fit of the baseline.
	Start *spec.Spec
	// Band is the pilot's band. Default "tiny".
	Band string
	// Messages overrides the band's message count. Default 0: the band's.
	Messages int64
	// Seed is the pilots' root seed; every round uses it, so the corrections follow the
	// parameters, not the noise of a new sample. Default "calibrate".
	Seed string
	// MaxRounds bounds the generate → validate → adjust rounds. Default 5.
	MaxRounds int
	// Workers is the generator's worker count. Default 0: generate's default.
	Workers int
	// Tolerances are validate's options (zero fields take their defaults).
	Tolerances validate.Options
	// SpecOut is where the best spec goes. Default: DefaultSpecOut in the dated
	// folder outdir.Dated(now) (pgshape-out/<UTC date-time>/).
	SpecOut string
	// Overwrite allows replacing an existing SpecOut. Default false: an existing file
	// is refused before the first round.
	Overwrite bool
}

// DefaultSpecOut is the default file name of the calibrated spec.
const DefaultSpecOut = "distribution-spec-calibrated.json"

// Round is one generate → validate → adjust round.
type Round struct {
	N       int              `json:"round"`
	Result  *validate.Result `json:"result"`
	Changes []Change         `json:"changes"`
}

// Outcome is what Run did.
type Outcome struct {
	Rounds []Round `json:"rounds"`
	// Best is the round whose spec was written: the first GO, else the one with the
	// fewest failed checks (then warnings).
	Best      int        `json:"best_round"`
	Converged bool       `json:"converged"`
	Spec      *spec.Spec `json:"-"`
	SpecPath  string     `json:"spec_path"`
}

// WithDefaults returns a copy with the defaults filled: MaxRounds, Band, Seed, SpecOut
// and the tolerances.
func (o Options) WithDefaults() Options {
	if o.MaxRounds == 0 {
		o.MaxRounds = 5
	}
	if o.Band == "" {
		o.Band = "tiny"
	}
	if o.Seed == "" {
		o.Seed = "calibrate"
	}
	if o.SpecOut == "" {
		o.SpecOut = filepath.Join(outdir.Dated(time.Now()), DefaultSpecOut)
	}
	o.Tolerances = o.Tolerances.WithDefaults()
	return o
}

// Validate checks the options without reading a file or touching the target; it
// changes nothing.
func (o Options) Validate() error {
	if err := pipeline.CheckComparison(o.Baseline, o.Tolerances, "Tolerances"); err != nil {
		return err
	}
	if o.MaxRounds < 0 {
		return option.Errorf("MaxRounds", "error checking {}: %d, want at least 1", o.MaxRounds)
	}
	return nil
}

// Run calibrates: fit (or Start) → generate a pilot into the target → validate it
// against the baseline → Adjust the parameters behind the checks that missed → repeat,
// until the pilot is GO (no critical check fails, at most two warnings) or MaxRounds.
// It prints a table per round and writes the best round's spec to SpecOut. Not
// converging is an outcome (Converged false), not an error.
func Run(ctx context.Context, opts Options, out io.Writer) (*Outcome, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	if err := outdir.Check(opts.SpecOut, opts.Overwrite); err != nil {
		return nil, err
	}
	baseline, err := pipeline.ReadBaseline(opts.Baseline)
	if err != nil {
		return nil, err
	}
	var s *spec.Spec
	if opts.Start != nil {
		s, err = clone(opts.Start)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(out, "[Calibrate] Starting from the given spec")
	} else {
		_, s, err = fit.Fit(baseline, fit.Options{Source: opts.Baseline})
		if err != nil {
			return nil, fmt.Errorf("error fitting the baseline: %w", err)
		}
		fmt.Fprintln(out, "[Calibrate] Starting from the spec fitted to the baseline")
	}
	o := &Outcome{}
	var best *spec.Spec
	bestScore := [2]int{1 << 30, 1 << 30}
	for n := 1; n <= opts.MaxRounds; n++ {
		res, err := generate.Run(ctx, generate.Options{URL: opts.DatabaseURL, Band: opts.Band, Seed: opts.Seed,
			Spec: s, Messages: opts.Messages, Workers: opts.Workers, Truncate: true}, io.Discard)
		if err != nil {
			return nil, fmt.Errorf("error generating the round %d pilot: %w", n, err)
		}
		cand := res.Shape
		if cand == nil {
			if cand, err = pipeline.ExportTarget(ctx, opts.DatabaseURL, baseline, 0, io.Discard); err != nil {
				return nil, err
			}
		}
		vr := validate.Compare(baseline, cand, opts.Tolerances)
		round := Round{N: n, Result: vr}
		if score := [2]int{vr.Failed, vr.Warnings}; score[0] < bestScore[0] || score[0] == bestScore[0] && score[1] < bestScore[1] {
			bestScore, o.Best = score, n
			if best, err = clone(s); err != nil {
				return nil, err
			}
		}
		printRound(out, n, res.RequestedMessages, vr)
		if vr.GO() {
			o.Rounds = append(o.Rounds, round)
			o.Converged = true
			break
		}
		if n < opts.MaxRounds {
			round.Changes = Adjust(s, baseline, cand, vr)
			printChanges(out, round.Changes)
			if err := s.Validate(); err != nil {
				return nil, fmt.Errorf("error adjusting the spec after round %d: %w", n, err)
			}
		}
		o.Rounds = append(o.Rounds, round)
		if n < opts.MaxRounds && len(round.Changes) == 0 {
			fmt.Fprintln(out, "[Calibrate] Nothing left to adjust: the checks that miss have no parameter rule")
			break
		}
	}
	o.Spec, o.SpecPath = best, opts.SpecOut
	data, err := json.MarshalIndent(best, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("error encoding the calibrated spec: %w", err)
	}
	if err := outdir.WriteFile(opts.SpecOut, append(data, '\n'), 0o644, opts.Overwrite); err != nil {
		return nil, err
	}
	last := o.Rounds[len(o.Rounds)-1].Result
	if o.Converged {
		fmt.Fprintf(out, "[Calibrate] ✓ Converged in round %d: GO (%d warnings)\n", o.Best, last.Warnings)
	} else {
		fmt.Fprintf(out, "[Calibrate] ✗ Not converged after %d rounds: %s (%s)\n", len(o.Rounds), last.Decision, last.Reason)
	}
	fmt.Fprintf(out, "[Calibrate] Wrote %s (round %d's spec)\n", opts.SpecOut, o.Best)
	return o, nil
}

// clone deep-copies a spec through its JSON form and checks it.
func clone(s *spec.Spec) (*spec.Spec, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("error copying the spec: %w", err)
	}
	c, err := spec.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("error copying the spec: %w", err)
	}
	return c, nil
}

// printRound prints the round's table: every check that did not pass, then the counts.
func printRound(out io.Writer, n int, messages int64, r *validate.Result) {
	fmt.Fprintf(out, "[Calibrate] Round %d: %d-message pilot: %s — %d passed, %d warnings, %d failed\n",
		n, messages, r.Decision, r.Passed, r.Warnings, r.Failed)
	var b strings.Builder
	fmt.Fprintf(&b, "  %-36s %12s %12s %9s  %s\n", "check", "baseline", "synthetic", "Δ", "status")
	rows := 0
	for _, ch := range r.Checks {
		if ch.Status == validate.Pass || ch.Status == validate.Skipped {
			continue
		}
		rows++
		bv, cv, d := "–", "–", "–"
		if ch.Baseline != nil {
			bv = ch.FormatValue(*ch.Baseline)
		}
		if ch.Candidate != nil {
			cv = ch.FormatValue(*ch.Candidate)
		}
		if ch.Delta != nil {
			if ch.Kind == validate.Distance {
				d = fmt.Sprintf("%.4f", *ch.Delta)
			} else {
				d = strings.TrimPrefix(ch.FormatDelta(), "Δ=")
			}
		}
		fmt.Fprintf(&b, "  %-36s %12s %12s %9s  %s\n", ch.Name, bv, cv, d, ch.Status)
	}
	if rows > 0 {
		io.WriteString(out, b.String())
	}
}

func printChanges(out io.Writer, changes []Change) {
	for _, c := range changes {
		if c.Param == ".messages.inter_arrival.weekday_hour_weights" {
			fmt.Fprintf(out, "  adjust %s (%s)\n", c.Param, c.Because)
			continue
		}
		fmt.Fprintf(out, "  adjust %s: %.4g → %.4g (%s)\n", c.Param, c.From, c.To, c.Because)
	}
}
