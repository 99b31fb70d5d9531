package watch

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Column is a published column: its name and its type's OID.
type Column struct {
	Name    string
	TypeOID uint32
}

// Allowlist maps a table name to the columns a publication may publish from it. Only
// identifiers, foreign keys, timestamps and a boolean media flag: never text.
type Allowlist map[string][]string

// ReferenceAllowlist is the allowlist of the reference schema (sql/schema.sql), a
// superset of what WatchSetupSQL publishes. has_media is a boolean a production schema
// may carry; the reference schema's media_kind is text and stays out.
var ReferenceAllowlist = Allowlist{
	"users":                {"id", "created_at"},
	"conversations":        {"id", "created_at"},
	"conversation_members": {"conversation_id", "user_id", "joined_at"},
	"messages":             {"id", "conversation_id", "sender_id", "created_at", "has_media"},
	"read_receipts":        {"message_id", "reader_id", "read_at"},
	"attachments":          {"id", "message_id"},
}

// Type OIDs a published column may have: integers, timestamps and booleans.
var allowedTypes = map[uint32]string{16: "boolean", 20: "bigint", 21: "smallint", 23: "integer",
	1114: "timestamp", 1184: "timestamptz"}

// Check returns an error naming the first published column of table that the
// allowlist does not hold or whose type is not an integer, timestamp or boolean.
func (a Allowlist) Check(table string, cols []Column) error {
	allowed, ok := a[table]
	if !ok {
		return fmt.Errorf("table %q, which is not on the watch's allowlist", table)
	}
	for _, c := range cols {
		if !slices.Contains(allowed, c.Name) {
			return fmt.Errorf("column %s.%s, which is not on the watch's allowlist (%s)", table, c.Name, strings.Join(allowed, ", "))
		}
		if _, ok := allowedTypes[c.TypeOID]; !ok {
			return fmt.Errorf("column %s.%s of type oid %d: only integers, timestamps and booleans may be published", table, c.Name, c.TypeOID)
		}
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidName checks a publication or slot name: lower-case letters, digits and
// underscores, at most 63 bytes, not starting with a digit. what names it in the error.
func ValidName(what, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("error checking the %s name %q: use lower-case letters, digits and underscores (at most 63, not starting with a digit)", what, name)
	}
	return nil
}

// ErrGate marks a publication the watch refuses before it starts.
var ErrGate = errors.New("publication refused")

// CheckPublication checks publication pub on the connected database against the
// privacy gates: it exists; it publishes inserts only (no update, delete or truncate;
// and not FOR ALL TABLES / TABLES IN SCHEMA, which cannot carry column lists); every
// table has a column list, a subset of allow; no table has a row filter. Each refusal
// is one line naming what is wrong and what to do.
func CheckPublication(ctx context.Context, conn *pgx.Conn, pub string, allow Allowlist) error {
	var allTables, ins, upd, del, trunc bool
	err := conn.QueryRow(ctx, `SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate
		FROM pg_catalog.pg_publication WHERE pubname = $1`, pub).Scan(&allTables, &ins, &upd, &del, &trunc)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: publication %s does not exist in this database: create it with `loader watch-setup` or as docs/watch.md shows", ErrGate, pub)
	}
	if err != nil {
		return fmt.Errorf("error reading publication %s: %w", pub, err)
	}
	if allTables {
		return fmt.Errorf("%w: publication %s is FOR ALL TABLES: publish only the allowlisted columns of the chat tables (see `loader watch-setup`)", ErrGate, pub)
	}
	if !ins || upd || del || trunc {
		return fmt.Errorf("%w: publication %s must publish inserts only: ALTER PUBLICATION %s SET (publish = 'insert')", ErrGate, pub, pub)
	}
	var schemas int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_publication_namespace pn
		JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid WHERE p.pubname = $1`, pub).Scan(&schemas); err != nil {
		return fmt.Errorf("error reading publication %s: %w", pub, err)
	}
	if schemas > 0 {
		return fmt.Errorf("%w: publication %s publishes TABLES IN SCHEMA, which has no column list: publish each table with a column list (see `loader watch-setup`)", ErrGate, pub)
	}
	rows, err := conn.Query(ctx, `SELECT c.relname, pr.prattrs IS NULL, pr.prqual IS NOT NULL,
			coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs)), '{}'),
			coalesce((SELECT array_agg(a.atttypid::int8 ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs)), '{}')
		FROM pg_catalog.pg_publication_rel pr
		JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
		JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
		WHERE p.pubname = $1 ORDER BY c.relname`, pub)
	if err != nil {
		return fmt.Errorf("error reading the tables of publication %s: %w", pub, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var rel string
		var noList, filter bool
		var names []string
		var types []int64
		if err := rows.Scan(&rel, &noList, &filter, &names, &types); err != nil {
			return fmt.Errorf("error reading the tables of publication %s: %w", pub, err)
		}
		n++
		if noList {
			return fmt.Errorf("%w: publication %s publishes every column of %s: give it a column list of allowlisted columns (%s)", ErrGate, pub, rel, strings.Join(allow[rel], ", "))
		}
		if filter {
			return fmt.Errorf("%w: publication %s has a row filter on %s: drop it (a filter makes the counts a biased sample)", ErrGate, pub, rel)
		}
		cols := make([]Column, len(names))
		for i := range names {
			cols[i] = Column{Name: names[i], TypeOID: uint32(types[i])}
		}
		if err := allow.Check(rel, cols); err != nil {
			return fmt.Errorf("%w: publication %s publishes %v", ErrGate, pub, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error reading the tables of publication %s: %w", pub, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: publication %s has no tables: add the chat tables with column lists (see `loader watch-setup`)", ErrGate, pub)
	}
	return nil
}

// WatchColumns are the columns WatchSetupSQL publishes: exactly what the aggregator
// reads, a subset of ReferenceAllowlist.
var WatchColumns = map[string][]string{
	"conversations":        {"id", "created_at"},
	"conversation_members": {"conversation_id"},
	"messages":             {"id", "conversation_id", "created_at"},
	"read_receipts":        {"message_id", "read_at"},
}

// WatchSetupSQL returns the statement a DBA runs on production to create publication
// pub for the reference schema's tables in schema: inserts only, each table with a
// column list of the columns the watch reads. Names are validated and quoted.
func WatchSetupSQL(pub, schema string) (string, error) {
	if err := ValidName("publication", pub); err != nil {
		return "", err
	}
	if err := ValidName("schema", schema); err != nil {
		return "", err
	}
	tables := make([]string, 0, len(WatchColumns))
	for t := range WatchColumns {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	parts := make([]string, len(tables))
	for i, t := range tables {
		cols := make([]string, len(WatchColumns[t]))
		for j, c := range WatchColumns[t] {
			cols[j] = pgx.Identifier{c}.Sanitize()
		}
		parts[i] = pgx.Identifier{schema, t}.Sanitize() + " (" + strings.Join(cols, ", ") + ")"
	}
	return "CREATE PUBLICATION " + pgx.Identifier{pub}.Sanitize() + " FOR TABLE\n    " +
		strings.Join(parts, ",\n    ") + "\n    WITH (publish = 'insert')", nil
}
