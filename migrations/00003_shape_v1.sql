-- The shape layer, part 2: the version-1 metric families and the export.
--
-- shape.compute_v1 does the work: it reads ONLY the shape_source views, in as few
-- passes as possible (the window's messages are read once into a materialized CTE
-- that the messages, conversations, read-receipts and attachments families share),
-- and returns the requested families as jsonb in the form of shape/document.go.
-- The family functions (shape.users_v1 …) and shape.export are thin wrappers.
--
-- Definitions (docs/DESIGN.md, docs/shape-sql.md): window [as_of − window_days days,
-- as_of); receipts of window messages with read_at < as_of; attachments of window
-- messages; users and conversations created before as_of. All times UTC, ISO weekday
-- 0 = Monday. Hot expressions stay in float8 (date_part('epoch', …)), never numeric.

-- +goose Up
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

    -------------------------------------------- the window's messages, one pass
    IF want_conv OR want_msg OR want_rr OR want_att THEN
        WITH m AS MATERIALIZED (
            -- the window's messages, each with the gap since the previous window
            -- message of its conversation (one sort, shared by every family)
            SELECT w.message_id, w.conversation_id, w.has_media, w.content_length, w.t,
                   w.t - pg_catalog.lag(w.t) OVER (PARTITION BY w.conversation_id ORDER BY w.t) AS gap
              FROM (SELECT sm.message_id, sm.conversation_id, sm.has_media, sm.content_length,
                           pg_catalog.date_part('epoch', sm.created_at) AS t
                      FROM shape_source.messages sm
                     WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
                    OFFSET 0) w  -- fence: compute the narrow columns before the sort
        ),
        -- one pass over m: counts by 7×24 cell, by exact content length, by gap
        -- bucket, by conversation (activity), and the totals
        ma AS (
            SELECT GROUPING(c.cell) AS gcell, GROUPING(c.content_length) AS glen,
                   GROUPING(c.gb) AS ggap, GROUPING(c.conversation_id) AS gconv,
                   c.cell, c.content_length, c.gb, c.conversation_id, pg_catalog.count(*) AS n,
                   pg_catalog.count(*) FILTER (WHERE c.has_media) AS media,
                   pg_catalog.count(c.content_length) AS nlen,
                   pg_catalog.sum(c.content_length::float8) AS sumlen,
                   pg_catalog.count(c.gap) AS ngap,
                   pg_catalog.avg(c.gap) AS meangap,
                   pg_catalog.stddev_pop(c.gap) AS sdgap
              FROM (SELECT m.conversation_id, m.has_media, m.content_length, m.gap,
                           CASE WHEN m.gap IS NOT NULL THEN GREATEST(pg_catalog.width_bucket(m.gap, g_gap), 1) END AS gb,
                           ((((pg_catalog.floor(m.t / 86400)::bigint + 3) % 7) + 7) % 7)::int * 24
                             + pg_catalog.floor((m.t - pg_catalog.floor(m.t / 86400) * 86400) / 3600)::int AS cell
                      FROM m) c
             GROUP BY GROUPING SETS ((c.cell), (c.content_length), (c.gb), (c.conversation_id), ())
        ),
        -- conversations: window activity of the active ones
        act AS (
            SELECT ma.conversation_id, ma.n FROM ma WHERE ma.gconv = 0
        ),
        conv AS (
            SELECT coalesce(mc.members, 0) AS members, coalesce(act.n, 0) AS n
              FROM shape_source.conversations sc
              LEFT JOIN (SELECT cm.conversation_id, pg_catalog.count(*) AS members
                           FROM shape_source.conversation_members cm GROUP BY cm.conversation_id) mc
                     ON mc.conversation_id = sc.conversation_id
              LEFT JOIN act ON act.conversation_id = sc.conversation_id
             WHERE sc.created_at < as_of
        ),
        -- read receipts of window messages read before as_of
        rr AS MATERIALIZED (
            SELECT r.message_id, pg_catalog.date_part('epoch', r.read_at) - m.t AS delay
              FROM shape_source.read_receipts r
              JOIN m ON m.message_id = r.message_id
             WHERE r.read_at < as_of
        ),
        ra AS (
            SELECT GROUPING(b.message_id) AS gm, GROUPING(b.db) AS gd, b.db, pg_catalog.count(*) AS n,
                   pg_catalog.count(*) FILTER (WHERE b.delay < 60) AS immediate,
                   pg_catalog.count(*) FILTER (WHERE b.delay >= 60 AND b.delay < 3600) AS near,
                   pg_catalog.count(*) FILTER (WHERE b.delay >= 3600) AS delayed
              FROM (SELECT rr.message_id, rr.delay, GREATEST(pg_catalog.width_bucket(rr.delay / 60, g_delay), 1) AS db
                      FROM rr) b
             GROUP BY GROUPING SETS ((b.message_id), (b.db), ())
        ),
        -- attachments of window messages
        att AS (
            SELECT CASE WHEN a.type IN ('image', 'video', 'audio', 'document') THEN a.type ELSE 'other' END AS type,
                   a.size_bytes
              FROM shape_source.attachments a
              JOIN m ON m.message_id = a.message_id
        )
        SELECT
            CASE WHEN want_msg OR want_rr THEN (  -- read_rate's denominator is the message count
                SELECT pg_catalog.jsonb_build_object(
                    'total', coalesce(pg_catalog.sum(ma.n) FILTER (WHERE ma.all4), 0),
                    'media', coalesce(pg_catalog.sum(ma.media) FILTER (WHERE ma.all4), 0),
                    'nlen', coalesce(pg_catalog.sum(ma.nlen) FILTER (WHERE ma.all4), 0),
                    'sumlen', pg_catalog.sum(ma.sumlen) FILTER (WHERE ma.all4),
                    'cell', pg_catalog.array_agg(ma.cell) FILTER (WHERE ma.gcell = 0),
                    'celln', pg_catalog.array_agg(ma.n) FILTER (WHERE ma.gcell = 0),
                    'len', pg_catalog.array_agg(ma.content_length) FILTER (WHERE ma.glen = 0 AND ma.content_length IS NOT NULL),
                    'lenn', pg_catalog.array_agg(ma.n) FILTER (WHERE ma.glen = 0 AND ma.content_length IS NOT NULL),
                    'gaps', pg_catalog.jsonb_build_object(
                                 'n', coalesce(pg_catalog.sum(ma.ngap) FILTER (WHERE ma.all4), 0),
                                 'mean', pg_catalog.sum(ma.meangap) FILTER (WHERE ma.all4),
                                 'sd', pg_catalog.sum(ma.sdgap) FILTER (WHERE ma.all4),
                                 'b', pg_catalog.array_agg(ma.gb) FILTER (WHERE ma.ggap = 0 AND ma.gb IS NOT NULL),
                                 'bn', pg_catalog.array_agg(ma.n) FILTER (WHERE ma.ggap = 0 AND ma.gb IS NOT NULL)))
                  FROM (SELECT ma.*, (ma.gcell + ma.glen + ma.ggap + ma.gconv = 4) AS all4 FROM ma
                         WHERE ma.gconv = 1) ma) END,
            CASE WHEN want_conv THEN (
                SELECT pg_catalog.jsonb_build_object(
                    'total', (SELECT pg_catalog.count(*) FROM conv),
                    'members', (SELECT pg_catalog.jsonb_build_object(
                                    'b', pg_catalog.array_agg(s.b), 'n', pg_catalog.array_agg(s.n),
                                    'two', pg_catalog.sum(s.n) FILTER (WHERE s.b = 3),
                                    'small', pg_catalog.sum(s.n) FILTER (WHERE s.b BETWEEN 4 AND 21),
                                    'large', pg_catalog.sum(s.n) FILTER (WHERE s.b >= 22))
                                  FROM (SELECT GREATEST(pg_catalog.width_bucket(conv.members::float8, g_member), 1) AS b,
                                               pg_catalog.count(*) AS n
                                          FROM conv GROUP BY 1) s),
                    'joint', (SELECT pg_catalog.jsonb_build_object('mb', pg_catalog.array_agg(s.mb),
                                  'ab', pg_catalog.array_agg(s.ab), 'n', pg_catalog.array_agg(s.n))
                                FROM (SELECT GREATEST(pg_catalog.width_bucket(conv.members::float8, g_jm), 1) AS mb,
                                             GREATEST(pg_catalog.width_bucket(conv.n::float8, g_ja), 1) AS ab,
                                             pg_catalog.count(*) AS n
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
                                           FROM act GROUP BY 1) s))) END,
            CASE WHEN want_rr THEN (
                SELECT pg_catalog.jsonb_build_object(
                    'read_messages', (SELECT pg_catalog.count(*) FROM ra WHERE ra.gm = 0),
                    'agg', (SELECT pg_catalog.jsonb_build_object(
                                'n', ra.n, 'immediate', ra.immediate, 'near', ra.near, 'delayed', ra.delayed)
                              FROM ra WHERE ra.gm = 1 AND ra.gd = 1),
                    'pct', (SELECT pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99])
                                       WITHIN GROUP (ORDER BY rr.delay) FROM rr),
                    'hist', (SELECT pg_catalog.jsonb_build_object('b', pg_catalog.array_agg(ra.db), 'n', pg_catalog.array_agg(ra.n))
                               FROM ra WHERE ra.gd = 0))) END,
            CASE WHEN want_att THEN (
                SELECT pg_catalog.jsonb_build_object(
                    'media_messages', (SELECT ma.media FROM ma WHERE ma.gcell + ma.glen + ma.ggap + ma.gconv = 4),
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
                               FROM (SELECT GREATEST(pg_catalog.width_bucket(att.size_bytes::float8, g_size), 1) AS b,
                                            pg_catalog.count(*) AS n
                                       FROM att GROUP BY 1) s))) END
          INTO m_raw, c_raw, r_raw, a_raw;
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
            out := out || pg_catalog.jsonb_build_object('read_receipts', pg_catalog.jsonb_build_object(
                'total_count', total,
                'read_rate', read_rate,
                'receipts_per_read_message', per_read,
                'delay_histogram_minutes', h.histogram,
                'delay_percentiles_seconds', pc.percentiles,
                'immediate_percentage', imm,
                'near_term_percentage', near,
                'delayed_percentage', del,
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
    'internal: computes the requested shape families (users, conversations, messages, read_receipts, attachments) in one pass over the window''s messages';
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
-- +goose StatementEnd
