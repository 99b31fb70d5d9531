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
// Migrate is `loader migrate`: it connects, prints the server's notices, and hands the
// work to package migrations, which holds both goose sets (the shape layer, and the
// target set with the synthetic-target mark) and their Providers.
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
