-- Every exam is supervised (逢考必督): the internal quality supervisor's record of a batch's exam —
-- present on site, findings, and the sign-off that closes the record (modules/batches, supervision.go).
CREATE TABLE batch_supervision_records (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  batch_id      TEXT NOT NULL REFERENCES batches (id),
  supervisor_id TEXT NOT NULL REFERENCES users (id),
  present       BOOLEAN NOT NULL DEFAULT 0,
  findings      TEXT NOT NULL DEFAULT '',
  signed_off_at TIMESTAMP,
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, supervisor_id)
);
