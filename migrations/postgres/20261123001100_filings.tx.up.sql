-- Filings (备案): an institution's application for occupations × levels, its regulator's decision, the
-- expiry warnings, and enterprises' annual plans and summaries. See modules/filings.

CREATE TABLE filings (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  status         text NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'expired')),
  -- The institution's region when it applied, then when the regulator approved: a batch is in scope
  -- only while the institution is still there.
  region_code    text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
  renewal_of     uuid REFERENCES filings (id),
  evaluator_code text NOT NULL DEFAULT '' CHECK (evaluator_code = '' OR evaluator_code ~ '^[0-9]{4}$'),
  province_code  text NOT NULL DEFAULT '' CHECK (province_code = '' OR province_code ~ '^[0-9]{2}$'),
  site_serial    text NOT NULL DEFAULT '' CHECK (site_serial = '' OR site_serial ~ '^[0-9]{6}$'),
  valid_from     date,
  valid_until    date,
  decision_note  text NOT NULL DEFAULT '',
  decided_at     timestamptz,
  decided_by     uuid, -- the regulator tenant
  submitted_by   uuid,
  submitted_at   timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CHECK (status NOT IN ('approved', 'expired') OR (valid_from IS NOT NULL AND valid_until > valid_from))
);
CREATE INDEX filings_tenant_submitted_idx ON filings (tenant_id, submitted_at, id);
CREATE INDEX filings_tenant_status_idx ON filings (tenant_id, status, submitted_at, id);
-- The daily expiry scan looks for approved filings by end date across tenants.
CREATE INDEX filings_due_idx ON filings (valid_until) WHERE status = 'approved';
SELECT skillcert_tenant_rls('filings', true);

-- One row per occupation × level of a filing: what CheckScope looks up.
CREATE TABLE filing_scope (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  filing_id       uuid NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
  occupation_code text NOT NULL REFERENCES occupations (code),
  level           integer NOT NULL CHECK (level BETWEEN 1 AND 5),
  norm_id         uuid REFERENCES evaluation_norms (id),
  PRIMARY KEY (tenant_id, filing_id, occupation_code, level)
);
CREATE INDEX filing_scope_lookup_idx ON filing_scope (tenant_id, occupation_code, level);
SELECT skillcert_tenant_rls('filing_scope', true);

-- The regulator's own record of each decision, in the regulator's tenant.
CREATE TABLE filing_decisions (
  id             uuid PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  filing_id      uuid NOT NULL UNIQUE REFERENCES filings (id),
  institution_id uuid NOT NULL REFERENCES tenants (id),
  decision       text NOT NULL CHECK (decision IN ('approve', 'reject')),
  evaluator_code text NOT NULL DEFAULT '',
  province_code  text NOT NULL DEFAULT '',
  site_serial    text NOT NULL DEFAULT '',
  valid_from     date,
  valid_until    date,
  note           text NOT NULL DEFAULT '',
  decided_by     uuid,
  decided_at     timestamptz NOT NULL
);
CREATE INDEX filing_decisions_tenant_decided_idx ON filing_decisions (tenant_id, decided_at, id);
SELECT skillcert_tenant_rls('filing_decisions', false);

-- Expiry warnings (90/30/7 days ahead) and the expiry itself: one per filing and threshold.
CREATE TABLE filing_notices (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  filing_id   uuid NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('expiry_warning', 'expired')),
  days_before integer NOT NULL,
  valid_until date NOT NULL,
  created_at  timestamptz NOT NULL,
  UNIQUE (tenant_id, filing_id, kind, days_before)
);
CREATE INDEX filing_notices_tenant_created_idx ON filing_notices (tenant_id, created_at, id);
SELECT skillcert_tenant_rls('filing_notices', false);

-- Enterprises' annual plan and last year's summary (年度计划与总结), readable in oversight.
CREATE TABLE filing_annual_reports (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  plan       text NOT NULL DEFAULT '',
  summary    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, year)
);
SELECT skillcert_tenant_rls('filing_annual_reports', true);
