package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/pipeline/plot"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// Baseline is the production shape document (`loader sample`'s output). Required.
	Baseline string
	// Dataset is a generator report (report_<band>_<seed>.json, whose "shape" key is
	// the shape of what landed) or a shape document. Default "": the database at
	// DatabaseURL is exported instead.
	Dataset string
	// DatabaseURL is the database to export (see loader.ResolveURL). Used when Dataset
	// is empty. On a synthetic target the export uses the window the generator
	// recorded; elsewhere (only with AllowAnyTarget) the baseline's extracted_at and
	// sample_window_days.
	DatabaseURL string
	// AllowAnyTarget allows exporting a database without the synthetic-target mark
	// (production itself, a hand-filled copy). Default false: such a database is
	// refused, since validating production against its own sample says nothing about
	// a synthetic dataset.
	AllowAnyTarget bool
	// K is the export's k-anonymity threshold, at least 2. Default (0): 2 on a
	// synthetic target (its rows are synthetic; the generator's report is exported at
	// 2 too, so a report and its target validate alike), shape.DefaultK (10) on any
	// other database.
	K int
	// Options are the tolerances (validate.Options; zero fields take their defaults).
	Options validate.Options
	// Output is where the JSON result goes. Default: DefaultOutput in the dated folder
	// outdir.Dated(now) (pgshape-out/<UTC date-time>/).
	Output string
	// PlotsDir, when set, receives the PNG pictures and index.html. Default "": none.
	PlotsDir string
	// Overwrite allows replacing an existing result or pictures. Default false: they
	// are refused before anything is read.
	Overwrite bool
}

// DefaultOutput is the JSON result's default file name.
const DefaultOutput = "validation.json"

// WithDefaults returns a copy with the defaults filled: Output and the tolerances
// (K's default depends on the database, and is taken by ExportTarget).
func (o ValidateOptions) WithDefaults() ValidateOptions {
	if o.Output == "" {
		o.Output = filepath.Join(outdir.Dated(time.Now()), DefaultOutput)
	}
	o.Options = o.Options.WithDefaults()
	return o
}

// CheckComparison is the check every comparison's options share (validate's,
// calibrate's): a baseline is given, and the tolerances, held in the field named
// tolerancesField, are valid.
func CheckComparison(baseline string, tolerances validate.Options, tolerancesField string) error {
	if baseline == "" {
		return option.Errorf("Baseline", "error checking the options: no baseline: pass {} shape-metrics.json (the production shape document)")
	}
	return option.Nest(tolerancesField, tolerances.Validate())
}

// Validate checks the options without reading anything; it changes nothing.
func (o ValidateOptions) Validate() error {
	if err := CheckComparison(o.Baseline, o.Options, "Options"); err != nil {
		return err
	}
	if o.K != 0 {
		return shape.CheckK(o.K)
	}
	return nil
}

// Validate compares the dataset report or the exported database with the baseline,
// prints the report on out, writes the JSON result (and the pictures), and returns the
// result. An error means the comparison could not be made (bad input, no database, no
// shape schema, a database that is not a synthetic target, an output that exists); a
// NO-GO is a result, not an error.
func Validate(ctx context.Context, opts ValidateOptions, out io.Writer) (*validate.Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	if err := outdir.Check(opts.Output, opts.Overwrite); err != nil {
		return nil, err
	}
	if opts.PlotsDir != "" {
		if err := outdir.Check(filepath.Join(opts.PlotsDir, plot.PageFile), opts.Overwrite); err != nil {
			return nil, err
		}
	}
	baseline, err := ReadBaseline(opts.Baseline)
	if err != nil {
		return nil, err
	}
	var candidate *shape.Document
	source := "dataset " + opts.Dataset
	if opts.Dataset != "" {
		fmt.Fprintf(out, "[Validation] Loading dataset report %s...\n", filepath.Base(opts.Dataset))
		candidate, err = ReadDataset(opts.Dataset)
	} else {
		candidate, source, err = exportTarget(ctx, opts.DatabaseURL, baseline, opts.K, opts.AllowAnyTarget, out)
	}
	if err != nil {
		return nil, err
	}
	res := validate.Compare(baseline, candidate, opts.Options)
	res.Baseline.Source = "baseline " + opts.Baseline
	res.Candidate.Source = source
	if err := res.WriteText(out); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		return nil, fmt.Errorf("error encoding the validation result: %w", err)
	}
	if err := outdir.WriteFile(opts.Output, buf.Bytes(), 0o644, opts.Overwrite); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "[Validation] Wrote %s\n", opts.Output)
	if opts.PlotsDir != "" {
		page, err := plot.Write(opts.PlotsDir, baseline, candidate, res)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "[Validation] Wrote the pictures and %s\n", page)
	}
	return res, nil
}

