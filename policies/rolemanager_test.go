package policies

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestTenantRoles(t *testing.T) {
	rm := newTenantRoles()
	tenantA, tenantB := uuid.New(), uuid.New()
	alice, bob := Subject(uuid.NewString()), Subject(uuid.NewString())
	admin, staff := "role:institution:admin", "role:institution:staff"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rm.AddLink(alice, admin, tenantA.String()))
	must(rm.AddLink(alice, staff, tenantA.String()))
	must(rm.AddLink(bob, staff, tenantB.String()))

	links := []struct {
		user, role string
		tenant     uuid.UUID
		want       bool
	}{
		{alice, admin, tenantA, true},
		{alice, staff, tenantA, true},
		{alice, admin, tenantB, false}, // roles do not cross tenants
		{bob, staff, tenantB, true},
		{bob, staff, tenantA, false},
		{bob, "role:institution:unknown", tenantB, false},
		{admin, admin, tenantA, true}, // every subject is linked to itself, as in casbin
	}
	for _, l := range links {
		if got, _ := rm.HasLink(l.user, l.role, l.tenant.String()); got != l.want {
			t.Errorf("HasLink(%s, %s, %s) = %v, want %v", l.user, l.role, l.tenant, got, l.want)
		}
	}
	if got, _ := rm.GetRoles(alice, tenantA.String()); !slices.Equal(got, []string{admin, staff}) {
		t.Errorf("GetRoles = %v", got)
	}
	if got, _ := rm.GetUsers(staff, tenantA.String()); !slices.Equal(got, []string{alice}) {
		t.Errorf("GetUsers = %v", got)
	}
	if got, _ := rm.GetDomains(bob); !slices.Equal(got, []string{tenantB.String()}) {
		t.Errorf("GetDomains = %v", got)
	}

	must(rm.DeleteLink(alice, admin, tenantA.String()))
	if got, _ := rm.GetRoles(alice, tenantA.String()); !slices.Equal(got, []string{staff}) {
		t.Errorf("after DeleteLink: GetRoles = %v", got)
	}
	must(rm.DeleteDomain(tenantB.String()))
	if got, _ := rm.HasLink(bob, staff, tenantB.String()); got {
		t.Error("DeleteDomain left a link")
	}

	// Shapes the model never produces are refused, not silently dropped.
	refused := []struct {
		name, a, b string
		dom        []string
	}{
		{"role inheriting a role", admin, staff, []string{tenantA.String()}},
		{"no domain", alice, admin, nil},
		{"domain not a tenant id", alice, admin, []string{"*"}},
		{"target not a role", alice, bob, []string{tenantA.String()}},
	}
	for _, r := range refused {
		if err := rm.AddLink(r.a, r.b, r.dom...); err == nil {
			t.Errorf("%s: AddLink accepted", r.name)
		}
	}
}
