-- The webhook pipeline: the durable inbox, the outbox, per-number sender leases and the
-- account event history. Same portable conventions as the init migration.

-- Every event of every signed webhook batch, stored before Meta gets its 200.
CREATE TABLE webhook_inbox (
    id BIGSERIAL PRIMARY KEY,
    -- wamid for messages, wamid:status for statuses, field:entry:time:digest otherwise.
    dedupe_key TEXT NOT NULL,
    field TEXT NOT NULL,
    route_kind TEXT NOT NULL,
    route_id TEXT NOT NULL,
    -- Events with one key are processed one at a time in (event_at, id) order.
    ordering_key TEXT NOT NULL,
    event_at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead', 'unroutable')),
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    store_id TEXT,
    account_id TEXT,
    received_at TIMESTAMP NOT NULL,
    processed_at TIMESTAMP
);
-- Kept at least 7 days (Meta's retry horizon): a redelivery collapses here.
CREATE UNIQUE INDEX webhook_inbox_dedupe_key ON webhook_inbox (dedupe_key);
-- The claim: open rows by arrival, and each ordering key's head.
CREATE INDEX webhook_inbox_open ON webhook_inbox (id) WHERE state IN ('pending', 'leased');
CREATE INDEX webhook_inbox_open_order ON webhook_inbox (ordering_key, event_at, id)
    WHERE state IN ('pending', 'leased');
-- Operator listings of the rare problem rows.
CREATE INDEX webhook_inbox_problems ON webhook_inbox (state, id)
    WHERE state IN ('dead', 'unroutable');

-- Every message we send, saved before it is sent.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    store_id TEXT,
    account_id TEXT,
    -- The sending phone_number_id: the unit of rate limiting and of sender leases.
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    initiator TEXT NOT NULL CHECK (initiator IN ('customer', 'business')),
    window_ends_at TIMESTAMP,
    tenant_message_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    wamid TEXT,
    error_code TEXT,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (idempotency_key);
CREATE INDEX outbox_open ON outbox (sender, recipient, id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_business_sent ON outbox (sender, sent_at)
    WHERE initiator = 'business' AND state = 'sent';

-- Which process sends for a number right now (so its limit holds across processes).
CREATE TABLE sender_leases (
    sender TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);

-- What Meta told us about an account over time (quality, limits, status, alerts).
CREATE TABLE account_events (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT,
    store_id TEXT,
    waba_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX account_events_account ON account_events (account_id, occurred_at);
CREATE INDEX account_events_waba ON account_events (waba_id, occurred_at);
