DROP TABLE IF EXISTS audit_heads, audit_log, sessions, user_roles, users, tenants;
DROP FUNCTION IF EXISTS skillcert_audit_append_only();
DROP FUNCTION IF EXISTS skillcert_tenant_rls(regclass, boolean);
-- The skillcert_app role is cluster-wide and may serve other databases: it is left in place.
