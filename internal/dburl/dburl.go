// Package dburl picks the PostgreSQL server a command or a test talks to. It sits below
// package loader (the commands) and internal/testdb (the tests), so both choose the
// server the same way.
package dburl

import "os"

// Default is used when neither a flag, DATABASE_URL nor any libpq PG* variable says
// where the database is.
const Default = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Resolve picks the connection string: flag, else $DATABASE_URL, else "" when a libpq
// PG* variable is set (pgx then reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD …
// itself), else Default.
func Resolve(flag string) string {
	return resolve(flag, os.Getenv)
}

func resolve(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if v := getenv("DATABASE_URL"); v != "" {
		return v
	}
	for _, k := range []string{"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE"} {
		if getenv(k) != "" {
			return ""
		}
	}
	return Default
}
