package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// TenantResolver finds a tenant by slug (the directory module).
type TenantResolver interface {
	BySlug(ctx context.Context, slug string) (tenants.Tenant, error)
}

// RoleSetter applies role assignments to the authorizer of every instance (policies.Authorizer).
type RoleSetter interface {
	SetRoles(ctx context.Context, kind tenants.Kind, tenantID, userID uuid.UUID, roles []string) error
}

// Session lifetimes.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	touchEvery             = time.Minute // last_seen_at is written at most this often per session
)

// Service is identity's logic; the web console and the HTTP API both use it.
type Service struct {
	db        *bun.DB
	tenants   TenantResolver
	roles     RoleSetter
	throttle  *Throttle
	validRole func(tenants.Kind, string) bool
	log       *slog.Logger
	now       func() time.Time

	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
}

// NewService wires the identity service. validRole is policies.ValidRole.
func NewService(db *bun.DB, tr TenantResolver, roles RoleSetter, throttle *Throttle,
	validRole func(tenants.Kind, string) bool, log *slog.Logger) *Service {
	return &Service{db: db, tenants: tr, roles: roles, throttle: throttle, validRole: validRole, log: log,
		now: time.Now, IdleTimeout: DefaultIdleTimeout, AbsoluteTimeout: DefaultAbsoluteTimeout}
}

// LoginInput is what a person types.
type LoginInput struct {
	Tenant, Username, Password string
	ClientIP                   string
}

// LoginResult is a new session.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      User
}

// Login checks credentials and opens a session. Any wrong part answers ErrInvalidCredentials after
// the same argon2id work; repeated failures per account or address answer ErrRateLimited.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	account := strings.ToLower(strings.TrimSpace(in.Tenant)) + "/" + strings.TrimSpace(in.Username)
	blocked, err := s.throttle.Blocked(ctx, account, in.ClientIP)
	if err != nil {
		return LoginResult{}, platform.Wrap(platform.KindUnavailable, "unavailable", "login is unavailable", err)
	}
	t, terr := s.tenants.BySlug(ctx, strings.TrimSpace(in.Tenant))
	if blocked {
		if terr == nil {
			s.recordLogin(ctx, t, nil, in.Username, audit.OutcomeFailed, "rate_limited")
		}
		return LoginResult{}, ErrRateLimited
	}
	fail := func(u *userRow) (LoginResult, error) {
		if err := s.throttle.Fail(ctx, account, in.ClientIP); err != nil {
			s.log.Warn("login throttle unavailable", "err", err)
		}
		if terr == nil {
			s.recordLogin(ctx, t, u, in.Username, audit.OutcomeFailed, "invalid_credentials")
		}
		return LoginResult{}, ErrInvalidCredentials
	}
	if terr != nil && platform.KindOf(terr) != platform.KindNotFound {
		// The directory could not answer (the database is down, …): not the person's mistake, so
		// neither invalid_credentials nor a failure counted against the account.
		return LoginResult{}, fmt.Errorf("identity: resolving tenant for login: %w", terr)
	}
	if terr != nil || t.Status == tenants.StatusDisabled {
		_, _ = VerifyPassword(dummyHash, in.Password)
		return fail(nil)
	}
	ctx = tenants.WithScope(ctx, scopeOf(t))
	var res LoginResult
	var u *userRow
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		u, err = userByName(ctx, tx, t.ID, strings.TrimSpace(in.Username))
		if errors.Is(err, ErrUserNotFound) {
			_, _ = VerifyPassword(dummyHash, in.Password)
			return ErrInvalidCredentials
		}
		if err != nil {
			return err
		}
		ok, err := VerifyPassword(u.PasswordHash, in.Password)
		if err != nil {
			return err
		}
		if !ok || u.Status != StatusActive {
			return ErrInvalidCredentials
		}
		token, hash, err := newToken(t.ID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		sess := &sessionRow{TokenHash: hash, TenantID: t.ID, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(s.AbsoluteTimeout), ClientIP: in.ClientIP}
		if err := insertSession(ctx, tx, sess); err != nil {
			return err
		}
		roles, err := rolesOf(ctx, tx, t.ID, u.ID)
		if err != nil {
			return err
		}
		actx := tenants.WithActor(ctx, tenants.Actor{UserID: u.ID, Name: u.Username, Roles: roles[u.ID]})
		if err := audit.Record(actx, tx, audit.Event{Action: "auth.login", TargetType: "user", TargetID: u.ID.String(),
			After: map[string]any{"username": u.Username, "client_ip": in.ClientIP}}); err != nil {
			return err
		}
		res = LoginResult{Token: token, ExpiresAt: s.expiry(sess), User: u.user(roles[u.ID])}
		return nil
	})
	if errors.Is(err, ErrInvalidCredentials) {
		return fail(u)
	}
	if err != nil {
		return LoginResult{}, err
	}
	if err := s.throttle.Succeed(ctx, account, in.ClientIP); err != nil {
		s.log.Warn("login throttle unavailable", "err", err)
	}
	return res, nil
}

