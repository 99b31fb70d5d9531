package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func statTestsCommand() *cli.Command {
	return &cli.Command{
		Name:  "stat-tests",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("stattests is not implemented yet")
		},
	}
}
