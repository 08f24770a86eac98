-- Occupation catalog and enterprise evaluation norms for the embedded dev mode (see the postgres twin).
CREATE TABLE occupations (
  code                  TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  major_code            TEXT NOT NULL,
  major_name            TEXT NOT NULL DEFAULT '',
  middle_code           TEXT NOT NULL,
  middle_name           TEXT NOT NULL DEFAULT '',
  minor_code            TEXT NOT NULL,
  minor_name            TEXT NOT NULL DEFAULT '',
  is_green              BOOLEAN NOT NULL DEFAULT 0,
  is_digital            BOOLEAN NOT NULL DEFAULT 0,
  subtypes              TEXT NOT NULL DEFAULT '[]',
  levels                TEXT NOT NULL,
  standard_year         INTEGER NOT NULL DEFAULT 0,
  has_national_standard BOOLEAN NOT NULL DEFAULT 0,
  is_new                BOOLEAN NOT NULL DEFAULT 0,
  note                  TEXT NOT NULL DEFAULT '',
  source                TEXT NOT NULL CHECK (source IN ('seed', 'import')),
  updated_at            TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE catalog_meta (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE evaluation_norms (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  occupation_code TEXT NOT NULL REFERENCES occupations (code),
  title           TEXT NOT NULL,
  subtypes        TEXT NOT NULL DEFAULT '[]',
  levels          TEXT NOT NULL,
  document_ref    TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL CHECK (status IN ('draft', 'filed')),
  filing_ref      TEXT NOT NULL DEFAULT '',
  filed_on        TIMESTAMP,
  created_at      TIMESTAMP NOT NULL,
  updated_at      TIMESTAMP NOT NULL,
  UNIQUE (tenant_id, occupation_code)
);
CREATE INDEX evaluation_norms_tenant_created_idx ON evaluation_norms (tenant_id, created_at, id);
