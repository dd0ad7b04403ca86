-- Restaurant ordering: the agent's pause flag, voice transcripts and kept media, menu variants,
-- payment instructions, delivery (pin, fee, rider), payment-proof hashes, the store's ordering
-- settings and the agent's daily token count. One ALTER per column: SQLite adds one per
-- statement.
ALTER TABLE conversations ADD COLUMN agent_paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN transcript TEXT;
ALTER TABLE messages ADD COLUMN media_path TEXT;
-- JSON array of {"name", "price"} (Money), empty for a single price.
ALTER TABLE menu_items ADD COLUMN variants TEXT NOT NULL DEFAULT '[]';
ALTER TABLE menu_items ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE payment_methods ADD COLUMN instructions TEXT;
ALTER TABLE order_items ADD COLUMN variant TEXT;
-- JSON {"latitude", "longitude", "name", "address"}.
ALTER TABLE orders ADD COLUMN delivery_location TEXT;
ALTER TABLE orders ADD COLUMN delivery_fee_minor BIGINT NOT NULL DEFAULT 0;
-- JSON {"name", "phone"}.
ALTER TABLE orders ADD COLUMN rider TEXT;
-- Hex SHA-256 of the latest proof's bytes, and the earlier order that had the same bytes.
ALTER TABLE orders ADD COLUMN payment_proof_sha256 TEXT;
ALTER TABLE orders ADD COLUMN proof_reuse_of TEXT;
CREATE INDEX orders_proof_sha256 ON orders (payment_proof_sha256);
CREATE INDEX orders_conversation ON orders (conversation_id, created_at);
CREATE INDEX orders_payment_status ON orders (payment_status, created_at);
-- The lifecycle names of the ordering flow: cart -> placed -> confirmed -> ...
UPDATE orders SET status = 'cart' WHERE status = 'draft';
UPDATE orders SET status = 'confirmed' WHERE status = 'accepted';

-- The store's ordering settings: at most one row (the defaults until the owner sets them).
CREATE TABLE store_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    delivery_fee_minor BIGINT NOT NULL CHECK (delivery_fee_minor >= 0),
    min_order_minor BIGINT NOT NULL CHECK (min_order_minor >= 0),
    currency TEXT NOT NULL,
    voice_replies BOOLEAN NOT NULL,
    -- JSON {"name", "language"} of the template for riders outside the 24-hour window.
    rider_template TEXT,
    updated_at TIMESTAMP NOT NULL
);

-- Model tokens the agent spent per day (UTC date, YYYY-MM-DD), for the daily budget.
CREATE TABLE agent_usage (
    day TEXT PRIMARY KEY NOT NULL,
    tokens BIGINT NOT NULL
);
