-- Occupation catalog (reference data of the whole platform, no tenant_id) and enterprise evaluation
-- norms (企业评价规范, tenant data). See modules/catalog.

-- occupations is seeded at start-up from modules/catalog/seed (source 'seed') and updated by platform
-- administrators' CSV imports (source 'import'); a later seed version never overwrites imported rows.
CREATE TABLE occupations (
  code                  text PRIMARY KEY CHECK (code ~ '^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$'),
  name                  text NOT NULL,
  major_code            text NOT NULL,
  major_name            text NOT NULL DEFAULT '',
  middle_code           text NOT NULL,
  middle_name           text NOT NULL DEFAULT '',
  minor_code            text NOT NULL,
  minor_name            text NOT NULL DEFAULT '',
  is_green              boolean NOT NULL DEFAULT false,
  is_digital            boolean NOT NULL DEFAULT false,
  subtypes              jsonb NOT NULL DEFAULT '[]',
  levels                jsonb NOT NULL,
  standard_year         integer NOT NULL DEFAULT 0,
  has_national_standard boolean NOT NULL DEFAULT false,
  is_new                boolean NOT NULL DEFAULT false,
  note                  text NOT NULL DEFAULT '',
  source                text NOT NULL CHECK (source IN ('seed', 'import')),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
-- Name search is a substring match; a trigram index would need pg_trgm, and 1,500 rows scan in well
-- under a millisecond, so none is made.
GRANT SELECT, INSERT, UPDATE ON occupations TO skillcert_app;

-- catalog_meta remembers which seed version was applied, so start-up skips seeding in one query.
CREATE TABLE catalog_meta (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON catalog_meta TO skillcert_app;

CREATE TABLE evaluation_norms (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  occupation_code text NOT NULL REFERENCES occupations (code),
  title           text NOT NULL,
  subtypes        jsonb NOT NULL DEFAULT '[]',
  levels          jsonb NOT NULL,
  document_ref    text NOT NULL DEFAULT '',
  status          text NOT NULL CHECK (status IN ('draft', 'filed')),
  filing_ref      text NOT NULL DEFAULT '',
  filed_on        date,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (tenant_id, occupation_code),
  CHECK (status = 'draft' OR (filing_ref <> '' AND filed_on IS NOT NULL))
);
CREATE INDEX evaluation_norms_tenant_created_idx ON evaluation_norms (tenant_id, created_at, id);
SELECT skillcert_tenant_rls('evaluation_norms', true);
