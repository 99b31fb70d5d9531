package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:  "sample",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("sample is not implemented yet")
		},
	}
}
