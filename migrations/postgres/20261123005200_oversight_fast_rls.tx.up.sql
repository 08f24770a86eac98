-- Oversight reads at province scale. The kernel's oversight_read policy (skillcert_tenant_rls) compares
-- every row with nullif(current_setting('app.oversight_tenants', true), '')::uuid[]: a stable expression
-- that PostgreSQL re-evaluates for each row unless it happens to be an index condition, so a jurisdiction
-- of 1,000 institutions costs a 1,000-element array cast per row (statistics over 176,768 summary rows:
-- more than 120 s). Written as IN (SELECT unnest(...)) the list becomes a hashed subplan, cast once and
-- probed per row (0.27 s). The rows allowed are exactly the same. This migration applies the form to the
-- oversight module's own oversight-readable tables; the kernel function should adopt it for every table.
DROP POLICY oversight_read ON oversight_cert_stats;
CREATE POLICY oversight_read ON oversight_cert_stats FOR SELECT
  USING (tenant_id IN (SELECT unnest(nullif(current_setting('app.oversight_tenants', true), '')::uuid[])));
DROP POLICY oversight_read ON oversight_batch_facts;
CREATE POLICY oversight_read ON oversight_batch_facts FOR SELECT
  USING (tenant_id IN (SELECT unnest(nullif(current_setting('app.oversight_tenants', true), '')::uuid[])));
DROP POLICY oversight_read ON institution_decisions;
CREATE POLICY oversight_read ON institution_decisions FOR SELECT
  USING (tenant_id IN (SELECT unnest(nullif(current_setting('app.oversight_tenants', true), '')::uuid[])));
