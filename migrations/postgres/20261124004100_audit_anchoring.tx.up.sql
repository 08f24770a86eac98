-- Audit anchoring (modules/audit, docs/security.md "Audit anchoring"): signed checkpoints of each
-- institution's audit chain travel as reports (kind audit.checkpoint) to the regulators' report stores
-- and external systems, where whoever can rewrite this database can't rewrite them.

-- The checkpoints made of a tenant's chain: what the checkpointer signed last. Not evidence (it is the
-- tenant's own data); the copies in oversight_reports are.
CREATE TABLE audit_checkpoints (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  seq       bigint NOT NULL, -- the chain's entry count, the seq of its head entry
  head      text NOT NULL,
  signed_at timestamptz NOT NULL,
  kid       text NOT NULL,
  signature text NOT NULL,
  report_id uuid NOT NULL, -- the outbox event that carries it
  PRIMARY KEY (tenant_id, seq)
);
SELECT skillcert_tenant_rls('audit_checkpoints', false);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM skillcert_app;

-- Tenants that reported since their last checkpoint: a checkpoint is due (audit:checkpoint-reported).
-- report_seq is the outbox seq of the latest report; the checkpointer removes the mark only if it is
-- unchanged, so a report committed meanwhile keeps it.
CREATE TABLE audit_checkpoint_due (
  tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
  report_seq bigint NOT NULL
);
SELECT skillcert_tenant_rls('audit_checkpoint_due', false);

-- The mark is written by the outbox itself, in the reporting transaction, for every report but a
-- checkpoint: no reporting module has to remember it.
CREATE OR REPLACE FUNCTION skillcert_audit_checkpoint_due() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO audit_checkpoint_due (tenant_id, report_seq) VALUES (NEW.tenant_id, NEW.seq)
    ON CONFLICT (tenant_id) DO UPDATE SET report_seq = EXCLUDED.report_seq;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER report_outbox_checkpoint_due AFTER INSERT ON report_outbox
  FOR EACH ROW WHEN (NEW.kind <> 'audit.checkpoint') EXECUTE FUNCTION skillcert_audit_checkpoint_due();

-- Verification reads an institution's checkpoints across every regulator's report store.
CREATE INDEX oversight_reports_checkpoints_idx ON oversight_reports (institution_id, reported_at DESC)
  WHERE kind = 'audit.checkpoint';
