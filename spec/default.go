package spec

import (
	_ "embed"
	"fmt"
)

// defaultJSON is the shipped Path B spec (no production access): the guide's headline
// figures (type mix 0.68/0.27/0.05, media ratio 0.163, read rate 0.82, 2% of
// conversations carrying 30% of messages, diurnal peak/trough 2.5×, weekday/weekend
// 1.38, burst coefficient 2.5) as a complete generator configuration. default_test.go
// recomputes those figures from the models, not by reading the numbers back.
//
//go:embed default-spec.json
var defaultJSON []byte

// Default returns a fresh copy of the shipped default spec; callers may modify it.
// It panics if the embedded file is invalid (a build defect, caught by the tests).
func Default() *Spec {
	s, err := Parse(defaultJSON)
	if err != nil {
		panic(fmt.Sprintf("spec: the embedded default-spec.json is invalid: %v", err))
	}
	return s
}

// DefaultJSON returns the shipped default spec as written (indented JSON).
func DefaultJSON() []byte { return append([]byte(nil), defaultJSON...) }
