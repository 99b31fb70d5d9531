package shape

import "github.com/pgshape/pgshape/option"

// DefaultK is the k-anonymity threshold of an export when none is given
// (docs/DESIGN.md): no bucket, percentile or ratio is published over fewer rows.
const DefaultK = 10

// MinK is the smallest k-anonymity threshold the shape layer accepts.
const MinK = 2

// CheckK is the one check of a k-anonymity threshold, for every options struct with a
// field K: nil when k ≥ MinK, else a *option.FieldError naming K. Options that read a
// zero K as DefaultK call it only for a non-zero K.
func CheckK(k int) error {
	if k < MinK {
		return option.Errorf("K", "error checking the k-anonymity threshold: k is %d, want at least %d: pass {} %d (the default) or more", k, MinK, DefaultK)
	}
	return nil
}
