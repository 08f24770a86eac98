-- Candidates (考生) of institutions and their certificate photos (modules/candidates), dev mode.
CREATE TABLE candidates (
  id                        TEXT PRIMARY KEY,
  tenant_id                 TEXT NOT NULL REFERENCES tenants (id),
  user_id                   TEXT REFERENCES users (id),
  name                      TEXT NOT NULL CHECK (name <> ''),
  name_key                  TEXT NOT NULL,
  id_type                   TEXT NOT NULL CHECK (id_type IN ('resident_id', 'passport', 'hk_macao_permit',
                              'taiwan_permit', 'foreign_permanent_resident')),
  id_number                 TEXT NOT NULL CHECK (id_number <> ''),
  phone                     TEXT NOT NULL DEFAULT '',
  education                 TEXT NOT NULL,
  occupation_years          INTEGER NOT NULL DEFAULT 0 CHECK (occupation_years BETWEEN 0 AND 70),
  current_level             INTEGER NOT NULL DEFAULT 0 CHECK (current_level IN (0, 1, 2, 3, 4, 5, 7, 8)),
  current_level_obtained_on DATE,
  title_level               TEXT NOT NULL DEFAULT '',
  apprenticeship_completed  BOOLEAN NOT NULL DEFAULT FALSE,
  related_diploma           BOOLEAN NOT NULL DEFAULT FALSE,
  awards                    TEXT NOT NULL DEFAULT '[]',
  student_no                TEXT NOT NULL DEFAULT '',
  has_photo                 BOOLEAN NOT NULL DEFAULT FALSE,
  created_at                TIMESTAMP NOT NULL,
  updated_at                TIMESTAMP NOT NULL,
  CONSTRAINT candidates_id_number_key UNIQUE (tenant_id, id_type, id_number),
  CONSTRAINT candidates_level_date_check CHECK ((current_level = 0) = (current_level_obtained_on IS NULL))
);
CREATE INDEX candidates_tenant_created_idx ON candidates (tenant_id, created_at, id);
CREATE INDEX candidates_tenant_name_idx ON candidates (tenant_id, name_key, id);
CREATE INDEX candidates_tenant_number_idx ON candidates (tenant_id, id_number);
CREATE UNIQUE INDEX candidates_user_idx ON candidates (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX candidates_student_no_idx ON candidates (tenant_id, student_no) WHERE student_no <> '';

CREATE TABLE candidate_photos (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id),
  candidate_id TEXT NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  data         BLOB NOT NULL,
  sha256       TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  updated_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, candidate_id)
);
