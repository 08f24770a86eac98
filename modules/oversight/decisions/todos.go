package decisions

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

// CountUnanswered counts the decisions regulators made about the institution in ctx that it has
// neither answered with a statement nor asked to review, and whose review is not decided: what the
// institution should read and may answer (陈述申辩, 复核). The console's 工作台 shows it.
func (s *Service) CountUnanswered(ctx context.Context) (int, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		c, err := tx.NewSelect().Model((*institutionDecisionRow)(nil)).
			Where("tenant_id = ? AND statement_at IS NULL AND review_requested_at IS NULL AND review_outcome = ''", scope.TenantID).
			Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}

// CountUnderReview counts the decisions of the regulator in ctx whose review the institution asked
// for (复核) and that are not decided yet: the regulator's to-do (the console's 工作台). The request
// is the institution's record, read in the oversight transaction.
func (s *Service) CountUnderReview(ctx context.Context) (int, error) {
	var n int
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if len(j.IDs) == 0 {
			return nil
		}
		c, err := tx.NewSelect().Model((*institutionDecisionRow)(nil)).
			Where("tenant_id IN (?)", bun.In(j.IDs)).Where("regulator_id = ?", j.Regulator.TenantID).
			Where("review_requested_at IS NOT NULL AND review_outcome = ''").Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
