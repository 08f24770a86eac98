// Package tenants is the kernel of multi-tenancy: what a tenant is, who is acting for which tenant
// (carried in the context), and the one way to open a database transaction scoped to a tenant.
// PostgreSQL row-level security keyed on app.tenant_id backs every scoped transaction.
package tenants

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

// Kind is what sort of organisation a tenant is.
type Kind string

// Tenant kinds (DOMAIN.md, "Who uses it").
const (
	KindEnterprise Kind = "enterprise"
	KindSocialOrg  Kind = "social_org"
	KindSchool     Kind = "school"
	KindRegulator  Kind = "regulator"
	KindPlatform   Kind = "platform"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindEnterprise, KindSocialOrg, KindSchool, KindRegulator, KindPlatform:
		return true
	}
	return false
}

// IsInstitution reports whether k evaluates candidates (enterprise, social org, school).
func (k Kind) IsInstitution() bool {
	return k == KindEnterprise || k == KindSocialOrg || k == KindSchool
}

// RoleFamily is the family of roles a kind's users may hold: "institution", "regulator" or "platform".
func (k Kind) RoleFamily() string {
	switch {
	case k.IsInstitution():
		return "institution"
	case k == KindRegulator:
		return "regulator"
	default:
		return "platform"
	}
}

// Status of a tenant.
type Status string

// Tenant statuses. A suspended institution (a regulator's decision) still logs in and reads, but may
// not publish batches or issue certificates; a disabled tenant is switched off by the platform.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusDisabled  Status = "disabled"
)

// PlatformSlug is the slug of the operator's own tenant.
const PlatformSlug = "platform"

// Tenant is one organisation on the platform.
type Tenant struct {
	ID         uuid.UUID
	Slug       string
	Name       string
	Kind       Kind
	RegionCode string // 6-digit GB/T 2260 code; empty for the platform tenant
	CreditCode string // 18-character unified social credit code, optional
	Status     Status
	CreatedAt  time.Time
}

// Scope is the tenant a piece of work runs for; it is what a tenant transaction is keyed on.
type Scope struct {
	TenantID   uuid.UUID
	Kind       Kind
	RegionCode string
	Slug       string
}

// Actor is who acts: a user of the scope's tenant, or a system job (UserID zero, Name "system:…").
type Actor struct {
	UserID uuid.UUID
	Name   string
	Roles  []string
}

type scopeKey struct{}
type actorKey struct{}

// WithScope returns ctx acting for the tenant s.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// FromContext returns the tenant scope of ctx and whether there is one.
func FromContext(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	return s, ok && s.TenantID != uuid.Nil
}

// WithActor returns ctx acting as a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx, or a system actor when none was set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "system"}
}

// HasRole reports whether the actor holds role.
func (a Actor) HasRole(role string) bool {
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// ErrNotInstitution is the 403 for institution work (candidates, batches, certificates, …) asked for
// in a regulator's or the platform's scope.
var ErrNotInstitution = platform.Forbidden("only institutions (enterprises, social organizations, schools) do this")

// ErrNotRegulator is the 403 for oversight work asked for outside a regulator's scope.
var ErrNotRegulator = platform.Forbidden("only regulators do this")

// RequireKind returns the scope of ctx when its tenant is of one of kinds: ErrNoScope without a scope,
// and a 403 naming what is needed otherwise. The one tenant-kind guard every service uses.
func RequireKind(ctx context.Context, kinds ...Kind) (Scope, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return s, ErrNoScope
	}
	for _, k := range kinds {
		if s.Kind == k {
			return s, nil
		}
	}
	return s, platform.Forbidden("this is not for " + string(s.Kind) + " tenants")
}

// InstitutionScope returns the scope of ctx, which must be an institution's (ErrNotInstitution
// otherwise, ErrNoScope without one).
func InstitutionScope(ctx context.Context) (Scope, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return s, ErrNoScope
	}
	if !s.Kind.IsInstitution() {
		return s, ErrNotInstitution
	}
	return s, nil
}

// RegulatorScope returns the scope of ctx, which must be a regulator's.
func RegulatorScope(ctx context.Context) (Scope, error) {
	s, ok := FromContext(ctx)
	if !ok {
		return s, ErrNoScope
	}
	if s.Kind != KindRegulator {
		return s, ErrNotRegulator
	}
	return s, nil
}
