package identity

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// sessionLookupSQL is the authentication query of every request.
const sessionLookupSQL = `SELECT s.token_hash, s.tenant_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
	s.revoked_at, s.client_ip, u.username, u.display_name, u.status, t.kind, t.region_code, t.slug, t.status,
	coalesce((SELECT string_agg(r.role, ',') FROM user_roles AS r WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id), '')
FROM sessions AS s
JOIN users AS u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
JOIN tenants AS t ON t.id = s.tenant_id
WHERE s.tenant_id = $1 AND s.token_hash = $2`

// lookupSessionPG resolves a session on PostgreSQL in one round trip through tenants.QueryPG: the
// tenant scope and the lookup are pipelined as one implicit transaction, the lookup prepared once per
// connection (under the pool's simple protocol PostgreSQL would parse and plan this RLS-filtered join on
// every request). ctx carries the token's tenant as its scope.
func lookupSessionPG(ctx context.Context, db *bun.DB, tenantID uuid.UUID, hash []byte) (*sessionView, error) {
	var v *sessionView
	err := tenants.QueryPG(ctx, db, sessionLookupSQL, []any{tenantID, hash}, func(rows pgx.Rows) error {
		v = new(sessionView)
		return rows.Scan(&v.TokenHash, platform.UUIDDest{P: &v.TenantID}, platform.UUIDDest{P: &v.UserID}, &v.CreatedAt,
			&v.LastSeenAt, &v.ExpiresAt, &v.RevokedAt, &v.ClientIP, &v.Username, &v.DisplayName, &v.UserStatus, &v.Kind,
			&v.RegionCode, &v.Slug, &v.TenantState, &v.RoleList)
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrUnauthenticated
	}
	return v, nil
}
