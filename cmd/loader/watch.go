package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/watch"
)

func watchCommand() *cli.Command {
	return &cli.Command{
		Name: "watch",
		Usage: "follow production's insert stream (a temporary logical slot), keep counters only, and report drift " +
			"from the baseline every --every: OK (exit 0), DRIFT (exit 1)",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.StringFlag{Name: "publication", Usage: "insert-only publication with column lists (see `loader watch-setup`; required)"},
			&cli.StringFlag{Name: "baseline", Usage: "shape document staging was generated from, as written by `loader sample` (required)"},
			&cli.DurationFlag{Name: "every", Value: watch.DefaultEvery, Usage: "interval between snapshots and drift reports"},
			&cli.StringFlag{Name: "output", Value: "watch-out", Usage: "folder of the snapshots (shape document, coverage, drift JSON)"},
			&cli.BoolFlag{Name: "once", Usage: "watch for --duration, report once and exit (for cron)"},
			&cli.DurationFlag{Name: "duration", Usage: "how long --once watches (e.g. 10m)"},
			&cli.IntFlag{Name: "k", Value: loader.DefaultK, Usage: "k-anonymity threshold of the snapshots, at least 2"},
			toleranceFlag(),
		},
		Action: func(c *cli.Context) error {
			vo, err := tolerance(c)
			if err != nil {
				return err
			}
			opts := watch.Options{
				DatabaseURL: loader.ResolveURL(c.String("database-url")),
				Publication: c.String("publication"),
				Baseline:    c.String("baseline"),
				Every:       c.Duration("every"),
				Output:      c.String("output"),
				Once:        c.Bool("once"),
				Duration:    c.Duration("duration"),
				K:           c.Int("k"),
				Tolerances:  vo,
			}
			return runWatch(c.Context, opts, c)
		},
	}
}

func runWatch(ctx context.Context, opts watch.Options, c *cli.Context) error {
	snap, err := watch.Run(ctx, opts, c.App.Writer)
	if err != nil {
		return usageError("%v", err)
	}
	if snap == nil {
		return usageError("error watching publication %s: stopped before the first report", opts.Publication)
	}
	if snap.Drift.Status == watch.DRIFT {
		return verdict("DRIFT: %v", snap.Drift.Moved)
	}
	return nil
}

func watchSetupCommand() *cli.Command {
	return &cli.Command{
		Name:  "watch-setup",
		Usage: "create the insert-only publication with column lists that `loader watch` follows (run as the DBA, on the primary)",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.StringFlag{Name: "publication", Value: "pgshape_watch", Usage: "publication name"},
			&cli.StringFlag{Name: "schema", Value: "public", Usage: "schema of the chat tables"},
			&cli.BoolFlag{Name: "print", Usage: "print the statement instead of running it"},
		},
		Action: func(c *cli.Context) error {
			stmt, err := watch.WatchSetupSQL(c.String("publication"), c.String("schema"))
			if err != nil {
				return usageError("%v", err)
			}
			if c.Bool("print") {
				fmt.Fprintln(c.App.Writer, stmt+";")
				return nil
			}
			conn, err := pgx.Connect(c.Context, loader.ResolveURL(c.String("database-url")))
			if err != nil {
				return usageError("error connecting to create publication %s: %v", c.String("publication"), err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(c.Context, stmt); err != nil {
				return usageError("error creating publication %s: %v", c.String("publication"), err)
			}
			fmt.Fprintf(c.App.Writer, "created publication %s (inserts only; column lists: ids, foreign keys, timestamps)\n", c.String("publication"))
			return nil
		},
	}
}
