-- The shape layer, part 2: the version-1 metric families and the export.
--
-- shape.compute_v1 does the work: it reads ONLY the shape_source views and returns the
-- requested families as jsonb in the form of shape/document.go. The passes over the
-- window (messages by length, by hour, the gaps, conversations, receipts, attachments)
-- are separate plain statements in shape.passes_v1, run with RETURN QUERY so that
-- PostgreSQL may give them parallel workers (PL/pgSQL's SELECT … INTO never gets any);
-- a family runs only the passes it needs. The family functions (shape.users_v1 …) and
-- shape.export are thin wrappers. All functions are STABLE: every statement sees the
-- caller's snapshot, so the document is consistent.
--
-- Definitions (docs/DESIGN.md, docs/shape-sql.md): window [as_of − window_days days,
-- as_of); receipts of window messages with read_at < as_of; attachments of window
-- messages; users and conversations created before as_of. All times UTC, ISO weekday
-- 0 = Monday. Hot expressions stay in float8 (date_part('epoch', …)), never numeric.

-- +goose Up
-- +goose StatementBegin
-- shape.receipt_rows_estimate_v1: the planner's estimate of the receipts of window
-- messages read before as_of (EXPLAIN, which reads no rows; EXPLAIN is not allowed in a
-- STABLE function, hence VOLATILE). Without the window's id range on purpose: the
-- planner would multiply the range's selectivity with the window's, which select the
-- same rows, and underestimate the receipts about tenfold. Internal, for passes_v1.
CREATE OR REPLACE FUNCTION shape.receipt_rows_estimate_v1(lo_ts timestamptz, as_of timestamptz) RETURNS float8
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT FROM shape_source.read_receipts r
               JOIN shape_source.messages sm ON sm.message_id = r.message_id
              WHERE sm.created_at >= $1 AND sm.created_at < $2 AND r.read_at < $2'
       INTO plan USING lo_ts, as_of;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END
$fn$;
COMMENT ON FUNCTION shape.receipt_rows_estimate_v1(timestamptz, timestamptz) IS
    'internal: planner estimate of the window''s receipts, for shape.passes_v1';
-- +goose StatementEnd

-- +goose StatementBegin
-- shape.bucket_filters_v1: the SQL text "agg FILTER (WHERE col = 1), …, agg FILTER
-- (WHERE col = nb)", joined by sep: one aggregate per bucket of a query whose rows
-- carry their bucket number in col (sep ' + ' adds them up; PostgreSQL computes an
-- aggregate written twice in one query once). Only numbers and the callers' constant
-- texts enter it. Internal, for the passes.
CREATE OR REPLACE FUNCTION shape.bucket_filters_v1(agg text, col text, nb int, sep text DEFAULT ', ') RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.string_agg(pg_catalog.format('%s FILTER (WHERE %s = %s)', agg, col, i), sep ORDER BY i)
      FROM pg_catalog.generate_series(1, nb) AS i
$$;
COMMENT ON FUNCTION shape.bucket_filters_v1(text, text, int, text) IS
    'internal: one FILTER aggregate per bucket, as SQL text, for the passes';
-- +goose StatementEnd

-- +goose StatementBegin
-- shape.window_receipts_sql_v1: the SQL text of the receipts of window messages read
-- before as_of, one row each: message_id, b (the joint member bucket of the message's
-- conversation; no member row: 1) and delay (read_at − created_at, float8 seconds).
-- Parameters: $1 lo_ts, $2 as_of, $3 the joint member grid, $4 and $5 the window's
-- least and greatest message id (see passes_v1). The one definition behind both
-- receipts statements (receipt_delays_v1, and passes_v1's sorting fallback).
-- Internal, for the passes.
CREATE OR REPLACE FUNCTION shape.window_receipts_sql_v1() RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT $q$
    SELECT r.message_id, coalesce(mc.b, 1) AS b,
           pg_catalog.date_part('epoch', r.read_at) - pg_catalog.date_part('epoch', sm.created_at) AS delay
      FROM shape_source.read_receipts r
      JOIN shape_source.messages sm ON sm.message_id = r.message_id
      LEFT JOIN (SELECT cm.conversation_id,
                        GREATEST(pg_catalog.width_bucket(pg_catalog.count(*)::float8, $3), 1) AS b
                   FROM shape_source.conversation_members cm GROUP BY cm.conversation_id) mc
             ON mc.conversation_id = sm.conversation_id
     WHERE sm.created_at >= $1 AND sm.created_at < $2 AND r.read_at < $2
       AND r.message_id BETWEEN $4 AND $5
    $q$
$$;
COMMENT ON FUNCTION shape.window_receipts_sql_v1() IS
    'internal: SQL text of the window''s receipts with their member bucket and delay, for the receipts passes';
-- +goose StatementEnd

-- +goose StatementBegin
-- shape.receipt_delays_v1: the delays (read_at − created_at, seconds, float8) of the
-- receipts of window messages read before as_of, sorted, with their count, and by
-- joint member bucket of the message's conversation (g_jm; no member row: bucket 1)
-- the receipts and the distinct messages read (the read messages in all are their
-- sum: a message has one conversation, hence one bucket). [lo_id, hi_id] is the range
-- of the window's message ids (see passes_v1). RETURN QUERY, so that the join may run
-- in parallel (the sort and the distinct counts run in the leader). Internal, for
-- passes_v1.
CREATE OR REPLACE FUNCTION shape.receipt_delays_v1(lo_ts timestamptz, as_of timestamptz, g_jm float8[],
                                                  lo_id bigint, hi_id bigint)
    RETURNS TABLE (delays float8[], n bigint, receipts bigint[], read_messages bigint[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET parallel_tuple_cost = 0.01
    SET enable_nestloop = off
AS $fn$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format($q$
    SELECT pg_catalog.array_agg(x.delay ORDER BY x.delay), pg_catalog.count(*), ARRAY[%s], ARRAY[%s]
      FROM (%s) x
    $q$, shape.bucket_filters_v1('pg_catalog.count(*)', 'x.b', pg_catalog.cardinality(g_jm)),
         shape.bucket_filters_v1('pg_catalog.count(DISTINCT x.message_id)', 'x.b', pg_catalog.cardinality(g_jm)),
         shape.window_receipts_sql_v1())
    USING lo_ts, as_of, g_jm, lo_id, hi_id;
END
$fn$;
COMMENT ON FUNCTION shape.receipt_delays_v1(timestamptz, timestamptz, float8[], bigint, bigint) IS
    'internal: sorted read delays of the window''s receipts, their count, and receipts and read messages by member bucket, for shape.passes_v1';
-- +goose StatementEnd

-- +goose StatementBegin
-- shape.passes_v1 runs the heavy passes over the window for shape.compute_v1 and
-- returns one (pass, raw aggregates) row per pass. It exists because PL/pgSQL runs
-- SELECT … INTO without parallel workers (the executor gets a row limit), while
-- RETURN QUERY may use them. Each pass is one plain statement the planner can run in
-- parallel where its shape allows (a GROUP BY without GROUPING SETS, a join under a
-- Gather). STABLE: every statement sees the caller's snapshot. Internal: EXECUTE is
-- revoked from PUBLIC (00004) and it runs with compute_v1's settings.
--   len    the window's messages by exact content length (counts, media), parallel
--   gaps   lag() over (conversation, created_at) from the (conversation_id,
--          created_at) index: gap buckets, gap count/mean/sd, counts by UTC hour
--   conv   conversations: members, window activity, heavy rooms
--   rr     receipts ⋈ window messages, one join: counts, delay buckets, percentiles,
--          read messages
--   att    attachments ⋈ window messages
-- Receipts and attachments are read only within [lo_id, hi_id], the least and the
-- greatest message id of the window (the len pass returns them; a caller that passes
-- NULL gets them computed here): a row of a window message lies there by definition,
-- so the predicate changes no result. Where message ids grow with time
-- (a sequence, a snowflake or time-ordered id), it lets the planner range-scan the
-- (message_id, …) keys over the window's rows instead of reading every receipt and
-- attachment of the whole history; where they do not, the range covers the table and
-- the plan stays a sequential scan. Both queries are planned with the actual bounds
-- (EXECUTE … USING), never a generic plan that would guess the range's size.
-- enable_nestloop = off (here and in receipt_delays_v1): every join of the passes is
-- between large inputs, and the planner cannot see that the window's id range and its
-- created_at filter select the same rows, so it multiplies their selectivities and
-- can expect a single joined row; on unanalyzed tables it then looped the member
-- counts once per receipt (19 s for 98k receipts on the demo's database, 0.1 s as a
-- hash join).
CREATE OR REPLACE FUNCTION shape.passes_v1(lo_ts timestamptz, as_of timestamptz, passes text[],
                                           lo_id bigint DEFAULT NULL, hi_id bigint DEFAULT NULL)
    RETURNS TABLE (pass text, raw jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET parallel_tuple_cost = 0.01
    SET enable_nestloop = off
AS $fn$
DECLARE
    g_gap    float8[] := shape.grid_inter_arrival_seconds();
    g_member float8[] := shape.grid_member_count();
    g_activity float8[] := shape.grid_activity();
    g_delay  float8[] := shape.grid_delay_minutes();
    g_size   float8[] := shape.grid_attachment_size_bytes();
    g_jm     float8[] := shape.grid_joint_member();
    g_ja     float8[] := shape.grid_joint_activity();
BEGIN
    IF lo_id IS NULL AND ('rr' = ANY (passes) OR 'rr_sort' = ANY (passes) OR 'att' = ANY (passes)) THEN
        -- the window's message id range (NULL when it has no message: then no receipt
        -- or attachment row qualifies, as it should). "+ 0" keeps the planner from
        -- answering min() by walking the id index from its start until it meets the
        -- window, which for the last month of a year-long table reads eleven months of
        -- index first; this way it reads the window's rows through created_at.
        SELECT pg_catalog.min(sm.message_id + 0), pg_catalog.max(sm.message_id + 0) INTO lo_id, hi_id
          FROM shape_source.messages sm
         WHERE sm.created_at >= lo_ts AND sm.created_at < as_of;
    END IF;

    IF 'len' = ANY (passes) THEN
        -- totals derive from the per-length counts: sums of integers in float8 are
        -- exact (below 2^53), so sumlen equals sum(content_length::float8); lo_id and
        -- hi_id are the window's least and greatest message id (for rr and att)
        RETURN QUERY
        SELECT 'len', pg_catalog.jsonb_build_object(
                   'lo_id', pg_catalog.min(s.lo_id), 'hi_id', pg_catalog.max(s.hi_id),
                   'total', coalesce(pg_catalog.sum(s.n), 0),
                   'media', coalesce(pg_catalog.sum(s.media), 0),
                   'nlen', coalesce(pg_catalog.sum(s.n) FILTER (WHERE s.content_length IS NOT NULL), 0),
                   'sumlen', pg_catalog.sum(s.content_length::float8 * s.n::float8),
                   'len', pg_catalog.array_agg(s.content_length) FILTER (WHERE s.content_length IS NOT NULL),
                   'lenn', pg_catalog.array_agg(s.n) FILTER (WHERE s.content_length IS NOT NULL))
          FROM (SELECT sm.content_length, pg_catalog.count(*) AS n,
                       pg_catalog.count(*) FILTER (WHERE sm.has_media) AS media,
                       pg_catalog.min(sm.message_id) AS lo_id, pg_catalog.max(sm.message_id) AS hi_id
                  FROM shape_source.messages sm
                 WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
                 GROUP BY sm.content_length) s;
    END IF;

    IF 'hours' = ANY (passes) THEN
        -- counts by UTC hour since the epoch (h); compute_v1 folds them into the 7×24
        -- cells: cell = (h + 72) mod 168, because 1970-01-01 was a Thursday (ISO
        -- weekday 3 counting Monday as 0). floor(t / 3600) is exact for epoch seconds
        -- with microseconds, so the cells equal those of day and hour computed apart
        RETURN QUERY
        SELECT 'hours', pg_catalog.jsonb_build_object(
                   'h', pg_catalog.array_agg(s.h), 'n', pg_catalog.array_agg(s.n))
          FROM (SELECT pg_catalog.floor(pg_catalog.date_part('epoch', sm.created_at) / 3600)::bigint AS h,
                       pg_catalog.count(*) AS n
                  FROM shape_source.messages sm
                 WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
                 GROUP BY 1) s;
    END IF;

    IF 'gaps' = ANY (passes) THEN
        -- ordered by created_at (not by its epoch) so that a (conversation_id,
        -- created_at) index delivers the order without a sort; the () set accumulates
        -- the gaps in that order
        RETURN QUERY
        SELECT 'gaps', pg_catalog.jsonb_build_object(
                   'n', coalesce(pg_catalog.sum(s.ngap) FILTER (WHERE s.ggap = 1), 0),
                   'mean', pg_catalog.sum(s.meangap) FILTER (WHERE s.ggap = 1),
                   'sd', pg_catalog.sum(s.sdgap) FILTER (WHERE s.ggap = 1),
                   'b', pg_catalog.array_agg(s.gb) FILTER (WHERE s.ggap = 0 AND s.gb IS NOT NULL),
                   'bn', pg_catalog.array_agg(s.n) FILTER (WHERE s.ggap = 0 AND s.gb IS NOT NULL))
          FROM (SELECT GROUPING(c.gb) AS ggap, c.gb, pg_catalog.count(*) AS n,
                       pg_catalog.count(c.gap) AS ngap,
                       pg_catalog.avg(c.gap) AS meangap,
                       pg_catalog.stddev_pop(c.gap) AS sdgap
                  FROM (SELECT w.gap,
                               CASE WHEN w.gap IS NOT NULL THEN GREATEST(pg_catalog.width_bucket(w.gap, g_gap), 1) END AS gb
                          FROM (SELECT pg_catalog.date_part('epoch', sm.created_at)
                                         - pg_catalog.lag(pg_catalog.date_part('epoch', sm.created_at))
                                             OVER (PARTITION BY sm.conversation_id ORDER BY sm.created_at) AS gap
                                  FROM shape_source.messages sm
                                 WHERE sm.created_at >= lo_ts AND sm.created_at < as_of) w) c
                 GROUP BY GROUPING SETS ((c.gb), ())) s;
    END IF;

    IF 'conv' = ANY (passes) THEN
        RETURN QUERY
        WITH act AS (
            -- window activity of the active conversations
            SELECT sm.conversation_id, pg_catalog.count(*) AS n
              FROM shape_source.messages sm
             WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
             GROUP BY sm.conversation_id
        ),
        conv AS (
            SELECT coalesce(mc.members, 0) AS members, coalesce(act.n, 0) AS n
              FROM shape_source.conversations sc
              LEFT JOIN (SELECT cm.conversation_id, pg_catalog.count(*) AS members
                           FROM shape_source.conversation_members cm GROUP BY cm.conversation_id) mc
                     ON mc.conversation_id = sc.conversation_id
              LEFT JOIN act ON act.conversation_id = sc.conversation_id
             WHERE sc.created_at < as_of
        )
        SELECT 'conv', pg_catalog.jsonb_build_object(
            'total', (SELECT pg_catalog.count(*) FROM conv),
            'members', (SELECT pg_catalog.jsonb_build_object(
                            'b', pg_catalog.array_agg(s.b), 'n', pg_catalog.array_agg(s.n),
                            'two', pg_catalog.sum(s.n) FILTER (WHERE s.b = 3),
                            'small', pg_catalog.sum(s.n) FILTER (WHERE s.b BETWEEN 4 AND 21),
                            'large', pg_catalog.sum(s.n) FILTER (WHERE s.b >= 22))
                          FROM (SELECT GREATEST(pg_catalog.width_bucket(conv.members::float8, g_member), 1) AS b,
                                       pg_catalog.count(*) AS n
                                  FROM conv GROUP BY 1) s),
            -- n conversations and m window messages per cell
            'joint', (SELECT pg_catalog.jsonb_build_object('mb', pg_catalog.array_agg(s.mb),
                          'ab', pg_catalog.array_agg(s.ab), 'n', pg_catalog.array_agg(s.n),
                          'm', pg_catalog.array_agg(s.m))
                        FROM (SELECT GREATEST(pg_catalog.width_bucket(conv.members::float8, g_jm), 1) AS mb,
                                     GREATEST(pg_catalog.width_bucket(conv.n::float8, g_ja), 1) AS ab,
                                     pg_catalog.count(*) AS n, pg_catalog.sum(conv.n) AS m
                                FROM conv GROUP BY 1, 2) s),
            'active', (SELECT pg_catalog.jsonb_build_object(
                           'n', pg_catalog.count(*),
                           'messages', pg_catalog.sum(act.n),
                           'pct', pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99])
                                      WITHIN GROUP (ORDER BY act.n::float8),
                           -- messages of the busiest ceil(p·n) active conversations
                           'heavy', (SELECT pg_catalog.jsonb_build_object(
                                         'top_1pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.01 * q.cnt)),
                                         'top_2pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.02 * q.cnt)),
                                         'top_5pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.05 * q.cnt)))
                                       FROM (SELECT a2.n, pg_catalog.row_number() OVER (ORDER BY a2.n DESC) AS rn,
                                                    pg_catalog.count(*) OVER ()::numeric AS cnt
                                               FROM act a2) q))
                         FROM act),
            'activity', (SELECT pg_catalog.jsonb_build_object('b', pg_catalog.array_agg(s.b), 'n', pg_catalog.array_agg(s.n))
                           FROM (SELECT GREATEST(pg_catalog.width_bucket(act.n::float8, g_activity), 1) AS b,
                                        pg_catalog.count(*) AS n
                                   FROM act GROUP BY 1) s));
    END IF;

    IF 'rr' = ANY (passes) OR 'rr_sort' = ANY (passes) THEN
        -- receipts of window messages: one join (parallel where the planner wants), and
        -- in the leader one sort of the delays into an array and, by member bucket of
        -- the conversation, the receipts and one count(DISTINCT) of the read messages
        -- (shape.receipt_delays_v1). From the sorted delays,
        -- with n = cardinality:
        --   percentiles exactly as percentile_cont: h = p·(n − 1), the values at ranks
        --   floor(h) and ceil(h), lo + (hi − lo)·(h − floor(h));
        --   bucket and category counts by binary search, each boundary found with the
        --   very predicate the bucket uses (delay / 60 < edge, delay < 60, …), which
        --   is monotone in delay, so the counts equal the per-row ones.
        -- The array and its expanded copy cost about 17 bytes per delay in this
        -- backend, so it is used only when the planner expects at most 16M receipts
        -- (about 270 MB); above that, past the 1 GB array limit or out of memory, and
        -- for pass 'rr_sort' (tests compare both), one aggregate computes the same with
        -- percentile_cont (a sort that spills to disk past work_mem) and one FILTER
        -- count per bucket.
        DECLARE
            dl     float8[];
            nd     bigint;
            rm     bigint;
            rb     bigint[];  -- receipts by joint member bucket
            rmb    bigint[];  -- read messages by joint member bucket
            use_sort boolean := 'rr_sort' = ANY (passes);
            cum    bigint[] := '{}';
            hist   bigint[] := '{}';
            pcts   float8[];
            p      float8;
            h      float8;
            lo     bigint;
            hi     bigint;
            mid    bigint;
            below60   bigint;
            below3600 bigint;
            ng     int := pg_catalog.cardinality(g_delay);
        BEGIN
            IF NOT use_sort THEN
                use_sort := shape.receipt_rows_estimate_v1(lo_ts, as_of) > 16e6;
            END IF;
            IF NOT use_sort THEN
                BEGIN
                    SELECT q.delays, q.n, q.receipts, q.read_messages INTO dl, nd, rb, rmb
                      FROM shape.receipt_delays_v1(lo_ts, as_of, g_jm, lo_id, hi_id) q;
                    rm := (SELECT coalesce(pg_catalog.sum(e), 0) FROM pg_catalog.unnest(rmb) AS e);
                EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
                    use_sort := true;
                END;
            END IF;
            IF use_sort THEN
            -- one join, one aggregate: the delay buckets as one FILTER count each (the
            -- bucket computed once per row below the fence), the percentiles from one
            -- sort, the read messages by count(DISTINCT) per member bucket, and their sum
            -- (the same aggregates, computed once)
            RETURN QUERY EXECUTE pg_catalog.format($q$
            SELECT 'rr', pg_catalog.jsonb_build_object(
                       'read_messages', %s,
                       'by_member', pg_catalog.jsonb_build_object('receipts', ARRAY[%s], 'read', ARRAY[%s]),
                       'agg', pg_catalog.jsonb_build_object(
                           'n', pg_catalog.count(*),
                           'immediate', pg_catalog.count(*) FILTER (WHERE x.delay < 60),
                           'near', pg_catalog.count(*) FILTER (WHERE x.delay >= 60 AND x.delay < 3600),
                           'delayed', pg_catalog.count(*) FILTER (WHERE x.delay >= 3600)),
                       'pct', pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99])
                                  WITHIN GROUP (ORDER BY x.delay),
                       'hist', pg_catalog.jsonb_build_object(
                           'b', (SELECT pg_catalog.array_agg(i) FROM pg_catalog.generate_series(1, %s) AS i),
                           'n', ARRAY[%s]))
              FROM (SELECT d.message_id, d.delay, d.b, GREATEST(pg_catalog.width_bucket(d.delay / 60, $6), 1) AS db
                      FROM (%s) d
                    OFFSET 0) x  -- fence: the bucket once per row, not once per FILTER
            $q$, shape.bucket_filters_v1('pg_catalog.count(DISTINCT x.message_id)', 'x.b', pg_catalog.cardinality(g_jm), ' + '),
                 shape.bucket_filters_v1('pg_catalog.count(*)', 'x.b', pg_catalog.cardinality(g_jm)),
                 shape.bucket_filters_v1('pg_catalog.count(DISTINCT x.message_id)', 'x.b', pg_catalog.cardinality(g_jm)),
                 pg_catalog.cardinality(g_delay),
                 shape.bucket_filters_v1('pg_catalog.count(*)', 'x.db', pg_catalog.cardinality(g_delay)),
                 shape.window_receipts_sql_v1())
            USING lo_ts, as_of, g_jm, lo_id, hi_id, g_delay;
            ELSE
                -- cum[bi] = number of delays with delay / 60 < g_delay[bi]
                FOR bi IN 1 .. ng LOOP
                    lo := 0;
                    hi := nd;
                    WHILE lo < hi LOOP
                        mid := (lo + hi) / 2;
                        IF dl[mid + 1] / 60 < g_delay[bi] THEN lo := mid + 1; ELSE hi := mid; END IF;
                    END LOOP;
                    cum := cum || lo;
                END LOOP;
                -- bucket 1 also holds what lies below the first edge (GREATEST(…, 1))
                FOR bi IN 1 .. ng LOOP
                    hist := hist || (CASE WHEN bi < ng THEN cum[bi + 1] ELSE nd END
                                     - CASE WHEN bi > 1 THEN cum[bi] ELSE 0 END);
                END LOOP;
                lo := 0; hi := nd;
                WHILE lo < hi LOOP
                    mid := (lo + hi) / 2;
                    IF dl[mid + 1] < 60 THEN lo := mid + 1; ELSE hi := mid; END IF;
                END LOOP;
                below60 := lo;
                lo := 0; hi := nd;
                WHILE lo < hi LOOP
                    mid := (lo + hi) / 2;
                    IF dl[mid + 1] < 3600 THEN lo := mid + 1; ELSE hi := mid; END IF;
                END LOOP;
                below3600 := lo;
                IF nd > 0 THEN
                    pcts := '{}';
                    FOREACH p IN ARRAY ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]::float8[] LOOP
                        h := p * (nd - 1)::float8;
                        IF pg_catalog.ceil(h) > pg_catalog.floor(h) THEN
                            pcts := pcts || (dl[pg_catalog.floor(h)::bigint + 1]
                                             + (dl[pg_catalog.ceil(h)::bigint + 1] - dl[pg_catalog.floor(h)::bigint + 1])
                                               * (h - pg_catalog.floor(h)));
                        ELSE
                            pcts := pcts || dl[pg_catalog.floor(h)::bigint + 1];
                        END IF;
                    END LOOP;
                END IF;
                pass := 'rr';
                raw := pg_catalog.jsonb_build_object(
                    'read_messages', rm,
                    'by_member', pg_catalog.jsonb_build_object('receipts', rb, 'read', rmb),
                    'agg', pg_catalog.jsonb_build_object(
                        'n', nd, 'immediate', below60, 'near', below3600 - below60, 'delayed', nd - below3600),
                    'pct', pcts,
                    'hist', pg_catalog.jsonb_build_object(
                        'b', (SELECT pg_catalog.array_agg(g.i) FROM pg_catalog.generate_series(1, ng) AS g(i)),
                        'n', hist));
                RETURN NEXT;
            END IF;
        END;
    END IF;

    IF 'att' = ANY (passes) THEN
        RETURN QUERY EXECUTE $q$
        WITH att AS MATERIALIZED (
            SELECT CASE WHEN a.type IN ('image', 'video', 'audio', 'document') THEN a.type ELSE 'other' END AS type,
                   a.size_bytes
              FROM shape_source.attachments a
              JOIN shape_source.messages sm ON sm.message_id = a.message_id
             WHERE sm.created_at >= $1 AND sm.created_at < $2 AND a.message_id BETWEEN $4 AND $5
        )
        SELECT 'att', pg_catalog.jsonb_build_object(
            'agg', (SELECT pg_catalog.jsonb_build_object(
                        'n', pg_catalog.count(*),
                        'median', pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY att.size_bytes::float8),
                        'image', pg_catalog.count(*) FILTER (WHERE att.type = 'image'),
                        'video', pg_catalog.count(*) FILTER (WHERE att.type = 'video'),
                        'audio', pg_catalog.count(*) FILTER (WHERE att.type = 'audio'),
                        'document', pg_catalog.count(*) FILTER (WHERE att.type = 'document'),
                        'other', pg_catalog.count(*) FILTER (WHERE att.type = 'other'))
                      FROM att),
            'hist', (SELECT pg_catalog.jsonb_build_object('b', pg_catalog.array_agg(s.b), 'n', pg_catalog.array_agg(s.n))
                       FROM (SELECT GREATEST(pg_catalog.width_bucket(att.size_bytes::float8, $3), 1) AS b,
                                    pg_catalog.count(*) AS n
                               FROM att GROUP BY 1) s))
        $q$ USING lo_ts, as_of, g_size, lo_id, hi_id;
    END IF;
