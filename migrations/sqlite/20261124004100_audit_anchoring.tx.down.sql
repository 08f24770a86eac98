DROP INDEX IF EXISTS oversight_reports_checkpoints_idx;
DROP TRIGGER IF EXISTS report_outbox_checkpoint_due;
DROP TABLE IF EXISTS audit_checkpoint_due;
DROP TABLE IF EXISTS audit_checkpoints;
