package crosscheck

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// CountOpen counts the regulator's unresolved cross-institution flags (the console's 工作台).
func (s *Service) CountOpen(ctx context.Context) (int, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		c, err := tx.NewSelect().Model((*flagRow)(nil)).Where("tenant_id = ?", scope.TenantID).Where("resolved_at IS NULL").Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
