package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	refschema "github.com/pgshape/pgshape/sql"
)

// ShapeVersionTable is goose's version table for the shape layer (goose's default, so
// the goose CLI sees the same versions).
const ShapeVersionTable = "goose_db_version"

// TargetVersionTable is goose's version table for the target set.
const TargetVersionTable = "pgshape_target_version"

// Options selects what Migrate does.
type Options struct {
	// Target installs the target set (the reference chat schema and the
	// synthetic-target mark) before the shape layer. Default false: only the shape
	// layer, for a production replica.
	Target bool
	// Down rolls the shape layer back by one version instead, and nothing else.
	// Default false. With nothing to roll back it says so and succeeds.
	Down bool
}

// ErrTargetAndDown is Options.Validate's error when Target and Down are both set.
var ErrTargetAndDown = errors.New("options Target and Down are exclusive: Down rolls back only the shape layer")

// Validate checks the options and changes nothing.
func (o Options) Validate() error {
	if o.Target && o.Down {
		return ErrTargetAndDown
	}
	return nil
}

// NotEmptyError is Migrate's refusal to prepare a synthetic target in a database that
// already holds tables of its own (an application's, perhaps production's) and carries
// no synthetic-target mark.
type NotEmptyError struct {
	// Database is current_database().
	Database string
	// Tables are the schema-qualified tables found, in name order.
	Tables []string
}

func (e *NotEmptyError) Error() string {
	shown := e.Tables
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" and %d more", len(e.Tables)-3)
	}
	return fmt.Sprintf("error preparing database %q as a synthetic target: it already holds tables (%s%s) and no synthetic-target mark, so it may be an application's database",
		e.Database, strings.Join(shown, ", "), more)
}

// Sources are the files that build a database: both goose sets and the reference
// schema. Embedded returns the ones compiled in; tests substitute others.
type Sources struct {
	// Shape holds the shape layer's goose SQL files at its root. Default (nil): FS.
	Shape fs.FS
	// Target holds the target set's goose SQL files (version 2 on) at its root.
	// Default (nil): TargetFS.
	Target fs.FS
	// Schema is the reference chat schema that target version 1 runs in public.
	// Default (""): sql/schema.sql (refschema.Schema).
	Schema string
}

// Embedded returns the sources compiled into the binary.
func Embedded() Sources {
	return Sources{Shape: FS, Target: TargetFS, Schema: refschema.Schema}
}

// WithDefaults returns a copy with every unset field taken from Embedded.
func (s Sources) WithDefaults() Sources {
	e := Embedded()
	if s.Shape == nil {
		s.Shape = e.Shape
	}
	if s.Target == nil {
		s.Target = e.Target
	}
	if s.Schema == "" {
		s.Schema = e.Schema
	}
	return s
}

// The statements of target version 1, the Go migration over the reference schema.
const (
	referenceSchemaUpPrefix = "SET LOCAL search_path TO public;\n"
	referenceSchemaDown     = `DROP TABLE IF EXISTS public.attachments, public.read_receipts,
	public.messages, public.conversation_members, public.conversations, public.users`
	referenceSchemaName = "00001 reference chat schema (sql/schema.sql)"
)

func sessionLocker() (lock.SessionLocker, error) {
	l, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("error creating the migration lock: %w", err)
	}
	return l, nil
}

// ShapeProvider returns the goose provider of the embedded shape layer.
func ShapeProvider(db *sql.DB) (*goose.Provider, error) {
	return Embedded().ShapeProvider(db)
}

// TargetProvider returns the goose provider of the embedded target set.
func TargetProvider(db *sql.DB) (*goose.Provider, error) {
	return Embedded().TargetProvider(db)
}

// ShapeProvider returns the goose provider of the shape layer: s.Shape, goose's
// default version table, the Postgres session locker, no global registry.
func (s Sources) ShapeProvider(db *sql.DB) (*goose.Provider, error) {
	s = s.WithDefaults()
	l, err := sessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, s.Shape,
		goose.WithSessionLocker(l), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("error loading the shape layer migrations: %w", err)
	}
	return p, nil
}

// TargetProvider returns the goose provider of the target set: version 1 runs s.Schema
// (the reference chat schema) in public; versions 2 on are the files of s.Target, the
// first of which creates pgshape.synthetic_target, the mark without which `loader
// generate` refuses to write. Its version table is TargetVersionTable.
func (s Sources) TargetProvider(db *sql.DB) (*goose.Provider, error) {
	s = s.WithDefaults()
	l, err := sessionLocker()
	if err != nil {
		return nil, err
	}
	schema := goose.NewGoMigration(1,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, referenceSchemaUpPrefix+s.Schema)
			return err
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, referenceSchemaDown)
			return err
		}})
	p, err := goose.NewProvider(goose.DialectPostgres, db, s.Target,
		goose.WithSessionLocker(l), goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(TargetVersionTable), goose.WithGoMigrations(schema))
	if err != nil {
		return nil, fmt.Errorf("error loading the target set migrations: %w", err)
	}
	return p, nil
}

// Migrate is Embedded().Migrate.
func Migrate(ctx context.Context, db *sql.DB, opts Options, out io.Writer) error {
	return Embedded().Migrate(ctx, db, opts, out)
}

