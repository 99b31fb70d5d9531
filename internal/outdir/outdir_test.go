package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgshape/pgshape/option"
)

func TestDated(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 10, 22, 14, 5, 1, 0, time.FixedZone("CEST", 2*3600))
	if got, want := Dated(at), filepath.Join("pgshape-out", "20251022T120501Z"); got != want {
		t.Errorf("Dated = %q, want %q (UTC)", got, want)
	}
}

func TestWriteFileKeepsAnExistingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new", "folder", "validation.json")
	if err := WriteFile(path, []byte("first"), 0o644, false); err != nil {
		t.Fatalf("first write (making the folders): %v", err)
	}
	err := WriteFile(path, []byte("second"), 0o644, false)
	var fe *option.FieldError
	if !errors.As(err, &fe) || fe.Field != "Overwrite" || !strings.Contains(err.Error(), "it exists and is kept") {
		t.Fatalf("second write: %v; want a FieldError naming Overwrite", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("the refused write changed the file: %q", b)
	}
	if err := WriteFile(path, []byte("third"), 0o600, true); err != nil {
		t.Fatalf("write with overwrite: %v", err)
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(b) != "third" || fi.Mode().Perm() != 0o600 {
		t.Errorf("after overwrite: %q, mode %v; want third, 0600", b, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestCheckRefusesAFolder(t *testing.T) {
	t.Parallel()
	if err := Check(t.TempDir(), true); err == nil || !strings.Contains(err.Error(), "it is a folder") {
		t.Errorf("Check(folder) = %v", err)
	}
}