// expiry is when a session ends if unused: the idle deadline, capped by the absolute one.
func (s *Service) expiry(sess *sessionRow) time.Time {
	idle := sess.LastSeenAt.Add(s.IdleTimeout)
	if idle.After(sess.ExpiresAt) {
		return sess.ExpiresAt.UTC()
	}
	return idle.UTC()
}

func (s *Service) recordLogin(ctx context.Context, t tenants.Tenant, u *userRow, username string, outcome audit.Outcome, reason string) {
	ctx = tenants.WithScope(ctx, scopeOf(t))
	actor := tenants.Actor{Name: "anonymous"}
	target := ""
	if u != nil {
		actor = tenants.Actor{UserID: u.ID, Name: u.Username}
		target = u.ID.String()
	}
	ctx = tenants.WithActor(ctx, actor)
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return audit.Record(ctx, tx, audit.Event{Action: "auth.login", Outcome: outcome, TargetType: "user", TargetID: target,
			After: map[string]any{"username": username, "reason": reason}})
	})
	if err != nil {
		s.log.Error("recording failed login", "err", err)
	}
}

// Principal is an authenticated caller: the scope and actor a request runs as.
type Principal struct {
	Scope     tenants.Scope
	Actor     tenants.Actor
	User      User
	ExpiresAt time.Time
}

// Authenticate resolves a bearer token inside its tenant's scope. Revoked, expired (idle or absolute),
// disabled-user and disabled-tenant sessions all answer ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	tenantID, hash, ok := parseToken(token)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	ctx = tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID})
	var v *sessionView
	var err error
	if tenants.CanQueryPG(ctx, s.db) {
		v, err = lookupSessionPG(ctx, s.db, tenantID, hash)
	} else {
		err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
			v, err = sessionByHash(ctx, tx, tenantID, hash)
			return err
		})
	}
	if err != nil {
		return Principal{}, err
	}
	now := s.now().UTC()
	if v.RevokedAt != nil || !now.Before(v.ExpiresAt) || !now.Before(v.LastSeenAt.Add(s.IdleTimeout)) ||
		v.UserStatus != StatusActive || v.TenantState == string(tenants.StatusDisabled) {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(v.LastSeenAt) >= touchEvery { // at most once a minute per session
		if err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return touchSession(ctx, tx, tenantID, hash, now)
		}); err != nil {
			return Principal{}, err
		}
		v.LastSeenAt = now
	}
	var held []string
	if v.RoleList != "" {
		held = strings.Split(v.RoleList, ",")
		sort.Strings(held)
	}
	return Principal{
		Scope: tenants.Scope{TenantID: tenantID, Kind: tenants.Kind(v.Kind), RegionCode: v.RegionCode, Slug: v.Slug},
		Actor: tenants.Actor{UserID: v.UserID, Name: v.Username, Roles: held},
		User: User{ID: v.UserID, TenantID: tenantID, Username: v.Username, DisplayName: v.DisplayName,
			Roles: held, Status: v.UserStatus},
		ExpiresAt: s.expiry(&v.sessionRow),
	}, nil
}

// Logout revokes the token's session.
func (s *Service) Logout(ctx context.Context, token string) error {
	tenantID, hash, ok := parseToken(token)
	if !ok {
		return ErrUnauthenticated
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := revokeSession(ctx, tx, tenantID, hash, s.now().UTC()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "auth.logout", TargetType: "user", TargetID: tenants.ActorFrom(ctx).UserID.String()})
	})
}

// CreateUser adds a user to the tenant in ctx.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return User{}, tenants.ErrNoScope
	}
	var u User
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		u, err = s.CreateUserTx(ctx, tx, scope.Kind, in)
		return err
	})
	if err != nil {
		return User{}, err
	}
	// Committed: the user exists whatever happens next, so the answer is success.
	_ = s.ApplyRoles(ctx, scope.Kind, scope.TenantID, u)
	return u, nil
}

// CreateUserTx creates a user inside tx for the tenant in ctx, audited, without touching the
// authorizer: callers (CreateUser, the directory's first admin, candidate self-registration) call
// ApplyRoles after their transaction commits.
func (s *Service) CreateUserTx(ctx context.Context, tx bun.IDB, kind tenants.Kind, in NewUser) (User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return User{}, tenants.ErrNoScope
	}
	if err := in.Validate(kind, scope.Slug, s.validRole); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row := &userRow{ID: uuid.New(), TenantID: scope.TenantID, Username: in.Username, DisplayName: in.DisplayName,
		PasswordHash: hash, Status: StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := insertUser(ctx, tx, row, in.Roles); err != nil {
		return User{}, err
	}
	u := row.user(in.Roles)
	if err := audit.Record(ctx, tx, audit.Event{Action: "user.create", TargetType: "user", TargetID: u.ID.String(),
		After: map[string]any{"username": u.Username, "display_name": u.DisplayName, "roles": u.Roles}}); err != nil {
		return User{}, err
	}
	return u, nil
}

