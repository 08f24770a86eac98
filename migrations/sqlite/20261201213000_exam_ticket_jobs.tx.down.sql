ALTER TABLE batches DROP COLUMN archived_at;
DROP INDEX IF EXISTS exam_tickets_chunk_idx;
ALTER TABLE exam_tickets DROP COLUMN chunk_id;
DROP TABLE IF EXISTS exam_ticket_chunks;
