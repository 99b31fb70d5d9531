package generate

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/pgshape/pgshape/loader"
	"github.com/pgshape/pgshape/shape"
	refschema "github.com/pgshape/pgshape/sql"
)

// stagingPrefix names the private schemas a run loads into before the swap.
const stagingPrefix = "pgshape_gen_"

// ErrTargetNotEmpty means the target's tables hold rows and Truncate was not set.
var ErrTargetNotEmpty = errors.New("the target already holds rows")

// TableResult is what one table received.
type TableResult struct {
	Name    string  `json:"name"`
	Rows    int64   `json:"rows"`
	Bytes   int64   `json:"copy_bytes"`
	Seconds float64 `json:"copy_seconds"`
}

// Result describes a completed load.
type Result struct {
	Band                string        `json:"band"`
	Seed                string        `json:"seed"`
	SpecSHA256          string        `json:"spec_sha256"`
	Shard               string        `json:"shard,omitempty"`
	WindowEnd           time.Time     `json:"window_end"`
	WindowDays          int           `json:"window_days"`
	RequestedMessages   int64         `json:"requested_messages"`
	Users               int64         `json:"users"`
	Conversations       int64         `json:"conversations"`
	ActiveConversations int64         `json:"active_conversations"`
	Tables              []TableResult `json:"tables"`
	// Phases in seconds: plan, copy, post_load (keys, FKs, indexes), swap.
	Phases       map[string]float64 `json:"phase_seconds"`
	TotalSeconds float64            `json:"total_seconds"`
	// Shape is the shape document of the target after the load (nil when the shape
	// layer has no shape.export yet).
	Shape      *shape.Document `json:"shape,omitempty"`
	ReportPath string          `json:"-"`
}

// Rows returns the row count of table name.
func (r *Result) Rows(name string) int64 {
	for _, t := range r.Tables {
		if t.Name == name {
			return t.Rows
		}
	}
	return 0
}

// Run generates the dataset and loads it into the synthetic target at opts.URL: into
// a private staging schema with parallel COPY, then keys, then one swap transaction.
// Progress goes to opts.Progress; a summary to out.
func Run(ctx context.Context, opts Options, out io.Writer) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	s := opts.Spec
	res := &Result{Band: opts.Band, Seed: opts.Seed, SpecSHA256: s.SHA256(), Shard: opts.Shard.String(),
		WindowEnd: s.Window.End.UTC(), WindowDays: s.Window.Days, RequestedMessages: opts.messages(),
		Phases: map[string]float64{}}

	conn, err := loader.ConnectOne(ctx, opts.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	mark, err := loader.ReadTargetMark(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(ctx, conn, &opts, res, mark); err != nil {
		return nil, err
	}
	if err := dropStaleStaging(ctx, conn); err != nil {
		return nil, err
	}
	staging, err := createStaging(ctx, conn)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			dropStaging(opts.URL, conn, staging)
		}
	}()

	tp := time.Now()
	m, err := newModel(s, opts.Seed, opts.messages())
	if err != nil {
		return nil, err
	}
	p, err := newPlan(ctx, m, opts.Shard, opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("error planning the dataset: %w", err)
	}
	res.Users, res.Conversations, res.ActiveConversations = m.users, m.convs, m.active
	res.Phases["plan"] = time.Since(tp).Seconds()
	fmt.Fprintf(out, "[Generate] band %s: %d messages in %d conversations (%d active) among %d users%s\n",
		opts.Band, p.messages, p.hi-p.lo, m.active, m.users, shardNote(opts.Shard))

	tc := time.Now()
	tables, err := copyAll(ctx, &opts, p, staging)
	if err != nil {
		return nil, err
	}
	res.Tables = tables
	res.Phases["copy"] = time.Since(tc).Seconds()

	if !opts.Shard.sharded() {
		tk := time.Now()
		if err := postLoad(ctx, &opts, staging, tables); err != nil {
			return nil, interrupted(ctx, "building the keys", err)
		}
		res.Phases["post_load"] = time.Since(tk).Seconds()
	}

	ts := time.Now()
	rec := loader.TargetMark{Band: opts.Band, Seed: opts.Seed, SpecSHA256: res.SpecSHA256,
		Messages: p.messages, WindowEnd: &res.WindowEnd, WindowDays: s.Window.Days}
	if opts.Shard.sharded() {
		err = appendShard(ctx, conn, &opts, staging, rec)
	} else {
		err = swap(ctx, conn, &opts, staging, rec)
	}
	if err != nil {
		return nil, interrupted(ctx, "swapping in the loaded tables", err)
	}
	committed = true
	res.Phases["swap"] = time.Since(ts).Seconds()
	res.TotalSeconds = time.Since(t0).Seconds()

	if !opts.NoShape {
		te := time.Now()
		if res.Shape, err = exportShape(ctx, conn, s.Window.Days, res.WindowEnd, out); err != nil {
			return nil, err
		}
		res.Phases["shape_export"] = time.Since(te).Seconds()
	}
	summarize(out, res)
	if opts.ReportDir != "" {
		if res.ReportPath, err = writeReport(opts.ReportDir, res); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "[Generate] report → %s\n", res.ReportPath)
	}
	return res, nil
}

