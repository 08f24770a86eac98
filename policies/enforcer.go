package policies

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/tenants"
)

// Assignment is one user's role in one tenant, as stored in user_roles.
type Assignment struct {
	TenantID uuid.UUID
	Kind     tenants.Kind
	UserID   uuid.UUID
	Role     string
}

// AssignmentLoader reads every role assignment of every tenant (a system read at start and reload).
type AssignmentLoader func(ctx context.Context) ([]Assignment, error)

// Authorizer answers permission checks from an in-memory casbin enforcer with a decision cache.
// Role changes apply locally at once and reach other instances through the Watcher.
type Authorizer struct {
	enforcer *casbin.SyncedCachedEnforcer
	load     AssignmentLoader
	watcher  *Watcher
	mu       sync.RWMutex // role rewrites (write) against checks (read)

	// roles is the enforcer's role manager (see tenantRoles): each user's roles per tenant as a bit set.
	roles *tenantRoles
	// grantedBy maps each action to the set of roles whose template grants it. Every permission is a
	// template shared by all domains (p.dom == "*", enforced by Templates), so "may u do act in t" is
	// exactly "does u hold, in t, one of the roles that grant act" — the model's matcher, without
	// evaluating it once per template rule (what made a casbin Enforce cost ~50 µs at 130 rules).
	// TestAllowedAgreesWithEnforce keeps the two equal.
	grantedBy map[string]uint64
	cacheOn   atomic.Bool
	cache     sync.Map // decisionKey → bool, dropped on every role change
}

// decisionKey is one cached decision.
type decisionKey struct {
	user   userInTenant
	action string
}

// New builds an authorizer from the embedded model and role templates and the assignments load
// returns. watcher may be nil (a single process, or tests of one instance).
func New(ctx context.Context, load AssignmentLoader, watcher *Watcher) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("policies: model.conf: %w", err)
	}
	rules, err := Templates()
	if err != nil {
		return nil, err
	}
	// The enforcer starts without an adapter so that the first load already goes to our role manager.
	e, err := casbin.NewSyncedCachedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("policies: building enforcer: %w", err)
	}
	a := &Authorizer{enforcer: e, load: load, watcher: watcher, roles: newTenantRoles(), grantedBy: map[string]uint64{}}
	for _, r := range rules {
		bit, err := a.roles.maskOf(r.Role)
		if err != nil {
			return nil, err
		}
		a.grantedBy[r.Action] |= bit
	}
	e.SetRoleManager(a.roles)
	e.SetAdapter(&loadAdapter{rules: rules, load: func() ([]Assignment, error) { return load(ctx) }})
	e.EnableAutoSave(false) // user_roles is written by the identity module in its own transaction
	if err := e.LoadPolicy(); err != nil {
		return nil, fmt.Errorf("policies: loading policy: %w", err)
	}
	a.cacheOn.Store(true)
	return a, nil
}

// EnableCache turns the decision cache on or off (benchmarks measure both).
func (a *Authorizer) EnableCache(on bool) {
	a.cacheOn.Store(on)
	a.dropCache()
}

func (a *Authorizer) dropCache() { a.cache.Clear() }

// Allowed reports whether user may perform action in tenant. Deny by default: an action no template
// grants, or a user holding none of the granting roles in that tenant, is refused.
func (a *Authorizer) Allowed(tenantID, userID uuid.UUID, action string) (bool, error) {
	granting := a.grantedBy[action]
	if granting == 0 {
		return false, nil
	}
	cached := a.cacheOn.Load()
	key := decisionKey{user: keyOf(tenantID, userID), action: action}
	if cached {
		if v, ok := a.cache.Load(key); ok {
			return v.(bool), nil
		}
	}
	// One map lookup of the user's roles in the tenant, then a bit test: the cost does not grow with
	// the number of roles that grant the action, nor with the number of tenants.
	a.mu.RLock()
	allowed := a.roles.held(tenantID, userID)&granting != 0
	a.mu.RUnlock()
	if cached {
		a.cache.Store(key, allowed)
	}
	return allowed, nil
}

// Enforce asks casbin itself, evaluating the model's matcher; Allowed must always agree with it.
func (a *Authorizer) Enforce(tenantID, userID uuid.UUID, action string) (bool, error) {
	return a.enforcer.Enforce(Subject(userID.String()), tenantID.String(), action)
}

// SetRoles replaces a user's roles in a tenant on this instance and tells every other instance.
// Call it after the transaction that wrote user_roles committed.
func (a *Authorizer) SetRoles(ctx context.Context, kind tenants.Kind, tenantID, userID uuid.UUID, roles []string) error {
	if err := a.applyRoles(kind, tenantID, userID, roles); err != nil {
		return err
	}
	if a.watcher != nil {
		return a.watcher.Publish(ctx, RoleChange{Kind: kind, TenantID: tenantID, UserID: userID, Roles: roles})
	}
	return nil
}

func (a *Authorizer) applyRoles(kind tenants.Kind, tenantID, userID uuid.UUID, roles []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	sub, dom := Subject(userID.String()), tenantID.String()
	if _, err := a.enforcer.RemoveFilteredGroupingPolicy(0, sub, "", dom); err != nil {
		return err
	}
	if len(roles) > 0 {
		rules := make([][]string, 0, len(roles))
		for _, r := range roles {
			rules = append(rules, []string{sub, RoleSubject(kind, r), dom})
		}
		if _, err := a.enforcer.AddGroupingPolicies(rules); err != nil {
			return err
		}
	}
	// Grouping changes bypass the cached enforcer's own invalidation: drop cached decisions now.
	a.dropCache()
	return a.enforcer.InvalidateCache()
}

// Reload rebuilds every assignment from the database (after a missed watcher message, or on a timer).
func (a *Authorizer) Reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.enforcer.LoadPolicy(); err != nil {
		return err
	}
	a.dropCache()
	return a.enforcer.InvalidateCache()
}

// Listen applies other instances' role changes until ctx ends. Run it in a goroutine.
func (a *Authorizer) Listen(ctx context.Context) error {
	if a.watcher == nil {
		return errors.New("policies: no watcher")
	}
	return a.watcher.Listen(ctx, func(c RoleChange) error {
		return a.applyRoles(c.Kind, c.TenantID, c.UserID, c.Roles)
	}, a.Reload)
}

// loadAdapter feeds casbin the role templates and the database's assignments. It is read-only:
// permissions change by editing roles/*.csv, assignments through the identity module.
type loadAdapter struct {
	rules []Rule
	load  func() ([]Assignment, error)
}

var _ persist.Adapter = (*loadAdapter)(nil)

func (l *loadAdapter) LoadPolicy(m model.Model) error {
	for _, r := range l.rules {
		if err := persist.LoadPolicyArray([]string{"p", r.Role, "*", r.Action}, m); err != nil {
			return err
		}
	}
	as, err := l.load()
	if err != nil {
		return fmt.Errorf("policies: loading role assignments: %w", err)
	}
	for _, a := range as {
		if err := persist.LoadPolicyArray([]string{"g", Subject(a.UserID.String()), RoleSubject(a.Kind, a.Role), a.TenantID.String()}, m); err != nil {
			return err
		}
	}
	return nil
}

var errReadOnly = errors.New("not implemented")

func (l *loadAdapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (l *loadAdapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (l *loadAdapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (l *loadAdapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }

// RolesOf lists the role subjects a user holds in a tenant on this instance.
func (a *Authorizer) RolesOf(tenantID, userID uuid.UUID) ([]string, error) {
	return a.enforcer.GetRolesForUser(Subject(userID.String()), tenantID.String())
}
