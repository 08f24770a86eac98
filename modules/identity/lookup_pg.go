package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// sessionLookupSQL is the authentication query of every request, prepared once per connection.
const sessionLookupSQL = `SELECT s.token_hash, s.tenant_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
	s.revoked_at, s.client_ip, u.username, u.display_name, u.status, t.kind, t.region_code, t.slug, t.status,
	coalesce((SELECT string_agg(r.role, ',') FROM user_roles AS r WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id), '')
FROM sessions AS s
JOIN users AS u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
JOIN tenants AS t ON t.id = s.tenant_id
WHERE s.tenant_id = $1 AND s.token_hash = $2`

// lookupSessionPG resolves a session on PostgreSQL in one round trip: the tenant scope (role and
// app.tenant_id, local to the transaction) and the lookup go as one pipelined batch, which
// PostgreSQL runs as a single implicit transaction ending at the batch's Sync — so the settings end
// with it, exactly as in tenants.WithTx. The lookup is a prepared statement cached per connection,
// so the RLS-filtered plan is not rebuilt on every request.
func lookupSessionPG(ctx context.Context, db *bun.DB, tenantID uuid.UUID, hash []byte) (*sessionView, error) {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	v := new(sessionView)
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("identity: unexpected driver connection %T", dc)
		}
		b := &pgx.Batch{}
		b.Queue(tenants.ScopeStatement, tenants.AppRole, tenantID.String())
		b.Queue(sessionLookupSQL, tenantID, hash)
		br := sc.Conn().SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
		err := br.QueryRow().Scan(&v.TokenHash, &v.TenantID, &v.UserID, &v.CreatedAt, &v.LastSeenAt, &v.ExpiresAt,
			&v.RevokedAt, &v.ClientIP, &v.Username, &v.DisplayName, &v.UserStatus, &v.Kind, &v.RegionCode, &v.Slug,
			&v.TenantState, &v.RoleList)
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	return v, err
}
