-- The shape layer, part 5: the differential-privacy export (issue 13).
--
-- shape.export_dp(window_days, as_of, epsilon, delta) releases a shape document computed
-- and noised inside the database, in one SECURITY DEFINER call, so only noisy
-- aggregates leave. docs/privacy.md has the guarantee, its unit and its limits:
--
--   * Unit. The source contract (00001) has no sender or member identity, so the unit
--     it can bound is the conversation with all its rows: its memberships, its window
--     messages, their receipts and attachments; for the users family the unit is one
--     user row. A person who writes in c conversations is covered by group privacy
--     (c²·ρ). The user-level guarantee needs the contract to name, per message, its
--     sender, per membership its user and per receipt its reader (issue 12).
--   * Bounds, in SQL before aggregation: at most cap_messages window messages per
--     conversation, cap_receipts receipts per message, cap_attachments attachments per
--     message (shape.policy; rows kept in the order of a seeded hash,
--     hashint8extended(id, seed), a fresh random 64-bit seed per release). The caps go
--     out with the result.
--   * Fixed public bins (the grids of 00002), every bin published, no suppression.
--     Sparse histogram bins whose noisy count is under 3σ are set to 0; totals, shares,
--     ratios, means, percentiles, heavy-room shares and the burst coefficient are
--     computed from the noisy counts (post-processing).
--   * Noise: the discrete Gaussian (Canonne, Kamath, Steinke 2020), sampled exactly
--     with integer arithmetic from pgcrypto's gen_random_bytes. Never random(), never
--     floating point.
--   * Accounting: zero-concentrated DP. A release of ρ splits it evenly over its 15 noisy
--     vectors; a vector of L2 sensitivity Δ gets σ² = ⌈Δ²/(2ρ_i)⌉. ρ adds up over
--     releases and converts to ε = ρ + 2√(ρ·ln(1/δ)) (Bun and Steinke 2016, Prop. 1.3).
--   * The ledger: the total spent lives in a sequence (shape.dp_rho_spent_nano, ρ in
--     units of 10⁻⁹), which a ROLLBACK cannot undo, so BEGIN; SELECT shape.export_dp(…);
--     ROLLBACK still pays. Charging happens under a lock on shape.dp_ledger, before any
--     noise is drawn, and is refused past the policy's budget. Each release is stored;
--     the same request again returns the stored document and costs nothing.

-- +goose Up
-- +goose StatementBegin
ALTER TABLE shape.policy
    ADD COLUMN dp_cap_messages    integer NOT NULL DEFAULT 50 CHECK (dp_cap_messages >= 1),
    ADD COLUMN dp_cap_receipts    integer NOT NULL DEFAULT 5 CHECK (dp_cap_receipts >= 1),
    ADD COLUMN dp_cap_attachments integer NOT NULL DEFAULT 2 CHECK (dp_cap_attachments >= 1);
COMMENT ON COLUMN shape.policy.dp_cap_messages IS 'differential privacy: window messages kept per conversation';
COMMENT ON COLUMN shape.policy.dp_cap_receipts IS 'differential privacy: receipts kept per kept message';
COMMENT ON COLUMN shape.policy.dp_cap_attachments IS 'differential privacy: attachments kept per kept message';
-- random bytes from pgcrypto (created if missing; trusted in PG13+, a database owner may)
DO $ext$
DECLARE
    sch name;
BEGIN
    SELECT n.nspname INTO sch FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    IF sch IS NULL THEN
        CREATE SCHEMA IF NOT EXISTS shape_pgcrypto;
        COMMENT ON SCHEMA shape_pgcrypto IS 'pgshape: pgcrypto, installed by migration 00006 for the differential-privacy sampler''s random bits';
        REVOKE ALL ON SCHEMA shape_pgcrypto FROM PUBLIC;
        CREATE EXTENSION pgcrypto SCHEMA shape_pgcrypto;
        sch := 'shape_pgcrypto';
    END IF;
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION shape.dp_random_bytes(n int) RETURNS bytea
            LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
        AS 'SELECT %I.gen_random_bytes(n)'$f$, sch);
END
$ext$;
COMMENT ON FUNCTION shape.dp_random_bytes(int) IS
    'n bytes from pgcrypto''s gen_random_bytes (the server''s strong random source): the only source of randomness of the differential-privacy mode';

-- shape.dp_uniform(m): a uniform integer in {0, …, m − 1}, m ≥ 1, by rejection from
-- random bytes (exact: no modulo bias).
CREATE OR REPLACE FUNCTION shape.dp_uniform(m numeric) RETURNS numeric
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    x      bigint;
    mb     bigint;
    lim    bigint;
    nbytes int;
    b      bytea;
    v      numeric;
    span   numeric;
    i      int;
BEGIN
    IF m < 1 OR m <> pg_catalog.trunc(m) THEN
        RAISE EXCEPTION 'shape.dp_uniform: m = % is not a positive integer', m USING ERRCODE = '22023';
    END IF;
    IF m = 1 THEN
        RETURN 0;
    END IF;
    IF m <= 4611686018427387904 THEN  -- 2^62: 62-bit words
        mb := m::bigint;
        lim := (4611686018427387904 / mb) * mb;
        LOOP
            x := ('x' || pg_catalog.encode(shape.dp_random_bytes(8), 'hex'))::bit(64)::bigint & 4611686018427387903;
            IF x < lim THEN
                RETURN x % mb;
            END IF;
        END LOOP;
    END IF;
    -- big m: enough whole bytes for m·256, then rejection
    nbytes := pg_catalog.ceil(pg_catalog.log(2::numeric, m) / 8)::int + 1;
    span := pg_catalog.power(256::numeric, nbytes);
    lim := NULL;
    LOOP
        b := shape.dp_random_bytes(nbytes);
        v := 0;
        FOR i IN 0 .. nbytes - 1 LOOP
            v := v * 256 + pg_catalog.get_byte(b, i);
        END LOOP;
        IF v < pg_catalog.div(span, m) * m THEN
            RETURN pg_catalog.mod(v, m);
        END IF;
    END LOOP;
END
$fn$;

-- shape.dp_bernoulli_exp(n, d): true with probability exp(−n/d), n ≥ 0, d ≥ 1 integers
-- (Canonne, Kamath, Steinke 2020, Algorithm 1: for γ ∈ [0, 1], draw Bernoulli(γ/k) for
-- k = 1, 2, … until one fails; the result is true when that k is odd. γ > 1 is split
-- into whole exp(−1) factors, each a chain with γ = 1.) Bernoulli(p/q) is "a uniform
-- integer in {0…q−1} is < p": 62-bit words from a buffer of random bytes, rejection
-- above the largest multiple of q (no modulo bias); shape.dp_uniform past 2^62.
CREATE OR REPLACE FUNCTION shape.dp_bernoulli_exp(n numeric, d numeric) RETURNS boolean
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    k     numeric;
    g_n   numeric;    -- the chain's γ = g_n / g_d
    g_d   numeric;
    whole boolean;    -- true while drawing the exp(−1) factors
    q     numeric;
    x     bigint;
    buf   bytea;
    pos   int := 16;   -- bytes of buf used
    r     numeric;
