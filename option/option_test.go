package option

import (
	"errors"
	"fmt"
	"testing"
)

func TestFieldError(t *testing.T) {
	t.Parallel()
	cause := errors.New("the cause")
	e := Errorf("WindowDays", "error checking the window: %d days, want at least 1: pass {} 30 (%w)", 0, cause)
	if got, want := e.Error(), "error checking the window: 0 days, want at least 1: pass WindowDays 30 (the cause)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := e.Render("--window-days"), "error checking the window: 0 days, want at least 1: pass --window-days 30 (the cause)"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("the %w cause does not unwrap")
	}
	nested := Nest("Validate", Errorf("Tolerance", "error checking {}: 0"))
	var fe *FieldError
	if !errors.As(nested, &fe) || fe.Field != "Validate.Tolerance" || fe.Error() != "error checking Validate.Tolerance: 0" {
		t.Errorf("Nest: %v", nested)
	}
	if wrapped := fmt.Errorf("error running: %w", e); Nest("P", wrapped) != wrapped {
		t.Error("Nest changed a wrapped FieldError")
	}
	if plain := errors.New("x"); Nest("P", plain) != plain {
		t.Error("Nest changed an error without a field")
	}
}

func TestErrorfWithoutField(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Errorf accepted a format that names no field")
		}
	}()
	Errorf("K", "k is %d", 1)
}
