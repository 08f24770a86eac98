-- The outbox of reportable events, written in the transaction of the change (modules/reports).
CREATE TABLE report_outbox (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            uuid NOT NULL UNIQUE,
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  region_code   text NOT NULL,
  kind          text NOT NULL,
  subject_type  text NOT NULL,
  subject_id    text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  dispatched_at timestamptz
);
CREATE INDEX report_outbox_pending_idx ON report_outbox (tenant_id, seq) WHERE dispatched_at IS NULL;
SELECT skillcert_tenant_rls('report_outbox', false);
