package identity

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	TenantID     uuid.UUID `bun:"tenant_id,type:uuid"`
	Username     string    `bun:"username"`
	DisplayName  string    `bun:"display_name"`
	PasswordHash string    `bun:"password_hash"`
	Status       string    `bun:"status"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

type roleRow struct {
	bun.BaseModel `bun:"table:user_roles"`

	TenantID uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	UserID   uuid.UUID `bun:"user_id,pk,type:uuid"`
	Role     string    `bun:"role,pk"`
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	TokenHash  []byte     `bun:"token_hash,pk"`
	TenantID   uuid.UUID  `bun:"tenant_id,type:uuid"`
	UserID     uuid.UUID  `bun:"user_id,type:uuid"`
	CreatedAt  time.Time  `bun:"created_at"`
	LastSeenAt time.Time  `bun:"last_seen_at"`
	ExpiresAt  time.Time  `bun:"expires_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
	ClientIP   string     `bun:"client_ip"`
}

// sessionView is a session joined with its user and tenant: everything a request's auth needs.
type sessionView struct {
	sessionRow
	Username    string `bun:"username"`
	DisplayName string `bun:"display_name"`
	UserStatus  string `bun:"user_status"`
	Kind        string `bun:"kind"`
	RegionCode  string `bun:"region_code"`
	Slug        string `bun:"slug"`
	TenantState string `bun:"tenant_status"`
	RoleList    string `bun:"roles"` // comma-separated, folded into the lookup to save a round trip
}

func (r *userRow) user(roles []string) User {
	return User{ID: r.ID, TenantID: r.TenantID, Username: r.Username, DisplayName: r.DisplayName,
		Roles: roles, Status: r.Status, CreatedAt: r.CreatedAt.UTC()}
}

// usernameKey is PostgreSQL's name for users' UNIQUE (tenant_id, username).
const usernameKey = "users_tenant_id_username_key"

func insertUser(ctx context.Context, db bun.IDB, u *userRow, roles []string) error {
	if _, err := db.NewInsert().Model(u).Exec(ctx); err != nil {
		if platform.IsConstraint(err, usernameKey) {
			return ErrUsernameTaken
		}
		return err
	}
	return replaceRoles(ctx, db, u.TenantID, u.ID, roles)
}

func replaceRoles(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID, roles []string) error {
	if _, err := db.NewDelete().Model((*roleRow)(nil)).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Exec(ctx); err != nil {
		return err
	}
	if len(roles) == 0 {
		return nil
	}
	rows := make([]roleRow, len(roles))
	for i, r := range roles {
		rows[i] = roleRow{TenantID: tenantID, UserID: userID, Role: r}
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

func userByName(ctx context.Context, db bun.IDB, tenantID uuid.UUID, username string) (*userRow, error) {
	u := new(userRow)
	err := db.NewSelect().Model(u).Where("tenant_id = ? AND username = ?", tenantID, username).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUserNotFound
	}
	return u, err
}

func userByID(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID) (*userRow, error) {
	u := new(userRow)
	err := db.NewSelect().Model(u).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUserNotFound
	}
	return u, err
}

func rolesOf(ctx context.Context, db bun.IDB, tenantID uuid.UUID, userIDs ...uuid.UUID) (map[uuid.UUID][]string, error) {
	out := map[uuid.UUID][]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []roleRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Where("user_id IN (?)", bun.In(userIDs)).
		OrderExpr("role").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.Role)
	}
	return out, nil
}

func insertSession(ctx context.Context, db bun.IDB, s *sessionRow) error {
	_, err := db.NewInsert().Model(s).Exec(ctx)
	return err
}

