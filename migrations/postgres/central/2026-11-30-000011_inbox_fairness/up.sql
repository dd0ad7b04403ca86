-- Start-time fair queuing: workers claim open events in `fair_at` order, which the ingest
-- stamps per route (business number or WABA) so one number's flood cannot queue ahead of
-- every other number's new events. Existing rows keep their arrival order.
ALTER TABLE webhook_inbox ADD COLUMN fair_at TIMESTAMP;
UPDATE webhook_inbox SET fair_at = received_at;
CREATE INDEX webhook_inbox_open_fair ON webhook_inbox (fair_at, id) WHERE state IN ('pending', 'leased');
