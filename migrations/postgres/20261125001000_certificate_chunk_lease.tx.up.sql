-- A chunk's lease: set when an issuance task starts on the chunk and extended while it runs, cleared
-- when it ends. A lease that expires with the chunk not done means the worker died mid-chunk; the
-- reconciler then enqueues the chunk again at once instead of waiting for asynq's own recovery.
ALTER TABLE certificate_chunks ADD COLUMN lease_until timestamptz;
CREATE INDEX certificate_chunks_lease_idx ON certificate_chunks (lease_until) WHERE done_at IS NULL AND lease_until IS NOT NULL;
