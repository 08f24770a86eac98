package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// problemFields decodes a problem's field errors as field:code.
func problemFields(tb testing.TB, r *testkit.Response) []string {
	tb.Helper()
	var p struct {
		Errors []struct{ Field, Code string }
	}
	r.Decode(tb, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

// auditActions lists the actions of the tenant's audit log that target id, in order.
func auditActions(tb testing.TB, k *testkit.Kit, org *testkit.Org, id uuid.UUID) []string {
	tb.Helper()
	page, err := k.Server.Audit.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 500}, audit.Filter{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range page.Items {
		if e.TargetID == id.String() && e.Outcome == audit.OutcomeOK {
			out = append(out, e.Action)
		}
	}
	return out
}

func TestChangeOwnPassword(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	staff := org.Users["staff"]
	current := org.Tokens["staff"]
	other := k.Login(t, org.Tenant.Slug, staff.Username) // a second session of the same person
	const next = "violet tractor seventeen"

	tests := []struct {
		name   string
		body   map[string]string
		status int
		code   string
		fields []string
	}{
		{"wrong current password", map[string]string{"current_password": "not my password", "new_password": next},
			http.StatusUnprocessableEntity, "validation_failed", []string{"current_password:wrong_password"}},
		{"new password too short", map[string]string{"current_password": testkit.Password, "new_password": "short"},
			http.StatusUnprocessableEntity, "validation_failed", []string{"new_password:length"}},
		{"new password common", map[string]string{"current_password": testkit.Password, "new_password": "12345678"},
			http.StatusUnprocessableEntity, "validation_failed", []string{"new_password:password_common"}},
		{"new password holds the username", map[string]string{"current_password": testkit.Password, "new_password": "my " + staff.Username + " pass"},
			http.StatusUnprocessableEntity, "validation_failed", []string{"new_password:password_contains_username"}},
		{"new password equals the current", map[string]string{"current_password": testkit.Password, "new_password": testkit.Password},
			http.StatusUnprocessableEntity, "validation_failed", []string{"new_password:same_as_current"}},
		{"missing fields", map[string]string{}, http.StatusUnprocessableEntity, "validation_failed", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "PUT", "/api/v1/me/password", current, tc.body)
			res.WantProblem(t, tc.status, tc.code)
			if tc.fields != nil {
				if diff := cmp.Diff(tc.fields, problemFields(t, res)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
		})
	}
	// Nothing changed so far: both sessions live, the old password logs in.
	k.Do(t, "GET", "/api/v1/me", other, nil).Want(t, http.StatusOK)

	k.Do(t, "PUT", "/api/v1/me/password", "", map[string]string{"current_password": testkit.Password, "new_password": next}).
		WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	k.Do(t, "PUT", "/api/v1/me/password", current, map[string]string{"current_password": testkit.Password, "new_password": next}).
		Want(t, http.StatusNoContent)

	// The session that changed it is kept; the other one is revoked.
	k.Do(t, "GET", "/api/v1/me", current, nil).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/me", other, nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	// The old password no longer logs in; the new one does.
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": staff.Username, "password": testkit.Password}).
		WantProblem(t, http.StatusUnauthorized, "invalid_credentials")
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": staff.Username, "password": next}).
		Want(t, http.StatusOK)
	if got := auditActions(t, k, org, staff.ID); !slices.Contains(got, "user.change_password") {
		t.Fatalf("audit of the user: %v, want user.change_password", got)
	}
}

// TestChangePasswordThrottled: wrong current passwords count as failed logins, so the form can't be
// used to guess past the login throttle.
func TestChangePasswordThrottled(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	tok := org.Tokens["staff"]
	var last *testkit.Response
	for range 30 {
		last = k.Do(t, "PUT", "/api/v1/me/password", tok, map[string]string{"current_password": "guess guess guess", "new_password": "violet tractor seventeen"})
		if last.Status == http.StatusTooManyRequests {
			break
		}
		last.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}
	last.WantProblem(t, http.StatusTooManyRequests, "rate_limited")
}

func TestSetUserRoles(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator")
	other := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	eva := org.Users["evaluator"]
	admin, err := k.Server.Identity.UserByUsername(org.Ctx(context.Background()), "admin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		token  string
		id     string
		roles  []string
		status int
		code   string
		fields []string
	}{
		{"staff may not", org.Tokens["staff"], eva.ID.String(), []string{"staff"}, http.StatusForbidden, "forbidden", nil},
		{"unknown user", org.Admin, uuid.NewString(), []string{"staff"}, http.StatusNotFound, "not_found", nil},
		{"another tenant's user", org.Admin, other.Users["staff"].ID.String(), []string{"staff"}, http.StatusNotFound, "not_found", nil},
		{"no roles", org.Admin, eva.ID.String(), []string{}, http.StatusUnprocessableEntity, "validation_failed", []string{"roles:required"}},
		{"role twice", org.Admin, eva.ID.String(), []string{"staff", "staff"}, http.StatusUnprocessableEntity, "validation_failed", []string{"roles:duplicate"}},
		{"regulator role", org.Admin, eva.ID.String(), []string{"inspector"}, http.StatusUnprocessableEntity, "invalid_role", []string{"roles:invalid_role"}},
		{"own admin role", org.Admin, admin.ID.String(), []string{"staff"}, http.StatusUnprocessableEntity, "own_admin_role", []string{"roles:own_admin_role"}},
		{"own roles keeping admin", org.Admin, admin.ID.String(), []string{"admin", "supervisor"}, http.StatusOK, "", nil},
		{"admin changes roles", org.Admin, eva.ID.String(), []string{"supervisor", "evaluator"}, http.StatusOK, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "PUT", "/api/v1/users/"+tc.id+"/roles", tc.token, map[string]any{"roles": tc.roles})
			if tc.code != "" {
				res.WantProblem(t, tc.status, tc.code)
				if tc.fields != nil {
					if diff := cmp.Diff(tc.fields, problemFields(t, res)); diff != "" {
						t.Errorf("fields (-want +got):\n%s", diff)
					}
				}
				return
			}
			var got identity.UserView
			res.Want(t, tc.status).Decode(t, &got)
			want := slices.Sorted(slices.Values(tc.roles))
			if !slices.Equal(got.Roles, want) {
				t.Fatalf("roles %v, want %v", got.Roles, want)
			}
		})
	}
	// The evaluator's new roles are stored and authorize at once: a supervisor reads the audit log.
	var got identity.UserView
	k.Do(t, "GET", "/api/v1/users/"+eva.ID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
	if !slices.Equal(got.Roles, []string{"evaluator", "supervisor"}) {
		t.Fatalf("stored roles %v", got.Roles)
	}
	k.Do(t, "GET", "/api/v1/audit", org.Tokens["evaluator"], nil).Want(t, http.StatusOK)
	// Audited with the roles before and after.
	page, err := k.Server.Audit.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 500}, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string][]string
	for _, e := range page.Items {
		if e.Action == "user.set_roles" && e.TargetID == eva.ID.String() {
			_ = json.Unmarshal(e.Before, &before)
			_ = json.Unmarshal(e.After, &after)
		}
	}
	if !slices.Equal(before["roles"], []string{"evaluator"}) || !slices.Equal(after["roles"], []string{"evaluator", "supervisor"}) {
		t.Fatalf("audit before %v after %v", before, after)
	}
}

