// Package migrations is where pgshape migrates a database: the goose migration files,
// the goose Providers that run them, and the rules around them.
//
// # The two sets
//
// The shape layer (FS: the *.sql files of this folder) installs the source contract
// (schema shape_source), the versioned shape SQL (schema shape) and the least-privilege
// role shape_reader, in a production replica and in a synthetic target alike. It never
// creates or changes an application table. Its version table is goose's default,
// goose_db_version. The files are plain goose SQL, so a DBA can run them with the goose
// CLI:
//
//	goose -dir migrations postgres "$URL" up
//
// The target set (TargetVersionTable) prepares a synthetic target, a database that
// `loader generate` may fill: version 1 runs the reference chat schema (sql/schema.sql,
// package refschema) in public, a Go migration because that file is also the
// generator's; version 2 and later are the goose SQL files of TargetFS
// (target/*.sql), the first of which creates the synthetic-target mark
// pgshape.synthetic_target.
//
// # Releases
//
// A migration released in a tag is never edited again: released.sha256 holds the
// SHA-256 of every released file (`sha256sum -c released.sha256` in this folder), and a
// test fails when one of them changes or disappears. Changes come as new migrations.
//
// # Tests
//
// Sources is everything that builds a database; internal/testdb hashes it (Sources.Hash)
// to name its pgtestdb templates, so changing any file here or sql/schema.sql gives the
// tests a freshly migrated template.
package migrations

import (
	"embed"
	"io/fs"
)

// FS holds the shape layer's migration files.
//
//go:embed *.sql
var FS embed.FS

//go:embed target/*.sql
var targetFiles embed.FS

// TargetFS holds the target set's goose SQL files (version 2 on) at its root.
var TargetFS fs.FS = mustSub(targetFiles, "target")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic("migrations: " + err.Error())
	}
	return sub
}
