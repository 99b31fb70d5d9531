package main

import "github.com/urfave/cli/v2"

// TODO(pgshape): placeholder until its issue lands; replace this file.
func calibrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "calibrate",
		Usage: "not implemented yet",
		Action: func(*cli.Context) error {
			return usageError("calibrate is not implemented yet")
		},
	}
}
