DROP TABLE whatsapp_accounts;
DROP TABLE stores;
DROP TABLE owners;