END
$fn$;
COMMENT ON FUNCTION shape.passes_v1(timestamptz, timestamptz, text[], bigint, bigint) IS
    'internal: the heavy passes of shape.compute_v1 (len, gaps, conv, rr, att) as raw aggregates, run with RETURN QUERY so that they may use parallel workers';
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION shape.compute_v1(window_days int, k int, as_of timestamptz, families text[])
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '256MB'
    SET jit = off
    SET extra_float_digits = 1
    SET TimeZone = 'UTC'
AS $fn$
DECLARE
    lo_ts        timestamptz;
    lo_t         float8;
    hi_t         float8;
    want_users   boolean := 'users' = ANY (families);
    want_conv    boolean := 'conversations' = ANY (families);
    want_msg     boolean := 'messages' = ANY (families);
    want_rr      boolean := 'read_receipts' = ANY (families);
    want_att     boolean := 'attachments' = ANY (families);
    g_user       float8[] := shape.grid_username_length();
    g_age        float8[] := shape.grid_account_age_days();
    g_member     float8[] := shape.grid_member_count();
    g_activity   float8[] := shape.grid_activity();
    g_content    float8[] := shape.grid_content_length();
    g_gap        float8[] := shape.grid_inter_arrival_seconds();
    g_delay      float8[] := shape.grid_delay_minutes();
    g_size       float8[] := shape.grid_attachment_size_bytes();
    g_jm         float8[] := shape.grid_joint_member();
    g_ja         float8[] := shape.grid_joint_activity();
    -- raw aggregates (jsonb records from the one-pass query)
    u_raw jsonb; c_raw jsonb; m_raw jsonb; r_raw jsonb; a_raw jsonb;
    out   jsonb := '{}'::jsonb;
    h     record;
    h2    record;
    pc    record;
    merged int;
    nulls  int;
    n      bigint;
    v      float8;
    x      jsonb;
    y      jsonb;
    i      int;
    j      int;
    wk_days  float8 := 0;
    we_days  float8 := 0;
    d        timestamptz;
    ov       float8;