// interrupted names an interruption (Ctrl-C) as such: err then carries only
// context.Canceled, or a statement's error caused by it.
func interrupted(ctx context.Context, doing string, err error) error {
	if ctx.Err() == nil || strings.Contains(err.Error(), "interrupted") {
		return err
	}
	return fmt.Errorf("error %s: interrupted, the target is unchanged: %w", doing, ctx.Err())
}

func shardNote(s Shard) string {
	if !s.sharded() {
		return ""
	}
	return " (shard " + s.String() + ")"
}

func qualified(schema, table string) string { return pgx.Identifier{schema, table}.Sanitize() }

// checkTarget refuses a target whose tables are missing, or hold rows without
// Truncate (a shard may join rows of other shards of the same run).
func checkTarget(ctx context.Context, conn *pgx.Conn, opts *Options, res *Result, mark loader.TargetMark) error {
	for _, t := range Tables {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+t).Scan(&ok); err != nil {
			return fmt.Errorf("error checking the target table public.%s: %w", t, err)
		}
		if !ok {
			return fmt.Errorf("error checking the target: public.%s does not exist: run `loader migrate --target` first", t)
		}
	}
	if opts.Truncate {
		return nil
	}
	full, err := nonEmpty(ctx, conn)
	if err != nil || full == "" {
		return err
	}
	if opts.Shard.sharded() {
		return shardCompatible(mark, opts, res.SpecSHA256, full)
	}
	return fmt.Errorf("%w in public.%s: pass --truncate to replace the target's chat tables", ErrTargetNotEmpty, full)
}

// nonEmpty returns the first target table holding rows, or "".
func nonEmpty(ctx context.Context, q loader.Querier) (string, error) {
	for _, t := range Tables {
		var has bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+qualified("public", t)+`)`).Scan(&has); err != nil {
			return "", fmt.Errorf("error checking whether public.%s holds rows: %w", t, err)
		}
		if has {
			return t, nil
		}
	}
	return "", nil
}

// shardCompatible accepts a non-empty target when it holds other shards of the same
// band, seed, spec and shard count.
func shardCompatible(mark loader.TargetMark, opts *Options, sha, table string) error {
	loaded := strings.Split(mark.Shard, ",")
	if mark.Band != opts.Band || mark.Seed != opts.Seed || mark.SpecSHA256 != sha || mark.Shard == "" {
		return fmt.Errorf("%w in public.%s from another load (band %q, shards %q): pass --truncate to replace them", ErrTargetNotEmpty, table, mark.Band, mark.Shard)
	}
	for _, l := range loaded {
		var i, n int
		if _, err := fmt.Sscanf(l, "%d/%d", &i, &n); err != nil || n != opts.Shard.Count {
			return fmt.Errorf("%w from shards %q of another shard count: pass --truncate to replace them", ErrTargetNotEmpty, mark.Shard)
		}
		if i == opts.Shard.Index {
			return fmt.Errorf("%w: shard %s is already loaded: pass --truncate to start over", ErrTargetNotEmpty, opts.Shard)
		}
	}
	return nil
}