// ReadBaseline reads the production shape document.
func ReadBaseline(path string) (*shape.Document, error) {
	d, err := shape.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading the baseline: %w: pass the shape document `loader sample` wrote", err)
	}
	return d, nil
}

// ReadDataset reads a generator report (its "shape" key) or a bare shape document.
func ReadDataset(path string) (*shape.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading the dataset report %s: %w", path, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("error reading the dataset report %s: not a JSON object: pass a report_<band>_<seed>.json written by `loader generate`", path)
	}
	raw := data
	if s, ok := top["shape"]; ok {
		raw = s
	} else if _, ok := top["shape_version"]; !ok {
		return nil, fmt.Errorf("error reading the dataset report %s: it has neither a \"shape\" key nor a shape_version: pass a report_<band>_<seed>.json written by `loader generate` or a shape document", path)
	}
	d, err := shape.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("error reading the dataset report %s: %w", path, err)
	}
	return d, nil
}

// SyntheticK is the k-anonymity threshold of a synthetic target's export when none is
// given: the smallest the shape layer accepts, as in the generator's report.
const SyntheticK = 2

// ExportTarget exports the synthetic target at url with the shape SQL, in one
// read-only snapshot, over the window its last load recorded (the generator's window
// end and days; the baseline's window when the mark records none). k = 0 means
// SyntheticK. A database without the synthetic-target mark is refused: see Validate's
// AllowAnyTarget for comparing one anyway.
func ExportTarget(ctx context.Context, url string, baseline *shape.Document, k int, out io.Writer) (*shape.Document, error) {
	doc, _, err := exportTarget(ctx, url, baseline, k, false, out)
	return doc, err
}

// exportTarget is ExportTarget; with allowAny, a database without the mark is
// exported over the baseline's window (its extracted_at and sample_window_days), k = 0
// meaning shape.DefaultK, and the output says so. It returns what it compared, for the
// result.
func exportTarget(ctx context.Context, url string, baseline *shape.Document, k int, allowAny bool, out io.Writer) (*shape.Document, string, error) {
	pool, err := loader.Connect(ctx, loader.ResolveURL(url))
	if err != nil {
		return nil, "", err
	}
	defer pool.Close()
	cc := pool.Config().ConnConfig
	where := fmt.Sprintf("%s:%d database %q", cc.Host, cc.Port, cc.Database)
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, "", fmt.Errorf("error starting the export transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; nothing to keep
	asOf, days, window := baseline.ExtractedAt, baseline.SampleWindowDays, "the baseline's window"
	kind := "synthetic target"
	mark, err := loader.ReadTargetMark(ctx, tx)
	switch {
	case err == nil:
		if k == 0 {
			k = SyntheticK
		}
		if mark.WindowEnd != nil && mark.WindowDays > 0 {
			asOf, days, window = *mark.WindowEnd, mark.WindowDays, "the window the generator recorded"
		}
	case !errors.Is(err, loader.ErrNotTarget):
		return nil, "", err
	case !allowAny:
		return nil, "", option.Errorf("AllowAnyTarget", "error checking the database to validate: %s is not a synthetic target (it has no pgshape.synthetic_target mark; it may be production itself): validate a target prepared with `loader migrate --target` and `loader generate`, or pass {} to compare this database with the baseline anyway", where)
	default:
		kind = "database that is not a synthetic target"
		fmt.Fprintf(out, "[Validation] ⚠ %s is not a synthetic target (no pgshape.synthetic_target mark): comparing it with the baseline anyway, as asked\n", where)
	}
	opts := loader.ExportOptions{WindowDays: days, K: k, AsOf: asOf}.WithDefaults()
	span := fmt.Sprintf("%s: %d days ending %s, k=%d", window, days, asOf.UTC().Format("2006-01-02T15:04:05Z"), opts.K)
	if kind == "synthetic target" {
		fmt.Fprintf(out, "[Validation] Exporting the target's shape (%s)...\n", span)
	} else {
		fmt.Fprintf(out, "[Validation] Exporting the shape of that database (%s)...\n", span)
	}
	what := fmt.Sprintf("%s %s, %s", kind, where, span)
	doc, err := loader.ExportSnapshot(ctx, tx, pool, opts)
	if err != nil {
		if errors.Is(err, loader.ErrNoShapeSchema) {
			return nil, "", fmt.Errorf("error exporting the target: %w (`loader migrate --target` on a synthetic target)", err)
		}
		return nil, "", fmt.Errorf("error exporting the target: %w", err)
	}
	return doc, what, nil
}
