package policies

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/casbin/casbin/v2/log"
	"github.com/casbin/casbin/v2/rbac"
	"github.com/google/uuid"
)

// tenantRoles is casbin's role manager for SkillCert's model: every g rule links a user subject
// ("user:<uuid>") to a role subject in one tenant (the domain, a uuid), and roles do not inherit each
// other. That shape lets one hash map keyed by the 32 bytes (tenant, user) hold each user's roles as a
// bit set over the interned role subjects — one lookup and no allocation per check, whatever the
// number of tenants. casbin's default domain role manager keeps a graph of role objects per domain
// behind sync.Maps; at 10,000 tenants × 50 users a check chased enough pointers through a 600 MiB
// heap to cost 3–4 µs, five to nine times the one-tenant figure.
//
// It implements rbac.RoleManager so the enforcer's matcher (g(r.sub, p.sub, r.dom)) goes through it
// too, and Allowed and Enforce read the same data. Links of any other shape (a role inheriting a role,
// a subject or domain that is not a uuid, more than 64 roles) are refused when the policy loads, never
// silently dropped.
type tenantRoles struct {
	mu     sync.RWMutex
	names  []string         // role subject by bit
	bitOf  map[string]uint8 // bit by role subject
	masks  map[userInTenant]uint64
	logger log.Logger
}

// userInTenant is the key of one user's roles in one tenant.
type userInTenant [32]byte

func keyOf(tenantID, userID uuid.UUID) (k userInTenant) {
	copy(k[:16], tenantID[:])
	copy(k[16:], userID[:])
	return k
}

var _ rbac.RoleManager = (*tenantRoles)(nil)

func newTenantRoles() *tenantRoles {
	return &tenantRoles{bitOf: map[string]uint8{}, masks: map[userInTenant]uint64{}}
}

// intern returns role's bit, assigning the next free one. Callers hold mu for writing.
func (m *tenantRoles) intern(role string) (uint64, error) {
	if b, ok := m.bitOf[role]; ok {
		return 1 << b, nil
	}
	if len(m.names) == 64 {
		return 0, fmt.Errorf("policies: more than 64 roles (adding %q)", role)
	}
	b := uint8(len(m.names))
	m.names = append(m.names, role)
	m.bitOf[role] = b
	return 1 << b, nil
}

// maskOf is the set of roles a names, for an Authorizer to build its per-action grant masks.
func (m *tenantRoles) maskOf(roles ...string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var mask uint64
	for _, r := range roles {
		b, err := m.intern(r)
		if err != nil {
			return 0, err
		}
		mask |= b
	}
	return mask, nil
}

// held is the fast path of Allowed: the roles user holds in tenant, as a bit set.
func (m *tenantRoles) held(tenantID, userID uuid.UUID) uint64 {
	m.mu.RLock()
	mask := m.masks[keyOf(tenantID, userID)]
	m.mu.RUnlock()
	return mask
}

// parseLink turns casbin's (user subject, domain) strings into a key.
func parseLink(name string, domain []string) (userInTenant, error) {
	if len(domain) != 1 {
		return userInTenant{}, fmt.Errorf("policies: a role link needs exactly one domain (a tenant), got %d", len(domain))
	}
	id, ok := strings.CutPrefix(name, "user:")
	if !ok {
		return userInTenant{}, fmt.Errorf("policies: %q is not a user subject: roles do not inherit roles", name)
	}
	userID, err := uuid.Parse(id)
	if err != nil {
		return userInTenant{}, fmt.Errorf("policies: user subject %q: %w", name, err)
	}
	tenantID, err := uuid.Parse(domain[0])
	if err != nil {
		return userInTenant{}, fmt.Errorf("policies: domain %q is not a tenant id: %w", domain[0], err)
	}
	return keyOf(tenantID, userID), nil
}

func (m *tenantRoles) roleNames(mask uint64) []string {
	out := make([]string, 0, bits.OnesCount64(mask))
	for mask != 0 {
		b := bits.TrailingZeros64(mask)
		out = append(out, m.names[b])
		mask &^= 1 << b
	}
	sort.Strings(out)
	return out
}

func (m *tenantRoles) Clear() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.masks) // role bits stay: the Authorizer's grant masks refer to them
	return nil
}

