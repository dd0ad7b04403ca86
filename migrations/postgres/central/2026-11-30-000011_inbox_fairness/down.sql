DROP INDEX webhook_inbox_open_fair;
ALTER TABLE webhook_inbox DROP COLUMN fair_at;
