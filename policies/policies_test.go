package policies_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// store is an in-memory user_roles table shared by several authorizers (instances).
type store struct {
	mu sync.Mutex
	as []policies.Assignment
}

func (s *store) load(context.Context) ([]policies.Assignment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]policies.Assignment(nil), s.as...), nil
}

func newAuthorizer(t *testing.T, s *store, w *policies.Watcher) *policies.Authorizer {
	t.Helper()
	a, err := policies.New(context.Background(), s.load, w)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTemplatesParse(t *testing.T) {
	rules, err := policies.Templates()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 10 {
		t.Fatalf("only %d rules", len(rules))
	}
}

// readVerbs are the verbs that only read.
var readVerbs = map[string]bool{"list": true, "read": true, "export": true, "verify": true}

// TestRegulatorsCannotWriteInstitutionData: a regulator's role may only read, or act on its own
// records (oversight:*) and its own users. Giving a regulator e.g. batch:publish fails this test.
func TestRegulatorsCannotWriteInstitutionData(t *testing.T) {
	rules, err := policies.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.HasPrefix(r.Role, "role:regulator:") {
			continue
		}
		resource, verb, _ := strings.Cut(r.Action, ":")
		if resource == "oversight" || resource == "user" || readVerbs[verb] || strings.HasSuffix(verb, "_list") || strings.HasSuffix(verb, "_read") {
			continue
		}
		t.Errorf("%s holds %s: regulators hold no write permission on institution data", r.Role, r.Action)
	}
}

