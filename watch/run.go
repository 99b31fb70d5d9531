package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgshape/pgshape/shape"
	"github.com/pgshape/pgshape/validate"
)

// Options configures Run.
type Options struct {
	// DatabaseURL is the primary to watch (required); the login needs REPLICATION.
	DatabaseURL string
	// Publication names the insert-only publication with column lists (required).
	Publication string
	// Baseline is the shape document staging was generated from (required).
	Baseline string
	// Every is how often a snapshot and a drift report are written. Default 5m.
	Every time.Duration
	// Output is the folder of the snapshot files. Default "watch-out".
	Output string
	// Once stops after Duration with one final report (for cron); Duration is
	// required with it.
	Once     bool
	Duration time.Duration
	// K is the k-anonymity threshold of the snapshots. Default 10 (the export's).
	K int
	// Tolerances are the drift report's (validate's options). Zero fields: validate's
	// defaults.
	Tolerances validate.Options
	// Limits bound the aggregator's memory. Zero fields: the defaults.
	Limits Limits
	// Slot is the temporary slot's name. Default pgshape_watch_<pid>.
	Slot string
	// Reconnects is how many times a dropped connection is resumed (each with a new
	// slot and a recorded gap) before the watch gives up. Default 5; negative: none.
	Reconnects int

	// tap, in tests, sees every pgoutput message the watch receives.
	tap func([]byte)
}

// DefaultEvery is the default snapshot interval.
const DefaultEvery = 5 * time.Minute

// ErrBadOptions marks options Run cannot start with.
var ErrBadOptions = errors.New("invalid watch options")

// Validate checks the options.
func (o Options) Validate() error {
	switch {
	case o.DatabaseURL == "":
		return fmt.Errorf("%w: --database-url is required: pass the primary's URL (a login with REPLICATION)", ErrBadOptions)
	case o.Publication == "":
		return fmt.Errorf("%w: --publication is required: create one with `loader watch-setup`", ErrBadOptions)
	case o.Baseline == "":
		return fmt.Errorf("%w: --baseline is required: pass the shape-metrics-*.json staging was generated from", ErrBadOptions)
	case o.Every < 0 || o.Every > 0 && o.Every < time.Second:
		return fmt.Errorf("%w: --every is %s, want at least 1s (e.g. 5m)", ErrBadOptions, o.Every)
	case o.Once && o.Duration <= 0:
		return fmt.Errorf("%w: --once needs --duration (e.g. 10m)", ErrBadOptions)
	case !o.Once && o.Duration != 0:
		return fmt.Errorf("%w: --duration is only for --once", ErrBadOptions)
	case o.K != 0 && o.K < 2:
		return fmt.Errorf("%w: --k is %d, want at least 2", ErrBadOptions, o.K)
	}
	if err := ValidName("publication", o.Publication); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	if o.Slot != "" {
		if err := ValidName("slot", o.Slot); err != nil {
			return fmt.Errorf("%w: %v", ErrBadOptions, err)
		}
	}
	if err := o.Tolerances.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Every == 0 {
		o.Every = DefaultEvery
	}
	if o.Output == "" {
		o.Output = "watch-out"
	}
	if o.K == 0 {
		o.K = 10
	}
	if o.Slot == "" {
		o.Slot = fmt.Sprintf("pgshape_watch_%d", os.Getpid())
	}
	if o.Reconnects == 0 {
		o.Reconnects = 5
	}
	return o
}

// Coverage says what a snapshot saw.
type Coverage struct {
	StartLSN  string    `json:"start_lsn"`
	StartTime time.Time `json:"start_time"`
	// ProcessedLSN is the position acknowledged to the server; SlotLagBytes is the
	// server's WAL end minus it.
	ProcessedLSN string    `json:"processed_lsn"`
	At           time.Time `json:"at"`
	SlotLagBytes int64     `json:"slot_lag_bytes"`
	Gaps         []Gap     `json:"gaps"`
	// PublicationCheckedAt is when the publication last passed the gates (at the
	// start and before every report).
	PublicationCheckedAt time.Time `json:"publication_checked_at"`
	// DiscardedOpen counts transactions open when a connection dropped.
	DiscardedOpen int    `json:"discarded_open_transactions"`
	Counts        Counts `json:"counts"`
}

// Snapshot is one report of the watch, as written to Output.
type Snapshot struct {
	Coverage Coverage    `json:"coverage"`
	Stream   Stream      `json:"stream"`
	Drift    DriftReport `json:"drift"`
	// Files written for this snapshot (shape document, snapshot JSON).
	ShapeFile string `json:"shape_file"`
}

// Run watches the publication until ctx ends (or for Duration with Once): every Every
// it writes the shape document of what it saw (watch-shape-<time>.json, a shape
// document `loader validate --dataset` reads), the snapshot with its coverage and the
// drift report (watch-<time>.json), and the drift lines on out. When ctx ends it
// writes a final report; it returns the last report. Nothing row-level is written: only the counters' renderings.
func Run(ctx context.Context, opts Options, out io.Writer) (*Snapshot, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	baseline, err := shape.ReadFile(o.Baseline)
	if err != nil {
		return nil, fmt.Errorf("%w: error reading the baseline: %v", ErrBadOptions, err)
	}
	if err := preflight(ctx, o); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Output, 0o755); err != nil {
		return nil, fmt.Errorf("error creating the output folder %s: %w", o.Output, err)
	}
	dec := NewDecoder(NewAggregator(o.Limits), ReferenceAllowlist)
	dec.tap = o.tap
	w := &watcher{o: o, baseline: baseline, dec: dec, out: out}
	return w.run(ctx)
}