BEGIN
    IF n < 0 OR d < 1 THEN
        RAISE EXCEPTION 'shape.dp_bernoulli_exp: n = %, d = % out of range', n, d USING ERRCODE = '22023';
    END IF;
    LOOP
        whole := n > d;
        IF whole THEN g_n := 1; g_d := 1; ELSE g_n := n; g_d := d; END IF;
        k := 1;
        LOOP
            -- r := uniform in {0 … g_d·k − 1}
            q := g_d * k;
            IF q <= 4611686018427387904 THEN
                LOOP
                    IF pos >= 16 THEN buf := shape.dp_random_bytes(16); pos := 0; END IF;
                    x := ('x' || pg_catalog.encode(pg_catalog.substr(buf, pos + 1, 8), 'hex'))::bit(64)::bigint
                         & 4611686018427387903;
                    pos := pos + 8;
                    EXIT WHEN x < (4611686018427387904 / q::bigint) * q::bigint;
                END LOOP;
                r := x % q::bigint;
            ELSE
                r := shape.dp_uniform(q);
            END IF;
            EXIT WHEN r >= g_n;  -- Bernoulli(γ/k) failed
            k := k + 1;
        END LOOP;
        IF NOT whole THEN
            RETURN k % 2 = 1;
        END IF;
        IF k % 2 = 0 THEN
            RETURN false;   -- an exp(−1) factor failed
        END IF;
        n := n - d;
    END LOOP;
END
$fn$;

-- shape.dp_discrete_gaussian(sigma2, n): n independent draws of the discrete Gaussian
-- N_Z(0, σ²), P(x) ∝ exp(−x²/(2σ²)) over the integers, σ² a positive integer
-- (CKS 2020, Algorithm 3): with t = ⌊σ⌋ + 1, draw Y from the discrete Laplace of scale
-- t, P(y) ∝ exp(−|y|/t) (Algorithm 2: U uniform in {0…t−1} kept with probability
-- exp(−U/t), V with P(V = v) ∝ exp(−v), magnitude U + tV, a random sign, −0
-- rejected), and keep Y with probability exp(−(|Y| − σ²/t)² / (2σ²)) =
-- exp(−(|Y|·t − σ²)² / (2σ²t²)). Every probability is a ratio of integers: no
-- floating point anywhere.
CREATE OR REPLACE FUNCTION shape.dp_discrete_gaussian(sigma2 bigint, n int) RETURNS bigint[]
    LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    t    bigint;
    lim  bigint;
    u    bigint;
    v    bigint;
    y    numeric;
    neg  boolean;
    x    bigint;
    buf  bytea;
    pos  int := 512;
    out  bigint[] := pg_catalog.array_fill(0::bigint, ARRAY[n]);
    i    int;
BEGIN
    IF sigma2 < 1 OR n < 0 THEN
        RAISE EXCEPTION 'shape.dp_discrete_gaussian: sigma2 = %, n = % out of range (sigma2 ≥ 1, n ≥ 0)', sigma2, n USING ERRCODE = '22023';
    END IF;
    -- t = ⌊√σ²⌋ + 1, the integer square root made exact
    t := pg_catalog.floor(pg_catalog.sqrt(sigma2::numeric))::bigint;
    WHILE t * t > sigma2 LOOP t := t - 1; END LOOP;
    WHILE (t + 1) * (t + 1) <= sigma2 LOOP t := t + 1; END LOOP;
    t := t + 1;
    lim := (4611686018427387904 / t) * t;
    FOR i IN 1 .. n LOOP
        LOOP
            -- the discrete Laplace candidate
            IF pos >= 512 THEN buf := shape.dp_random_bytes(512); pos := 0; END IF;
            x := ('x' || pg_catalog.encode(pg_catalog.substr(buf, pos + 1, 8), 'hex'))::bit(64)::bigint;
            pos := pos + 8;
            neg := x < 0;                              -- the sign: the word's top bit
            x := x & 4611686018427387903;              -- 62 further bits for U
            CONTINUE WHEN x >= lim;
            u := x % t;
            CONTINUE WHEN NOT shape.dp_bernoulli_exp(u, t);
            v := 0;
            WHILE shape.dp_bernoulli_exp(1, 1) LOOP
                v := v + 1;
            END LOOP;
            CONTINUE WHEN neg AND u = 0 AND v = 0;
            y := u + t * v;
            -- the Gaussian acceptance
            IF shape.dp_bernoulli_exp((y * t - sigma2) ^ 2, 2 * sigma2::numeric * t * t) THEN
                out[i] := CASE WHEN neg THEN -y ELSE y END;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
    RETURN out;
END
$fn$;

-- shape.dp_rho(epsilon, delta): the largest ρ whose zCDP conversion ρ + 2√(ρ·ln(1/δ))
-- is at most ε: ρ = (√(ε + L) − √L)², L = ln(1/δ).
CREATE OR REPLACE FUNCTION shape.dp_rho(epsilon float8, delta float8) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$ SELECT (pg_catalog.sqrt(epsilon + pg_catalog.ln(1 / delta)) - pg_catalog.sqrt(pg_catalog.ln(1 / delta))) ^ 2 $$;
-- shape.dp_epsilon(rho, delta): ε = ρ + 2√(ρ·ln(1/δ)) (Bun and Steinke 2016, Prop. 1.3).
CREATE OR REPLACE FUNCTION shape.dp_epsilon(rho float8, delta float8) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$ SELECT rho + 2 * pg_catalog.sqrt(rho * pg_catalog.ln(1 / delta)) $$;

