-- The shape layer, part 5: the differential-privacy export (issue 13).
--
-- shape.export_dp(window_days, as_of, epsilon, delta) releases a shape document computed
-- and noised inside the database, in one SECURITY DEFINER call, so only noisy
-- aggregates leave. docs/privacy.md has the guarantee, its unit and its limits:
--
--   * Unit: one user with their rows: their user row, their memberships, the messages
--     they sent in the window and what hangs off those messages (the receipts on them,
--     their attachments), and the receipts they made as a reader. It needs the identity
--     columns of the contract that 00007 adds, shape_source.messages.sender_id,
--     shape_source.conversation_members.user_id and shape_source.read_receipts.reader_id;
--     a release refuses (55000, naming the view to re-point) while one is missing or
--     NULL.
--   * Bounds, in SQL before aggregation, with a fresh random 64-bit key per release
--     (gen_random_bytes; a function argument, never in SQL text, never stored): per user
--     at most C conversations (among those they are a member of or write in, by the
--     keyed hash of the conversation id; only their memberships, messages and receipts
--     there count) and M window messages (keyed hash of the message id); per message A
--     attachments; per conversation at most R receipts in the delay histogram (keyed
--     hash of message and reader), and counts bounded by B (messages, read messages)
--     and Bq (receipts) in the by-member-count vectors. A receipt counts only when its
--     message is kept and its reader is a member of the conversation who kept it: a
--     receipt has two owners, and each can touch only their own C conversations. The
--     caps go out with the result.
--   * Fixed public bins (the grids of 00002), every bin published, no suppression.
--     Sparse histogram bins are kept when their noisy count is at least 5σ or when they
--     are positive and joined to such a bin by positive bins, else set to 0
--     (shape.dp_keep); dense vectors are clamped at 0. Totals, shares, ratios, means,
--     percentiles, heavy-room shares and the burst coefficient are computed from the
--     noisy counts (post-processing).
--   * Noise: the discrete Gaussian (Canonne, Kamath, Steinke 2020), sampled exactly
--     with integer arithmetic from pgcrypto's gen_random_bytes. Never random(), never
--     floating point.
--   * Accounting: zero-concentrated DP. A release of ρ splits it over its 15 noisy
--     vectors by the policy's weights (dp_weights; by default 10 on the activity
--     histogram, 5 on the member counts, 1 on each other vector); a vector of squared L2 sensitivity Δ² (shape.dp_sensitivity_v2, derived
--     from the caps) gets σ² = ⌈Δ²/(2ρ_i)⌉. ρ adds up over releases and converts to
--     (ε, δ) by Canonne, Kamath and Steinke's Proposition 12 (shape.dp_epsilon), never
--     above Bun and Steinke's ρ + 2√(ρ·ln(1/δ)) (2016, Prop. 1.3).
--   * The ledger: the total spent lives in a sequence (shape.dp_rho_spent_nano, ρ in
--     units of 10⁻⁹), which a ROLLBACK cannot undo, so BEGIN; SELECT shape.export_dp(…);
--     ROLLBACK still pays. Charging happens under a lock on shape.dp_ledger, before any
--     noise is drawn, and is refused past the policy's budget. Each release is stored;
--     the same request again returns the stored document and costs nothing.

-- +goose Up
-- +goose StatementBegin
ALTER TABLE shape.policy
    ADD COLUMN dp_cap_conversations integer NOT NULL DEFAULT 16 CHECK (dp_cap_conversations BETWEEN 1 AND 10000),
    ADD COLUMN dp_cap_messages      integer NOT NULL DEFAULT 200 CHECK (dp_cap_messages BETWEEN 1 AND 10000),
    ADD COLUMN dp_cap_receipts      integer NOT NULL DEFAULT 8 CHECK (dp_cap_receipts BETWEEN 1 AND 10000),
    ADD COLUMN dp_cap_attachments   integer NOT NULL DEFAULT 2 CHECK (dp_cap_attachments BETWEEN 1 AND 10000),
    ADD COLUMN dp_cap_conversation_messages integer NOT NULL DEFAULT 50
        CHECK (dp_cap_conversation_messages BETWEEN 1 AND 10000),
    ADD COLUMN dp_cap_conversation_receipts integer NOT NULL DEFAULT 100
        CHECK (dp_cap_conversation_receipts BETWEEN 1 AND 10000);
COMMENT ON COLUMN shape.policy.dp_cap_conversations IS 'differential privacy: conversations kept per user (C)';
COMMENT ON COLUMN shape.policy.dp_cap_messages IS 'differential privacy: window messages kept per user (M)';
COMMENT ON COLUMN shape.policy.dp_cap_receipts IS 'differential privacy: receipts a conversation counts in the read-delay histogram (R)';
COMMENT ON COLUMN shape.policy.dp_cap_attachments IS 'differential privacy: attachments kept per kept message (A)';
COMMENT ON COLUMN shape.policy.dp_cap_conversation_messages IS
    'differential privacy: messages (and read messages) a conversation counts in the by-member-count vectors (B)';
COMMENT ON COLUMN shape.policy.dp_cap_conversation_receipts IS
    'differential privacy: receipts a conversation counts in the by-member-count vectors (Bq)';
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
--
-- Two paths compute the same thing. When 2σ²t² ≤ 2⁵⁰ (σ² up to about 2.3·10⁷) every
-- quantity fits a bigint: the Bernoulli(exp(−n/d)) chains run inline, in one state
-- machine, on 62-bit words taken from a buffer of 128 random words (1 KiB of
-- gen_random_bytes, its largest call, converted in one statement), which is several
-- times faster than a function call per Bernoulli. Larger σ² (and, on the fast path, an acceptance whose
-- |Y·t − σ²| passes 2³¹) use shape.dp_bernoulli_exp on numeric.
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
    -- the bigint path
    w     bigint[];
    wp    int := 129;
    stage int;
    b     boolean;
    big   boolean := false;
    whole boolean;
    bn    bigint;
    bd    bigint;
    gn    bigint;
    gd    bigint;
    k     bigint;
    q     bigint;
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
    IF 2 * sigma2::numeric * t * t <= 1125899906842624 THEN  -- 2^50: the bigint path
        i := 1;
        stage := 0;
        WHILE i <= n LOOP
            IF stage = 0 THEN
                -- a discrete Laplace candidate: the sign from the word's top bit, U from
                -- its 62 low bits; then Bernoulli(exp(−U/t))
                IF wp > 128 THEN
                    SELECT pg_catalog.array_agg(('x' || pg_catalog.encode(pg_catalog.substr(r.b, 8 * g.j + 1, 8), 'hex'))::bit(64)::bigint ORDER BY g.j)
                      INTO w FROM (SELECT shape.dp_random_bytes(1024) AS b) r, pg_catalog.generate_series(0, 127) AS g(j);
                    wp := 1;
                END IF;
                x := w[wp];
                wp := wp + 1;
                neg := x < 0;
                x := x & 4611686018427387903;
                CONTINUE WHEN x >= lim;
                u := x % t;
                bn := u; bd := t; stage := 1;
            END IF;
            IF big THEN
                -- the acceptance past 2^31: numeric
                b := shape.dp_bernoulli_exp((y * t - sigma2) ^ 2, 2 * sigma2::numeric * t * t);
                big := false;
            ELSE
                -- b := Bernoulli(exp(−bn/bd)), CKS Algorithm 1 (see shape.dp_bernoulli_exp)
                LOOP
                    whole := bn > bd;
                    IF whole THEN gn := 1; gd := 1; ELSE gn := bn; gd := bd; END IF;
                    k := 1;
                    LOOP
                        q := gd * k;
                        LOOP
                            IF wp > 128 THEN
                                SELECT pg_catalog.array_agg(('x' || pg_catalog.encode(pg_catalog.substr(r.b, 8 * g.j + 1, 8), 'hex'))::bit(64)::bigint ORDER BY g.j)
                                  INTO w FROM (SELECT shape.dp_random_bytes(1024) AS b) r, pg_catalog.generate_series(0, 127) AS g(j);
                                wp := 1;
                            END IF;
                            x := w[wp] & 4611686018427387903;
                            wp := wp + 1;
                            EXIT WHEN x < (4611686018427387904 / q) * q;
                        END LOOP;
                        EXIT WHEN x % q >= gn;   -- Bernoulli(γ/k) failed
                        k := k + 1;
                    END LOOP;
                    IF NOT whole THEN b := k % 2 = 1; EXIT; END IF;
                    IF k % 2 = 0 THEN b := false; EXIT; END IF;   -- an exp(−1) factor failed
                    bn := bn - bd;
                END LOOP;
            END IF;
            IF stage = 1 THEN
                -- U kept: V counts the Bernoulli(exp(−1)) successes before a failure
                IF b THEN v := 0; bn := 1; bd := 1; stage := 2; ELSE stage := 0; END IF;
            ELSIF stage = 2 THEN
                IF b THEN
                    v := v + 1; bn := 1; bd := 1;
                ELSIF neg AND u = 0 AND v = 0 THEN
                    stage := 0;   -- −0
                ELSE
                    y := u + t * v;
                    IF pg_catalog.abs(y * t - sigma2) < 2147483648 THEN
                        bn := (y::bigint * t - sigma2) * (y::bigint * t - sigma2);
                        bd := 2 * sigma2 * t * t;
                    ELSE
                        big := true;
                    END IF;
                    stage := 3;
                END IF;
            ELSE
                -- stage 3: the Gaussian acceptance
                IF b THEN
                    out[i] := CASE WHEN neg THEN -y ELSE y END;
                    i := i + 1;
                END IF;
                stage := 0;
            END IF;
        END LOOP;
        RETURN out;
    END IF;
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

