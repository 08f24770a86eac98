package identity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// asProblem returns err's kind, code and the names of its invalid fields.
func asProblem(tb testing.TB, err error) (platform.Kind, string, []string) {
	tb.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) {
		tb.Fatalf("err = %v, want a *platform.Error", err)
	}
	var fields []string
	for _, f := range pe.Fields {
		fields = append(fields, f.Field+":"+f.Code)
	}
	return pe.Kind, pe.Code, fields
}

func TestCreateUserRules(t *testing.T) {
	k := testkit.New(t)
	orgs := map[tenants.Kind]*testkit.Org{
		tenants.KindSchool:    k.Tenant(t, tenants.KindSchool, "110105"),
		tenants.KindRegulator: k.Tenant(t, tenants.KindRegulator, "110000"),
	}
	// long is an n-character password that is neither common nor a repeated pattern (hex digits of
	// successive hashes), so only the rule under test can refuse it.
	long := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			sum := sha256.Sum256([]byte{byte(i)})
			b.WriteString(hex.EncodeToString(sum[:]))
		}
		return b.String()[:n]
	}
	tests := []struct {
		name   string
		kind   tenants.Kind
		in     identity.NewUser
		code   string   // "" when the user is created
		fields []string // field:code of a validation failure
	}{
		{"institution role", tenants.KindSchool, identity.NewUser{Username: "eva", Password: long(8), Roles: []string{"evaluator", "staff"}}, "", nil},
		{"regulator role", tenants.KindRegulator, identity.NewUser{Username: "ina", Password: long(8), Roles: []string{"inspector"}}, "", nil},
		{"longest password", tenants.KindSchool, identity.NewUser{Username: "max", Password: long(128), Roles: []string{"staff"}}, "", nil},
		{"regulator role in an institution", tenants.KindSchool, identity.NewUser{Username: "r1", Password: long(8), Roles: []string{"inspector"}}, "invalid_role", []string{"roles:invalid_role"}},
		{"institution role in a regulator", tenants.KindRegulator, identity.NewUser{Username: "r2", Password: long(8), Roles: []string{"staff"}}, "invalid_role", []string{"roles:invalid_role"}},
		{"platform role in an institution", tenants.KindSchool, identity.NewUser{Username: "r3", Password: long(8), Roles: []string{"platform_admin"}}, "invalid_role", []string{"roles:invalid_role"}},
		{"unknown role", tenants.KindSchool, identity.NewUser{Username: "r4", Password: long(8), Roles: []string{"root"}}, "invalid_role", []string{"roles:invalid_role"}},
		{"no role", tenants.KindSchool, identity.NewUser{Username: "r5", Password: long(8)}, "validation_failed", []string{"roles:required"}},
		{"role twice", tenants.KindSchool, identity.NewUser{Username: "r6", Password: long(8), Roles: []string{"staff", "staff"}}, "validation_failed", []string{"roles:duplicate"}},
		{"username too short", tenants.KindSchool, identity.NewUser{Username: "a", Password: long(8), Roles: []string{"staff"}}, "validation_failed", []string{"username:format"}},
		{"username with a space", tenants.KindSchool, identity.NewUser{Username: "a b", Password: long(8), Roles: []string{"staff"}}, "validation_failed", []string{"username:format"}},
		{"password too short", tenants.KindSchool, identity.NewUser{Username: "p1", Password: long(7), Roles: []string{"staff"}}, "validation_failed", []string{"password:length"}},
		{"password too long", tenants.KindSchool, identity.NewUser{Username: "p2", Password: long(129), Roles: []string{"staff"}}, "validation_failed", []string{"password:length"}},
		{"display name too long", tenants.KindSchool, identity.NewUser{Username: "d1", Password: long(8), DisplayName: strings.Repeat("名", 101), Roles: []string{"staff"}}, "validation_failed", []string{"display_name:too_long"}},
		{"every field at once", tenants.KindSchool, identity.NewUser{Username: "-", Password: "", Roles: nil}, "validation_failed", []string{"username:format", "password:length", "roles:required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			org := orgs[tc.kind]
			u, err := k.Server.Identity.CreateUser(org.Ctx(context.Background()), tc.in)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, err := k.Server.Identity.GetUser(org.Ctx(context.Background()), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := append([]string(nil), tc.in.Roles...)
				sort.Strings(want)
				if got.Username != tc.in.Username || got.TenantID != org.Tenant.ID || got.Status != identity.StatusActive || !slices.Equal(got.Roles, want) {
					t.Fatalf("stored %+v", got)
				}
				return
			}
			kind, code, fields := asProblem(t, err)
			if kind != platform.KindUnprocessable || code != tc.code {
				t.Fatalf("kind %d code %s, want 422 %s", kind, code, tc.code)
			}
			if diff := cmp.Diff(tc.fields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsernameUniquePerTenant(t *testing.T) {
	k := testkit.New(t)
	a := k.Tenant(t, tenants.KindEnterprise, "110105")
	b := k.Tenant(t, tenants.KindEnterprise, "110105")
	in := identity.NewUser{Username: "zhang.san", Password: testkit.Password, Roles: []string{"staff"}}
	tests := []struct {
		name  string
		org   *testkit.Org
		input identity.NewUser
		want  error
	}{
		{"first in a", a, in, nil},
		{"again in a", a, in, identity.ErrUsernameTaken},
		{"again in a, padded", a, identity.NewUser{Username: "  zhang.san ", Password: testkit.Password, Roles: []string{"staff"}}, identity.ErrUsernameTaken},
		{"first in b", b, in, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Server.Identity.CreateUser(tc.org.Ctx(context.Background()), tc.input)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want != nil && platform.KindOf(err) != platform.KindConflict {
				t.Fatalf("kind %d, want 409", platform.KindOf(err))
			}
		})
	}
	// Over the API the duplicate is 409 duplicate.
	k.Do(t, "POST", "/api/v1/users", a.Admin, map[string]any{"username": "zhang.san", "password": testkit.Password, "roles": []string{"staff"}}).
		WantProblem(t, http.StatusConflict, "duplicate")
}

func TestDisableUser(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator")
	other := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	eva := org.Users["evaluator"]
	evaToken := org.Tokens["evaluator"]
	tests := []struct {
		name   string
		token  string
		id     string
		status int
		code   string
	}{
		{"staff may not", org.Tokens["staff"], eva.ID.String(), http.StatusForbidden, "forbidden"},
		{"unknown user", org.Admin, uuid.NewString(), http.StatusNotFound, "not_found"},
		{"another tenant's user", org.Admin, other.Users["staff"].ID.String(), http.StatusNotFound, "not_found"},
		{"not an id", org.Admin, "eva", http.StatusNotFound, "not_found"},
		{"admin disables", org.Admin, eva.ID.String(), http.StatusNoContent, ""},
		{"twice is harmless", org.Admin, eva.ID.String(), http.StatusNoContent, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/users/"+tc.id+"/disable", tc.token, nil)
			if tc.code != "" {
				res.WantProblem(t, tc.status, tc.code)
				return
			}
			res.Want(t, tc.status)
		})
	}
	// The other tenant's user is untouched.
	k.Do(t, "GET", "/api/v1/me", other.Tokens["staff"], nil).Want(t, http.StatusOK)
	// The disabled user's session is gone, a new login is refused like a wrong password, and the
	// user shows as disabled.
	k.Do(t, "GET", "/api/v1/me", evaToken, nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": eva.Username, "password": testkit.Password}).
		WantProblem(t, http.StatusUnauthorized, "invalid_credentials")
	var got identity.UserView
	k.Do(t, "GET", "/api/v1/users/"+eva.ID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != identity.StatusDisabled || !slices.Equal(got.Roles, []string{"evaluator"}) {
		t.Fatalf("disabled user shows %+v", got)
	}
	// Service-level, a disabled user cannot log in either, whatever the address.
	if _, err := k.Server.Identity.Login(context.Background(), identity.LoginInput{Tenant: org.Tenant.Slug, Username: eva.Username,
		Password: testkit.Password, ClientIP: "198.51.100.7"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("login of a disabled user: %v", err)
	}
}

func TestResetPassword(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	staff := org.Users["staff"]
	svc := k.Server.Identity
	ctx := org.Ctx(context.Background())
	if err := svc.ResetPassword(ctx, staff.Username, "short"); platform.KindOf(err) != platform.KindUnprocessable {
		t.Fatalf("short password: %v", err)
	}
	if err := svc.ResetPassword(ctx, "nobody", "a new long password"); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := svc.ResetPassword(ctx, staff.Username, "a new long password"); err != nil {
		t.Fatal(err)
	}
	k.Do(t, "GET", "/api/v1/me", org.Tokens["staff"], nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	tests := []struct {
		password string
		status   int
	}{
		{testkit.Password, http.StatusUnauthorized},
		{"a new long password", http.StatusOK},
	}
	for _, tc := range tests {
		k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": staff.Username, "password": tc.password}).
			Want(t, tc.status)
	}
}

func TestListUsersPages(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Tenant(t, tenants.KindEnterprise, "110105", "staff") // another tenant's users never show
	created := []string{"admin"}                           // the first admin, made with the tenant
	for _, name := range []string{"mia", "bob", "zoe", "amy", "kai"} {
		k.User(t, org, name, "staff")
		created = append(created, name)
	}
	byName := append([]string(nil), created...)
	sort.Strings(byName)
	reversed := func(s []string) []string {
		out := append([]string(nil), s...)
		slices.Reverse(out)
		return out
	}
	svc := k.Server.Identity
	ctx := org.Ctx(context.Background())
	tests := []struct {
		sort string
		desc bool
		want []string
	}{
		{"", false, created},
		{identity.SortCreatedAt, false, created},
		{identity.SortCreatedAt, true, reversed(created)},
		{identity.SortUsername, false, byName},
		{identity.SortUsername, true, reversed(byName)},
	}
	for _, tc := range tests {
		for _, limit := range []int{1, 2, 4, 6, 50} {
			req := platform.PageRequest{Limit: limit, Sort: tc.sort, Desc: tc.desc}
			var got []string
			pages := 0
			for {
				page, err := svc.ListUsers(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Items) > limit {
					t.Fatalf("sort %q desc %v limit %d: page of %d", tc.sort, tc.desc, limit, len(page.Items))
				}
				for _, u := range page.Items {
					got = append(got, u.Username)
					if u.TenantID != org.Tenant.ID || len(u.Roles) != 1 {
						t.Fatalf("listed %+v", u)
					}
				}
				if page.NextCursor == "" {
					break
				}
				req.Cursor = page.NextCursor
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("sort %q desc %v limit %d (-want +got):\n%s", tc.sort, tc.desc, limit, diff)
			}
			if want := (len(created) + limit - 1) / limit; pages != want {
				t.Errorf("sort %q desc %v limit %d: %d pages, want %d (no empty last page)", tc.sort, tc.desc, limit, pages, want)
			}
		}
	}
	// A cursor this list did not make is refused, over the API as 400.
	for _, cursor := range []string{"@@@", platform.EncodeCursor(1), platform.EncodeCursor("x", "y", "z")} {
		if _, err := svc.ListUsers(ctx, platform.PageRequest{Cursor: cursor}); !errors.Is(err, platform.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", cursor, err)
		}
	}
	k.Do(t, "GET", "/api/v1/users?cursor="+platform.EncodeCursor(1), org.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_cursor")
	// The API walks the same order.
	var names []string
	cursor := ""
	for {
		var page platform.Page[identity.UserView]
		k.Do(t, "GET", "/api/v1/users?limit=4&sort=-username&cursor="+cursor, org.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
		for _, u := range page.Items {
			names = append(names, u.Username)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(reversed(byName), names); diff != "" {
		t.Errorf("API pages (-want +got):\n%s", diff)
	}
}
