-- Oversight reads as a hashed subplan. The first form of the oversight_read policy compared each row with
-- nullif(current_setting('app.oversight_tenants', true), '')::uuid[], an expression PostgreSQL
-- re-evaluates per row: a regulator of 1,000 institutions paid a 1,000-element array cast per row.
-- IN (SELECT unnest(...)) casts the list once and probes a hash per row; the rows allowed are the same.
-- This rewrites the helper for tables created later and every existing oversight_read policy.
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
        USING (tenant_id IN (SELECT unnest(nullif(current_setting('app.oversight_tenants', true), '')::uuid[])))$p$, tbl);
  END IF;
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO skillcert_app', tbl);
END
$fn$;

DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT polrelid::regclass FROM pg_policy WHERE polname = 'oversight_read' LOOP
    EXECUTE format('DROP POLICY oversight_read ON %s', t);
    EXECUTE format($p$CREATE POLICY oversight_read ON %s FOR SELECT
        USING (tenant_id IN (SELECT unnest(nullif(current_setting('app.oversight_tenants', true), '')::uuid[])))$p$, t);
  END LOOP;
END $$;
