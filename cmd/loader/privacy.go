package main

import (
	"github.com/urfave/cli/v2"

	"github.com/pgshape/pgshape/loader"
)

func privacyBudgetCommand() *cli.Command {
	return &cli.Command{
		Name:  "privacy-budget",
		Usage: "show the database's differential-privacy budget (shape.policy) and what the releases of shape.dp_ledger have spent",
		Flags: []cli.Flag{databaseURLFlag()},
		Action: func(c *cli.Context) error {
			if err := loader.PrivacyBudget(c.Context, loader.PrivacyBudgetOptions{DatabaseURL: c.String("database-url")}, c.App.Writer); err != nil {
				return usageError("%v", err)
			}
			return nil
		},
	}
}
