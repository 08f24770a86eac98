-- Oversight, part 1: what institutions report reaches their regulators (modules/oversight).
--
-- The dispatcher reads report_outbox in order per institution and, in one transaction, appends a copy of
-- each event to the report store of every regulator whose jurisdiction covers the institution, queues it
-- for the regulator's external system, updates the report-fed facts (certificate statistics, the keyed
-- person index, batch facts) and marks the outbox row dispatched.

-- A regulator's report store: immutable copies as received, one hash chain per regulator. The report id
-- is the outbox event id, unique per regulator, so a report is stored exactly once.
CREATE TABLE oversight_reports (
  tenant_id          uuid NOT NULL REFERENCES tenants (id), -- the regulator
  seq                bigint NOT NULL,
  id                 uuid NOT NULL,
  institution_id     uuid NOT NULL REFERENCES tenants (id),
  institution_region text NOT NULL,
  kind               text NOT NULL,
  subject_type       text NOT NULL,
  subject_id         text NOT NULL,
  payload            jsonb NOT NULL,
  reported_at        timestamptz NOT NULL,
  received_at        timestamptz NOT NULL,
  prev_hash          text NOT NULL,
  hash               text NOT NULL,
  PRIMARY KEY (tenant_id, seq),
  UNIQUE (tenant_id, id)
);
CREATE INDEX oversight_reports_received_idx ON oversight_reports (tenant_id, received_at, seq);
CREATE INDEX oversight_reports_institution_idx ON oversight_reports (tenant_id, institution_id, seq);
SELECT skillcert_tenant_rls('oversight_reports', false);
REVOKE UPDATE, DELETE, TRUNCATE ON oversight_reports FROM skillcert_app;

CREATE OR REPLACE FUNCTION oversight_reports_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'oversight_reports is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER oversight_reports_append_only BEFORE UPDATE OR DELETE ON oversight_reports
  FOR EACH ROW EXECUTE FUNCTION oversight_reports_append_only();
CREATE TRIGGER oversight_reports_no_truncate BEFORE TRUNCATE ON oversight_reports
  FOR EACH STATEMENT EXECUTE FUNCTION oversight_reports_append_only();

-- The head of each regulator's chain; its row lock serialises appends per regulator.
CREATE TABLE oversight_report_heads (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
  seq       bigint NOT NULL,
  hash      text NOT NULL
);
SELECT skillcert_tenant_rls('oversight_report_heads', false);
REVOKE DELETE ON oversight_report_heads FROM skillcert_app;

