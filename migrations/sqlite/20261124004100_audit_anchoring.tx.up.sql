-- Audit anchoring (modules/audit): see the PostgreSQL twin.
CREATE TABLE audit_checkpoints (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  seq       INTEGER NOT NULL,
  head      TEXT NOT NULL,
  signed_at TIMESTAMP NOT NULL,
  kid       TEXT NOT NULL,
  signature TEXT NOT NULL,
  report_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE audit_checkpoint_due (
  tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
  report_seq INTEGER NOT NULL
);

CREATE TRIGGER report_outbox_checkpoint_due AFTER INSERT ON report_outbox
WHEN NEW.kind <> 'audit.checkpoint'
BEGIN
  INSERT INTO audit_checkpoint_due (tenant_id, report_seq) VALUES (NEW.tenant_id, NEW.seq)
    ON CONFLICT (tenant_id) DO UPDATE SET report_seq = excluded.report_seq;
END;

CREATE INDEX oversight_reports_checkpoints_idx ON oversight_reports (institution_id, reported_at DESC)
  WHERE kind = 'audit.checkpoint';
