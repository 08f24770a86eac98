package directory

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// Users is what the directory needs of identity to give a new tenant its first administrator: create
// the user inside the directory's transaction, then apply its roles once that has committed.
type Users interface {
	CreateUserTx(ctx context.Context, tx bun.IDB, kind tenants.Kind, in identity.NewUser) (identity.User, error)
	ApplyRoles(ctx context.Context, kind tenants.Kind, tenantID uuid.UUID, u identity.User) error
}

var _ Users = (*identity.Service)(nil)

// Lookup resolves tenants by slug or id. It needs nothing but the database, so identity, which
// resolves the tenant of a login, is built with a Lookup before the Service, which needs identity:
//
//	ident := identity.NewService(db, directory.NewLookup(db), …)
//	dir := directory.NewService(db, ident)
type Lookup struct {
	db *bun.DB
}

// NewLookup returns the tenant lookup on db.
func NewLookup(db *bun.DB) *Lookup { return &Lookup{db: db} }

// BySlug resolves a tenant by its slug (login, public pages). The register is not tenant data.
func (l *Lookup) BySlug(ctx context.Context, slug string) (tenants.Tenant, error) {
	return tenantWhere(ctx, l.db, "slug = ?", slug)
}

// ByID returns a tenant.
func (l *Lookup) ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
	return tenantWhere(ctx, l.db, "id = ?", id)
}

// Service manages the tenant register.
type Service struct {
	Lookup // BySlug and ByID, so the Service serves every consumer of tenant look-ups too
	db     *bun.DB
	users  Users
	now    func() time.Time
}

// NewService returns the directory service. users gives new tenants their first administrator
// (identity.Service); a service that never creates tenants (a test that only reads) may pass nil.
func NewService(db *bun.DB, users Users) *Service {
	return &Service{Lookup: Lookup{db: db}, db: db, users: users, now: time.Now}
}

// errNoUsers is Create on a service built without Users: a wiring mistake, not a caller's.
var errNoUsers = errors.New("directory: created without Users, so it cannot create tenants")

// FirstAdmin is the administrator a new tenant starts with.
type FirstAdmin struct {
	Username, Password, DisplayName string
}

// Create registers a tenant and its first administrator in one transaction, audited in the platform's
// log (tenant.create) and in the new tenant's (user.create). Only the platform tenant may call it.
func (s *Service) Create(ctx context.Context, in NewTenant, admin FirstAdmin) (tenants.Tenant, identity.User, error) {
	if _, err := tenants.RequireKind(ctx, tenants.KindPlatform); err != nil {
		return tenants.Tenant{}, identity.User{}, err
	}
	if s.users == nil {
		return tenants.Tenant{}, identity.User{}, errNoUsers
	}
	if err := in.Validate(); err != nil {
		return tenants.Tenant{}, identity.User{}, err
	}
	adminRole := "admin"
	now := s.now().UTC().Truncate(time.Microsecond)
	row := &tenantRow{ID: uuid.New(), Slug: in.Slug, Name: in.Name, Kind: string(in.Kind), RegionCode: in.RegionCode,
		Status: string(tenants.StatusActive), CreatedAt: now, UpdatedAt: now}
	if in.CreditCode != "" {
		cc := in.CreditCode
		row.CreditCode = &cc
	}
	t := row.tenant()
	var u identity.User
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := insertTenant(ctx, tx, row); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "tenant.create", TargetType: "tenant", TargetID: t.ID.String(),
			After: map[string]any{"slug": t.Slug, "name": t.Name, "kind": t.Kind, "region_code": t.RegionCode}}); err != nil {
			return err
		}
		// The first admin lives in the new tenant: switch the transaction's scope to it explicitly.
		return tenants.As(ctx, tx, scopeOf(t), func(ctx context.Context) (err error) {
			u, err = s.users.CreateUserTx(ctx, tx, t.Kind, identity.NewUser{Username: admin.Username,
				Password: admin.Password, DisplayName: admin.DisplayName, Roles: []string{adminRole}})
			if err != nil {
				return prefixFields(err, "admin.")
			}
			return nil
		})
	})
	if err != nil {
		return tenants.Tenant{}, identity.User{}, err
	}
	return t, u, s.users.ApplyRoles(ctx, t.Kind, t.ID, u)
}

