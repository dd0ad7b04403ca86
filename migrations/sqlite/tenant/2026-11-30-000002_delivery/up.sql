-- Delivery tracking. Outbound messages get their status (never moving backwards), the error
-- that failed them, the outbox key that makes a reply decided twice stored once, and the
-- inbound message they answer; inbound messages get the time their handling finished.
-- One ALTER per column: SQLite adds one column per statement.
ALTER TABLE messages ADD COLUMN status TEXT;
ALTER TABLE messages ADD COLUMN status_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN error TEXT;
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
ALTER TABLE messages ADD COLUMN in_reply_to TEXT;
ALTER TABLE messages ADD COLUMN handled_at TIMESTAMP;
-- Unique, but NULL (inbound messages, messages sent before this migration) may repeat: both
-- engines treat NULLs as distinct in a unique index.
CREATE UNIQUE INDEX messages_idempotency_key ON messages (idempotency_key);
CREATE INDEX messages_in_reply_to ON messages (in_reply_to);

-- Every delivery status Meta reported, by wamid, also when it overtook our own record of the
-- send: applied to the message once its wamid is recorded.
CREATE TABLE message_statuses (
    wamid TEXT NOT NULL,
    status TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    error TEXT,
    PRIMARY KEY (wamid, status)
);

-- The store's auto-reply text: at most one row.
CREATE TABLE auto_reply (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    reply TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
