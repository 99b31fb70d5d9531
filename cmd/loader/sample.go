package main

import (
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/shape"
)

func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:  "sample",
		Usage: "export production's shape document (aggregates only) and its mapping manifest; needs ANONYMIZATION_SALT",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.StringFlag{Name: "output", Usage: "shape document to write (mode 0600); the manifest goes beside it as mapping-manifest-*.json"},
			&cli.IntFlag{Name: "window-days", DefaultText: "none", Usage: "window length in days: messages created in [as-of - N days, as-of) (required)"},
			&cli.IntFlag{Name: "k", Value: shape.DefaultK, Usage: "k-anonymity threshold, at least 2"},
			&cli.StringFlag{Name: "as-of", Usage: "end of the window, RFC 3339 (default: the database's now())"},
			&cli.DurationFlag{Name: "statement-timeout", Value: loader.DefaultStatementTimeout, Usage: "statement_timeout of the sampling transaction"},
			&cli.StringFlag{Name: "salt-env", Value: loader.DefaultSaltEnv, Usage: "environment variable holding the anonymization salt"},
			&cli.StringFlag{Name: "privacy", Value: loader.PrivacyKAnonymity, Usage: "k-anonymity (exact, k-anonymous buckets) or dp (differential privacy: noisy counts, charged to the database's privacy budget; docs/privacy.md)"},
			&cli.Float64Flag{Name: "epsilon", Usage: "with --privacy dp: the release's ε, e.g. 1"},
			&cli.Float64Flag{Name: "delta", Value: 1e-6, Usage: "with --privacy dp: the release's δ"},
		},
		Action: func(c *cli.Context) error {
			opts := loader.SampleOptions{
				DatabaseURL:      c.String("database-url"),
				Output:           c.String("output"),
				WindowDays:       c.Int("window-days"),
				K:                c.Int("k"),
				StatementTimeout: c.Duration("statement-timeout"),
				Salt:             os.Getenv(c.String("salt-env")),
				SaltEnv:          c.String("salt-env"),
				Privacy:          c.String("privacy"),
				Epsilon:          c.Float64("epsilon"),
				Delta:            c.Float64("delta"),
			}
			if err := checkK(opts.K); err != nil {
				return err
			}
			if s := c.String("as-of"); s != "" {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return usageError("error reading --as-of %q: not an RFC 3339 time: pass e.g. --as-of 2025-10-22T00:00:00Z", s)
				}
				opts.AsOf = t
			}
			if opts.StatementTimeout == 0 {
				return usageError("error checking --statement-timeout: 0 would mean no limit: pass a duration such as 15m")
			}
			if err := loader.Sample(c.Context, opts, c.App.Writer); err != nil {
				return usageError("%w", err)
			}
			return nil
		},
	}
}
