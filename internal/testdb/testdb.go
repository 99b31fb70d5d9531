// Package testdb gives each test its own PostgreSQL database, cloned by pgtestdb from a
// template migrated once per migration hash. Tests call t.Parallel() freely; a
// database is dropped when its test passes and kept (its URL logged) when it fails.
//
// The server is chosen as the loader chooses it (dburl.Resolve): DATABASE_URL, else the
// libpq PG* variables, else 127.0.0.1:5432 as postgres. `make test` starts a private
// throwaway cluster when none answers.
//
// The package imports only what is below every test that uses it: migrations (both
// goose sets), refschema (sql/) and internal/dburl, never loader.
package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"

	"github.com/pgshape/pgshape/internal/dburl"
	"github.com/pgshape/pgshape/migrations"
)

// Kind selects what a test database holds.
type Kind int

const (
	// Bare: only the shape layer (the source contract is then the empty placeholder,
	// as on a production whose tables have other names).
	Bare Kind = iota
	// Production: the reference chat schema (empty, no target mark) and the shape layer:
	// a production replica to sample.
	Production
	// Target: `loader migrate --target`: reference schema, synthetic-target mark, shape
	// layer.
	Target
	// Empty: nothing at all, a database as createdb leaves it (for tests of `loader
	// migrate` itself).
	Empty
)

func (k Kind) String() string {
	switch k {
	case Bare:
		return "bare"
	case Production:
		return "production"
	case Target:
		return "target"
	case Empty:
		return "empty"
	}
	return "kind" + strconv.Itoa(int(k))
}

// Migrator implements pgtestdb.Migrator over goose's Provider (package migrations).
// Hash covers the kind and everything that builds the database: both goose sets, the
// target set's Go migration and the reference schema (migrations.Sources.Hash).
type Migrator struct {
	Kind Kind
	// Sources are the files that build the database. Default (zero):
	// migrations.Embedded(). Tests of the hash substitute their own.
	Sources migrations.Sources
}

var _ pgtestdb.Migrator = Migrator{}

// Hash identifies the migrated template.
func (m Migrator) Hash() (string, error) {
	sources, err := m.Sources.Hash()
	if err != nil {
		return "", fmt.Errorf("error hashing the migrations: %w", err)
	}
	h := common.NewRecursiveHash(common.Field("Kind", m.Kind.String()), common.Field("Sources", sources))
	return h.String(), nil
}

// Migrate installs the kind's schema into the fresh template database.
func (m Migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	src := m.Sources.WithDefaults()
	switch m.Kind {
	case Empty:
		return nil
	case Production:
		if _, err := db.ExecContext(ctx, "SET search_path TO public;\n"+src.Schema); err != nil {
			return fmt.Errorf("error creating the reference schema: %w", err)
		}
		if _, err := db.ExecContext(ctx, "RESET search_path"); err != nil {
			return err
		}
		return src.Migrate(ctx, db, migrations.Options{}, io.Discard)
	case Target:
		return src.Migrate(ctx, db, migrations.Options{Target: true}, io.Discard)
	default:
		return src.Migrate(ctx, db, migrations.Options{}, io.Discard)
	}
}

// TestRole owns the test databases. It may create roles (the shape layer creates
// shape_reader) but is not a superuser, like a DBA's migration role.
var TestRole = pgtestdb.Role{
	Username:     "pgshape_test",
	Password:     "pgshape_test",
	Capabilities: "NOSUPERUSER NOCREATEDB CREATEROLE",
}

// Config returns the pgtestdb configuration for the server dburl.Resolve picks.
func Config(t testing.TB) pgtestdb.Config {
	t.Helper()
	cc, err := pgx.ParseConfig(dburl.Resolve(""))
	if err != nil {
		t.Fatalf("testdb: cannot parse the database URL: %v", err)
	}
	role := TestRole
	host, options := cc.Host, "sslmode=disable"
	if strings.HasPrefix(host, "/") {
		// A Unix socket directory (the private cluster): pgtestdb writes host:port into
		// the URL's authority, so pass the directory as the host parameter instead.
		host, options = "", options+"&host="+url.QueryEscape(cc.Host)
	}
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      host,
		Port:                      strconv.Itoa(int(cc.Port)),
		User:                      cc.User,
		Password:                  cc.Password,
		Database:                  cc.Database,
		Options:                   options,
		TestRole:                  &role,
		ForceTerminateConnections: true,
	}
}

// New returns the URL of a fresh database of the given kind, dropped after the test.
func New(t testing.TB, kind Kind) string {
	t.Helper()
	return pgtestdb.Custom(t, Config(t), Migrator{Kind: kind}).URL()
}

// Open returns an open *sql.DB on a fresh database of the given kind.
func Open(t testing.TB, kind Kind) *sql.DB {
	t.Helper()
	return pgtestdb.New(t, Config(t), Migrator{Kind: kind})
}

// Exec runs sql (one or more statements, no arguments) on the database at url over a
// connection of its own, failing the test on error.
func Exec(t testing.TB, url, sql string) {
	t.Helper()
	if err := TryExec(url, sql); err != nil {
		t.Fatalf("testdb: %v", err)
	}
}

// Conn opens a connection to the database at url, closed when the test ends.
func Conn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("testdb: connecting: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TryExec is Exec returning the error, for tests that expect one (or retry).
func TryExec(url, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
