-- Owner API: login sessions (opaque bearer tokens, stored only as SHA-256), OAuth state
-- (single-use nonces bound to an owner and a store), and the seed's single-number columns on
-- stores, read once by `omniportal migrate-legacy`.
CREATE TABLE owner_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES owners (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX owner_sessions_owner_id ON owner_sessions (owner_id);

CREATE TABLE oauth_states (
    nonce_hash TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES owners (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);

ALTER TABLE stores ADD COLUMN whatsapp_business_number TEXT;
ALTER TABLE stores ADD COLUMN whatsapp_business_id TEXT;
