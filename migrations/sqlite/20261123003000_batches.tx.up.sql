-- SQLite twin of the PostgreSQL migration (no RLS: the stores' tenant conditions apply).
-- Batches (认定批次) and what happens inside them: applications with their eligibility decisions,
-- evaluator and supervisor assignments, recusals (回避), objections raised during publicity (公示), and
-- the passed applications a finalized batch hands to certificate issuance. Also the working-day
-- calendar publicity and result deadlines are counted on.

CREATE TABLE batches (
  id                   TEXT PRIMARY KEY,
  tenant_id            TEXT NOT NULL REFERENCES tenants (id),
  occupation_code      TEXT NOT NULL,
  occupation_name      TEXT NOT NULL,
  subtype              TEXT NOT NULL DEFAULT '--',
  level                INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  title                TEXT NOT NULL,
  methods              TEXT NOT NULL,
  pass_marks           TEXT NOT NULL,
  exam_start           TIMESTAMP NOT NULL,
  exam_end             TIMESTAMP,
  application_deadline TIMESTAMP NOT NULL,
  venue                TEXT NOT NULL,
  fee_fen              INTEGER NOT NULL CHECK (fee_fen >= 0),
  capacity             INTEGER NOT NULL CHECK (capacity > 0),
  publicity_days       INTEGER NOT NULL CHECK (publicity_days >= 0),
  min_evaluators       INTEGER NOT NULL DEFAULT 1 CHECK (min_evaluators >= 1),
  rule_set             TEXT NOT NULL,
  filing_id            TEXT,
  status               TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'publicity', 'finalized', 'cancelled')),
  results_late         BOOLEAN NOT NULL DEFAULT 0,
  cancel_reason        TEXT NOT NULL DEFAULT '',
  published_at         TIMESTAMP,
  closed_at            TIMESTAMP,
  results_published_at TIMESTAMP,
  publicity_ends_at    TIMESTAMP,
  finalized_at         TIMESTAMP,
  cancelled_at         TIMESTAMP,
  created_by           TEXT,
  created_at           TIMESTAMP NOT NULL,
  updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX batches_tenant_created_idx ON batches (tenant_id, created_at, id);
CREATE INDEX batches_tenant_exam_idx ON batches (tenant_id, exam_start, id);
CREATE INDEX batches_tenant_status_idx ON batches (tenant_id, status, exam_start, id);
-- The daily late-results scan looks across tenants at batches still waiting for results.
CREATE INDEX batches_awaiting_results_idx ON batches (exam_start) WHERE status IN ('open', 'closed') AND results_late = 0;

CREATE TABLE applications (
  id                 TEXT PRIMARY KEY,
  tenant_id          TEXT NOT NULL REFERENCES tenants (id),
  batch_id           TEXT NOT NULL REFERENCES batches (id),
  -- candidates are another module's table; the id is kept without a foreign key so that the modules
  -- migrate independently. Name and identity are a snapshot, refreshed while the batch is running.
  candidate_id       TEXT NOT NULL,
  candidate_user_id  TEXT,
  candidate_name     TEXT NOT NULL,
  id_type            TEXT NOT NULL,
  id_number          TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('eligible', 'ineligible', 'pending_review', 'approved', 'rejected')),
  route              TEXT NOT NULL DEFAULT 'normal',
  evidence_file_ids  TEXT NOT NULL DEFAULT '[]',
  eligibility_passed BOOLEAN NOT NULL,
  eligibility_rule   TEXT NOT NULL,
  eligibility        TEXT NOT NULL,
  theory_exempt      BOOLEAN NOT NULL DEFAULT 0,
  fee_fen            INTEGER NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
  paid_at            TIMESTAMP,
  paid_by            TEXT,
  review_decision    TEXT NOT NULL DEFAULT '',
  review_reason      TEXT NOT NULL DEFAULT '',
  reviewed_by        TEXT,
  reviewed_at        TIMESTAMP,
  scores             TEXT NOT NULL DEFAULT '{}',
  result             TEXT NOT NULL DEFAULT '' CHECK (result IN ('', 'pass', 'fail')),
  held               BOOLEAN NOT NULL DEFAULT 0,
  created_by         TEXT,
  created_at         TIMESTAMP NOT NULL,
  updated_at         TIMESTAMP NOT NULL,
  UNIQUE (tenant_id, batch_id, candidate_id)
);
-- Keyset pages of a batch's applications: tenant first, then batch, then the sort key.
CREATE INDEX applications_batch_page_idx ON applications (tenant_id, batch_id, created_at, id);
CREATE INDEX applications_candidate_idx ON applications (tenant_id, candidate_id, created_at, id);

CREATE TABLE batch_evaluators (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  batch_id    TEXT NOT NULL REFERENCES batches (id),
  user_id     TEXT NOT NULL REFERENCES users (id),
  method      TEXT NOT NULL,
  assigned_by TEXT,
  assigned_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, user_id, method)
);

CREATE TABLE batch_supervisors (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  batch_id    TEXT NOT NULL REFERENCES batches (id),
  user_id     TEXT NOT NULL REFERENCES users (id),
  assigned_by TEXT,
  assigned_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, user_id)
);

CREATE TABLE batch_recusals (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants (id),
  batch_id     TEXT NOT NULL REFERENCES batches (id),
  evaluator_id TEXT NOT NULL REFERENCES users (id),
  candidate_id TEXT NOT NULL,
  relation     TEXT NOT NULL,
  declared_by  TEXT,
  created_at   TIMESTAMP NOT NULL,
  UNIQUE (tenant_id, batch_id, evaluator_id, candidate_id)
);

CREATE TABLE objections (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  batch_id       TEXT NOT NULL REFERENCES batches (id),
  application_id TEXT NOT NULL REFERENCES applications (id),
  reason         TEXT NOT NULL,
  contact        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
  note           TEXT NOT NULL DEFAULT '',
  created_at     TIMESTAMP NOT NULL,
  resolved_at    TIMESTAMP,
  resolved_by    TEXT
);
CREATE INDEX objections_batch_idx ON objections (tenant_id, batch_id, created_at, id);
CREATE INDEX objections_application_idx ON objections (tenant_id, application_id) WHERE status = 'open';

-- One row per passed, unheld application of a finalized batch, written in finalize's transaction: the
-- event certificate issuance consumes.
CREATE TABLE batch_passes (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  application_id  TEXT NOT NULL REFERENCES applications (id),
  batch_id        TEXT NOT NULL REFERENCES batches (id),
  candidate_id    TEXT NOT NULL,
  holder_name     TEXT NOT NULL,
  id_type         TEXT NOT NULL,
  id_number       TEXT NOT NULL,
  occupation_code TEXT NOT NULL,
  occupation_name TEXT NOT NULL,
  subtype         TEXT NOT NULL,
  level           INTEGER NOT NULL,
  finalized_at    TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, application_id)
);
CREATE INDEX batch_passes_batch_idx ON batch_passes (tenant_id, batch_id, application_id);

-- The working-day calendar (public holidays and the weekend days worked in exchange), loaded by the
-- platform administrator per year. Reference data: no tenant.
CREATE TABLE calendar_days (
  day  TEXT PRIMARY KEY CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  year INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);
