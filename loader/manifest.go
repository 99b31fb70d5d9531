package loader

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ManifestVersion is the manifest_version this code writes.
const ManifestVersion = "1"

// Salt fingerprint construction (docs/phase-a-cli.md): PBKDF2-HMAC-SHA256 with the
// salt as the password, the fixed label as the PBKDF2 salt, FingerprintIterations
// iterations, 32 bytes, hex. It tells two manifests apart by salt without revealing
// it: the salt cannot be recovered from it other than by guessing, and each guess
// costs 600,000 HMAC computations (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
const (
	FingerprintLabel      = "pgshape/salt-fingerprint/v1"
	FingerprintIterations = 600_000
	FingerprintBytes      = 32
)

// SourceMappingLabel prefixes each view definition before it is HMACed, so that the
// tokens cannot be confused with any other use of the salt.
const SourceMappingLabel = "pgshape/source-mapping/v1"

// Manifest is the mapping manifest `loader sample` writes beside the shape document:
// how the document was made, with no identifier or text from the database. Two
// manifests made with the same salt can be compared: equal source_mapping tokens mean
// the same shape_source view definitions, equal salt_fingerprint the same salt.
type Manifest struct {
	ManifestVersion string `json:"manifest_version"`
	ShapeVersion    string `json:"shape_version"`
	LoaderVersion   string `json:"loader_version"`
	// ExtractedAt is the document's extracted_at (as_of to the second); AsOf is the
	// exact end of the window.
	ExtractedAt time.Time `json:"extracted_at"`
	AsOf        time.Time `json:"as_of"`
	WindowDays  int       `json:"window_days"`
	K           int       `json:"k"`
	// ShapeFile is the base name of the shape document, ShapeSHA256 the SHA-256 of
	// its bytes as written.
	ShapeFile       string        `json:"shape_file"`
	ShapeSHA256     string        `json:"shape_sha256"`
	RowCounts       RowCounts     `json:"row_counts"`
	SourceMapping   SourceMapping `json:"source_mapping"`
	SaltFingerprint string        `json:"salt_fingerprint"`
	FingerprintKDF  KDF           `json:"salt_fingerprint_kdf"`
}

// RowCounts are the families' total_count values.
type RowCounts struct {
	Users         int64 `json:"users"`
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	ReadReceipts  int64 `json:"read_receipts"`
	Attachments   int64 `json:"attachments"`
}

// SourceMapping names each shape_source view (a contract name, public) with a token
// of its definition: hex HMAC-SHA-256 under the salt of SourceMappingLabel, a newline,
// and pg_get_viewdef(view, true).
type SourceMapping struct {
	Algorithm string            `json:"algorithm"`
	Views     map[string]string `json:"views"`
}

// KDF describes the salt fingerprint's construction.
type KDF struct {
	Algorithm  string `json:"algorithm"`
	Label      string `json:"label"`
	Iterations int    `json:"iterations"`
	KeyBytes   int    `json:"key_bytes"`
}

// SaltFingerprint returns the hex PBKDF2-HMAC-SHA256 fingerprint of salt (see
// FingerprintLabel). It takes about a fifth of a second.
func SaltFingerprint(salt string) string {
	key, err := pbkdf2.Key(sha256.New, salt, []byte(FingerprintLabel), FingerprintIterations, FingerprintBytes)
	if err != nil {
		panic("loader: pbkdf2: " + err.Error()) // only for an out-of-range key length
	}
	return hex.EncodeToString(key)
}

// SourceToken returns the hex HMAC-SHA-256 token of a view definition under salt.
func SourceToken(salt, definition string) string {
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(SourceMappingLabel + "\n" + definition))
	return hex.EncodeToString(m.Sum(nil))
}

// sourceMapping reads every view of schema shape_source and tokenises its definition.
// The salt stays in this process: only pg_get_viewdef's text is read.
func sourceMapping(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, salt string) (SourceMapping, error) {
	rows, err := q.Query(ctx, `SELECT c.relname, pg_get_viewdef(c.oid, true)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'shape_source' AND c.relkind IN ('v', 'm') ORDER BY c.relname`)
	if err != nil {
		return SourceMapping{}, fmt.Errorf("error reading the shape_source view definitions: %w", err)
	}
	defer rows.Close()
	sm := SourceMapping{
		Algorithm: "HMAC-SHA-256(ANONYMIZATION_SALT, \"" + SourceMappingLabel + "\\n\" || pg_get_viewdef(view, true)), hex",
		Views:     map[string]string{},
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return SourceMapping{}, fmt.Errorf("error reading the shape_source view definitions: %w", err)
		}
		sm.Views["shape_source."+name] = SourceToken(salt, def)
	}
	if err := rows.Err(); err != nil {
		return SourceMapping{}, fmt.Errorf("error reading the shape_source view definitions: %w", err)
	}
	return sm, nil
}

func fingerprintKDF() KDF {
	return KDF{Algorithm: "PBKDF2-HMAC-SHA256", Label: FingerprintLabel,
		Iterations: FingerprintIterations, KeyBytes: FingerprintBytes}
}

// ManifestPath returns where the manifest of the shape document at output goes:
// shape-metrics-X.json → mapping-manifest-X.json in the same directory, any other
// name N → mapping-manifest-N.
func ManifestPath(output string) string {
	dir, base := filepath.Split(output)
	if rest, ok := strings.CutPrefix(base, "shape-metrics-"); ok && strings.HasSuffix(rest, ".json") && rest != ".json" {
		return filepath.Join(dir, "mapping-manifest-"+rest)
	}
	return filepath.Join(dir, "mapping-manifest-"+base)
}

// BuildVersion names this build: "pgshape loader <module version>", with the VCS
// revision (and "+dirty") when the binary was built from a checkout.
func BuildVersion() string {
	v := "pgshape loader (devel)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Version != "" {
		v = "pgshape loader " + info.Main.Version
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + dirty + ")"
	}
	return v
}
