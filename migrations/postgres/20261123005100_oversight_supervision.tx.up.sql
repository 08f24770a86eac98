-- Oversight, part 2: the regulator's own supervision records (modules/oversight): reconciliation
-- differences, cross-institution flags, inspections and findings, double-random draws, complaints and
-- decisions. All live in the regulator's tenant, except the institution's copy of a decision.

-- Daily reconciliation: one row per regulator, institution and day whose holdings differ from reports.
CREATE TABLE oversight_reconciliation_diffs (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL,
  institution_id uuid NOT NULL REFERENCES tenants (id),
  day            date NOT NULL,
  held_count     integer NOT NULL,
  reported_count integer NOT NULL,
  held_hash      text NOT NULL,
  reported_hash  text NOT NULL,
  details        jsonb NOT NULL,
  first_seen_at  timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  resolved_at    timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX oversight_reconciliation_open_idx ON oversight_reconciliation_diffs (tenant_id, institution_id, day) WHERE resolved_at IS NULL;
CREATE INDEX oversight_reconciliation_seen_idx ON oversight_reconciliation_diffs (tenant_id, first_seen_at, id);
SELECT skillcert_tenant_rls('oversight_reconciliation_diffs', false);

CREATE TABLE oversight_reconciliation_runs (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           uuid NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  institutions integer NOT NULL,
  days         integer NOT NULL,
  differences  integer NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_reconciliation_runs_idx ON oversight_reconciliation_runs (tenant_id, started_at);
SELECT skillcert_tenant_rls('oversight_reconciliation_runs', false);

-- Cross-institution findings (一人多证, 重复考证) as one regulator sees them: only its institutions'
-- certificates are listed; others are counted.
CREATE TABLE oversight_flags (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('multiple_certificates', 'repeat_testing')),
  fingerprint     text NOT NULL,
  person_ref      text NOT NULL,
  occupation_code text NOT NULL,
  level           integer NOT NULL,
  items           jsonb NOT NULL,
  outside_count   integer NOT NULL DEFAULT 0,
  first_seen_at   timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL,
  resolved_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, fingerprint)
);
CREATE INDEX oversight_flags_seen_idx ON oversight_flags (tenant_id, first_seen_at, id);
SELECT skillcert_tenant_rls('oversight_flags', false);

-- Double-random draws (双随机): the seed, the populations drawn from and the result, public by id.
CREATE TABLE oversight_samplings (
  tenant_id              uuid NOT NULL REFERENCES tenants (id),
  id                     uuid NOT NULL UNIQUE,
  seed                   text NOT NULL,
  algorithm              text NOT NULL,
  institutions_requested integer NOT NULL,
  inspectors_requested   integer NOT NULL,
  institution_population jsonb NOT NULL,
  inspector_population   jsonb NOT NULL,
  result                 jsonb NOT NULL,
  created_by             uuid,
  created_at             timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_samplings_created_idx ON oversight_samplings (tenant_id, created_at, id);
SELECT skillcert_tenant_rls('oversight_samplings', false);

CREATE TABLE oversight_inspections (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL UNIQUE,
  institution_id uuid NOT NULL REFERENCES tenants (id),
  kind           text NOT NULL CHECK (kind IN ('routine', 'special', 'annual')),
  status         text NOT NULL CHECK (status IN ('planned', 'in_progress', 'closed')),
  title          text NOT NULL,
  scheduled_on   date,
  inspector_ids  jsonb NOT NULL DEFAULT '[]',
  conclusion     text NOT NULL DEFAULT '',
  sampling_id    uuid,
  created_by     uuid,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  closed_at      timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_inspections_created_idx ON oversight_inspections (tenant_id, created_at, id);
CREATE INDEX oversight_inspections_institution_idx ON oversight_inspections (tenant_id, institution_id);
CREATE INDEX oversight_inspections_sampling_idx ON oversight_inspections (sampling_id) WHERE sampling_id IS NOT NULL;
SELECT skillcert_tenant_rls('oversight_inspections', false);

CREATE TABLE oversight_findings (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  id            uuid NOT NULL,
  inspection_id uuid NOT NULL REFERENCES oversight_inspections (id) ON DELETE CASCADE,
  severity      text NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
  description   text NOT NULL,
  requirement   text NOT NULL DEFAULT '',
  deadline      date,
  resolved_at   timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_findings_inspection_idx ON oversight_findings (tenant_id, inspection_id, created_at);
SELECT skillcert_tenant_rls('oversight_findings', false);

-- Public complaints, one copy per regulator whose jurisdiction covers the institution (ref is shared).
CREATE TABLE oversight_complaints (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL,
  ref            uuid NOT NULL,
  institution_id uuid NOT NULL REFERENCES tenants (id),
  content        text NOT NULL,
  contact        text NOT NULL DEFAULT '',
  status         text NOT NULL CHECK (status IN ('received', 'investigating', 'closed')),
  note           text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, ref)
);
CREATE INDEX oversight_complaints_created_idx ON oversight_complaints (tenant_id, created_at, id);
CREATE INDEX oversight_complaints_institution_idx ON oversight_complaints (tenant_id, institution_id, created_at);
SELECT skillcert_tenant_rls('oversight_complaints', false);

-- Decisions: the regulator's own record ...
CREATE TABLE oversight_decisions (
  tenant_id          uuid NOT NULL REFERENCES tenants (id),
  id                 uuid NOT NULL UNIQUE,
  institution_id     uuid NOT NULL REFERENCES tenants (id),
  kind               text NOT NULL CHECK (kind IN ('suspend', 'reinstate', 'invalidate_certificate', 'rectify')),
  certificate_number text NOT NULL DEFAULT '',
  facts              text NOT NULL DEFAULT '',
  reason             text NOT NULL,
  deadline           date,
  review_outcome     text NOT NULL DEFAULT '' CHECK (review_outcome IN ('', 'upheld', 'withdrawn')),
  review_note        text NOT NULL DEFAULT '',
  reviewed_at        timestamptz,
  decided_by         uuid,
  decided_by_name    text NOT NULL DEFAULT '',
  decided_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_decisions_decided_idx ON oversight_decisions (tenant_id, decided_at, id);
CREATE INDEX oversight_decisions_institution_idx ON oversight_decisions (tenant_id, institution_id, decided_at);
SELECT skillcert_tenant_rls('oversight_decisions', false);

-- ... and the institution's copy: what it is told, its statement (陈述申辩) and review request (复核).
-- Regulators read it in oversight to see the institution's answer.
CREATE TABLE institution_decisions (
  tenant_id           uuid NOT NULL REFERENCES tenants (id),
  id                  uuid NOT NULL UNIQUE,
  regulator_id        uuid NOT NULL REFERENCES tenants (id),
  regulator_name      text NOT NULL,
  kind                text NOT NULL,
  certificate_number  text NOT NULL DEFAULT '',
  facts               text NOT NULL DEFAULT '',
  reason              text NOT NULL,
  deadline            date,
  decided_at          timestamptz NOT NULL,
  statement           text NOT NULL DEFAULT '',
  statement_at        timestamptz,
  review_reason       text NOT NULL DEFAULT '',
  review_requested_at timestamptz,
  review_outcome      text NOT NULL DEFAULT '',
  review_note         text NOT NULL DEFAULT '',
  reviewed_at         timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX institution_decisions_decided_idx ON institution_decisions (tenant_id, decided_at, id);
SELECT skillcert_tenant_rls('institution_decisions', true);