func sessionByHash(ctx context.Context, db bun.IDB, tenantID uuid.UUID, hash []byte) (*sessionView, error) {
	v := new(sessionView)
	err := db.NewSelect().
		TableExpr("sessions AS s").
		Join("JOIN users AS u ON u.id = s.user_id AND u.tenant_id = s.tenant_id").
		Join("JOIN tenants AS t ON t.id = s.tenant_id").
		ColumnExpr("s.*").
		ColumnExpr("u.username, u.display_name, u.status AS user_status").
		ColumnExpr("t.kind, t.region_code, t.slug, t.status AS tenant_status").
		ColumnExpr("(SELECT "+aggregate(db)+" FROM user_roles AS r WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id) AS roles").
		Where("s.tenant_id = ? AND s.token_hash = ?", tenantID, hash).
		Scan(ctx, v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	return v, err
}

// aggregate is the dialect's string aggregation of role names.
func aggregate(db bun.IDB) string {
	if platform.IsPostgres(db) {
		return "coalesce(string_agg(r.role, ','), '')"
	}
	return "coalesce(group_concat(r.role, ','), '')"
}

func touchSession(ctx context.Context, db bun.IDB, tenantID uuid.UUID, hash []byte, at time.Time) error {
	_, err := db.NewUpdate().Model((*sessionRow)(nil)).Set("last_seen_at = ?", at).
		Where("tenant_id = ? AND token_hash = ?", tenantID, hash).Exec(ctx)
	return err
}

func revokeSession(ctx context.Context, db bun.IDB, tenantID uuid.UUID, hash []byte, at time.Time) error {
	_, err := db.NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", at).
		Where("tenant_id = ? AND token_hash = ? AND revoked_at IS NULL", tenantID, hash).Exec(ctx)
	return err
}

func revokeUserSessions(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID, at time.Time) error {
	_, err := db.NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", at).
		Where("tenant_id = ? AND user_id = ? AND revoked_at IS NULL", tenantID, userID).Exec(ctx)
	return err
}

func setUserStatus(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID, status string, at time.Time) error {
	_, err := db.NewUpdate().Model((*userRow)(nil)).Set("status = ?, updated_at = ?", status, at).
		Where("tenant_id = ? AND id = ?", tenantID, userID).Exec(ctx)
	return err
}

func setPasswordHash(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID, hash string, at time.Time) error {
	_, err := db.NewUpdate().Model((*userRow)(nil)).Set("password_hash = ?, updated_at = ?", hash, at).
		Where("tenant_id = ? AND id = ?", tenantID, userID).Exec(ctx)
	return err
}

// listUsers pages users by (created_at, id) or (username, id), keyset.
func listUsers(ctx context.Context, db bun.IDB, tenantID uuid.UUID, sortKey string, desc bool, after *userCursor, limit int) ([]userRow, error) {
	var rows []userRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	col := "created_at"
	if sortKey == SortUsername {
		col = "username"
	}
	if after != nil {
		if col == "username" {
			q = q.Where("(username, id) "+op+" (?, ?)", after.Username, after.ID)
		} else {
			q = q.Where("(created_at, id) "+op+" (?, ?)", after.CreatedAt, after.ID)
		}
	}
	err := q.OrderExpr(col + " " + dir + ", id " + dir).Limit(int64(limit)).Scan(ctx)
	return rows, err
}

type userCursor struct {
	CreatedAt time.Time
	Username  string
	ID        uuid.UUID
}

// allAssignments reads every role assignment of every tenant for the authorizer (system read).
func allAssignments(ctx context.Context, db *bun.DB) ([]assignment, error) {
	var out []assignment
	err := tenants.SystemReadTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().TableExpr("user_roles AS r").Join("JOIN tenants AS t ON t.id = r.tenant_id").
			ColumnExpr("r.tenant_id, r.user_id, r.role, t.kind").Scan(ctx, &out)
	})
	return out, err
}

type assignment struct {
	TenantID uuid.UUID `bun:"tenant_id,type:uuid"`
	UserID   uuid.UUID `bun:"user_id,type:uuid"`
	Role     string    `bun:"role"`
	Kind     string    `bun:"kind"`
}
