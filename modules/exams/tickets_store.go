package exams

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

// ---- Admission tickets: rows, chunks, leases (see tickets.go) ----

type ticketRow struct {
	bun.BaseModel `bun:"table:exam_tickets"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ApplicationID uuid.UUID  `bun:"application_id,pk,type:uuid"`
	BatchID       uuid.UUID  `bun:"batch_id,type:uuid"`
	TicketNumber  string     `bun:"ticket_number"`
	Status        string     `bun:"status"`
	PDF           []byte     `bun:"pdf"`
	Token         string     `bun:"token"`
	Attempts      int        `bun:"attempts"`
	Error         string     `bun:"error"`
	ChunkID       *uuid.UUID `bun:"chunk_id,type:uuid"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

type ticketChunkRow struct {
	bun.BaseModel `bun:"table:exam_ticket_chunks"`

	ID         uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID   uuid.UUID  `bun:"tenant_id,type:uuid"`
	BatchID    uuid.UUID  `bun:"batch_id,type:uuid"`
	Gen        int        `bun:"gen"`
	RetryAt    time.Time  `bun:"retry_at"`
	LeaseUntil *time.Time `bun:"lease_until"`
	DoneAt     *time.Time `bun:"done_at"`
	CreatedAt  time.Time  `bun:"created_at"`
}

// ticketTarget is an application of a batch that gets a ticket: seated and numbered.
type ticketTarget struct {
	ApplicationID uuid.UUID `bun:"application_id,type:uuid"`
	TicketNumber  string    `bun:"ticket_number"`
}

// ticketTargets lists the batch's seated applications with their ticket numbers, by number.
func ticketTargets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]ticketTarget, error) {
	var out []ticketTarget
	err := db.NewSelect().TableExpr("exam_ticket_numbers AS tn").ColumnExpr("tn.application_id, tn.ticket_number").
		Where("tn.tenant_id = ? AND tn.batch_id = ?", tenantID, batchID).
		Where("EXISTS (SELECT 1 FROM exam_seats AS st WHERE st.tenant_id = tn.tenant_id AND st.application_id = tn.application_id AND st.batch_id = tn.batch_id)").
		OrderExpr("tn.ticket_number").Scan(ctx, &out)
	return out, err
}

// existingTickets maps the batch's tickets' applications to their status.
func existingTickets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (map[uuid.UUID]string, error) {
	var rows []ticketRow
	if err := db.NewSelect().Model(&rows).Column("application_id", "status").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		out[r.ApplicationID] = r.Status
	}
	return out, nil
}

func insertTicketChunk(ctx context.Context, db bun.IDB, c *ticketChunkRow) error {
	_, err := db.NewInsert().Model(c).Exec(ctx)
	return err
}

func insertTickets(ctx context.Context, db bun.IDB, rows []ticketRow) error {
	for start := 0; start < len(rows); start += 500 {
		part := rows[start:min(start+500, len(rows))]
		if _, err := db.NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("inserting tickets: %w", err)
		}
	}
	return nil
}

// retryFailedTickets puts the batch's failed tickets back to pending in chunk chunkID.
func retryFailedTickets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, apps []uuid.UUID, chunkID uuid.UUID, now time.Time) error {
	_, err := db.NewUpdate().Model((*ticketRow)(nil)).
		Set("status = 'pending', error = '', chunk_id = ?, updated_at = ?", chunkID, now).
		Where("tenant_id = ? AND batch_id = ? AND status = 'failed' AND application_id IN (?)", tenantID, batchID, bun.In(apps)).
		Exec(ctx)
	return err
}

func getTicketChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID) (ticketChunkRow, error) {
	var r ticketChunkRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errTicketChunkNotVisible
	}
	return r, err
}

// errTicketChunkNotVisible: the chunk's task ran before the transaction that wrote it committed, or
// that transaction rolled back (or the tickets were deleted since).
var errTicketChunkNotVisible = errors.New("ticket chunk not found (not committed yet, rolled back or deleted)")

