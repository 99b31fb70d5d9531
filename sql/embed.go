// Package refschema (folder sql/) embeds the reference chat schema so that the target migration and the
// generator run the very file a DBA reads.
package refschema

import (
	_ "embed"
	"strings"
)

// Schema is sql/schema.sql: the reference chat schema, tables first, then (after the
// post-load marker) keys, foreign keys and indexes.
//
//go:embed schema.sql
var Schema string

// PostLoadMarker separates the table definitions from the keys and indexes in Schema.
const PostLoadMarker = "-- pgshape:post-load"

// SchemaParts returns the table definitions and the post-load DDL (keys, foreign keys,
// indexes) of the reference schema, split at PostLoadMarker.
func SchemaParts() (tables, postLoad string) {
	i := strings.Index(Schema, PostLoadMarker)
	if i < 0 {
		panic("refschema: schema.sql lacks the post-load marker")
	}
	return Schema[:i], Schema[i:]
}