func (m *tenantRoles) AddLink(name1, name2 string, domain ...string) error {
	k, err := parseLink(name1, domain)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(name2, "role:") {
		return fmt.Errorf("policies: %q is not a role subject", name2)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.intern(name2)
	if err != nil {
		return err
	}
	m.masks[k] |= b
	return nil
}

// BuildRelationship is deprecated in casbin and unused.
func (m *tenantRoles) BuildRelationship(string, string, ...string) error { return nil }

func (m *tenantRoles) DeleteLink(name1, name2 string, domain ...string) error {
	k, err := parseLink(name1, domain)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bitOf[name2]
	if !ok {
		return nil
	}
	if mask := m.masks[k] &^ (1 << b); mask == 0 {
		delete(m.masks, k)
	} else {
		m.masks[k] = mask
	}
	return nil
}

// HasLink answers the matcher's g(r.sub, p.sub, r.dom): whether name1 holds role name2 in the domain.
// As in casbin's own managers, every subject is linked to itself.
func (m *tenantRoles) HasLink(name1, name2 string, domain ...string) (bool, error) {
	if name1 == name2 {
		return true, nil
	}
	k, err := parseLink(name1, domain)
	if err != nil {
		return false, nil // not a user subject (e.g. a role): it holds no other role
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.bitOf[name2]
	return ok && m.masks[k]&(1<<b) != 0, nil
}

func (m *tenantRoles) GetRoles(name string, domain ...string) ([]string, error) {
	k, err := parseLink(name, domain)
	if err != nil {
		return nil, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.roleNames(m.masks[k]), nil
}

// GetImplicitRoles equals GetRoles: roles do not inherit roles.
func (m *tenantRoles) GetImplicitRoles(name string, domain ...string) ([]string, error) {
	return m.GetRoles(name, domain...)
}

// GetUsers scans every link: for administration, never on a request's path.
func (m *tenantRoles) GetUsers(name string, domain ...string) ([]string, error) {
	if len(domain) != 1 {
		return nil, fmt.Errorf("policies: GetUsers needs exactly one domain")
	}
	tenantID, err := uuid.Parse(domain[0])
	if err != nil {
		return nil, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.bitOf[name]
	if !ok {
		return nil, nil
	}
	var out []string
	for k, mask := range m.masks {
		if mask&(1<<b) != 0 && uuid.UUID(k[:16]) == tenantID {
			out = append(out, Subject(uuid.UUID(k[16:]).String()))
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *tenantRoles) GetImplicitUsers(name string, domain ...string) ([]string, error) {
	return m.GetUsers(name, domain...)
}

func (m *tenantRoles) GetDomains(name string) ([]string, error) {
	id, ok := strings.CutPrefix(name, "user:")
	if !ok {
		return nil, nil
	}
	userID, err := uuid.Parse(id)
	if err != nil {
		return nil, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.masks {
		if uuid.UUID(k[16:]) == userID {
			out = append(out, uuid.UUID(k[:16]).String())
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *tenantRoles) GetAllDomains() ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	seen := map[uuid.UUID]bool{}
	for k := range m.masks {
		seen[uuid.UUID(k[:16])] = true
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id.String())
	}
	sort.Strings(out)
	return out, nil
}

func (m *tenantRoles) DeleteDomain(domain string) error {
	tenantID, err := uuid.Parse(domain)
	if err != nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.masks {
		if uuid.UUID(k[:16]) == tenantID {
			delete(m.masks, k)
		}
	}
	return nil
}

func (m *tenantRoles) PrintRoles() error {
	if m.logger == nil || !m.logger.IsEnabled() {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var lines [][]string
	for k, mask := range m.masks {
		for _, r := range m.roleNames(mask) {
			lines = append(lines, []string{Subject(uuid.UUID(k[16:]).String()), r, uuid.UUID(k[:16]).String()})
		}
	}
	m.logger.LogRole(flatten(lines))
	return nil
}

func flatten(lines [][]string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, strings.Join(l, ", "))
	}
	return out
}

func (m *tenantRoles) SetLogger(l log.Logger) { m.logger = l }

// Match is plain equality: domains are tenant ids, never patterns.
func (m *tenantRoles) Match(str, pattern string) bool { return str == pattern }

// AddMatchingFunc and AddDomainMatchingFunc are not supported: the model uses no pattern matching,
// and a pattern would make a check scan every link. They are no-ops so casbin's set-up can call them.
func (m *tenantRoles) AddMatchingFunc(string, rbac.MatchingFunc)       {}
func (m *tenantRoles) AddDomainMatchingFunc(string, rbac.MatchingFunc) {}