// preflight checks the server and the publication before any slot exists.
func preflight(ctx context.Context, o Options) error {
	conn, err := pgx.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return fmt.Errorf("error connecting to the watched database: %w", err)
	}
	defer conn.Close(context.Background())
	var level string
	if err := conn.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		return fmt.Errorf("error reading wal_level: %w", err)
	}
	if level != "logical" {
		return fmt.Errorf("%w: wal_level is %s on this server: logical decoding needs wal_level = logical (a restart)", ErrGate, level)
	}
	return CheckPublication(ctx, conn, o.Publication, ReferenceAllowlist)
}

type watcher struct {
	o        Options
	baseline *shape.Document
	dec      *Decoder
	out      io.Writer
	cov      Coverage
	st       loopState
}

func (w *watcher) run(ctx context.Context) (*Snapshot, error) {
	start := time.Now()
	end := time.Time{}
	if w.o.Once {
		end = start.Add(w.o.Duration)
	}
	s, err := startSession(ctx, w.o.DatabaseURL, w.o.Slot, w.o.Publication)
	if err != nil {
		return nil, err
	}
	w.cov = Coverage{StartLSN: s.startLSN.String(), StartTime: start.UTC(), Gaps: []Gap{}, PublicationCheckedAt: start.UTC()}
	w.st = loopState{processed: s.startLSN, lastStatus: time.Now()}
	reconnects := 0
	var last *Snapshot
	next := start.Add(w.o.Every)
	for {
		until := next
		if w.o.Once && end.Before(until) {
			until = end
		}
		err := receive(ctx, s, w.dec, &w.st, until)
		switch {
		case err == nil:
		case errors.Is(err, ErrPrivacy):
			s.close()
			w.dec = nil // discard every counter: nothing of this watch is written
			return nil, err
		case ctx.Err() != nil:
			// stopped (a signal, a cancelled context): one final report of what was seen
			s.close()
			return w.report(time.Now())
		default:
			// a dropped connection: resume with a new slot and record the gap
			s.close()
			if reconnects >= w.o.Reconnects || w.o.Reconnects < 0 {
				return last, fmt.Errorf("error watching publication %s: %w (gave up after %d reconnects)", w.o.Publication, err, reconnects)
			}
			reconnects++
			gap := Gap{From: time.Now().UTC(), LastLSN: w.st.processed.String(), Cause: err.Error()}
			w.cov.DiscardedOpen += w.dec.dropOpen()
			var ns *session
			for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
				ns, err = startSession(ctx, w.o.DatabaseURL, fmt.Sprintf("%s_r%d", w.o.Slot, reconnects), w.o.Publication)
				if err == nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(attempt+1) * time.Second):
				}
			}
			if ns == nil {
				return last, fmt.Errorf("error resuming the watch of publication %s: %w", w.o.Publication, err)
			}
			s = ns
			gap.To, gap.ResumeLSN = time.Now().UTC(), s.startLSN.String()
			w.cov.Gaps = append(w.cov.Gaps, gap)
			w.st = loopState{processed: s.startLSN, lastStatus: time.Now()}
			continue
		}
		now := time.Now()
		if !now.Before(next) || w.o.Once && !now.Before(end) {
			snap, err := w.report(now)
			if err != nil {
				s.close()
				return last, err
			}
			last = snap
			next = now.Add(w.o.Every)
		}
		if w.o.Once && !now.Before(end) {
			s.close()
			return last, nil
		}
	}
}

// report renders, writes and prints one snapshot.
func (w *watcher) report(now time.Time) (*Snapshot, error) {
	// the publication again: a widening without traffic shows no Relation message
	if err := w.recheck(); err != nil {
		w.dec = nil // discard every counter: nothing of this watch is written
		return nil, err
	}
	agg := w.dec.Aggregator()
	doc := agg.ShapeDocument(w.o.K, w.baseline.SampleWindowDays, now)
	w.cov.At = now.UTC()
	w.cov.ProcessedLSN = w.st.processed.String()
	w.cov.SlotLagBytes = int64(w.st.serverEnd) - int64(w.st.processed)
	if w.cov.SlotLagBytes < 0 {
		w.cov.SlotLagBytes = 0
	}
	w.cov.Counts = w.dec.Counts()
	snap := &Snapshot{Coverage: w.cov, Stream: agg.StreamFigures(w.o.K), Drift: Drift(w.baseline, doc, w.o.Tolerances)}
	stamp := now.UTC().Format("20060102T150405Z")
	snap.ShapeFile = filepath.Join(w.o.Output, "watch-shape-"+stamp+".json")
	if err := writeJSON(snap.ShapeFile, doc); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(w.o.Output, "watch-"+stamp+".json"), snap); err != nil {
		return nil, err
	}
	snap.Drift.WriteText(w.out)
	return snap, nil
}

// recheck runs the publication gates again before a report. A refusal is a privacy
// stop (ErrPrivacy); a failed connection only leaves PublicationCheckedAt as it was.
func (w *watcher) recheck() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, w.o.DatabaseURL)
	if err != nil {
		return nil
	}
	defer conn.Close(context.Background())
	if err := CheckPublication(ctx, conn, w.o.Publication, ReferenceAllowlist); err != nil {
		if errors.Is(err, ErrGate) {
			return fmt.Errorf("%w: the publication changed while watching: %v", ErrPrivacy, err)
		}
		return nil
	}
	w.cov.PublicationCheckedAt = time.Now().UTC()
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("error encoding %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("error writing %s: %w", path, err)
	}
	return nil
}
