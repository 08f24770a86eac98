DROP TABLE IF EXISTS report_outbox;
