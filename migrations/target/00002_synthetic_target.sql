-- The synthetic-target mark: schema pgshape and its one-row table synthetic_target.
-- `loader generate` refuses to write into a database without it, and records each
-- completed load in its row. Version 1 of the target set (the reference chat schema,
-- sql/schema.sql, in schema public) is a Go migration in migrations/migrate.go that runs
-- that very file; this file is version 2.
--
-- Never run this on production: the mark says "this database may be replaced".

-- +goose Up
CREATE SCHEMA pgshape;
COMMENT ON SCHEMA pgshape IS 'pgshape: this database is a synthetic target; loader generate may replace its chat tables';
CREATE TABLE pgshape.synthetic_target (
    marked_at     timestamptz NOT NULL DEFAULT now(),
    loaded_at     timestamptz,
    band          text,
    seed          text,
    spec_sha256   text,
    messages      bigint,
    window_end    timestamptz,
    window_days   integer,
    shard         text
);
INSERT INTO pgshape.synthetic_target DEFAULT VALUES;

-- +goose Down
DROP SCHEMA IF EXISTS pgshape CASCADE;
