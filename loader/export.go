package loader

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/pgshape/pgshape/option"
	"github.com/pgshape/pgshape/shape"
)

// DefaultK is shape.DefaultK, the k-anonymity threshold of an export when none is
// given (kept here for the callers that read it from loader).
const DefaultK = shape.DefaultK

// ExportOptions selects the window and the privacy threshold of an export.
type ExportOptions struct {
	// WindowDays is the window's length: messages created in [AsOf − WindowDays days,
	// AsOf). Required, > 0.
	WindowDays int
	// K is the k-anonymity threshold (docs/DESIGN.md), at least 2. Default (0):
	// shape.DefaultK, 10.
	K int
	// AsOf is the end of the window and the cut-off for users, conversations and
	// receipts. Default (zero): the database's now(), the start of the transaction.
	AsOf time.Time
	// Privacy is the export's mode: PrivacyKAnonymity (default, "") runs shape.export;
	// PrivacyDP runs shape.export_dp with Epsilon and Delta, which the database charges
	// to its privacy budget (docs/privacy.md) and which needs a read-write transaction.
	Privacy string
	// Epsilon and Delta are the differential-privacy release's (ε, δ); required with
	// PrivacyDP (ε > 0, 0 < δ < 1), unused otherwise.
	Epsilon float64
	Delta   float64
}

// The export modes of ExportOptions.Privacy.
const (
	PrivacyKAnonymity = "k-anonymity"
	PrivacyDP         = "dp"
)

// DP reports whether the options ask for a differential-privacy release.
func (o ExportOptions) DP() bool { return o.Privacy == PrivacyDP }

// WithDefaults returns a copy with K's default filled.
func (o ExportOptions) WithDefaults() ExportOptions {
	if o.K == 0 {
		o.K = shape.DefaultK
	}
	return o
}

// Validate checks the options without touching a database; it changes nothing.
func (o ExportOptions) Validate() error {
	if o.WindowDays <= 0 {
		return option.Errorf("WindowDays", "error checking the export window: window_days is %d, want a positive number of days: pass {} N (the guide uses 30)", o.WindowDays)
	}
	switch o.Privacy {
	case "", PrivacyKAnonymity:
	case PrivacyDP:
		if !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0) {
			return option.Errorf("Epsilon", "error checking the privacy budget of the release: epsilon is %g, want a positive number: pass e.g. {} 1", o.Epsilon)
		}
		if !(o.Delta > 0 && o.Delta < 1) {
			return option.Errorf("Delta", "error checking the privacy budget of the release: delta is %g, want 0 < delta < 1: pass e.g. {} 1e-6", o.Delta)
		}
		return nil
	default:
		return option.Errorf("Privacy", "error checking the privacy mode: %q is not one: pass {} %s (the default) or {} %s", o.Privacy, PrivacyKAnonymity, PrivacyDP)
	}
	if o.K != 0 {
		return shape.CheckK(o.K)
	}
	return nil
}

// ErrNoShapeSchema means the database lacks the shape layer (or an older one without
// the functions this loader calls).
var ErrNoShapeSchema = errors.New("the database has no shape schema (the shape.export and shape.*_v1 functions are missing): run `loader migrate` on it first")

// exportFunctions are the shape functions Export and Sample call.
var exportFunctions = []string{
	"shape.export(integer, integer, timestamp with time zone)",
	"shape.users_v1(integer, integer, timestamp with time zone)",
	"shape.conversations_v1(integer, integer, timestamp with time zone)",
	"shape.messages_v1(integer, integer, timestamp with time zone)",
	"shape.read_receipts_v1(integer, integer, timestamp with time zone)",
	"shape.attachments_v1(integer, integer, timestamp with time zone)",
	"shape.export_base_v2(integer, integer, timestamp with time zone)",
	"shape.people_as_caller_v2(integer, integer, timestamp with time zone)",
	"shape.merge_v2(jsonb, jsonb)",
	"shape.version()",
}