// Migrate applies the migrations to db and reports each applied version on out. With
// opts.Target it first applies the target set, after checking that a database without
// the mark holds no table of its own (*NotEmptyError). With opts.Down it rolls the
// shape layer back by one version, or says there is nothing to roll back.
func (s Sources) Migrate(ctx context.Context, db *sql.DB, opts Options, out io.Writer) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	s = s.WithDefaults()
	if opts.Down {
		return s.down(ctx, db, out)
	}
	if opts.Target {
		p, err := s.TargetProvider(db)
		if err != nil {
			return err
		}
		if err := checkTargetable(ctx, db, p); err != nil {
			return err
		}
		if err := runUp(ctx, p, "target schema", out); err != nil {
			return err
		}
	}
	p, err := s.ShapeProvider(db)
	if err != nil {
		return err
	}
	return runUp(ctx, p, "shape layer", out)
}

func (s Sources) down(ctx context.Context, db *sql.DB, out io.Writer) error {
	// Look before goose does: goose creates its version table on first use, and a
	// rollback must not leave one behind in a database that never had the layer.
	var installed bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, ShapeVersionTable).Scan(&installed); err != nil {
		return fmt.Errorf("error looking for the shape layer's version table %s: %w", ShapeVersionTable, err)
	}
	nothing := func() error {
		fmt.Fprintln(out, "[Migrate] nothing to roll back: the shape layer is not installed (version 0)")
		return nil
	}
	if !installed {
		return nothing()
	}
	p, err := s.ShapeProvider(db)
	if err != nil {
		return err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nothing()
	}
	if err != nil {
		return fmt.Errorf("error rolling back the shape layer: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("error reading the shape layer version: %w", err)
	}
	fmt.Fprintf(out, "[Migrate] rolled back shape layer version %d (%s); now at version %d\n", res.Source.Version, res.Source.Path, v)
	return nil
}

// checkTargetable refuses to install the reference schema into a database that holds
// tables of its own: goose would stop half-way ("relation users already exists"), or
// worse, succeed next to an application's tables and mark its database as one the
// generator may replace.
func checkTargetable(ctx context.Context, db *sql.DB, p *goose.Provider) error {
	var hasTable bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, TargetVersionTable).Scan(&hasTable); err != nil {
		return fmt.Errorf("error looking for the target set's version table %s: %w", TargetVersionTable, err)
	}
	if hasTable {
		v, err := p.GetDBVersion(ctx)
		if err != nil {
			return fmt.Errorf("error reading the target set version: %w", err)
		}
		if v >= 1 {
			return nil // the reference schema is ours
		}
	}
	rows, err := db.QueryContext(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'shape', 'shape_source', 'pgshape')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
		  AND c.relname <> ALL ($1)
		ORDER BY 1`, []string{ShapeVersionTable, TargetVersionTable})
	if err != nil {
		return fmt.Errorf("error listing the tables already in the database: %w", err)
	}
	defer rows.Close()
	e := &NotEmptyError{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("error listing the tables already in the database: %w", err)
		}
		e.Tables = append(e.Tables, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error listing the tables already in the database: %w", err)
	}
	if len(e.Tables) == 0 {
		return nil
	}
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&e.Database); err != nil {
		return fmt.Errorf("error reading the database name: %w", err)
	}
	return e
}

func runUp(ctx context.Context, p *goose.Provider, what string, out io.Writer) error {
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("error applying the %s migrations: %w", what, err)
	}
	for _, r := range res {
		name := r.Source.Path
		if name == "" {
			name = referenceSchemaName
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

// Hash is a SHA-256 (hex) over everything that builds a database from s: the name and
// bytes of every file of both goose sets and the statements of target version 1 (the
// reference schema included).
func (s Sources) Hash() (string, error) {
	s = s.WithDefaults()
	h := sha256.New()
	add := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s\n", len(p), p)
		}
	}
	for _, set := range []struct {
		name string
		fsys fs.FS
	}{{"shape", s.Shape}, {"target", s.Target}} {
		names, err := fs.Glob(set.fsys, "*.sql")
		if err != nil {
			return "", fmt.Errorf("error listing the %s migrations: %w", set.name, err)
		}
		slices.Sort(names)
		for _, name := range names {
			b, err := fs.ReadFile(set.fsys, name)
			if err != nil {
				return "", fmt.Errorf("error reading the %s migration %s: %w", set.name, name, err)
			}
			add(set.name, name, string(b))
		}
	}
	add("target", "1 up", referenceSchemaUpPrefix+s.Schema, "1 down", referenceSchemaDown)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// LatestShapeVersion is the highest version among the shape layer's files.
func (s Sources) LatestShapeVersion() (int64, error) {
	return latest(s.WithDefaults().Shape, 0)
}

// LatestTargetVersion is the highest version of the target set (1, the Go migration,
// when its folder is empty).
func (s Sources) LatestTargetVersion() (int64, error) {
	return latest(s.WithDefaults().Target, 1)
}

func latest(fsys fs.FS, floor int64) (int64, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("error listing migrations: %w", err)
	}
	v := floor
	for _, name := range names {
		n, err := goose.NumericComponent(name)
		if err != nil {
			return 0, fmt.Errorf("error reading the version of migration %s: %w", name, err)
		}
		v = max(v, n)
	}
	return v, nil
}
