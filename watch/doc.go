// Package watch follows production's logical replication stream (pgoutput, protocol
// version 2, streaming on) and keeps only counters: the shape of the writes, never the
// writes. `loader watch` runs it; docs/watch.md is the operator's guide.
//
// # What it keeps
//
// An Aggregator holds the 7×24 arrival profile (by commit time, and by created_at as the
// shape document defines it), the inter-arrival histogram (gaps between consecutive
// messages of the stream, by commit time) and the per-conversation gap histogram (the
// shape document's inter_arrival_histogram_seconds, with its burst coefficient), the
// burst coefficient over fixed one-minute windows, rows per transaction, commit time
// minus created_at, read delay through a bounded map of recent messages (receipts it
// cannot match are counted), and messages per minute. All histograms use the shape
// document's bucket grids (shape/grid.go).
//
// Identifiers (conversation and message ids) live only in bounded in-memory maps, to
// pair a gap with its previous message or a receipt with its message; nothing
// row-level is ever written, logged or returned. Text columns are refused before the
// stream starts (see Gate) and again whenever a Relation message shows one.
//
// # Transactions
//
// Every transaction is applied to a delta (counters of that transaction alone) and
// merged into the aggregate at its commit. A streamed transaction (Stream Start … Stop,
// possibly interleaved with others) keeps one delta per (sub)transaction xid until Stream
// Commit, and a Stream Abort discards exactly the aborted subtransaction's delta, or all
// of them when the top-level transaction aborts. Nothing is spilled to disk.
//
// # Snapshots and drift
//
// Snapshot renders the aggregate as a shape document for the families it covers (with
// k-anonymity applied as the export does) plus the watch's own figures and its
// coverage; Drift compares it with a baseline through validate.Compare and reports one
// verdict per family.
package watch
