-- Every exam is supervised (逢考必督): the internal quality supervisor's record of a batch's exam —
-- present on site, findings, and the sign-off that closes the record (modules/batches, supervision.go).
-- One record per batch and supervisor assigned to it.
CREATE TABLE batch_supervision_records (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  batch_id      uuid NOT NULL REFERENCES batches (id),
  supervisor_id uuid NOT NULL REFERENCES users (id),
  present       boolean NOT NULL DEFAULT false,
  findings      text NOT NULL DEFAULT '',
  signed_off_at timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, supervisor_id)
);
SELECT skillcert_tenant_rls('batch_supervision_records', true);