// EnsurePlatform creates the platform's own tenant unless it exists, and returns it.
func (s *Service) EnsurePlatform(ctx context.Context) (tenants.Tenant, error) {
	if t, err := s.BySlug(ctx, tenants.PlatformSlug); err == nil {
		return t, nil
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row := &tenantRow{ID: uuid.New(), Slug: tenants.PlatformSlug, Name: "SkillCert platform", Kind: string(tenants.KindPlatform),
		Status: string(tenants.StatusActive), CreatedAt: now, UpdatedAt: now}
	if err := insertTenant(ctx, s.db, row); err != nil && err != ErrSlugTaken {
		return tenants.Tenant{}, err
	}
	return s.BySlug(ctx, tenants.PlatformSlug)
}

// List pages the register, oldest first (req.Desc: newest first), narrowed by f. A cursor not made
// for this list is platform.ErrBadCursor. Who may list is the caller's permission (tenant:list).
func (s *Service) List(ctx context.Context, req platform.PageRequest, f Filter) (platform.Page[tenants.Tenant], error) {
	var after tenantCursor
	if _, err := platform.DecodeCursor(req.Cursor, &after.CreatedAt, &after.ID); err != nil {
		return platform.Page[tenants.Tenant]{}, err
	}
	rows, err := listTenants(ctx, s.db, f, req.Desc, after, req.Fetch())
	if err != nil {
		return platform.Page[tenants.Tenant]{}, err
	}
	return platform.CutPage(rows, req, func(t tenants.Tenant) string { return platform.EncodeCursor(t.CreatedAt, t.ID) }), nil
}

// Jurisdiction lists the institutions a regulator oversees: those whose region code starts with the
// regulator's jurisdiction prefix (110000 → "11", 110105 → "110105").
func (s *Service) Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error) {
	if regulator.Kind != tenants.KindRegulator {
		return nil, tenants.ErrNotRegulator
	}
	return institutionIDsUnder(ctx, s.db, regions.JurisdictionPrefix(regulator.RegionCode))
}

// SetStatus changes a tenant's status inside tx (a regulator's suspend/reinstate decision), audited
// by the caller in its own log and here in the institution's.
func (s *Service) SetStatus(ctx context.Context, tx bun.Tx, id uuid.UUID, status tenants.Status, reason string) error {
	t, err := tenantWhere(ctx, tx, "id = ?", id)
	if err != nil {
		return err
	}
	if err := setStatus(ctx, tx, id, status, s.now().UTC()); err != nil {
		return err
	}
	return tenants.As(ctx, tx, scopeOf(t), func(ctx context.Context) error {
		return audit.Record(ctx, tx, audit.Event{Action: "tenant.status", TargetType: "tenant", TargetID: id.String(),
			Before: map[string]any{"status": t.Status}, After: map[string]any{"status": status, "reason": reason}})
	})
}

// ErrOwnTenant refuses to suspend the platform's own tenant (the operator would lock itself out).
var ErrOwnTenant = platform.Unprocessable("own_tenant", "the platform's own tenant cannot be suspended")

// SetTenantStatus suspends (tenants.StatusSuspended) or reinstates (tenants.StatusActive) a tenant on
// the platform operator's decision, with a reason, audited in the platform's log (tenant.suspend,
// tenant.reinstate) and in the tenant's (tenant.status). Only the platform tenant may call it.
func (s *Service) SetTenantStatus(ctx context.Context, id uuid.UUID, status tenants.Status, reason string) (tenants.Tenant, error) {
	if _, err := tenants.RequireKind(ctx, tenants.KindPlatform); err != nil {
		return tenants.Tenant{}, err
	}
	reason = strings.TrimSpace(reason)
	var v platform.Validation
	v.Check(status == tenants.StatusSuspended || status == tenants.StatusActive, "status", "invalid", "status must be suspended or active")
	v.Check(reason != "" && len([]rune(reason)) <= 500, "reason", "required", "a reason of 1–500 characters is required")
	if err := v.Err(); err != nil {
		return tenants.Tenant{}, err
	}
	var out tenants.Tenant
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		t, err := tenantWhere(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if t.Kind == tenants.KindPlatform {
			return ErrOwnTenant
		}
		if t.Status == tenants.StatusDisabled {
			return platform.E(platform.KindConflict, "invalid_state", "a disabled tenant cannot change status")
		}
		action := "tenant.suspend"
		if status == tenants.StatusActive {
			action = "tenant.reinstate"
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "tenant", TargetID: id.String(),
			Before: map[string]any{"status": t.Status, "slug": t.Slug}, After: map[string]any{"status": status, "reason": reason}}); err != nil {
			return err
		}
		if err := s.SetStatus(ctx, tx, id, status, reason); err != nil {
			return err
		}
		t.Status = status
		out = t
		return nil
	})
	return out, err
}

func scopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}

func prefixFields(err error, prefix string) error {
	if pe, ok := err.(*platform.Error); ok && len(pe.Fields) > 0 {
		cp := *pe
		cp.Fields = append([]platform.FieldError(nil), pe.Fields...)
		for i := range cp.Fields {
			cp.Fields[i].Field = prefix + cp.Fields[i].Field
		}
		return &cp
	}
	return err
}
