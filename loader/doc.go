// Package loader does pgshape's database work: migrations (the shape layer, and the
// reference schema for synthetic targets), sampling a shape document, generating and
// streaming synthetic rows with COPY, and the query side of validation. It holds no
// statistics: those live in fit and stats.
package loader
