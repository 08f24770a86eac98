-- Oversight, part 2: the regulator's own supervision records (modules/oversight): reconciliation
-- differences, cross-institution flags, inspections and findings, double-random draws, complaints and
-- decisions. All live in the regulator's tenant, except the institution's copy of a decision.

-- Daily reconciliation: one row per regulator, institution and day whose holdings differ from reports.
CREATE TABLE oversight_reconciliation_diffs (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  id             TEXT NOT NULL,
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  day            TIMESTAMP NOT NULL,
  held_count     INTEGER NOT NULL,
  reported_count INTEGER NOT NULL,
  held_hash      TEXT NOT NULL,
  reported_hash  TEXT NOT NULL,
  details        TEXT NOT NULL,
  first_seen_at  TIMESTAMP NOT NULL,
  last_seen_at   TIMESTAMP NOT NULL,
  resolved_at    TIMESTAMP,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX oversight_reconciliation_open_idx ON oversight_reconciliation_diffs (tenant_id, institution_id, day) WHERE resolved_at IS NULL;
CREATE INDEX oversight_reconciliation_seen_idx ON oversight_reconciliation_diffs (tenant_id, first_seen_at, id);

CREATE TABLE oversight_reconciliation_runs (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id),
  id           TEXT NOT NULL,
  started_at   TIMESTAMP NOT NULL,
  finished_at  TIMESTAMP NOT NULL,
  institutions INTEGER NOT NULL,
  days         INTEGER NOT NULL,
  differences  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_reconciliation_runs_idx ON oversight_reconciliation_runs (tenant_id, started_at);

-- Cross-institution findings (一人多证, 重复考证) as one regulator sees them: only its institutions'
-- certificates are listed; others are counted.
CREATE TABLE oversight_flags (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  id              TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('multiple_certificates', 'repeat_testing')),
  fingerprint     TEXT NOT NULL,
  person_ref      TEXT NOT NULL,
  occupation_code TEXT NOT NULL,
  level           INTEGER NOT NULL,
  items           TEXT NOT NULL,
  outside_count   INTEGER NOT NULL DEFAULT 0,
  first_seen_at   TIMESTAMP NOT NULL,
  last_seen_at    TIMESTAMP NOT NULL,
  resolved_at     TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, fingerprint)
);
CREATE INDEX oversight_flags_seen_idx ON oversight_flags (tenant_id, first_seen_at, id);

-- Double-random draws (双随机): the seed, the populations drawn from and the result, public by id.
CREATE TABLE oversight_samplings (
  tenant_id              TEXT NOT NULL REFERENCES tenants (id),
  id                     TEXT NOT NULL UNIQUE,
  seed                   TEXT NOT NULL,
  algorithm              TEXT NOT NULL,
  institutions_requested INTEGER NOT NULL,
  inspectors_requested   INTEGER NOT NULL,
  institution_population TEXT NOT NULL,
  inspector_population   TEXT NOT NULL,
  result                 TEXT NOT NULL,
  created_by             TEXT,
  created_at             TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_samplings_created_idx ON oversight_samplings (tenant_id, created_at, id);

CREATE TABLE oversight_inspections (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  id             TEXT NOT NULL UNIQUE,
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  kind           TEXT NOT NULL CHECK (kind IN ('routine', 'special', 'annual')),
  status         TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'closed')),
  title          TEXT NOT NULL,
  scheduled_on   TIMESTAMP,
  inspector_ids  TEXT NOT NULL DEFAULT '[]',
  conclusion     TEXT NOT NULL DEFAULT '',
  sampling_id    TEXT,
  created_by     TEXT,
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  closed_at      TIMESTAMP,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_inspections_created_idx ON oversight_inspections (tenant_id, created_at, id);
CREATE INDEX oversight_inspections_institution_idx ON oversight_inspections (tenant_id, institution_id);
CREATE INDEX oversight_inspections_sampling_idx ON oversight_inspections (sampling_id) WHERE sampling_id IS NOT NULL;

CREATE TABLE oversight_findings (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  id            TEXT NOT NULL,
  inspection_id TEXT NOT NULL REFERENCES oversight_inspections (id) ON DELETE CASCADE,
  severity      TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
  description   TEXT NOT NULL,
  requirement   TEXT NOT NULL DEFAULT '',
  deadline      TIMESTAMP,
  resolved_at   TIMESTAMP,
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_findings_inspection_idx ON oversight_findings (tenant_id, inspection_id, created_at);

-- Public complaints, one copy per regulator whose jurisdiction covers the institution (ref is shared).
CREATE TABLE oversight_complaints (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  id             TEXT NOT NULL,
  ref            TEXT NOT NULL,
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  content        TEXT NOT NULL,
  contact        TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL CHECK (status IN ('received', 'investigating', 'closed')),
  note           TEXT NOT NULL DEFAULT '',
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, ref)
);
CREATE INDEX oversight_complaints_created_idx ON oversight_complaints (tenant_id, created_at, id);
CREATE INDEX oversight_complaints_institution_idx ON oversight_complaints (tenant_id, institution_id, created_at);

-- Decisions: the regulator's own record ...
CREATE TABLE oversight_decisions (
  tenant_id          TEXT NOT NULL REFERENCES tenants (id),
  id                 TEXT NOT NULL UNIQUE,
  institution_id     TEXT NOT NULL REFERENCES tenants (id),
  kind               TEXT NOT NULL CHECK (kind IN ('suspend', 'reinstate', 'invalidate_certificate', 'rectify')),
  certificate_number TEXT NOT NULL DEFAULT '',
  facts              TEXT NOT NULL DEFAULT '',
  reason             TEXT NOT NULL,
  deadline           TIMESTAMP,
  review_outcome     TEXT NOT NULL DEFAULT '' CHECK (review_outcome IN ('', 'upheld', 'withdrawn')),
  review_note        TEXT NOT NULL DEFAULT '',
  reviewed_at        TIMESTAMP,
  decided_by         TEXT,
  decided_by_name    TEXT NOT NULL DEFAULT '',
  decided_at         TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX oversight_decisions_decided_idx ON oversight_decisions (tenant_id, decided_at, id);
CREATE INDEX oversight_decisions_institution_idx ON oversight_decisions (tenant_id, institution_id, decided_at);

-- ... and the institution's copy: what it is told, its statement (陈述申辩) and review request (复核).
-- Regulators read it in oversight to see the institution's answer.
CREATE TABLE institution_decisions (
  tenant_id           TEXT NOT NULL REFERENCES tenants (id),
  id                  TEXT NOT NULL UNIQUE,
  regulator_id        TEXT NOT NULL REFERENCES tenants (id),
  regulator_name      TEXT NOT NULL,
  kind                TEXT NOT NULL,
  certificate_number  TEXT NOT NULL DEFAULT '',
  facts               TEXT NOT NULL DEFAULT '',
  reason              TEXT NOT NULL,
  deadline            TIMESTAMP,
  decided_at          TIMESTAMP NOT NULL,
  statement           TEXT NOT NULL DEFAULT '',
  statement_at        TIMESTAMP,
  review_reason       TEXT NOT NULL DEFAULT '',
  review_requested_at TIMESTAMP,
  review_outcome      TEXT NOT NULL DEFAULT '',
  review_note         TEXT NOT NULL DEFAULT '',
  reviewed_at         TIMESTAMP,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX institution_decisions_decided_idx ON institution_decisions (tenant_id, decided_at, id);
