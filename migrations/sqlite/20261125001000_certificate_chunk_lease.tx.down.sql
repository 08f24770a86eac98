DROP INDEX IF EXISTS certificate_chunks_lease_idx;
ALTER TABLE certificate_chunks DROP COLUMN lease_until;