-- shape.dp_epsilon(rho, delta): the ε for which ρ-zCDP gives (ε, δ)-DP, by Canonne,
-- Kamath and Steinke 2020 ("The Discrete Gaussian for Differential Privacy"),
-- Proposition 12: for every α > 1, ρ-zCDP gives (ε_α, δ)-DP with
--   ε_α = αρ + (ln(1/δ) + α·ln(1 − 1/α) − ln(α − 1)) / (α − 1),
-- so the smallest ε_α over any set of α is a valid ε. The set: α − 1 = 10^(k/100),
-- k = −600 … 600 (a step of 2.3 % in α − 1, from 10⁻⁶ to 10⁶, which holds the best α
-- for every ρ and δ a release can ask for). It is never above Bun and Steinke's
-- ρ + 2√(ρ·ln(1/δ)) (2016, Prop. 1.3), kept as a floor of the minimum; at ε = 1,
-- δ = 10⁻⁶ it lets a release spend ρ = 0.02436 instead of 0.01747.
CREATE OR REPLACE FUNCTION shape.dp_epsilon(rho float8, delta float8) RETURNS float8
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN rho <= 0 THEN 0::float8 ELSE
           LEAST(rho + 2 * pg_catalog.sqrt(rho * pg_catalog.ln(1 / delta)),
                 (SELECT pg_catalog.min(g.a * rho + (pg_catalog.ln(1 / delta) + g.a * pg_catalog.ln(1 - 1 / g.a) - pg_catalog.ln(g.a - 1)) / (g.a - 1))
                    FROM (SELECT 1 + 10 ^ (k / 100.0)::float8 AS a FROM pg_catalog.generate_series(-600, 600) k) g)) END
$$;
-- shape.dp_rho(epsilon, delta): the largest ρ (to 10⁻¹² relative) whose
-- shape.dp_epsilon is at most ε, by bisection (shape.dp_epsilon increases with ρ):
-- what a request for (ε, δ) may spend. Never below Bun and Steinke's
-- (√(ε + L) − √L)², L = ln(1/δ).
CREATE OR REPLACE FUNCTION shape.dp_rho(epsilon float8, delta float8) RETURNS float8
    LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    lo float8 := (pg_catalog.sqrt(epsilon + pg_catalog.ln(1 / delta)) - pg_catalog.sqrt(pg_catalog.ln(1 / delta))) ^ 2;
    hi float8 := epsilon;   -- shape.dp_epsilon(ε, δ) > ε: every ε_α is above αρ
    mid float8;
BEGIN
    IF epsilon <= 0 THEN
        RETURN 0;
    END IF;
    WHILE hi - lo > 1e-12 * hi LOOP
        mid := (lo + hi) / 2;
        IF shape.dp_epsilon(mid, delta) <= epsilon THEN lo := mid; ELSE hi := mid; END IF;
    END LOOP;
    RETURN lo;
END
$fn$;

-- shape.dp_sensitivity_v2(caps): each noisy vector of a release and its sensitivity when
-- one user is removed with their rows (the unit of the header): L1, the largest sum of
-- the absolute changes of the vector's counts, and L2², the largest sum of their
-- squares (an integer, exact; L2 itself is √2·C for the conversation histograms). With
-- C conversations and M messages per user, A attachments per message, R receipts per
-- conversation in the delay histogram and B messages per conversation and Bq receipts
-- per conversation in the by-member-count vectors:
--
--   users.*               the user row: one count leaves one bin. L1 = 1, L2² = 1.
--   conversations.*       the user's rows touch at most C conversations (memberships and
--                         messages outside them are not counted); each of those moves
--                         from one bin to another (its kept member count and its
--                         activity change) or leaves the activity histogram: at most C
--                         counts out and C in. L1 = 2C, L2² = C² + C² = 2C². A
--                         conversation's activity counts every window message of the
--                         users who kept it, without the M cap: however many messages
--                         the user sent there, the conversation still moves one bin, so
--                         the bound does not need M.
--   messages.content_length, weekday_hour, media: one count per kept message, at most
--                         M leave. L1 = M, L2² = M².
--   messages.inter_arrival: gaps between consecutive kept messages of a conversation.
--                         Removing a run of k consecutive messages removes at most k + 1
--                         gaps and adds one (the gap over the run): at most 2M out, M
--                         in. L1 = 3M, L2² = (2M)² + M² = 5M².
--   read_receipts.delay_minutes: a receipt counts only in a conversation its message's
--                         sender kept and its reader is a member of and kept, so the
--                         user's receipts, as
--                         sender or reader, lie in their C kept conversations; each
--                         of those puts at most R receipts in (the R of smallest keyed
--                         hash among its counted ones), which may all change: at most
--                         CR out, CR in. L1 = 2CR, L2² = 2C²R².
--   read_receipts.messages_by_member_count, read_by_member_count: each conversation
--                         puts a count in [0, B] in its one member bucket; in the user's
--                         C conversations that count changes and may move to another
--                         bucket (the kept member count changed): at most CB out, CB
--                         in. L1 = 2CB, L2² = 2C²B².
--   read_receipts.receipts_by_member_count: likewise with a count in [0, Bq]:
--                         L1 = 2CBq, L2² = 2C²Bq².
--   attachments.*         at most A per kept message: L1 = MA, L2² = M²A².
--
-- Other users' kept rows do not change: each user's kept conversations and messages are
-- chosen among their own rows by a keyed hash, whether a receipt counts depends on its
-- sender's and its reader's choices alone, and what a conversation puts in the delay
-- histogram and the by-member-count vectors depends on its own counted rows only.
-- TestDPSensitivity removes the heaviest user from heavy-tailed data and checks both.
CREATE OR REPLACE FUNCTION shape.dp_sensitivity_v2(cap_conversations int, cap_messages int, cap_receipts int,
                                                  cap_attachments int, cap_conversation_messages int,
                                                  cap_conversation_receipts int)
    RETURNS TABLE (name text, unit text, l1 bigint, l2_squared bigint)
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.name, 'user'::text, v.l1, v.l2sq
      FROM (SELECT cap_conversations::bigint AS c, cap_messages::bigint AS m, cap_receipts::bigint AS r,
                   cap_attachments::bigint AS a, cap_conversation_messages::bigint AS b,
                   cap_conversation_receipts::bigint AS bq) k,
           LATERAL (VALUES
        ('users.username_length',       1::bigint,           1::bigint),
        ('users.account_age_days',      1,                   1),
        ('conversations.member_count',  2 * k.c,             2 * k.c * k.c),
        ('conversations.size_activity', 2 * k.c,             2 * k.c * k.c),
        ('conversations.activity',      2 * k.c,             2 * k.c * k.c),
        ('messages.content_length',     k.m,                 k.m * k.m),
        ('messages.weekday_hour',       k.m,                 k.m * k.m),
        ('messages.media',              k.m,                 k.m * k.m),
        ('messages.inter_arrival',      3 * k.m,             5 * k.m * k.m),
        ('read_receipts.delay_minutes', 2 * k.c * k.r,       2 * (k.c * k.r) * (k.c * k.r)),
        ('read_receipts.messages_by_member_count', 2 * k.c * k.b, 2 * (k.c * k.b) * (k.c * k.b)),
        ('read_receipts.read_by_member_count',     2 * k.c * k.b, 2 * (k.c * k.b) * (k.c * k.b)),
        ('read_receipts.receipts_by_member_count', 2 * k.c * k.bq, 2 * (k.c * k.bq) * (k.c * k.bq)),
        ('attachments.type',            k.m * k.a,           (k.m * k.a) * (k.m * k.a)),
        ('attachments.size_bytes',      k.m * k.a,           (k.m * k.a) * (k.m * k.a))
      ) AS v(name, l1, l2sq)
