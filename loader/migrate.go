package loader

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/pgshape/pgshape/migrations"
	refschema "github.com/pgshape/pgshape/sql"
)

// TargetVersionTable is goose's version table for the target set (the reference schema
// and the synthetic-target mark); the shape layer uses goose's default table.
const TargetVersionTable = "pgshape_target_version"

// MigrateOptions selects what Migrate installs.
type MigrateOptions struct {
	// Target installs the reference chat schema (sql/schema.sql) and marks the database
	// as a synthetic target before installing the shape layer. Default false: only the
	// shape layer, for a production replica.
	Target bool
	// Down rolls the shape layer back by one version instead (and nothing else).
	Down bool
}

// Migrate applies the migrations to the database at url and reports each applied
// version on out.
func Migrate(ctx context.Context, url string, opts MigrateOptions, out io.Writer) error {
	pool, err := Connect(ctx, url)
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer pool.Close()
	defer db.Close()
	return MigrateDB(ctx, db, opts, out)
}

// MigrateDB is Migrate over an open database/sql handle.
func MigrateDB(ctx context.Context, db *sql.DB, opts MigrateOptions, out io.Writer) error {
	if opts.Target && !opts.Down {
		p, err := TargetProvider(db)
		if err != nil {
			return err
		}
		if err := runUp(ctx, p, "target schema", out); err != nil {
			return err
		}
	}
	p, err := ShapeProvider(db)
	if err != nil {
		return err
	}
	if opts.Down {
		res, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("error rolling back the shape layer: %w", err)
		}
		fmt.Fprintf(out, "[Migrate] rolled back shape layer version %d\n", res.Source.Version)
		return nil
	}
	return runUp(ctx, p, "shape layer", out)
}

func runUp(ctx context.Context, p *goose.Provider, what string, out io.Writer) error {
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("error applying the %s migrations: %w", what, err)
	}
	for _, r := range res {
		name := r.Source.Path
		if name == "" {
			name = targetMigrationNames[r.Source.Version]
		}
		fmt.Fprintf(out, "[Migrate] %s: applied %s\n", what, name)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("error reading the %s version: %w", what, err)
	}
	fmt.Fprintf(out, "[Migrate] ✓ %s at version %d\n", what, v)
	return nil
}

func sessionLocker() (lock.SessionLocker, error) {
	l, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("error creating the migration lock: %w", err)
	}
	return l, nil
}

// ShapeProvider returns the goose provider of the shape layer (migrations.FS).
func ShapeProvider(db *sql.DB) (*goose.Provider, error) {
	l, err := sessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(l), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("error loading the shape migrations: %w", err)
	}
	return p, nil
}

// TargetProvider returns the goose provider of the target set: version 1 runs
// sql/schema.sql (the reference chat schema) in public; version 2 creates
// pgshape.synthetic_target, the mark without which `loader generate` refuses to write.
func TargetProvider(db *sql.DB) (*goose.Provider, error) {
	l, err := sessionLocker()
	if err != nil {
		return nil, err
	}
	schema := goose.NewGoMigration(1,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "SET LOCAL search_path TO public;\n"+refschema.Schema)
			return err
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS public.attachments, public.read_receipts,
				public.messages, public.conversation_members, public.conversations, public.users`)
			return err
		}})
	mark := goose.NewGoMigration(2,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, markSQL)
			return err
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DROP SCHEMA IF EXISTS pgshape CASCADE`)
			return err
		}})
	p, err := goose.NewProvider(goose.DialectPostgres, db, nil,
		goose.WithSessionLocker(l), goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(TargetVersionTable), goose.WithGoMigrations(schema, mark))
	if err != nil {
		return nil, fmt.Errorf("error loading the target migrations: %w", err)
	}
	return p, nil
}

// targetMigrationNames names the target set's Go migrations in progress lines.
var targetMigrationNames = map[int64]string{
	1: "00001 reference chat schema (sql/schema.sql)",
	2: "00002 synthetic-target mark (pgshape.synthetic_target)",
}

// markSQL creates the synthetic-target mark. One row, written at migrate time; the
// generator records each completed load in it.
const markSQL = `
CREATE SCHEMA pgshape;
COMMENT ON SCHEMA pgshape IS 'pgshape: this database is a synthetic target; loader generate may replace its chat tables';
CREATE TABLE pgshape.synthetic_target (
    marked_at     timestamptz NOT NULL DEFAULT now(),
    loaded_at     timestamptz,
    band          text,
    seed          text,
    spec_sha256   text,
    messages      bigint,
    window_end    timestamptz,
    window_days   integer,
    shard         text
);
INSERT INTO pgshape.synthetic_target DEFAULT VALUES;
`