// checkShapeSchema returns ErrNoShapeSchema unless every function Export and Sample
// call exists (with dp, shape.export_dp too), and an error when the layer writes
// another shape_version.
func checkShapeSchema(ctx context.Context, q Querier, dp bool) error {
	var missing bool
	if err := q.QueryRow(ctx, `SELECT bool_or(to_regprocedure(f) IS NULL) FROM unnest($1::text[]) AS f`,
		exportFunctions).Scan(&missing); err != nil {
		return fmt.Errorf("error looking for the shape schema: %w", err)
	}
	if missing {
		return ErrNoShapeSchema
	}
	if dp {
		if err := q.QueryRow(ctx, `SELECT to_regprocedure('shape.export_dp(integer, timestamp with time zone, double precision, double precision)') IS NULL`).Scan(&missing); err != nil {
			return fmt.Errorf("error looking for shape.export_dp: %w", err)
		}
		if missing {
			return errors.New("error checking the shape layer: it has no shape.export_dp (the differential-privacy export): run this loader's `loader migrate` on it")
		}
	}
	var v string
	if err := q.QueryRow(ctx, `SELECT shape.version()`).Scan(&v); err != nil {
		return fmt.Errorf("error reading the shape layer's version: %w", err)
	}
	if v != shape.Version {
		return fmt.Errorf("error checking the shape layer: the database writes shape_version %q, this loader reads %q: run this loader's `loader migrate` on it", v, shape.Version)
	}
	return nil
}

// Export runs shape.export in the database behind q and returns the parsed, checked
// document. It works on any database with the shape layer: a production replica or a
// synthetic target. The caller chooses the transaction (and its statement timeout).
func Export(ctx context.Context, q Querier, opts ExportOptions) (*shape.Document, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := checkShapeSchema(ctx, q, opts.DP()); err != nil {
		return nil, err
	}
	return export(ctx, q, opts.WithDefaults())
}

// export is Export after the checks, with the defaults filled (Sample checks the
// layer before its first progress line, and runs this).
func export(ctx context.Context, q Querier, opts ExportOptions) (*shape.Document, error) {
	var asOf *time.Time
	if !opts.AsOf.IsZero() {
		asOf = &opts.AsOf
	}
	var raw []byte
	if opts.DP() {
		err := q.QueryRow(ctx, `SELECT shape.export_dp($1::integer, coalesce($2::timestamptz, now()), $3::float8, $4::float8)::text`,
			opts.WindowDays, asOf, opts.Epsilon, opts.Delta).Scan(&raw)
		if err != nil {
			return nil, explainShapeError("running shape.export_dp", err)
		}
	} else {
		err := q.QueryRow(ctx, `SELECT shape.export($1::integer, $2::integer, coalesce($3::timestamptz, now()))::text`,
			opts.WindowDays, opts.K, asOf).Scan(&raw)
		if err != nil {
			return nil, explainShapeError("running shape.export", err)
		}
	}
	doc, err := shape.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("error reading the document shape.export returned: %w", err)
	}
	return doc, nil
}

// explainShapeError turns a failed shape call into one line; a missing function or
// schema becomes ErrNoShapeSchema.
func explainShapeError(doing string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "3F000", "42883": // invalid_schema_name, undefined_function
			return ErrNoShapeSchema
		case "57014": // query_canceled (statement_timeout)
			return option.Errorf("StatementTimeout", "error %s: the statement timeout cancelled it: raise {} or sample a shorter window", doing)
		case "25006": // read_only_sql_transaction
			return fmt.Errorf("error %s: the shape layer tried to write in a read-only transaction: %s", doing, pgErr.Message)
		}
		return fmt.Errorf("error %s: %s (SQLSTATE %s)", doing, pgErr.Message, pgErr.Code)
	}
	return fmt.Errorf("error %s: %w", doing, err)
}

