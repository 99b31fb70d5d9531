-- pgshape demo data: fills the reference chat schema (sql/schema.sql) with a small
-- production-like dataset drawn from known parameters, entirely inside PostgreSQL.
-- It stands in for a production replica in `make demo`, the tests and the export
-- benchmark. Every name, email and text in it is synthetic.
--
-- Usage (psql, after sql/schema.sql):
--   \i sql/demo_data.sql
--   SELECT pg_temp.pgshape_demo_fill(60000, '2025-10-22T00:00:00Z', 0.42);
--
-- Known parameters (the shape a calibrated fit should recover):
--   messages per active conversation  discrete log-normal, floor(exp(N(2.0, 1.6²))) + 1, ≤ 20000
--   inactive conversations             15% (no message in the 30-day window)
--   type mix (members)                 0.68 two | 0.27 small 3–20 | 0.05 large 21+
--   small groups                       3 + geometric(p = 0.35), truncated at 20
--   large groups                       floor(21·U^(−1/1.5)) (power law α = 2.5), ≤ 500
--   users                              2 per 100 messages (at least 600)
--   members                            uniform: conversation c of m members holds users
--                                      1 + (o_c + i·104729) mod n_users, i < m, for an offset
--                                      o_c uniform over the users, drawn from a stream of its
--                                      own (setseed(−seed)) so that every other draw is as it
--                                      was. Each user is in c with probability m/n_users,
--                                      independently across conversations: conversations per
--                                      user is Poisson-binomial (about Poisson(Σm/n_users)),
--                                      the Chung–Lu law of uniform members (σ = 0)
--   timing                             bursts: a message continues its burst with probability
--                                      0.6 after an exponential gap of mean 40 s; bursts start at
--                                      a day of the window (weekend days weigh 0.7) and an hour
--                                      drawn from 1 + 0.43·cos(2π(h − 15)/24) (peak/trough 2.5)
--   content length                     floor(exp(N(4.2, 0.9²))), ≤ 2000, text messages only
--   media ratio                        0.163 (media messages have NULL content)
--   attachment types                   image .67, video .14, document .13, audio .06
--   attachment size                    exp(N(12.5, 1.5²)) bytes; 10% of media messages have 2
--   read rate                          by the room's m members: 0.86 − 0.04·ln(m/2) (0.86 in
--                                      1:1 chats, 0.70 at 100 members); 1 reader + extra
--                                      readers, geometric with mean 0.3·√(m − 1), ≤ m − 2
--                                      (bigger rooms fan out to more readers, sublinearly)
--   read delay                         0.35 Exp(mean 15 s) | 0.45 Exp(mean 600 s) |
--                                      0.20 log-normal(μ = 9.0, σ = 1.2) seconds
--   size × activity                    Gaussian copula, ρ = 0.5: activity from a latent
--                                      za ~ N(0, 1) (inactive when Φ(za) < 0.15, else the
--                                      log-normal at (Φ(za) − 0.15)/0.85), size from
--                                      zs = 0.5·za + √0.75·ε through the type mix and the
--                                      type's size law at one uniform Φ(zs): busy rooms
--                                      are bigger, every margin above unchanged
--
-- Φ and Φ⁻¹ below are approximations (Abramowitz & Stegun 26.2.17, |error| < 7.5e-8;
-- P. J. Acklam's rational approximation, relative error < 1.15e-9): they define this
-- synthetic production, so its copula is Gaussian to that accuracy.

CREATE OR REPLACE FUNCTION pg_temp.pgshape_demo_phi(x double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE
AS $phi$
    SELECT CASE WHEN abs(x) > 37 THEN (x > 0)::int::double precision
                WHEN x >= 0 THEN 1 - q ELSE q END
    FROM (SELECT CASE WHEN abs(x) > 37 THEN 0
                      ELSE exp(-x * x / 2) / sqrt(2 * pi())
                           * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
                 END AS q
          FROM (SELECT 1 / (1 + 0.2316419 * abs(x)) AS t) a) b
$phi$;

CREATE OR REPLACE FUNCTION pg_temp.pgshape_demo_phinv(p double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE
AS $phinv$
DECLARE
    q double precision;
    r double precision;
BEGIN
    p := least(greatest(p, 1e-15), 1 - 1e-15);
    IF p < 0.02425 THEN
        q := sqrt(-2 * ln(p));
        RETURN (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                  - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
             / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                  + 3.754408661907416e+00) * q + 1);
    ELSIF p > 1 - 0.02425 THEN
        RETURN -pg_temp.pgshape_demo_phinv(1 - p);
    END IF;
    q := p - 0.5;
    r := q * q;
    RETURN (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
              + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
         / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
              + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1);
END
$phinv$;

CREATE OR REPLACE FUNCTION pg_temp.pgshape_demo_fill(n_messages bigint, as_of timestamptz, seed double precision)
RETURNS void
LANGUAGE plpgsql
AS $fill$
DECLARE
    window_start timestamptz := as_of - interval '30 days';
    n_users      bigint := greatest(600, n_messages / 50);
    n_active     bigint := greatest(10, round(n_messages / 26.0));
    n_conv       bigint := round(n_active / 0.85);
    offs         bigint[];  -- offs[c]: conversation c's member offset o_c
BEGIN
    PERFORM setseed(-seed);
    SELECT array_agg(floor(random() * n_users)::bigint ORDER BY c) INTO offs FROM generate_series(1, n_conv) AS c;
    PERFORM setseed(seed);
    SET LOCAL work_mem = '256MB';

    INSERT INTO users (id, username, email, created_at)
    SELECT i,
           'u' || i || repeat('x', (floor(random() * 9))::int),
           'user' || i || '@demo.invalid',
           as_of - make_interval(secs => least(3650, exp(5.0 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))) * 86400)
    FROM generate_series(1, n_users) AS i;

    -- Conversations with their member count m, type by m, and window activity n, coupled
    -- by the copula of the header: pa = Φ(za) is the activity uniform (the lowest 15 %
    -- inactive), u = Φ(0.5·za + √0.75·ε) the size uniform, read through the type mix and
    -- then the type's size law at u's place inside the type's share.
    CREATE TEMP TABLE demo_conv ON COMMIT DROP AS
    SELECT c AS id,
           CASE WHEN u < 0.68 THEN 2
                WHEN u < 0.95 THEN least(20, 3 + floor(ln(1 - (u - 0.68) / 0.27) / ln(1 - 0.35)))::int
                ELSE least(500, floor(21 * power(1 - (u - 0.95) / 0.05, -1 / 1.5)))::int
           END AS m,
           CASE WHEN pa >= 0.15
                THEN least(20000, floor(exp(2.0 + 1.6 * pg_temp.pgshape_demo_phinv((pa - 0.15) / 0.85))) + 1)::int
                ELSE 0 END AS n
    FROM (SELECT c, pa,
                 pg_temp.pgshape_demo_phi(0.5 * pg_temp.pgshape_demo_phinv(pa)
                                          + sqrt(0.75) * pg_temp.pgshape_demo_phinv(random())) AS u
          FROM (SELECT c, random() AS pa FROM generate_series(1, n_conv) AS c) s0) s;

    INSERT INTO conversations (id, kind, title, created_at)
    SELECT id,
           CASE WHEN m = 2 THEN 'direct' WHEN m <= 20 THEN 'group' ELSE 'channel' END,
           CASE WHEN m = 2 THEN NULL ELSE 'Room ' || id END,
           window_start - make_interval(days => (floor(random() * 900))::int)
    FROM demo_conv;

    -- Member i of conversation c is user 1 + (o_c + i·104729) mod n_users: distinct for
    -- i < n_users whenever 104729 (prime) does not divide n_users.
    INSERT INTO conversation_members (conversation_id, user_id, joined_at)
    SELECT d.id, 1 + ((offs[d.id] + i * 104729) % n_users), window_start - interval '1 day'
    FROM demo_conv d, generate_series(0, d.m - 1) AS i
    ON CONFLICT DO NOTHING;

    -- Messages: j-th message of conversation c; bursts by a running sum of "new burst" flags.
    -- A burst starts in one of the window's 30×24 hour slots, drawn with weight
    -- (weekend day ? 0.7 : 1) × (1 + 0.43·cos(2π(h − 15)/24)) by inverting the cumulative
    -- weights with width_bucket, uniformly within the hour.
    CREATE TEMP TABLE demo_msg ON COMMIT DROP AS
    WITH raw AS (
        SELECT d.id AS conv, d.m, j,
               (j = 1 OR random() > 0.6) AS new_burst,
               -40 * ln(1 - random()) AS gap
        FROM demo_conv d, generate_series(1, d.n) AS j
    ), bursts AS (
        SELECT conv, m, j, gap, new_burst,
               sum(new_burst::int) OVER (PARTITION BY conv ORDER BY j) AS burst
        FROM raw
    ), slots AS (
        SELECT array_agg(cum_lo ORDER BY slot) AS lo
        FROM (SELECT slot, (sum(w) OVER (ORDER BY slot) - w) / sum(w) OVER () AS cum_lo
              FROM (SELECT dd * 24 + h AS slot,
                           CASE WHEN extract(isodow FROM window_start + dd * interval '1 day') >= 6 THEN 0.7 ELSE 1 END
                           * (1 + 0.43 * cos(2 * pi() * (h - 15) / 24.0)) AS w
                    FROM generate_series(0, 29) AS dd, generate_series(0, 23) AS h) x) y
    ), placed AS (
        SELECT b.conv, b.burst,
               window_start + make_interval(hours => width_bucket(random(), slots.lo) - 1)
                 + make_interval(secs => 3600 * random()) AS start_at
        FROM bursts b, slots WHERE b.new_burst
    ), timed AS (
        SELECT b.conv, b.m, b.j,
               p.start_at + make_interval(secs => sum(CASE WHEN b.new_burst THEN 0 ELSE b.gap END)
                    OVER (PARTITION BY b.conv, b.burst ORDER BY b.j)) AS at
        FROM bursts b JOIN placed p USING (conv, burst)
    )
    -- Wrap the rare burst that runs past as_of back into the window, then number the
    -- messages in (conversation, time) order so ids follow the primary key.
    SELECT row_number() OVER (ORDER BY conv, at2, j) AS id, conv, m, at2,
           (floor(random() * m))::int AS s_idx, r, r2
    FROM (SELECT conv, m, j, random() AS r, random() AS r2,
                 CASE WHEN at >= as_of THEN at - interval '30 days' ELSE at END AS at2
          FROM timed) x;

    INSERT INTO messages (id, conversation_id, sender_id, created_at, media_kind, content)
    SELECT id, conv,
           1 + ((offs[conv] + s_idx * 104729) % n_users),
           at2,
           CASE WHEN r < 0.163 THEN
               CASE WHEN r2 < 0.67 THEN 'image' WHEN r2 < 0.81 THEN 'video'
                    WHEN r2 < 0.94 THEN 'document' ELSE 'audio' END END,
           CASE WHEN r >= 0.163 THEN
               substr(repeat('lorem ipsum dolor sit amet consectetur adipiscing elit sed do ', 40),
                      1 + (floor(random() * 40))::int,
                      least(2000, floor(exp(4.2 + 0.9 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int) END
    FROM demo_msg;

    -- Read receipts: the message is read with probability 0.86 − 0.04·ln(m/2); readers
    -- are the members after the sender in membership order (never the sender), 1 plus a
    -- geometric number with mean μ = 0.3·√(m − 1): floor(ln(1 − U)/ln(q)), q = μ/(1 + μ).
    INSERT INTO read_receipts (message_id, reader_id, read_at)
    SELECT x.id, 1 + ((offs[x.conv] + ((x.s_idx + 1 + k) % x.m) * 104729) % n_users),
           x.at2 + make_interval(secs =>
               CASE WHEN x.u < 0.35 THEN -15 * ln(1 - random())
                    WHEN x.u < 0.80 THEN -600 * ln(1 - random())
                    ELSE exp(9.0 + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) END)
    FROM (SELECT id, conv, m, s_idx, at2, random() AS u, random() AS readp,
                 least(200, floor(ln(1 - random())
                                  / ln(0.3 * sqrt(m - 1) / (1 + 0.3 * sqrt(m - 1)))))::int AS extra
          FROM demo_msg) x
    CROSS JOIN LATERAL generate_series(0, least(x.extra, x.m - 2)) AS k
    WHERE x.readp < 0.86 - 0.04 * ln(x.m / 2.0)
    ON CONFLICT DO NOTHING;

    INSERT INTO attachments (id, message_id, type, size_bytes)
    SELECT row_number() OVER (ORDER BY m.id, k), m.id,
           CASE WHEN k = 0 THEN m.media_kind
                ELSE (ARRAY['image', 'image', 'image', 'video', 'document', 'audio'])[1 + floor(random() * 6)::int] END,
           greatest(1, floor(exp(12.5 + 1.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::bigint
    FROM messages m
    CROSS JOIN LATERAL generate_series(0, CASE WHEN random() < 0.1 + 0 * m.id THEN 1 ELSE 0 END) AS k  -- m.id: draw per row
    WHERE m.media_kind IS NOT NULL;
END
$fill$;
