package certificates

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// Progress is how far the issuance of a batch's skill level certificates has come. A failed
// certificate is one still pending whose last attempt failed (LastError says why); the reconciler
// retries it with a growing backoff, so Pending counts only those still on their way.
type Progress struct {
	BatchID  uuid.UUID
	Total    int
	Issued   int // issued, and issued then revoked
	Revoked  int // of Issued, those revoked since
	Pending  int // queued, not yet attempted or not yet failed
	Failed   int // pending after a failed attempt
	Failures []Certificate
}

// Done reports whether nothing is on its way any more: every certificate is issued or set aside
// after a failure (to be retried later, not within seconds).
func (p Progress) Done() bool { return p.Pending == 0 }

// maxFailures bounds the failed certificates Progress lists.
const maxFailures = 100

// BatchProgress counts the skill level certificates of a batch of the tenant in ctx by state and
// lists the failed ones (at most 100) with their reasons. A batch without certificates (not
// finalized, nobody passed, or another tenant's) has all counts zero.
func (s *Service) BatchProgress(ctx context.Context, batchID uuid.UUID) (Progress, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{BatchID: batchID}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		counts, err := countBatch(ctx, tx, scope.TenantID, batchID)
		if err != nil {
			return err
		}
		for _, c := range counts {
			p.Total += c.N
			switch {
			case Status(c.Status) == StatusIssued:
				p.Issued += c.N
			case Status(c.Status) == StatusRevoked:
				p.Issued += c.N
				p.Revoked += c.N
			case c.Failed == 1:
				p.Failed += c.N
			default:
				p.Pending += c.N
			}
		}
		if p.Failed == 0 {
			return nil
		}
		rows, err := failedOfBatch(ctx, tx, scope.TenantID, batchID, maxFailures)
		for i := range rows {
			p.Failures = append(p.Failures, rows[i].cert())
		}
		return err
	})
	if err != nil {
		return Progress{}, err
	}
	return p, nil
}

type batchCount struct {
	Status string `bun:"status"`
	Failed int    `bun:"failed"`
	N      int    `bun:"n"`
}

// countBatch counts a batch's skill level certificates by status and, for pending ones, by whether
// an attempt failed.
func countBatch(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]batchCount, error) {
	var out []batchCount
	err := db.NewSelect().Model((*certRow)(nil)).
		ColumnExpr("status").
		ColumnExpr("CASE WHEN status = ? AND last_error <> '' THEN 1 ELSE 0 END AS failed", StatusPending).
		ColumnExpr("count(*) AS n").
		Where("tenant_id = ? AND batch_id = ? AND kind = ?", tenantID, batchID, KindSkillLevel).
		GroupExpr("1, 2").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("counting a batch's certificates: %w", err)
	}
	return out, nil
}

// failedOfBatch lists up to limit pending certificates of a batch whose last attempt failed.
func failedOfBatch(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, limit int) ([]certRow, error) {
	var rows []certRow
	err := db.NewSelect().Model(&rows).
		Where("tenant_id = ? AND batch_id = ? AND kind = ? AND status = ? AND last_error <> ''", tenantID, batchID, KindSkillLevel, StatusPending).
		OrderExpr("created_at, id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing a batch's failed certificates: %w", err)
	}
	return rows, nil
}
