-- Oversight, part 1: what institutions report reaches their regulators (modules/oversight).
--
-- The dispatcher reads report_outbox in order per institution and, in one transaction, appends a copy of
-- each event to the report store of every regulator whose jurisdiction covers the institution, queues it
-- for the regulator's external system, updates the report-fed facts (certificate statistics, the keyed
-- person index, batch facts) and marks the outbox row dispatched.

-- A regulator's report store: immutable copies as received, one hash chain per regulator. The report id
-- is the outbox event id, unique per regulator, so a report is stored exactly once.
CREATE TABLE oversight_reports (
  tenant_id          TEXT NOT NULL REFERENCES tenants (id), -- the regulator
  seq                INTEGER NOT NULL,
  id                 TEXT NOT NULL,
  institution_id     TEXT NOT NULL REFERENCES tenants (id),
  institution_region TEXT NOT NULL,
  kind               TEXT NOT NULL,
  subject_type       TEXT NOT NULL,
  subject_id         TEXT NOT NULL,
  payload            TEXT NOT NULL,
  reported_at        TIMESTAMP NOT NULL,
  received_at        TIMESTAMP NOT NULL,
  prev_hash          TEXT NOT NULL,
  hash               TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq),
  UNIQUE (tenant_id, id)
);
CREATE INDEX oversight_reports_received_idx ON oversight_reports (tenant_id, received_at, seq);
CREATE INDEX oversight_reports_institution_idx ON oversight_reports (tenant_id, institution_id, seq);


-- The head of each regulator's chain; its row lock serialises appends per regulator.
CREATE TABLE oversight_report_heads (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
  seq       INTEGER NOT NULL,
  hash      TEXT NOT NULL
);

-- A regulator's external system. The secret is sealed (AES-256-GCM) with a key derived from the platform
-- secret; it is never shown again after it was set.
CREATE TABLE oversight_sync_endpoints (
  tenant_id          TEXT PRIMARY KEY REFERENCES tenants (id),
  url                TEXT NOT NULL,
  secret_sealed      BLOB NOT NULL,
  paused             BOOLEAN NOT NULL DEFAULT false,
  delivered_total    INTEGER NOT NULL DEFAULT 0,
  failures_total     INTEGER NOT NULL DEFAULT 0,
  dead_letters_total INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT NOT NULL DEFAULT '',
  last_error_at      TIMESTAMP,
  last_success_at    TIMESTAMP,
  created_at         TIMESTAMP NOT NULL,
  updated_at         TIMESTAMP NOT NULL
);

-- One delivery stream per regulator and institution: reports of one institution go out strictly in
-- order, so the retry state (backoff, dead letter) is the state of the stream's head.
CREATE TABLE oversight_sync_streams (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  institution_id  TEXT NOT NULL REFERENCES tenants (id),
  state           TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'retrying', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  first_failed_at TIMESTAMP,
  last_error      TEXT NOT NULL DEFAULT '',
  lease_until     TIMESTAMP,
  PRIMARY KEY (tenant_id, institution_id)
);
CREATE INDEX oversight_sync_streams_due_idx ON oversight_sync_streams (tenant_id, next_attempt_at) WHERE state <> 'dead';

-- What is still to be sent (delivered_at NULL) and what was, per regulator and report.
CREATE TABLE oversight_sync_deliveries (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  report_id      TEXT NOT NULL,
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  seq            INTEGER NOT NULL, -- the report's place in the regulator's store
  delivered_at   TIMESTAMP,
  dead_at        TIMESTAMP,
  PRIMARY KEY (tenant_id, report_id)
);
CREATE INDEX oversight_sync_pending_idx ON oversight_sync_deliveries (tenant_id, institution_id, seq) WHERE delivered_at IS NULL;

-- The certificates as reported, per regulator (last reported status of each number): reconciliation
-- compares them with what institutions hold.
CREATE TABLE oversight_reported_certs (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  number         TEXT NOT NULL,
  status         TEXT NOT NULL,
  issued_on      TIMESTAMP NOT NULL,
  report_seq     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, institution_id, number)
);
CREATE INDEX oversight_reported_certs_day_idx ON oversight_reported_certs (tenant_id, institution_id, issued_on);

-- Report-fed facts in the institution's tenant, readable by regulators in oversight.
-- Certificates issued and revoked per occupation, level and month: the statistics summary, maintained
-- one report at a time (each outbox event is dispatched exactly once).
CREATE TABLE oversight_cert_stats (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  occupation_code TEXT NOT NULL,
  level           INTEGER NOT NULL,
  month           TIMESTAMP NOT NULL,
  issued          INTEGER NOT NULL DEFAULT 0,
  revoked         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, occupation_code, level, month)
);

-- Certificates by keyed person hash (HMAC-SHA256 of id type and number with a platform secret; the id
-- number itself is not kept): the cross-institution checks group on it.
CREATE TABLE oversight_person_certs (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  number          TEXT NOT NULL,
  person_key      TEXT NOT NULL,
  occupation_code TEXT NOT NULL,
  level           INTEGER NOT NULL,
  status          TEXT NOT NULL,
  issued_on       TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, number)
);
CREATE INDEX oversight_person_certs_person_idx ON oversight_person_certs (person_key, occupation_code, level);

-- Batches as reported: dates, candidates and passes, supervisors; the basis of pass rates, late results
-- and monitoring signals.
CREATE TABLE oversight_batch_facts (
  tenant_id            TEXT NOT NULL REFERENCES tenants (id),
  batch_id             TEXT NOT NULL,
  occupation_code      TEXT NOT NULL DEFAULT '',
  level                INTEGER NOT NULL DEFAULT 0,
  title                TEXT NOT NULL DEFAULT '',
  exam_end             TIMESTAMP,
  supervisors          INTEGER, -- NULL: not reported
  published_at         TIMESTAMP,
  results_published_at TIMESTAMP,
  results_due_on       TIMESTAMP,
  results_late         BOOLEAN NOT NULL DEFAULT false,
  candidates           INTEGER NOT NULL DEFAULT 0,
  passed               INTEGER NOT NULL DEFAULT 0,
  finalized_at         TIMESTAMP,
  PRIMARY KEY (tenant_id, batch_id)
);

-- Platform secrets of the module when SKILLCERT_MASTER_KEY is not set (dev mode): generated once.
CREATE TABLE oversight_secrets (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TRIGGER oversight_reports_no_update BEFORE UPDATE ON oversight_reports
BEGIN SELECT RAISE(ABORT, 'oversight_reports is append-only: UPDATE refused'); END;
CREATE TRIGGER oversight_reports_no_delete BEFORE DELETE ON oversight_reports
BEGIN SELECT RAISE(ABORT, 'oversight_reports is append-only: DELETE refused'); END;
