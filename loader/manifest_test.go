package loader_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgshape/pgshape/loader"
)

// Reference values computed independently with Python's standard library:
//
//	hashlib.pbkdf2_hmac('sha256', salt, b'pgshape/salt-fingerprint/v1', 600000, 32).hex()
//	hmac.new(salt, b'pgshape/source-mapping/v1\n SELECT 1;', hashlib.sha256).hexdigest()
func TestSaltFingerprintReference(t *testing.T) {
	t.Parallel()
	const salt = "correct horse battery staple"
	fp := loader.SaltFingerprint(salt)
	if want := "abbea08c30c0d0ca439e260ca0ebed9fe7c959a802e0254953d7566203e87377"; fp != want {
		t.Errorf("fingerprint %s, want %s", fp, want)
	}
	if want := "b6a0fc4cac3039d2d688dc8fb95d059f75771c22661d911fb3b8123f598a668a"; loader.SaltFingerprint("another salt") != want {
		t.Errorf("fingerprint of another salt differs from the reference")
	}
	if strings.Contains(fp, "correct") || strings.Contains(fp, "636f7272656374") { // the salt, or its hex
		t.Error("the fingerprint contains the salt")
	}
	if got, want := loader.SourceToken(salt, " SELECT 1;"), "0d6c9a38841daf599a522dc78466767e0b5b8f4ed2ad83ce8a522412b10e5273"; got != want {
		t.Errorf("source token %s, want %s", got, want)
	}
	if loader.SourceToken("another salt", " SELECT 1;") == loader.SourceToken(salt, " SELECT 1;") {
		t.Error("source tokens do not depend on the salt")
	}
}

func TestManifestPath(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"shape-metrics-prod-20251022.json":         "mapping-manifest-prod-20251022.json",
		"out/shape-metrics-x.json":                 filepath.Join("out", "mapping-manifest-x.json"),
		"/tmp/a/shape.json":                        "/tmp/a/mapping-manifest-shape.json",
		"shape-metrics-.json":                      "mapping-manifest-shape-metrics-.json",
		"dir/shape-metrics-prod.json.bak":          filepath.Join("dir", "mapping-manifest-shape-metrics-prod.json.bak"),
		"nested/dir/shape-metrics-2025-10-22.json": filepath.Join("nested", "dir", "mapping-manifest-2025-10-22.json"),
	}
	for in, want := range cases {
		if got := loader.ManifestPath(in); got != want {
			t.Errorf("ManifestPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 142350: "142,350",
		95324871: "95,324,871", -1234567: "-1,234,567", 100000: "100,000"} {
		if got := loader.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
