-- Certificates (modules/certificates) for the embedded dev mode: the PostgreSQL tables without row-level
-- security (see the postgres twin for what each table is for).
CREATE TABLE certificate_chunks (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  source      TEXT NOT NULL,
  gen         INTEGER NOT NULL DEFAULT 0,
  retry_at    TIMESTAMP NOT NULL,
  done_at     TIMESTAMP,
  created_at  TIMESTAMP NOT NULL
);
CREATE INDEX certificate_chunks_due_idx ON certificate_chunks (retry_at) WHERE done_at IS NULL;
CREATE INDEX certificate_chunks_tenant_idx ON certificate_chunks (tenant_id, created_at);

CREATE TABLE certificates (
  id                TEXT PRIMARY KEY,
  tenant_id         TEXT NOT NULL REFERENCES tenants (id),
  kind              TEXT NOT NULL CHECK (kind IN ('skill_level', 'post')),
  issue_key         TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'revoked')),
  number            TEXT UNIQUE,
  batch_id          TEXT,
  application_id    TEXT NOT NULL,
  candidate_id      TEXT NOT NULL,
  holder_name       TEXT NOT NULL,
  id_type           TEXT NOT NULL,
  id_number         TEXT NOT NULL,
  occupation_code   TEXT NOT NULL,
  occupation_name   TEXT NOT NULL,
  subtype           TEXT NOT NULL DEFAULT '',
  level             INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  title             TEXT NOT NULL,
  post              TEXT NOT NULL DEFAULT '',
  chunk_id          TEXT REFERENCES certificate_chunks (id),
  issued_at         TIMESTAMP,
  issued_on         TIMESTAMP,
  status_list_index INTEGER,
  key_id            TEXT NOT NULL DEFAULT '',
  revoked_at        TIMESTAMP,
  revoke_reason     TEXT NOT NULL DEFAULT '',
  replaces          TEXT REFERENCES certificates (id),
  replaced_by       TEXT REFERENCES certificates (id),
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT NOT NULL DEFAULT '',
  created_at        TIMESTAMP NOT NULL,
  updated_at        TIMESTAMP NOT NULL,
  UNIQUE (tenant_id, issue_key),
  UNIQUE (tenant_id, status_list_index),
  CHECK ((status = 'pending') = (number IS NULL)),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX certificates_tenant_created_idx ON certificates (tenant_id, created_at, id);
CREATE INDEX certificates_tenant_batch_idx ON certificates (tenant_id, batch_id, created_at, id);
CREATE INDEX certificates_tenant_candidate_idx ON certificates (tenant_id, candidate_id);
CREATE INDEX certificates_chunk_pending_idx ON certificates (chunk_id) WHERE status = 'pending';

CREATE TABLE certificate_documents (
  certificate_id TEXT PRIMARY KEY REFERENCES certificates (id),
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  pdf            BLOB NOT NULL,
  credential     BLOB NOT NULL,
  created_at     TIMESTAMP NOT NULL
);
CREATE INDEX certificate_documents_tenant_idx ON certificate_documents (tenant_id, certificate_id);

CREATE TABLE certificate_serials (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  series    TEXT NOT NULL,
  year      INTEGER NOT NULL,
  level     INTEGER NOT NULL,
  last      INTEGER NOT NULL CHECK (last BETWEEN 0 AND 999999),
  PRIMARY KEY (tenant_id, series, year, level)
);

CREATE TABLE certificate_keys (
  kid        TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id),
  public_key BLOB NOT NULL,
  sealed     BLOB NOT NULL,
  created_at TIMESTAMP NOT NULL,
  retired_at TIMESTAMP
);
CREATE UNIQUE INDEX certificate_keys_active_idx ON certificate_keys (tenant_id) WHERE retired_at IS NULL;
CREATE INDEX certificate_keys_tenant_idx ON certificate_keys (tenant_id, created_at);

CREATE TABLE certificate_status_lists (
  tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
  next_index INTEGER NOT NULL,
  encoded    TEXT NOT NULL,
  credential BLOB NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE certificate_settings (
  tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
  post_prefix TEXT NOT NULL UNIQUE,
  post_title  TEXT NOT NULL,
  updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE certificate_lookup (
  number          TEXT PRIMARY KEY,
  institution_id  TEXT NOT NULL REFERENCES tenants (id),
  certificate_id  TEXT NOT NULL UNIQUE REFERENCES certificates (id),
  kind            TEXT NOT NULL,
  title           TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
  holder_masked   TEXT NOT NULL,
  name_hash       BLOB NOT NULL,
  occupation_code TEXT NOT NULL,
  occupation_name TEXT NOT NULL,
  subtype         TEXT NOT NULL,
  level           INTEGER NOT NULL,
  post            TEXT NOT NULL,
  institution     TEXT NOT NULL,
  issued_on       TIMESTAMP NOT NULL,
  updated_at      TIMESTAMP NOT NULL
);
