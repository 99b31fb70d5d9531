package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/pipeline"
	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// toleranceFlag is --tolerance, shared by validate, stat-tests and calibrate.
func toleranceFlag() *cli.Float64Flag {
	return &cli.Float64Flag{Name: "tolerance", Value: validate.DefaultTolerance,
		Usage: "general relative tolerance, strictly between 0 and 1 (type mix ±10 points and media ratio ±5% keep the guide's tighter limits; distances gate at half of it)"}
}

// tolerance reads --tolerance. In the options 0 means "the default"; a 0 given on the
// command line is checked here, with validate's own check.
func tolerance(c *cli.Context) (validate.Options, error) {
	t := c.Float64("tolerance")
	if err := validate.CheckFraction("Tolerance", t); err != nil {
		return validate.Options{}, usageError("%w", err)
	}
	return validate.Options{Tolerance: t}, nil
}

// checkK checks a --k given on the command line with the one check, shape.CheckK (in
// the options 0 means "the default", so their Validate lets it through).
func checkK(k int) error {
	if err := shape.CheckK(k); err != nil {
		return usageError("%w", err)
	}
	return nil
}

// overwriteFlag is --overwrite, shared by the commands that write files.
func overwriteFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: "overwrite", Usage: "replace output files that exist (without it, an existing file is refused before any work)"}
}

// datedDefault is how a flag's usage names its default in the dated output folder.
func datedDefault(name string) string {
	return outdir.Root + "/<UTC date-time>/" + name
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "compare a synthetic target (exported with the shape SQL) or a generator report with the production baseline: GO (exit 0) or NO-GO (exit 1)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "baseline", Usage: "production shape document, as written by `loader sample` (required)"},
			databaseURLFlag(),
			&cli.BoolFlag{Name: "allow-any-target", Usage: "export a database that is not a synthetic target (no mark from loader migrate --target: production itself, a copy) over the baseline's window; refused without it"},
			&cli.StringFlag{Name: "dataset", Usage: "generator report report_<band>_<seed>.json (or a shape document) to compare instead of a database"},
			toleranceFlag(),
			&cli.IntFlag{Name: "k", Usage: "k-anonymity threshold of the database's export, at least 2 (default: 2 on a synthetic target, as the generator's report; 10 elsewhere)"},
			&cli.StringFlag{Name: "output", DefaultText: datedDefault(pipeline.DefaultOutput), Usage: "JSON result with every check, Δ, tolerance, status, the tests and the decision"},
			&cli.StringFlag{Name: "plots", Usage: "directory for the PNG pictures and index.html (default: none)"},
			overwriteFlag(),
		},
		Action: func(c *cli.Context) error {
			vo, err := tolerance(c)
			if err != nil {
				return err
			}
			if c.String("dataset") != "" && c.String("database-url") != "" {
				return usageError("error checking the options: pass either --database-url or --dataset, not both")
			}
			if c.IsSet("k") {
				if err := checkK(c.Int("k")); err != nil {
					return err
				}
			}
			opts := pipeline.ValidateOptions{
				Baseline:       c.String("baseline"),
				Dataset:        c.String("dataset"),
				DatabaseURL:    c.String("database-url"),
				AllowAnyTarget: c.Bool("allow-any-target"),
				K:              c.Int("k"),
				Options:        vo,
				Output:         c.String("output"),
				PlotsDir:       c.String("plots"),
				Overwrite:      c.Bool("overwrite"),
			}
			res, err := pipeline.Validate(c.Context, opts, c.App.Writer)
			if err != nil {
				return usageError("%w", err)
			}
			if !res.GO() {
				return verdict("NO-GO: %s", res.Reason)
			}
			return nil
		},
	}
}
