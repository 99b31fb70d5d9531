-- The shape layer, shape_version 2: the shape of people and of time.
--
-- 1. The source contract grows by three keys, used for joins inside the database and
--    never exported: shape_source.messages.sender_id (who sent the message),
--    shape_source.conversation_members.user_id (who the member is) and
--    shape_source.read_receipts.reader_id (who read; only the differential-privacy
--    release needs it, to bound a reader's receipts), all bigint. A view
--    that still reads the reference tables in schema public gets the real column; a
--    view a DBA re-pointed at other tables keeps its definition and gets the column as
--    NULL, with a NOTICE: re-point it again with the new column (README, "The source
--    contract"), and until then the families that need it are published as null.
-- 2. shape.people_v2(window_days, k, as_of): the new families, aggregates only and
--    k-anonymous by the rules of docs/DESIGN.md:
--      users.senders          messages per active sender (percentiles, log histogram,
--                             the share of the busiest 1%, 5%, 10% of senders and of
--                             the busiest 10)
--      users.memberships      conversations per user (membership degree, 0 included)
--      conversations.threads  distinct senders per active conversation (1 kept apart),
--                             the share of single-sender threads, lifetime in the
--                             window (first to last message) and percentiles of the
--                             gaps between consecutive messages of a conversation
-- 3. shape.export returns the version-2 document: the version-1 families with these
--    merged in, and shape.version() = '2'.

-- +goose Up
-- +goose StatementBegin
DO $contract$
DECLARE
    v_def text;
    tables text[];
BEGIN
    ------------------------------------------------------------ messages.sender_id
    IF NOT EXISTS (SELECT FROM information_schema.columns
                    WHERE table_schema = 'shape_source' AND table_name = 'messages' AND column_name = 'sender_id') THEN
        SELECT pg_catalog.array_agg(DISTINCT u.table_schema || '.' || u.table_name) INTO tables
          FROM information_schema.view_table_usage u
         WHERE u.view_schema = 'shape_source' AND u.view_name = 'messages';
        IF tables = ARRAY['public.messages']
           AND EXISTS (SELECT FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = 'messages' AND column_name = 'sender_id') THEN
            CREATE OR REPLACE VIEW shape_source.messages AS
                SELECT m.id AS message_id,
                       m.conversation_id,
                       m.created_at,
                       (m.media_kind IS NOT NULL) AS has_media,
                       char_length(m.content)::integer AS content_length,
                       m.sender_id::bigint AS sender_id
                FROM public.messages m;
        ELSE
            v_def := pg_catalog.pg_get_viewdef('shape_source.messages'::regclass);
            EXECUTE 'CREATE OR REPLACE VIEW shape_source.messages AS SELECT v.message_id, v.conversation_id, v.created_at, '
                 || 'v.has_media, v.content_length, NULL::bigint AS sender_id FROM ('
                 || pg_catalog.rtrim(v_def, '; ' || chr(10)) || ') v';
            IF tables IS NOT NULL THEN
                RAISE NOTICE 'pgshape: shape_source.messages has no sender_id: re-point it with the new column (sender_id bigint) to export who sends; until then the sender families are null';
            END IF;
        END IF;
    END IF;

    ------------------------------------------------- conversation_members.user_id
    IF NOT EXISTS (SELECT FROM information_schema.columns
                    WHERE table_schema = 'shape_source' AND table_name = 'conversation_members' AND column_name = 'user_id') THEN
        SELECT pg_catalog.array_agg(DISTINCT u.table_schema || '.' || u.table_name) INTO tables
          FROM information_schema.view_table_usage u
         WHERE u.view_schema = 'shape_source' AND u.view_name = 'conversation_members';
        IF tables = ARRAY['public.conversation_members']
           AND EXISTS (SELECT FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = 'conversation_members' AND column_name = 'user_id') THEN
            CREATE OR REPLACE VIEW shape_source.conversation_members AS
                SELECT m.conversation_id,
                       m.user_id::bigint AS user_id
                FROM public.conversation_members m;
        ELSE
            v_def := pg_catalog.pg_get_viewdef('shape_source.conversation_members'::regclass);
            EXECUTE 'CREATE OR REPLACE VIEW shape_source.conversation_members AS SELECT v.conversation_id, '
                 || 'NULL::bigint AS user_id FROM (' || pg_catalog.rtrim(v_def, '; ' || chr(10)) || ') v';
            IF tables IS NOT NULL THEN
                RAISE NOTICE 'pgshape: shape_source.conversation_members has no user_id: re-point it with the new column (user_id bigint) to export conversations per user; until then that family is null';
            END IF;
        END IF;
    END IF;

    ------------------------------------------------------- read_receipts.reader_id
    IF NOT EXISTS (SELECT FROM information_schema.columns
                    WHERE table_schema = 'shape_source' AND table_name = 'read_receipts' AND column_name = 'reader_id') THEN
        SELECT pg_catalog.array_agg(DISTINCT u.table_schema || '.' || u.table_name) INTO tables
          FROM information_schema.view_table_usage u
         WHERE u.view_schema = 'shape_source' AND u.view_name = 'read_receipts';
        IF tables = ARRAY['public.read_receipts']
           AND EXISTS (SELECT FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = 'read_receipts' AND column_name = 'reader_id') THEN
            CREATE OR REPLACE VIEW shape_source.read_receipts AS
                SELECT r.message_id,
                       r.read_at,
                       r.reader_id::bigint AS reader_id
                FROM public.read_receipts r;
        ELSE
            v_def := pg_catalog.pg_get_viewdef('shape_source.read_receipts'::regclass);
            EXECUTE 'CREATE OR REPLACE VIEW shape_source.read_receipts AS SELECT v.message_id, v.read_at, '
                 || 'NULL::bigint AS reader_id FROM (' || pg_catalog.rtrim(v_def, '; ' || chr(10)) || ') v';
            IF tables IS NOT NULL THEN
                RAISE NOTICE 'pgshape: shape_source.read_receipts has no reader_id: re-point it with the new column (reader_id bigint) to allow differential-privacy releases; until then they are refused';
            END IF;
        END IF;
    END IF;
END
$contract$;

COMMENT ON VIEW shape_source.read_receipts IS 'one row per receipt: message_id, read_at, reader_id (joins only; never leaves the database)';
COMMENT ON VIEW shape_source.conversation_members IS 'one row per membership: conversation_id, user_id (joins only; never leaves the database)';
COMMENT ON VIEW shape_source.messages IS 'one row per message: message_id, conversation_id, created_at, has_media, content_length (characters, NULL when no content), sender_id (joins only; never leaves the database)';
-- +goose StatementEnd

-- +goose StatementBegin
-- Grids of the new families (shape/grid.go has the same arrays; a test compares them).
-- Conversations per user and senders per conversation: exact counts 0…20, then roughly
-- logarithmic (so 1 and 2 are buckets of their own).
CREATE OR REPLACE FUNCTION shape.grid_small_count() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY(SELECT g::float8 FROM pg_catalog.generate_series(0, 20) g)
             || ARRAY[25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 5000, 10000]::float8[] $$;

-- Conversation lifetime in seconds: 0 (one message, or all in one second), then ten
-- buckets per decade up to 10^8 s (about three years).
CREATE OR REPLACE FUNCTION shape.grid_lifetime_seconds() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY[0]::float8[] || shape.log_grid(1, 1e8) $$;

-- k_histogram, version 2: as in version 1 (docs/DESIGN.md), except that empty buckets
-- before the first non-empty one are dropped rather than merged into it, so the first
-- key is the real lower bound of the data: a constant username length L was published
-- as {"0": n}, which read as "anything from 0 to L"; it is now {"L": n}. A dropped
-- empty bucket counts as merged, as before.
CREATE OR REPLACE FUNCTION shape.k_histogram(edges float8[], counts bigint[], k int,
                                             OUT histogram jsonb, OUT merged_buckets int)
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n      int := coalesce(pg_catalog.cardinality(edges), 0);
    g_lo   float8;
    g_sum  bigint := 0;
    g_open boolean := false;
    los    float8[] := '{}';
    sums   bigint[] := '{}';
    i      int;
BEGIN
    IF coalesce(pg_catalog.cardinality(counts), 0) <> n THEN
        RAISE EXCEPTION 'error building a k-anonymous histogram: % edges but % counts', n, pg_catalog.cardinality(counts)
            USING ERRCODE = '22023';
    END IF;
    FOR i IN 1 .. n LOOP
        IF NOT g_open AND pg_catalog.cardinality(los) = 0 AND coalesce(counts[i], 0) = 0 THEN
            CONTINUE;  -- leading empty bucket
        END IF;
        IF NOT g_open THEN
            g_lo := edges[i];
            g_sum := 0;
            g_open := true;
        END IF;
        g_sum := g_sum + coalesce(counts[i], 0);
        IF g_sum >= k THEN
            los := los || g_lo;
            sums := sums || g_sum;
            g_open := false;
        END IF;
    END LOOP;
    IF pg_catalog.cardinality(los) = 0 THEN
        histogram := '{}'::jsonb;
        merged_buckets := n;
        RETURN;
    END IF;
    IF g_open THEN
        sums[pg_catalog.cardinality(sums)] := sums[pg_catalog.cardinality(sums)] + g_sum;
    END IF;
    SELECT pg_catalog.jsonb_object_agg(shape.format_key(l), s)
      INTO histogram
      FROM ROWS FROM (pg_catalog.unnest(los), pg_catalog.unnest(sums)) AS u(l, s);
    merged_buckets := n - pg_catalog.cardinality(los);
END
$$;

-- top_shares_v2(sums, n, total, k): the share of total carried by the busiest
-- ceil(p·n) of n (p = 1%, 5%, 10%) and by the busiest 10, from sums = {"top_1pct":
-- messages of the busiest ceil(0.01·n), …, "top_10": …}; null (and counted) when that
-- set is under k or, for the busiest 10, when there are fewer than 10.
CREATE OR REPLACE FUNCTION shape.top_shares_v2(sums jsonb, n bigint, total float8, k int,
                                               OUT shares jsonb, OUT nulls int)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp SET extra_float_digits = 1
AS $$
    SELECT pg_catalog.jsonb_object_agg(x.name, CASE WHEN x.ok THEN pg_catalog.to_jsonb((sums ->> x.name)::float8 / total) ELSE 'null'::jsonb END),
           (pg_catalog.count(*) FILTER (WHERE NOT x.ok))::int
    FROM (SELECT t.name, t.m >= k AND t.m <= n AND total > 0 AS ok
            FROM (VALUES ('top_1pct', pg_catalog.ceil(0.01 * n)), ('top_5pct', pg_catalog.ceil(0.05 * n)),
                         ('top_10pct', pg_catalog.ceil(0.10 * n)), ('top_10', 10)) AS t(name, m)) x
$$;

-- people_v2: the families of shape_version 2 (see the head of this file), as
-- {"users": {"senders", "memberships"}, "conversations": {"threads"}} to be merged into
-- the version-1 document. One pass groups the window's messages by (conversation,
-- sender); one reads the memberships of conversations created before as_of; one orders
-- each conversation's window messages for the gaps.
CREATE OR REPLACE FUNCTION shape.people_v2(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '256MB'
    SET jit = off
    SET extra_float_digits = 1
    SET TimeZone = 'UTC'
    SET enable_nestloop = off
AS $fn$
DECLARE
    lo_ts      timestamptz;
    g_activity float8[] := shape.grid_activity();
    g_small    float8[] := shape.grid_small_count();
    g_life     float8[] := shape.grid_lifetime_seconds();
    s_raw jsonb; c_raw jsonb; u_raw jsonb; g_raw jsonb;
    senders jsonb; members jsonb; threads jsonb;
    h  record;
    h2 record;
    pc record;
    sh record;
    n  bigint;
    merged int;
    nulls  int;
BEGIN
    PERFORM shape.check_args(window_days, k, as_of);
    lo_ts := as_of - pg_catalog.make_interval(days => window_days);

    -- (conversation, sender) cells of the window's messages, then per sender and per
    -- conversation
    WITH cs AS MATERIALIZED (
        SELECT sm.conversation_id, sm.sender_id, pg_catalog.count(*) AS n,
               pg_catalog.min(sm.created_at) AS t0, pg_catalog.max(sm.created_at) AS t1
          FROM shape_source.messages sm
         WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
         GROUP BY sm.conversation_id, sm.sender_id
    ), snd AS (
        SELECT cs.sender_id, pg_catalog.sum(cs.n)::float8 AS n FROM cs WHERE cs.sender_id IS NOT NULL GROUP BY cs.sender_id
    ), conv AS (
        SELECT pg_catalog.count(cs.sender_id) AS senders,
               pg_catalog.date_part('epoch', pg_catalog.max(cs.t1)) - pg_catalog.date_part('epoch', pg_catalog.min(cs.t0)) AS life
          FROM cs GROUP BY cs.conversation_id
    )
    SELECT (SELECT pg_catalog.jsonb_build_object(
                'n', pg_catalog.count(*), 'total', pg_catalog.sum(snd.n),
                'pct', pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY snd.n),
                -- messages of the busiest ceil(p·n) senders, and of the busiest 10
                'top', (SELECT pg_catalog.jsonb_build_object(
                            'top_1pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.01 * q.cnt)),
                            'top_5pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.05 * q.cnt)),
                            'top_10pct', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= pg_catalog.ceil(0.10 * q.cnt)),
                            'top_10', pg_catalog.sum(q.n) FILTER (WHERE q.rn <= 10))
                          FROM (SELECT s2.n, pg_catalog.row_number() OVER (ORDER BY s2.n DESC) AS rn,
                                       pg_catalog.count(*) OVER ()::numeric AS cnt
                                  FROM snd s2) q))
              FROM snd) || (SELECT pg_catalog.jsonb_build_object('hb', pg_catalog.array_agg(s5.b), 'hn', pg_catalog.array_agg(s5.c))
                             FROM (SELECT GREATEST(pg_catalog.width_bucket(s6.n, g_activity), 1) AS b, pg_catalog.count(*) AS c
                                     FROM snd s6 GROUP BY 1) s5),
           (SELECT pg_catalog.jsonb_build_object(
                'n', pg_catalog.count(*),
                'with_sender', pg_catalog.count(*) FILTER (WHERE conv.senders > 0),
                'single', pg_catalog.count(*) FILTER (WHERE conv.senders = 1),
                'lpct', pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY conv.life))
              FROM conv)
           || (SELECT pg_catalog.jsonb_build_object('sb', pg_catalog.array_agg(x.b), 'sn', pg_catalog.array_agg(x.c))
                 FROM (SELECT GREATEST(pg_catalog.width_bucket(c2.senders::float8, g_small), 1) AS b, pg_catalog.count(*) AS c
                         FROM conv c2 WHERE c2.senders > 0 GROUP BY 1) x)
           || (SELECT pg_catalog.jsonb_build_object('lb', pg_catalog.array_agg(x.b), 'ln', pg_catalog.array_agg(x.c))
                 FROM (SELECT GREATEST(pg_catalog.width_bucket(c3.life, g_life), 1) AS b, pg_catalog.count(*) AS c
                         FROM conv c3 GROUP BY 1) x)
      INTO s_raw, c_raw;

    -- conversations per user: every user created before as_of, with the memberships of
    -- conversations created before as_of (0 included)
    SELECT pg_catalog.jsonb_build_object(
               'n', coalesce(pg_catalog.sum(d.users), 0),
               'known', coalesce(pg_catalog.sum(d.deg * d.users), 0),
               'deg', pg_catalog.array_agg(d.deg::float8), 'cnt', pg_catalog.array_agg(d.users))
      INTO u_raw
      FROM (SELECT coalesce(md.deg, 0) AS deg, pg_catalog.count(*) AS users
              FROM shape_source.users su
              LEFT JOIN (SELECT cm.user_id, pg_catalog.count(*) AS deg
                           FROM shape_source.conversation_members cm
                           JOIN shape_source.conversations sc ON sc.conversation_id = cm.conversation_id
                          WHERE sc.created_at < as_of AND cm.user_id IS NOT NULL
                          GROUP BY cm.user_id) md ON md.user_id = su.user_id
             WHERE su.created_at < as_of
             GROUP BY 1) d;

    -- gaps between consecutive window messages of one conversation (as in the
    -- version-1 inter-arrival histogram), their exact percentiles
    SELECT pg_catalog.jsonb_build_object(
               'n', pg_catalog.count(w.gap),
               'pct', pg_catalog.percentile_cont(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY w.gap))
      INTO g_raw
      FROM (SELECT pg_catalog.date_part('epoch', sm.created_at)
                     - pg_catalog.lag(pg_catalog.date_part('epoch', sm.created_at))
                         OVER (PARTITION BY sm.conversation_id ORDER BY sm.created_at) AS gap
              FROM shape_source.messages sm
             WHERE sm.created_at >= lo_ts AND sm.created_at < as_of) w
     WHERE w.gap IS NOT NULL;

    ---------------------------------------------------------------- users.senders
    n := coalesce((s_raw ->> 'n')::bigint, 0);
    IF n = 0 AND coalesce((c_raw ->> 'n')::bigint, 0) > 0 THEN
        senders := NULL;  -- window messages but no sender identity in the contract
    ELSE
        h := shape.k_histogram(g_activity,
                 shape.bucket_counts(g_activity, shape.int_array(s_raw -> 'hb'), shape.bigint_array(s_raw -> 'hn')), k);
        pc := shape.percentiles_json(shape.float8_array(s_raw -> 'pct'), n, k);
        sh := shape.top_shares_v2(s_raw -> 'top', n, (s_raw ->> 'total')::float8, k);
        senders := pg_catalog.jsonb_build_object(
            'active_senders', n,
            'messages_per_sender_percentiles', pc.percentiles,
            'messages_per_sender_histogram', h.histogram,
            'top_share', sh.shares,
            'suppressed', pg_catalog.jsonb_build_object('merged_buckets', h.merged_buckets, 'null_values', pc.nulls + sh.nulls));
    END IF;

    ------------------------------------------------------------ users.memberships
    n := coalesce((u_raw ->> 'n')::bigint, 0);
    IF n > 0 AND coalesce((u_raw ->> 'known')::bigint, 0) = 0
       AND EXISTS (SELECT FROM shape_source.conversation_members) THEN
        members := NULL;  -- memberships but no member identity in the contract
    ELSE
        h := shape.k_histogram(g_small,
                 shape.bucket_counts(g_small,
                     (SELECT pg_catalog.array_agg(GREATEST(pg_catalog.width_bucket(d, g_small), 1))
                        FROM pg_catalog.unnest(shape.float8_array(u_raw -> 'deg')) d),
                     shape.bigint_array(u_raw -> 'cnt')),
                 k);
        pc := shape.percentiles_json(ARRAY(
                  SELECT shape.percentile_freq(shape.float8_array(u_raw -> 'deg'), shape.bigint_array(u_raw -> 'cnt'), p)
                    FROM pg_catalog.unnest(ARRAY[0.5, 0.75, 0.9, 0.95, 0.99]) WITH ORDINALITY AS q(p, o) ORDER BY q.o),
              n, k);
        members := pg_catalog.jsonb_build_object(
            'users', n,
            'conversations_percentiles', pc.percentiles,
            'conversations_histogram', h.histogram,
            'suppressed', pg_catalog.jsonb_build_object('merged_buckets', h.merged_buckets, 'null_values', pc.nulls));
    END IF;

    ------------------------------------------------------- conversations.threads
    n := coalesce((c_raw ->> 'n')::bigint, 0);
    merged := 0;
    nulls := 0;
    threads := pg_catalog.jsonb_build_object('active_conversations', n);
    IF (c_raw ->> 'with_sender')::bigint > 0 OR n = 0 THEN
        h := shape.k_histogram(g_small,
                 shape.bucket_counts(g_small, shape.int_array(c_raw -> 'sb'), shape.bigint_array(c_raw -> 'sn')), k);
        merged := merged + h.merged_buckets;
        threads := threads || pg_catalog.jsonb_build_object('senders_per_conversation_histogram', h.histogram);
        IF n >= k THEN
            threads := threads || pg_catalog.jsonb_build_object('single_sender_share', (c_raw ->> 'single')::float8 / n);
        ELSE
            threads := threads || '{"single_sender_share": null}'::jsonb;
            nulls := nulls + 1;
        END IF;
    ELSE
        threads := threads || '{"senders_per_conversation_histogram": null, "single_sender_share": null}'::jsonb;
    END IF;
    h := shape.k_histogram(g_life,
             shape.bucket_counts(g_life, shape.int_array(c_raw -> 'lb'), shape.bigint_array(c_raw -> 'ln')), k);
    merged := merged + h.merged_buckets;
    pc := shape.percentiles_json(shape.float8_array(c_raw -> 'lpct'), n, k);
    nulls := nulls + pc.nulls;
    h2 := shape.percentiles_json(shape.float8_array(g_raw -> 'pct'), coalesce((g_raw ->> 'n')::bigint, 0), k);
    nulls := nulls + h2.nulls;
    threads := threads || pg_catalog.jsonb_build_object(
        'lifetime_histogram_seconds', h.histogram,
        'lifetime_percentiles_seconds', pc.percentiles,
        'gaps', coalesce((g_raw ->> 'n')::bigint, 0),
        'gap_percentiles_seconds', h2.percentiles,
        'suppressed', pg_catalog.jsonb_build_object('merged_buckets', merged, 'null_values', nulls));

    RETURN pg_catalog.jsonb_build_object(
        'users', pg_catalog.jsonb_build_object('senders', senders, 'memberships', members),
        'conversations', pg_catalog.jsonb_build_object('threads', threads));
