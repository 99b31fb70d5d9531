-- A small chat database for the sample and scan-pii tests (testdb kind Production,
-- reference schema in public). Its text columns hold personal-looking data on
-- purpose (documentation-safe: example.com addresses, 555-01xx numbers): an export
-- of it must scan clean, proving that none of it crosses the boundary.
-- Window used by the tests: as_of 2025-10-22T00:00:00Z, 30 days.

INSERT INTO public.users (id, username, email, created_at)
SELECT i, 'user_' || i, 'user' || i || '@example.com',
       timestamptz '2024-01-01 00:00:00+00' + i * interval '37 hours'
FROM generate_series(1, 300) AS i;

INSERT INTO public.conversations (id, kind, title, created_at)
SELECT i, CASE WHEN i % 3 = 0 THEN 'group' ELSE 'direct' END,
       'Room of +1 202 555 0' || lpad((i % 100)::text, 3, '0'),
       timestamptz '2025-01-01 00:00:00+00' + i * interval '1 day'
FROM generate_series(1, 60) AS i;

INSERT INTO public.conversation_members (conversation_id, user_id, joined_at)
SELECT c, ((c * 7 + j) % 300) + 1, timestamptz '2025-03-03 00:00:00+00'
FROM generate_series(1, 60) AS c,
     LATERAL generate_series(0, CASE WHEN c % 3 = 0 THEN 4 + c % 10 ELSE 1 END) AS j;

-- 3000 messages in the window [2025-09-22, 2025-10-22), 500 before it.
INSERT INTO public.messages (id, conversation_id, sender_id, created_at, media_kind, content)
SELECT i, (i % 60) + 1, (i % 300) + 1,
       CASE WHEN i <= 3000
            THEN timestamptz '2025-09-22 00:00:00+00' + ((i::bigint * 7919) % 2592000) * interval '1 second'
            ELSE timestamptz '2025-08-01 00:00:00+00' + i * interval '1 minute' END,
       CASE WHEN i % 10 = 0 THEN 'image' WHEN i % 25 = 0 THEN 'document' END,
       CASE WHEN i % 10 = 0 THEN NULL
            ELSE 'call me at 415-555-0' || lpad((i % 100)::text, 3, '0') || ' or mail user' || i || '@example.com' END
FROM generate_series(1, 3500) AS i;

INSERT INTO public.read_receipts (message_id, reader_id, read_at)
SELECT m.id, ((m.id * 13) % 300) + 1, m.created_at + (m.id % 500) * interval '17 seconds'
FROM public.messages m
WHERE m.id % 2 = 0;

INSERT INTO public.attachments (id, message_id, type, size_bytes)
SELECT m.id, m.id, m.media_kind, 1000 + (m.id * 7777) % 5000000
FROM public.messages m
WHERE m.media_kind IS NOT NULL;