BEGIN
    PERFORM shape.check_args(window_days, k, as_of);
    lo_ts := as_of - pg_catalog.make_interval(days => window_days);
    lo_t := pg_catalog.date_part('epoch', lo_ts);
    hi_t := pg_catalog.date_part('epoch', as_of);

    ---------------------------------------------------------------- users
    IF want_users THEN
        SELECT pg_catalog.jsonb_build_object(
                   'total', coalesce(pg_catalog.sum(s.n) FILTER (WHERE s.gu = 1 AND s.ga = 1), 0),
                   'ub', pg_catalog.array_agg(s.ub) FILTER (WHERE s.gu = 0 AND s.ga = 1 AND s.ub IS NOT NULL),
                   'un', pg_catalog.array_agg(s.n) FILTER (WHERE s.gu = 0 AND s.ga = 1 AND s.ub IS NOT NULL),
                   'ab', pg_catalog.array_agg(s.ab) FILTER (WHERE s.gu = 1 AND s.ga = 0 AND s.ab IS NOT NULL),
                   'an', pg_catalog.array_agg(s.n) FILTER (WHERE s.gu = 1 AND s.ga = 0 AND s.ab IS NOT NULL))
          INTO u_raw
          FROM (SELECT GROUPING(b.ub) AS gu, GROUPING(b.ab) AS ga, b.ub, b.ab,
                       pg_catalog.count(*) AS n
                  FROM (SELECT GREATEST(pg_catalog.width_bucket(su.username_length::float8, g_user), 1) AS ub,
                               GREATEST(pg_catalog.width_bucket(
                                   pg_catalog.floor((hi_t - pg_catalog.date_part('epoch', su.created_at)) / 86400), g_age), 1) AS ab
                          FROM shape_source.users su
                         WHERE su.created_at < as_of) b
                 GROUP BY GROUPING SETS ((b.ub), (b.ab), ())) s;
    END IF;

    -------------------------------------------- the window's passes
    -- separate plain statements (shape.passes_v1) instead of one statement with
    -- materialized CTEs: each can run in parallel where its shape allows, and a family
    -- runs only the passes it needs
    IF want_conv OR want_msg OR want_rr OR want_att THEN
        DECLARE
            p     record;
            g_raw jsonb;
            h_raw jsonb;
            l_raw jsonb;
        BEGIN
            -- len first, alone: the message total (read_rate), the media count
            -- (per_media_message) and the window's message id range, which bounds the
            -- receipts and attachments the rr and att passes read
            IF want_msg OR want_rr OR want_att THEN
                SELECT q.raw INTO l_raw FROM shape.passes_v1(lo_ts, as_of, ARRAY['len']) q;
            END IF;
            FOR p IN SELECT q.pass, q.raw FROM shape.passes_v1(lo_ts, as_of,
                         CASE WHEN want_msg THEN ARRAY['hours', 'gaps'] ELSE '{}' END
                                      -- conv: window messages by member bucket (read_receipts)
                                      || CASE WHEN want_conv OR want_rr THEN ARRAY['conv'] ELSE '{}' END
                                      || CASE WHEN want_rr THEN ARRAY['rr'] ELSE '{}' END
                                      || CASE WHEN want_att THEN ARRAY['att'] ELSE '{}' END,
                         (l_raw ->> 'lo_id')::bigint, (l_raw ->> 'hi_id')::bigint) q LOOP
                CASE p.pass
                    WHEN 'hours' THEN h_raw := p.raw;
                    WHEN 'gaps' THEN g_raw := p.raw;
                    WHEN 'conv' THEN c_raw := p.raw;
                    WHEN 'rr' THEN r_raw := p.raw;
                    WHEN 'att' THEN a_raw := p.raw;
                END CASE;
            END LOOP;
            -- the messages record as the families below read it; the 7×24 cells fold
            -- the UTC hours since the epoch: cell = (h + 72) mod 168
            m_raw := l_raw || pg_catalog.jsonb_build_object(
                'cell', (SELECT pg_catalog.array_agg(((e.h + 72) % 168 + 168) % 168)
                           FROM pg_catalog.unnest(shape.bigint_array(h_raw -> 'h')) AS e(h)),
                'celln', h_raw -> 'n',
                'gaps', g_raw);
            a_raw := a_raw || pg_catalog.jsonb_build_object('media_messages', l_raw -> 'media');
        END;
    END IF;

    ---------------------------------------------------------------- users
    IF want_users THEN
        merged := 0;
        h := shape.k_histogram(g_user, shape.bucket_counts(g_user, shape.int_array(u_raw -> 'ub'), shape.bigint_array(u_raw -> 'un')), k);
        merged := merged + h.merged_buckets;
        h2 := shape.k_histogram(g_age, shape.bucket_counts(g_age, shape.int_array(u_raw -> 'ab'), shape.bigint_array(u_raw -> 'an')), k);
        merged := merged + h2.merged_buckets;
        out := out || pg_catalog.jsonb_build_object('users', pg_catalog.jsonb_build_object(
            'total_count', (u_raw ->> 'total')::bigint,
            'username_length_histogram', h.histogram,
            'account_age_days_histogram', h2.histogram,
            'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', 0)));
    END IF;

    ---------------------------------------------------------------- conversations
    IF want_conv THEN
        merged := 0;
        nulls := 0;
        -- member counts and the type mix over conversations with ≥ 2 members
        h := shape.k_histogram(g_member, shape.bucket_counts(g_member,
                 shape.int_array(c_raw -> 'members' -> 'b'), shape.bigint_array(c_raw -> 'members' -> 'n')), k);
        merged := merged + h.merged_buckets;
        n := coalesce((c_raw -> 'members' ->> 'two')::bigint, 0) + coalesce((c_raw -> 'members' ->> 'small')::bigint, 0)
             + coalesce((c_raw -> 'members' ->> 'large')::bigint, 0);
        IF n >= k THEN
            x := pg_catalog.jsonb_build_object(
                'one_to_one', coalesce((c_raw -> 'members' ->> 'two')::float8, 0) / n,
                'small_group', coalesce((c_raw -> 'members' ->> 'small')::float8, 0) / n,
                'large_group', coalesce((c_raw -> 'members' ->> 'large')::float8, 0) / n);
        ELSE
            x := '{"one_to_one": null, "small_group": null, "large_group": null}'::jsonb;
            nulls := nulls + 3;
        END IF;
        -- activity of the active conversations
        n := (c_raw -> 'active' ->> 'n')::bigint;
        pc := shape.percentiles_json(shape.float8_array(c_raw -> 'active' -> 'pct'), n, k);
        nulls := nulls + pc.nulls;
        h2 := shape.k_histogram(g_activity, shape.bucket_counts(g_activity,
                  shape.int_array(c_raw -> 'activity' -> 'b'), shape.bigint_array(c_raw -> 'activity' -> 'n')), k);
        merged := merged + h2.merged_buckets;
        -- heavy rooms: share of the window's messages in the busiest ceil(p·n)
        y := '{}'::jsonb;
        FOR pcrow IN 1 .. 3 LOOP
            DECLARE
                p numeric := (ARRAY[0.01, 0.02, 0.05])[pcrow];
                top numeric := pg_catalog.ceil(p * n);
                name text := (ARRAY['top_1pct', 'top_2pct', 'top_5pct'])[pcrow];
            BEGIN
                IF top >= k THEN
                    y := y || pg_catalog.jsonb_build_object(name,
                        (c_raw -> 'active' -> 'heavy' ->> name)::float8 / (c_raw -> 'active' ->> 'messages')::float8);
                ELSE
                    y := y || pg_catalog.jsonb_build_object(name, NULL::float8);
                    nulls := nulls + 1;
                END IF;
            END;
        END LOOP;
        -- joint member-count × activity cells of all conversations; a cell under k is null
        x := pg_catalog.jsonb_build_object('type_distribution', x, 'heavy', y);
        y := '{}'::jsonb;
        DECLARE
            nja   int := pg_catalog.cardinality(g_ja);
            cells bigint[] := shape.bucket_counts(
                pg_catalog.array_fill(0::float8, ARRAY[pg_catalog.cardinality(g_jm) * pg_catalog.cardinality(g_ja)]),
                (SELECT pg_catalog.array_agg((a.mb - 1) * pg_catalog.cardinality(g_ja) + a.ab ORDER BY a.o)
                   FROM ROWS FROM (pg_catalog.unnest(shape.int_array(c_raw -> 'joint' -> 'mb')),
                                   pg_catalog.unnest(shape.int_array(c_raw -> 'joint' -> 'ab')))
                        WITH ORDINALITY AS a(mb, ab, o)),
                shape.bigint_array(c_raw -> 'joint' -> 'n'));
            row_obj jsonb;
            c bigint;
        BEGIN
            FOR i IN 1 .. pg_catalog.cardinality(g_jm) LOOP
                row_obj := '{}'::jsonb;
                FOR j IN 1 .. nja LOOP
                    c := cells[(i - 1) * nja + j];
                    IF c >= k THEN
                        row_obj := row_obj || pg_catalog.jsonb_build_object(shape.format_key(g_ja[j]), c);
                    ELSE
                        row_obj := row_obj || pg_catalog.jsonb_build_object(shape.format_key(g_ja[j]), NULL::bigint);
                        nulls := nulls + 1;
                    END IF;
                END LOOP;
                y := y || pg_catalog.jsonb_build_object(shape.format_key(g_jm[i]), row_obj);
            END LOOP;
        END;
        out := out || pg_catalog.jsonb_build_object('conversations', pg_catalog.jsonb_build_object(
            'total_count', (c_raw ->> 'total')::bigint,
            'active_count', n,
            'member_count_histogram', h.histogram,
            'type_distribution', x -> 'type_distribution',
            'activity_percentiles', pc.percentiles,
            'activity_histogram', h2.histogram,
            'heavy_room_share', x -> 'heavy',
            'size_activity_histogram', y,
            'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', nulls)));
    END IF;

    ---------------------------------------------------------------- messages
    IF want_msg THEN
        merged := 0;
        nulls := 0;
        n := (m_raw ->> 'total')::bigint;
        -- content length: histogram over the exact lengths, mean, median
        DECLARE
            lens  float8[] := shape.float8_array(m_raw -> 'len');
            lensn bigint[] := shape.bigint_array(m_raw -> 'lenn');
            nlen  bigint := (m_raw ->> 'nlen')::bigint;
            idx   int[];
            cells bigint[];
            hourly jsonb := '[]'::jsonb;
            wh     jsonb := '[]'::jsonb;
            row_a  jsonb;
            c      bigint;
            wk_n   bigint := 0;
            we_n   bigint := 0;
            content_mean float8;
            content_median float8;
            media_ratio float8;
            ratio  float8;
            burst  float8;
            gap_mean float8;
            gn     bigint := (m_raw -> 'gaps' ->> 'n')::bigint;
        BEGIN
            SELECT pg_catalog.array_agg(GREATEST(pg_catalog.width_bucket(l, g_content), 1)) INTO idx
              FROM pg_catalog.unnest(lens) AS l;
            h := shape.k_histogram(g_content, shape.bucket_counts(g_content, idx, lensn), k);
            merged := merged + h.merged_buckets;
            IF nlen >= k THEN
                content_mean := (m_raw ->> 'sumlen')::float8 / nlen;
            ELSE
                nulls := nulls + 1;
            END IF;
            IF nlen::numeric * 0.5 >= k THEN
                content_median := shape.percentile_freq(lens, lensn, 0.5);
            ELSE
                nulls := nulls + 1;
            END IF;
            IF n >= k THEN
                media_ratio := (m_raw ->> 'media')::float8 / n;
            ELSE
                nulls := nulls + 1;
            END IF;
            -- 7×24 cells (ISO weekday × UTC hour), the hourly sums, weekday/weekend
            cells := shape.bucket_counts(pg_catalog.array_fill(0::float8, ARRAY[168]),
                         (SELECT pg_catalog.array_agg(e.c + 1) FROM pg_catalog.unnest(shape.int_array(m_raw -> 'cell')) AS e(c)),
                         shape.bigint_array(m_raw -> 'celln'));
            FOR j IN 0 .. 23 LOOP
                c := 0;
                FOR i IN 0 .. 6 LOOP
                    c := c + cells[i * 24 + j + 1];
                END LOOP;
                IF c >= k THEN
                    hourly := hourly || pg_catalog.to_jsonb(c);
                ELSE
                    hourly := hourly || 'null'::jsonb;
                    nulls := nulls + 1;
                END IF;
            END LOOP;
            FOR i IN 0 .. 6 LOOP
                row_a := '[]'::jsonb;
                FOR j IN 0 .. 23 LOOP
                    c := cells[i * 24 + j + 1];
                    IF i < 5 THEN wk_n := wk_n + c; ELSE we_n := we_n + c; END IF;
                    IF c >= k THEN
                        row_a := row_a || pg_catalog.to_jsonb(c);
                    ELSE
                        row_a := row_a || 'null'::jsonb;
                        nulls := nulls + 1;
                    END IF;
                END LOOP;
                wh := wh || pg_catalog.jsonb_build_array(row_a);
            END LOOP;
            -- how many weekday and weekend days the window holds (fractions for a
            -- window that does not start at midnight)
            d := pg_catalog.date_trunc('day', lo_ts);
            WHILE d < as_of LOOP
                ov := pg_catalog.date_part('epoch', LEAST(d + interval '1 day', as_of))
                      - pg_catalog.date_part('epoch', GREATEST(d, lo_ts));
                IF ov > 0 THEN
                    IF pg_catalog.date_part('isodow', d) >= 6 THEN
                        we_days := we_days + ov / 86400;
                    ELSE
                        wk_days := wk_days + ov / 86400;
                    END IF;
                END IF;
                d := d + interval '1 day';
            END LOOP;
            IF wk_n >= k AND we_n >= k THEN
                IF wk_days > 0 AND we_days > 0 THEN
                    ratio := (wk_n / wk_days) / (we_n / we_days);
                END IF;
            ELSE
                nulls := nulls + 1;
            END IF;
            -- gaps: burst coefficient (population CV), mean, histogram
            IF gn >= k THEN
                gap_mean := (m_raw -> 'gaps' ->> 'mean')::float8;
                IF gap_mean > 0 THEN
                    burst := (m_raw -> 'gaps' ->> 'sd')::float8 / gap_mean;
                END IF;
            ELSE
                nulls := nulls + 2;
            END IF;
            h2 := shape.k_histogram(g_gap, shape.bucket_counts(g_gap,
                      shape.int_array(m_raw -> 'gaps' -> 'b'), shape.bigint_array(m_raw -> 'gaps' -> 'bn')), k);
            merged := merged + h2.merged_buckets;
            out := out || pg_catalog.jsonb_build_object('messages', pg_catalog.jsonb_build_object(
                'total_count', n,
                'content_length_histogram', h.histogram,
                'content_length_mean', content_mean,
                'content_length_median', content_median,
                'media_ratio', media_ratio,
                'hourly_distribution', hourly,
                'weekday_hour_distribution', wh,
                'weekday_weekend_ratio', ratio,
                'burst_coefficient', burst,
                'inter_arrival_histogram_seconds', h2.histogram,
                'inter_arrival_mean_seconds', gap_mean,
                'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', nulls)));
        END;
    END IF;

    ---------------------------------------------------------------- read receipts
    IF want_rr THEN
        merged := 0;
        nulls := 0;
        DECLARE
            total  bigint := (r_raw -> 'agg' ->> 'n')::bigint;
            wm     bigint := (m_raw ->> 'total')::bigint;
            rm     bigint := (r_raw ->> 'read_messages')::bigint;
            read_rate float8;
            per_read  float8;
            imm float8; near float8; del float8;
        BEGIN
            IF wm >= k THEN read_rate := rm::float8 / wm; ELSE nulls := nulls + 1; END IF;
            IF rm >= k THEN per_read := total::float8 / rm; ELSE nulls := nulls + 1; END IF;
            IF total >= k THEN
                imm := (r_raw -> 'agg' ->> 'immediate')::float8 / total;
                near := (r_raw -> 'agg' ->> 'near')::float8 / total;
                del := (r_raw -> 'agg' ->> 'delayed')::float8 / total;
            ELSE
                nulls := nulls + 3;
            END IF;
            h := shape.k_histogram(g_delay, shape.bucket_counts(g_delay,
                     shape.int_array(r_raw -> 'hist' -> 'b'), shape.bigint_array(r_raw -> 'hist' -> 'n')), k);
            merged := merged + h.merged_buckets;
            pc := shape.percentiles_json(shape.float8_array(r_raw -> 'pct'), total, k);
            nulls := nulls + pc.nulls;
            -- by member bucket of the conversation (the joint grid): read rate over the
            -- bucket's window messages (conv pass) and receipts per read message, each
            -- null below k of its denominator
            DECLARE
                wmb bigint[] := shape.bucket_counts(g_jm, shape.int_array(c_raw -> 'joint' -> 'mb'),
                                                    shape.bigint_array(c_raw -> 'joint' -> 'm'));
                rb  bigint[] := shape.bigint_array(r_raw -> 'by_member' -> 'receipts');
                rmb bigint[] := shape.bigint_array(r_raw -> 'by_member' -> 'read');
                cell jsonb;
            BEGIN
                y := '{}'::jsonb;
                FOR i IN 1 .. pg_catalog.cardinality(g_jm) LOOP
                    cell := pg_catalog.jsonb_build_object(
                        'read_rate', CASE WHEN wmb[i] >= k THEN rmb[i]::float8 / wmb[i] END,
                        'receipts_per_read_message', CASE WHEN rmb[i] >= k THEN rb[i]::float8 / rmb[i] END);
                    nulls := nulls + (CASE WHEN wmb[i] >= k THEN 0 ELSE 1 END)
                                   + (CASE WHEN rmb[i] >= k THEN 0 ELSE 1 END);
                    y := y || pg_catalog.jsonb_build_object(shape.format_key(g_jm[i]), cell);
                END LOOP;
            END;
            out := out || pg_catalog.jsonb_build_object('read_receipts', pg_catalog.jsonb_build_object(
                'total_count', total,
                'read_rate', read_rate,
                'receipts_per_read_message', per_read,
                'delay_histogram_minutes', h.histogram,
                'delay_percentiles_seconds', pc.percentiles,
                'immediate_percentage', imm,
                'near_term_percentage', near,
                'delayed_percentage', del,
                'by_member_count', y,
                'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', nulls)));
        END;
    END IF;

    ---------------------------------------------------------------- attachments
    IF want_att THEN
        merged := 0;
        nulls := 0;
        DECLARE
            total bigint := (a_raw -> 'agg' ->> 'n')::bigint;
            mm    bigint := (a_raw ->> 'media_messages')::bigint;
            types jsonb := '{}'::jsonb;
            t     text;
            median float8;
            per_media float8;
        BEGIN
            FOREACH t IN ARRAY ARRAY['image', 'video', 'audio', 'document', 'other'] LOOP
                IF total >= k THEN
                    types := types || pg_catalog.jsonb_build_object(t, (a_raw -> 'agg' ->> t)::float8 / total);
                ELSE
                    types := types || pg_catalog.jsonb_build_object(t, NULL::float8);
                    nulls := nulls + 1;
                END IF;
            END LOOP;
            IF total::numeric * 0.5 >= k THEN
                median := (a_raw -> 'agg' ->> 'median')::float8;
            ELSE
                nulls := nulls + 1;
            END IF;
            IF mm >= k THEN per_media := total::float8 / mm; ELSE nulls := nulls + 1; END IF;
            h := shape.k_histogram(g_size, shape.bucket_counts(g_size,
                     shape.int_array(a_raw -> 'hist' -> 'b'), shape.bigint_array(a_raw -> 'hist' -> 'n')), k);
            merged := merged + h.merged_buckets;
            out := out || pg_catalog.jsonb_build_object('attachments', pg_catalog.jsonb_build_object(
                'total_count', total,
                'type_distribution', types,
                'size_histogram_bytes', h.histogram,
                'size_median_bytes', median,
                'per_media_message', per_media,
                'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', nulls)));
        END;
    END IF;
    RETURN out;
