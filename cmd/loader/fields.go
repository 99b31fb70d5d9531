package main

import (
	"errors"
	"strings"

	"github.com/pgshape/pgshape/option"
)

// fieldFlags maps an options field (its Go name, as an *option.FieldError names it) to
// what the person at the terminal changes: the flag, or the argument. The packages
// below cmd name fields, never flags (package option); this is the one place that knows
// both. A field mapped to "" has no flag: the command line never sets it, so it keeps
// its Go name. TestFieldFlags checks that every field a FieldError can name is here and
// that every flag here exists.
var fieldFlags = map[string]string{
	// every command that touches a database
	"DatabaseURL": "--database-url",
	// sample (loader.SampleOptions, loader.ExportOptions)
	"Output":           "--output", // also validate
	"WindowDays":       "--window-days",
	"K":                "--k", // also fit, validate
	"StatementTimeout": "--statement-timeout",
	"Privacy":          "--privacy",
	"Epsilon":          "--epsilon",
	"Delta":            "--delta",
	// scan-pii
	"Input": "--input",
	// fit
	"ShapePath":           "SHAPE (the argument)",
	"HeavyRoomPercentage": "--heavy-room-percentage",
	// fit, generate, validate, calibrate
	"Overwrite": "--overwrite",
	// generate (and calibrate's pilots)
	"Spec":     "--config",
	"Band":     "--band",
	"Seed":     "--seed",
	"Messages": "--messages",
	"Workers":  "--workers",
	"Shard":    "--shard",
	"Truncate": "--truncate",
	// validate, stat-tests, calibrate
	"Baseline":             "--baseline",
	"AllowAnyTarget":       "--allow-any-target",
	"Tolerance":            "--tolerance",
	"TypeMixTolerance":     "",
	"MediaRatioTolerance":  "",
	"DistanceTolerance":    "",
	"CorrelationTolerance": "",
	"WarnFraction":         "",
	"NEffCap":              "",
	"Report":               "REPORT (the first argument)",
	"Shape":                "SHAPE (the second argument)",
	// calibrate
	"MaxRounds": "--max-rounds",
	// watch
	"Publication": "--publication",
	"Every":       "--every",
	"Duration":    "--duration",
	"Slot":        "",
}

// flagName is what the terminal calls field: its flag, looked up by the whole dotted
// name and then by its last part (Tolerances.Tolerance is --tolerance), else the
// field's own name.
func flagName(field string) string {
	if f := fieldFlags[field]; f != "" {
		return f
	}
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		if f := fieldFlags[field[i+1:]]; f != "" {
			return f
		}
	}
	return field
}

// message is err's one line for the terminal: the field an *option.FieldError names
// is replaced by its flag, wherever in the chain the FieldError sits.
func message(err error) string {
	msg := err.Error()
	var fe *option.FieldError
	if errors.As(err, &fe) {
		msg = strings.Replace(msg, fe.Error(), fe.Render(flagName(fe.Field)), 1)
	}
	return strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
}
