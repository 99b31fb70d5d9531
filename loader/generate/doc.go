// Package generate is `loader generate`: deterministic, relational synthetic chat data
// drawn from a distribution spec and streamed into a synthetic target with binary COPY.
//
// # Determinism
//
// The root seed string becomes a uint64 (SHA-256). Every entity draws from its own
// stream, rand.NewPCG(seedHash ^ tag, entityID), one tag per table or aspect (a
// conversation's kind and size, its members, its message times, senders, media,
// text, receipts, attachment sizes), so a row is a pure function of (seed, spec,
// band, id). Any split of the work, by Options.Workers or by Options.Shard, gives the
// same rows.
//
// # Sizes
//
// The band gives M messages. Each active conversation's count is the count model's
// quantile at its stratum (s + ½)/A, strata assigned through a seeded bijective
// permutation of conversation indexes (a Feistel network), with the heavy-room
// multiplier above the (1 − percentage) quantile; A is solved so the counts sum to
// about M; C = A / (1 − inactive_ratio) conversations, the lowest C − A ranks
// inactive; U = M · users.per_message users.
//
// # Ids and order
//
// Ids are dense and follow the primary key: a conversation's messages are a
// contiguous id block in created_at order, blocks in conversation order; attachments
// follow their messages. A small plan (message and attachment counts per 1024
// conversations) lets any worker start anywhere. Every COPY stream feeds its rows in
// key order.
//
// # Loading
//
// Rows are encoded by hand in PostgreSQL's binary COPY format and streamed through
// pgconn's CopyFrom from an io.Reader that generates on demand: one 256 KiB buffer
// per stream, no per-row allocation, memory independent of the band. A run loads a
// private staging schema (sql/schema.sql part 1) over several connections, builds
// the keys, foreign keys and indexes there (part 2), then swaps the tables into
// public in one transaction that also re-creates the dependent views and records the
// load in pgshape.synthetic_target. A shard is appended instead. See
// docs/generate.md.
package generate
