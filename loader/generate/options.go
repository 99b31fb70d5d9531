package generate

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/spec"
)

// Options configures Run.
type Options struct {
	// URL is the target database (see loader.ResolveURL). Default "": pgx reads the
	// libpq PG* variables.
	URL string
	// Band names the dataset size in Spec.Bands (tiny, dev, staging). Required.
	Band string
	// Seed is the root seed: the same seed, spec and band give the same rows. Required.
	Seed string
	// Spec is the distribution spec. Required (the CLI passes spec.Default() when no
	// --config is given).
	Spec *spec.Spec
	// Workers is how many generator goroutines and COPY connections run at once.
	// Default 0: runtime.NumCPU(). The rows do not depend on it.
	Workers int
	// Shard selects a slice of the dataset: conversations [C·i/n, C·(i+1)/n) with
	// their members, messages, receipts and attachments, plus every user. Default
	// zero value: the whole dataset, swapped in atomically. A shard is appended to
	// the target instead (see docs/generate.md).
	Shard Shard
	// Messages overrides the band's message count. Default 0: the band's.
	Messages int64
	// Truncate allows replacing a target whose tables hold rows. Default false: such a
	// target is refused (in shard mode, rows of other shards of the same run are fine).
	Truncate bool
	// ReportDir receives report_<band>_<seed>.json (…_shard_<i>_of_<n>.json for a
	// shard). Default "": no report file. (The command line's default is a dated
	// folder, outdir.Dated.)
	ReportDir string
	// Overwrite allows replacing an existing report. Default false: an existing report
	// is refused before the load starts.
	Overwrite bool
	// NoShape skips exporting the target's shape after the load (Result.Shape stays
	// nil, the report has no shape). Default false: export it, which on a large band
	// costs about as long as the load.
	NoShape bool
	// Progress receives per-table progress: a redrawn line on a terminal, plain log
	// lines otherwise. Default nil: no progress.
	Progress io.Writer
}

// ErrBadOptions marks invalid options (bad input, exit 2 at the CLI).
var ErrBadOptions = errors.New("invalid generate options")

// WithDefaults returns a copy with the defaults filled: Workers.
func (o Options) WithDefaults() Options {
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	return o
}

// Validate checks the options without touching the target; it changes nothing. A bad
// field is an *option.FieldError wrapping ErrBadOptions.
func (o Options) Validate() error {
	if o.Spec == nil {
		return option.Errorf("Spec", "%w: no distribution spec: pass {} distribution-spec.json", ErrBadOptions)
	}
	if err := o.Spec.Validate(); err != nil {
		return err
	}
	if _, ok := o.Spec.Bands[o.Band]; !ok {
		names := make([]string, 0, len(o.Spec.Bands))
		for n := range o.Spec.Bands {
			names = append(names, n)
		}
		sort.Strings(names)
		return option.Errorf("Band", "%w: unknown band %q: pass {} %s", ErrBadOptions, o.Band, strings.Join(names, "|"))
	}
	if o.Seed == "" {
		return option.Errorf("Seed", "%w: no seed: pass {} (any string; the same seed gives the same rows)", ErrBadOptions)
	}
	if o.Messages < 0 || o.Messages > spec.MaxMessages {
		return option.Errorf("Messages", "%w: {} is %d, want 1 to %d (or 0 for the band's)", ErrBadOptions, o.Messages, spec.MaxMessages)
	}
	if o.Workers < 0 {
		return option.Errorf("Workers", "%w: {} is %d, want a positive count", ErrBadOptions, o.Workers)
	}
	if o.Shard.Count < 0 || (o.Shard.Count > 0 && (o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count)) {
		return option.Errorf("Shard", "%w: {} %d/%d: want i/n with 0 ≤ i < n", ErrBadOptions, o.Shard.Index, o.Shard.Count)
	}
	return nil
}

// messages is the message count of the run's whole dataset.
func (o *Options) messages() int64 {
	if o.Messages > 0 {
		return o.Messages
	}
	return o.Spec.Bands[o.Band].Messages
}

// Shard is a slice i of n of the dataset; Count 0 means the whole dataset.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" (0 ≤ i < n); "" is the whole dataset.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, option.Errorf("Shard", "%w: {} %q is not i/n (for example 0/4)", ErrBadOptions, s)
	}
	if n < 1 || i < 0 || i >= n {
		return Shard{}, option.Errorf("Shard", "%w: {} %q: want 0 ≤ i < n and n ≥ 1", ErrBadOptions, s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String is "i/n", or "" for the whole dataset.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func (s Shard) sharded() bool { return s.Count > 0 }

// convRange is the shard's conversation indexes among c.
func (s Shard) convRange(c int64) (lo, hi int64) {
	if s.Count == 0 {
		return 0, c
	}
	return c * int64(s.Index) / int64(s.Count), c * int64(s.Index+1) / int64(s.Count)
}
