DROP INDEX IF EXISTS institution_decisions_unanswered_idx;
DROP INDEX IF EXISTS certificates_failed_idx;
DROP INDEX IF EXISTS applications_pending_review_idx;
