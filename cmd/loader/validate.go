package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("validate is not implemented yet")
		},
	}
}
