// Package loader does pgshape's database work. It holds no statistics: those live in
// packages fit and stats.
//
// # Connecting
//
// ResolveURL picks the server (--database-url, else DATABASE_URL, else the libpq PG*
// variables, else 127.0.0.1:5432 as postgres); Connect turns the usual failures into
// one line that says what to do and never repeats a password.
//
// # Migrating
//
// Migrate runs goose's Provider over the embedded shape layer (migrations.FS:
// shape_source, shape, shape_reader). With Target it first installs the reference chat
// schema (sql/schema.sql) and the synthetic-target mark pgshape.synthetic_target,
// under goose's version table pgshape_target_version.
//
// # Sampling
//
// Export runs shape.export on any database and returns the parsed shape document.
// Sample is `loader sample`: one READ ONLY, REPEATABLE READ transaction, one
// shape.export (the families share its passes), atomic 0600 output, and the mapping
// manifest (HMAC-SHA-256
// tokens of the source views and a PBKDF2 salt fingerprint; the salt never reaches the
// database).
//
// # Targets
//
// ReadTargetMark and RecordLoad read and write the mark that `loader generate`
// requires; the generator itself is package loader/generate.
package loader
