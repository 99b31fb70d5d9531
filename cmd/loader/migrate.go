package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/migrations"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "install the shape layer (shape_source, shape, shape_reader); --target also installs the reference schema and marks a synthetic target",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.BoolFlag{Name: "target", Usage: "also create the reference chat schema and mark the database as a synthetic target (never on production; the database must hold no tables yet)"},
			&cli.BoolFlag{Name: "down", Usage: "roll the shape layer back by one version (with nothing to roll back, say so and exit 0)"},
		},
		Action: func(c *cli.Context) error {
			opts := migrations.Options{Target: c.Bool("target"), Down: c.Bool("down")}
			if errors.Is(opts.Validate(), migrations.ErrTargetAndDown) {
				return usageError("--target and --down cannot be combined: --down rolls back only the shape layer")
			}
			err := loader.Migrate(c.Context, loader.ResolveURL(c.String("database-url")), opts, c.App.Writer)
			var notEmpty *migrations.NotEmptyError
			if errors.As(err, &notEmpty) {
				return usageError("%v: run `loader migrate --target` only on a new, empty database made for synthetic data (createdb), or without --target to install just the shape layer", err)
			}
			return err
		},
	}
}
