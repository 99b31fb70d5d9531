package option

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is an error the caller fixes by changing one option field. Its message
// names the field where the format given to Errorf wrote {}: by its Go name in Error
// (set WindowDays …), by whatever Render is given at the command line (pass
// --window-days …).
type FieldError struct {
	// Field is the field's Go name in its options struct, dotted through nested
	// options ("Tolerances.Tolerance").
	Field string
	// msg is the message with a NUL byte where the field's name goes.
	msg string
	// err is the wrapped cause (a %w argument), if any.
	err error
}

// mark stands for the field's name inside msg; a path or a number never holds a NUL.
const mark = "\x00"

// Errorf returns a FieldError for field. format is fmt's, with {} where the field's
// name goes (at least once: the reader must learn what to change); a %w argument is
// wrapped for errors.Is and errors.As. Errorf panics when format has no {}, a
// programmer's mistake.
func Errorf(field, format string, a ...any) *FieldError {
	if !strings.Contains(format, "{}") {
		panic("option: Errorf format without {}: " + format)
	}
	wrapped := fmt.Errorf(strings.ReplaceAll(format, "{}", mark), a...)
	return &FieldError{Field: field, msg: wrapped.Error(), err: errors.Unwrap(wrapped)}
}

// Error names the field by its Go name.
func (e *FieldError) Error() string { return e.Render(e.Field) }

// Render is the message with name in place of the field (a flag such as --k).
func (e *FieldError) Render(name string) string { return strings.ReplaceAll(e.msg, mark, name) }

// Unwrap returns the cause wrapped with %w, if any.
func (e *FieldError) Unwrap() error { return e.err }

// Nest prefixes a FieldError's field with parent (Tolerances.Tolerance for the Tolerance
// of the Tolerances options inside calibrate's); any other error, a wrapped FieldError
// included, is returned as it is.
func Nest(parent string, err error) error {
	fe, ok := err.(*FieldError)
	if !ok {
		return err
	}
	c := *fe
	c.Field = parent + "." + fe.Field
	return &c
}
