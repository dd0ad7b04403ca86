-- Central database: owners, stores, WhatsApp accounts. Ids are UUID text, times are UTC
-- TIMESTAMP, JSON is TEXT: one portable schema.rs serves Postgres and SQLite.
CREATE TABLE owners (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    whatsapp_number TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE stores (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES owners (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('restaurant', 'shop')),
    currency TEXT NOT NULL DEFAULT 'PKR',
    timezone TEXT NOT NULL DEFAULT 'Asia/Karachi',
    ai_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    storefront_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    default_account_id TEXT,
    tenant_backend TEXT NOT NULL CHECK (tenant_backend IN ('sqlite', 'postgres')),
    tenant_server TEXT,
    tenant_database TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX stores_owner_id ON stores (owner_id);

CREATE TABLE whatsapp_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    store_id TEXT NOT NULL REFERENCES stores (id),
    phone_number TEXT NOT NULL,
    phone_number_id TEXT NOT NULL,
    waba_id TEXT NOT NULL,
    access_token TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'inactive', 'failed', 'reauth_required')),
    display_name TEXT,
    quality_rating TEXT NOT NULL DEFAULT 'UNKNOWN',
    messaging_limits TEXT NOT NULL DEFAULT '{}',
    verified_at TIMESTAMP,
    last_webhook_at TIMESTAMP,
    webhook_verification_token TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
-- One live account per Meta number across all stores: the webhook routing key.
CREATE UNIQUE INDEX whatsapp_accounts_live_phone_number_id
    ON whatsapp_accounts (phone_number_id) WHERE deleted_at IS NULL;
CREATE INDEX whatsapp_accounts_store_id ON whatsapp_accounts (store_id, created_at);
CREATE INDEX whatsapp_accounts_waba_id ON whatsapp_accounts (waba_id);