$$;

-- shape.dp_weights_ok(weights): the policy's split of ρ over the vectors is an object
-- whose keys are vector names of shape.dp_sensitivity_v2 and whose values are numbers
-- in (0, 1000]; a vector it does not name weighs 1. The policy's CHECK.
CREATE OR REPLACE FUNCTION shape.dp_weights_ok(weights jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_typeof(weights) = 'object'
       AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_each(weights) w
                        WHERE w.key NOT IN (SELECT v.name FROM shape.dp_sensitivity_v2(1, 1, 1, 1, 1, 1) v)
                           OR pg_catalog.jsonb_typeof(w.value) <> 'number'
                           OR NOT (w.value::text::numeric > 0 AND w.value::text::numeric <= 1000))
$$;
ALTER TABLE shape.policy
    ADD COLUMN dp_weights jsonb NOT NULL DEFAULT '{"conversations.activity": 15, "conversations.member_count": 5}'::jsonb
        CHECK (shape.dp_weights_ok(dp_weights));
COMMENT ON COLUMN shape.policy.dp_weights IS
    'differential privacy: how a release splits its rho over the noisy vectors, {"vector name": weight} with weights in (0, 1000], 1 for a vector not named; vector i gets rho * w_i / sum(w)';

-- shape.dp_identity_check_v1(): raises 55000 naming the contract view to re-point when
-- the user-level bound cannot be computed: shape_source.messages without sender_id or
-- shape_source.conversation_members without user_id (00007 adds both; a contract
-- re-pointed before it has NULLs there).
CREATE OR REPLACE FUNCTION shape.dp_identity_check_v1() RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES ('messages', 'sender_id', 'who sent each message'),
                                   ('conversation_members', 'user_id', 'who each member is'),
                                   ('read_receipts', 'reader_id', 'who read each message')) AS v(view, col, what) LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = pg_catalog.to_regclass('shape_source.' || c.view)
                          AND a.attname = c.col AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'error exporting the differential-privacy shape: shape_source.% has no column %, so no contribution can be bounded per user', c.view, c.col
                USING ERRCODE = '55000',
                      HINT = pg_catalog.format('apply migration 00007, then re-point shape_source.%s with %s bigint (%s; README, "The source contract")', c.view, c.col, c.what);
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION shape.dp_identity_check_v1() IS
    'internal: refuses a differential-privacy release while the source contract lacks the identity columns the user-level bound needs';