-- shape.dp_sensitivity_v1(caps): each noisy vector of a release, its unit and its
-- sensitivities when one unit (with all its rows) is removed: L1 (the sum of the
-- absolute changes) and L2. A conversation contributes one count to the member, joint
-- and activity histograms, at most M kept messages (content, cells, media, gaps: one
-- gap per kept message at most), M·R receipts, M·A attachments; a receipt count, a
-- read-message count and a message count by member bucket all fall in its one bucket.
-- The bound L2 ≤ L1 holds for non-negative counts; both are worst cases.
CREATE OR REPLACE FUNCTION shape.dp_sensitivity_v1(cap_messages int, cap_receipts int, cap_attachments int)
    RETURNS TABLE (name text, unit text, l1 bigint, l2 bigint)
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.name, v.unit, v.s, v.s
      FROM (VALUES
        ('users.username_length',   'user',         1::bigint),
        ('users.account_age_days',  'user',         1),
        ('conversations.member_count',  'conversation', 1),
        ('conversations.size_activity', 'conversation', 1),
        ('conversations.activity',      'conversation', 1),
        ('messages.content_length',     'conversation', cap_messages::bigint),
        ('messages.weekday_hour',       'conversation', cap_messages::bigint),
        ('messages.media',              'conversation', cap_messages::bigint),
        ('messages.inter_arrival',      'conversation', cap_messages::bigint),
        ('read_receipts.delay_minutes', 'conversation', cap_messages::bigint * cap_receipts),
        ('read_receipts.messages_by_member_count', 'conversation', cap_messages::bigint),
        ('read_receipts.read_by_member_count',     'conversation', cap_messages::bigint),
        ('read_receipts.receipts_by_member_count', 'conversation', cap_messages::bigint * cap_receipts),
        ('attachments.type',            'conversation', cap_messages::bigint * cap_attachments),
        ('attachments.size_bytes',      'conversation', cap_messages::bigint * cap_attachments)
      ) AS v(name, unit, s)
$$;

-- shape.dp_aggregates_v1: the exact, bounded counts a release noises, one bigint array
-- per vector of shape.dp_sensitivity_v1 (by name), over fixed bins. key chooses the
-- kept rows (hashint8extended order, seeded by key's first 8 bytes, within each
-- conversation or message: message id; receipt read_at; attachment size); with a fixed key
-- the rows kept of one conversation do not depend on any other conversation, which is
-- what the sensitivities need. Internal: only the owner and shape.export_dp call it.
CREATE OR REPLACE FUNCTION shape.dp_aggregates_v1(window_days int, as_of timestamptz, cap_messages int,
                                                  cap_receipts int, cap_attachments int, key bytea)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '256MB'
    SET jit = off
    SET TimeZone = 'UTC'
AS $fn$
DECLARE
    lo_ts     timestamptz;
    seed      bigint;
    g_user    float8[] := shape.grid_username_length();
    g_age     float8[] := shape.grid_account_age_days();
    g_member  float8[] := shape.grid_member_count();
    g_activity float8[] := shape.grid_activity();
    g_content float8[] := shape.grid_content_length();
    g_gap     float8[] := shape.grid_inter_arrival_seconds();
    g_delay   float8[] := shape.grid_delay_minutes();
    g_size    float8[] := shape.grid_attachment_size_bytes();
    g_jm      float8[] := shape.grid_joint_member();
    g_ja      float8[] := shape.grid_joint_activity();
    g_168     float8[] := pg_catalog.array_fill(0::float8, ARRAY[168]);
    g_5       float8[] := pg_catalog.array_fill(0::float8, ARRAY[5]);
    g_1       float8[] := ARRAY[0::float8];
    hi_t      float8 := pg_catalog.date_part('epoch', as_of);
    u_out     jsonb;
    c_out     jsonb;
    m_out     jsonb;
