-- Kernel tables for the embedded dev mode. SQLite has no roles or row-level security: tenant scoping
-- rests on the stores' explicit tenant_id conditions; PostgreSQL (serve/worker/tests) adds RLS.
CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('enterprise', 'social_org', 'school', 'regulator', 'platform')),
  region_code TEXT NOT NULL DEFAULT '',
  credit_code TEXT,
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'disabled')),
  created_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX tenants_region_idx ON tenants (region_code, kind);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  username      TEXT NOT NULL,
  display_name  TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at    TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE (tenant_id, username)
);
CREATE INDEX users_tenant_created_idx ON users (tenant_id, created_at, id);

CREATE TABLE user_roles (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, role)
);

CREATE TABLE sessions (
  token_hash   BLOB PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants (id),
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  last_seen_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  expires_at   TIMESTAMP NOT NULL,
  revoked_at   TIMESTAMP,
  client_ip    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id);

CREATE TABLE audit_log (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  seq         INTEGER NOT NULL,
  id          TEXT NOT NULL UNIQUE,
  at          TIMESTAMP NOT NULL,
  actor_id    TEXT,
  actor_name  TEXT NOT NULL,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  target_type TEXT NOT NULL DEFAULT '',
  target_id   TEXT NOT NULL DEFAULT '',
  before      TEXT,
  after       TEXT,
  request_id  TEXT NOT NULL DEFAULT '',
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at, seq);

CREATE TABLE audit_heads (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
  seq       INTEGER NOT NULL,
  hash      TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
