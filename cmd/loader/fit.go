package main

import (
	"flag"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/fit"
	"github.com/pgshape/pgshape/shape"
)

func fitCommand() *cli.Command {
	return &cli.Command{
		Name:      "fit",
		Usage:     "fit the distribution spec's models to a shape document: writes the calibration report and a spec `loader generate` reads as it is",
		ArgsUsage: "SHAPE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "report", DefaultText: datedDefault(fit.DefaultReportPath), Usage: "where to write the calibration report (JSON)"},
			&cli.StringFlag{Name: "spec", DefaultText: datedDefault(fit.DefaultSpecPath), Usage: "where to write the distribution spec (JSON)"},
			&cli.Float64Flag{Name: "heavy-room-percentage", Usage: "share of conversations the heavy-room multiplier targets: 0.01, 0.02 or 0.05 (default: the smallest the document publishes, so p99 is not scaled)"},
			overwriteFlag(),
			&cli.IntFlag{Name: "k", Value: shape.DefaultK, Usage: "k-anonymity threshold the shape document was exported with (null cells count as (k−1)/2)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError("error checking the arguments: no shape document given: run `loader fit shape-metrics.json`")
			}
			opts := fit.RunOptions{
				ShapePath:  c.Args().First(),
				ReportPath: c.String("report"),
				SpecPath:   c.String("spec"),
				Overwrite:  c.Bool("overwrite"),
				Fit:        fit.Options{K: c.Int("k"), HeavyRoomPercentage: c.Float64("heavy-room-percentage")},
			}
			// The guide writes the flags after the file (`loader fit SHAPE --report …`);
			// urfave/cli stops at the first argument, so read the rest here.
			if tail := c.Args().Tail(); len(tail) > 0 {
				fs := flag.NewFlagSet("fit", flag.ContinueOnError)
				fs.SetOutput(io.Discard)
				fs.StringVar(&opts.ReportPath, "report", opts.ReportPath, "")
				fs.StringVar(&opts.SpecPath, "spec", opts.SpecPath, "")
				fs.Float64Var(&opts.Fit.HeavyRoomPercentage, "heavy-room-percentage", opts.Fit.HeavyRoomPercentage, "")
				fs.IntVar(&opts.Fit.K, "k", opts.Fit.K, "")
				fs.BoolVar(&opts.Overwrite, "overwrite", opts.Overwrite, "")
				if err := fs.Parse(tail); err != nil {
					return usageError("error reading the flags after %s: %v (see loader fit --help)", opts.ShapePath, err)
				}
				if fs.NArg() > 0 {
					return usageError("error checking the arguments: want one shape document, also got %q: run `loader fit shape-metrics.json`", fs.Arg(0))
				}
			}
			if err := checkK(opts.Fit.K); err != nil {
				return err
			}
			if _, _, err := fit.Run(c.Context, opts, c.App.Writer); err != nil {
				return usageError("%w", err)
			}
			return nil
		},
	}
}