// lockPendingTickets selects the pending tickets of a chunk and locks them (PostgreSQL), skipping rows
// another task holds: two tasks on one chunk never render a ticket twice.
func lockPendingTickets(ctx context.Context, db bun.IDB, tenantID, chunkID uuid.UUID) ([]ticketRow, error) {
	var rows []ticketRow
	q := db.NewSelect().Model(&rows).Column("tenant_id", "application_id", "batch_id", "ticket_number", "status", "token", "attempts").
		Where("tenant_id = ? AND chunk_id = ? AND status = 'pending'", tenantID, chunkID).OrderExpr("ticket_number")
	if platform.IsPostgres(db) {
		q = q.For("UPDATE SKIP LOCKED")
	}
	return rows, q.Scan(ctx)
}

// settleTicket records a ticket's rendering: ready with its PDF, or failed with why. Only a pending
// ticket changes, so a second rendering of the same ticket writes nothing.
func settleTicket(ctx context.Context, db bun.IDB, tenantID, appID uuid.UUID, pdf []byte, failure string, now time.Time) (bool, error) {
	q := db.NewUpdate().Model((*ticketRow)(nil)).Set("attempts = attempts + 1, updated_at = ?", now).
		Where("tenant_id = ? AND application_id = ? AND status = 'pending'", tenantID, appID)
	if failure == "" {
		q = q.Set("status = 'ready', pdf = ?, error = ''", pdf)
	} else {
		q = q.Set("status = 'failed', error = ?", failure)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// finishTicketChunk marks a chunk done when none of its tickets is pending.
func finishTicketChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, now time.Time) error {
	_, err := db.NewUpdate().Model((*ticketChunkRow)(nil)).Set("done_at = ?", now).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL", tenantID, id).
		Where("NOT EXISTS (SELECT 1 FROM exam_tickets AS t WHERE t.tenant_id = ? AND t.chunk_id = ? AND t.status = 'pending')", tenantID, id).
		Exec(ctx)
	return err
}

// leaseTicketChunk sets the lease of a chunk not done to until (nil releases it).
func leaseTicketChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, until *time.Time) error {
	_, err := db.NewUpdate().Model((*ticketChunkRow)(nil)).Set("lease_until = ?", until).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL", tenantID, id).Exec(ctx)
	return err
}

type dueTicketChunk struct {
	ID         uuid.UUID  `bun:"id,type:uuid"`
	TenantID   uuid.UUID  `bun:"tenant_id,type:uuid"`
	Gen        int        `bun:"gen"`
	LeaseUntil *time.Time `bun:"lease_until"`
}

// dueTicketChunks lists, across tenants (read through tenants.SystemReadTx), the chunks not done whose
// lease expired or that no task holds and whose retry time came, the longest-waiting first.
func dueTicketChunks(ctx context.Context, db bun.IDB, now time.Time, limit int) ([]dueTicketChunk, error) {
	var rows []dueTicketChunk
	err := db.NewSelect().Model((*ticketChunkRow)(nil)).Column("id", "tenant_id", "gen", "lease_until").
		Where("done_at IS NULL").
		Where("(lease_until IS NULL AND retry_at <= ?) OR lease_until < ?", now, now).
		OrderExpr("coalesce(lease_until, retry_at)").Limit(int64(limit)).Scan(ctx, &rows)
	return rows, err
}