func TestAdminResetsPassword(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	other := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	staff := org.Users["staff"]
	const next = "orange bicycle ninety"
	tests := []struct {
		name     string
		token    string
		id       string
		password string
		status   int
		code     string
	}{
		{"staff may not", org.Tokens["staff"], staff.ID.String(), next, http.StatusForbidden, "forbidden"},
		{"another tenant's user", org.Admin, other.Users["staff"].ID.String(), next, http.StatusNotFound, "not_found"},
		{"weak password", org.Admin, staff.ID.String(), "12345678", http.StatusUnprocessableEntity, "validation_failed"},
		{"password holds the tenant's slug", org.Admin, staff.ID.String(), org.Tenant.Slug + " rocks", http.StatusUnprocessableEntity, "validation_failed"},
		{"admin resets", org.Admin, staff.ID.String(), next, http.StatusNoContent, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "PUT", "/api/v1/users/"+tc.id+"/password", tc.token, map[string]string{"password": tc.password})
			if tc.code != "" {
				res.WantProblem(t, tc.status, tc.code)
				return
			}
			res.Want(t, tc.status)
		})
	}
	// The user's sessions are revoked; the new password logs in; the other tenant is untouched.
	k.Do(t, "GET", "/api/v1/me", org.Tokens["staff"], nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": staff.Username, "password": next}).
		Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/me", other.Tokens["staff"], nil).Want(t, http.StatusOK)
	if got := auditActions(t, k, org, staff.ID); !slices.Contains(got, "user.reset_password") {
		t.Fatalf("audit of the user: %v, want user.reset_password", got)
	}
}

func TestEnableUser(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSchool, "110105", "staff", "evaluator")
	eva := org.Users["evaluator"]
	svc := k.Server.Identity
	ctx := org.Ctx(context.Background())
	if err := svc.DisableUser(ctx, eva.ID); err != nil {
		t.Fatal(err)
	}
	k.Do(t, "POST", "/api/v1/users/"+eva.ID.String()+"/enable", org.Tokens["staff"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/users/"+uuid.NewString()+"/enable", org.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/users/"+eva.ID.String()+"/enable", org.Admin, nil).Want(t, http.StatusNoContent)
	k.Do(t, "POST", "/api/v1/users/"+eva.ID.String()+"/enable", org.Admin, nil).Want(t, http.StatusNoContent) // twice is harmless
	u, err := svc.GetUser(ctx, eva.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != identity.StatusActive {
		t.Fatalf("status %s after enabling", u.Status)
	}
	// The old session stays revoked; a new login works.
	k.Do(t, "GET", "/api/v1/me", org.Tokens["evaluator"], nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	k.Login(t, org.Tenant.Slug, eva.Username)
	if got := auditActions(t, k, org, eva.ID); !slices.Equal(got[2:4], []string{"user.disable", "user.enable"}) {
		t.Fatalf("audit of the user: %v", got)
	}
	// Service level: another tenant's user is not found.
	other := k.Tenant(t, tenants.KindSchool, "110105", "staff")
	if err := svc.EnableUser(other.Ctx(context.Background()), eva.ID); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("enabling another tenant's user: %v", err)
	}
}
