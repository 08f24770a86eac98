-- Batches (认定批次) and what happens inside them: applications with their eligibility decisions,
-- evaluator and supervisor assignments, recusals (回避), objections raised during publicity (公示), and
-- the passed applications a finalized batch hands to certificate issuance. Also the working-day
-- calendar publicity and result deadlines are counted on.

CREATE TABLE batches (
  id                   uuid PRIMARY KEY,
  tenant_id            uuid NOT NULL REFERENCES tenants (id),
  occupation_code      text NOT NULL,
  occupation_name      text NOT NULL,
  subtype              text NOT NULL DEFAULT '--',
  level                smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
  title                text NOT NULL,
  methods              jsonb NOT NULL,
  pass_marks           jsonb NOT NULL,
  exam_start           timestamptz NOT NULL,
  exam_end             timestamptz,
  application_deadline timestamptz NOT NULL,
  venue                text NOT NULL,
  fee_fen              bigint NOT NULL CHECK (fee_fen >= 0),
  capacity             integer NOT NULL CHECK (capacity > 0),
  publicity_days       integer NOT NULL CHECK (publicity_days >= 0),
  min_evaluators       integer NOT NULL DEFAULT 1 CHECK (min_evaluators >= 1),
  rule_set             text NOT NULL,
  filing_id            uuid,
  status               text NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'publicity', 'finalized', 'cancelled')),
  results_late         boolean NOT NULL DEFAULT false,
  cancel_reason        text NOT NULL DEFAULT '',
  published_at         timestamptz,
  closed_at            timestamptz,
  results_published_at timestamptz,
  publicity_ends_at    timestamptz,
  finalized_at         timestamptz,
  cancelled_at         timestamptz,
  created_by           uuid,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);
CREATE INDEX batches_tenant_created_idx ON batches (tenant_id, created_at, id);
CREATE INDEX batches_tenant_exam_idx ON batches (tenant_id, exam_start, id);
CREATE INDEX batches_tenant_status_idx ON batches (tenant_id, status, exam_start, id);
-- The daily late-results scan looks across tenants at batches still waiting for results.
CREATE INDEX batches_awaiting_results_idx ON batches (exam_start) WHERE status IN ('open', 'closed') AND NOT results_late;
SELECT skillcert_tenant_rls('batches', true);

CREATE TABLE applications (
  id                 uuid PRIMARY KEY,
  tenant_id          uuid NOT NULL REFERENCES tenants (id),
  batch_id           uuid NOT NULL REFERENCES batches (id),
  -- candidates are another module's table; the id is kept without a foreign key so that the modules
  -- migrate independently. Name and identity are a snapshot, refreshed while the batch is running.
  candidate_id       uuid NOT NULL,
  candidate_user_id  uuid,
  candidate_name     text NOT NULL,
  id_type            text NOT NULL,
  id_number          text NOT NULL,
  status             text NOT NULL CHECK (status IN ('eligible', 'ineligible', 'pending_review', 'approved', 'rejected')),
  route              text NOT NULL DEFAULT 'normal',
  evidence_file_ids  jsonb NOT NULL DEFAULT '[]',
  eligibility_passed boolean NOT NULL,
  eligibility_rule   text NOT NULL,
  eligibility        jsonb NOT NULL,
  theory_exempt      boolean NOT NULL DEFAULT false,
  fee_fen            bigint NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
  paid_at            timestamptz,
  paid_by            uuid,
  review_decision    text NOT NULL DEFAULT '',
  review_reason      text NOT NULL DEFAULT '',
  reviewed_by        uuid,
  reviewed_at        timestamptz,
  scores             jsonb NOT NULL DEFAULT '{}',
  result             text NOT NULL DEFAULT '' CHECK (result IN ('', 'pass', 'fail')),
  held               boolean NOT NULL DEFAULT false,
  created_by         uuid,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  UNIQUE (tenant_id, batch_id, candidate_id)
);
-- Keyset pages of a batch's applications: tenant first, then batch, then the sort key.
CREATE INDEX applications_batch_page_idx ON applications (tenant_id, batch_id, created_at, id);
CREATE INDEX applications_candidate_idx ON applications (tenant_id, candidate_id, created_at, id);
SELECT skillcert_tenant_rls('applications', true);

CREATE TABLE batch_evaluators (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  batch_id    uuid NOT NULL REFERENCES batches (id),
  user_id     uuid NOT NULL REFERENCES users (id),
  method      text NOT NULL,
  assigned_by uuid,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, user_id, method)
);
SELECT skillcert_tenant_rls('batch_evaluators', true);

CREATE TABLE batch_supervisors (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  batch_id    uuid NOT NULL REFERENCES batches (id),
  user_id     uuid NOT NULL REFERENCES users (id),
  assigned_by uuid,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, batch_id, user_id)
);
SELECT skillcert_tenant_rls('batch_supervisors', true);

CREATE TABLE batch_recusals (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  batch_id     uuid NOT NULL REFERENCES batches (id),
  evaluator_id uuid NOT NULL REFERENCES users (id),
  candidate_id uuid NOT NULL,
  relation     text NOT NULL,
  declared_by  uuid,
  created_at   timestamptz NOT NULL,
  UNIQUE (tenant_id, batch_id, evaluator_id, candidate_id)
);
SELECT skillcert_tenant_rls('batch_recusals', true);

CREATE TABLE objections (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  batch_id       uuid NOT NULL REFERENCES batches (id),
  application_id uuid NOT NULL REFERENCES applications (id),
  reason         text NOT NULL,
  contact        text NOT NULL,
  status         text NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
  note           text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL,
  resolved_at    timestamptz,
  resolved_by    uuid
);
CREATE INDEX objections_batch_idx ON objections (tenant_id, batch_id, created_at, id);
CREATE INDEX objections_application_idx ON objections (tenant_id, application_id) WHERE status = 'open';
SELECT skillcert_tenant_rls('objections', true);

-- One row per passed, unheld application of a finalized batch, written in finalize's transaction: the
-- event certificate issuance consumes.
CREATE TABLE batch_passes (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  application_id  uuid NOT NULL REFERENCES applications (id),
  batch_id        uuid NOT NULL REFERENCES batches (id),
  candidate_id    uuid NOT NULL,
  holder_name     text NOT NULL,
  id_type         text NOT NULL,
  id_number       text NOT NULL,
  occupation_code text NOT NULL,
  occupation_name text NOT NULL,
  subtype         text NOT NULL,
  level           smallint NOT NULL,
  finalized_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, application_id)
);
CREATE INDEX batch_passes_batch_idx ON batch_passes (tenant_id, batch_id, application_id);
SELECT skillcert_tenant_rls('batch_passes', true);

-- The working-day calendar (public holidays and the weekend days worked in exchange), loaded by the
-- platform administrator per year. Reference data: no tenant.
CREATE TABLE calendar_days (
  day  text PRIMARY KEY CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  year integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('holiday', 'workday'))
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_days TO skillcert_app;
