package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// exitError carries an exit code and a one-line message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// verdict is a negative result (NO-GO, PII found): exit 1.
func verdict(format string, a ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, a...)}
}

// usageError is bad input: exit 2.
func usageError(format string, a ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
}

// databaseURLFlag is shared by every command that touches a database.
func databaseURLFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "database-url",
		Usage: "PostgreSQL URL (default: $DATABASE_URL, else the libpq PG* variables, else postgres://postgres@127.0.0.1:5432/postgres)",
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "loader",
		Usage:     "give staging databases production's shape without moving production's data",
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run; urfave must not print or exit on its own.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags:          []cli.Flag{versionFlag()},
		Action:         rootAction,
		Commands: []*cli.Command{
			migrateCommand(),
			sampleCommand(),
			scanPIICommand(),
			fitCommand(),
			generateCommand(),
			validateCommand(),
			statTestsCommand(),
			calibrateCommand(),
			privacyBudgetCommand(),
			watchCommand(),
			watchSetupCommand(),
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%v (see loader --help)", err)
		},
	}
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return 0
	}
	code := 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
	fmt.Fprintf(stderr, "loader: %s\n", msg)
	return code
}