// createStaging creates a private staging schema holding the reference tables
// (schema.sql part 1) and takes the session advisory lock that marks it as alive.
func createStaging(ctx context.Context, conn *pgx.Conn) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("error naming the staging schema: %w", err)
	}
	key := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	name := fmt.Sprintf("%s%016x", stagingPrefix, key)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return "", fmt.Errorf("error locking the staging schema %s: %w", name, err)
	}
	tables, _ := refschema.SchemaParts()
	id := pgx.Identifier{name}.Sanitize()
	sql := "CREATE SCHEMA " + id + "; SET search_path TO " + id + ";\n" + tables + "\nRESET search_path;"
	if _, err := conn.Exec(ctx, sql); err != nil {
		return "", fmt.Errorf("error creating the staging schema %s: %w", name, err)
	}
	return name, nil
}

// dropStaging removes a run's own staging schema after a failure, over a fresh
// connection when the run's own is gone: closed by an interrupted query, or dead
// without pgx knowing yet (its backend terminated, the server restarted). Best effort:
// a kill leaves it to the next run's dropStaleStaging.
func dropStaging(url string, conn *pgx.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	drop := `DROP SCHEMA IF EXISTS ` + pgx.Identifier{name}.Sanitize() + ` CASCADE`
	if !conn.IsClosed() {
		if _, err := conn.Exec(ctx, drop); err == nil {
			return
		}
	}
	c, err := loader.ConnectOne(ctx, url)
	if err != nil {
		return
	}
	defer c.Close(ctx)
	_, _ = c.Exec(ctx, drop)
}

// dropStaleStaging drops the staging schemas of runs that are gone: a live run holds
// the advisory lock named by its schema, a killed one released it with its session.
func dropStaleStaging(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, stagingPrefix+"%")
	if err != nil {
		return fmt.Errorf("error listing staging schemas: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("error listing staging schemas: %w", err)
	}
	for _, n := range names {
		key, err := strconv.ParseUint(strings.TrimPrefix(n, stagingPrefix), 16, 63)
		if err != nil {
			continue // not ours
		}
		var free bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(key)).Scan(&free); err != nil {
			return fmt.Errorf("error checking staging schema %s: %w", n, err)
		}
		if !free {
			continue // a concurrent run is using it
		}
		_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{n}.Sanitize()+` CASCADE`)
		if _, uerr := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(key)); err == nil {
			err = uerr
		}
		if err != nil {
			return fmt.Errorf("error dropping the stale staging schema %s: %w", n, err)
		}
	}
	return nil
}

// copyTask is one COPY: one table over one range.
type copyTask struct {
	table string
	make  func(g *gen) producer
}

type tableStat struct {
	rows, bytes atomic.Int64
	expected    int64 // 0: unknown
	first, last atomic.Int64
}

