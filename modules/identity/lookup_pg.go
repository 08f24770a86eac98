package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

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

// sessionLookupName names the lookup's prepared statement on each pooled connection.
const sessionLookupName = "skillcert_session_lookup"

// lookupSessionPG resolves a session on PostgreSQL in one round trip: the tenant scope (role and
// app.tenant_id, local to the transaction) and the lookup go as one pipelined batch with a single
// Sync, which PostgreSQL runs as one implicit transaction — so the settings end with it, exactly as in
// tenants.WithTx. The pool talks the simple protocol (see platform.OpenPostgres), which would parse
// and plan this RLS-filtered join again on every request; the lookup instead runs as a statement
// prepared once per connection (pgx remembers it by name), so each request costs one execution of a
// cached plan. Parameters and results travel in text form, as with the rest of the pool.
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
		pc := sc.Conn()
		sd, err := pc.Prepare(ctx, sessionLookupName, sessionLookupSQL)
		if err != nil {
			return err
		}
		tenant := []byte(tenantID.String())
		b := &pgconn.Batch{}
		if err := tenants.QueueScope(ctx, pc, b, tenantID); err != nil {
			return err
		}
		b.ExecStatement(sd, [][]byte{tenant, hash}, []int16{pgtype.TextFormatCode, pgtype.BinaryFormatCode}, nil)
		results, err := pc.PgConn().ExecBatch(ctx, b).ReadAll()
		if err != nil {
			return err
		}
		if len(results) != 2 {
			return fmt.Errorf("identity: session lookup returned %d results", len(results))
		}
		res := results[1]
		if len(res.Rows) == 0 {
			return pgx.ErrNoRows
		}
		return pgx.ScanRow(pc.TypeMap(), res.FieldDescriptions, res.Rows[0],
			&v.TokenHash, &v.TenantID, &v.UserID, &v.CreatedAt, &v.LastSeenAt, &v.ExpiresAt,
			&v.RevokedAt, &v.ClientIP, &v.Username, &v.DisplayName, &v.UserStatus, &v.Kind, &v.RegionCode, &v.Slug,
			&v.TenantState, &v.RoleList)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	return v, err
}
