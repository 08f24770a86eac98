package filings

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// CountRenewable counts the approved filings of the institution in ctx that end within the renewal
// window (RenewalMonths before valid_until, until it) and have no renewal submitted or approved:
// filings near expiry that the institution should renew now. The console's 工作台 shows it.
func (s *Service) CountRenewable(ctx context.Context) (int, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return 0, err
	}
	today := Day(s.now())
	// valid_until is exclusive: a filing is renewable from RenewalOpens(valid_until) <= today, that is
	// valid_until <= today + RenewalMonths, while today < valid_until.
	horizon := today.AddDate(0, RenewalMonths, 0)
	var n int
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		renewals := tx.NewSelect().TableExpr("filings AS r").ColumnExpr("1").
			Where("r.tenant_id = f.tenant_id AND r.renewal_of = f.id AND r.status IN (?)",
				bun.In([]string{string(StatusSubmitted), string(StatusApproved)}))
		c, err := tx.NewSelect().Model((*filingRow)(nil)).
			Where("f.tenant_id = ? AND f.status = ? AND f.valid_until > ? AND f.valid_until <= ?",
				sc.TenantID, string(StatusApproved), today, horizon).
			Where("NOT EXISTS (?)", renewals).Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}

// CountToDecide counts the submitted filings of the institutions in the jurisdiction of the
// regulator in ctx: filings waiting for its decision (the console's 工作台).
func (s *Service) CountToDecide(ctx context.Context) (int, error) {
	_, ids, err := s.jurisdiction(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	var n int
	err = tenants.OversightTx(ctx, s.db, ids, func(ctx context.Context, tx bun.Tx) error {
		c, err := tx.NewSelect().Model((*filingRow)(nil)).
			Where("f.tenant_id IN (?)", bun.In(ids)).Where("f.status = ?", string(StatusSubmitted)).Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