func TestDecisions(t *testing.T) {
	tenantA, tenantB := uuid.New(), uuid.New()
	admin, staff, nobody := uuid.New(), uuid.New(), uuid.New()
	s := &store{as: []policies.Assignment{
		{TenantID: tenantA, Kind: tenants.KindEnterprise, UserID: admin, Role: "admin"},
		{TenantID: tenantA, Kind: tenants.KindEnterprise, UserID: staff, Role: "staff"},
	}}
	a := newAuthorizer(t, s, nil)
	tests := []struct {
		name   string
		tenant uuid.UUID
		user   uuid.UUID
		action string
		want   bool
	}{
		{"admin may create users", tenantA, admin, "user:create", true},
		{"staff may not create users", tenantA, staff, "user:create", false},
		{"no role, no permission", tenantA, nobody, "user:list", false},
		{"unknown action denied", tenantA, admin, "nuke:everything", false},
		{"role does not cross tenants", tenantB, admin, "user:create", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Allowed(tc.tenant, tc.user, tc.action)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSubjectsAreNamespaced guards casbin issue #233: subjects are "user:<id>" and roles
// "role:<family>:<name>", so nothing a user is called can make it a role.
func TestSubjectsAreNamespaced(t *testing.T) {
	if policies.Subject("admin") == policies.RoleSubject(tenants.KindEnterprise, "admin") {
		t.Fatal("a user subject can equal a role subject")
	}
	if !strings.HasPrefix(policies.Subject(uuid.NewString()), "user:") ||
		!strings.HasPrefix(policies.RoleSubject(tenants.KindRegulator, "viewer"), "role:regulator:") {
		t.Fatal("subjects lost their namespaces")
	}
	// The same role name in two families is two roles: a regulator admin is not an institution admin.
	tenant, user := uuid.New(), uuid.New()
	a := newAuthorizer(t, &store{as: []policies.Assignment{{TenantID: tenant, Kind: tenants.KindRegulator, UserID: user, Role: "viewer"}}}, nil)
	if ok, _ := a.Allowed(tenant, user, "user:create"); ok {
		t.Fatal("regulator viewer may create users")
	}
}

func TestValidRole(t *testing.T) {
	for _, tc := range []struct {
		kind tenants.Kind
		role string
		want bool
	}{
		{tenants.KindEnterprise, "evaluator", true}, {tenants.KindSchool, "candidate", true},
		{tenants.KindSocialOrg, "inspector", false}, {tenants.KindRegulator, "inspector", true},
		{tenants.KindRegulator, "staff", false}, {tenants.KindPlatform, "platform_admin", true},
		{tenants.KindEnterprise, "platform_admin", false},
	} {
		if got := policies.ValidRole(tc.kind, tc.role); got != tc.want {
			t.Errorf("ValidRole(%s, %s) = %v", tc.kind, tc.role, got)
		}
	}
}

// TestRevocationReachesEveryInstance runs two authorizers (two instances) on the real Redis: a role
// revoked on one stops working on the other, cached decisions included.
func TestRevocationReachesEveryInstance(t *testing.T) {
	rdb := watcherRedis(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tenant, user := uuid.New(), uuid.New()
	s := &store{as: []policies.Assignment{{TenantID: tenant, Kind: tenants.KindEnterprise, UserID: user, Role: "admin"}}}
	one := newAuthorizer(t, s, policies.NewWatcher(rdb, log))
	two := newAuthorizer(t, s, policies.NewWatcher(rdb, log))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, a := range []*policies.Authorizer{one, two} {
		wg.Add(1)
		go func(a *policies.Authorizer) { defer wg.Done(); _ = a.Listen(ctx) }(a)
	}
	defer wg.Wait()
	time.Sleep(200 * time.Millisecond) // let both subscriptions go live
	for _, a := range []*policies.Authorizer{one, two} {
		if ok, _ := a.Allowed(tenant, user, "user:create"); !ok { // also fills the decision cache
			t.Fatal("admin not allowed before revocation")
		}
	}
	s.mu.Lock()
	s.as = nil // the identity module's transaction removed the role
	s.mu.Unlock()
	if err := one.SetRoles(ctx, tenants.KindEnterprise, tenant, user, nil); err != nil {
		t.Fatal(err)
	}
	if ok, _ := one.Allowed(tenant, user, "user:create"); ok {
		t.Fatal("revoked role still works on the instance that revoked it")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, _ := two.Allowed(tenant, user, "user:create")
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("revoked role still works on the other instance after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And a grant travels the same way.
	if err := one.SetRoles(ctx, tenants.KindEnterprise, tenant, user, []string{"staff"}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		if ok, _ := two.Allowed(tenant, user, "audit:list"); ok {
			t.Fatal("staff got admin's audit:list")
		}
		roles, _ := two.RolesOf(tenant, user)
		if len(roles) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("grant did not reach the other instance")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
}

// TestAllowedAgreesWithEnforce: the fast path (granting roles × role links) gives casbin's own answer
// for every template action, for users holding each role, in their tenant and in another.
func TestAllowedAgreesWithEnforce(t *testing.T) {
	rules, err := policies.Templates()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]tenants.Kind{"institution": tenants.KindEnterprise, "regulator": tenants.KindRegulator, "platform": tenants.KindPlatform}
	home, other := uuid.New(), uuid.New()
	s := &store{}
	var users []uuid.UUID
	for fam, kind := range kinds {
		for _, role := range policies.RolesFor(kind) {
			u := uuid.New()
			users = append(users, u)
			s.as = append(s.as, policies.Assignment{TenantID: home, Kind: kind, UserID: u, Role: role})
			_ = fam
		}
	}
	a := newAuthorizer(t, s, nil)
	actions := map[string]bool{"no:such-action": true}
	for _, r := range rules {
		actions[r.Action] = true
	}
	checked := 0
	for _, u := range users {
		for act := range actions {
			for _, dom := range []uuid.UUID{home, other} {
				fast, err1 := a.Allowed(dom, u, act)
				slow, err2 := a.Enforce(dom, u, act)
				if err1 != nil || err2 != nil || fast != slow {
					t.Fatalf("Allowed(%s, %s) = %v, Enforce = %v (%v %v)", u, act, fast, slow, err1, err2)
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d checks", checked)
	}
}
