package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("generate is not implemented yet")
		},
	}
}
