-- SQLite >= 3.35 drops columns.
ALTER TABLE stores DROP COLUMN whatsapp_business_id;
ALTER TABLE stores DROP COLUMN whatsapp_business_number;
DROP TABLE oauth_states;
DROP TABLE owner_sessions;