-- shape.dp_kept_v2(lo_ts, as_of, seed, per-sender keys): the kept messages, the one
-- definition the msg, rr and att passes of shape.dp_passes_v2 read: a window message
-- is kept when its conversation's key (keyed hash, conversation id) is at most its
-- sender's C-th and its own key (keyed hash, message id) at most the sender's M-th
-- (the thresholds the conv and thr passes hand over, for the senders past C or M
-- only: a sender not listed keeps every window message). The per-sender keys are
-- joined as a GROUP BY on the sender, which tells the planner the key is unique (else
-- it assumes 200 distinct senders and hashes the whole window instead of the keys). A plain SQL function (no SET, not STRICT, not SECURITY DEFINER,
-- one SELECT) so that the planner inlines it into each pass's statement, where the
-- search_path is the caller's pinned one; every name in it is schema-qualified.
-- Internal: EXECUTE is revoked from PUBLIC. Its body reads sender_id, which the
-- contract gains in 00007, so it is created without checking the body (as pg_dump
-- restores functions); the body is checked when it is first planned.
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION shape.dp_kept_v2(lo_ts timestamptz, as_of timestamptz, seed bigint,
                                            ks_sender bigint[], ks_conv_hash bigint[], ks_conv_id bigint[],
                                            ks_msg_hash bigint[], ks_msg_id bigint[])
    RETURNS TABLE (message_id bigint, conversation_id bigint, sender_id bigint, created_at timestamptz,
                   has_media boolean, content_length integer)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT sm.message_id, sm.conversation_id, sm.sender_id, sm.created_at, sm.has_media, sm.content_length
      FROM shape_source.messages sm
      LEFT JOIN (SELECT k.sender_id, pg_catalog.min(k.ch) AS ch, pg_catalog.min(k.cc) AS cc, pg_catalog.min(k.mh) AS mh, pg_catalog.min(k.mi) AS mi
                   FROM ROWS FROM (pg_catalog.unnest(ks_sender), pg_catalog.unnest(ks_conv_hash), pg_catalog.unnest(ks_conv_id),
                                   pg_catalog.unnest(ks_msg_hash), pg_catalog.unnest(ks_msg_id)) AS k(sender_id, ch, cc, mh, mi)
                  GROUP BY k.sender_id) ks
        ON ks.sender_id OPERATOR(pg_catalog.=) sm.sender_id
     WHERE sm.created_at OPERATOR(pg_catalog.>=) lo_ts AND sm.created_at OPERATOR(pg_catalog.<) as_of
       AND sm.sender_id IS NOT NULL
       AND (ks.sender_id IS NULL
            OR ((pg_catalog.hashint8extended(sm.conversation_id, seed OPERATOR(pg_catalog.#) sm.sender_id), sm.conversation_id)
                    OPERATOR(pg_catalog.<=) (ks.ch, ks.cc)
                AND (pg_catalog.hashint8extended(sm.message_id, seed), sm.message_id) OPERATOR(pg_catalog.<=) (ks.mh, ks.mi)))
$$;
SET LOCAL check_function_bodies = on;

-- shape.dp_passes_v2: the heavy passes of shape.dp_aggregates_v2, each one plain
-- statement run with RETURN QUERY, returning (name, counts) rows: PL/pgSQL runs
-- SELECT … INTO without parallel workers (the executor gets a row limit), RETURN QUERY
-- with them (PostgreSQL 14+), as shape.passes_v1 does for the exact export. What one
-- pass hands the next travels in arrays, passed back in as arguments (parameters, which
-- parallel workers receive; a temporary table would be parallel-restricted). Names
-- starting with '_' are such hand-overs, never vectors. The kept sets are those of
-- shape.dp_aggregates_v2's header; the passes find them by thresholds, so that no pass
-- after the first two ranks or materializes them:
--   conv  per (sender, conversation) window message counts (a parallel aggregate); per
--         user the union of their memberships and those pairs, ranked by keyed hash
--         (rank ≤ C: kept); from it the kept member counts and activity per
--         conversation (the three conversation vectors), the NULL identity counts, the
--         window's least and greatest message id, and as hand-overs: per sender of a
--         window message the key (keyed hash, conversation id) of their C-th
--         conversation (the largest key when they have fewer: all kept), the kept
--         member counts, the senders with more than M window messages in kc, and per
--         user with more than C conversations their C-th key (for the readers)
--   thr   per sender, the key (keyed hash, message id) of their M-th window message in
--         kc (the largest key for the senders without more than M)
--   …     a window message is then kept exactly when its conversation's key is at most
--         its sender's C-th and its own key at most the sender's M-th (keys are unique:
--         ids are): "among the C (M) smallest". The passes below find the kept messages
--         with one join to the per-sender keys and a filter, in parallel workers
--   msg   the kept messages and their gaps (the previous kept message of the
--         conversation): content length, the 7 × 24 cells, media, the gaps, and as a
--         hand-over the kept messages per conversation
--   rr    the counted receipts (on kept messages, by a member of the conversation
--         whose key for it is at most their C-th), per conversation the R of smallest
--         keyed hash for the delays (ranked: receipt keys need not be unique), all of
--         them for the by-member-count counts
--   att   the attachments of kept messages (per message the A of smallest keyed hash)
-- TestDPAggregatesMatchReference compares every vector with the single-statement
-- definition. Receipts and attachments are read only within [lo_id, hi_id], the
-- window's least and greatest message id: a row of a window message lies there by
-- definition, so the predicate changes no count, and where ids grow with time the
-- planner range-scans the window's rows instead of the whole history (as
-- shape.passes_v1). The per-sender keys are joined as a GROUP BY on the sender (one
-- row each anyway), which tells the planner the key is unique: otherwise it takes the
-- default of 200 distinct senders, hashes the whole window instead of the keys, and
-- does so in every worker. enable_nestloop and enable_mergejoin off: the planner
-- knows nothing of the arrays' join selectivity, and would otherwise loop over them or
-- sort whole windows to merge-join them. Internal: EXECUTE is revoked from PUBLIC, and only
-- shape.dp_aggregates_v2 (SECURITY DEFINER) calls it, in one transaction and
-- snapshot (STABLE); nothing it returns leaves the database before the noise.
CREATE OR REPLACE FUNCTION shape.dp_passes_v2(pass text, lo_ts timestamptz, as_of timestamptz, cap_conversations int,
                                              cap_messages int, cap_receipts int, cap_attachments int,
                                              cap_conversation_messages int, cap_conversation_receipts int, seed bigint,
                                              lo_id bigint DEFAULT NULL, hi_id bigint DEFAULT NULL,
                                              kmem_conv bigint[] DEFAULT NULL, kmem_n bigint[] DEFAULT NULL,
                                              big_sender bigint[] DEFAULT NULL, ks_sender bigint[] DEFAULT NULL,
                                              ks_conv_hash bigint[] DEFAULT NULL, ks_conv_id bigint[] DEFAULT NULL,
                                              ks_msg_hash bigint[] DEFAULT NULL, ks_msg_id bigint[] DEFAULT NULL,
                                              act_conv bigint[] DEFAULT NULL, act_n bigint[] DEFAULT NULL,
                                              kt_user bigint[] DEFAULT NULL, kt_hash bigint[] DEFAULT NULL, kt_conv bigint[] DEFAULT NULL)
    RETURNS TABLE (name text, counts bigint[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '256MB'
    SET jit = off
    SET TimeZone = 'UTC'
    SET parallel_tuple_cost = 0.01
    SET enable_nestloop = off
    SET enable_mergejoin = off
AS $fn$
DECLARE
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
    g_48      float8[] := pg_catalog.array_fill(0::float8, ARRAY[48]);
BEGIN
    IF pass = 'conv' THEN
        RETURN QUERY
        WITH wp AS MATERIALIZED (
                 -- per (sender, conversation): window messages, and their least and greatest id
                 SELECT sm.sender_id, sm.conversation_id, pg_catalog.count(*) AS n,
                        pg_catalog.min(sm.message_id) AS lo, pg_catalog.max(sm.message_id) AS hi
                   FROM shape_source.messages sm
                  WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
                  GROUP BY 1, 2),
             -- the users who may have more than C conversations (among those they are a
             -- member of or write in): more than C membership rows and window (sender,
             -- conversation) pairs together, an upper bound on their distinct
             -- conversations. Everyone else keeps all of theirs, and is never ranked: one
             -- aggregate on a single key instead of deduplicating, sorting and ranking
             -- every membership
             cand AS MATERIALIZED (SELECT u.user_id
                                     FROM (SELECT cm.user_id FROM shape_source.conversation_members cm WHERE cm.user_id IS NOT NULL
                                           UNION ALL
                                           SELECT wp.sender_id FROM wp WHERE wp.sender_id IS NOT NULL) u
                                    GROUP BY 1 HAVING pg_catalog.count(*) > cap_conversations),
             -- their distinct conversations, ranked by keyed hash
             ucr AS (SELECT x.user_id, x.conversation_id, x.h,
                            pg_catalog.row_number() OVER (PARTITION BY x.user_id ORDER BY x.h, x.conversation_id) AS rk
                       FROM (SELECT u.user_id, u.conversation_id,
                                    pg_catalog.hashint8extended(u.conversation_id, seed # u.user_id) AS h
                               FROM (SELECT cm.user_id, cm.conversation_id
                                       FROM shape_source.conversation_members cm JOIN cand ON cand.user_id = cm.user_id
                                     UNION
                                     SELECT wp.sender_id, wp.conversation_id FROM wp JOIN cand ON cand.user_id = wp.sender_id) u) x),
             -- per user with more than C conversations, the C-th key (keyed hash,
             -- conversation id): a conversation of theirs is kept, in kc, when its key is
             -- at most that. Every other user keeps all of theirs
             kt AS MATERIALIZED (SELECT ucr.user_id,
                                        pg_catalog.max(ucr.h) FILTER (WHERE ucr.rk = cap_conversations) AS h,
                                        pg_catalog.max(ucr.conversation_id) FILTER (WHERE ucr.rk = cap_conversations) AS conversation_id
                                   FROM ucr GROUP BY 1 HAVING pg_catalog.max(ucr.rk) > cap_conversations),
             -- kept memberships per conversation: those in a kept conversation of their user
             kmem AS MATERIALIZED (SELECT cm.conversation_id, pg_catalog.count(*) AS n
                                     FROM shape_source.conversation_members cm
                                     LEFT JOIN kt ON kt.user_id = cm.user_id
                                    WHERE cm.user_id IS NOT NULL
                                      AND (kt.user_id IS NULL
                                           OR (pg_catalog.hashint8extended(cm.conversation_id, seed # cm.user_id), cm.conversation_id)
                                              <= (kt.h, kt.conversation_id))
                                    GROUP BY 1),
             -- the window's (sender, conversation) pairs, kept or not, with the sender's C-th key
             kw AS MATERIALIZED (SELECT wp.sender_id, wp.conversation_id, wp.n, kt.h, kt.conversation_id AS kc,
                                        (kt.user_id IS NULL
                                         OR (pg_catalog.hashint8extended(wp.conversation_id, seed # wp.sender_id), wp.conversation_id)
                                            <= (kt.h, kt.conversation_id)) AS kept
                                   FROM wp LEFT JOIN kt ON kt.user_id = wp.sender_id
                                  WHERE wp.sender_id IS NOT NULL),
             -- the senders some of whose window messages may be dropped: those with more
             -- than C conversations, with their C-th key, and those with more than M
             -- window messages in kc (C-th key: the largest, all kept), with that count
             ts AS MATERIALIZED (SELECT kw.sender_id, coalesce(pg_catalog.min(kw.h), 9223372036854775807) AS h,
                                        coalesce(pg_catalog.min(kw.kc), 9223372036854775807) AS conversation_id,
                                        pg_catalog.sum(kw.n) FILTER (WHERE kw.kept) AS nkept
                                   FROM kw GROUP BY 1
                                 HAVING pg_catalog.min(kw.h) IS NOT NULL
                                        OR pg_catalog.sum(kw.n) FILTER (WHERE kw.kept) > cap_messages),
             -- per conversation: its activity, every window message sent by a user who
             -- kept it (not M-capped: a user's removal changes the activity of their ≤ C
             -- kept conversations only, whatever they sent there)
             kact AS (SELECT kw.conversation_id, pg_catalog.sum(kw.n)::bigint AS n FROM kw WHERE kw.kept GROUP BY 1),
             -- per conversation: kept members, activity
             c AS MATERIALIZED (SELECT coalesce(kmem.n, 0) AS members, coalesce(kact.n, 0) AS activity
                                  FROM shape_source.conversations sc
                                  LEFT JOIN kmem ON kmem.conversation_id = sc.conversation_id
                                  LEFT JOIN kact ON kact.conversation_id = sc.conversation_id
                                 WHERE sc.created_at < as_of)
        SELECT 'conversations.member_count', (SELECT shape.bucket_counts(g_member, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(c.members::float8, g_member), 1) AS b, pg_catalog.count(*) AS n FROM c GROUP BY 1) s)
        UNION ALL
        SELECT 'conversations.size_activity', (SELECT shape.bucket_counts(g_48, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT (GREATEST(pg_catalog.width_bucket(c.members::float8, g_jm), 1) - 1) * 6
                                + GREATEST(pg_catalog.width_bucket(c.activity::float8, g_ja), 1) AS b, pg_catalog.count(*) AS n
                           FROM c GROUP BY 1) s)
        UNION ALL
        SELECT 'conversations.activity', (SELECT shape.bucket_counts(g_activity, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(c.activity::float8, g_activity), 1) AS b, pg_catalog.count(*) AS n
                           FROM c WHERE c.activity > 0 GROUP BY 1) s)
        UNION ALL
        SELECT '_null_senders', ARRAY[(SELECT coalesce(pg_catalog.sum(wp.n), 0)::bigint FROM wp WHERE wp.sender_id IS NULL)]
        UNION ALL
        SELECT '_null_members', ARRAY[(SELECT pg_catalog.count(*) FROM shape_source.conversation_members cm WHERE cm.user_id IS NULL)]
        UNION ALL
        SELECT '_id_range', ARRAY[(SELECT pg_catalog.min(wp.lo) FROM wp), (SELECT pg_catalog.max(wp.hi) FROM wp)]
        UNION ALL
        -- per sender with a bound (ts), the C-th key (keyed hash, conversation id): a
        -- conversation of theirs is kept when its key is at most that (at most C
        -- conversations: the largest key, all kept). A sender not listed keeps every
        -- window message: the later passes hash only these few senders, not every one
        SELECT '_ks_sender', (SELECT pg_catalog.array_agg(ts.sender_id ORDER BY ts.sender_id) FROM ts)
        UNION ALL
        SELECT '_ks_conv_hash', (SELECT pg_catalog.array_agg(ts.h ORDER BY ts.sender_id) FROM ts)
        UNION ALL
        SELECT '_ks_conv_id', (SELECT pg_catalog.array_agg(ts.conversation_id ORDER BY ts.sender_id) FROM ts)
        UNION ALL
        SELECT '_kmem_conv', (SELECT pg_catalog.array_agg(kmem.conversation_id ORDER BY kmem.conversation_id) FROM kmem)
        UNION ALL
        SELECT '_kmem_n', (SELECT pg_catalog.array_agg(kmem.n ORDER BY kmem.conversation_id) FROM kmem)
        UNION ALL
        SELECT '_big_sender', (SELECT pg_catalog.array_agg(ts.sender_id ORDER BY ts.sender_id) FROM ts WHERE ts.nkept > cap_messages)
        UNION ALL
        -- for the receipts, per user with more than C conversations, the C-th key: a
        -- member kept a conversation when its key is at most that (every other user
        -- kept all of theirs)
        SELECT '_kt_user', (SELECT pg_catalog.array_agg(kt.user_id ORDER BY kt.user_id) FROM kt)
        UNION ALL
        SELECT '_kt_hash', (SELECT pg_catalog.array_agg(kt.h ORDER BY kt.user_id) FROM kt)
        UNION ALL
        SELECT '_kt_conv', (SELECT pg_catalog.array_agg(kt.conversation_id ORDER BY kt.user_id) FROM kt);
        RETURN;
    END IF;

    IF pass = 'thr' THEN
        -- the M-th key (keyed hash, message id) of each sender past M, ranked among their
        -- window messages in kc; every other sender gets the largest key (all kept)
        RETURN QUERY
        WITH ks AS (SELECT k.sender_id, pg_catalog.min(k.ch) AS ch, pg_catalog.min(k.cc) AS cc
                      FROM ROWS FROM (pg_catalog.unnest(ks_sender), pg_catalog.unnest(ks_conv_hash), pg_catalog.unnest(ks_conv_id))
                           AS k(sender_id, ch, cc)
                     GROUP BY k.sender_id),
             t AS MATERIALIZED (
                 SELECT x.sender_id, x.h, x.message_id
                   FROM (SELECT sm.sender_id, sm.message_id, pg_catalog.hashint8extended(sm.message_id, seed) AS h,
                                pg_catalog.row_number() OVER (PARTITION BY sm.sender_id
                                    ORDER BY pg_catalog.hashint8extended(sm.message_id, seed), sm.message_id) AS rk
                           FROM shape_source.messages sm
                           JOIN (SELECT b.sender_id FROM pg_catalog.unnest(big_sender) AS b(sender_id) GROUP BY 1) b ON b.sender_id = sm.sender_id
                           JOIN ks ON ks.sender_id = sm.sender_id
                          WHERE sm.created_at >= lo_ts AND sm.created_at < as_of
                            AND (pg_catalog.hashint8extended(sm.conversation_id, seed # sm.sender_id), sm.conversation_id) <= (ks.ch, ks.cc)) x
                  WHERE x.rk = cap_messages),
             m AS MATERIALIZED (SELECT ks.sender_id, coalesce(t.h, 9223372036854775807) AS h, coalesce(t.message_id, 9223372036854775807) AS message_id
                                  FROM ks LEFT JOIN t ON t.sender_id = ks.sender_id)
        SELECT '_ks_msg_hash', (SELECT pg_catalog.array_agg(m.h ORDER BY m.sender_id) FROM m)
        UNION ALL
        SELECT '_ks_msg_id', (SELECT pg_catalog.array_agg(m.message_id ORDER BY m.sender_id) FROM m);
        RETURN;
    END IF;

    -- the kept messages of the passes below, as the same subquery in each (inlined, so
    -- that the scan and the joins may run in parallel): window messages in a kept
    -- conversation of their sender, at or under the sender's threshold if any
    IF pass = 'msg' THEN
        -- the kept messages (scan, join and sort by conversation in parallel workers),
        -- each with the gap to the previous kept message of its conversation; then their
        -- vectors, and the kept messages per conversation for the rr pass
        RETURN QUERY
        -- content_length and has_media close the sort key although the message id
        -- already orders the rows: so they are computed below the sort, in the workers,
        -- and the message text (the contract's content_length is an expression over it)
        -- never travels through the sort and the workers' queues
        WITH kept AS MATERIALIZED (
                 SELECT sm.conversation_id, sm.content_length, sm.created_at, sm.has_media,
                        pg_catalog.date_part('epoch', sm.created_at)
                            - pg_catalog.date_part('epoch', pg_catalog.lag(sm.created_at) OVER (PARTITION BY sm.conversation_id
                                                                                  ORDER BY sm.created_at, sm.message_id,
                                                                                           sm.content_length, sm.has_media)) AS gap
                   FROM shape.dp_kept_v2(lo_ts, as_of, seed, ks_sender, ks_conv_hash, ks_conv_id, ks_msg_hash, ks_msg_id) sm),
             act AS MATERIALIZED (SELECT kept.conversation_id, pg_catalog.count(*) AS n FROM kept GROUP BY 1)
        SELECT '_act_conv', (SELECT pg_catalog.array_agg(act.conversation_id ORDER BY act.conversation_id) FROM act)
        UNION ALL
        SELECT '_act_n', (SELECT pg_catalog.array_agg(act.n ORDER BY act.conversation_id) FROM act)
        UNION ALL
        SELECT 'messages.content_length', (SELECT shape.bucket_counts(g_content, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.content_length::float8, g_content), 1) AS b, pg_catalog.count(*) AS n
                           FROM kept WHERE kept.content_length IS NOT NULL GROUP BY 1) s)
        UNION ALL
        SELECT 'messages.weekday_hour', (SELECT shape.bucket_counts(g_168, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT ((pg_catalog.date_part('isodow', kept.created_at) - 1) * 24
                                 + pg_catalog.date_part('hour', kept.created_at))::int + 1 AS b, pg_catalog.count(*) AS n
                           FROM kept GROUP BY 1) s)
        UNION ALL
        SELECT 'messages.media', ARRAY[(SELECT pg_catalog.count(*) FROM kept WHERE kept.has_media)]
        UNION ALL
        SELECT 'messages.inter_arrival', (SELECT shape.bucket_counts(g_gap, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(kept.gap, g_gap), 1) AS b, pg_catalog.count(*) AS n
                           FROM kept WHERE kept.gap IS NOT NULL GROUP BY 1) s);
        RETURN;
    END IF;

    IF pass = 'rr' THEN
        RETURN QUERY
        WITH kept AS (
                 SELECT k.message_id, k.conversation_id, k.sender_id, k.created_at
                   FROM shape.dp_kept_v2(lo_ts, as_of, seed, ks_sender, ks_conv_hash, ks_conv_id, ks_msg_hash, ks_msg_id) k),
             -- per conversation: kept window messages (M-capped; from the msg pass)
             act AS (SELECT a.conversation_id, a.n FROM ROWS FROM (pg_catalog.unnest(act_conv), pg_catalog.unnest(act_n)) AS a(conversation_id, n)),
             kmem AS (SELECT k.conversation_id, k.n FROM ROWS FROM (pg_catalog.unnest(kmem_conv), pg_catalog.unnest(kmem_n)) AS k(conversation_id, n)),
             kt AS (SELECT k.user_id, pg_catalog.min(k.h) AS h, pg_catalog.min(k.c) AS c
                      FROM ROWS FROM (pg_catalog.unnest(kt_user), pg_catalog.unnest(kt_hash), pg_catalog.unnest(kt_conv)) AS k(user_id, h, c)
                     GROUP BY k.user_id),
             -- counted receipts: on kept messages, read before as_of, by a member of the
             -- conversation who kept it (a member with more than C conversations kept it
             -- when its key is at most their C-th; every other member kept all of theirs).
             -- A receipt is a row of its message's sender and of its reader; counting it
             -- only where both kept the conversation keeps each user's receipts, on
             -- either side, inside their own C kept conversations. The membership is
             -- checked on the contract's rows, so that it may run as a parallel hash join
             -- (with a unique (conversation, user), as an inner join) built once for all
             -- workers (arrays of kept pairs were hashed again in every worker). The kept
             -- messages are joined to their receipts first (a semi-join on both sides'
             -- columns cannot run before that join): joined the other way round, on the
             -- conversation alone, the planner multiplies each kept message by its
             -- conversation's members. Each receipt's key and delay bin are computed
             -- here, below the sort of pc, so in the workers
             cr AS (SELECT kept.message_id, kept.conversation_id, sr.reader_id, sr.read_at,
                           pg_catalog.hashint8extended(kept.message_id # pg_catalog.hashint8extended(sr.reader_id, seed), seed) AS h,
                           GREATEST(pg_catalog.width_bucket((pg_catalog.date_part('epoch', sr.read_at)
                                                             - pg_catalog.date_part('epoch', kept.created_at)) / 60, g_delay), 1) AS b
                      FROM shape.dp_kept_v2(lo_ts, as_of, seed, ks_sender, ks_conv_hash, ks_conv_id, ks_msg_hash, ks_msg_id) kept
                      JOIN shape_source.read_receipts sr ON sr.message_id = kept.message_id
                      LEFT JOIN kt ON kt.user_id = sr.reader_id
                     WHERE sr.read_at < as_of AND sr.message_id BETWEEN lo_id AND hi_id
                       AND (kt.user_id IS NULL
                            OR (pg_catalog.hashint8extended(kept.conversation_id, seed # sr.reader_id), kept.conversation_id) <= (kt.h, kt.c))
                       AND EXISTS (SELECT FROM shape_source.conversation_members cm
                                    WHERE cm.conversation_id = kept.conversation_id AND cm.user_id = sr.reader_id)),
             -- per conversation, from one sort of its counted receipts by key (in the
             -- workers, merged in order): q, the counted receipts; r, the messages they
             -- read; and the delay bins of the R receipts of smallest keyed hash of
             -- message and reader (the delay histogram's). One ordered pass instead of a
             -- sort for the ranking and a hash of every (conversation, message) for r
             -- and q, which spilled to disk on a large production
             pc AS MATERIALIZED (SELECT y.conversation_id, pg_catalog.count(*) AS q, pg_catalog.count(DISTINCT y.message_id) AS r,
                                        pg_catalog.array_agg(y.b) FILTER (WHERE y.rk <= cap_receipts) AS bs
                                   FROM (SELECT cr.conversation_id, cr.message_id, cr.b,
                                                pg_catalog.row_number() OVER (PARTITION BY cr.conversation_id
                                                    ORDER BY cr.h, cr.message_id, cr.reader_id, cr.read_at) AS rk
                                           FROM cr) y
                                  GROUP BY y.conversation_id),
             -- the by-member-count vectors: a conversation with n kept messages, r of them
             -- read (a counted receipt), q counted receipts, puts in its kept member bucket
             -- min(n, B) messages and, scaled by s = min(n, B)/n and rounded half up,
             -- s·r ≤ min(n, B) read messages and min(s·q, Bq) receipts: counts bounded by B
             -- and Bq that depend on the conversation's kept rows alone (integer division
             -- on bigint counts: q was once a numeric sum, and a conversation nobody read
             -- added ½ receipt)
             bym AS MATERIALIZED (SELECT GREATEST(pg_catalog.width_bucket(coalesce(kmem.n, 0)::float8, g_jm), 1) AS b,
                                         LEAST(act.n, cap_conversation_messages) AS mn,
                                         (2 * LEAST(act.n, cap_conversation_messages) * coalesce(pc.r, 0) + act.n) / (2 * act.n) AS rn,
                                         LEAST((2 * LEAST(act.n, cap_conversation_messages) * coalesce(pc.q, 0) + act.n) / (2 * act.n),
                                               cap_conversation_receipts) AS qn
                                    FROM act
                                    LEFT JOIN kmem ON kmem.conversation_id = act.conversation_id
                                    LEFT JOIN pc ON pc.conversation_id = act.conversation_id)
        SELECT 'read_receipts.delay_minutes', (SELECT shape.bucket_counts(g_delay, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT x.b, pg_catalog.count(*) AS n FROM pc, pg_catalog.unnest(pc.bs) AS x(b) GROUP BY 1) s)
        UNION ALL
        SELECT 'read_receipts.messages_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT bym.b, pg_catalog.sum(bym.mn)::bigint AS n FROM bym GROUP BY 1) s)
        UNION ALL
        SELECT 'read_receipts.read_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT bym.b, pg_catalog.sum(bym.rn)::bigint AS n FROM bym GROUP BY 1) s)
        UNION ALL
        SELECT 'read_receipts.receipts_by_member_count', (SELECT shape.bucket_counts(g_jm, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT bym.b, pg_catalog.sum(bym.qn)::bigint AS n FROM bym GROUP BY 1) s)
        UNION ALL
        -- receipts on kept messages without a reader (the release refuses); the join to
        -- the kept messages runs only when a receipt of the window's id range has none,
        -- so a clean contract pays one filtered scan, not a second join of every receipt
        SELECT '_null_readers', ARRAY[CASE WHEN EXISTS (SELECT FROM shape_source.read_receipts sr
                                                         WHERE sr.reader_id IS NULL AND sr.read_at < as_of AND sr.message_id BETWEEN lo_id AND hi_id)
                                           THEN (SELECT pg_catalog.count(*) FROM kept JOIN shape_source.read_receipts sr ON sr.message_id = kept.message_id
                                                  WHERE sr.reader_id IS NULL AND sr.read_at < as_of AND sr.message_id BETWEEN lo_id AND hi_id)
                                           ELSE 0 END];
        RETURN;
    END IF;

    IF pass = 'att' THEN
        RETURN QUERY
        WITH att AS MATERIALIZED (
                 SELECT a.type, a.size_bytes
                   FROM (SELECT sa.type, sa.size_bytes,
                                pg_catalog.row_number() OVER (PARTITION BY sa.message_id
                                    ORDER BY pg_catalog.hashint8extended(sa.size_bytes, seed), sa.type) AS rk
                           FROM shape.dp_kept_v2(lo_ts, as_of, seed, ks_sender, ks_conv_hash, ks_conv_id, ks_msg_hash, ks_msg_id) sm
                           JOIN shape_source.attachments sa ON sa.message_id = sm.message_id
                          WHERE sa.message_id BETWEEN lo_id AND hi_id) a
                  WHERE a.rk <= cap_attachments)
        SELECT 'attachments.type', (SELECT shape.bucket_counts(g_5, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT pg_catalog.array_position(ARRAY['image', 'video', 'audio', 'document', 'other'],
                                                          CASE WHEN att.type IN ('image', 'video', 'audio', 'document') THEN att.type ELSE 'other' END) AS b,
                                pg_catalog.count(*) AS n
                           FROM att GROUP BY 1) s)
        UNION ALL
        SELECT 'attachments.size_bytes', (SELECT shape.bucket_counts(g_size, pg_catalog.array_agg(s.b), pg_catalog.array_agg(s.n))
                   FROM (SELECT GREATEST(pg_catalog.width_bucket(att.size_bytes::float8, g_size), 1) AS b, pg_catalog.count(*) AS n
                           FROM att GROUP BY 1) s);
        RETURN;
    END IF;
    RAISE EXCEPTION 'shape.dp_passes_v2: unknown pass %', pass USING ERRCODE = '22023';
END
$fn$;
COMMENT ON FUNCTION shape.dp_passes_v2(text, timestamptz, timestamptz, int, int, int, int, int, int, bigint, bigint, bigint,
                                       bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[],
                                       bigint[], bigint[], bigint[]) IS
    'internal: the heavy passes of shape.dp_aggregates_v2 (plain statements run with RETURN QUERY, so they may get parallel workers)';

-- shape.dp_aggregates_v2: the exact, bounded counts a release noises, one bigint array
-- per vector of shape.dp_sensitivity_v2 (by name), over fixed bins. key (≥ 8 random
-- bytes, its first 8 the seed) orders rows by hashint8extended(·, seed): per user the
-- conversations (seed xor the user id, so users do not all keep the same ones), the
-- messages (message id); per conversation the receipts of the delay histogram (message
-- id xor the keyed hash of the reader); per message the attachments (size). A
-- conversation's activity (conversations.activity, size_activity) is every window
-- message sent there by a user who kept it, not only the M-capped kept messages;
-- everything else counts kept rows, and a receipt counts only where its message is kept
-- and its reader is a member of the conversation who kept it. The by-member-count vectors take from each
-- conversation counts bounded by B (messages, read messages) and Bq (receipts). With a
-- fixed key, a user's kept rows depend on no other user's rows, which is what
-- shape.dp_sensitivity_v2 needs. A window message without a sender, a membership without
-- a user or a counted receipt's message read by no known reader refuses the release
-- (55000): they cannot be bounded.
-- The users vectors are computed here; the rest in shape.dp_passes_v2's statements,
-- which may run in parallel. Internal: only the owner and shape.export_dp call it.
CREATE OR REPLACE FUNCTION shape.dp_aggregates_v2(window_days int, as_of timestamptz, cap_conversations int,
                                                  cap_messages int, cap_receipts int, cap_attachments int,
                                                  cap_conversation_messages int, cap_conversation_receipts int, key bytea)
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
    hi_t      float8 := pg_catalog.date_part('epoch', as_of);
    u_out     jsonb;
    m_out     jsonb;
    r         record;
    lo_id     bigint;
    hi_id     bigint;
    kmem_conv bigint[];
    kmem_n    bigint[];
    big_sender bigint[];
    ks_sender bigint[];
    ks_conv_hash bigint[];
    ks_conv_id bigint[];
    ks_msg_hash bigint[];
    ks_msg_id bigint[];
    act_conv  bigint[];
    act_n     bigint[];
    kt_user   bigint[];
    kt_hash   bigint[];
    kt_conv   bigint[];
    pass      text;
BEGIN
    PERFORM shape.check_args(window_days, 2, as_of);
    IF cap_conversations < 1 OR cap_messages < 1 OR cap_receipts < 1 OR cap_attachments < 1
       OR cap_conversation_messages < 1 OR cap_conversation_receipts < 1 OR key IS NULL OR pg_catalog.length(key) < 8 THEN
        RAISE EXCEPTION 'error computing the differential-privacy aggregates: caps must be ≥ 1 and the key at least 8 bytes'
            USING ERRCODE = '22023';
    END IF;
    PERFORM shape.dp_identity_check_v1();
    lo_ts := as_of - pg_catalog.make_interval(days => window_days);
    seed := ('x' || pg_catalog.encode(pg_catalog.substr(key, 1, 8), 'hex'))::bit(64)::bigint;

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

    -- the heavy passes, each a plain statement that may run in parallel
    -- (shape.dp_passes_v2), in one snapshot: the conversations first, which hand over
    -- the kept conversations, member counts and the senders past M, then those
    -- senders' thresholds, then everything that hangs off the kept messages
    m_out := '{}'::jsonb;
    FOREACH pass IN ARRAY ARRAY['conv', 'thr', 'msg', 'rr', 'att'] LOOP
        FOR r IN SELECT q.name, q.counts
                   FROM shape.dp_passes_v2(pass, lo_ts, as_of, cap_conversations, cap_messages, cap_receipts,
                                           cap_attachments, cap_conversation_messages, cap_conversation_receipts, seed,
                                           lo_id, hi_id, kmem_conv, kmem_n, big_sender,
                                           ks_sender, ks_conv_hash, ks_conv_id, ks_msg_hash, ks_msg_id, act_conv, act_n,
                                           kt_user, kt_hash, kt_conv) q LOOP
            CASE r.name
                WHEN '_id_range' THEN lo_id := r.counts[1]; hi_id := r.counts[2];
                WHEN '_ks_sender' THEN ks_sender := r.counts;
                WHEN '_ks_conv_hash' THEN ks_conv_hash := r.counts;
                WHEN '_ks_conv_id' THEN ks_conv_id := r.counts;
                WHEN '_kmem_conv' THEN kmem_conv := r.counts;
                WHEN '_kmem_n' THEN kmem_n := r.counts;
                WHEN '_big_sender' THEN big_sender := r.counts;
                WHEN '_ks_msg_hash' THEN ks_msg_hash := r.counts;
                WHEN '_ks_msg_id' THEN ks_msg_id := r.counts;
                WHEN '_act_conv' THEN act_conv := r.counts;
                WHEN '_act_n' THEN act_n := r.counts;
                WHEN '_kt_user' THEN kt_user := r.counts;
                WHEN '_kt_hash' THEN kt_hash := r.counts;
                WHEN '_kt_conv' THEN kt_conv := r.counts;
                ELSE m_out := m_out || pg_catalog.jsonb_build_object(r.name, r.counts);
            END CASE;
        END LOOP;
        IF pass = 'conv' THEN
            -- a contract without identities refuses here, before any other pass
            IF (m_out -> '_null_senders' ->> 0)::bigint > 0 THEN
                RAISE EXCEPTION 'error exporting the differential-privacy shape: shape_source.messages has window messages whose sender_id is NULL, so their sender''s contribution cannot be bounded'
                    USING ERRCODE = '55000', HINT = 're-point shape_source.messages with sender_id (bigint, never NULL: who sent each message)';
            END IF;
            IF (m_out -> '_null_members' ->> 0)::bigint > 0 THEN
                RAISE EXCEPTION 'error exporting the differential-privacy shape: shape_source.conversation_members has memberships whose user_id is NULL, so their user''s contribution cannot be bounded'
                    USING ERRCODE = '55000', HINT = 're-point shape_source.conversation_members with user_id (bigint, never NULL: who each member is)';
            END IF;
        END IF;
        IF pass = 'rr' AND (m_out -> '_null_readers' ->> 0)::bigint > 0 THEN
            RAISE EXCEPTION 'error exporting the differential-privacy shape: shape_source.read_receipts has receipts whose reader_id is NULL, so their reader''s contribution cannot be bounded'
                USING ERRCODE = '55000', HINT = 're-point shape_source.read_receipts with reader_id (bigint, never NULL: who read each message)';
        END IF;
    END LOOP;
    RETURN u_out || (m_out - '_null_senders' - '_null_members' - '_null_readers');
END
$fn$;
COMMENT ON FUNCTION shape.dp_aggregates_v2(int, timestamptz, int, int, int, int, int, int, bytea) IS
    'internal: the exact, per-user contribution-bounded counts a differential-privacy release noises (one array per vector of shape.dp_sensitivity_v2)';

-- Post-processing helpers: they see only noisy counts.
-- shape.dp_keep(noisy, sigma2): the sparse-histogram rule (docs/privacy.md, "Post-
-- processing"). A bin is kept when its noisy count is at least ⌈5σ⌉ (a strong bin), or
-- when it is positive and joined to a strong bin by positive bins; every other bin is
-- 0. So the bulk and the tail that runs on from it keep their counts unbiased (no
-- 3σ cut eats the small real counts of the activity tail), while an empty bin past
-- the first gap passes only at ⌈5σ⌉ (probability 2.9·10⁻⁷). It reads nothing but its
-- arguments: the noisy vector and the public σ².
CREATE OR REPLACE FUNCTION shape.dp_keep(noisy bigint[], sigma2 bigint) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    n     int := pg_catalog.cardinality(noisy);
    thr   bigint := pg_catalog.ceil(5 * pg_catalog.sqrt(sigma2::float8))::bigint;
    keep  boolean[] := pg_catalog.array_fill(false, ARRAY[GREATEST(n, 1)]);
    reach boolean := false;
    out   bigint[] := '{}';
    i     int;
BEGIN
    -- left to right, then right to left: a positive run is kept once it meets a strong bin
    FOR i IN 1 .. n LOOP
        reach := noisy[i] >= thr OR (reach AND noisy[i] > 0);
        keep[i] := reach;
    END LOOP;
    reach := false;
    FOR i IN REVERSE n .. 1 LOOP
        reach := noisy[i] >= thr OR (reach AND noisy[i] > 0);
        keep[i] := keep[i] OR reach;
    END LOOP;
    FOR i IN 1 .. n LOOP
        out := out || CASE WHEN keep[i] THEN noisy[i] ELSE 0 END;
    END LOOP;
    RETURN out;
END
$fn$;

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
-- shape.dp_caps(p): the caps of policy p, as a release publishes them (request and
-- document).
CREATE OR REPLACE FUNCTION shape.dp_caps(p shape.policy) RETURNS jsonb
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.jsonb_build_object('conversations_per_user', p.dp_cap_conversations,
                                         'messages_per_user', p.dp_cap_messages,
                                         'delay_receipts_per_conversation', p.dp_cap_receipts,
                                         'attachments_per_message', p.dp_cap_attachments,
                                         'messages_per_conversation', p.dp_cap_conversation_messages,
                                         'receipts_per_conversation', p.dp_cap_conversation_receipts)
$$;

-- shape.dp_document_v2(raw, p, window_days, as_of, epsilon, delta, rho): one release's
-- noise and post-processing. raw holds the bounded counts of shape.dp_aggregates_v2,
-- named as shape.dp_sensitivity_v2's vectors; each vector gets discrete Gaussian noise
-- for its share of rho under policy p's weights and caps, and the document is derived
-- from the noisy counts alone. Its privacy object carries the parameters but no
-- release_id (shape.export_dp adds it). Internal: only shape.export_dp calls it, after
-- charging rho; PUBLIC and shape_reader cannot (raw is not noisy). The utility
-- benchmark calls it as the DBA, to draw several releases' noise on one set of bounded
-- counts (migrations/dputility_bench_test.go).
CREATE OR REPLACE FUNCTION shape.dp_document_v2(raw jsonb, p shape.policy, window_days int, as_of timestamptz,
                                               epsilon float8, delta float8, rho float8)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC'
    SET extra_float_digits = 1
AS $fn$
DECLARE
    doc      jsonb;
    s        record;
    noisy    jsonb := '{}'::jsonb;
    params   jsonb := '{}'::jsonb;
    wsum     numeric;
    sigma2   bigint;
    sig      numeric;
    l2       bigint;
    v        bigint[];
    z        bigint[];
    i        int;
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
    -- the split of ρ: vector i gets ρ·w_i/W, W the sum of the weights (1 for a vector
    -- the policy does not name; with no weights, an even split)
    SELECT pg_catalog.sum(coalesce((p.dp_weights ->> v.name)::numeric, 1)) INTO wsum FROM shape.dp_sensitivity_v2(1, 1, 1, 1, 1, 1) v;
    FOR s IN SELECT * FROM shape.dp_sensitivity_v2(p.dp_cap_conversations, p.dp_cap_messages, p.dp_cap_receipts,
                                                   p.dp_cap_attachments, p.dp_cap_conversation_messages,
                                                   p.dp_cap_conversation_receipts) LOOP
        -- ρ_i = ρ·w_i/W; σ² = ⌈Δ² / (2ρ_i)⌉ (Δ² exact, in numeric), so the vector costs
        -- Δ²/(2σ²) ≤ ρ_i
        sig := GREATEST(pg_catalog.ceil(s.l2_squared::numeric * wsum
                                        / (2 * rho::numeric * coalesce((p.dp_weights ->> s.name)::numeric, 1))), 1);
        IF sig > 4000000000000000000 THEN
            RAISE EXCEPTION 'error exporting the differential-privacy shape for epsilon = %: the noise for % would pass 4·10¹⁸ in variance', epsilon, s.name
                USING ERRCODE = '22023', HINT = 'ask for a larger epsilon, or ask the DBA for smaller caps (shape.policy.dp_cap_*)';
        END IF;
        sigma2 := sig::bigint;
        -- ⌈√Δ²⌉, exactly: the integer L2 bound published next to Δ²
        l2 := pg_catalog.ceil(pg_catalog.sqrt(s.l2_squared::numeric))::bigint;
        WHILE l2 > 0 AND (l2 - 1) * (l2 - 1) >= s.l2_squared LOOP l2 := l2 - 1; END LOOP;
        WHILE l2 * l2 < s.l2_squared LOOP l2 := l2 + 1; END LOOP;
        SELECT pg_catalog.array_agg(e::bigint ORDER BY o) INTO v
          FROM pg_catalog.jsonb_array_elements_text(raw -> s.name) WITH ORDINALITY AS a(e, o);
        z := shape.dp_discrete_gaussian(sigma2, pg_catalog.cardinality(v));
        FOR i IN 1 .. pg_catalog.cardinality(v) LOOP
            v[i] := v[i] + z[i];
        END LOOP;
        -- from here on v is noisy; post-processing: the dense vectors (7×24 cells, types,
        -- media, the member-bucket counts) are clamped at 0; the long, sparse histograms
        -- (the grids) go through shape.dp_keep: clamping alone would leave every empty bin
        -- about 0.4σ and pile mass into the empty tails (percentiles, heavy-room shares)
        IF s.name IN ('messages.weekday_hour', 'messages.media', 'attachments.type',
                      'read_receipts.messages_by_member_count',
                      'read_receipts.read_by_member_count', 'read_receipts.receipts_by_member_count') THEN
            FOR i IN 1 .. pg_catalog.cardinality(v) LOOP
                v[i] := GREATEST(v[i], 0);
            END LOOP;
        ELSE
            v := shape.dp_keep(v, sigma2);
        END IF;
        noisy := noisy || pg_catalog.jsonb_build_object(s.name, pg_catalog.to_jsonb(v));
        params := params || pg_catalog.jsonb_build_object(s.name, pg_catalog.jsonb_build_object(
                      'unit', s.unit, 'l1_sensitivity', s.l1, 'l2_sensitivity', l2,
                      'l2_squared_sensitivity', s.l2_squared, 'sigma2', sigma2,
                      'rho', s.l2_squared::float8 / (2 * sigma2)));
    END LOOP;
    -- from here on, only noisy counts
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

    RETURN doc || pg_catalog.jsonb_build_object('privacy', pg_catalog.jsonb_build_object(
        'mode', 'differential_privacy',
        'unit', 'user',
        'epsilon', epsilon, 'delta', delta, 'rho', rho,
        'caps', shape.dp_caps(p),
        'noise', 'discrete_gaussian',
        'vectors', params));
END
$fn$;

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
    rid      bigint;
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
               'epsilon', epsilon, 'delta', delta, 'version', 'dp3', 'weights', p.dp_weights,
               'caps', shape.dp_caps(p));

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
    -- the bounded counts (a contract without identities refuses here, before any
    -- charge); nothing of them leaves before the noise
    raw := shape.dp_aggregates_v2(window_days, as_of, p.dp_cap_conversations, p.dp_cap_messages, p.dp_cap_receipts,
                                  p.dp_cap_attachments, p.dp_cap_conversation_messages, p.dp_cap_conversation_receipts,
                                  shape.dp_random_bytes(32));
    -- charge before drawing: a sequence is not rolled back with the transaction
    PERFORM pg_catalog.setval('shape.dp_rho_spent_nano', spent + rho_nano, true);

    -- the noise and the post-processing; from here on, only noisy counts
    doc := shape.dp_document_v2(raw, p, window_days, as_of, epsilon, delta, rho);
    raw := NULL;

    INSERT INTO shape.dp_ledger (request, epsilon, delta, rho, document)
    VALUES (req, epsilon, delta, rho, '{}'::jsonb) RETURNING release_id INTO rid;
    doc := pg_catalog.jsonb_set(doc, '{privacy,release_id}', pg_catalog.to_jsonb(rid));
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
ALTER TABLE shape.policy DROP COLUMN IF EXISTS dp_weights;
DROP FUNCTION IF EXISTS shape.dp_weights_ok(jsonb);
DROP VIEW IF EXISTS shape.v1_privacy_budget;
DROP FUNCTION IF EXISTS shape.export_dp(int, timestamptz, float8, float8);
DROP FUNCTION IF EXISTS shape.dp_document_v2(jsonb, shape.policy, int, timestamptz, float8, float8, float8);
DROP FUNCTION IF EXISTS shape.dp_caps(shape.policy);
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
DROP FUNCTION IF EXISTS shape.dp_keep(bigint[], bigint);
DROP FUNCTION IF EXISTS shape.dp_aggregates_v2(int, timestamptz, int, int, int, int, int, int, bytea);
DROP FUNCTION IF EXISTS shape.dp_kept_v2(timestamptz, timestamptz, bigint, bigint[], bigint[], bigint[], bigint[], bigint[]);
DROP FUNCTION IF EXISTS shape.dp_passes_v2(text, timestamptz, timestamptz, int, int, int, int, int, int, bigint, bigint, bigint,
                                           bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[],
                                           bigint[], bigint[], bigint[]);
DROP FUNCTION IF EXISTS shape.dp_sensitivity_v2(int, int, int, int, int, int);
DROP FUNCTION IF EXISTS shape.dp_identity_check_v1();
DROP FUNCTION IF EXISTS shape.dp_epsilon(float8, float8);
DROP FUNCTION IF EXISTS shape.dp_rho(float8, float8);
DROP FUNCTION IF EXISTS shape.dp_discrete_gaussian(bigint, int);
DROP FUNCTION IF EXISTS shape.dp_bernoulli_exp(numeric, numeric);
DROP FUNCTION IF EXISTS shape.dp_uniform(numeric);
DROP FUNCTION IF EXISTS shape.dp_random_bytes(int);
-- pgcrypto stays if this layer did not install it; its own schema goes with it
DROP SCHEMA IF EXISTS shape_pgcrypto CASCADE;
ALTER TABLE shape.policy DROP COLUMN IF EXISTS dp_cap_conversations,
                         DROP COLUMN IF EXISTS dp_cap_messages,
                         DROP COLUMN IF EXISTS dp_cap_receipts,
                         DROP COLUMN IF EXISTS dp_cap_attachments,
                         DROP COLUMN IF EXISTS dp_cap_conversation_messages,
                         DROP COLUMN IF EXISTS dp_cap_conversation_receipts;
-- +goose StatementEnd
