package spec

import "testing"

func TestDefaultParses(t *testing.T) {
	t.Parallel()
	s := Default()
	if s.Source != "default" || s.Window.Days != 30 {
		t.Fatalf("default spec: source %q, days %d; want \"default\", 30", s.Source, s.Window.Days)
	}
}
