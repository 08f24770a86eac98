package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// Jurisdictions tells which institutions a regulator oversees (satisfied by *directory.Service).
type Jurisdictions interface {
	// Jurisdiction lists the institutions a regulator oversees.
	Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error)
}

// Jurisdiction is a regulator's scope with the institutions it oversees.
type Jurisdiction struct {
	Regulator tenants.Scope
	IDs       []uuid.UUID
	set       map[uuid.UUID]bool
}

// NewJurisdiction is regulator's jurisdiction over the institutions ids.
func NewJurisdiction(regulator tenants.Scope, ids []uuid.UUID) Jurisdiction {
	j := Jurisdiction{Regulator: regulator, IDs: ids, set: make(map[uuid.UUID]bool, len(ids))}
	for _, id := range ids {
		j.set[id] = true
	}
	return j
}

// Has reports whether the institution id is in the jurisdiction.
func (j Jurisdiction) Has(id uuid.UUID) bool { return j.set[id] }

// Require is ErrInstitutionNotFound (404) for an institution outside the jurisdiction: never reveal
// that it exists.
func (j Jurisdiction) Require(id uuid.UUID) error {
	if !j.set[id] {
		return ErrInstitutionNotFound
	}
	return nil
}

// Base is what every oversight service holds: the database, the register's jurisdictions and the
// clock.
type Base struct {
	DB    *bun.DB
	Dir   Jurisdictions
	Clock func() time.Time // nil: time.Now
}

// Now is the service's clock, in UTC to the microsecond (what the database keeps).
func (b Base) Now() time.Time {
	now := time.Now
	if b.Clock != nil {
		now = b.Clock
	}
	return now().UTC().Truncate(time.Microsecond)
}

// JurisdictionOf returns the jurisdiction of the regulator in ctx (tenants.ErrNotRegulator for any
// other tenant).
func (b Base) JurisdictionOf(ctx context.Context) (Jurisdiction, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return Jurisdiction{}, err
	}
	ids, err := b.Dir.Jurisdiction(ctx, scope)
	if err != nil {
		return Jurisdiction{}, err
	}
	return NewJurisdiction(scope, ids), nil
}

// Oversee runs fn as the regulator in ctx in its oversight transaction: read-only, and row-level
// security lets it read its own rows and exactly the institutions in its jurisdiction.
func (b Base) Oversee(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, j Jurisdiction) error) error {
	j, err := b.JurisdictionOf(ctx)
	if err != nil {
		return err
	}
	return tenants.OversightTx(ctx, b.DB, j.IDs, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, tx, j)
	})
}

// RegulatorWrite runs fn in a read-write transaction of the regulator in ctx, with its jurisdiction
// (for checking that an institution named in the input is one it oversees).
func (b Base) RegulatorWrite(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, j Jurisdiction) error) error {
	j, err := b.JurisdictionOf(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, b.DB, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, j) })
}

// ReadPage decodes the keyset position of a list's cursor (platform.ErrBadCursor when it is not one),
// then runs fn in a read transaction of the tenant in ctx, which scope must admit
// (tenants.RegulatorScope, tenants.InstitutionScope).
func (b Base) ReadPage(ctx context.Context, cursor string, scope func(context.Context) (tenants.Scope, error),
	fn func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after TimeKey) error) error {
	after, err := DecodeTimeKey(cursor)
	if err != nil {
		return err
	}
	sc, err := scope(ctx)
	if err != nil {
		return err
	}
	return tenants.ReadTx(ctx, b.DB, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, sc.TenantID, after) })
}

// SystemCtx is ctx acting for scope as the module's background work called name.
func SystemCtx(ctx context.Context, scope tenants.Scope, name string) context.Context {
	return tenants.WithActor(tenants.WithScope(ctx, scope), tenants.Actor{Name: "system:oversight:" + name})
}

// ScopeOf is the scope of a tenant of the register.
func ScopeOf(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}

// ActorID is the user acting in ctx, nil for system work.
func ActorID(ctx context.Context) *uuid.UUID {
	a := tenants.ActorFrom(ctx)
	if a.UserID == uuid.Nil {
		return nil
	}
	id := a.UserID
	return &id
}

// Derive derives a key for one purpose (label) from the platform secret.
func Derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}
