-- Certificates (modules/certificates): certificates and their documents, the issuance outbox (chunks),
-- gap-free serial counters, signing keys, status lists, post-certificate settings, and the public
-- lookup table.

-- One row per chunk of pending certificates: the outbox entry of one issuance task. gen counts
-- enqueues, so a re-enqueue by the reconciler gets a fresh task id; retry_at is when the reconciler
-- enqueues the chunk again unless it is done by then; done_at is set once nothing of it is pending.
CREATE TABLE certificate_chunks (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  source      text NOT NULL,
  gen         integer NOT NULL DEFAULT 0,
  retry_at    timestamptz NOT NULL,
  done_at     timestamptz,
  created_at  timestamptz NOT NULL
);
CREATE INDEX certificate_chunks_due_idx ON certificate_chunks (retry_at) WHERE done_at IS NULL;
CREATE INDEX certificate_chunks_tenant_idx ON certificate_chunks (tenant_id, created_at);
SELECT skillcert_tenant_rls('certificate_chunks', false);

CREATE TABLE certificates (
  id                uuid PRIMARY KEY,
  tenant_id         uuid NOT NULL REFERENCES tenants (id),
  kind              text NOT NULL CHECK (kind IN ('skill_level', 'post')),
  -- What the certificate is issued for, unique per tenant: a repeated finalize, post request or
  -- reissue finds the certificate it already made instead of making a second one.
  issue_key         text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'issued', 'revoked')),
  number            text UNIQUE,
  batch_id          uuid,
  application_id    uuid NOT NULL,
  candidate_id      uuid NOT NULL,
  holder_name       text NOT NULL,
  id_type           text NOT NULL,
  id_number         text NOT NULL,
  occupation_code   text NOT NULL,
  occupation_name   text NOT NULL,
  subtype           text NOT NULL DEFAULT '',
  level             integer NOT NULL CHECK (level BETWEEN 1 AND 5),
  title             text NOT NULL,
  post              text NOT NULL DEFAULT '',
  chunk_id          uuid REFERENCES certificate_chunks (id),
  issued_at         timestamptz,
  issued_on         date,
  status_list_index integer,
  key_id            text NOT NULL DEFAULT '',
  revoked_at        timestamptz,
  revoke_reason     text NOT NULL DEFAULT '',
  replaces          uuid REFERENCES certificates (id),
  replaced_by       uuid REFERENCES certificates (id),
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  UNIQUE (tenant_id, issue_key),
  UNIQUE (tenant_id, status_list_index),
  -- A number exists exactly when the certificate left pending; it is never cleared or changed.
  CHECK ((status = 'pending') = (number IS NULL)),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX certificates_tenant_created_idx ON certificates (tenant_id, created_at, id);
CREATE INDEX certificates_tenant_batch_idx ON certificates (tenant_id, batch_id, created_at, id);
CREATE INDEX certificates_tenant_candidate_idx ON certificates (tenant_id, candidate_id);
CREATE INDEX certificates_chunk_pending_idx ON certificates (chunk_id) WHERE status = 'pending';
SELECT skillcert_tenant_rls('certificates', true);

-- The PDF and the signed credential of an issued certificate, written in its issuing transaction.
-- Kept apart from certificates so lists never drag the bytes along.
CREATE TABLE certificate_documents (
  certificate_id uuid PRIMARY KEY REFERENCES certificates (id),
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  pdf            bytea NOT NULL,
  credential     bytea NOT NULL,
  created_at     timestamptz NOT NULL
);
-- PDFs and credentials are compressed already (or small): storing them out of line without pglz saves
-- the database a compression attempt per certificate that gains nothing.
ALTER TABLE certificate_documents ALTER COLUMN pdf SET STORAGE EXTERNAL;
CREATE INDEX certificate_documents_tenant_idx ON certificate_documents (tenant_id, certificate_id);
SELECT skillcert_tenant_rls('certificate_documents', true);

