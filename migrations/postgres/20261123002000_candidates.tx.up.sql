-- Candidates (考生) of institutions and their certificate photos (modules/candidates).
-- Names are stored exactly as given; name_key is the derived search key (binary collation, so one
-- index serves both prefix LIKE and ORDER BY). One candidate per ID number per tenant.
CREATE TABLE candidates (
  id                        uuid PRIMARY KEY,
  tenant_id                 uuid NOT NULL REFERENCES tenants (id),
  user_id                   uuid REFERENCES users (id),
  name                      text NOT NULL CHECK (name <> ''),
  name_key                  text COLLATE "C" NOT NULL,
  id_type                   text NOT NULL CHECK (id_type IN ('resident_id', 'passport', 'hk_macao_permit',
                              'taiwan_permit', 'foreign_permanent_resident')),
  id_number                 text NOT NULL CHECK (id_number <> ''),
  phone                     text NOT NULL DEFAULT '',
  education                 text NOT NULL,
  occupation_years          integer NOT NULL DEFAULT 0 CHECK (occupation_years BETWEEN 0 AND 70),
  current_level             smallint NOT NULL DEFAULT 0 CHECK (current_level IN (0, 1, 2, 3, 4, 5, 7, 8)),
  current_level_obtained_on date,
  title_level               text NOT NULL DEFAULT '',
  apprenticeship_completed  boolean NOT NULL DEFAULT false,
  related_diploma           boolean NOT NULL DEFAULT false,
  awards                    jsonb NOT NULL DEFAULT '[]',
  student_no                text NOT NULL DEFAULT '',
  has_photo                 boolean NOT NULL DEFAULT false,
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL,
  CONSTRAINT candidates_id_number_key UNIQUE (tenant_id, id_type, id_number),
  CONSTRAINT candidates_level_date_check CHECK ((current_level = 0) = (current_level_obtained_on IS NULL))
);
CREATE INDEX candidates_tenant_created_idx ON candidates (tenant_id, created_at, id);
CREATE INDEX candidates_tenant_name_idx ON candidates (tenant_id, name_key, id);
CREATE INDEX candidates_tenant_number_idx ON candidates (tenant_id, id_number);
CREATE UNIQUE INDEX candidates_user_idx ON candidates (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX candidates_student_no_idx ON candidates (tenant_id, student_no) WHERE student_no <> '';
-- Regulators may read candidates in oversight (the module's views mask names and ID numbers).
SELECT skillcert_tenant_rls('candidates', true);

CREATE TABLE candidate_photos (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  data         bytea NOT NULL,
  sha256       text NOT NULL,
  width        integer NOT NULL,
  height       integer NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, candidate_id)
);
-- Photos are biometric data: not part of the regulator's oversight reads.
SELECT skillcert_tenant_rls('candidate_photos', false);
