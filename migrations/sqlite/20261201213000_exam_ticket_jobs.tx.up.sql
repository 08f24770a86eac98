-- SQLite twin of the PostgreSQL migration (no RLS: the stores' tenant conditions apply).
CREATE TABLE exam_ticket_chunks (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants (id),
  batch_id    TEXT NOT NULL REFERENCES batches (id),
  gen         INTEGER NOT NULL DEFAULT 0,
  retry_at    TIMESTAMP NOT NULL,
  lease_until TIMESTAMP,
  done_at     TIMESTAMP,
  created_at  TIMESTAMP NOT NULL
);
CREATE INDEX exam_ticket_chunks_due_idx ON exam_ticket_chunks (retry_at) WHERE done_at IS NULL;
CREATE INDEX exam_ticket_chunks_batch_idx ON exam_ticket_chunks (tenant_id, batch_id);

ALTER TABLE exam_tickets ADD COLUMN chunk_id TEXT;
CREATE INDEX exam_tickets_chunk_idx ON exam_tickets (tenant_id, chunk_id) WHERE status = 'pending';

ALTER TABLE batches ADD COLUMN archived_at TIMESTAMP;
