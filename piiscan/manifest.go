package piiscan

import (
	"encoding/json"
	"regexp"
)

// hex64 is a SHA-256 or HMAC-SHA-256 value as the mapping manifest writes it.
var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// manifestHashes returns the hash values of a pgshape mapping manifest (the file
// `loader sample` writes beside the shape document): shape_sha256, salt_fingerprint and
// each source_mapping.views token, each only when it is exactly 64 lowercase hex
// characters. They are hex by construction and would otherwise read as long hex runs;
// a value of any other form at those places is scanned like everything else. A
// document that is not a manifest (no manifest_version, source_mapping and
// salt_fingerprint at its top) gives none.
func manifestHashes(doc []byte) []string {
	var m struct {
		ManifestVersion *string `json:"manifest_version"`
		ShapeSHA256     string  `json:"shape_sha256"`
		SaltFingerprint *string `json:"salt_fingerprint"`
		SourceMapping   *struct {
			Views map[string]string `json:"views"`
		} `json:"source_mapping"`
	}
	if json.Unmarshal(doc, &m) != nil || m.ManifestVersion == nil || m.SaltFingerprint == nil || m.SourceMapping == nil {
		return nil
	}
	var out []string
	for _, v := range append([]string{m.ShapeSHA256, *m.SaltFingerprint}, mapValues(m.SourceMapping.Views)...) {
		if hex64.MatchString(v) {
			out = append(out, v)
		}
	}
	return out
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
