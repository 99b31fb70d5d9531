-- The shape layer, part 3: views for psql and the least-privilege role shape_reader.
--
-- The views read their parameters from settings, with defaults:
--   shape.window_days (30), shape.k (10), shape.as_of (now()).
--   SET shape.window_days = 7; SELECT jsonb_pretty(doc) FROM shape.v1_messages;
-- They are defined over the shape functions only, never over shape_source, so that
-- `loader generate` can swap a target's tables and re-create the shape_source views
-- without touching these.
--
-- shape_reader (NOLOGIN, cluster-global) may execute the export and the family
-- functions and select the views; nothing else: no shape_source view, no table. The
-- functions run as their owner (SECURITY DEFINER, pinned search_path).

-- +goose Up
-- +goose StatementBegin
-- shape.view_args: the views' parameters, from the settings or their defaults.
CREATE OR REPLACE FUNCTION shape.view_args()
    RETURNS TABLE (window_days int, k int, as_of timestamptz)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(nullif(pg_catalog.current_setting('shape.window_days', true), '')::int, 30),
           coalesce(nullif(pg_catalog.current_setting('shape.k', true), '')::int, 10),
           coalesce(nullif(pg_catalog.current_setting('shape.as_of', true), '')::timestamptz, pg_catalog.now())
$$;
COMMENT ON FUNCTION shape.view_args() IS
    'the shape views'' parameters: settings shape.window_days (30), shape.k (10), shape.as_of (now())';
CREATE OR REPLACE VIEW shape.v1_users AS
    SELECT shape.users_v1(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
CREATE OR REPLACE VIEW shape.v1_conversations AS
    SELECT shape.conversations_v1(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
CREATE OR REPLACE VIEW shape.v1_messages AS
    SELECT shape.messages_v1(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
CREATE OR REPLACE VIEW shape.v1_read_receipts AS
    SELECT shape.read_receipts_v1(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
CREATE OR REPLACE VIEW shape.v1_attachments AS
    SELECT shape.attachments_v1(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
CREATE OR REPLACE VIEW shape.v1_export AS
    SELECT shape.export(a.window_days, a.k, a.as_of) AS doc FROM shape.view_args() a;
COMMENT ON VIEW shape.v1_export IS
    'the shape document; parameters from settings shape.window_days (30), shape.k (10), shape.as_of (now())';

-- shape_reader: created once per cluster; several databases may migrate at the same
-- time, so a concurrent creation is not an error.
DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shape_reader') THEN
        BEGIN
            CREATE ROLE shape_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another migration created it first
        END;
    END IF;
END
$role$;
COMMENT ON ROLE shape_reader IS 'pgshape: may run the shape export and read the shape views, nothing else';

REVOKE ALL ON SCHEMA shape FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA shape FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA shape FROM PUBLIC;
REVOKE ALL ON SCHEMA shape_source FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA shape_source FROM PUBLIC;

GRANT USAGE ON SCHEMA shape TO shape_reader;
GRANT EXECUTE ON FUNCTION
    shape.export(int, int, timestamptz),
    shape.export(int, int),
    shape.users_v1(int, int, timestamptz),
    shape.conversations_v1(int, int, timestamptz),
    shape.messages_v1(int, int, timestamptz),
    shape.read_receipts_v1(int, int, timestamptz),
    shape.attachments_v1(int, int, timestamptz),
    shape.view_args(),
    shape.version()  -- loader sample checks it before it exports
    TO shape_reader;
GRANT SELECT ON shape.v1_users, shape.v1_conversations, shape.v1_messages,
                shape.v1_read_receipts, shape.v1_attachments, shape.v1_export
    TO shape_reader;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $down$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shape_reader') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA shape FROM shape_reader;
        REVOKE ALL ON ALL FUNCTIONS IN SCHEMA shape FROM shape_reader;
        REVOKE ALL ON SCHEMA shape FROM shape_reader;
        BEGIN
            -- whatever else this database granted it (needs membership in the role)
            DROP OWNED BY shape_reader;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;
        END;
    END IF;
END
$down$;
DROP VIEW IF EXISTS shape.v1_export, shape.v1_attachments, shape.v1_read_receipts,
                    shape.v1_messages, shape.v1_conversations, shape.v1_users;
DROP FUNCTION IF EXISTS shape.view_args();
-- The role is cluster-global: drop it only when no other database still grants it
-- anything.
DO $drop$
BEGIN
    DROP ROLE IF EXISTS shape_reader;
EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege OR object_in_use THEN
    RAISE NOTICE 'pgshape: role shape_reader kept: other databases still use it (%)', SQLERRM;
END
$drop$;
-- +goose StatementEnd
