package delivery

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// CountFailing counts the reports of the regulator in ctx that wait behind a failing delivery: not yet
// delivered, in an institution's stream that is retrying or dead-lettered. The console's 工作台 shows
// it.
func (s *Service) CountFailing(ctx context.Context) (int, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		failing := tx.NewSelect().TableExpr("oversight_sync_streams AS s").ColumnExpr("1").
			Where("s.tenant_id = d.tenant_id AND s.institution_id = d.institution_id").Where("s.state <> ?", streamOK)
		c, err := tx.NewSelect().TableExpr("oversight_sync_deliveries AS d").Where("d.tenant_id = ?", scope.TenantID).
			Where("d.delivered_at IS NULL").Where("EXISTS (?)", failing).Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