// claimDueTicketChunk moves a due chunk to its next generation (the id of its new task), pushes its
// retry time and drops an expired lease; false when it is done or changed since it was read.
func claimDueTicketChunk(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, gen int, now, retryAt time.Time) (int, bool, error) {
	var next int
	err := db.NewUpdate().Model((*ticketChunkRow)(nil)).Set("gen = gen + 1, retry_at = ?, lease_until = NULL", retryAt).
		Where("tenant_id = ? AND id = ? AND done_at IS NULL AND gen = ?", tenantID, id, gen).
		Where("lease_until IS NULL OR lease_until < ?", now).
		Returning("gen").Scan(ctx, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return next, err == nil, err
}

// postponeTicketChunks pushes the retry time of chunks whose task is still on its way in the queue.
func postponeTicketChunks(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID, retryAt time.Time) error {
	_, err := db.NewUpdate().Model((*ticketChunkRow)(nil)).Set("retry_at = ?", retryAt).
		Where("tenant_id = ? AND id IN (?) AND done_at IS NULL", tenantID, bun.In(ids)).Exec(ctx)
	return err
}

// deleteTicketChunks forgets the batch's chunks (its tickets are deleted with them).
func deleteTicketChunks(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) error {
	_, err := db.NewDelete().Model((*ticketChunkRow)(nil)).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Exec(ctx)
	return err
}

// listTickets reads a page of the batch's tickets by ticket number (without PDFs).
func listTickets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, req platform.PageRequest, after string) ([]ticketRow, error) {
	var rows []ticketRow
	q := db.NewSelect().Model(&rows).Column("application_id", "batch_id", "ticket_number", "status", "token", "error", "updated_at").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID)
	if after != "" {
		if req.Desc {
			q = q.Where("ticket_number < ?", after)
		} else {
			q = q.Where("ticket_number > ?", after)
		}
	}
	if req.Desc {
		q = q.OrderExpr("ticket_number DESC")
	} else {
		q = q.OrderExpr("ticket_number")
	}
	return rows, q.Limit(int64(req.Fetch())).Scan(ctx)
}

// readyTicketPDFs reads up to limit of the batch's ready tickets after ticket number after, by number,
// with their PDFs.
func readyTicketPDFs(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, after string, limit int) ([]ticketRow, error) {
	var rows []ticketRow
	err := db.NewSelect().Model(&rows).Column("ticket_number", "pdf").
		Where("tenant_id = ? AND batch_id = ? AND status = 'ready' AND ticket_number > ?", tenantID, batchID, after).
		OrderExpr("ticket_number").Limit(int64(limit)).Scan(ctx)
	return rows, err
}

// ticketOf reads one application's ticket (with its PDF when withPDF).
func ticketOf(ctx context.Context, db bun.IDB, tenantID, batchID, appID uuid.UUID, withPDF bool) (ticketRow, error) {
	var r ticketRow
	cols := []string{"application_id", "batch_id", "ticket_number", "status", "token", "error", "updated_at"}
	if withPDF {
		cols = append(cols, "pdf")
	}
	err := db.NewSelect().Model(&r).Column(cols...).
		Where("tenant_id = ? AND batch_id = ? AND application_id = ?", tenantID, batchID, appID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrTicketNotFound
	}
	return r, err
}

// ownTickets lists a candidate's tickets, newest batch first.
func ownTickets(ctx context.Context, db bun.IDB, tenantID, candidateID uuid.UUID) ([]ticketRow, error) {
	var rows []ticketRow
	err := db.NewSelect().Model(&rows).ModelTableExpr("exam_tickets AS t").
		ColumnExpr("t.application_id, t.batch_id, t.ticket_number, t.status, t.token, t.updated_at").
		Join("JOIN applications AS a ON a.tenant_id = t.tenant_id AND a.id = t.application_id").
		Where("t.tenant_id = ? AND a.candidate_id = ?", tenantID, candidateID).
		OrderExpr("t.created_at DESC, t.ticket_number").Scan(ctx)
	return rows, err
}

// ticketBatch is what a ticket prints of its batch and institution.
type ticketBatch struct {
	Title          string     `bun:"title"`
	OccupationCode string     `bun:"occupation_code"`
	OccupationName string     `bun:"occupation_name"`
	Subtype        string     `bun:"subtype"`
	Level          int        `bun:"level"`
	Status         string     `bun:"status"`
	Institution    string     `bun:"institution"`
	ArchivedAt     *time.Time `bun:"archived_at"`
}

func ticketBatchOf(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (ticketBatch, error) {
	var b ticketBatch
	err := db.NewSelect().TableExpr("batches AS b").
		ColumnExpr("b.title, b.occupation_code, b.occupation_name, b.subtype, b.level, b.status, b.archived_at, t.name AS institution").
		Join("JOIN tenants AS t ON t.id = b.tenant_id").
		Where("b.tenant_id = ? AND b.id = ?", tenantID, batchID).Scan(ctx, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrBatchNotFound
	}
	return b, err
}
