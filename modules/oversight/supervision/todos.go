package supervision

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// CountOpenComplaints counts the complaints the regulator in ctx received and has not closed (the
// console's 工作台).
func (s *Service) CountOpenComplaints(ctx context.Context) (int, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		c, err := tx.NewSelect().Model((*complaintRow)(nil)).Where("tenant_id = ?", scope.TenantID).
			Where("status <> ?", ComplaintClosed).Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
