-- pgshape "real-looking" demo data: fills the reference chat schema (sql/schema.sql)
-- with a year of team chat drawn from known parameters, entirely inside PostgreSQL.
-- Beside sql/demo_data.sql (one month, uniform senders, one log-normal length), this
-- one has what real archives have: a few people write most messages, most people are
-- in one or two conversations, threads live from minutes to weeks and talk in bursts,
-- and texts are either short replies or long posts. It stands in for a production
-- replica in `make demo-real` and the tests of sql/demo_real_test.go. Every name,
-- email and text in it is synthetic.
--
-- Usage (psql, after sql/schema.sql):
--   \i sql/demo_real_data.sql
--   SELECT pg_temp.pgshape_real_fill('2025-10-22T00:00:00Z', 0.42);
-- Export it with a 365-day window: SELECT shape.export(365, 10, '2025-10-22T00:00:00Z').
--
-- Known parameters (mirrored by refschema.RealKnown in sql/demo_real.go; change both):
--   window                      365 days before as_of; every message lies in it
--   users                       3750: ranks 1…3000 may send, 3001…3750 never send
--   sender propensity           Zipf–Mandelbrot over the 3000 senders: user r draws
--                               with weight (r + 5)^(−1.5) (user 1 the busiest). The
--                               busiest sender's expected share is 0.083, the busiest
--                               10's 0.422, the median sender's ≈ 3 messages
--   conversations               8000; 10% inactive (no message in the window)
--   messages per active conv.   1 with probability 0.06, else 2 + floor(exp(N(1.9, 1.5²))),
--                               ≤ 10000 (mean ≈ 21, top-5% share ≈ 0.42)
--   senders of a thread         message 1: the starter (a propensity draw); message 2:
--                               the replier (a propensity draw, drawn again once if it
--                               is the starter, then the next rank); message j ≥ 3: with
--                               probability 0.6 the starter or the replier (even odds),
--                               else a fresh propensity draw. A monologue thread (6% of
--                               threads with ≥ 2 messages) has the starter only, so the
--                               single-sender share of active conversations is
--                               0.06 + 0.94·0.06 = 0.1164
--   members                     the thread's senders, its starter and replier (so every
--                               conversation has ≥ 2 members), and lurker draws: floor(
--                               exp(N(−0.5, 1.2²))) users (≤ 300) uniform over all 3750
--                               (duplicates collapse). Kind by members: 2 direct, ≤ 20
--                               group, else channel
--   lifetime (≥ 2 messages)     first to last message: log-normal, ln L ~ N(ln 43200, 2.6²)
--                               (median 12 h; ≤ 360 days), its normal ρ = 0.5 with the
--                               normal that drew the message count (busier threads live
--                               longer; the margin stays log-normal). The first message
--                               falls uniformly in [window start, as_of − L]
--   sessions                    each gap after the first message is a session break with
--                               probability 0.25; an in-session gap is log-normal,
--                               ln g ~ N(ln 30, 1.0²) (median 30 s, P(< 1 s) = 3·10⁻⁴);
--                               the breaks share what the in-session gaps leave of L in
--                               proportion to Exp(1) draws (uniform spacings). A thread
--                               without a break, or whose in-session gaps exceed L, has
--                               all its gaps (in-session draws) scaled to sum to L
--   content length              2-component log-normal mixture, floor, 1…5000 chars:
--                               0.55 short replies ln ~ N(ln 20, 0.6²) | 0.45 long posts
--                               ln ~ N(ln 400, 0.7²); every message is text
--   media                       none: media ratio 0, no attachments
--   read receipts               a message is read with probability 0.7, by its
--                               counterpart (the replier when the starter sent it, else
--                               the starter), after a log-normal delay ln d ~ N(ln 120, 1.5²) s
--   users created               window start − exp(N(5.0, 1.0²)) days (≤ 3650)
--
-- Draws: setseed(seed) and random(), sequential in one session (parallel query off),
-- so the same seed gives the same rows. Normals by Box–Muller: sqrt(−2 ln(1 − U₁))·cos(2πU₂).

CREATE OR REPLACE FUNCTION pg_temp.pgshape_real_fill(as_of timestamptz, seed double precision)
RETURNS void
LANGUAGE plpgsql
AS $fill$
DECLARE
    window_start timestamptz := as_of - interval '365 days';
    window_secs  double precision := 365 * 86400;
    n_senders    int := 3000;
    n_users      int := 3750;
    n_conv       int := 8000;
    cum          double precision[];  -- cum[r]: the propensity mass of ranks < r, over the total
