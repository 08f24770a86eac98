package oversight

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Records reads institutions' lifecycle records (batches, certificates) for the regulator's view.
// Every method runs inside the regulator's oversight transaction, so row-level security limits it to
// the institutions in jurisdiction whatever the query says. The SQL implementation reads the
// lifecycle modules' tables directly, read-only (schema_pin_test.go pins every column it reads).
type Records interface {
	// Batches lists up to limit of an institution's batches after the keyset position, newest first.
	Batches(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, f RecordFilter, after timeKey, limit int) ([]BatchRecord, error)
	// Certificates lists up to limit of an institution's certificates after the keyset position, newest first.
	Certificates(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, f RecordFilter, after timeKey, limit int) ([]CertificateRecord, error)
	// Holdings lists the certificates an institution holds (issued or revoked, not pending), ordered by
	// issue day and number: what reconciliation compares with the reports.
	Holdings(ctx context.Context, tx bun.IDB, institutionID uuid.UUID) ([]Holding, error)
	// Unsupervised counts, per institution, the batches whose exam started since since without an
	// internal quality supervisor assigned (逢考必督).
	Unsupervised(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since, now time.Time) (map[uuid.UUID]int, error)
	// OpenApplications calls fn for every application still in play (its batch open, closed or in
	// publicity; the application not refused), across the institutions tx can read: the repeat-testing
	// check looks for people applying for a level they already hold.
	OpenApplications(ctx context.Context, tx bun.IDB, fn func(ApplicationFact) error) error
}

// ApplicationFact is an application as the repeat-testing check needs it.
type ApplicationFact struct {
	InstitutionID  uuid.UUID
	ApplicationID  uuid.UUID
	IDType         string
	IDNumber       string
	OccupationCode string
	Level          int
	Status         string
	CreatedAt      time.Time
}

// RecordFilter narrows a listing of an institution's batches or certificates.
type RecordFilter struct {
	Status  string
	BatchID uuid.UUID // certificates of one batch
}

// BatchRecord is a batch as a regulator sees it.
type BatchRecord struct {
	ID                  uuid.UUID  `json:"id"`
	Title               string     `json:"title"`
	OccupationCode      string     `json:"occupation_code"`
	Level               int        `json:"level"`
	Status              string     `json:"status"`
	ExamStart           *time.Time `json:"exam_start,omitempty"`
	ApplicationDeadline *time.Time `json:"application_deadline,omitempty"`
	Venue               string     `json:"venue,omitempty"`
	FeeFen              int64      `json:"fee_fen"`
	Capacity            int        `json:"capacity"`
	CreatedAt           time.Time  `json:"created_at"`
}

// CertificateRecord is a certificate as a regulator sees it (the holder's name in full: the regulator
// is entitled to it; the id number is not listed).
type CertificateRecord struct {
	ID             uuid.UUID  `json:"id"`
	Number         string     `json:"number"`
	Status         string     `json:"status"`
	HolderName     string     `json:"holder_name"`
	OccupationCode string     `json:"occupation_code"`
	Level          int        `json:"level"`
	IssuedOn       *time.Time `json:"issued_on,omitempty"`
	BatchID        *uuid.UUID `json:"batch_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Holding is one certificate an institution holds, for reconciliation.
type Holding struct {
	InstitutionID uuid.UUID
	Number        string
	Status        string
	IssuedOn      time.Time
}

// sqlRecords reads the batches and certificates tables.
type sqlRecords struct{}

var _ Records = sqlRecords{}

func (sqlRecords) Batches(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, p RecordFilter, after timeKey, limit int) ([]BatchRecord, error) {
	var rows []BatchRecord
	q := tx.NewSelect().TableExpr("batches").
		ColumnExpr("id, title, occupation_code, level, status, exam_start, application_deadline, venue, fee_fen, capacity, created_at").
		Where("tenant_id = ?", institutionID)
	if p.Status != "" {
		q = q.Where("status = ?", p.Status)
	}
	if after.id != uuid.Nil {
		q = q.Where("(created_at, id) < (?, ?)", after.at, after.id)
	}
	err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx, &rows)
	return rows, err
}

func (sqlRecords) Certificates(ctx context.Context, tx bun.IDB, institutionID uuid.UUID, p RecordFilter, after timeKey, limit int) ([]CertificateRecord, error) {
	var rows []CertificateRecord
	q := tx.NewSelect().TableExpr("certificates").
		ColumnExpr("id, coalesce(number, '') AS number, status, holder_name, occupation_code, level, issued_on, batch_id, created_at").
		Where("tenant_id = ?", institutionID)
	if p.Status != "" {
		q = q.Where("status = ?", p.Status)
	}
	if p.BatchID != uuid.Nil {
		q = q.Where("batch_id = ?", p.BatchID)
	}
	if after.id != uuid.Nil {
		q = q.Where("(created_at, id) < (?, ?)", after.at, after.id)
	}
	err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx, &rows)
	return rows, err
}

func (sqlRecords) Holdings(ctx context.Context, tx bun.IDB, institutionID uuid.UUID) ([]Holding, error) {
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
		h.IssuedOn = dayOf(h.IssuedOn)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (sqlRecords) Unsupervised(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since, now time.Time) (map[uuid.UUID]int, error) {
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

func (sqlRecords) OpenApplications(ctx context.Context, tx bun.IDB, fn func(ApplicationFact) error) error {
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
