-- The shape layer, part 4: the privacy policy, owned by the DBA (issue 13).
--
-- Before this migration shape_reader could call shape.export with any k ≥ 2 and any
-- as_of, so two exports one microsecond apart subtracted to one message. Now:
--
--   * shape.policy (one row, owned by the layer's owner) holds the minimum k, the
--     window rules (as_of at a UTC day boundary no later than the start of today, a
--     minimum window length), the mode (k_anonymity | differential_privacy) and the
--     differential-privacy budget (ε, δ). shape_reader may read it, not change it.
--   * shape.export and the five family functions become SECURITY INVOKER dispatchers
--     with the same names and arguments. A caller that may execute shape.compute_v1
--     (the owner, and whoever the owner grants it to) runs it directly, unrestricted,
--     exactly as before: loader validate and loader generate export the synthetic
--     target with k = 2 as its owner. Every other caller (shape_reader) goes through
--     shape.compute_reader_v1, a SECURITY DEFINER function that checks the policy
--     first. shape_reader keeps no EXECUTE on anything that computes without the
--     check: the raw computation (shape.compute_v1) was never granted to it.
--   * A synthetic target gets no exemption: a shape_reader session there is held to
--     the policy too (its owner, who loads and validates it, is not).
--
-- The views shape.v1_* call the same names, so a shape_reader reading them is held
-- to the policy as well (set shape.as_of to a day boundary: its default now() is not).

-- +goose Up
-- +goose StatementBegin
CREATE TABLE shape.policy (
    singleton        boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    mode             text        NOT NULL DEFAULT 'k_anonymity'
                                 CHECK (mode IN ('k_anonymity', 'differential_privacy')),
    min_k            integer     NOT NULL DEFAULT 10 CHECK (min_k >= 2),
    min_window_days  integer     NOT NULL DEFAULT 7 CHECK (min_window_days >= 1),
    dp_epsilon       numeric     NOT NULL DEFAULT 1 CHECK (dp_epsilon > 0),
    dp_delta         numeric     NOT NULL DEFAULT 0.000001 CHECK (dp_delta > 0 AND dp_delta < 1),
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE shape.policy IS
    'pgshape privacy policy (one row, DBA-owned): what shape_reader may export. mode k_anonymity|differential_privacy; min_k; windows of whole UTC days, as_of at a day boundary no later than the start of today, at least min_window_days long; the total differential-privacy budget (dp_epsilon, dp_delta) over all DP releases';
INSERT INTO shape.policy DEFAULT VALUES;
REVOKE ALL ON shape.policy FROM PUBLIC;
GRANT SELECT ON shape.policy TO shape_reader;

-- shape.check_policy_v1: raises 42501 naming the broken rule unless a shape_reader
-- export with these arguments is allowed. Reads the policy as the owner.
CREATE OR REPLACE FUNCTION shape.check_policy_v1(window_days int, k int, as_of timestamptz) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    p     shape.policy;
    today timestamptz := pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    SELECT * INTO p FROM shape.policy;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'error checking the privacy policy: shape.policy has no row'
            USING ERRCODE = '42501', HINT = 'the DBA restores it: INSERT INTO shape.policy DEFAULT VALUES';
    END IF;
    IF p.mode = 'differential_privacy' THEN
        RAISE EXCEPTION 'error exporting the shape for k = %: the privacy policy (shape.policy) is in differential_privacy mode: exact k-anonymous exports are for the owner only', coalesce(k::text, 'NULL')
            USING ERRCODE = '42501', HINT = 'use shape.export_dp (loader sample --privacy dp)';
    END IF;
    IF k IS NULL OR k < p.min_k THEN
        RAISE EXCEPTION 'error exporting the shape for k = %: the privacy policy (shape.policy) requires k ≥ %', coalesce(k::text, 'NULL'), p.min_k
            USING ERRCODE = '42501', HINT = pg_catalog.format('pass k ≥ %s; only the DBA may change shape.policy.min_k', p.min_k);
    END IF;
    IF window_days IS NULL OR window_days < p.min_window_days THEN
        RAISE EXCEPTION 'error exporting the shape for window_days = %: the privacy policy (shape.policy) requires a window of at least % days', coalesce(window_days::text, 'NULL'), p.min_window_days
            USING ERRCODE = '42501', HINT = pg_catalog.format('pass window_days ≥ %s', p.min_window_days);
    END IF;
    IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of)
       OR as_of <> pg_catalog.date_trunc('day', as_of AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' THEN
        RAISE EXCEPTION 'error exporting the shape for as_of = %: the privacy policy (shape.policy) requires as_of at a UTC day boundary (00:00:00Z)',
                coalesce(pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'NULL')
            USING ERRCODE = '42501', HINT = 'pass as_of as a date at midnight UTC, e.g. 2025-10-22T00:00:00Z';
    END IF;
    IF as_of > today THEN
        RAISE EXCEPTION 'error exporting the shape for as_of = %: the privacy policy (shape.policy) requires as_of no later than the start of today (%)',
                pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                pg_catalog.to_char(today AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            USING ERRCODE = '42501', HINT = 'pass as_of = a past midnight UTC (today''s data is still growing)';
    END IF;
END
$fn$;
COMMENT ON FUNCTION shape.check_policy_v1(int, int, timestamptz) IS
    'raises 42501 unless shape.policy allows a shape_reader export with (window_days, k, as_of)';

-- shape.compute_reader_v1: shape.compute_v1 behind the policy; the only computing
-- function shape_reader may execute.
CREATE OR REPLACE FUNCTION shape.compute_reader_v1(window_days int, k int, as_of timestamptz, families text[])
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM shape.check_policy_v1(window_days, k, as_of);
    RETURN shape.compute_v1(window_days, k, as_of, families);
END
$fn$;
COMMENT ON FUNCTION shape.compute_reader_v1(int, int, timestamptz, text[]) IS
    'shape.compute_v1 after shape.check_policy_v1: what a caller without EXECUTE on shape.compute_v1 (shape_reader) runs';

-- shape.compute_as_caller_v1: the dispatch. Runs as the caller (SECURITY INVOKER), so
-- the privilege test sees the caller's role, not the owner's.
CREATE OR REPLACE FUNCTION shape.compute_as_caller_v1(window_days int, k int, as_of timestamptz, families text[])
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF pg_catalog.has_function_privilege('shape.compute_v1(integer, integer, timestamp with time zone, text[])', 'EXECUTE') THEN
        RETURN shape.compute_v1(window_days, k, as_of, families);
    END IF;
    RETURN shape.compute_reader_v1(window_days, k, as_of, families);
END
$fn$;
COMMENT ON FUNCTION shape.compute_as_caller_v1(int, int, timestamptz, text[]) IS
    'internal: the owner (EXECUTE on shape.compute_v1) computes unrestricted, anyone else through shape.compute_reader_v1 (the policy)';

CREATE OR REPLACE FUNCTION shape.users_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_as_caller_v1(window_days, k, as_of, ARRAY['users']) -> 'users' $$;
CREATE OR REPLACE FUNCTION shape.conversations_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_as_caller_v1(window_days, k, as_of, ARRAY['conversations']) -> 'conversations' $$;
CREATE OR REPLACE FUNCTION shape.messages_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_as_caller_v1(window_days, k, as_of, ARRAY['messages']) -> 'messages' $$;
CREATE OR REPLACE FUNCTION shape.read_receipts_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_as_caller_v1(window_days, k, as_of, ARRAY['read_receipts']) -> 'read_receipts' $$;
CREATE OR REPLACE FUNCTION shape.attachments_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_as_caller_v1(window_days, k, as_of, ARRAY['attachments']) -> 'attachments' $$;
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
CREATE OR REPLACE FUNCTION shape.export(window_days int, k int) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.export(window_days, k, pg_catalog.now()) $$;

REVOKE EXECUTE ON FUNCTION shape.check_policy_v1(int, int, timestamptz),
                           shape.compute_reader_v1(int, int, timestamptz, text[]),
                           shape.compute_as_caller_v1(int, int, timestamptz, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shape.compute_reader_v1(int, int, timestamptz, text[]),
                          shape.compute_as_caller_v1(int, int, timestamptz, text[]) TO shape_reader;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
-- back to 00003's definitions: SECURITY DEFINER, no policy
CREATE OR REPLACE FUNCTION shape.users_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['users']) -> 'users' $$;
CREATE OR REPLACE FUNCTION shape.conversations_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['conversations']) -> 'conversations' $$;
CREATE OR REPLACE FUNCTION shape.messages_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['messages']) -> 'messages' $$;
CREATE OR REPLACE FUNCTION shape.read_receipts_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['read_receipts']) -> 'read_receipts' $$;
CREATE OR REPLACE FUNCTION shape.attachments_v1(window_days int, k int, as_of timestamptz) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.compute_v1(window_days, k, as_of, ARRAY['attachments']) -> 'attachments' $$;
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
CREATE OR REPLACE FUNCTION shape.export(window_days int, k int) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT shape.export(window_days, k, pg_catalog.now()) $$;
DROP FUNCTION IF EXISTS shape.compute_as_caller_v1(int, int, timestamptz, text[]);
DROP FUNCTION IF EXISTS shape.compute_reader_v1(int, int, timestamptz, text[]);
DROP FUNCTION IF EXISTS shape.check_policy_v1(int, int, timestamptz);
DROP TABLE IF EXISTS shape.policy;
-- +goose StatementEnd
