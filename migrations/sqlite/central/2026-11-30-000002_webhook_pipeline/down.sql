DROP TABLE account_events;
DROP TABLE sender_leases;
DROP TABLE outbox;
DROP TABLE webhook_inbox;
