package identity

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Account management: a person changes their own password; a tenant's administrator changes a user's
// roles, resets a user's password, and enables a disabled user again.

// Stable codes of the account operations' field errors.
const (
	CodeWrongPassword = "wrong_password"  // current_password does not match
	CodeSameAsCurrent = "same_as_current" // new_password equals the current one
	CodeOwnAdminRole  = "own_admin_role"  // an administrator may not take their own admin role away
)

// PasswordChange is a person's change of their own password.
type PasswordChange struct {
	Current string // the password now, checked like a login
	New     string // the new password, held to CheckPassword's rules
	// Token is the session making the change: it is kept, and every other session of the user is
	// revoked (a password is changed because it may be known to someone else, whose sessions end).
	Token string
	// ClientIP counts a wrong current password against the login throttle of the account and address.
	ClientIP string
}

// ChangePassword sets the acting user's password after checking the current one. A wrong current
// password is 422 with the field error current_password:wrong_password and counts as a failed login
// (so the form can't be used to guess passwords past the login throttle; once blocked, ErrRateLimited);
// the new one must pass CheckPassword (field new_password) and differ from the current one. Every other
// session of the user is revoked; the session of in.Token stays valid. Audited as user.change_password.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	actor := tenants.ActorFrom(ctx)
	if actor.UserID == uuid.Nil {
		return ErrUnauthenticated
	}
	_, keep, ok := parseToken(in.Token)
	if !ok {
		return ErrUnauthenticated
	}
	var v platform.Validation
	v.Check(in.Current != "", "current_password", "required", "the current password is required")
	checkPassword(&v, "new_password", in.New, actor.Name, scope.Slug)
	if err := v.Err(); err != nil {
		return err
	}
	account := strings.ToLower(scope.Slug) + "/" + actor.Name
	blocked, err := s.throttle.Blocked(ctx, account, in.ClientIP)
	if err != nil {
		return platform.Wrap(platform.KindUnavailable, "unavailable", "changing the password is unavailable", err)
	}
	if blocked {
		return ErrRateLimited
	}
	var u *userRow
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		u, err = userByID(ctx, tx, scope.TenantID, actor.UserID)
		return err
	})
	if err != nil {
		return err
	}
	match, err := VerifyPassword(u.PasswordHash, in.Current)
	if err != nil {
		return err
	}
	if !match {
		if err := s.throttle.Fail(ctx, account, in.ClientIP); err != nil {
			s.log.Warn("login throttle unavailable", "err", err)
		}
		return fieldError("current_password", CodeWrongPassword, "the current password is wrong")
	}
	if in.New == in.Current {
		return fieldError("new_password", CodeSameAsCurrent, "the new password must differ from the current one")
	}
	hash, err := HashPassword(in.New)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		if err := setPasswordHash(ctx, tx, scope.TenantID, u.ID, hash, now); err != nil {
			return err
		}
		n, err := revokeOtherSessions(ctx, tx, scope.TenantID, u.ID, keep, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.change_password", TargetType: "user", TargetID: u.ID.String(),
			After: map[string]any{"sessions_revoked": n}})
	})
}

// SetUserRoles replaces the roles of a user of the tenant in ctx. The roles must fit the tenant's kind
// (422 invalid_role), be at least one and none twice (422 validation_failed on roles); an administrator
// may not take their own admin role away (422 own_admin_role: the tenant would risk having no one
// left to manage it). Audited as user.set_roles with the roles before and after; the authorizer of every
// instance learns the change after commit.
func (s *Service) SetUserRoles(ctx context.Context, id uuid.UUID, roles []string) (User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return User{}, tenants.ErrNoScope
	}
	roles = slices.Clone(roles)
	for i := range roles {
		roles[i] = strings.TrimSpace(roles[i])
	}
	var v platform.Validation
	if err := checkRoles(&v, scope.Kind, roles, s.validRole); err != nil {
		return User{}, err
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	sort.Strings(roles)
	actor := tenants.ActorFrom(ctx)
	if id == actor.UserID {
		for _, r := range []string{"admin", "platform_admin"} {
			if actor.HasRole(r) && !slices.Contains(roles, r) {
				return User{}, &platform.Error{Kind: platform.KindUnprocessable, Code: CodeOwnAdminRole,
					Message: "you may not take your own " + r + " role away; another administrator can",
					Fields:  []platform.FieldError{{Field: "roles", Code: CodeOwnAdminRole, Message: r}}}
			}
		}
	}
	var u User
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := userByID(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		before, err := rolesOf(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		if err := replaceRoles(ctx, tx, scope.TenantID, id, roles); err != nil {
			return err
		}
		u = row.user(roles)
		return audit.Record(ctx, tx, audit.Event{Action: "user.set_roles", TargetType: "user", TargetID: id.String(),
			Before: map[string]any{"roles": nonNil(before[id])}, After: map[string]any{"roles": roles}})
	})
	if err != nil {
		return User{}, err
	}
	_ = s.ApplyRoles(ctx, scope.Kind, scope.TenantID, u)
	return u, nil
}

