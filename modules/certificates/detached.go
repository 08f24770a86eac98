package certificates

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// SignDetached signs payload with the active signing key of the institution in ctx — the key its
// credentials are signed with, created on first use and published at /.well-known/skillcert/keys — as
// a detached EdDSA JWS (credential.Key.SignDetached). The exams module signs its archives' manifests
// with it.
func (s *Service) SignDetached(ctx context.Context, payload []byte) (string, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return "", err
	}
	var jws string
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ring, _, err := s.signingRing(ctx, tx, scope.TenantID, s.clock())
		if err != nil {
			return err
		}
		jws, err = ring.SignDetached(payload)
		return err
	})
	return jws, err
}
