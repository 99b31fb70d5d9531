package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/pipeline"
)

func statTestsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stat-tests",
		Usage:     "KS tests on conversation sizes and messages per conversation, chi-squared on content length: PASS (exit 0) or FAIL (exit 1)",
		ArgsUsage: "REPORT SHAPE",
		Description: "REPORT is the pilot's report_<band>_<seed>.json (or a shape document), SHAPE the production shape document.\n" +
			"The tests pass on effect size (KS D, total-variation distance); p-values are shown at a capped effective size, as information.",
		Flags: []cli.Flag{toleranceFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageError("error reading the arguments: want REPORT SHAPE, got %d argument(s): loader stat-tests report_<band>_<seed>.json shape-metrics.json", c.NArg())
			}
			vo, err := tolerance(c)
			if err != nil {
				return err
			}
			pass, err := pipeline.StatTests(c.Context, pipeline.StatTestsOptions{Report: c.Args().Get(0), Shape: c.Args().Get(1), Options: vo}, c.App.Writer)
			if err != nil {
				return usageError("%w", err)
			}
			if !pass {
				return verdict("a distribution test failed (see the summary above)")
			}
			return nil
		},
	}
}
