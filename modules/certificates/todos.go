package certificates

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// CountFailed counts the certificates of the institution in ctx whose issuance failed and waits for
// a retry: still pending, with the reason of the last attempt recorded (a missing font, a lapsed
// filing, a suspension, …). The console's 工作台 shows it; an index on the pending, failed rows of a
// tenant serves it.
func (s *Service) CountFailed(ctx context.Context) (int, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := tx.NewSelect().Model((*certRow)(nil)).
			Where("tenant_id = ? AND status = ? AND last_error <> ''", scope.TenantID, string(StatusPending)).Count(ctx)
		n = int(c)
		return err
	})
	return n, err
}
