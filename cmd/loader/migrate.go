package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "install the shape layer (shape_source, shape, shape_reader); --target also installs the reference schema and marks a synthetic target",
		Flags: []cli.Flag{
			databaseURLFlag(),
			&cli.BoolFlag{Name: "target", Usage: "also create the reference chat schema and mark the database as a synthetic target (never on production)"},
			&cli.BoolFlag{Name: "down", Usage: "roll the shape layer back by one version"},
		},
		Action: func(c *cli.Context) error {
			return loader.Migrate(c.Context, loader.ResolveURL(c.String("database-url")),
				loader.MigrateOptions{Target: c.Bool("target"), Down: c.Bool("down")}, c.App.Writer)
		},
	}
}
