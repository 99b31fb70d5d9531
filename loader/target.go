package loader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what read-only helpers need: *pgx.Conn, *pgxpool.Pool and pgx.Tx all are.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Execer runs statements: *pgx.Conn, *pgxpool.Pool and pgx.Tx all are.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// TargetMark is the row of pgshape.synthetic_target: the mark that makes a database a
// synthetic target, and what its last completed load was.
type TargetMark struct {
	MarkedAt   time.Time
	LoadedAt   *time.Time
	Band       string
	Seed       string
	SpecSHA256 string
	Messages   int64
	WindowEnd  *time.Time
	WindowDays int
	Shard      string
}

// ErrNotTarget means the database lacks the synthetic-target mark.
var ErrNotTarget = errors.New("the database is not marked as a synthetic target: prepare it with `loader migrate --target` (never on production)")

// ReadTargetMark reads the synthetic-target mark; ErrNotTarget when there is none.
func ReadTargetMark(ctx context.Context, q Querier) (TargetMark, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('pgshape.synthetic_target') IS NOT NULL`).Scan(&exists); err != nil {
		return TargetMark{}, fmt.Errorf("error checking the synthetic-target mark: %w", err)
	}
	if !exists {
		return TargetMark{}, ErrNotTarget
	}
	var m TargetMark
	var band, seed, sha, shard *string
	var msgs *int64
	var days *int32
	err := q.QueryRow(ctx, `SELECT marked_at, loaded_at, band, seed, spec_sha256, messages,
		window_end, window_days, shard FROM pgshape.synthetic_target LIMIT 1`).
		Scan(&m.MarkedAt, &m.LoadedAt, &band, &seed, &sha, &msgs, &m.WindowEnd, &days, &shard)
	if errors.Is(err, pgx.ErrNoRows) {
		return TargetMark{}, ErrNotTarget
	}
	if err != nil {
		return TargetMark{}, fmt.Errorf("error reading the synthetic-target mark: %w", err)
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	m.Band, m.Seed, m.SpecSHA256, m.Shard = deref(band), deref(seed), deref(sha), deref(shard)
	if msgs != nil {
		m.Messages = *msgs
	}
	if days != nil {
		m.WindowDays = int(*days)
	}
	return m, nil
}

// RecordLoad writes a completed load into the mark; call it inside the transaction
// that swaps the generated tables in.
func RecordLoad(ctx context.Context, e Execer, m TargetMark) error {
	_, err := e.Exec(ctx, `UPDATE pgshape.synthetic_target SET loaded_at = now(), band = $1, seed = $2,
		spec_sha256 = $3, messages = $4, window_end = $5, window_days = $6, shard = $7`,
		m.Band, m.Seed, m.SpecSHA256, m.Messages, m.WindowEnd, m.WindowDays, m.Shard)
	if err != nil {
		return fmt.Errorf("error recording the load in pgshape.synthetic_target: %w", err)
	}
	return nil
}
