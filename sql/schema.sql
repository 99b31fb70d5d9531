-- pgshape reference schema: the chat product that the demo builds, the tests use and
-- `loader generate` loads. Plain SQL a DBA can read and run with psql.
--
-- Names are unqualified on purpose: whoever runs this file chooses the schema with
-- search_path (the target migration uses public; the generator builds a staging copy
-- in a private schema and swaps it in). The file has two parts. Part 1 creates the
-- tables with their columns only. Part 2, after the marker line, adds the keys,
-- foreign keys and indexes: the generator runs it after the bulk load, because
-- building a b-tree once over sorted data is far cheaper than maintaining it row by
-- row, and checking a foreign key once in bulk is cheaper than per row.

CREATE TABLE users (
    id          bigint      NOT NULL,
    username    text        NOT NULL,
    email       text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE conversations (
    id          bigint      NOT NULL,
    kind        text        NOT NULL,   -- 'direct' | 'group' | 'channel'
    title       text,
    created_at  timestamptz NOT NULL
);

CREATE TABLE conversation_members (
    conversation_id bigint      NOT NULL,
    user_id         bigint      NOT NULL,
    joined_at       timestamptz NOT NULL
);

CREATE TABLE messages (
    id              bigint      NOT NULL,
    conversation_id bigint      NOT NULL,
    sender_id       bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    media_kind      text,                -- NULL for plain text; else 'image' | 'video' | 'audio' | 'document' | 'other'
    content         text                 -- NULL for media messages without a caption
);

CREATE TABLE read_receipts (
    message_id  bigint      NOT NULL,
    reader_id   bigint      NOT NULL,
    read_at     timestamptz NOT NULL
);

CREATE TABLE attachments (
    id          bigint      NOT NULL,
    message_id  bigint      NOT NULL,
    type        text        NOT NULL,    -- 'image' | 'video' | 'audio' | 'document' | 'other'
    size_bytes  bigint      NOT NULL
);

-- pgshape:post-load -- keys, foreign keys and indexes (the generator runs this part after the load)

ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE users ADD CONSTRAINT users_username_key UNIQUE (username);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);

ALTER TABLE conversations ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);
ALTER TABLE conversations ADD CONSTRAINT conversations_kind_check
    CHECK (kind IN ('direct', 'group', 'channel'));

ALTER TABLE conversation_members ADD CONSTRAINT conversation_members_pkey
    PRIMARY KEY (conversation_id, user_id);
ALTER TABLE conversation_members ADD CONSTRAINT conversation_members_conversation_id_fkey
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE conversation_members ADD CONSTRAINT conversation_members_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX conversation_members_user_id_idx ON conversation_members (user_id);

ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id);
ALTER TABLE messages ADD CONSTRAINT messages_conversation_id_fkey
    FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_sender_id_fkey
    FOREIGN KEY (sender_id) REFERENCES users (id);
ALTER TABLE messages ADD CONSTRAINT messages_media_kind_check
    CHECK (media_kind IN ('image', 'video', 'audio', 'document', 'other'));
CREATE INDEX messages_conversation_id_created_at_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_created_at_idx ON messages (created_at);

ALTER TABLE read_receipts ADD CONSTRAINT read_receipts_pkey PRIMARY KEY (message_id, reader_id);
ALTER TABLE read_receipts ADD CONSTRAINT read_receipts_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE read_receipts ADD CONSTRAINT read_receipts_reader_id_fkey
    FOREIGN KEY (reader_id) REFERENCES users (id);

ALTER TABLE attachments ADD CONSTRAINT attachments_pkey PRIMARY KEY (id);
ALTER TABLE attachments ADD CONSTRAINT attachments_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE attachments ADD CONSTRAINT attachments_type_check
    CHECK (type IN ('image', 'video', 'audio', 'document', 'other'));
CREATE INDEX attachments_message_id_idx ON attachments (message_id);
