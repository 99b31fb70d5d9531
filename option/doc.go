// Package option holds what every command's options struct shares: the error that
// names the field to fix.
//
// # The convention (river's)
//
// Each command is an options struct and a package function Run(ctx, opts, out). The
// struct documents every field's default; the zero value of a field means its default.
//
//   - WithDefaults returns a copy with every zero field set to its default. It changes
//     nothing else and returns no error (validate.Options' panics on options its
//     Validate refuses: calling it first is the caller's job).
//   - Validate checks the options without touching a file or a database, changes
//     nothing, and returns a *FieldError naming the field (its Go name, e.g. WindowDays),
//     never a command-line flag.
//
// Run calls Validate, then WithDefaults. cmd/loader maps each field to its flag, so the
// person at the terminal reads the flag to fix in the same one line.
package option
