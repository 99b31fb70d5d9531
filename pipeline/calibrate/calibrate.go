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
	"github.com/pgshape/pgshape/shape"
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
	// Messages is the pilot's message count. Default 0: the band's. A smaller pilot is
	// raised to PilotMessages (at most the band's size), and its GO is confirmed by a
	// run at the band's size (see NoConfirm).
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
	// NoConfirm skips the run at the band's size that confirms a GO reached on a
	// smaller pilot (Messages below the band's). Default false: a pilot's GO counts
	// only once the band's size reproduces it.
	NoConfirm bool
}

// DefaultSpecOut is the default file name of the calibrated spec.
const DefaultSpecOut = "distribution-spec-calibrated.json"

// Round is one generate → validate → adjust round.
type Round struct {
	N int `json:"round"`
	// Messages is the round's pilot size.
	Messages int64 `json:"messages"`
	// Confirm marks the run at the band's size that confirms a smaller pilot's GO.
	Confirm bool             `json:"confirm,omitempty"`
	Result  *validate.Result `json:"result"`
	Changes []Change         `json:"changes"`
}

// Outcome is what Run did.
type Outcome struct {
	Rounds []Round `json:"rounds"`
	// Best is the round whose spec was written: the first GO, else the one with the
	// fewest failed checks (then warnings).
	Best      int  `json:"best_round"`
	Converged bool `json:"converged"`
	// Confirmed is true when the GO was reached at the band's size (the pilot was the
	// band, or a confirming run reproduced the pilot's GO).
	Confirmed bool `json:"confirmed"`
	// PilotMessages is the pilot's size (after PilotMessages raised it), BandMessages
	// the band's.
	PilotMessages int64      `json:"pilot_messages"`
	BandMessages  int64      `json:"band_messages"`
	Spec          *spec.Spec `json:"-"`
	SpecPath      string     `json:"spec_path"`
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
// A pilot smaller than the band is first raised to PilotMessages, and its GO must be
// reproduced by a run at the band's size (see rounds).
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
	generatePilot := func(ctx context.Context, s *spec.Spec, messages int64) (*shape.Document, error) {
		res, err := generate.Run(ctx, generate.Options{URL: opts.DatabaseURL, Band: opts.Band, Seed: opts.Seed,
			Spec: s, Messages: messages, Workers: opts.Workers, Truncate: true}, io.Discard)
		if err != nil {
			return nil, err
		}
		if res.Shape != nil {
			return res.Shape, nil
		}
		return pipeline.ExportTarget(ctx, opts.DatabaseURL, baseline, 0, io.Discard)
	}
	o, best, err := rounds(ctx, opts, baseline, s, generatePilot, out)
	if err != nil {
		return nil, err
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

// pilotFunc generates a pilot of the given size from s into the target and returns its
// shape (a seam: the tests give Run's loop a pilot without a database).
type pilotFunc func(ctx context.Context, s *spec.Spec, messages int64) (*shape.Document, error)

// rounds is Run's loop. The pilot is opts.Messages (default the band's size), raised to
// PilotMessages (at most the band's size) so that every checked share has enough
// events. A pilot smaller than the band that reaches GO is confirmed by one run at the
// band's size (unless NoConfirm), allowed beyond MaxRounds; when that run is NO-GO the
// remaining rounds adjust at the band's size. A band-sized round's result outranks a
// smaller pilot's when the best spec is chosen.
func rounds(ctx context.Context, opts Options, baseline *shape.Document, s *spec.Spec, gen pilotFunc, out io.Writer) (*Outcome, *spec.Spec, error) {
	var band int64
	if b, ok := s.Bands[opts.Band]; ok {
		band = b.Messages
	}
	pilot := opts.Messages
	if pilot == 0 {
		pilot = band
	}
	need, needs := PilotMessages(baseline, opts.Tolerances)
	if band > 0 && pilot < need && pilot < band {
		raised := min(need, band)
		fmt.Fprintf(out, "[Calibrate] Pilot raised from %d to %d messages so that every checked share expects enough events (%s)\n",
			pilot, raised, largest(needs))
		pilot = raised
	}
	confirm := !opts.NoConfirm && band > pilot
	o := &Outcome{PilotMessages: pilot, BandMessages: band}
	var best *spec.Spec
	bestScore := [3]int{2, 1 << 30, 1 << 30}
	messages := pilot
	for n := 1; ; n++ {
		confirming := confirm && messages == band && pilot < band && (len(o.Rounds) == 0 || o.Rounds[len(o.Rounds)-1].Messages < band)
		if n > opts.MaxRounds && !confirming {
			break
		}
		cand, err := gen(ctx, s, messages)
		if err != nil {
			return nil, nil, fmt.Errorf("error generating the round %d pilot: %w", n, err)
		}
		vr := validate.Compare(baseline, cand, opts.Tolerances)
		round := Round{N: n, Messages: messages, Confirm: confirming, Result: vr}
		provisional := 0
		if confirm && messages < band {
			provisional = 1
		}
		if score := [3]int{provisional, vr.Failed, vr.Warnings}; score[0] < bestScore[0] ||
			score[0] == bestScore[0] && (score[1] < bestScore[1] || score[1] == bestScore[1] && score[2] < bestScore[2]) {
			bestScore, o.Best = score, n
			if best, err = clone(s); err != nil {
				return nil, nil, err
			}
		}
		printRound(out, n, messages, vr)
		if vr.GO() && confirm && messages < band {
			o.Rounds = append(o.Rounds, round)
			fmt.Fprintf(out, "[Calibrate] The %d-message pilot is GO: confirming at the band's size (%s, %d messages)\n", messages, opts.Band, band)
			messages = band
			continue
		}
		if vr.GO() {
			o.Rounds = append(o.Rounds, round)
			o.Converged, o.Confirmed = true, confirming || messages == band
			break
		}
		if confirming {
			fmt.Fprintf(out, "[Calibrate] The band's size is NO-GO where the pilot was GO: the remaining rounds adjust at %d messages\n", band)
		}
		if n < opts.MaxRounds {
			round.Changes = Adjust(s, baseline, cand, vr)
			printChanges(out, round.Changes)
			if err := s.Validate(); err != nil {
				return nil, nil, fmt.Errorf("error adjusting the spec after round %d: %w", n, err)
			}
		}
		o.Rounds = append(o.Rounds, round)
		if n >= opts.MaxRounds {
			break
		}
		if len(round.Changes) == 0 {
			fmt.Fprintln(out, "[Calibrate] Nothing left to adjust: the checks that miss have no parameter rule")
			break
		}
	}
	return o, best, nil
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
