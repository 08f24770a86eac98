package institutions

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
)

// Records reads institutions' lifecycle records, read-only, straight from the lifecycle modules'
// tables: batches and batch_supervisors (batches), applications (batches), certificates
// (certificates). Every method runs inside the regulator's oversight transaction or a system read, so
// row-level security limits it to what the caller may read whatever the query says. Other oversight
// services consume it through small interfaces of their own; schema_pin_test.go pins every column it
// reads.
type Records struct{}

// newestFirst is the order of the records' lists: latest created first.
var newestFirst = core.Keyset{Column: "created_at", Desc: true}

// Batches lists up to limit of an institution's batches after the keyset position, newest first.
func (Records) Batches(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, f RecordFilter, after core.TimeKey, limit int) ([]BatchRecord, error) {
	var rows []BatchRecord
	q := tx.NewSelect().TableExpr("batches").
		ColumnExpr("id, title, occupation_code, level, status, exam_start, application_deadline, venue, fee_fen, capacity, created_at").
		Where("tenant_id = ?", institutionID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	err := newestFirst.Page(q, after, limit).Scan(ctx, &rows)
	return rows, err
}

// Certificates lists up to limit of an institution's certificates after the keyset position, newest
// first.
func (Records) Certificates(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, f RecordFilter, after core.TimeKey, limit int) ([]CertificateRecord, error) {
	var rows []CertificateRecord
	q := tx.NewSelect().TableExpr("certificates").
		ColumnExpr("id, coalesce(number, '') AS number, status, holder_name, occupation_code, level, issued_on, batch_id, created_at").
		Where("tenant_id = ?", institutionID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.BatchID != uuid.Nil {
		q = q.Where("batch_id = ?", f.BatchID)
	}
	if f.ID != uuid.Nil {
		q = q.Where("id = ?", f.ID)
	}
	err := newestFirst.Page(q, after, limit).Scan(ctx, &rows)
	return rows, err
}

// Holdings lists the certificates an institution holds (issued or revoked, not pending), ordered by
// issue day and number: what reconciliation compares with the reports.
func (Records) Holdings(ctx context.Context, tx bun.IDB, institutionID uuid.UUID) ([]Holding, error) {
	var out []Holding
	rows, err := tx.NewSelect().TableExpr("certificates").
		ColumnExpr("tenant_id, number, status, issued_on").
		Where("tenant_id = ?", institutionID).
		Where("status IN ('issued', 'revoked')").Where("number <> ''").
		OrderExpr("issued_on, number").Rows(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h Holding
		if err := rows.Scan(&h.InstitutionID, &h.Number, &h.Status, &h.IssuedOn); err != nil {
			return nil, err
		}
		h.IssuedOn = core.DayOf(h.IssuedOn)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Unsupervised counts, per institution, the batches whose exam started since since without an
// internal quality supervisor assigned (逢考必督).
func (Records) Unsupervised(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since, now time.Time) (map[uuid.UUID]int, error) {
	out := map[uuid.UUID]int{}
	if len(institutionIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
		N        int       `bun:"n"`
	}
	err := tx.NewSelect().TableExpr("batches AS b").ColumnExpr("b.tenant_id, count(*) AS n").
		Where("b.tenant_id IN (?)", bun.In(institutionIDs)).
		Where("b.status IN ('open', 'closed', 'publicity', 'finalized')").
		Where("b.exam_start >= ?", since).Where("b.exam_start <= ?", now).
		Where("NOT EXISTS (SELECT 1 FROM batch_supervisors s WHERE s.tenant_id = b.tenant_id AND s.batch_id = b.id)").
		GroupExpr("b.tenant_id").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.TenantID] = r.N
	}
	return out, err
}

// OpenApplications calls fn for every application still in play (its batch open, closed or in
// publicity; the application not refused), across the institutions tx can read: the repeat-testing
// check looks for people applying for a level they already hold.
func (Records) OpenApplications(ctx context.Context, tx bun.IDB, fn func(ApplicationFact) error) error {
	rows, err := tx.NewSelect().TableExpr("applications AS a").
		Join("JOIN batches AS b ON b.tenant_id = a.tenant_id AND b.id = a.batch_id").
		ColumnExpr("a.tenant_id, a.id, a.id_type, a.id_number, b.occupation_code, b.level, a.status, a.created_at").
		Where("b.status IN ('open', 'closed', 'publicity')").
		Where("a.status IN ('eligible', 'pending_review', 'approved')").
		OrderExpr("a.tenant_id, a.id").Rows(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a ApplicationFact
		if err := rows.Scan(&a.InstitutionID, &a.ApplicationID, &a.IDType, &a.IDNumber, &a.OccupationCode, &a.Level, &a.Status, &a.CreatedAt); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Objections counts, per institution, the objections raised in publicity since since (a signal of
// risk-weighted sampling).
func (Records) Objections(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int, error) {
	out := map[uuid.UUID]int{}
	if len(institutionIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
		N        int       `bun:"n"`
	}
	err := tx.NewSelect().TableExpr("objections").ColumnExpr("tenant_id, count(*) AS n").
		Where("tenant_id IN (?)", bun.In(institutionIDs)).Where("created_at >= ?", since).
		GroupExpr("tenant_id").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.TenantID] = r.N
	}
	return out, err
}

// EvaluatorOverlap counts, per institution, the batches whose exam started since since in which
// one user both evaluates and is the internal quality supervisor — who then supervises themself (a
// signal of risk-weighted sampling).
func (Records) EvaluatorOverlap(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int, error) {
	out := map[uuid.UUID]int{}
	if len(institutionIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
		N        int       `bun:"n"`
	}
	err := tx.NewSelect().TableExpr("batches AS b").ColumnExpr("b.tenant_id, count(*) AS n").
		Where("b.tenant_id IN (?)", bun.In(institutionIDs)).Where("b.exam_start >= ?", since).
		Where("EXISTS (SELECT 1 FROM batch_evaluators e JOIN batch_supervisors s ON s.tenant_id = e.tenant_id AND s.batch_id = e.batch_id AND s.user_id = e.user_id WHERE e.tenant_id = b.tenant_id AND e.batch_id = b.id)").
		GroupExpr("b.tenant_id").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.TenantID] = r.N
	}
	return out, err
}