BEGIN
    PERFORM setseed(seed);
    SET LOCAL work_mem = '256MB';
    SET LOCAL max_parallel_workers_per_gather = 0;  -- random() in one process, in row order

    SELECT array_agg(lo ORDER BY r) INTO cum
    FROM (SELECT r, (sum(w) OVER (ORDER BY r) - w) / sum(w) OVER () AS lo
          FROM (SELECT r, power(r + 5.0, -1.5) AS w FROM generate_series(1, n_senders) AS r) a) b;

    INSERT INTO users (id, username, email, created_at)
    SELECT i,
           'r' || i || repeat('x', (floor(random() * 9))::int),
           'user' || i || '@demo-real.invalid',
           window_start - make_interval(secs => least(3650, exp(5.0 + 1.0 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))) * 86400)
    FROM generate_series(1, n_users) AS i;

    -- Conversations: activity, message count n, lifetime L, first message t0, starter,
    -- replier, monologue flag and lurker draws. zn drew n, zl = 0.5·zn + √0.75·ε drew L.
    CREATE TEMP TABLE real_conv ON COMMIT DROP AS
    WITH u AS (
        SELECT c, random() AS u_act, random() AS u_single, random() AS u_mono,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS zn,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS eps,
               random() AS u_t0, random() AS u_s, random() AS u_r1, random() AS u_r2,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS zk,
               random() AS u_old
        FROM generate_series(1, n_conv) AS c
    ), n AS (
        SELECT c, u_t0, u_old, width_bucket(u_s, cum) AS starter,
               width_bucket(u_r1, cum) AS r1, width_bucket(u_r2, cum) AS r2,
               CASE WHEN u_act < 0.10 THEN 0
                    WHEN u_single < 0.06 THEN 1
                    ELSE least(10000, 2 + floor(exp(1.9 + 1.5 * zn)))::int END AS n,
               u_mono < 0.06 AS mono,
               least(300, floor(exp(-0.5 + 1.2 * zk)))::int AS lurkers,
               least(360 * 86400.0, exp(ln(43200) + 2.6 * (0.5 * zn + sqrt(0.75) * eps))) AS life
        FROM u
    )
    SELECT c AS id, n, mono AND n >= 2 AS mono, lurkers, starter,
           CASE WHEN r1 <> starter THEN r1 WHEN r2 <> starter THEN r2 ELSE starter % n_senders + 1 END AS replier,
           CASE WHEN n >= 2 THEN life ELSE 0 END AS life,
           CASE WHEN n >= 1 THEN window_start + make_interval(secs => (window_secs - CASE WHEN n >= 2 THEN life ELSE 0 END) * u_t0)
                ELSE window_start - make_interval(secs => 700 * 86400 * u_old) END AS t0
    FROM n;

    -- Messages: the j-th message of conversation c. Gaps first (in-session draw g for
    -- every gap, break flag, Exp(1) weight e), then the per-thread sums that place them.
    CREATE TEMP TABLE real_msg ON COMMIT DROP AS
    WITH raw AS (
        SELECT d.id AS conv, d.n, d.life, d.t0, d.starter, d.replier, d.mono, j,
               j > 1 AND random() < 0.25 AS brk,
               CASE WHEN j > 1 THEN exp(ln(30) + 1.0 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) ELSE 0 END AS g,
               -ln(1 - random()) AS e,
               random() AS u_copy, random() AS u_pick, random() AS u_send,
               random() < 0.45 AS long,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS zl,
               random() AS u_off, random() AS u_read,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS zd
        FROM real_conv d, generate_series(1, d.n) AS j
    ), sums AS (
        SELECT raw.*,
               sum(g) FILTER (WHERE NOT brk) OVER w AS s_in,
               sum(g) OVER w AS s_all,
               sum(e) FILTER (WHERE brk) OVER w AS s_e,
               count(*) FILTER (WHERE brk) OVER w AS nb
        FROM raw WINDOW w AS (PARTITION BY conv)
    ), gaps AS (
        SELECT sums.*,
               CASE WHEN j = 1 THEN 0
                    WHEN nb > 0 AND s_in < life THEN CASE WHEN brk THEN (life - s_in) * e / s_e ELSE g END
                    ELSE life * g / s_all END AS gap
        FROM sums
    )
    SELECT row_number() OVER (ORDER BY conv, j) AS id, conv, j, starter, replier,
           t0 + make_interval(secs => sum(gap) OVER (PARTITION BY conv ORDER BY j)) AS at,
           CASE WHEN j = 1 OR mono THEN starter
                WHEN j = 2 THEN replier
                WHEN u_copy < 0.6 THEN CASE WHEN u_pick < 0.5 THEN starter ELSE replier END
                ELSE width_bucket(u_send, cum) END AS sender,
           greatest(1, least(5000, floor(exp(CASE WHEN long THEN ln(400) + 0.7 * zl ELSE ln(20) + 0.6 * zl END))))::int AS len,
           u_off, u_read, zd
    FROM gaps;

    -- Members: senders, starter and replier, lurkers (uniform over all users); UNION
    -- collapses duplicates.
    CREATE TEMP TABLE real_member ON COMMIT DROP AS
    SELECT conv, sender AS user_id FROM real_msg
    UNION SELECT id, starter FROM real_conv
    UNION SELECT id, replier FROM real_conv
    UNION SELECT d.id, 1 + floor(random() * n_users)::int FROM real_conv d, generate_series(1, d.lurkers) AS k;

    INSERT INTO conversations (id, kind, title, created_at)
    SELECT d.id,
           CASE WHEN s.m = 2 THEN 'direct' WHEN s.m <= 20 THEN 'group' ELSE 'channel' END,
           CASE WHEN s.m = 2 THEN NULL ELSE 'Thread ' || d.id END,
           d.t0 - interval '1 minute'
    FROM real_conv d JOIN (SELECT conv, count(*) AS m FROM real_member GROUP BY conv) s ON s.conv = d.id;

    INSERT INTO conversation_members (conversation_id, user_id, joined_at)
    SELECT mb.conv, mb.user_id, d.t0 - interval '1 minute'
    FROM real_member mb JOIN real_conv d ON d.id = mb.conv;

    INSERT INTO messages (id, conversation_id, sender_id, created_at, media_kind, content)
    SELECT id, conv, sender, at, NULL,
           substr(repeat('lorem ipsum dolor sit amet consectetur adipiscing elit sed do ', 82),
                  1 + (floor(u_off * 60))::int, len)
    FROM real_msg;

    INSERT INTO read_receipts (message_id, reader_id, read_at)
    SELECT id, CASE WHEN sender = starter THEN replier ELSE starter END,
           at + make_interval(secs => exp(ln(120) + 1.5 * zd))
    FROM real_msg
    WHERE u_read < 0.7;
END
$fill$;
