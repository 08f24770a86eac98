-- Kernel: the application role, the row-level-security helper every tenant table uses, tenants,
-- users and their roles, sessions, and the hash-chained audit log.

-- Tenant work runs as skillcert_app (SET LOCAL ROLE inside each transaction): not the owner and without
-- BYPASSRLS, so policies apply even when the configured URL is a superuser's. Roles are cluster-wide and
-- several databases (tests) may create it at once, hence the guarded create.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'skillcert_app') THEN
    CREATE ROLE skillcert_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  -- A non-superuser owner must be a member to SET ROLE; for a superuser this is a no-op grant.
  EXECUTE format('GRANT skillcert_app TO %I', current_user);
EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO skillcert_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO skillcert_app;

-- skillcert_tenant_rls is the one way a migration makes a table tenant-scoped: RLS enabled and forced,
-- rows visible and writable only for app.tenant_id; optionally readable by a regulator whose read-only
-- oversight transaction lists the institution in app.oversight_tenants; readable (never writable) by the
-- narrow system lookups that set app.system = 'read'. Grants DML to the application role.
CREATE OR REPLACE FUNCTION skillcert_tenant_rls(tbl regclass, oversight boolean) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
      USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, tbl);
  EXECUTE format($p$CREATE POLICY system_read ON %s FOR SELECT
      USING (current_setting('app.system', true) = 'read')$p$, tbl);
  IF oversight THEN
    EXECUTE format($p$CREATE POLICY oversight_read ON %s FOR SELECT
        USING (tenant_id = ANY (nullif(current_setting('app.oversight_tenants', true), '')::uuid[]))$p$, tbl);
  END IF;
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO skillcert_app', tbl);
END
$fn$;

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('enterprise', 'social_org', 'school', 'regulator', 'platform')),
  region_code text NOT NULL DEFAULT '' CHECK (region_code = '' OR region_code ~ '^[0-9]{6}$'),
  credit_code text,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'disabled')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_region_idx ON tenants (region_code text_pattern_ops, kind);
-- Tenants are the directory itself (no tenant_id): readable by the app role, written by platform admins
-- and by regulators' decisions (status), both audited.
GRANT SELECT, INSERT, UPDATE ON tenants TO skillcert_app;

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  username      text NOT NULL,
  display_name  text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, username)
);
CREATE INDEX users_tenant_created_idx ON users (tenant_id, created_at, id);
SELECT skillcert_tenant_rls('users', false);

CREATE TABLE user_roles (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      text NOT NULL,
  PRIMARY KEY (tenant_id, user_id, role)
);
SELECT skillcert_tenant_rls('user_roles', false);

-- Sessions hold only the SHA-256 of the bearer secret; a stolen table cannot be replayed.
CREATE TABLE sessions (
  token_hash   bytea PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  client_ip    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id);
SELECT skillcert_tenant_rls('sessions', false);

-- The audit log: one hash chain per tenant. audit_heads serialises appends per tenant (a row lock).
CREATE TABLE audit_log (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  seq         bigint NOT NULL,
  id          uuid NOT NULL UNIQUE,
  at          timestamptz NOT NULL,
  actor_id    uuid,
  actor_name  text NOT NULL,
  action      text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  target_type text NOT NULL DEFAULT '',
  target_id   text NOT NULL DEFAULT '',
  before      jsonb,
  after       jsonb,
  request_id  text NOT NULL DEFAULT '',
  prev_hash   text NOT NULL,
  hash        text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at, seq);
SELECT skillcert_tenant_rls('audit_log', true);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM skillcert_app;

CREATE TABLE audit_heads (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
  seq       bigint NOT NULL,
  hash      text NOT NULL
);
SELECT skillcert_tenant_rls('audit_heads', false);
REVOKE DELETE ON audit_heads FROM skillcert_app;

-- Append-only, for every role including the owner: the database refuses to rewrite history.
CREATE OR REPLACE FUNCTION skillcert_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION skillcert_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION skillcert_audit_append_only();
