CREATE TABLE report_outbox (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  region_code   TEXT NOT NULL,
  kind          TEXT NOT NULL,
  subject_type  TEXT NOT NULL,
  subject_id    TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    TIMESTAMP NOT NULL,
  dispatched_at TIMESTAMP
);
CREATE INDEX report_outbox_pending_idx ON report_outbox (tenant_id, seq) WHERE dispatched_at IS NULL;
