DROP TABLE job_runs;
DROP TABLE scheduled_jobs;
DROP TABLE message_templates;
DROP TABLE store_alert_settings;
DROP TABLE notifications;