END
$fn$;
COMMENT ON FUNCTION shape.compute_v1(int, int, timestamptz, text[]) IS
    'internal: computes the requested shape families (users, conversations, messages, read_receipts, attachments) from the passes of shape.passes_v1';
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION shape.users_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['users']) -> 'users' $$;
COMMENT ON FUNCTION shape.users_v1(int, int, timestamptz) IS
    'shape v1 users family: users created before as_of (window_days is checked but unused)';

CREATE OR REPLACE FUNCTION shape.conversations_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['conversations']) -> 'conversations' $$;
COMMENT ON FUNCTION shape.conversations_v1(int, int, timestamptz) IS
    'shape v1 conversations family: conversations created before as_of, activity over the window';

CREATE OR REPLACE FUNCTION shape.messages_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['messages']) -> 'messages' $$;
COMMENT ON FUNCTION shape.messages_v1(int, int, timestamptz) IS
    'shape v1 messages family: messages created in [as_of - window_days days, as_of)';

CREATE OR REPLACE FUNCTION shape.read_receipts_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['read_receipts']) -> 'read_receipts' $$;
COMMENT ON FUNCTION shape.read_receipts_v1(int, int, timestamptz) IS
    'shape v1 read-receipts family: receipts of window messages with read_at < as_of';

