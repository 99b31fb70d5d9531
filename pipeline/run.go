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

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/pipeline/plot"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// Baseline is the production shape document (`loader sample`'s output). Required.
	Baseline string
	// Dataset is a generator report (report_<band>_<seed>.json, whose "shape" key is
	// the shape of what landed) or a shape document. When empty, the database at
	// DatabaseURL is exported instead.
	Dataset string
	// DatabaseURL is the database to export (see loader.ResolveURL). Used when Dataset
	// is empty. On a synthetic target the export uses the window the generator
	// recorded; elsewhere the baseline's extracted_at and sample_window_days.
	DatabaseURL string
	// K is the export's k-anonymity threshold. Default (0): 2 on a synthetic target
	// (its rows are synthetic; the generator's report is exported at 2 too, so a report
	// and its target validate alike), loader.DefaultK (10) on any other database.
	K int
	// Options are the tolerances (validate.Options; zero fields take their defaults).
	Options validate.Options
	// Output is where the JSON result goes. Default: validation.json in the current
	// directory.
	Output string
	// PlotsDir, when set, receives the PNG pictures and index.html.
	PlotsDir string
}

// DefaultOutput is the JSON result's default path.
const DefaultOutput = "validation.json"

// Validate checks the options without reading anything.
func (o ValidateOptions) Validate() error {
	if o.Baseline == "" {
		return errors.New("error checking the options: no baseline: pass --baseline shape-metrics.json (the production shape document)")
	}
	if err := o.Options.Validate(); err != nil {
		return fmt.Errorf("error checking the tolerance: %w", err)
	}
	if o.K != 0 && o.K < 2 {
		return fmt.Errorf("error checking the k-anonymity threshold: k is %d, want at least 2", o.K)
	}
	return nil
}

// Validate compares the dataset report or the exported database with the baseline,
// prints the report on out, writes the JSON result (and the pictures), and returns the
// result. An error means the comparison could not be made (bad input, no database, no
// shape schema); a NO-GO is a result, not an error.
func Validate(ctx context.Context, opts ValidateOptions, out io.Writer) (*validate.Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	baseline, err := ReadBaseline(opts.Baseline)
	if err != nil {
		return nil, err
	}
	var candidate *shape.Document
	if opts.Dataset != "" {
		fmt.Fprintf(out, "[Validation] Loading dataset report %s...\n", filepath.Base(opts.Dataset))
		candidate, err = ReadDataset(opts.Dataset)
	} else {
		candidate, err = ExportTarget(ctx, opts.DatabaseURL, baseline, opts.K, out)
	}
	if err != nil {
		return nil, err
	}
	res := validate.Compare(baseline, candidate, opts.Options)
	if err := res.WriteText(out); err != nil {
		return nil, err
	}
	output := opts.Output
	if output == "" {
		output = DefaultOutput
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		return nil, fmt.Errorf("error encoding the validation result: %w", err)
	}
	if err := os.WriteFile(output, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("error writing the validation result %s: %w: pass --output with a writable path", output, err)
	}
	fmt.Fprintf(out, "[Validation] Wrote %s\n", output)
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

// ExportTarget exports the database at url with the shape SQL, in one read-only
// snapshot. A synthetic target is exported over the window its last load recorded
// (the generator's window end and days); any other database over the baseline's
// window (its extracted_at and sample_window_days), so both sides measure the same
// span. k = 0 means SyntheticK on a synthetic target, loader.DefaultK elsewhere.
func ExportTarget(ctx context.Context, url string, baseline *shape.Document, k int, out io.Writer) (*shape.Document, error) {
	pool, err := loader.Connect(ctx, loader.ResolveURL(url))
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("error starting the export transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; nothing to keep
	asOf, days, source := baseline.ExtractedAt, baseline.SampleWindowDays, "the baseline's window"
	mark, err := loader.ReadTargetMark(ctx, tx)
	switch {
	case err == nil:
		if k == 0 {
			k = SyntheticK
		}
		if mark.WindowEnd != nil && mark.WindowDays > 0 {
			asOf, days, source = *mark.WindowEnd, mark.WindowDays, "the window the generator recorded"
		}
	case !errors.Is(err, loader.ErrNotTarget):
		return nil, err
	}
	opts := loader.ExportOptions{WindowDays: days, K: k, AsOf: asOf}
	fmt.Fprintf(out, "[Validation] Exporting the target's shape (%s: %d days ending %s, k=%d)...\n",
		source, days, asOf.UTC().Format("2006-01-02T15:04:05Z"), opts.EffectiveK())
	doc, err := loader.Export(ctx, tx, opts)
	if err != nil {
		if errors.Is(err, loader.ErrNoShapeSchema) {
			return nil, fmt.Errorf("error exporting the target: %w (`loader migrate --target` on a synthetic target)", err)
		}
		return nil, fmt.Errorf("error exporting the target: %w", err)
	}
	return doc, nil
}