// ApplyRoles pushes a user's roles to the authorizer (after the transaction that stored them). It
// never fails the request that committed them: a failure is logged, and every instance's periodic
// reload from user_roles repairs it (the watcher itself retries a publish Redis refused). The error
// result is kept for callers' interfaces and is always nil.
func (s *Service) ApplyRoles(ctx context.Context, kind tenants.Kind, tenantID uuid.UUID, u User) error {
	if err := s.roles.SetRoles(ctx, kind, tenantID, u.ID, u.Roles); err != nil {
		s.log.ErrorContext(ctx, "identity: applying committed roles to the authorizer failed; the periodic reload repairs it",
			"tenant_id", tenantID, "user_id", u.ID, "err", err)
	}
	return nil
}

// GetUser returns a user of the tenant in ctx; another tenant's user is not found.
func (s *Service) GetUser(ctx context.Context, id uuid.UUID) (User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return User{}, tenants.ErrNoScope
	}
	var u User
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := userByID(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		roles, err := rolesOf(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		u = row.user(roles[id])
		return nil
	})
	return u, err
}

// ListUsers pages the users of the tenant in ctx, by req.Sort: SortCreatedAt (the default) or
// SortUsername, with the id breaking ties. A cursor not made for this list is platform.ErrBadCursor.
func (s *Service) ListUsers(ctx context.Context, req platform.PageRequest) (platform.Page[User], error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[User]{}, tenants.ErrNoScope
	}
	var after *userCursor
	var cur userCursor
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.Username, &cur.ID); err != nil {
		return platform.Page[User]{}, err
	} else if ok {
		after = &cur
	}
	var page platform.Page[User]
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listUsers(ctx, tx, scope.TenantID, req.Sort, req.Desc, after, req.Fetch())
		if err != nil {
			return err
		}
		cut := platform.CutPage(rows, req, func(r userRow) string {
			return platform.EncodeCursor(r.CreatedAt, r.Username, r.ID)
		})
		ids := make([]uuid.UUID, len(cut.Items))
		for i := range cut.Items {
			ids[i] = cut.Items[i].ID
		}
		roles, err := rolesOf(ctx, tx, scope.TenantID, ids...)
		if err != nil {
			return err
		}
		page = platform.MapPage(cut, func(r userRow) User { return r.user(roles[r.ID]) })
		return nil
	})
	return page, err
}

// DisableUser switches a user off: every session is revoked at once and logins are refused.
func (s *Service) DisableUser(ctx context.Context, id uuid.UUID) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		u, err := userByID(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := setUserStatus(ctx, tx, scope.TenantID, id, StatusDisabled, now); err != nil {
			return err
		}
		if err := revokeUserSessions(ctx, tx, scope.TenantID, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.disable", TargetType: "user", TargetID: id.String(),
			Before: map[string]any{"status": u.Status}, After: map[string]any{"status": StatusDisabled}})
	})
}

// ResetPassword sets a new password for a user of the tenant in ctx, found by username (operator
// tasks), and revokes their sessions; see SetUserPassword.
func (s *Service) ResetPassword(ctx context.Context, username, password string) error {
	return s.resetPassword(ctx, func(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) (*userRow, error) {
		return userByName(ctx, tx, tenantID, username)
	}, password)
}

// UserByUsername finds a user of the tenant in ctx (operator tasks).
func (s *Service) UserByUsername(ctx context.Context, username string) (User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return User{}, tenants.ErrNoScope
	}
	var u User
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := userByName(ctx, tx, scope.TenantID, username)
		if err != nil {
			return err
		}
		u = row.user(nil)
		return nil
	})
	return u, err
}

// EnsureAdmin creates user "admin" with role platform_admin in the platform tenant t unless it exists.
// It reports whether it created one.
func (s *Service) EnsureAdmin(ctx context.Context, t tenants.Tenant, password string) (bool, error) {
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOf(t)), tenants.Actor{Name: "system:bootstrap"})
	if _, err := s.UserByUsername(ctx, "admin"); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrUserNotFound) {
		return false, err
	}
	_, err := s.CreateUser(ctx, NewUser{Username: "admin", Password: password, DisplayName: "Platform administrator",
		Roles: []string{"platform_admin"}})
	if errors.Is(err, ErrUsernameTaken) {
		return false, nil // another instance won the race
	}
	if err != nil {
		return false, fmt.Errorf("creating the platform administrator: %w", err)
	}
	return true, nil
}

// Assignments reads every tenant's role assignments from db, for policies.New.
func Assignments(ctx context.Context, db *bun.DB) ([]Assignment, error) {
	rows, err := allAssignments(ctx, db)
	if err != nil {
		return nil, err
	}
	out := make([]Assignment, len(rows))
	for i, r := range rows {
		out[i] = Assignment{TenantID: r.TenantID, UserID: r.UserID, Role: r.Role, Kind: tenants.Kind(r.Kind)}
	}
	return out, nil
}

// Assignment is a role held by a user in a tenant.
type Assignment struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Kind     tenants.Kind
	Role     string
}

func scopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}
