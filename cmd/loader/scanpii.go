package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/piiscan"
)

func scanPIICommand() *cli.Command {
	return &cli.Command{
		Name:  "scan-pii",
		Usage: "check a shape document (or any JSON) for personal data and secrets before it leaves production; exit 1 on findings",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Usage: "JSON file to scan (required)"},
			&cli.StringFlag{Name: "deny-list", Usage: "file of substrings that must not appear, one per line (case-insensitive)"},
			&cli.StringFlag{Name: "allow-list", Usage: "file of JSON paths ($…) or exact values to ignore, one per line"},
		},
		Action: func(c *cli.Context) error {
			opts := piiscan.RunOptions{
				Input:         c.String("input"),
				DenyListFile:  c.String("deny-list"),
				AllowListFile: c.String("allow-list"),
			}
			found, err := piiscan.Run(c.Context, opts, c.App.Writer)
			if err != nil {
				return usageError("%w", err)
			}
			if len(found) > 0 {
				return verdict("✗ PII scan of %s: %s: do not export this file; fix the source of each finding, or list a false positive's path in an --allow-list file",
					opts.Input, piiscan.Summary(found))
			}
			return nil
		},
	}
}
