package identity_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestLoginAndMe(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	res := k.Do(t, "GET", "/api/v1/me", org.Tokens["staff"], nil).Want(t, http.StatusOK)
	var me struct {
		ID       string
		Username string
		TenantID string `json:"tenant_id"`
		Roles    []string
	}
	res.Decode(t, &me)
	if me.TenantID != org.Tenant.ID.String() || len(me.Roles) != 1 || me.Roles[0] != "staff" {
		t.Fatalf("me = %+v", me)
	}
}

func TestLoginFailuresLookTheSame(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	cases := []struct{ name, tenant, user, pass string }{
		{"unknown tenant", "no-such-tenant", "admin", testkit.Password},
		{"unknown user", org.Tenant.Slug, "nobody", testkit.Password},
		{"wrong password", org.Tenant.Slug, "admin", "wrong password!"},
	}
	var bodies []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": c.tenant, "username": c.user, "password": c.pass})
			res.WantProblem(t, http.StatusUnauthorized, "invalid_credentials")
			var p map[string]any
			res.Decode(t, &p)
			delete(p, "request_id")
			bodies = append(bodies, strings.TrimSpace(string(mustJSON(p))))
		})
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("answers differ: %s vs %s", bodies[0], b)
		}
	}
}

func TestThrottlePerAccount(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	for i := 0; i < 5; i++ {
		k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": "admin", "password": "wrong password"}).
			Want(t, http.StatusUnauthorized)
	}
	// Even the right password is refused while the account is throttled.
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": "admin", "password": testkit.Password}).
		WantProblem(t, http.StatusTooManyRequests, "rate_limited")
}

func TestLogoutAndDisableRevoke(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	tok := k.Login(t, org.Tenant.Slug, "admin")
	k.Do(t, "POST", "/api/v1/auth/logout", tok, nil).Want(t, http.StatusNoContent)
	k.Do(t, "GET", "/api/v1/me", tok, nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")

	staff := org.Users["staff"]
	k.Do(t, "GET", "/api/v1/me", org.Tokens["staff"], nil).Want(t, http.StatusOK)
	k.Do(t, "POST", "/api/v1/users/"+staff.ID.String()+"/disable", org.Admin, nil).Want(t, http.StatusNoContent)
	k.Do(t, "GET", "/api/v1/me", org.Tokens["staff"], nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": staff.Username, "password": testkit.Password}).
		WantProblem(t, http.StatusUnauthorized, "invalid_credentials")
}

func TestUsersAPI(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSocialOrg, "110105", "staff")
	other := k.Tenant(t, tenants.KindEnterprise, "110105")
	tests := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		code   string
	}{
		{"created", org.Admin, map[string]any{"username": "eva", "password": "long enough pw", "roles": []string{"evaluator"}}, 201, ""},
		{"duplicate", org.Admin, map[string]any{"username": "eva", "password": "long enough pw", "roles": []string{"evaluator"}}, 409, "duplicate"},
		{"role of another kind", org.Admin, map[string]any{"username": "ins", "password": "long enough pw", "roles": []string{"inspector"}}, 422, "invalid_role"},
		{"short password", org.Admin, map[string]any{"username": "pw", "password": "short", "roles": []string{"staff"}}, 422, "validation_failed"},
		{"staff may not", org.Tokens["staff"], map[string]any{"username": "x1", "password": "long enough pw", "roles": []string{"staff"}}, 403, "forbidden"},
		{"no token", "", map[string]any{"username": "x2", "password": "long enough pw", "roles": []string{"staff"}}, 401, "unauthenticated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/users", tc.token, tc.body)
			if tc.code == "" {
				res.Want(t, tc.status)
			} else {
				res.WantProblem(t, tc.status, tc.code)
			}
		})
	}
	// Another tenant's user is 404, never 403.
	k.Do(t, "GET", "/api/v1/users/"+org.Users["staff"].ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	// A 64-character password is accepted (length 8 to at least 64; one character repeated is refused as
	// too easy to guess, so the last differs).
	k.Do(t, "POST", "/api/v1/users", org.Admin, map[string]any{"username": "long", "password": strings.Repeat("p", 63) + "!", "roles": []string{"staff"}}).Want(t, 201)
}

func TestIdleExpiry(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	svc := k.Server.Identity
	res, err := svc.Login(context.Background(), identity.LoginInput{Tenant: org.Tenant.Slug, Username: "admin", Password: testkit.Password, ClientIP: "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(context.Background(), res.Token); err != nil {
		t.Fatal(err)
	}
	old := svc.IdleTimeout
	svc.IdleTimeout = time.Nanosecond
	defer func() { svc.IdleTimeout = old }()
	if _, err := svc.Authenticate(context.Background(), res.Token); err == nil {
		t.Fatal("idle session still authenticates")
	}
}

func mustJSON(v any) []byte {
	b, _ := jsonMarshal(v)
	return b
}

func TestThrottlePerAddress(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	svc := k.Server.Identity
	ctx := context.Background()
	// Thirty failures against thirty different accounts from one address…
	for i := 0; i < 30; i++ {
		_, err := svc.Login(ctx, identity.LoginInput{Tenant: org.Tenant.Slug, Username: fmt.Sprintf("nobody%d", i), Password: "wrong password", ClientIP: "192.0.2.77"})
		if err == nil {
			t.Fatal("login succeeded")
		}
	}
	// …block that address even for a correct login, while another address still gets in.
	if _, err := svc.Login(ctx, identity.LoginInput{Tenant: org.Tenant.Slug, Username: "admin", Password: testkit.Password, ClientIP: "192.0.2.77"}); err != identity.ErrRateLimited {
		t.Fatalf("blocked address: err = %v, want rate limited", err)
	}
	if _, err := svc.Login(ctx, identity.LoginInput{Tenant: org.Tenant.Slug, Username: "admin", Password: testkit.Password, ClientIP: "192.0.2.78"}); err != nil {
		t.Fatalf("other address: %v", err)
	}
}

func TestPasswordHashing(t *testing.T) {
	h, err := identity.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %s is not argon2id at OWASP parameters", h)
	}
	for _, c := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horsE", false}, {"", false}} {
		if ok, err := identity.VerifyPassword(h, c.pw); err != nil || ok != c.want {
			t.Errorf("VerifyPassword(%q) = %v, %v", c.pw, ok, err)
		}
	}
	if _, err := identity.VerifyPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash verified without error")
	}
}
