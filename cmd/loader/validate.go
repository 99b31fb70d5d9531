package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/pipeline"
	"github.com/pgshape/pgshape/validate"
)

// toleranceFlag is --tolerance, shared by validate, stat-tests and calibrate.
func toleranceFlag() *cli.Float64Flag {
	return &cli.Float64Flag{Name: "tolerance", Value: validate.DefaultTolerance,
		Usage: "general relative tolerance, strictly between 0 and 1 (type mix ±10 points and media ratio ±5% keep the guide's tighter limits; distances gate at half of it)"}
}

// tolerance reads --tolerance; 0 means "the default" in the options, so the command
// line rejects it (and anything else outside (0, 1)) here.
func tolerance(c *cli.Context) (validate.Options, error) {
	t := c.Float64("tolerance")
	if !(t > 0 && t < 1) {
		return validate.Options{}, usageError("error checking --tolerance: %g is outside (0, 1): pass a fraction such as 0.20", t)
	}
	return validate.Options{Tolerance: t}, nil
}

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "compare a synthetic target (exported with the shape SQL) or a generator report with the production baseline: GO (exit 0) or NO-GO (exit 1)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "baseline", Usage: "production shape document, as written by `loader sample` (required)"},
			databaseURLFlag(),
			&cli.StringFlag{Name: "dataset", Usage: "generator report report_<band>_<seed>.json (or a shape document) to compare instead of a database"},
			toleranceFlag(),
			&cli.IntFlag{Name: "k", Usage: "k-anonymity threshold of the database's export, at least 2 (default: 2 on a synthetic target, as the generator's report; 10 elsewhere)"},
			&cli.StringFlag{Name: "output", Value: pipeline.DefaultOutput, Usage: "JSON result with every check, Δ, tolerance, status, the tests and the decision"},
			&cli.StringFlag{Name: "plots", Usage: "directory for the PNG pictures and index.html (default: none)"},
		},
		Action: func(c *cli.Context) error {
			vo, err := tolerance(c)
			if err != nil {
				return err
			}
			if c.String("dataset") != "" && c.String("database-url") != "" {
				return usageError("error checking the options: pass either --database-url or --dataset, not both")
			}
			if c.IsSet("k") && c.Int("k") < 2 {
				return usageError("error checking the k-anonymity threshold: k is %d, want at least 2: pass --k %d (the default) or more", c.Int("k"), loader.DefaultK)
			}
			opts := pipeline.ValidateOptions{
				Baseline:    c.String("baseline"),
				Dataset:     c.String("dataset"),
				DatabaseURL: c.String("database-url"),
				K:           c.Int("k"),
				Options:     vo,
				Output:      c.String("output"),
				PlotsDir:    c.String("plots"),
			}
			res, err := pipeline.Validate(c.Context, opts, c.App.Writer)
			if err != nil {
				return usageError("%v", err)
			}
			if !res.GO() {
				return verdict("NO-GO: %s", res.Reason)
			}
			return nil
		},
	}
}
