// Package migrations embeds the goose migrations that install pgshape's shape layer in
// a database: the source contract (schema shape_source), the versioned shape SQL
// (schema shape) and the least-privilege role shape_reader.
//
// The files are plain goose SQL: `loader migrate` runs them through goose's Provider,
// and a DBA can run the same files with the goose CLI:
//
//	goose -dir migrations postgres "$URL" up
//
// They never create or change an application table.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
