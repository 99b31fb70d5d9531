package validate

import (
	"fmt"

	"github.com/pgshape/pgshape/option"
)

// Options sets the tolerances of Compare. The zero value of a field means its default.
type Options struct {
	// Tolerance is the general relative tolerance: a relative check passes when
	// |candidate − baseline| / baseline ≤ Tolerance. Default 0.20 (the guide's
	// --tolerance); must lie in (0, 1).
	Tolerance float64 `json:"tolerance"`
	// TypeMixTolerance is the absolute tolerance, in share points, of each
	// conversation-type share (0.10 = ten percentage points). Default 0.10 (the guide's
	// "±10% for type mix", whose example Δ=+1.6% is 69.8% − 68.2%).
	TypeMixTolerance float64 `json:"type_mix_tolerance"`
	// MediaRatioTolerance is the relative tolerance of the media ratio. Default 0.05
	// (the guide's "±5% for media ratio").
	MediaRatioTolerance float64 `json:"media_ratio_tolerance"`
	// DistanceTolerance gates the distribution distances: the KS statistic D and the
	// total-variation distance, both in [0, 1]. Default Tolerance/2 (0.10 by default).
	DistanceTolerance float64 `json:"distance_tolerance"`
	// CorrelationTolerance is the absolute tolerance of the size–activity polychoric
	// correlation (a difference of correlations, not a share). Default 0.15: about
	// three standard errors of ρ̂ at the tiny band's few thousand conversations.
	CorrelationTolerance float64 `json:"correlation_tolerance"`
	// WarnFraction: a check that passes with |Δ| above WarnFraction × its tolerance is
	// a warning ("near the limit"). Default 0.8.
	WarnFraction float64 `json:"warn_fraction"`
	// MaxWarnings is the most warnings a GO allows. Default 2 (the guide's convergence
	// criterion); a negative value means none.
	MaxWarnings int `json:"max_warnings"`
	// NEffCap caps the effective sample size n·m/(n+m) at which p-values are reported.
	// Default 1000 (see the package documentation).
	NEffCap float64 `json:"n_eff_cap"`
	// PeopleChecks says whether the checks of the shape of people and of time
	// (PeopleCheckIDs: senders, memberships, threads, lifetimes, gaps, the top-5%
	// share, 1 vs 2 members) count toward the decision (PeopleGated) or are only
	// reported (PeopleReported). Default DefaultPeopleChecks.
	PeopleChecks PeopleGate `json:"people_checks"`
}

// DefaultTolerance is the default general relative tolerance.
const DefaultTolerance = 0.20

// Validate checks the explicitly set fields; it changes nothing. A bad field is an
// *option.FieldError naming it.
func (o Options) Validate() error {
	for _, err := range []error{
		fraction("Tolerance", o.Tolerance),
		fraction("TypeMixTolerance", o.TypeMixTolerance),
		fraction("MediaRatioTolerance", o.MediaRatioTolerance),
		fraction("DistanceTolerance", o.DistanceTolerance),
		fraction("CorrelationTolerance", o.CorrelationTolerance),
		fraction("WarnFraction", o.WarnFraction),
	} {
		if err != nil {
			return err
		}
	}
	if g := o.PeopleChecks; g != "" && g != PeopleGated && g != PeopleReported {
		return fmt.Errorf("error checking validate.Options.PeopleChecks: %q, want %q or %q", g, PeopleGated, PeopleReported)
	}
	if o.NEffCap < 0 {
		return option.Errorf("NEffCap", "error checking {}: %g, want a positive number", o.NEffCap)
	}
	return nil
}

// fraction is CheckFraction for a field whose zero means its default.
func fraction(field string, v float64) error {
	if v == 0 {
		return nil
	}
	return CheckFraction(field, v)
}

// CheckFraction is the check of a fraction field (the tolerances, WarnFraction): nil
// when 0 < v < 1, else an *option.FieldError naming field.
func CheckFraction(field string, v float64) error {
	if !(v > 0 && v < 1) {
		return option.Errorf(field, "error checking {}: %g is outside (0, 1): pass a fraction such as 0.20", v)
	}
	return nil
}

// WithDefaults returns the options with every zero field set to its default; it panics on invalid options (a programmer
// error: callers run Validate first).
func (o Options) WithDefaults() Options {
	if err := o.Validate(); err != nil {
		panic("validate: " + err.Error())
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.TypeMixTolerance == 0 {
		o.TypeMixTolerance = 0.10
	}
	if o.MediaRatioTolerance == 0 {
		o.MediaRatioTolerance = 0.05
	}
	if o.DistanceTolerance == 0 {
		o.DistanceTolerance = o.Tolerance / 2
	}
	if o.CorrelationTolerance == 0 {
		o.CorrelationTolerance = 0.15
	}
	if o.WarnFraction == 0 {
		o.WarnFraction = 0.8
	}
	if o.MaxWarnings == 0 {
		o.MaxWarnings = 2
	} else if o.MaxWarnings < 0 {
		o.MaxWarnings = 0
	}
	if o.NEffCap == 0 {
		o.NEffCap = 1000
	}
	if o.PeopleChecks == "" {
		o.PeopleChecks = DefaultPeopleChecks
	}
	return o
}
