package shape_test

import (
	"strings"
	"testing"

	"github.com/pgshape/pgshape/shape"
)

// withPrivacy returns the minimal document with a privacy object whose one vector has
// the given sensitivities.
func withPrivacy(t *testing.T, vector string) []byte {
	t.Helper()
	doc := string(minimal())
	i := strings.LastIndexByte(doc, '}')
	return []byte(doc[:i] + `,"privacy":{"mode":"differential_privacy","unit":"user","epsilon":1,"delta":1e-6,"rho":0.0174689,` +
		`"caps":{"conversations_per_user":8},"noise":"discrete_gaussian","vectors":{"conversations.member_count":` + vector + `},"release_id":1}}`)
}

// A vector's published L2 bound must be ⌈√L2²⌉; a release without L2² (made before it
// was published) reads L2² as L2Sensitivity²; σ comes from σ².
func TestPrivacyVectors(t *testing.T) {
	d, err := shape.Parse(withPrivacy(t, `{"unit":"user","l1_sensitivity":16,"l2_sensitivity":12,"l2_squared_sensitivity":128,"sigma2":54955,"rho":0.00116}`))
	if err != nil {
		t.Fatal(err)
	}
	v := d.Privacy.Vectors["conversations.member_count"]
	if v.L1Sensitivity != 16 || v.L2Squared() != 128 || d.Privacy.Unit != "user" || d.Privacy.Caps["conversations_per_user"] != 8 {
		t.Errorf("vector %+v, privacy %+v", v, d.Privacy)
	}
	if s, ok := d.Privacy.Sigma("conversations.member_count"); !ok || s < 234.42 || s > 234.43 { // √54955 = 234.425…
		t.Errorf("σ = %g (%v), want √54955 = 234.425", s, ok)
	}
	old, err := shape.Parse(withPrivacy(t, `{"unit":"conversation","l2_sensitivity":50,"sigma2":1073336,"rho":0.00116}`))
	if err != nil {
		t.Fatal(err)
	}
	if q := old.Privacy.Vectors["conversations.member_count"].L2Squared(); q != 2500 {
		t.Errorf("L2² of a release without it = %d, want 50² = 2500", q)
	}
	for _, bad := range []string{
		`{"unit":"user","l2_sensitivity":11,"l2_squared_sensitivity":128,"sigma2":54955,"rho":0.001}`, // ⌈√128⌉ = 12
		`{"unit":"user","l2_sensitivity":13,"l2_squared_sensitivity":128,"sigma2":54955,"rho":0.001}`,
	} {
		if _, err := shape.Parse(withPrivacy(t, bad)); err == nil || !strings.Contains(err.Error(), "is not ⌈√l2_squared_sensitivity⌉") {
			t.Errorf("%s: %v, want the ⌈√L2²⌉ error", bad, err)
		}
	}
}
