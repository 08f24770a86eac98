-- Filings for the embedded dev mode (see the postgres twin).
CREATE TABLE filings (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  status         TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'expired')),
  region_code    TEXT NOT NULL,
  renewal_of     TEXT REFERENCES filings (id),
  evaluator_code TEXT NOT NULL DEFAULT '',
  province_code  TEXT NOT NULL DEFAULT '',
  site_serial    TEXT NOT NULL DEFAULT '',
  valid_from     TIMESTAMP,
  valid_until    TIMESTAMP,
  decision_note  TEXT NOT NULL DEFAULT '',
  decided_at     TIMESTAMP,
  decided_by     TEXT,
  submitted_by   TEXT,
  submitted_at   TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX filings_tenant_submitted_idx ON filings (tenant_id, submitted_at, id);
CREATE INDEX filings_tenant_status_idx ON filings (tenant_id, status, submitted_at, id);
CREATE INDEX filings_due_idx ON filings (valid_until) WHERE status = 'approved';

CREATE TABLE filing_scope (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  filing_id       TEXT NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
  occupation_code TEXT NOT NULL REFERENCES occupations (code),
  level           INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  norm_id         TEXT REFERENCES evaluation_norms (id),
  PRIMARY KEY (tenant_id, filing_id, occupation_code, level)
);
CREATE INDEX filing_scope_lookup_idx ON filing_scope (tenant_id, occupation_code, level);

CREATE TABLE filing_decisions (
  id             TEXT PRIMARY KEY,
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  filing_id      TEXT NOT NULL UNIQUE REFERENCES filings (id),
  institution_id TEXT NOT NULL REFERENCES tenants (id),
  decision       TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
  evaluator_code TEXT NOT NULL DEFAULT '',
  province_code  TEXT NOT NULL DEFAULT '',
  site_serial    TEXT NOT NULL DEFAULT '',
  valid_from     TIMESTAMP,
  valid_until    TIMESTAMP,
  note           TEXT NOT NULL DEFAULT '',
  decided_by     TEXT,
  decided_at     TIMESTAMP NOT NULL
);
CREATE INDEX filing_decisions_tenant_decided_idx ON filing_decisions (tenant_id, decided_at, id);

CREATE TABLE filing_notices (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  filing_id   TEXT NOT NULL REFERENCES filings (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('expiry_warning', 'expired')),
  days_before INTEGER NOT NULL,
  valid_until TIMESTAMP NOT NULL,
  created_at  TIMESTAMP NOT NULL,
  UNIQUE (tenant_id, filing_id, kind, days_before)
);
CREATE INDEX filing_notices_tenant_created_idx ON filing_notices (tenant_id, created_at, id);

CREATE TABLE filing_annual_reports (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  plan       TEXT NOT NULL DEFAULT '',
  summary    TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, year)
);
