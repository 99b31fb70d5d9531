-- The shape layer, part 1: schema `shape`, its version, the bucket grids and the pure
-- helpers (k-anonymous histograms, percentiles over a frequency table, key format).
-- Nothing here reads data; the families and the export are in 00003.
--
-- The grids equal the Go functions of shape/grid.go element by element (a test
-- compares them). Every name is schema-qualified; functions pin their search_path.

-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA IF NOT EXISTS shape;
COMMENT ON SCHEMA shape IS
    'pgshape shape layer: versioned functions and views returning only k-anonymous aggregates (shape document, shape_version 1)';

CREATE OR REPLACE FUNCTION shape.version() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT '1'::text $$;
COMMENT ON FUNCTION shape.version() IS 'shape_version of the documents this layer writes';

-- log_grid(from, to): the distinct values ceil(10^(i/10)) for i = 10·log10(from) …
-- 10·log10(to), as shape.LogGrid in Go.
CREATE OR REPLACE FUNCTION shape.log_grid(from_value float8, to_value float8) RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(v ORDER BY v)
    FROM (SELECT DISTINCT pg_catalog.ceil(pg_catalog.power(10::float8, i::float8 / 10) - 1e-9) AS v
          FROM pg_catalog.generate_series(pg_catalog.round(10 * pg_catalog.log(from_value))::int,
                                          pg_catalog.round(10 * pg_catalog.log(to_value))::int) AS i) g
$$;

CREATE OR REPLACE FUNCTION shape.grid_username_length() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.array_agg(i::float8 ORDER BY i) FROM pg_catalog.generate_series(0, 32) AS i $$;

CREATE OR REPLACE FUNCTION shape.grid_account_age_days() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0,1,2,3,7,14,30,60,90,180,365,730,1095,1460,1825,2555,3650}'::float8[] $$;

CREATE OR REPLACE FUNCTION shape.grid_member_count() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (SELECT pg_catalog.array_agg(i::float8 ORDER BY i) FROM pg_catalog.generate_series(0, 21) AS i)
           || '{25,30,40,50,75,100,150,200,300,500,750,1000,1500,2000,5000,10000}'::float8[]
$$;

CREATE OR REPLACE FUNCTION shape.grid_activity() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.log_grid(1, 1e6) $$;

CREATE OR REPLACE FUNCTION shape.grid_content_length() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0}'::float8[] || shape.log_grid(1, 1e5) $$;

CREATE OR REPLACE FUNCTION shape.grid_inter_arrival_seconds() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0}'::float8[] || shape.log_grid(1, 1e7) $$;

CREATE OR REPLACE FUNCTION shape.grid_delay_minutes() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{0,0.25,0.5,0.75,1,1.5,2,3,5,10,15,20,30,45,60,90,120,180,240,360,480,720,1080,1440,2160,2880,4320,7200,10080,20160,43200}'::float8[]
$$;

CREATE OR REPLACE FUNCTION shape.grid_attachment_size_bytes() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0}'::float8[] || shape.log_grid(1, 1e10) $$;

CREATE OR REPLACE FUNCTION shape.grid_joint_member() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0,2,3,6,11,21,51,101}'::float8[] $$;

CREATE OR REPLACE FUNCTION shape.grid_joint_activity() RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{0,1,10,100,1000,10000}'::float8[] $$;

-- format_key(v): a bucket bound as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it:
-- the shortest decimal that round-trips, no exponent ("5", "0.25").
CREATE OR REPLACE FUNCTION shape.format_key(v float8) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    SET extra_float_digits = 1
AS $$
    SELECT CASE WHEN v = pg_catalog.trunc(v) AND pg_catalog.abs(v) < 1e15
                THEN (v::bigint)::text
                ELSE (v::numeric)::text END
$$;

-- k_histogram(edges, counts, k): the k-anonymity merge of docs/DESIGN.md. Walking the
-- buckets upward, a bucket whose group holds fewer than k rows (zero included) merges
-- into the bucket above until the group reaches k; a trailing group under k merges into
-- the group below; a histogram whose total is under k is {}. Returns the histogram as
-- {"<lower bound>": count} and how many fine buckets disappeared (merged or dropped).
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