// SetUserPassword is an administrator's reset of the password of a user of the tenant in ctx: the
// password must pass CheckPassword (field password), every session of the user is revoked, and the
// reset is audited as user.reset_password (never the password).
func (s *Service) SetUserPassword(ctx context.Context, id uuid.UUID, password string) error {
	return s.resetPassword(ctx, func(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) (*userRow, error) {
		return userByID(ctx, tx, tenantID, id)
	}, password)
}

// EnableUser switches a disabled user of the tenant in ctx on again (they log in with their
// password; sessions revoked when they were disabled stay revoked). Enabling an active user changes
// nothing and is not an error. Audited as user.enable.
func (s *Service) EnableUser(ctx context.Context, id uuid.UUID) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		u, err := userByID(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		if u.Status == StatusActive {
			return nil
		}
		if err := setUserStatus(ctx, tx, scope.TenantID, id, StatusActive, s.now().UTC()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.enable", TargetType: "user", TargetID: id.String(),
			Before: map[string]any{"status": u.Status}, After: map[string]any{"status": StatusActive}})
	})
}

// resetPassword sets the password of the user find returns, after CheckPassword against that user's
// name, and revokes all their sessions.
func (s *Service) resetPassword(ctx context.Context, find func(context.Context, bun.IDB, uuid.UUID) (*userRow, error), password string) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	var u *userRow
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		u, err = find(ctx, tx, scope.TenantID)
		return err
	})
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Username, scope.Slug); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		if err := setPasswordHash(ctx, tx, scope.TenantID, u.ID, hash, now); err != nil {
			return err
		}
		if err := revokeUserSessions(ctx, tx, scope.TenantID, u.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.reset_password", TargetType: "user", TargetID: u.ID.String(),
			After: map[string]any{"username": u.Username}})
	})
}

// checkRoles checks a set of roles for a tenant of kind: at least one, none twice (field errors added
// to v), each fitting the kind (else the 422 invalid_role error it returns).
func checkRoles(v *platform.Validation, kind tenants.Kind, roles []string, validRole func(tenants.Kind, string) bool) error {
	if len(roles) == 0 {
		v.Add("roles", "required", "at least one role is required")
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if !validRole(kind, r) {
			return &platform.Error{Kind: platform.KindUnprocessable, Code: "invalid_role",
				Message: "role " + r + " does not fit a " + string(kind) + " tenant",
				Fields:  []platform.FieldError{{Field: "roles", Code: "invalid_role", Message: r}}}
		}
		if seen[r] {
			v.Add("roles", "duplicate", "role "+r+" is listed twice")
		}
		seen[r] = true
	}
	return nil
}

func fieldError(field, code, msg string) error {
	var v platform.Validation
	v.Add(field, code, msg)
	return v.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// revokeOtherSessions revokes the user's sessions except the one whose token hashes to keep, and
// reports how many it revoked.
func revokeOtherSessions(ctx context.Context, db bun.IDB, tenantID, userID uuid.UUID, keep []byte, at time.Time) (int64, error) {
	res, err := db.NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", at).
		Where("tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND token_hash <> ?", tenantID, userID, keep).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
