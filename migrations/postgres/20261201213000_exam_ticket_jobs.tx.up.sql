-- Admission ticket rendering (modules/exams, tickets_store.go): tickets are rendered in chunks, like
-- certificates are issued. A chunk row is the durable record of work to do (the outbox of its task):
-- its generation names the task's id, retry_at is when the reconciler looks at it again, lease_until is
-- set while a task renders it (a lease that expires with the chunk not done means its worker died), and
-- done_at once none of its tickets is pending. Each ticket is one row per application (exam_tickets'
-- primary key), rendered by a conditional update from pending: a crash loses or duplicates nothing.
CREATE TABLE exam_ticket_chunks (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  batch_id    uuid NOT NULL REFERENCES batches (id),
  gen         integer NOT NULL DEFAULT 0,
  retry_at    timestamptz NOT NULL,
  lease_until timestamptz,
  done_at     timestamptz,
  created_at  timestamptz NOT NULL
);
CREATE INDEX exam_ticket_chunks_due_idx ON exam_ticket_chunks (retry_at) WHERE done_at IS NULL;
CREATE INDEX exam_ticket_chunks_batch_idx ON exam_ticket_chunks (tenant_id, batch_id);
SELECT skillcert_tenant_rls('exam_ticket_chunks', false);

ALTER TABLE exam_tickets ADD COLUMN chunk_id uuid;
CREATE INDEX exam_tickets_chunk_idx ON exam_tickets (tenant_id, chunk_id) WHERE status = 'pending';

-- A batch's archive (考务档案) was made: from then on the batch is immutable (its writers refuse).
ALTER TABLE batches ADD COLUMN archived_at timestamptz;
