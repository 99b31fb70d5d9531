package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func fitCommand() *cli.Command {
	return &cli.Command{
		Name:  "fit",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("fit is not implemented yet")
		},
	}
}