// snapshotID is the form of a pg_export_snapshot() identifier (hex words and a
// counter, e.g. 00000003-0000001B-1): checked before it is put in SET TRANSACTION
// SNAPSHOT, which takes no parameter.
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$`)

// ExportSnapshot is Export in tx, a repeatable-read transaction begun on pool, with a
// k-anonymous document computed on two connections: the version-1 half
// (shape.export_base_v2) in tx, the version-2 families (shape.people_as_caller_v2) in
// a second transaction from pool that imports tx's snapshot (pg_export_snapshot, as
// pg_dump --jobs does) with tx's access mode and statement timeout, then
// shape.merge_v2 joins them in tx. The halves share no pass, so the database runs them
// on two cores at once; the document is shape.export's, byte for byte
// (TestExportSplitIsExport). Without a second connection (the pool exhausted, the
// server refusing one) it runs one shape.export in tx; a differential-privacy
// release is one statement in tx (its ledger).
func ExportSnapshot(ctx context.Context, tx pgx.Tx, pool *pgxpool.Pool, opts ExportOptions) (*shape.Document, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := checkShapeSchema(ctx, tx, opts.DP()); err != nil {
		return nil, err
	}
	return exportSplit(ctx, tx, pool, opts.WithDefaults())
}

// exportSplit is ExportSnapshot after the checks, with the defaults filled.
func exportSplit(ctx context.Context, tx pgx.Tx, pool *pgxpool.Pool, opts ExportOptions) (*shape.Document, error) {
	if opts.DP() {
		return export(ctx, tx, opts)
	}
	if opts.AsOf.IsZero() { // both halves must read one as_of, not two now()s
		if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&opts.AsOf); err != nil {
			return nil, fmt.Errorf("error reading the as-of time: %w", err)
		}
	}
	raw, err := exportSplitRaw(ctx, tx, pool, opts)
	if errors.Is(err, errNoSecondConn) {
		return export(ctx, tx, opts)
	}
	if err != nil {
		return nil, err
	}
	doc, err := shape.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("error reading the document shape.export returned: %w", err)
	}
	return doc, nil
}

var errNoSecondConn = errors.New("no second connection")

// secondConnWait bounds the wait for exportSplit's second connection; past it the
// export runs as one statement.
const secondConnWait = 30 * time.Second

// exportSplitRaw is exportSplit's merged document as the database prints it
// (errNoSecondConn when no second connection could be had). opts.AsOf must be set.
func exportSplitRaw(ctx context.Context, tx pgx.Tx, pool *pgxpool.Pool, opts ExportOptions) ([]byte, error) {
	var snap, timeout string
	var readOnly bool
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot(), current_setting('statement_timeout'),
		current_setting('transaction_read_only')::boolean`).Scan(&snap, &timeout, &readOnly); err != nil {
		return nil, explainShapeError("exporting the sampling snapshot", err)
	}
	if !snapshotID.MatchString(snap) {
		return nil, fmt.Errorf("error exporting the sampling snapshot: the server returned an identifier of an unknown form (%d characters)", len(snap))
	}
	// tx holds one of the pool's connections: a pool of one (pool_max_conns=1) would
	// wait for it forever, and a busy one is not worth waiting long for.
	if pool.Stat().MaxConns() < 2 {
		return nil, errNoSecondConn
	}
	actx, cancel := context.WithTimeout(ctx, secondConnWait)
	conn, err := pool.Acquire(actx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while opening the second sampling connection: %w", ctx.Err())
		}
		return nil, errNoSecondConn
	}
	defer conn.Release()
	mode := pgx.ReadWrite
	if readOnly {
		mode = pgx.ReadOnly
	}
	tx2, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: mode})
	if err != nil {
		return nil, fmt.Errorf("error starting the second sampling transaction: %w", err)
	}
	defer tx2.Rollback(context.WithoutCancel(ctx))
	if _, err := tx2.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+snap+`'`); err != nil {
		return nil, explainShapeError("importing the sampling snapshot", err)
	}
	if _, err := tx2.Exec(ctx, `SELECT set_config('statement_timeout', $1, true)`, timeout); err != nil {
		return nil, fmt.Errorf("error setting the statement timeout: %w", err)
	}
	// the first half to fail cancels the other, and its error is the one returned
	g, gctx := errgroup.WithContext(ctx)
	var base, people []byte
	half := func(q pgx.Tx, fn, doing string, out *[]byte) {
		g.Go(func() error {
			err := q.QueryRow(gctx, `SELECT shape.`+fn+`($1::integer, $2::integer, $3::timestamptz)::text`,
				opts.WindowDays, opts.K, opts.AsOf).Scan(out)
			if err != nil {
				return explainShapeError(doing, err)
			}
			return nil
		})
	}
	half(tx2, "people_as_caller_v2", "running shape.export (its version-2 families)", &people)
	half(tx, "export_base_v2", "running shape.export", &base)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var raw []byte
	if err := tx.QueryRow(ctx, `SELECT shape.merge_v2($1::jsonb, $2::jsonb)::text`, base, people).Scan(&raw); err != nil {
		return nil, explainShapeError("merging the shape document's halves", err)
	}
	return raw, nil
}
