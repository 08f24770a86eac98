package directory

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// Users is what the directory needs of identity to give a new tenant its first administrator.
type Users interface {
	CreateUserTx(ctx context.Context, tx bun.IDB, kind tenants.Kind, in identity.NewUser) (identity.User, error)
	ApplyRoles(ctx context.Context, kind tenants.Kind, tenantID uuid.UUID, u identity.User) error
}

// Service manages the tenant register.
type Service struct {
	db    *bun.DB
	users Users
	now   func() time.Time
}

// NewService returns the directory service.
func NewService(db *bun.DB, users Users) *Service {
	return &Service{db: db, users: users, now: time.Now}
}

// SetUsers completes wiring where identity itself needs the directory first.
func (s *Service) SetUsers(u Users) { s.users = u }

// FirstAdmin is the administrator a new tenant starts with.
type FirstAdmin struct {
	Username, Password, DisplayName string
}

// Create registers a tenant and its first administrator in one transaction, audited in the platform's
// log (tenant.create) and in the new tenant's (user.create). Only the platform tenant may call it.
func (s *Service) Create(ctx context.Context, in NewTenant, admin FirstAdmin) (tenants.Tenant, identity.User, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.Tenant{}, identity.User{}, tenants.ErrNoScope
	}
	if scope.Kind != tenants.KindPlatform {
		return tenants.Tenant{}, identity.User{}, platform.Forbidden("only the platform creates tenants")
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

// BySlug resolves a tenant by its slug (login, public pages). The register is not tenant data.
func (s *Service) BySlug(ctx context.Context, slug string) (tenants.Tenant, error) {
	return tenantWhere(ctx, s.db, "slug = ?", slug)
}

// ByID returns a tenant.
func (s *Service) ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
	return tenantWhere(ctx, s.db, "id = ?", id)
}

// List pages the register (platform administrators).
func (s *Service) List(ctx context.Context, kind string, afterCreated time.Time, afterID uuid.UUID, limit int) ([]tenants.Tenant, error) {
	return listTenants(ctx, s.db, kind, "", afterCreated, afterID, limit)
}

// Jurisdiction lists the institutions a regulator oversees: those whose region code starts with the
// regulator's jurisdiction prefix (110000 → "11", 110105 → "110105").
func (s *Service) Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error) {
	if regulator.Kind != tenants.KindRegulator {
		return nil, platform.Forbidden("only regulators have a jurisdiction")
	}
	return institutionIDsUnder(ctx, s.db, regions.JurisdictionPrefix(regulator.RegionCode))
}

// Institutions pages institutions within a region prefix (regulators' view).
func (s *Service) Institutions(ctx context.Context, regionPrefix string, afterCreated time.Time, afterID uuid.UUID, limit int) ([]tenants.Tenant, error) {
	var out []tenants.Tenant
	rows, err := listTenants(ctx, s.db, "", regionPrefix, afterCreated, afterID, limit)
	for _, t := range rows {
		if t.Kind.IsInstitution() {
			out = append(out, t)
		}
	}
	return out, err
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
