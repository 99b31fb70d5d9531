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
	// Unit is what one neighbouring database adds or removes: "conversation" (with all
	// its memberships, messages, receipts and attachments); the users family's unit is
	// one user row (see Vectors).
	Unit string `json:"unit"`
	// Epsilon and Delta are the release's (ε, δ); Rho its zCDP cost, ρ = (√(ε + L) − √L)²
	// with L = ln(1/δ).
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
	Rho     float64 `json:"rho"`
	// Caps are the contribution bounds applied before aggregation:
	// messages_per_conversation, receipts_per_message, attachments_per_message.
	Caps map[string]int64 `json:"caps"`
	// Noise is "discrete_gaussian".
	Noise string `json:"noise"`
	// Vectors are the noisy count vectors by name (e.g. "messages.content_length").
	Vectors map[string]NoiseVector `json:"vectors"`
	// ReleaseID is the release's row in shape.dp_ledger.
	ReleaseID int64 `json:"release_id"`
}

// NoiseVector is one noisy count vector of a release: every count got independent
// discrete Gaussian noise of variance Sigma2 (integer), for an L2 sensitivity of
// L2Sensitivity per unit, at a zCDP cost Rho = L2Sensitivity² / (2·Sigma2).
type NoiseVector struct {
	Unit          string  `json:"unit"`
	L2Sensitivity int64   `json:"l2_sensitivity"`
	Sigma2        int64   `json:"sigma2"`
	Rho           float64 `json:"rho"`
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
	}
	return nil
}