BEGIN
    PERFORM shape.check_args(window_days, 2, as_of);
    IF cap_messages < 1 OR cap_receipts < 1 OR cap_attachments < 1 OR key IS NULL THEN
        RAISE EXCEPTION 'error computing the differential-privacy aggregates: caps must be ≥ 1 and the key set'
            USING ERRCODE = '22023';
    END IF;
    lo_ts := as_of - pg_catalog.make_interval(days => window_days);
    seed := ('x' || pg_catalog.encode(pg_catalog.substr(key || '\x0000000000000000'::bytea, 1, 8), 'hex'))::bit(64)::bigint;

    -- users: one count per user row in each histogram
    SELECT pg_catalog.jsonb_build_object(
               'users.username_length', (SELECT shape.bucket_counts(g_user, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(su.username_length::float8, g_user), 1) AS b, pg_catalog.count(*) AS n
                           FROM shape_source.users su WHERE su.created_at < as_of GROUP BY 1) s),
               'users.account_age_days', (SELECT shape.bucket_counts(g_age, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(pg_catalog.floor((hi_t - pg_catalog.date_part('epoch', su.created_at)) / 86400), g_age), 1) AS b,
                                pg_catalog.count(*) AS n
                           FROM shape_source.users su WHERE su.created_at < as_of GROUP BY 1) s))
      INTO u_out;

    -- conversations: one count per conversation in each histogram (its true member
    -- count and window activity choose the bin)
    WITH act AS (SELECT m.conversation_id, pg_catalog.count(*) AS n
                   FROM shape_source.messages m
                  WHERE m.created_at >= lo_ts AND m.created_at < as_of GROUP BY 1),
         mem AS (SELECT cm.conversation_id, pg_catalog.count(*) AS n
                   FROM shape_source.conversation_members cm GROUP BY 1),
         c AS MATERIALIZED (SELECT coalesce(mem.n, 0) AS members, coalesce(act.n, 0) AS activity
                 FROM shape_source.conversations sc
                 LEFT JOIN mem ON mem.conversation_id = sc.conversation_id
                 LEFT JOIN act ON act.conversation_id = sc.conversation_id
                WHERE sc.created_at < as_of)
    SELECT pg_catalog.jsonb_build_object(
               'conversations.member_count', (SELECT shape.bucket_counts(g_member, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(c.members::float8, g_member), 1) AS b, pg_catalog.count(*) AS n FROM c GROUP BY 1) s),
               'conversations.size_activity', (SELECT shape.bucket_counts(pg_catalog.array_fill(0::float8, ARRAY[48]), pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT (GREATEST(pg_catalog.width_bucket(c.members::float8, g_jm), 1) - 1) * 6
                                + GREATEST(pg_catalog.width_bucket(c.activity::float8, g_ja), 1) AS b, pg_catalog.count(*) AS n
                           FROM c GROUP BY 1) s),
               'conversations.activity', (SELECT shape.bucket_counts(g_activity, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(c.activity::float8, g_activity), 1) AS b, pg_catalog.count(*) AS n
                           FROM c WHERE c.activity > 0 GROUP BY 1) s))
      INTO c_out;

    -- messages, receipts, attachments: at most cap_messages window messages per
    -- conversation, cap_receipts receipts and cap_attachments attachments per message
    WITH w AS (SELECT m.message_id, m.conversation_id, m.created_at, m.has_media, m.content_length,
                      pg_catalog.row_number() OVER (PARTITION BY m.conversation_id
                                                    ORDER BY pg_catalog.hashint8extended(m.message_id, seed), m.message_id) AS rk,
                      pg_catalog.date_part('epoch', m.created_at)
                          - pg_catalog.date_part('epoch', pg_catalog.lag(m.created_at) OVER (PARTITION BY m.conversation_id
                                                                                            ORDER BY m.created_at, m.message_id)) AS gap
                 FROM shape_source.messages m
                WHERE m.created_at >= lo_ts AND m.created_at < as_of),
         kept AS MATERIALIZED (SELECT w.message_id, w.conversation_id, w.created_at, w.has_media, w.content_length, w.gap
                                 FROM w WHERE w.rk <= cap_messages),
         mem AS (SELECT cm.conversation_id, pg_catalog.count(*) AS n
                   FROM shape_source.conversation_members cm GROUP BY 1),
         kb AS MATERIALIZED (SELECT kept.message_id, kept.created_at,
                                    GREATEST(pg_catalog.width_bucket(coalesce(mem.n, 0)::float8, g_jm), 1) AS mb
                               FROM kept LEFT JOIN mem ON mem.conversation_id = kept.conversation_id),
         rr AS MATERIALIZED (SELECT r.message_id, r.mb, r.delay_min
                               FROM (SELECT kb.message_id, kb.mb,
                                            (pg_catalog.date_part('epoch', sr.read_at) - pg_catalog.date_part('epoch', kb.created_at)) / 60 AS delay_min,
                                            pg_catalog.row_number() OVER (PARTITION BY sr.message_id
                                                ORDER BY pg_catalog.hashint8extended((pg_catalog.date_part('epoch', sr.read_at) * 1e6)::bigint, seed)) AS rk
                                       FROM kb JOIN shape_source.read_receipts sr ON sr.message_id = kb.message_id
                                      WHERE sr.read_at < as_of) r
                              WHERE r.rk <= cap_receipts),
         att AS MATERIALIZED (SELECT a.type, a.size_bytes
                                FROM (SELECT sa.type, sa.size_bytes,
                                             pg_catalog.row_number() OVER (PARTITION BY sa.message_id
                                                 ORDER BY pg_catalog.hashint8extended(sa.size_bytes, seed), sa.type) AS rk
                                        FROM kept JOIN shape_source.attachments sa ON sa.message_id = kept.message_id) a
                               WHERE a.rk <= cap_attachments)
    SELECT pg_catalog.jsonb_build_object(
               'messages.content_length', (SELECT shape.bucket_counts(g_content, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.content_length::float8, g_content), 1) AS b, pg_catalog.count(*) AS n
                           FROM kept WHERE kept.content_length IS NOT NULL GROUP BY 1) s),
               'messages.weekday_hour', (SELECT shape.bucket_counts(g_168, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT ((pg_catalog.date_part('isodow', kept.created_at) - 1) * 24
                                 + pg_catalog.date_part('hour', kept.created_at))::int + 1 AS b, pg_catalog.count(*) AS n
                           FROM kept GROUP BY 1) s),
               'messages.media', ARRAY[(SELECT pg_catalog.count(*) FROM kept WHERE kept.has_media)],
               'messages.inter_arrival', (SELECT shape.bucket_counts(g_gap, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.gap, g_gap), 1) AS b, pg_catalog.count(*) AS n
                           FROM kept WHERE kept.gap IS NOT NULL GROUP BY 1) s),
               'read_receipts.delay_minutes', (SELECT shape.bucket_counts(g_delay, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(rr.delay_min, g_delay), 1) AS b, pg_catalog.count(*) AS n
                           FROM rr GROUP BY 1) s),
               'read_receipts.messages_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT kb.mb AS b, pg_catalog.count(*) AS n FROM kb GROUP BY 1) s),
               'read_receipts.read_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT d.mb AS b, pg_catalog.count(*) AS n FROM (SELECT DISTINCT rr.message_id, rr.mb FROM rr) d GROUP BY 1) s),
               'read_receipts.receipts_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT rr.mb AS b, pg_catalog.count(*) AS n FROM rr GROUP BY 1) s),
               'attachments.type', (SELECT shape.bucket_counts(g_5, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT pg_catalog.array_position(ARRAY['image', 'video', 'audio', 'document', 'other'],
                                                          CASE WHEN att.type IN ('image', 'video', 'audio', 'document') THEN att.type ELSE 'other' END) AS b,
                                pg_catalog.count(*) AS n
                           FROM att GROUP BY 1) s),
               'attachments.size_bytes', (SELECT shape.bucket_counts(g_size, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(att.size_bytes::float8, g_size), 1) AS b, pg_catalog.count(*) AS n
                           FROM att GROUP BY 1) s))
      INTO m_out;
    RETURN u_out || c_out || m_out;
END
$fn$;
COMMENT ON FUNCTION shape.dp_aggregates_v1(int, timestamptz, int, int, int, bytea) IS
    'internal: the exact, contribution-bounded counts a differential-privacy release noises (one array per vector of shape.dp_sensitivity_v1)';

-- Post-processing helpers: they see only noisy counts.
-- shape.dp_upper(edges): each bin's upper bound (the last bin: its lower bound plus
-- the width of the bin below, or 1).
CREATE OR REPLACE FUNCTION shape.dp_upper(edges float8[]) RETURNS float8[]
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.array_agg(CASE WHEN i < n THEN edges[i + 1]
                                     WHEN n > 1 THEN edges[n] + (edges[n] - edges[n - 1])
                                     ELSE edges[n] + 1 END ORDER BY i)
      FROM (SELECT pg_catalog.cardinality(edges) AS n) c, pg_catalog.generate_series(1, c.n) AS i
$$;

-- shape.dp_mean(edges, counts, integer_valued): the mean of the bins' middles
-- (integer values: the middle of e_i … e_{i+1} − 1); NULL when the total is 0.
CREATE OR REPLACE FUNCTION shape.dp_mean(edges float8[], counts bigint[], integer_valued boolean) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.sum(c * (lo + hi - CASE WHEN integer_valued THEN 1 ELSE 0 END) / 2) / NULLIF(pg_catalog.sum(c), 0)
      FROM ROWS FROM (pg_catalog.unnest(edges), pg_catalog.unnest(shape.dp_upper(edges)), pg_catalog.unnest(counts)) AS u(lo, hi, c)
$$;

-- shape.dp_cv(edges, counts): σ/μ of the bins' middles (the burst coefficient from
-- the gap histogram); NULL when the mean is 0 or the total is 0.
CREATE OR REPLACE FUNCTION shape.dp_cv(edges float8[], counts bigint[]) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT c::float8 AS c, (lo + hi) / 2 AS m
                 FROM ROWS FROM (pg_catalog.unnest(edges), pg_catalog.unnest(shape.dp_upper(edges)), pg_catalog.unnest(counts)) AS u(lo, hi, c)),
         s AS (SELECT pg_catalog.sum(b.c) AS n, pg_catalog.sum(b.c * b.m) / NULLIF(pg_catalog.sum(b.c), 0) AS mu FROM b)
    SELECT pg_catalog.sqrt(GREATEST(pg_catalog.sum(b.c * (b.m - s.mu) ^ 2) / NULLIF(s.n, 0), 0)) / NULLIF(s.mu, 0)
      FROM b, s GROUP BY s.n, s.mu