-- A regulator's external system. The secret is sealed (AES-256-GCM) with a key derived from the platform
-- secret; it is never shown again after it was set.
CREATE TABLE oversight_sync_endpoints (
  tenant_id          uuid PRIMARY KEY REFERENCES tenants (id),
  url                text NOT NULL,
  secret_sealed      bytea NOT NULL,
  paused             boolean NOT NULL DEFAULT false,
  delivered_total    bigint NOT NULL DEFAULT 0,
  failures_total     bigint NOT NULL DEFAULT 0,
  dead_letters_total bigint NOT NULL DEFAULT 0,
  last_error         text NOT NULL DEFAULT '',
  last_error_at      timestamptz,
  last_success_at    timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
SELECT skillcert_tenant_rls('oversight_sync_endpoints', false);

-- One delivery stream per regulator and institution: reports of one institution go out strictly in
-- order, so the retry state (backoff, dead letter) is the state of the stream's head.
CREATE TABLE oversight_sync_streams (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  institution_id  uuid NOT NULL REFERENCES tenants (id),
  state           text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'retrying', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  first_failed_at timestamptz,
  last_error      text NOT NULL DEFAULT '',
  lease_until     timestamptz,
  PRIMARY KEY (tenant_id, institution_id)
);
CREATE INDEX oversight_sync_streams_due_idx ON oversight_sync_streams (tenant_id, next_attempt_at) WHERE state <> 'dead';
SELECT skillcert_tenant_rls('oversight_sync_streams', false);

-- What is still to be sent (delivered_at NULL) and what was, per regulator and report.
CREATE TABLE oversight_sync_deliveries (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  report_id      uuid NOT NULL,
  institution_id uuid NOT NULL REFERENCES tenants (id),
  seq            bigint NOT NULL, -- the report's place in the regulator's store
  delivered_at   timestamptz,
  dead_at        timestamptz,
  PRIMARY KEY (tenant_id, report_id)
);
CREATE INDEX oversight_sync_pending_idx ON oversight_sync_deliveries (tenant_id, institution_id, seq) WHERE delivered_at IS NULL;
SELECT skillcert_tenant_rls('oversight_sync_deliveries', false);

-- The certificates as reported, per regulator (last reported status of each number): reconciliation
-- compares them with what institutions hold.
CREATE TABLE oversight_reported_certs (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  institution_id uuid NOT NULL REFERENCES tenants (id),
  number         text NOT NULL,
  status         text NOT NULL,
  issued_on      date NOT NULL,
  report_seq     bigint NOT NULL,
  PRIMARY KEY (tenant_id, institution_id, number)
);
CREATE INDEX oversight_reported_certs_day_idx ON oversight_reported_certs (tenant_id, institution_id, issued_on);
SELECT skillcert_tenant_rls('oversight_reported_certs', false);

-- Report-fed facts in the institution's tenant, readable by regulators in oversight.
-- Certificates issued and revoked per occupation, level and month: the statistics summary, maintained
-- one report at a time (each outbox event is dispatched exactly once).
CREATE TABLE oversight_cert_stats (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  occupation_code text NOT NULL,
  level           integer NOT NULL,
  month           date NOT NULL,
  issued          bigint NOT NULL DEFAULT 0,
  revoked         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, occupation_code, level, month)
);
SELECT skillcert_tenant_rls('oversight_cert_stats', true);

-- Certificates by keyed person hash (HMAC-SHA256 of id type and number with a platform secret; the id
-- number itself is not kept): the cross-institution checks group on it.
CREATE TABLE oversight_person_certs (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  number          text NOT NULL,
  person_key      text NOT NULL,
  occupation_code text NOT NULL,
  level           integer NOT NULL,
  status          text NOT NULL,
  issued_on       date NOT NULL,
  PRIMARY KEY (tenant_id, number)
);
CREATE INDEX oversight_person_certs_person_idx ON oversight_person_certs (person_key, occupation_code, level);
SELECT skillcert_tenant_rls('oversight_person_certs', false);

-- Batches as reported: dates, candidates and passes, supervisors; the basis of pass rates, late results
-- and monitoring signals.
CREATE TABLE oversight_batch_facts (
  tenant_id            uuid NOT NULL REFERENCES tenants (id),
  batch_id             text NOT NULL,
  occupation_code      text NOT NULL DEFAULT '',
  level                integer NOT NULL DEFAULT 0,
  title                text NOT NULL DEFAULT '',
  exam_end             date,
  supervisors          integer, -- NULL: not reported
  published_at         timestamptz,
  results_published_at timestamptz,
  results_due_on       date,
  results_late         boolean NOT NULL DEFAULT false,
  candidates           integer NOT NULL DEFAULT 0,
  passed               integer NOT NULL DEFAULT 0,
  finalized_at         timestamptz,
  PRIMARY KEY (tenant_id, batch_id)
);
SELECT skillcert_tenant_rls('oversight_batch_facts', true);

-- Platform secrets of the module when SKILLCERT_MASTER_KEY is not set (dev mode): generated once.
CREATE TABLE oversight_secrets (
  name  text PRIMARY KEY,
  value bytea NOT NULL
);
GRANT SELECT, INSERT ON oversight_secrets TO skillcert_app;
