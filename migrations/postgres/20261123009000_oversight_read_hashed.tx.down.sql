-- Back to the per-row array comparison (same rows, slower).
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

DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT polrelid::regclass FROM pg_policy WHERE polname = 'oversight_read' LOOP
    EXECUTE format('DROP POLICY oversight_read ON %s', t);
    EXECUTE format($p$CREATE POLICY oversight_read ON %s FOR SELECT
        USING (tenant_id = ANY (nullif(current_setting('app.oversight_tenants', true), '')::uuid[]))$p$, t);
  END LOOP;
END $$;
