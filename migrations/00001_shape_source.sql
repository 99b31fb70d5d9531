-- The source contract: the only place that knows production's table and column names.
-- Every view in shape_source has exactly the columns the shape SQL reads, no more.
-- Nothing here exposes text: usernames and message bodies are reduced to their
-- lengths, attachment types to a fixed vocabulary.
--
-- By default the views read the reference chat schema (sql/schema.sql) from the
-- schema `public`. When those tables are not there, the views are created empty
-- (typed placeholders) and a NOTICE says so: re-point each view at your own tables
-- with CREATE OR REPLACE VIEW, keeping the column names and types (README, "Source
-- contract"; an example is testdata/repointed-contract.sql).

-- +goose Up
-- +goose StatementBegin
CREATE SCHEMA IF NOT EXISTS shape_source;
COMMENT ON SCHEMA shape_source IS
    'pgshape source contract: adapter views over the application tables; re-point with CREATE OR REPLACE VIEW';

DO $contract$
DECLARE
    have_reference boolean :=
        to_regclass('public.users') IS NOT NULL
        AND to_regclass('public.conversations') IS NOT NULL
        AND to_regclass('public.conversation_members') IS NOT NULL
        AND to_regclass('public.messages') IS NOT NULL
        AND to_regclass('public.read_receipts') IS NOT NULL
        AND to_regclass('public.attachments') IS NOT NULL;
BEGIN
    IF have_reference THEN
        CREATE VIEW shape_source.users AS
            SELECT u.id AS user_id,
                   char_length(u.username)::integer AS username_length,
                   u.created_at
            FROM public.users u;

        CREATE VIEW shape_source.conversations AS
            SELECT c.id AS conversation_id,
                   c.created_at
            FROM public.conversations c;

        CREATE VIEW shape_source.conversation_members AS
            SELECT m.conversation_id
            FROM public.conversation_members m;

        CREATE VIEW shape_source.messages AS
            SELECT m.id AS message_id,
                   m.conversation_id,
                   m.created_at,
                   (m.media_kind IS NOT NULL) AS has_media,
                   char_length(m.content)::integer AS content_length
            FROM public.messages m;

        CREATE VIEW shape_source.read_receipts AS
            SELECT r.message_id,
                   r.read_at
            FROM public.read_receipts r;

        CREATE VIEW shape_source.attachments AS
            SELECT a.message_id,
                   CASE WHEN a.type IN ('image', 'video', 'audio', 'document') THEN a.type
                        ELSE 'other' END AS type,
                   a.size_bytes
            FROM public.attachments a;
    ELSE
        RAISE NOTICE 'pgshape: the reference tables are not in schema public; shape_source views are empty placeholders: re-point them at your tables with CREATE OR REPLACE VIEW';
        CREATE VIEW shape_source.users AS
            SELECT NULL::bigint AS user_id, NULL::integer AS username_length,
                   NULL::timestamptz AS created_at WHERE false;
        CREATE VIEW shape_source.conversations AS
            SELECT NULL::bigint AS conversation_id, NULL::timestamptz AS created_at WHERE false;
        CREATE VIEW shape_source.conversation_members AS
            SELECT NULL::bigint AS conversation_id WHERE false;
        CREATE VIEW shape_source.messages AS
            SELECT NULL::bigint AS message_id, NULL::bigint AS conversation_id,
                   NULL::timestamptz AS created_at, NULL::boolean AS has_media,
                   NULL::integer AS content_length WHERE false;
        CREATE VIEW shape_source.read_receipts AS
            SELECT NULL::bigint AS message_id, NULL::timestamptz AS read_at WHERE false;
        CREATE VIEW shape_source.attachments AS
            SELECT NULL::bigint AS message_id, NULL::text AS type, NULL::bigint AS size_bytes WHERE false;
    END IF;
END
$contract$;

COMMENT ON VIEW shape_source.users IS 'one row per user: user_id, username_length (characters), created_at';
COMMENT ON VIEW shape_source.conversations IS 'one row per conversation: conversation_id, created_at';
COMMENT ON VIEW shape_source.conversation_members IS 'one row per membership: conversation_id';
COMMENT ON VIEW shape_source.messages IS 'one row per message: message_id, conversation_id, created_at, has_media, content_length (characters, NULL when no content)';
COMMENT ON VIEW shape_source.read_receipts IS 'one row per receipt: message_id, read_at';
COMMENT ON VIEW shape_source.attachments IS 'one row per attachment: message_id, type (image|video|audio|document|other), size_bytes';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP SCHEMA IF EXISTS shape_source CASCADE;
-- +goose StatementEnd
