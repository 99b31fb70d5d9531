package piiscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pgshape/pgshape/option"
)

// RunOptions is `loader scan-pii`.
type RunOptions struct {
	// Input is the JSON file to scan. Required.
	Input string
	// DenyListFile is a deny list (see ParseList). Default none.
	DenyListFile string
	// AllowListFile is an allow list (see ParseAllowList). Default none.
	AllowListFile string
}

// WithDefaults returns a copy with the defaults filled; every field's default is
// its zero value (no deny list, no allow list).
func (o RunOptions) WithDefaults() RunOptions { return o }

// Validate checks the options without reading any file; it changes nothing.
func (o RunOptions) Validate() error {
	if o.Input == "" {
		return option.Errorf("Input", "error scanning for PII: {} is required: pass the shape document to check")
	}
	return nil
}

// Run scans the input file, prints one line per finding on out (never the text
// found), and `✓ No PII detected` when there is none. It returns the findings; an
// error means the scan could not be made (a file missing, the input not JSON).
func Run(ctx context.Context, opts RunOptions, out io.Writer) ([]Finding, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	var so Options
	if opts.DenyListFile != "" {
		l, err := os.Open(opts.DenyListFile)
		if err != nil {
			return nil, fmt.Errorf("error reading the deny list %s: %v", opts.DenyListFile, errors.Unwrap(err))
		}
		so.DenyList, err = ParseList(l)
		l.Close()
		if err != nil {
			return nil, fmt.Errorf("error reading the deny list %s: %v", opts.DenyListFile, err)
		}
	}
	if opts.AllowListFile != "" {
		l, err := os.Open(opts.AllowListFile)
		if err != nil {
			return nil, fmt.Errorf("error reading the allow list %s: %v", opts.AllowListFile, errors.Unwrap(err))
		}
		so.AllowPaths, so.AllowValues, err = ParseAllowList(l)
		l.Close()
		if err != nil {
			return nil, fmt.Errorf("error reading the allow list %s: %v", opts.AllowListFile, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(opts.Input)
	if err != nil {
		return nil, option.Errorf("Input", "error reading %s for the PII scan: %v: check the {} path", opts.Input, errors.Unwrap(err))
	}
	// The mapping manifest's own hashes (and only those) are not findings.
	so.AllowValues = append(so.AllowValues, manifestHashes(doc)...)
	found, err := Scan(doc, so)
	if err != nil {
		return nil, fmt.Errorf("error scanning %s for PII: %v: pass a JSON document such as the output of `loader sample`", opts.Input, err)
	}
	for _, f := range found {
		fmt.Fprintf(out, "%s\n", f)
	}
	if len(found) == 0 {
		fmt.Fprintln(out, "✓ No PII detected")
	}
	return found, nil
}

// Summary counts findings by kind: "3 findings (2 email, 1 uuid)".
func Summary(found []Finding) string {
	byKind := map[Kind]int{}
	for _, f := range found {
		byKind[f.Kind]++
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", byKind[Kind(k)], k)
	}
	noun := "findings"
	if len(found) == 1 {
		noun = "finding"
	}
	return fmt.Sprintf("%d %s (%s)", len(found), noun, strings.Join(parts, ", "))
}