$$;

-- shape.dp_quantile(edges, counts, p): the p-quantile, linear inside its bin; NULL
-- when the total is 0.
CREATE OR REPLACE FUNCTION shape.dp_quantile(edges float8[], counts bigint[], p float8) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT u.i, u.lo, u.hi, u.c::float8 AS c,
                      pg_catalog.sum(u.c) OVER (ORDER BY u.i) - u.c AS below,
                      pg_catalog.sum(u.c) OVER () AS n
                 FROM ROWS FROM (pg_catalog.unnest(edges), pg_catalog.unnest(shape.dp_upper(edges)), pg_catalog.unnest(counts))
                      WITH ORDINALITY AS u(lo, hi, c, i))
    SELECT b.lo + (b.hi - b.lo) * LEAST(GREATEST((p * b.n - b.below) / b.c, 0), 1)
      FROM b WHERE b.n > 0 AND b.c > 0 AND b.below + b.c >= p * b.n
     ORDER BY b.i LIMIT 1
$$;

-- shape.dp_top_share(edges, counts, p, integer_valued): the share of the total carried
-- by the ceil(p·n) largest values, each taken at its bin's middle (heavy-room shares
-- from the noisy activity histogram).
CREATE OR REPLACE FUNCTION shape.dp_top_share(edges float8[], counts bigint[], p float8, integer_valued boolean) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT u.i, u.c::float8 AS c, (u.lo + u.hi - CASE WHEN integer_valued THEN 1 ELSE 0 END) / 2 AS m
                 FROM ROWS FROM (pg_catalog.unnest(edges), pg_catalog.unnest(shape.dp_upper(edges)), pg_catalog.unnest(counts))
                      WITH ORDINALITY AS u(lo, hi, c, i)),
         t AS (SELECT pg_catalog.ceil(p * pg_catalog.sum(b.c)) AS top, pg_catalog.sum(b.c * b.m) AS total FROM b),
         r AS (SELECT b.c, b.m, pg_catalog.sum(b.c) OVER (ORDER BY b.i DESC) - b.c AS above FROM b)
    SELECT pg_catalog.sum(LEAST(r.c, GREATEST(t.top - r.above, 0)) * r.m) / NULLIF(t.total, 0)
      FROM r, t GROUP BY t.total
$$;

