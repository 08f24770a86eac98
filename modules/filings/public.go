package filings

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// publicActor reads for the public verification page, which names the filing behind a certificate.
var publicActor = tenants.Actor{Name: "public"}

// PublicFiling returns a filing of the institution tenantID for the public verification page, which
// shows the filing that covered a certificate (its registration, approval and validity). It reads in
// that institution's scope; a filing that is not the institution's is not found.
func (s *Service) PublicFiling(ctx context.Context, tenantID, id uuid.UUID) (Filing, error) {
	ctx = tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID}), publicActor)
	var out Filing
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = getFiling(ctx, tx, tenantID, id, false)
		return err
	})
	return out, err
}