END
$fn$;
COMMENT ON FUNCTION shape.people_v2(int, int, timestamptz) IS
    'shape v2: who sends (users.senders), conversations per user (users.memberships), senders, lifetime and gaps of threads (conversations.threads); aggregates only, k-anonymous';

-- merge_v2(doc, people): the version-1 document with the version-2 families merged
-- into their families (jsonb || is shallow, so each family is merged on its own).
CREATE OR REPLACE FUNCTION shape.merge_v2(doc jsonb, people jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT doc || pg_catalog.jsonb_build_object(
        'shape_version', '2',
        'users', coalesce(doc -> 'users', '{}') || (people -> 'users'),
        'conversations', coalesce(doc -> 'conversations', '{}') || (people -> 'conversations'))
$$;

CREATE OR REPLACE FUNCTION shape.version() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '2'::text $$;

-- The policy of migration 00005 holds for the new families as for the old: the owner
-- (EXECUTE on shape.people_v2) computes unrestricted; anyone else (shape_reader) goes
-- through shape.people_reader_v2, which checks shape.policy first.
CREATE OR REPLACE FUNCTION shape.people_reader_v2(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM shape.check_policy_v1(window_days, k, as_of);
    RETURN shape.people_v2(window_days, k, as_of);
END
$fn$;
COMMENT ON FUNCTION shape.people_reader_v2(int, int, timestamptz) IS
    'shape.people_v2 after shape.check_policy_v1: what a caller without EXECUTE on shape.people_v2 (shape_reader) runs';

CREATE OR REPLACE FUNCTION shape.people_as_caller_v2(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.has_function_privilege('shape.people_v2(integer, integer, timestamp with time zone)', 'EXECUTE') THEN
        RETURN shape.people_v2(window_days, k, as_of);
    END IF;
    RETURN shape.people_reader_v2(window_days, k, as_of);
END
$fn$;
COMMENT ON FUNCTION shape.people_as_caller_v2(int, int, timestamptz) IS
    'internal: the owner computes the version-2 families unrestricted, anyone else through shape.people_reader_v2 (the policy)';

-- shape.export_base_v2: the version-1 half of the document (the header and the five
-- version-1 families), which shape.export merges with shape.people_as_caller_v2's
-- half. The halves read the same snapshot and share no pass, so `loader sample` runs
-- them on two connections (the second in the first's snapshot, pg_export_snapshot)
-- and merges them with shape.merge_v2: the same document, on two of the replica's
-- cores (docs/sample.md).
CREATE OR REPLACE FUNCTION shape.export_base_v2(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_build_object(
               'extracted_at', pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'sample_window_days', window_days,
               'privacy_level', 'ANONYMIZED_SHAPE_ONLY')
           || shape.compute_as_caller_v1(window_days, k, as_of,
                                         ARRAY['users', 'conversations', 'messages', 'read_receipts', 'attachments'])
$$;
COMMENT ON FUNCTION shape.export_base_v2(int, int, timestamptz) IS
    'the version-1 half of shape.export (header and the five version-1 families; shape_reader: within shape.policy); shape.merge_v2 joins it with shape.people_as_caller_v2';

CREATE OR REPLACE FUNCTION shape.export(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT shape.merge_v2(shape.export_base_v2(window_days, k, as_of),
                          shape.people_as_caller_v2(window_days, k, as_of))
$$;
COMMENT ON FUNCTION shape.export(int, int, timestamptz) IS
    'the whole shape document (shape_version 2) for the window [as_of - window_days days, as_of) with k-anonymity threshold k (shape_reader: within shape.policy)';

REVOKE EXECUTE ON FUNCTION shape.people_v2(int, int, timestamptz),
                           shape.people_reader_v2(int, int, timestamptz),
                           shape.people_as_caller_v2(int, int, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shape.people_reader_v2(int, int, timestamptz),
                          shape.people_as_caller_v2(int, int, timestamptz) TO shape_reader;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
-- shape.export as migration 00005 left it
CREATE OR REPLACE FUNCTION shape.export(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_build_object(
               'extracted_at', pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'sample_window_days', window_days,
               'privacy_level', 'ANONYMIZED_SHAPE_ONLY',
               'shape_version', shape.version())
           || shape.compute_as_caller_v1(window_days, k, as_of,
                               ARRAY['users', 'conversations', 'messages', 'read_receipts', 'attachments'])
$$;
DROP FUNCTION IF EXISTS shape.export_base_v2(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.people_as_caller_v2(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.people_reader_v2(int, int, timestamptz);
CREATE OR REPLACE FUNCTION shape.version() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '1'::text $$;
-- k_histogram as version 1 had it (migrations/00002_shape_helpers.sql)
CREATE OR REPLACE FUNCTION shape.k_histogram(edges float8[], counts bigint[], k int,
                                             OUT histogram jsonb, OUT merged_buckets int)
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n      int := coalesce(pg_catalog.cardinality(edges), 0);
    g_lo   float8;
    g_sum  bigint := 0;
    g_open boolean := false;
    los    float8[] := '{}';
    sums   bigint[] := '{}';
    i      int;
BEGIN
    IF coalesce(pg_catalog.cardinality(counts), 0) <> n THEN
        RAISE EXCEPTION 'error building a k-anonymous histogram: % edges but % counts', n, pg_catalog.cardinality(counts)
            USING ERRCODE = '22023';
    END IF;
    FOR i IN 1 .. n LOOP
        IF NOT g_open THEN
            g_lo := edges[i];
            g_sum := 0;
            g_open := true;
        END IF;
        g_sum := g_sum + coalesce(counts[i], 0);
        IF g_sum >= k THEN
            los := los || g_lo;
            sums := sums || g_sum;
            g_open := false;
        END IF;
    END LOOP;
    IF pg_catalog.cardinality(los) = 0 THEN
        histogram := '{}'::jsonb;
        merged_buckets := n;
        RETURN;
    END IF;
    IF g_open THEN
        sums[pg_catalog.cardinality(sums)] := sums[pg_catalog.cardinality(sums)] + g_sum;
    END IF;
    SELECT pg_catalog.jsonb_object_agg(shape.format_key(l), s)
      INTO histogram
      FROM ROWS FROM (pg_catalog.unnest(los), pg_catalog.unnest(sums)) AS u(l, s);
    merged_buckets := n - pg_catalog.cardinality(los);
END
$$;
DROP FUNCTION IF EXISTS shape.merge_v2(jsonb, jsonb);
DROP FUNCTION IF EXISTS shape.people_v2(int, int, timestamptz);
DROP FUNCTION IF EXISTS shape.top_shares_v2(jsonb, bigint, float8, int);
DROP FUNCTION IF EXISTS shape.grid_lifetime_seconds();
DROP FUNCTION IF EXISTS shape.grid_small_count();
DO $contract$
DECLARE
    v_def text;
BEGIN
    -- back to the version-1 columns, keeping whatever each view reads
    v_def := pg_catalog.rtrim(pg_catalog.pg_get_viewdef('shape_source.messages'::regclass), '; ' || chr(10));
    DROP VIEW shape_source.messages;
    EXECUTE 'CREATE VIEW shape_source.messages AS SELECT v.message_id, v.conversation_id, v.created_at, v.has_media, v.content_length FROM ('
         || v_def || ') v';
    v_def := pg_catalog.rtrim(pg_catalog.pg_get_viewdef('shape_source.conversation_members'::regclass), '; ' || chr(10));
    DROP VIEW shape_source.conversation_members;
    EXECUTE 'CREATE VIEW shape_source.conversation_members AS SELECT v.conversation_id FROM (' || v_def || ') v';
    v_def := pg_catalog.rtrim(pg_catalog.pg_get_viewdef('shape_source.read_receipts'::regclass), '; ' || chr(10));
    DROP VIEW shape_source.read_receipts;
    EXECUTE 'CREATE VIEW shape_source.read_receipts AS SELECT v.message_id, v.read_at FROM (' || v_def || ') v';
END
$contract$;
-- +goose StatementEnd
