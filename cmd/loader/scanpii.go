package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func scanPIICommand() *cli.Command {
	return &cli.Command{
		Name:  "scan-pii",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("scanpii is not implemented yet")
		},
	}
}