-- bucket_counts(edges, idx, cnt): a dense counts array over edges from sparse
-- (1-based bucket index, count) pairs; repeated indexes add up.
CREATE OR REPLACE FUNCTION shape.bucket_counts(edges float8[], idx int[], cnt bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(coalesce(s.c, 0)::bigint ORDER BY g.i)
    FROM pg_catalog.generate_series(1, coalesce(pg_catalog.cardinality(edges), 0)) AS g(i)
    LEFT JOIN (SELECT u.i, pg_catalog.sum(u.c) AS c
               FROM ROWS FROM (pg_catalog.unnest(idx), pg_catalog.unnest(cnt)) AS u(i, c) GROUP BY u.i) s ON s.i = g.i
$$;

-- percentile_freq(vals, cnts, p): percentile_cont(p) of a multiset given as distinct
-- values (any order) and their counts: rank h = p·(n − 1), linear interpolation between
-- the values at ranks floor(h) and ceil(h), exactly as percentile_cont. NULL when n = 0.
CREATE OR REPLACE FUNCTION shape.percentile_freq(vals float8[], cnts bigint[], p float8) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH f AS (
        SELECT u.v, u.c,
               pg_catalog.sum(u.c) OVER (ORDER BY u.v) - u.c AS before  -- rows ranked below v
        FROM ROWS FROM (pg_catalog.unnest(vals), pg_catalog.unnest(cnts)) AS u(v, c) WHERE u.c > 0
    ), n AS (SELECT pg_catalog.sum(f.c) AS n FROM f),
    h AS (SELECT p * (n.n - 1)::float8 AS h FROM n WHERE n.n > 0)
    SELECT lo.v + (h.h - pg_catalog.floor(h.h)) * (hi.v - lo.v)
    FROM h,
         LATERAL (SELECT f.v FROM f WHERE f.before <= pg_catalog.floor(h.h) ORDER BY f.v DESC LIMIT 1) lo,
         LATERAL (SELECT f.v FROM f WHERE f.before <= pg_catalog.ceil(h.h) ORDER BY f.v DESC LIMIT 1) hi
$$;

-- percentiles_json(vals, n, k): {"p50", "p75", "p90", "p95", "p99"} from
-- percentile_cont values for 0.5, 0.75, 0.9, 0.95, 0.99; p is published only when
-- n·min(p, 1 − p) ≥ k (exact decimal arithmetic). nulls counts the withheld ones.
CREATE OR REPLACE FUNCTION shape.percentiles_json(vals float8[], n bigint, k int,
                                                  OUT percentiles jsonb, OUT nulls int)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    SET extra_float_digits = 1
AS $$
    SELECT pg_catalog.jsonb_object_agg(x.name,
               CASE WHEN x.ok THEN pg_catalog.to_jsonb(vals[x.i]) ELSE 'null'::jsonb END),
           (pg_catalog.count(*) FILTER (WHERE NOT x.ok))::int
    FROM (SELECT p.name, p.i,
                 (n::numeric * LEAST(p.p, 1 - p.p) >= k AND vals[p.i] IS NOT NULL) AS ok
          FROM (VALUES ('p50', 1, 0.5), ('p75', 2, 0.75), ('p90', 3, 0.9),
                       ('p95', 4, 0.95), ('p99', 5, 0.99)) AS p(name, i, p)) x
$$;

-- int_array, bigint_array, float8_array: a jsonb array (or null) as a SQL array; null
-- gives an empty array.
CREATE OR REPLACE FUNCTION shape.int_array(a jsonb) RETURNS int[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT pg_catalog.array_agg(e.v::int ORDER BY e.o)
                       FROM pg_catalog.jsonb_array_elements_text(CASE WHEN pg_catalog.jsonb_typeof(a) = 'array' THEN a ELSE '[]'::jsonb END)
                            WITH ORDINALITY AS e(v, o)), '{}'::int[])
$$;

CREATE OR REPLACE FUNCTION shape.bigint_array(a jsonb) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT pg_catalog.array_agg(e.v::bigint ORDER BY e.o)
                       FROM pg_catalog.jsonb_array_elements_text(CASE WHEN pg_catalog.jsonb_typeof(a) = 'array' THEN a ELSE '[]'::jsonb END)
                            WITH ORDINALITY AS e(v, o)), '{}'::bigint[])
$$;

CREATE OR REPLACE FUNCTION shape.float8_array(a jsonb) RETURNS float8[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT pg_catalog.array_agg(e.v::float8 ORDER BY e.o)
                       FROM pg_catalog.jsonb_array_elements_text(CASE WHEN pg_catalog.jsonb_typeof(a) = 'array' THEN a ELSE '[]'::jsonb END)
                            WITH ORDINALITY AS e(v, o)), '{}'::float8[])
$$;

-- check_args(window_days, k): the arguments every family takes; raises 22023 naming
-- the bad one.
CREATE OR REPLACE FUNCTION shape.check_args(window_days int, k int, as_of timestamptz) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF window_days IS NULL OR window_days <= 0 THEN
        RAISE EXCEPTION 'error exporting the shape for window_days = %: window_days must be a positive number of days', coalesce(window_days::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'pass window_days ≥ 1, e.g. 30';
    END IF;
    IF k IS NULL OR k < 2 THEN
        RAISE EXCEPTION 'error exporting the shape for k = %: k (the k-anonymity threshold) must be at least 2', coalesce(k::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'pass k ≥ 2, e.g. 10';
    END IF;
    IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of) THEN
        RAISE EXCEPTION 'error exporting the shape for as_of = %: as_of must be a finite timestamp', coalesce(as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'pass as_of as a timestamptz, or omit it to use now()';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP SCHEMA IF EXISTS shape CASCADE;
-- +goose StatementEnd