CREATE OR REPLACE FUNCTION shape.attachments_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['attachments']) -> 'attachments' $$;
COMMENT ON FUNCTION shape.attachments_v1(int, int, timestamptz) IS
    'shape v1 attachments family: attachments of window messages';

CREATE OR REPLACE FUNCTION shape.export(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_build_object(
               'extracted_at', pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'sample_window_days', window_days,
               'privacy_level', 'ANONYMIZED_SHAPE_ONLY',
               'shape_version', shape.version())
           || shape.compute_v1(window_days, k, as_of,
                               ARRAY['users', 'conversations', 'messages', 'read_receipts', 'attachments'])
$$;
COMMENT ON FUNCTION shape.export(int, int, timestamptz) IS
    'the whole shape document (shape_version 1) for the window [as_of - window_days days, as_of) with k-anonymity threshold k';

CREATE OR REPLACE FUNCTION shape.export(window_days int, k int) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.export(window_days, k, pg_catalog.now()) $$;
COMMENT ON FUNCTION shape.export(int, int) IS 'shape.export(window_days, k, now())';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP FUNCTION IF EXISTS shape.export(int, int);
DROP FUNCTION IF EXISTS shape.export(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.attachments_v1(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.read_receipts_v1(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.messages_v1(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.conversations_v1(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.users_v1(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.compute_v1(int, int, timestamptz, text[]);
DROP FUNCTION IF EXISTS shape.passes_v1(timestamptz, timestamptz, text[], bigint, bigint);
DROP FUNCTION IF EXISTS shape.receipt_delays_v1(timestamptz, timestamptz, float8[], bigint, bigint);
DROP FUNCTION IF EXISTS shape.window_receipts_sql_v1();
DROP FUNCTION IF EXISTS shape.bucket_filters_v1(text, text, int, text);
DROP FUNCTION IF EXISTS shape.receipt_rows_estimate_v1(timestamptz, timestamptz);
-- +goose StatementEnd