-- shape.dp_hist(edges, counts): {"<lower bound>": count} over every bin.
CREATE OR REPLACE FUNCTION shape.dp_hist(edges float8[], counts bigint[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(shape.format_key(u.lo), u.c), '{}'::jsonb)
      FROM ROWS FROM (pg_catalog.unnest(edges), pg_catalog.unnest(counts)) AS u(lo, c)
$$;

-- shape.dp_ratio(a, b): a / b, NULL when b ≤ 0; clamped to [0, 1] when clamp.
CREATE OR REPLACE FUNCTION shape.dp_ratio(a float8, b float8, clamp boolean) RETURNS float8
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN b IS NULL OR b <= 0 THEN NULL WHEN clamp THEN LEAST(GREATEST(a / b, 0), 1) ELSE GREATEST(a / b, 0) END $$;

-- shape.dp_at_least(x, lo): x raised to lo (NULL stays NULL): a read message has at
-- least one receipt, which noise alone could contradict.
CREATE OR REPLACE FUNCTION shape.dp_at_least(x float8, lo float8) RETURNS float8
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN x IS NOT NULL THEN GREATEST(x, lo) END $$;

-- The ledger: one row per release, the document stored; the total spent in a sequence
-- (non-transactional: a rolled-back release stays paid).
CREATE TABLE shape.dp_ledger (
    release_id   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    released_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    released_by  name        NOT NULL DEFAULT SESSION_USER,
    request      jsonb       NOT NULL UNIQUE,
    epsilon      float8      NOT NULL,
    delta        float8      NOT NULL,
    rho          float8      NOT NULL,
    document     jsonb       NOT NULL
);
COMMENT ON TABLE shape.dp_ledger IS
    'pgshape differential-privacy releases: the request (window_days, as_of, epsilon, delta, caps), its cost rho (zCDP) and the released document';
CREATE SEQUENCE shape.dp_rho_spent_nano AS bigint MINVALUE 0 START 0;
COMMENT ON SEQUENCE shape.dp_rho_spent_nano IS
    'the zCDP rho spent by all differential-privacy releases, in units of 1e-9 (last_value; is_called false = nothing spent); charged before any noise is drawn, never rolled back';
REVOKE ALL ON shape.dp_ledger, shape.dp_rho_spent_nano FROM PUBLIC;
GRANT SELECT ON shape.dp_ledger TO shape_reader;

-- shape.dp_spent_nano(): the ρ spent so far, in 10⁻⁹.
CREATE OR REPLACE FUNCTION shape.dp_spent_nano() RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END FROM shape.dp_rho_spent_nano s $$;

CREATE OR REPLACE VIEW shape.v1_privacy_budget AS
    SELECT p.mode,
           p.dp_epsilon::float8 AS budget_epsilon,
           p.dp_delta::float8 AS budget_delta,
           shape.dp_rho(p.dp_epsilon::float8, p.dp_delta::float8) AS budget_rho,
           shape.dp_spent_nano() / 1e9::float8 AS spent_rho,
           shape.dp_epsilon(shape.dp_spent_nano() / 1e9::float8, p.dp_delta::float8) AS spent_epsilon,
           GREATEST(shape.dp_rho(p.dp_epsilon::float8, p.dp_delta::float8) - shape.dp_spent_nano() / 1e9::float8, 0) AS remaining_rho,
           (SELECT pg_catalog.count(*) FROM shape.dp_ledger) AS releases,
           (SELECT pg_catalog.max(l.released_at) FROM shape.dp_ledger l) AS last_release_at
      FROM shape.policy p;
COMMENT ON VIEW shape.v1_privacy_budget IS
    'the differential-privacy budget of shape.policy, what the releases of shape.dp_ledger have spent (zCDP rho, and epsilon at the policy''s delta) and what remains';

-- shape.export_dp: the differential-privacy release (see the header).
CREATE OR REPLACE FUNCTION shape.export_dp(window_days int, as_of timestamptz, epsilon float8, delta float8)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC'
    SET extra_float_digits = 1
AS $fn$
DECLARE
    p        shape.policy;
    today    timestamptz := pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    req      jsonb;
    doc      jsonb;
    rho      float8;
    rho_nano bigint;
    spent    bigint;
    budget   bigint;
    raw      jsonb;
    s        record;
    noisy    jsonb := '{}'::jsonb;
    params   jsonb := '{}'::jsonb;
    nvec     int;
    sigma2   bigint;
    thr      bigint;
    v        bigint[];
    z        bigint[];
    i        int;
    rid      bigint;
    -- noisy vectors, clamped at 0 (post-processing)
    n_user bigint[]; n_age bigint[]; n_member bigint[]; n_joint bigint[]; n_act bigint[];
    n_content bigint[]; n_cells bigint[]; n_media bigint; n_gap bigint[]; n_delay bigint[];
    n_bmsg bigint[]; n_bread bigint[]; n_brec bigint[]; n_type bigint[]; n_size bigint[];
    g_jm float8[] := shape.grid_joint_member();
    g_ja float8[] := shape.grid_joint_activity();
    g_member float8[] := shape.grid_member_count();
    g_activity float8[] := shape.grid_activity();
    g_delay float8[] := shape.grid_delay_minutes();
    tot float8; one float8; small float8; large float8;
    wk float8 := 0; we float8 := 0; wk_days int := 0; we_days int := 0;
    hourly jsonb; wh jsonb; joint jsonb; bym jsonb;
    immediate float8; near float8;
    pct jsonb;
    t_msgs bigint;
BEGIN
    SELECT * INTO p FROM shape.policy;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'error checking the privacy policy: shape.policy has no row' USING ERRCODE = '42501';
    END IF;
    IF epsilon IS NULL OR NOT (epsilon > 0) OR delta IS NULL OR NOT (delta > 0 AND delta < 1) THEN
        RAISE EXCEPTION 'error exporting the differential-privacy shape for epsilon = %, delta = %: want epsilon > 0 and 0 < delta < 1',
                coalesce(epsilon::text, 'NULL'), coalesce(delta::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'e.g. epsilon 1, delta 1e-6';
    END IF;
    IF window_days IS NULL OR window_days < p.min_window_days THEN
        RAISE EXCEPTION 'error exporting the differential-privacy shape for window_days = %: the privacy policy (shape.policy) requires a window of at least % days',
                coalesce(window_days::text, 'NULL'), p.min_window_days USING ERRCODE = '42501';
    END IF;
    IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of)
       OR as_of <> pg_catalog.date_trunc('day', as_of AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' OR as_of > today THEN
        RAISE EXCEPTION 'error exporting the differential-privacy shape for as_of = %: the privacy policy (shape.policy) requires as_of at a UTC day boundary no later than the start of today',
                coalesce(pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'NULL')
            USING ERRCODE = '42501', HINT = 'pass as_of as a past midnight UTC, e.g. 2025-10-22T00:00:00Z';
    END IF;
    rho := shape.dp_rho(epsilon, delta);
    rho_nano := pg_catalog.ceil(rho * 1e9)::bigint;
    req := pg_catalog.jsonb_build_object('window_days', window_days,
               'as_of', pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'epsilon', epsilon, 'delta', delta, 'version', 'dp1',
               'caps', pg_catalog.jsonb_build_object('messages_per_conversation', p.dp_cap_messages,
                                                     'receipts_per_message', p.dp_cap_receipts,
                                                     'attachments_per_message', p.dp_cap_attachments));

    -- one release at a time: check the stored releases and charge under this lock
    LOCK TABLE shape.dp_ledger IN SHARE ROW EXCLUSIVE MODE;
    SELECT l.document INTO doc FROM shape.dp_ledger l WHERE l.request = req;
    IF FOUND THEN
        RETURN doc;   -- the same request again: the stored release, no new cost
    END IF;
    spent := shape.dp_spent_nano();
    budget := pg_catalog.floor(shape.dp_rho(p.dp_epsilon::float8, p.dp_delta::float8) * 1e9)::bigint;
    IF spent + rho_nano > budget THEN
        RAISE EXCEPTION 'error exporting the differential-privacy shape for epsilon = %: the privacy budget is spent (rho % of % used, this release needs %)',
                epsilon, spent / 1e9, budget / 1e9, rho_nano / 1e9
            USING ERRCODE = '42501', HINT = 'repeat an earlier request (shape.dp_ledger) at no cost, ask for a smaller epsilon, or ask the DBA to raise shape.policy.dp_epsilon';
    END IF;
    -- charge before drawing: a sequence is not rolled back with the transaction
    PERFORM pg_catalog.setval('shape.dp_rho_spent_nano', spent + rho_nano, true);

    raw := shape.dp_aggregates_v1(window_days, as_of, p.dp_cap_messages, p.dp_cap_receipts, p.dp_cap_attachments,
                                  shape.dp_random_bytes(32));
    SELECT pg_catalog.count(*) INTO nvec FROM shape.dp_sensitivity_v1(1, 1, 1);
    FOR s IN SELECT * FROM shape.dp_sensitivity_v1(p.dp_cap_messages, p.dp_cap_receipts, p.dp_cap_attachments) LOOP
        -- ρ_i = ρ / nvec; σ² = ⌈Δ² / (2ρ_i)⌉, so the vector costs Δ²/(2σ²) ≤ ρ_i
        sigma2 := GREATEST(pg_catalog.ceil((s.l2::float8 ^ 2) * nvec / (2 * rho)), 1)::bigint;
        SELECT pg_catalog.array_agg(e::bigint ORDER BY o) INTO v
          FROM pg_catalog.jsonb_array_elements_text(raw -> s.name) WITH ORDINALITY AS a(e, o);
        z := shape.dp_discrete_gaussian(sigma2, pg_catalog.cardinality(v));
        -- post-processing: in the long, sparse histograms (the grids) a bin whose noisy
        -- count is under 3σ becomes 0: an empty bin passes with probability 0.13 %,
        -- while clamping at 0 alone leaves every empty bin about 0.4σ and piles mass
        -- into the empty tails (percentiles, heavy-room shares). The dense vectors
        -- (7×24 cells, types, media, the member-bucket counts) are only clamped at 0.
        thr := CASE WHEN s.name IN ('messages.weekday_hour', 'messages.media', 'attachments.type',
                                    'read_receipts.messages_by_member_count',
                                    'read_receipts.read_by_member_count', 'read_receipts.receipts_by_member_count')
                    THEN 0 ELSE pg_catalog.ceil(3 * pg_catalog.sqrt(sigma2::float8))::bigint END;
        FOR i IN 1 .. pg_catalog.cardinality(v) LOOP
            v[i] := CASE WHEN v[i] + z[i] < thr THEN 0 ELSE GREATEST(v[i] + z[i], 0) END;
        END LOOP;
        noisy := noisy || pg_catalog.jsonb_build_object(s.name, pg_catalog.to_jsonb(v));
        params := params || pg_catalog.jsonb_build_object(s.name, pg_catalog.jsonb_build_object(
                      'unit', s.unit, 'l2_sensitivity', s.l2, 'sigma2', sigma2,
                      'rho', (s.l2::float8 ^ 2) / (2 * sigma2)));
    END LOOP;
    -- from here on, only noisy counts
    raw := NULL;
    n_user := shape.bigint_array(noisy -> 'users.username_length');
    n_age := shape.bigint_array(noisy -> 'users.account_age_days');
    n_member := shape.bigint_array(noisy -> 'conversations.member_count');
    n_joint := shape.bigint_array(noisy -> 'conversations.size_activity');
    n_act := shape.bigint_array(noisy -> 'conversations.activity');
    n_content := shape.bigint_array(noisy -> 'messages.content_length');
    n_cells := shape.bigint_array(noisy -> 'messages.weekday_hour');
    n_media := (noisy -> 'messages.media' ->> 0)::bigint;
    n_gap := shape.bigint_array(noisy -> 'messages.inter_arrival');
    n_delay := shape.bigint_array(noisy -> 'read_receipts.delay_minutes');
    n_bmsg := shape.bigint_array(noisy -> 'read_receipts.messages_by_member_count');
    n_bread := shape.bigint_array(noisy -> 'read_receipts.read_by_member_count');
    n_brec := shape.bigint_array(noisy -> 'read_receipts.receipts_by_member_count');
    n_type := shape.bigint_array(noisy -> 'attachments.type');
    n_size := shape.bigint_array(noisy -> 'attachments.size_bytes');

    -- conversations: type mix over the member bins 2 | 3–20 | 21+
    SELECT pg_catalog.sum(c) FILTER (WHERE lo >= 2), pg_catalog.sum(c) FILTER (WHERE lo = 2),
           pg_catalog.sum(c) FILTER (WHERE lo >= 3 AND lo < 21), pg_catalog.sum(c) FILTER (WHERE lo >= 21)
      INTO tot, one, small, large
      FROM ROWS FROM (pg_catalog.unnest(g_member), pg_catalog.unnest(n_member)) AS u(lo, c);
    SELECT pg_catalog.jsonb_object_agg(shape.format_key(g_jm[mi]),
               (SELECT pg_catalog.jsonb_object_agg(shape.format_key(g_ja[ai]), n_joint[(mi - 1) * 6 + ai])
                  FROM pg_catalog.generate_series(1, 6) ai))
      INTO joint FROM pg_catalog.generate_series(1, 8) mi;
    -- messages: hours folded from the 7×24 cells; weekday and weekend days of the window
    SELECT pg_catalog.jsonb_agg((SELECT pg_catalog.sum(n_cells[d * 24 + h + 1]) FROM pg_catalog.generate_series(0, 6) d) ORDER BY h)
      INTO hourly FROM pg_catalog.generate_series(0, 23) h;
    SELECT pg_catalog.jsonb_agg((SELECT pg_catalog.jsonb_agg(n_cells[d * 24 + h + 1] ORDER BY h) FROM pg_catalog.generate_series(0, 23) h) ORDER BY d)
      INTO wh FROM pg_catalog.generate_series(0, 6) d;
    SELECT pg_catalog.count(*) FILTER (WHERE pg_catalog.date_part('isodow', dd) <= 5),
           pg_catalog.count(*) FILTER (WHERE pg_catalog.date_part('isodow', dd) > 5)
      INTO wk_days, we_days
      FROM pg_catalog.generate_series(as_of - pg_catalog.make_interval(days => window_days), as_of - interval '1 day', interval '1 day') dd;
    SELECT pg_catalog.sum(n_cells[ci]) FILTER (WHERE ci <= 120), pg_catalog.sum(n_cells[ci]) FILTER (WHERE ci > 120)
      INTO wk, we FROM pg_catalog.generate_series(1, 168) ci;
    t_msgs := (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_cells) c);
    -- receipts: by member bucket
    SELECT pg_catalog.jsonb_object_agg(shape.format_key(g_jm[b]), pg_catalog.jsonb_build_object(
               'read_rate', shape.dp_ratio(n_bread[b], n_bmsg[b], true),
               'receipts_per_read_message', shape.dp_at_least(shape.dp_ratio(n_brec[b], n_bread[b], false), 1)))
      INTO bym FROM pg_catalog.generate_series(1, 8) b;
    SELECT pg_catalog.sum(c) FILTER (WHERE lo < 1), pg_catalog.sum(c) FILTER (WHERE lo >= 1 AND lo < 60)
      INTO immediate, near
      FROM ROWS FROM (pg_catalog.unnest(g_delay), pg_catalog.unnest(n_delay)) AS u(lo, c);

    doc := pg_catalog.jsonb_build_object(
        'extracted_at', pg_catalog.to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'sample_window_days', window_days,
        'privacy_level', 'ANONYMIZED_SHAPE_ONLY',
        'shape_version', shape.version(),
        'users', pg_catalog.jsonb_build_object(
            'total_count', (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_user) c),
            'username_length_histogram', shape.dp_hist(shape.grid_username_length(), n_user),
            'account_age_days_histogram', shape.dp_hist(shape.grid_account_age_days(), n_age),
            'suppressed', '{"merged_buckets": 0, "null_values": 0}'::jsonb),
        'conversations', pg_catalog.jsonb_build_object(
            'total_count', (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_member) c),
            'active_count', (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_act) c),
            'member_count_histogram', shape.dp_hist(g_member, n_member),
            'type_distribution', pg_catalog.jsonb_build_object(
                'one_to_one', shape.dp_ratio(one, tot, true),
                'small_group', shape.dp_ratio(small, tot, true),
                'large_group', shape.dp_ratio(large, tot, true)),
            'activity_percentiles', pg_catalog.jsonb_build_object(
                'p50', shape.dp_quantile(g_activity, n_act, 0.5), 'p75', shape.dp_quantile(g_activity, n_act, 0.75),
                'p90', shape.dp_quantile(g_activity, n_act, 0.9), 'p95', shape.dp_quantile(g_activity, n_act, 0.95),
                'p99', shape.dp_quantile(g_activity, n_act, 0.99)),
            'activity_histogram', shape.dp_hist(g_activity, n_act),
            'heavy_room_share', pg_catalog.jsonb_build_object(
                'top_1pct', shape.dp_top_share(g_activity, n_act, 0.01, true),
                'top_2pct', shape.dp_top_share(g_activity, n_act, 0.02, true),
                'top_5pct', shape.dp_top_share(g_activity, n_act, 0.05, true)),
            'size_activity_histogram', joint,
            'suppressed', '{"merged_buckets": 0, "null_values": 0}'::jsonb),
        'messages', pg_catalog.jsonb_build_object(
            'total_count', t_msgs,
            'content_length_histogram', shape.dp_hist(shape.grid_content_length(), n_content),
            'content_length_mean', shape.dp_mean(shape.grid_content_length(), n_content, true),
            'content_length_median', shape.dp_quantile(shape.grid_content_length(), n_content, 0.5),
            'media_ratio', shape.dp_ratio(n_media, t_msgs, true),
            'hourly_distribution', hourly,
            'weekday_hour_distribution', wh,
            'weekday_weekend_ratio', CASE WHEN wk_days > 0 AND we_days > 0 AND we > 0 THEN (wk / wk_days) / (we / we_days) END,
            'burst_coefficient', shape.dp_cv(shape.grid_inter_arrival_seconds(), n_gap),
            'inter_arrival_histogram_seconds', shape.dp_hist(shape.grid_inter_arrival_seconds(), n_gap),
            'inter_arrival_mean_seconds', shape.dp_mean(shape.grid_inter_arrival_seconds(), n_gap, false),
            'suppressed', '{"merged_buckets": 0, "null_values": 0}'::jsonb),
        'read_receipts', pg_catalog.jsonb_build_object(
            'total_count', (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_delay) c),
            'read_rate', shape.dp_ratio((SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_bread) c),
                                        (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_bmsg) c), true),
            'receipts_per_read_message', shape.dp_at_least(shape.dp_ratio((SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_brec) c),
                                                        (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_bread) c), false), 1),
            'delay_histogram_minutes', shape.dp_hist(g_delay, n_delay),
            'delay_percentiles_seconds', pg_catalog.jsonb_build_object(
                'p50', 60 * shape.dp_quantile(g_delay, n_delay, 0.5), 'p75', 60 * shape.dp_quantile(g_delay, n_delay, 0.75),
                'p90', 60 * shape.dp_quantile(g_delay, n_delay, 0.9), 'p95', 60 * shape.dp_quantile(g_delay, n_delay, 0.95),
                'p99', 60 * shape.dp_quantile(g_delay, n_delay, 0.99)),
            'immediate_percentage', shape.dp_ratio(immediate, (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_delay) c), true),
            'near_term_percentage', shape.dp_ratio(near, (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_delay) c), true),
            'delayed_percentage', shape.dp_ratio((SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_delay) c) - immediate - near,
                                                 (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_delay) c), true),
            'by_member_count', bym,
            'suppressed', '{"merged_buckets": 0, "null_values": 0}'::jsonb),
        'attachments', pg_catalog.jsonb_build_object(
            'total_count', (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_type) c),
            'type_distribution', (SELECT pg_catalog.jsonb_object_agg(t.name,
                                      shape.dp_ratio(n_type[t.ti], (SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_type) c), true))
                                    FROM pg_catalog.unnest(ARRAY['image', 'video', 'audio', 'document', 'other']) WITH ORDINALITY AS t(name, ti)),
            'size_histogram_bytes', shape.dp_hist(shape.grid_attachment_size_bytes(), n_size),
            'size_median_bytes', shape.dp_quantile(shape.grid_attachment_size_bytes(), n_size, 0.5),
            'per_media_message', shape.dp_ratio((SELECT pg_catalog.sum(c) FROM pg_catalog.unnest(n_type) c), n_media, false),
            'suppressed', '{"merged_buckets": 0, "null_values": 0}'::jsonb));

    INSERT INTO shape.dp_ledger (request, epsilon, delta, rho, document)
    VALUES (req, epsilon, delta, rho, '{}'::jsonb) RETURNING release_id INTO rid;
    doc := doc || pg_catalog.jsonb_build_object('privacy', pg_catalog.jsonb_build_object(
        'mode', 'differential_privacy',
        'unit', 'conversation',
        'epsilon', epsilon, 'delta', delta, 'rho', rho,
        'caps', req -> 'caps',
        'noise', 'discrete_gaussian',
        'vectors', params,
        'release_id', rid));
    UPDATE shape.dp_ledger SET document = doc WHERE release_id = rid;
    RETURN doc;
