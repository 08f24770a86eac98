package decisions

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

type decisionRow struct {
	bun.BaseModel `bun:"table:oversight_decisions"`

	TenantID          uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	InstitutionID     uuid.UUID  `bun:"institution_id,type:uuid"`
	Kind              string     `bun:"kind"`
	CertificateNumber string     `bun:"certificate_number"`
	Facts             string     `bun:"facts"`
	Reason            string     `bun:"reason"`
	Deadline          *time.Time `bun:"deadline"`
	ReviewOutcome     string     `bun:"review_outcome"`
	ReviewNote        string     `bun:"review_note"`
	ReviewedAt        *time.Time `bun:"reviewed_at"`
	DecidedBy         *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedByName     string     `bun:"decided_by_name"`
	DecidedAt         time.Time  `bun:"decided_at"`
}

// institutionDecisionRow is the institution's copy of a decision (tenant_id is the institution).
type institutionDecisionRow struct {
	bun.BaseModel `bun:"table:institution_decisions"`

	TenantID          uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	RegulatorID       uuid.UUID  `bun:"regulator_id,type:uuid"`
	RegulatorName     string     `bun:"regulator_name"`
	Kind              string     `bun:"kind"`
	CertificateNumber string     `bun:"certificate_number"`
	Facts             string     `bun:"facts"`
	Reason            string     `bun:"reason"`
	Deadline          *time.Time `bun:"deadline"`
	DecidedAt         time.Time  `bun:"decided_at"`
	Statement         string     `bun:"statement"`
	StatementAt       *time.Time `bun:"statement_at"`
	ReviewReason      string     `bun:"review_reason"`
	ReviewRequestedAt *time.Time `bun:"review_requested_at"`
	ReviewOutcome     string     `bun:"review_outcome"`
	ReviewNote        string     `bun:"review_note"`
	ReviewedAt        *time.Time `bun:"reviewed_at"`
}

func (r *institutionDecisionRow) decision() Decision {
	return Decision{ID: r.ID, RegulatorID: r.RegulatorID, RegulatorName: r.RegulatorName, InstitutionID: r.TenantID,
		Kind: Kind(r.Kind), CertificateNumber: r.CertificateNumber, Facts: r.Facts, Reason: r.Reason, Deadline: core.UTCPtr(r.Deadline),
		DecidedAt: r.DecidedAt.UTC(), Statement: r.Statement, StatementAt: core.UTCPtr(r.StatementAt), ReviewReason: r.ReviewReason,
		ReviewRequestedAt: core.UTCPtr(r.ReviewRequestedAt), ReviewOutcome: r.ReviewOutcome, ReviewNote: r.ReviewNote, ReviewedAt: core.UTCPtr(r.ReviewedAt)}
}

// regulatorView is the regulator's own record completed with the institution's answer (read in the
// oversight transaction; absent when the institution is no longer in jurisdiction).
func regulatorView(r *decisionRow, copy *institutionDecisionRow) Decision {
	d := Decision{ID: r.ID, RegulatorID: r.TenantID, InstitutionID: r.InstitutionID, Kind: Kind(r.Kind),
		CertificateNumber: r.CertificateNumber, Facts: r.Facts, Reason: r.Reason, Deadline: core.UTCPtr(r.Deadline), DecidedAt: r.DecidedAt.UTC(),
		DecidedBy: r.DecidedByName, ReviewOutcome: r.ReviewOutcome, ReviewNote: r.ReviewNote, ReviewedAt: core.UTCPtr(r.ReviewedAt)}
	if copy != nil {
		d.RegulatorName = copy.RegulatorName
		d.Statement, d.StatementAt = copy.Statement, core.UTCPtr(copy.StatementAt)
		d.ReviewReason, d.ReviewRequestedAt = copy.ReviewReason, core.UTCPtr(copy.ReviewRequestedAt)
	}
	return d
}

// decisionCopies reads the institutions' copies (their answers) of decisions: the oversight
// transaction lets it read them for institutions in jurisdiction only.
func decisionCopies(ctx context.Context, tx bun.IDB, rows []decisionRow) (map[uuid.UUID]*institutionDecisionRow, error) {
	out := map[uuid.UUID]*institutionDecisionRow{}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var copies []institutionDecisionRow
	if err := tx.NewSelect().Model(&copies).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for i := range copies {
		out[copies[i].ID] = &copies[i]
	}
	return out, nil
}

func getCopy(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID) (*institutionDecisionRow, error) {
	row := new(institutionDecisionRow)
	if err := tx.NewSelect().Model(row).Where("tenant_id = ?", tenantID).Where("id = ?", id).Scan(ctx); err != nil {
		if tenants.IsNoRows(err) {
			return nil, ErrDecisionNotFound
		}
		return nil, err
	}
	return row, nil
}

func decisionCursor(d Decision) string { return core.TimeCursor(d.DecidedAt, d.ID) }

// newestFirst is the order of the lists: latest decision first.
var newestFirst = core.Keyset{Column: "decided_at", Desc: true}