// copyAll streams every table of the run into the staging schema over opts.Workers
// connections, each task a COPY of one table over one conversation (or user) range.
func copyAll(ctx context.Context, opts *Options, p *plan, staging string) ([]TableResult, error) {
	m := p.m
	stats := map[string]*tableStat{}
	for _, t := range Tables {
		stats[t] = &tableStat{}
	}
	stats[tMessages].expected = p.messages
	stats[tAttachments].expected = p.attachs
	stats[tConversations].expected = p.hi - p.lo
	stats[tUsers].expected = m.users

	target := max(int64(10_000), p.messages/int64(4*opts.Workers))
	ranges := p.ranges(target)
	var tasks []copyTask
	ids := newGen(m)
	for _, r := range ranges {
		msgID, attID := p.idsAt(ids, r[0])
		tasks = append(tasks,
			copyTask{tMessages, func(g *gen) producer { return newMessagesProducer(g, r[0], r[1], msgID) }},
			copyTask{tReceipts, func(g *gen) producer { return newReceiptsProducer(g, r[0], r[1], msgID) }})
		tasks = append(tasks, copyTask{tAttachments, func(g *gen) producer {
			return &attachmentsProducer{g: g, next: r[0], hi: r[1], nextMsg: msgID, nextAttach: attID}
		}})
	}
	for _, r := range ranges {
		tasks = append(tasks,
			copyTask{tMembers, func(g *gen) producer { return &membersProducer{g: g, next: r[0], hi: r[1]} }},
			copyTask{tConversations, func(g *gen) producer { return &convProducer{g: g, next: r[0], hi: r[1]} }})
	}
	const usersPerTask = 1_000_000
	for lo := int64(1); lo <= m.users; lo += usersPerTask {
		hi := min(lo+usersPerTask-1, m.users)
		tasks = append(tasks, copyTask{tUsers, func(g *gen) producer { return &usersProducer{g: g, next: lo, hi: hi} }})
	}

	prog := startProgress(opts.Progress, stats)
	defer prog.stop()

	eg, ectx := errgroup.WithContext(ctx)
	queue := make(chan copyTask)
	for range min(opts.Workers, len(tasks)) {
		eg.Go(func() error {
			conn, err := loader.ConnectOne(ectx, opts.URL)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			g := newGen(m)
			for t := range queue {
				st := stats[t.table]
				now := time.Now().UnixNano()
				st.first.CompareAndSwap(0, now)
				var r io.Reader = &copyReader{p: t.make(g), rows: &st.rows, bytes: &st.bytes}
				if pauseAt == "copy" {
					r = &pausingReader{ctx: ectx, r: r}
				}
				sql := "COPY " + qualified(staging, t.table) + " (" + strings.Join(tableColumns[t.table], ", ") + ") FROM STDIN (FORMAT binary)"
				if _, err := conn.PgConn().CopyFrom(ectx, r, sql); err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("error loading %s: interrupted: %w", t.table, ctx.Err())
					}
					return fmt.Errorf("error loading %s into the staging schema: %w", t.table, err)
				}
				st.last.Store(time.Now().UnixNano())
			}
			return nil
		})
	}
	eg.Go(func() error {
		defer close(queue)
		for _, t := range tasks {
			select {
			case queue <- t:
			case <-ectx.Done():
				return nil
			}
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("error loading the dataset: interrupted: %w", err)
	}
	prog.stop()
	var out []TableResult
	for _, t := range Tables {
		st := stats[t]
		out = append(out, TableResult{Name: t, Rows: st.rows.Load(), Bytes: st.bytes.Load(),
			Seconds: float64(st.last.Load()-st.first.Load()) / 1e9})
	}
	return out, nil
}

// postLoad runs schema.sql part 2 (keys, checks, indexes, then foreign keys) in the
// staging schema, spread over opts.Workers connections, statements on the largest
// tables first so that the small ones fill the gaps.
func postLoad(ctx context.Context, opts *Options, staging string, tables []TableResult) error {
	_, part2 := refschema.SchemaParts()
	var plain, fks []string
	for _, st := range splitStatements(part2) {
		if strings.Contains(st, "FOREIGN KEY") {
			fks = append(fks, st)
		} else {
			plain = append(plain, st)
		}
	}
	rows := func(st string) int64 {
		for _, t := range tables {
			if strings.Contains(st, " "+t.Name+" ") {
				return t.Rows
			}
		}
		return 0
	}
	bySize := func(a, b string) int { return cmp.Compare(rows(b), rows(a)) }
	slices.SortStableFunc(plain, bySize)
	slices.SortStableFunc(fks, bySize)
	// Statistics first: the foreign-key checks are joins, planned blind on tables
	// never analysed.
	var analyze []string
	for _, t := range Tables {
		analyze = append(analyze, "ANALYZE "+pgx.Identifier{t}.Sanitize())
	}
	// A foreign key added with its check takes SHARE ROW EXCLUSIVE on both tables, so
	// every key touching messages would wait for the previous one. Added NOT VALID
	// (no scan) and then validated, the checks take only SHARE UPDATE EXCLUSIVE on the
	// referencing table and ROW SHARE on the referenced one, and run side by side. The
	// catalog ends the same: a validated foreign key.
	var addFKs, validate []string
	for _, st := range fks {
		m := addConstraint.FindStringSubmatch(st)
		if m == nil {
			addFKs = append(addFKs, st)
			continue
		}
		addFKs = append(addFKs, strings.TrimSuffix(strings.TrimSpace(st), ";")+" NOT VALID;")
		validate = append(validate, "ALTER TABLE "+m[1]+" VALIDATE CONSTRAINT "+m[2]+";")
	}
	for _, group := range [][]string{analyze, plain, addFKs, validate} {
		if err := runParallel(ctx, opts, staging, group); err != nil {
			return err
		}
	}
	return nil
}

// addConstraint reads the table and constraint of "ALTER TABLE t ADD CONSTRAINT c …".
var addConstraint = regexp.MustCompile(`(?s)^ALTER TABLE\s+(\S+)\s+ADD CONSTRAINT\s+(\S+)\s`)

// splitStatements splits plain DDL at semicolons that end a line, dropping comments.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	return out
}

