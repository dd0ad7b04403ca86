-- The exact content of a queued reply (JSON of OutboundContent: buttons, lists, media, templates),
-- kept beside its history message so a redelivered customer message queues the same reply again
-- instead of one rebuilt from the body. NULL for inbound messages, for replies saved before
-- this migration and for outbound messages queued elsewhere.
ALTER TABLE messages ADD COLUMN outbound_content TEXT;