END
$fn$;
COMMENT ON FUNCTION shape.export_dp(int, timestamptz, float8, float8) IS
    'the shape document with (epsilon, delta) zCDP-accounted differential privacy: discrete Gaussian noise on bounded, fixed-bin counts; charged to shape.policy''s budget before drawing; a repeated request returns the stored release (shape.dp_ledger) at no cost';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA shape FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shape.export_dp(int, timestamptz, float8, float8),
                          shape.dp_rho(float8, float8), shape.dp_epsilon(float8, float8),
                          shape.dp_spent_nano()
    TO shape_reader;
GRANT SELECT ON shape.v1_privacy_budget TO shape_reader;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP VIEW IF EXISTS shape.v1_privacy_budget;
DROP FUNCTION IF EXISTS shape.export_dp(int, timestamptz, float8, float8);
DROP FUNCTION IF EXISTS shape.dp_spent_nano();
DROP TABLE IF EXISTS shape.dp_ledger;
DROP SEQUENCE IF EXISTS shape.dp_rho_spent_nano;
DROP FUNCTION IF EXISTS shape.dp_at_least(float8, float8);
DROP FUNCTION IF EXISTS shape.dp_ratio(float8, float8, boolean);
DROP FUNCTION IF EXISTS shape.dp_hist(float8[], bigint[]);
DROP FUNCTION IF EXISTS shape.dp_top_share(float8[], bigint[], float8, boolean);
DROP FUNCTION IF EXISTS shape.dp_quantile(float8[], bigint[], float8);
DROP FUNCTION IF EXISTS shape.dp_cv(float8[], bigint[]);
DROP FUNCTION IF EXISTS shape.dp_mean(float8[], bigint[], boolean);
DROP FUNCTION IF EXISTS shape.dp_upper(float8[]);
DROP FUNCTION IF EXISTS shape.dp_aggregates_v1(int, timestamptz, int, int, int, bytea);
DROP FUNCTION IF EXISTS shape.dp_sensitivity_v1(int, int, int);
DROP FUNCTION IF EXISTS shape.dp_epsilon(float8, float8);
DROP FUNCTION IF EXISTS shape.dp_rho(float8, float8);
DROP FUNCTION IF EXISTS shape.dp_discrete_gaussian(bigint, int);
DROP FUNCTION IF EXISTS shape.dp_bernoulli_exp(numeric, numeric);
DROP FUNCTION IF EXISTS shape.dp_uniform(numeric);
DROP FUNCTION IF EXISTS shape.dp_random_bytes(int);
-- pgcrypto stays if this layer did not install it; its own schema goes with it
DROP SCHEMA IF EXISTS shape_pgcrypto CASCADE;
ALTER TABLE shape.policy DROP COLUMN IF EXISTS dp_cap_messages,
                         DROP COLUMN IF EXISTS dp_cap_receipts,
                         DROP COLUMN IF EXISTS dp_cap_attachments;
-- +goose StatementEnd
