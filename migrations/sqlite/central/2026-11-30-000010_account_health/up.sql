-- Account health (issue 7): owner notifications, a per-store alert setting, message templates
-- per WABA, and the scheduled jobs every process shares. Portable types only (TEXT ids and
-- JSON, UTC TIMESTAMP, BIGINT), like the other central migrations.

-- What the owner should know: quality or limit drops, a token about to expire, ...
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    store_id TEXT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    account_id TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_store ON notifications (store_id, created_at);

-- Where a store's alerts also go on WhatsApp (the owner's own number, E.164).
CREATE TABLE store_alert_settings (
    store_id TEXT PRIMARY KEY NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    owner_whatsapp TEXT,
    updated_at TIMESTAMP NOT NULL
);

-- A WABA's message templates as last seen at Meta (sync, create, status webhooks).
CREATE TABLE message_templates (
    id TEXT PRIMARY KEY NOT NULL,
    waba_id TEXT NOT NULL,
    meta_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    components TEXT NOT NULL,
    parameter_format TEXT,
    rejected_reason TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX message_templates_key ON message_templates (waba_id, name, language);

-- Recurring jobs: one row per job, claimed with a lease (SKIP LOCKED on Postgres), so with
-- several processes each run happens once.
CREATE TABLE scheduled_jobs (
    name TEXT PRIMARY KEY NOT NULL,
    due_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_result TEXT,
    runs BIGINT NOT NULL DEFAULT 0
);

-- Every run of a job: who ran it, when, and how it went.
CREATE TABLE job_runs (
    id TEXT PRIMARY KEY NOT NULL,
    job TEXT NOT NULL,
    owner TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);
