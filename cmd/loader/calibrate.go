package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/pipeline/calibrate"
	"github.com/pgshape/pgshape/spec"
)

func calibrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "calibrate",
		Usage: "fit → generate a pilot → validate → adjust the parameters that miss, until GO (exit 0) or --max-rounds (exit 1); writes the best spec",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "baseline", Usage: "production shape document, as written by `loader sample` (required)"},
			databaseURLFlag(),
			&cli.StringFlag{Name: "spec", Usage: "starting spec (default: `loader fit` of the baseline)"},
			&cli.IntFlag{Name: "max-rounds", Value: 5, Usage: "most generate → validate → adjust rounds"},
			&cli.StringFlag{Name: "spec-out", DefaultText: datedDefault(calibrate.DefaultSpecOut), Usage: "where the calibrated spec goes"},
			overwriteFlag(),
			&cli.StringFlag{Name: "band", Value: "tiny", Usage: "pilot band from the spec's bands"},
			&cli.Int64Flag{Name: "messages", Usage: "override the band's message count"},
			&cli.StringFlag{Name: "seed", Value: "calibrate", Usage: "pilot seed, the same every round"},
			&cli.IntFlag{Name: "workers", Usage: "generator workers (default: the number of CPUs)"},
			toleranceFlag(),
		},
		Action: func(c *cli.Context) error {
			vo, err := tolerance(c)
			if err != nil {
				return err
			}
			if c.Int("max-rounds") < 1 {
				return usageError("error checking --max-rounds: %d, want at least 1", c.Int("max-rounds"))
			}
			opts := calibrate.Options{
				Baseline:    c.String("baseline"),
				DatabaseURL: loader.ResolveURL(c.String("database-url")),
				Band:        c.String("band"),
				Messages:    c.Int64("messages"),
				Seed:        c.String("seed"),
				MaxRounds:   c.Int("max-rounds"),
				Workers:     c.Int("workers"),
				Tolerances:  vo,
				SpecOut:     c.String("spec-out"),
				Overwrite:   c.Bool("overwrite"),
			}
			if path := c.String("spec"); path != "" {
				if opts.Start, err = spec.ReadFile(path); err != nil {
					return usageError("%v: fix the spec or start from `loader fit`", err)
				}
			}
			o, err := calibrate.Run(c.Context, opts, c.App.Writer)
			if err != nil {
				return usageError("%w", err)
			}
			if !o.Converged {
				return verdict("calibration did not converge in %d rounds: see the last round's table; %s holds round %d's spec", len(o.Rounds), o.SpecPath, o.Best)
			}
			return nil
		},
	}
}