-- Serial counters per institution, series ('national' or 'post'), year and level. The upsert that
-- advances one locks its row until the issuing transaction ends, so allocations are serialised and a
-- rolled-back issuance returns its serials: the numbers are gap-free and never reused.
CREATE TABLE certificate_serials (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  series    text NOT NULL,
  year      integer NOT NULL,
  level     integer NOT NULL,
  last      integer NOT NULL CHECK (last BETWEEN 0 AND 999999),
  PRIMARY KEY (tenant_id, series, year, level)
);
SELECT skillcert_tenant_rls('certificate_serials', false);

-- Each institution's Ed25519 signing keys; the private seed sealed with the master key (AES-256-GCM).
-- At most one active key per institution.
CREATE TABLE certificate_keys (
  kid        text PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  public_key bytea NOT NULL,
  sealed     bytea NOT NULL,
  created_at timestamptz NOT NULL,
  retired_at timestamptz
);
CREATE UNIQUE INDEX certificate_keys_active_idx ON certificate_keys (tenant_id) WHERE retired_at IS NULL;
CREATE INDEX certificate_keys_tenant_idx ON certificate_keys (tenant_id, created_at);
SELECT skillcert_tenant_rls('certificate_keys', false);

-- Each institution's revocation status list: the encodedList (GZIP'd bitstring, multibase), the next
-- free index, and the signed BitstringStatusListCredential as served (re-signed whenever a bit, the
-- length or the key changes).
CREATE TABLE certificate_status_lists (
  tenant_id  uuid PRIMARY KEY REFERENCES tenants (id),
  next_index integer NOT NULL,
  encoded    text NOT NULL,
  credential bytea NOT NULL,
  updated_at timestamptz NOT NULL
);
SELECT skillcert_tenant_rls('certificate_status_lists', false);

-- An enterprise's post certificate settings (一岗双证). Prefixes are unique across tenants so that post
-- numbers, looked up publicly without a tenant, never collide.
CREATE TABLE certificate_settings (
  tenant_id   uuid PRIMARY KEY REFERENCES tenants (id),
  post_prefix text NOT NULL UNIQUE,
  post_title  text NOT NULL,
  updated_at  timestamptz NOT NULL
);
SELECT skillcert_tenant_rls('certificate_settings', false);

-- The public lookup by number: only what GET /public/certificates/{number} shows (the masked name, a
-- salted SHA-256 of the full name to confirm ?name=, never the ID number). Anyone may read it, with
-- one primary-key SELECT outside any tenant transaction; RLS lets a tenant transaction write only
-- rows of its own institution. Written in the transactions that issue and revoke, so it is never
-- stale.
CREATE TABLE certificate_lookup (
  number          text PRIMARY KEY,
  institution_id  uuid NOT NULL REFERENCES tenants (id),
  certificate_id  uuid NOT NULL UNIQUE REFERENCES certificates (id),
  kind            text NOT NULL,
  title           text NOT NULL,
  status          text NOT NULL CHECK (status IN ('valid', 'revoked')),
  holder_masked   text NOT NULL,
  name_hash       bytea NOT NULL,
  occupation_code text NOT NULL,
  occupation_name text NOT NULL,
  subtype         text NOT NULL,
  level           integer NOT NULL,
  post            text NOT NULL,
  institution     text NOT NULL,
  issued_on       date NOT NULL,
  updated_at      timestamptz NOT NULL
);
ALTER TABLE certificate_lookup ENABLE ROW LEVEL SECURITY;
ALTER TABLE certificate_lookup FORCE ROW LEVEL SECURITY;
CREATE POLICY public_read ON certificate_lookup FOR SELECT USING (true);
CREATE POLICY institution_insert ON certificate_lookup FOR INSERT
  WITH CHECK (institution_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY institution_update ON certificate_lookup FOR UPDATE
  USING (institution_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (institution_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON certificate_lookup TO skillcert_app;