// runParallel runs independent statements over several connections with the staging
// schema first on the search_path. Statements on one table wait for each other's
// locks; the others proceed.
func runParallel(ctx context.Context, opts *Options, staging string, stmts []string) error {
	eg, ectx := errgroup.WithContext(ctx)
	queue := make(chan string)
	for range min(opts.Workers, len(stmts)) {
		eg.Go(func() error {
			conn, err := loader.ConnectOne(ectx, opts.URL)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(ectx, "SET search_path TO "+pgx.Identifier{staging}.Sanitize()+"; SET maintenance_work_mem = '256MB'; SET work_mem = '256MB'"); err != nil {
				return fmt.Errorf("error preparing the post-load session: %w", err)
			}
			for st := range queue {
				t0 := time.Now()
				if _, err := conn.Exec(ectx, st); err != nil {
					return fmt.Errorf("error building keys in the staging schema (%s): %w", firstLine(st), err)
				}
				if err := pauseUnless(ectx, "keys", strings.HasPrefix(st, "ANALYZE")); err != nil {
					return err
				}
				if opts.Progress != nil {
					fmt.Fprintf(opts.Progress, "[Generate] keys %5.1fs %s\n", time.Since(t0).Seconds(), firstLine(st))
				}
			}
			return nil
		})
	}
	eg.Go(func() error {
		defer close(queue)
		for _, st := range stmts {
			select {
			case queue <- st:
			case <-ectx.Done():
				return nil
			}
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// viewDef is a view that depends (directly or through other views) on a target table.
type viewDef struct {
	schema, name, def, owner, comment string
	options                           []string
	grants                            []string // GRANT statements minus the object
	depth                             int
}

// captureViews reads the definitions of every view depending on the target tables,
// ordered so that a view comes after the views it reads. search_path must be
// pg_catalog so that pg_get_viewdef qualifies every name.
func captureViews(ctx context.Context, tx pgx.Tx) ([]viewDef, error) {
	var oids []string
	for _, t := range Tables {
		oids = append(oids, "'public."+t+"'::regclass")
	}
	rows, err := tx.Query(ctx, `
WITH RECURSIVE dep(oid, depth) AS (
    SELECT r.ev_class, 1
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid IN (`+strings.Join(oids, ", ")+`) AND r.ev_class <> d.refobjid
    UNION
    SELECT r.ev_class, dep.depth + 1
    FROM dep JOIN pg_depend d ON d.refobjid = dep.oid AND d.refclassid = 'pg_class'::regclass
         AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE r.ev_class <> dep.oid
)
SELECT n.nspname, c.relname, c.relkind::text, pg_get_viewdef(c.oid), pg_get_userbyid(c.relowner),
       coalesce(obj_description(c.oid, 'pg_class'), ''), coalesce(c.reloptions, '{}'),
       coalesce((SELECT array_agg(format('GRANT %s ON %%s TO %s%s', a.privilege_type,
                     CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END))
                 FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner), '{}'),
       max(dep.depth)
FROM dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace
GROUP BY n.nspname, c.relname, c.relkind, c.oid
ORDER BY max(dep.depth), n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("error reading the views over the target tables: %w", err)
	}
	var out []viewDef
	for rows.Next() {
		var v viewDef
		var kind string
		if err := rows.Scan(&v.schema, &v.name, &kind, &v.def, &v.owner, &v.comment, &v.options, &v.grants, &v.depth); err != nil {
			rows.Close()
			return nil, fmt.Errorf("error reading the views over the target tables: %w", err)
		}
		if kind != "v" {
			rows.Close()
			return nil, fmt.Errorf("error swapping the target tables: %s.%s (relkind %s) depends on them and is not a plain view: drop it, load, and re-create it", v.schema, v.name, kind)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("error reading the views over the target tables: %w", err)
	}
	return out, nil
}

func (v viewDef) ident() string { return pgx.Identifier{v.schema, v.name}.Sanitize() }

// recreate creates the view again with its options, comment, grants and owner.
func (v viewDef) recreate(ctx context.Context, tx pgx.Tx) error {
	with := ""
	if len(v.options) > 0 {
		with = " WITH (" + strings.Join(v.options, ", ") + ")"
	}
	stmts := []string{"CREATE VIEW " + v.ident() + with + " AS " + v.def}
	if v.comment != "" {
		stmts = append(stmts, "COMMENT ON VIEW "+v.ident()+" IS "+quoteLiteral(v.comment))
	}
	for _, g := range v.grants {
		stmts = append(stmts, fmt.Sprintf(g, v.ident()))
	}
	stmts = append(stmts, "ALTER VIEW "+v.ident()+" OWNER TO "+pgx.Identifier{v.owner}.Sanitize())
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st); err != nil {
			return fmt.Errorf("error re-creating the view %s.%s: %w", v.schema, v.name, err)
		}
	}
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// swap replaces the target's tables with the staging ones in one transaction: lock,
// capture and drop the dependent views, drop the old tables, move the new ones into
// public, re-create the views, reset owned sequences, record the load. Until COMMIT
// the target is untouched.
func swap(ctx context.Context, conn *pgx.Conn, opts *Options, staging string, rec loader.TargetMark) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("error starting the swap transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var pub []string
	for _, t := range Tables {
		pub = append(pub, qualified("public", t))
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path TO pg_catalog`); err != nil {
		return fmt.Errorf("error preparing the swap: %w", err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(pub, ", ")+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("error locking the target tables for the swap: %w", err)
	}
	if !opts.Truncate {
		full, err := nonEmpty(ctx, tx)
		if err != nil {
			return err
		}
		if full != "" {
			return fmt.Errorf("%w in public.%s (written during the load): pass --truncate to replace them", ErrTargetNotEmpty, full)
		}
	}
	views, err := captureViews(ctx, tx)
	if err != nil {
		return err
	}
	for _, v := range slices.Backward(views) {
		if _, err := tx.Exec(ctx, `DROP VIEW `+v.ident()); err != nil {
			return fmt.Errorf("error dropping the view %s.%s for the swap: %w", v.schema, v.name, err)
		}
	}
	slices.Reverse(pub)
	if _, err := tx.Exec(ctx, `DROP TABLE `+strings.Join(pub, ", ")); err != nil {
		return fmt.Errorf("error dropping the old target tables (does another object depend on them?): %w", err)
	}
	for _, t := range Tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+qualified(staging, t)+` SET SCHEMA public`); err != nil {
			return fmt.Errorf("error moving %s into public: %w", t, err)
		}
	}
	for _, v := range views {
		if err := v.recreate(ctx, tx); err != nil {
			return err
		}
	}
	if err := resetSequences(ctx, tx); err != nil {
		return err
	}
	if err := pause(ctx, "swap"); err != nil {
		return err
	}
	return finish(ctx, tx, staging, rec)
}

// resetSequences moves every sequence owned by a target column (identity or serial;
// the reference schema has none) past the column's largest value.
func resetSequences(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, pg_get_serial_sequence(format('public.%I', c.relname), a.attname)
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
		  AND pg_get_serial_sequence(format('public.%I', c.relname), a.attname) IS NOT NULL`, Tables)
	if err != nil {
		return fmt.Errorf("error listing the target's sequences: %w", err)
	}
	type seq struct{ table, column, seq string }
	var seqs []seq
	for rows.Next() {
		var s seq
		if err := rows.Scan(&s.table, &s.column, &s.seq); err != nil {
			rows.Close()
			return fmt.Errorf("error listing the target's sequences: %w", err)
		}
		seqs = append(seqs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error listing the target's sequences: %w", err)
	}
	for _, s := range seqs {
		col := pgx.Identifier{s.column}.Sanitize()
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval($1, coalesce((SELECT max(%s) FROM %s), 0) + 1, false)`,
			col, qualified("public", s.table)), s.seq); err != nil {
			return fmt.Errorf("error resetting the sequence of public.%s.%s: %w", s.table, s.column, err)
		}
	}
	return nil
}

