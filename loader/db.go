package loader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgshape/pgshape/internal/dburl"
)

// DefaultURL is used when neither --database-url, DATABASE_URL nor any libpq PG*
// variable says where the database is.
const DefaultURL = dburl.Default

// ResolveURL picks the connection string: the flag, else $DATABASE_URL, else "" when
// a libpq PG* variable is set (pgx then reads PGHOST, PGPORT, PGUSER, PGDATABASE,
// PGPASSWORD … itself), else DefaultURL. It is dburl.Resolve, which internal/testdb
// uses too.
func ResolveURL(flag string) string { return dburl.Resolve(flag) }

// ParseConfig parses url (see ResolveURL) into a pgx pool config. The error never
// repeats the URL, which may hold a password.
func ParseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the database URL is not valid (%s): pass --database-url postgres://user@host:port/db or set DATABASE_URL", redactParseError(err))
	}
	if _, repl := cfg.ConnConfig.RuntimeParams["replication"]; !repl {
		cfg.ConnConfig.AfterConnect = checkClient
	}
	return cfg, nil
}

// checkClientSQL asks the server to check every second, while a statement runs, that
// the loader is still there (client_connection_check_interval, PostgreSQL 14+): a
// killed loader's export, lock wait or index build then ends within a second instead of
// running on to its end, holding its snapshot and locks. Older servers skip it.
const checkClientSQL = `SELECT set_config('client_connection_check_interval', '1s', false)
	WHERE current_setting('server_version_num')::int >= 140000`

func checkClient(ctx context.Context, c *pgconn.PgConn) error {
	if _, err := c.Exec(ctx, checkClientSQL).ReadAll(); err != nil {
		return fmt.Errorf("error setting client_connection_check_interval: %w", err)
	}
	return nil
}

func redactParseError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && strings.Contains(msg[:i], "cannot parse") {
		return strings.TrimSpace(msg[i+2:])
	}
	return msg
}

// Connect opens a pool and checks that the server answers, turning the usual failures
// into one line that says what to do.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return connectConfig(ctx, cfg)
}

// connectConfig is Connect over a parsed configuration.
func connectConfig(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, explainConnectError(ctx, cfg.ConnConfig, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, explainConnectError(ctx, cfg.ConnConfig, err)
	}
	return pool, nil
}

// ConnectOne opens a single connection (for COPY streams and replication-free work).
func ConnectOne(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := ParseConfig(url)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, explainConnectError(ctx, cfg.ConnConfig, err)
	}
	return conn, nil
}

func explainConnectError(ctx context.Context, cc *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("%s:%d database %q", cc.Host, cc.Port, cc.Database)
	if ctxErr := ctx.Err(); ctxErr != nil {
		// Interrupted (Ctrl-C, a deadline): say so, and keep the cause for errors.Is,
		// rather than blaming the server.
		return fmt.Errorf("interrupted while connecting to %s: %w", where, ctxErr)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "3D000":
			return fmt.Errorf("database %q does not exist on %s:%d: create it or fix --database-url", cc.Database, cc.Host, cc.Port)
		case "28P01", "28000":
			return fmt.Errorf("the server at %s refused the login for user %q: check the user and password in --database-url", where, cc.User)
		}
		return fmt.Errorf("error connecting to %s: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || strings.Contains(err.Error(), "connect") {
		return fmt.Errorf("no PostgreSQL server answers at %s: start it or fix --database-url / DATABASE_URL", where)
	}
	return fmt.Errorf("error connecting to %s: %v", where, err)
}
