-- The console's 工作台 counts what waits for an institution on every visit to its home page. These
-- partial indexes hold only the waiting rows of each tenant, so each count reads a few index entries
-- however many applications and certificates the tenant has.
CREATE INDEX applications_pending_review_idx ON applications (tenant_id, batch_id) WHERE status = 'pending_review';
CREATE INDEX certificates_failed_idx ON certificates (tenant_id) WHERE status = 'pending' AND last_error <> '';
CREATE INDEX institution_decisions_unanswered_idx ON institution_decisions (tenant_id)
  WHERE statement_at IS NULL AND review_requested_at IS NULL AND review_outcome = '';
