DROP POLICY oversight_read ON oversight_cert_stats;
CREATE POLICY oversight_read ON oversight_cert_stats FOR SELECT
  USING (tenant_id = ANY (nullif(current_setting('app.oversight_tenants', true), '')::uuid[]));
DROP POLICY oversight_read ON oversight_batch_facts;
CREATE POLICY oversight_read ON oversight_batch_facts FOR SELECT
  USING (tenant_id = ANY (nullif(current_setting('app.oversight_tenants', true), '')::uuid[]));
DROP POLICY oversight_read ON institution_decisions;
CREATE POLICY oversight_read ON institution_decisions FOR SELECT
  USING (tenant_id = ANY (nullif(current_setting('app.oversight_tenants', true), '')::uuid[]));
