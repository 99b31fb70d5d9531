-- Example: re-pointing the pgshape source contract (schema shape_source) at an
-- application whose tables and columns have other names. Run it with psql after
-- `loader migrate`; the shape functions and views need no change, because they read
-- only the shape_source views.
--
-- Each view keeps the contract's column names and types (CREATE OR REPLACE VIEW
-- refuses anything else) and exposes no text: lengths instead of strings, a fixed
-- attachment type vocabulary instead of MIME types.
--
-- The first part creates the demo application schema `legacy` (in a real database it
-- already exists); tests use it through migrations/repointed_test.go.

CREATE SCHEMA IF NOT EXISTS legacy;

CREATE TABLE IF NOT EXISTS legacy.accounts (
    account_no  bigint PRIMARY KEY,
    handle      text        NOT NULL,
    signup_ts   timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS legacy.rooms (
    room_no     bigint PRIMARY KEY,
    opened_ts   timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS legacy.room_members (
    room_no     bigint NOT NULL REFERENCES legacy.rooms,
    account_no  bigint NOT NULL REFERENCES legacy.accounts,
    PRIMARY KEY (room_no, account_no)
);
CREATE TABLE IF NOT EXISTS legacy.posts (
    post_no          bigint PRIMARY KEY,
    room_no          bigint      NOT NULL REFERENCES legacy.rooms,
    author_no        bigint      NOT NULL REFERENCES legacy.accounts,
    posted_ts        timestamptz NOT NULL,
    body             text,                 -- NULL for a post with only a file
    attachment_kind  text                  -- NULL for plain text; 'photo', 'clip', 'voice', 'file'
);
CREATE TABLE IF NOT EXISTS legacy.post_reads (
    post_no     bigint      NOT NULL REFERENCES legacy.posts,
    account_no  bigint      NOT NULL REFERENCES legacy.accounts,
    seen_ts     timestamptz NOT NULL,
    PRIMARY KEY (post_no, account_no)
);
CREATE TABLE IF NOT EXISTS legacy.files (
    file_no     bigint PRIMARY KEY,
    post_no     bigint NOT NULL REFERENCES legacy.posts,
    mime        text   NOT NULL,
    bytes       bigint NOT NULL
);

-- The contract, re-pointed.
CREATE OR REPLACE VIEW shape_source.users AS
    SELECT a.account_no AS user_id,
           char_length(a.handle)::integer AS username_length,
           a.signup_ts AS created_at
    FROM legacy.accounts a;

CREATE OR REPLACE VIEW shape_source.conversations AS
    SELECT r.room_no AS conversation_id,
           r.opened_ts AS created_at
    FROM legacy.rooms r;

CREATE OR REPLACE VIEW shape_source.conversation_members AS
    SELECT rm.room_no AS conversation_id,
           rm.account_no AS user_id
    FROM legacy.room_members rm;

CREATE OR REPLACE VIEW shape_source.messages AS
    SELECT p.post_no AS message_id,
           p.room_no AS conversation_id,
           p.posted_ts AS created_at,
           (p.attachment_kind IS NOT NULL) AS has_media,
           char_length(p.body)::integer AS content_length,
           p.author_no AS sender_id
    FROM legacy.posts p;

CREATE OR REPLACE VIEW shape_source.read_receipts AS
    SELECT pr.post_no AS message_id,
           pr.seen_ts AS read_at,
           pr.account_no AS reader_id
    FROM legacy.post_reads pr;

CREATE OR REPLACE VIEW shape_source.attachments AS
    SELECT f.post_no AS message_id,
           CASE WHEN f.mime LIKE 'image/%' THEN 'image'
                WHEN f.mime LIKE 'video/%' THEN 'video'
                WHEN f.mime LIKE 'audio/%' THEN 'audio'
                WHEN f.mime IN ('application/pdf', 'application/msword', 'text/plain') THEN 'document'
                ELSE 'other' END AS type,
           f.bytes AS size_bytes
    FROM legacy.files f;