// finish records the load, drops the (now empty) staging schema and commits.
func finish(ctx context.Context, tx pgx.Tx, staging string, rec loader.TargetMark) error {
	if err := loader.RecordLoad(ctx, tx, rec); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{staging}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("error dropping the staging schema: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("error committing the load: %w", err)
	}
	return nil
}

// appendShard appends a shard's rows to the target in one transaction: users with ON
// CONFLICT DO NOTHING (every shard carries all of them, identical), the other tables
// as they are; the target's keys and foreign keys check every row. Shard loads
// serialise on the mark row, so parallel shards each commit whole or not at all.
func appendShard(ctx context.Context, conn *pgx.Conn, opts *Options, staging string, rec loader.TargetMark) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("error starting the append transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT 1 FROM pgshape.synthetic_target FOR UPDATE`); err != nil {
		return fmt.Errorf("error locking the synthetic-target mark: %w", err)
	}
	mark, err := loader.ReadTargetMark(ctx, tx)
	if err != nil {
		return err
	}
	loaded := ""
	if opts.Truncate {
		var pub []string
		for _, t := range Tables {
			pub = append(pub, qualified("public", t))
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(pub, ", ")); err != nil {
			return fmt.Errorf("error truncating the target tables: %w", err)
		}
	} else {
		full, err := nonEmpty(ctx, tx)
		if err != nil {
			return err
		}
		if full != "" {
			if err := shardCompatible(mark, opts, rec.SpecSHA256, full); err != nil {
				return err
			}
			loaded = mark.Shard
			rec.Messages += mark.Messages
		}
	}
	for _, t := range Tables {
		cols := strings.Join(tableColumns[t], ", ")
		sql := `INSERT INTO ` + qualified("public", t) + ` (` + cols + `) SELECT ` + cols + ` FROM ` +
			qualified(staging, t) + ` ORDER BY ` + primaryKey[t]
		if t == tUsers {
			sql += ` ON CONFLICT (id) DO NOTHING`
		}
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("error appending %s to the target: %w", t, err)
		}
	}
	if loaded != "" {
		loaded += ","
	}
	rec.Shard = loaded + opts.Shard.String()
	if err := pause(ctx, "swap"); err != nil {
		return err
	}
	return finish(ctx, tx, staging, rec)
}

// exportShape runs the shape SQL on the target (loader.Export: the same code path as
// production), with k = 2 so that small datasets keep their buckets. A target whose
// shape layer is missing (migrated by hand without it) loads fine and gets a report
// without its shape, with a warning on out.
func exportShape(ctx context.Context, conn *pgx.Conn, days int, end time.Time, out io.Writer) (*shape.Document, error) {
	doc, err := loader.Export(ctx, conn, loader.ExportOptions{WindowDays: days, K: 2, AsOf: end})
	if errors.Is(err, loader.ErrNoShapeSchema) {
		fmt.Fprintf(out, "[Generate] warning: the target has no shape layer, the report has no shape: run `loader migrate --target` on it\n")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error exporting the shape of the loaded target: %w", err)
	}
	return doc, nil
}
