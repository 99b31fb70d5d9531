package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/internal/outdir"
	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/loader/generate"
	"github.com/pgshape/pgshape/spec"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "generate deterministic synthetic chat data from a distribution spec and load it into a synthetic target",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.StringFlag{Name: "band", Required: true, Usage: "dataset size from the spec's bands: tiny (~50k messages) | dev (~5M) | staging (~100M)"},
			&cli.StringFlag{Name: "seed", Required: true, Usage: "root seed: the same seed, spec and band give the same rows"},
			&cli.StringFlag{Name: "config", Usage: "distribution spec (distribution-spec.json written by loader fit; default: the shipped default spec)"},
			&cli.IntFlag{Name: "workers", Usage: "generator goroutines and COPY connections (default: the number of CPUs; the rows do not depend on it)"},
			&cli.StringFlag{Name: "shard", Usage: "load only slice i/n of the dataset, appended to the target (see docs/generate.md)"},
			&cli.Int64Flag{Name: "messages", Usage: "override the band's message count"},
			&cli.BoolFlag{Name: "truncate", Usage: "replace a target whose chat tables already hold rows"},
			&cli.StringFlag{Name: "report-dir", DefaultText: datedDefault(""), Usage: "where report_<band>_<seed>.json goes, with the shape of what landed (\"\" for no report and no shape export)"},
			overwriteFlag(),
		},
		Action: func(c *cli.Context) error {
			shard, err := generate.ParseShard(c.String("shard"))
			if err != nil {
				return usageError("%w", err)
			}
			var s *spec.Spec
			if path := c.String("config"); path != "" {
				if s, err = spec.ReadFile(path); err != nil {
					return usageError("%v: fix the spec or regenerate it with `loader fit`", err)
				}
			} else {
				s = spec.Default()
			}
			reportDir := c.String("report-dir")
			if !c.IsSet("report-dir") {
				reportDir = outdir.Dated(time.Now())
			}
			opts := generate.Options{
				URL:       loader.ResolveURL(c.String("database-url")),
				Band:      c.String("band"),
				Seed:      c.String("seed"),
				Spec:      s,
				Workers:   c.Int("workers"),
				Shard:     shard,
				Messages:  c.Int64("messages"),
				Truncate:  c.Bool("truncate"),
				ReportDir: reportDir,
				Overwrite: c.Bool("overwrite"),
				NoShape:   reportDir == "",
				Progress:  c.App.ErrWriter,
			}
			if _, err := generate.Run(c.Context, opts, c.App.Writer); err != nil {
				return usageError("%w", err)
			}
			return nil
		},
	}
}
