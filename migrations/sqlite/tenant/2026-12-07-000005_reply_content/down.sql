ALTER TABLE messages DROP COLUMN outbound_content;
