package shape

import (
	"fmt"
	"math"
)

// ModeDifferentialPrivacy is Privacy.Mode of a document made by shape.export_dp.
const ModeDifferentialPrivacy = "differential_privacy"

// Privacy is the document's "privacy" object: which mode made it and the parameters a
// reader needs to account for the noise (docs/privacy.md). A document without it was
// made by shape.export under k-anonymity (every "1" document before issue 13).
type Privacy struct {
	// Mode is "differential_privacy".
	Mode string `json:"mode"`
	// Unit is what one neighbouring database adds or removes: "user", one user with
	// their user row, memberships, sent window messages and what hangs off those
	// messages (the receipts on them, their attachments). Releases made before the
	// user-level bound said "conversation".
	Unit string `json:"unit"`
	// Epsilon and Delta are the release's (ε, δ); Rho its zCDP cost, the largest ρ that
	// converts to (ε, δ) by Canonne, Kamath and Steinke 2020, Proposition 12
	// (shape.dp_rho; releases before it used Bun and Steinke's (√(ε + L) − √L)²,
	// L = ln(1/δ), a smaller ρ for the same ε).
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
	Rho     float64 `json:"rho"`
	// Caps are the contribution bounds applied before aggregation:
	// conversations_per_user (C), messages_per_user (M), attachments_per_message (A),
	// and the bounds on what one conversation puts in the read-delay histogram,
	// delay_receipts_per_conversation (R; releases before version dp3 had
	// receipts_per_user, R per sender), and in the by-member-count vectors:
	// messages_per_conversation (B, messages and read messages) and
	// receipts_per_conversation (Bq).
	Caps map[string]int64 `json:"caps"`
	// Noise is "discrete_gaussian".
	Noise string `json:"noise"`
	// Vectors are the noisy count vectors by name (e.g. "messages.content_length").
	Vectors map[string]NoiseVector `json:"vectors"`
	// ReleaseID is the release's row in shape.dp_ledger.
	ReleaseID int64 `json:"release_id"`
}

// NoiseVector is one noisy count vector of a release: every count got independent
// discrete Gaussian noise of variance Sigma2 (integer), for a squared L2 sensitivity of
// L2SquaredSensitivity per unit, at a zCDP cost Rho = L2SquaredSensitivity / (2·Sigma2).
// Removing one unit moves the vector's pre-noise counts by at most L1Sensitivity in
// sum and L2 = √L2SquaredSensitivity in Euclidean norm (docs/privacy.md derives each).
type NoiseVector struct {
	Unit string `json:"unit"`
	// L1Sensitivity is the largest sum of absolute changes (0 in releases made before
	// it was published).
	L1Sensitivity int64 `json:"l1_sensitivity,omitempty"`
	// L2Sensitivity is ⌈√L2SquaredSensitivity⌉, an integer upper bound on the L2
	// sensitivity (exact when L2SquaredSensitivity is a square).
	L2Sensitivity int64 `json:"l2_sensitivity"`
	// L2SquaredSensitivity is the exact squared L2 sensitivity (0 in releases made
	// before it was published: L2Sensitivity was exact then).
	L2SquaredSensitivity int64   `json:"l2_squared_sensitivity,omitempty"`
	Sigma2               int64   `json:"sigma2"`
	Rho                  float64 `json:"rho"`
}

// L2Squared returns the vector's squared L2 sensitivity: L2SquaredSensitivity, or
// L2Sensitivity² for a release that did not publish it.
func (v NoiseVector) L2Squared() int64 {
	if v.L2SquaredSensitivity > 0 {
		return v.L2SquaredSensitivity
	}
	return v.L2Sensitivity * v.L2Sensitivity
}

// Sigma returns the noise's standard deviation on each count of the named vector, and
// false when the document has no such vector (or is not a differential-privacy
// document).
func (p *Privacy) Sigma(vector string) (float64, bool) {
	if p == nil {
		return 0, false
	}
	v, ok := p.Vectors[vector]
	if !ok {
		return 0, false
	}
	return math.Sqrt(float64(v.Sigma2)), true
}

// validate checks a present privacy object; nil is valid (k-anonymity).
func (p *Privacy) validate() error {
	if p == nil {
		return nil
	}
	if p.Mode != ModeDifferentialPrivacy {
		return fmt.Errorf("$.privacy.mode is %q, want %q", p.Mode, ModeDifferentialPrivacy)
	}
	if !(p.Epsilon > 0) || !(p.Delta > 0 && p.Delta < 1) || !(p.Rho > 0) {
		return fmt.Errorf("$.privacy: epsilon %g, delta %g, rho %g: want epsilon > 0, 0 < delta < 1, rho > 0", p.Epsilon, p.Delta, p.Rho)
	}
	for name, v := range p.Vectors {
		if v.Sigma2 < 1 || v.L2Sensitivity < 1 {
			return fmt.Errorf("$.privacy.vectors.%s: sigma2 %d, l2_sensitivity %d: want both ≥ 1", name, v.Sigma2, v.L2Sensitivity)
		}
		if q := v.L2SquaredSensitivity; q != 0 && (q > v.L2Sensitivity*v.L2Sensitivity || q <= (v.L2Sensitivity-1)*(v.L2Sensitivity-1)) {
			return fmt.Errorf("$.privacy.vectors.%s: l2_sensitivity %d is not ⌈√l2_squared_sensitivity⌉ (%d)", name, v.L2Sensitivity, q)
		}
	}
	return nil
}
