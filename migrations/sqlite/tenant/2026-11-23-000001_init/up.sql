-- A store's own database. Same conventions as the central one.
CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    wa_id TEXT NOT NULL UNIQUE,
    phone TEXT,
    name TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    account_id TEXT NOT NULL,
    state TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '{}',
    last_inbound_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (customer_id, account_id)
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- Meta's message id; unique, the dedupe key of redelivered webhooks.
    wamid TEXT UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

CREATE TABLE menu_items (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    category TEXT,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency TEXT NOT NULL,
    available BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    details TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    conversation_id TEXT,
    account_id TEXT,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    -- Denormalised sum of the lines, in minor units, for listings and analytics.
    total_minor BIGINT NOT NULL,
    delivery_address TEXT,
    payment_status TEXT NOT NULL CHECK (payment_status IN ('unpaid', 'pending_verification', 'paid', 'rejected')),
    payment_method_id TEXT,
    payment_proof_path TEXT,
    payment_rejection_reason TEXT,
    conversation_state TEXT NOT NULL,
    conversation_context TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    menu_item_id TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
);
