// Package outdir is where the commands' output files go and how they are written: by
// default into a dated folder under the working directory, each file atomically, and
// never over an existing file unless the caller says so.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/pgshape/pgshape/option"
)

// Root is the folder, under the working directory, that the dated folders go in.
const Root = "pgshape-out"

// Dated is the default output folder of a run started at t:
// pgshape-out/<UTC date-time>, e.g. pgshape-out/20251022T140501Z.
func Dated(t time.Time) string {
	return filepath.Join(Root, t.UTC().Format("20060102T150405Z"))
}

// Check reports, before any work is done, whether path may be written: an existing
// file (or folder) there is refused unless overwrite, with an *option.FieldError
// naming the field Overwrite.
func Check(path string, overwrite bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("error checking the output %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("error checking the output %s: it is a folder: pass a file path", path)
	case !overwrite:
		return option.Errorf("Overwrite", "error checking the output %s: it exists and is kept: pass {} to replace it, or another path", path)
	}
	return nil
}

// WriteFile writes data to path atomically (a temporary file in the same folder,
// renamed into place), making the folder first. An existing file is refused unless
// overwrite, as Check says; the check and the rename are one step (a hard link, which
// fails when the name exists), so two runs cannot replace each other's file.
func WriteFile(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	if err := Check(path, overwrite); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("error making the output folder %s: %w", dir, errors.Unwrap(err))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("error writing %s: %w", path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	if overwrite {
		err = os.Rename(tmp.Name(), path)
	} else {
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			return Check(path, false)
		}
	}
	if err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	return nil
}
