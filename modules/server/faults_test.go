package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/server"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// instance builds one more server (an instance of a multi-instance deployment) on db and rdb.
func instance(t *testing.T, db *bun.DB, rdb *redis.Client) *server.Server {
	t.Helper()
	dir := t.TempDir()
	cfg, err := platform.LoadConfig(func(k string) string {
		switch k {
		case "SKILLCERT_PUBLIC_URL":
			return "https://skillcert.test"
		case "SKILLCERT_PUBLIC_RATE":
			return "0"
		case "SKILLCERT_MASTER_KEY":
			return "c2tpbGxjZXJ0LXRlc3Qta2l0LW1hc3Rlci1rZXktMzI="
		case "SKILLCERT_DATA_DIR":
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Deps{DB: db, Redis: rdb, Config: cfg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// call sends a JSON request to srv's app.
func call(t *testing.T, srv *server.Server, method, path, token string, body any) *testkit.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.App.Test(req, 30_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &testkit.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestUserCreatedWhileRedisIsDown: two instances share the database and a Redis the test stops.
// Creating a user on one while Redis is down answers 201 and the user exists (the role publish after
// the commit is retried, not reported as the request's failure — which used to answer 500 for a
// user that was created, and 409 to the retry); once Redis is back the other instance's authorizer
// holds the user's role.
func TestUserCreatedWhileRedisIsDown(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	rs := dbtest.StartRedis(t)
	open := func() *redis.Client {
		rdb, err := platform.OpenRedis(context.Background(), rs.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return rdb
	}
	one, two := instance(t, k.DB, open()), instance(t, k.DB, open())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = two.Listen(ctx) }()
	defer func() { cancel(); <-done }()

	res := call(t, one, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": "admin", "password": testkit.Password})
	res.Want(t, http.StatusOK)
	var login struct{ Token string }
	res.Decode(t, &login)

	rs.Stop(t)
	res = call(t, one, "POST", "/api/v1/users", login.Token,
		map[string]any{"username": "made-in-outage", "password": "long enough pw", "roles": []string{"staff"}})
	res.Want(t, http.StatusCreated)
	id := res.ID(t)
	call(t, one, "GET", "/api/v1/users/"+id.String(), login.Token, nil).Want(t, http.StatusOK)
	// The same request again is the conflict it should be, not a second attempt at something that failed.
	call(t, one, "POST", "/api/v1/users", login.Token,
		map[string]any{"username": "made-in-outage", "password": "long enough pw", "roles": []string{"staff"}}).
		WantProblem(t, http.StatusConflict, "duplicate")
	if roles, _ := one.Authorizer.RolesOf(org.Tenant.ID, id); len(roles) != 1 {
		t.Fatalf("the creating instance holds roles %v", roles)
	}

	rs.Start(t)
	want := policies.RoleSubject(tenants.KindEnterprise, "staff")
	deadline := time.Now().Add(20 * time.Second)
	for {
		roles, _ := two.Authorizer.RolesOf(org.Tenant.ID, id)
		if len(roles) == 1 && roles[0] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other instance holds %v for the user, want [%s]", roles, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLoginDuringDatabaseOutage: with the database refusing connections, a correct login answers
// 503 unavailable with Retry-After — not 401 invalid_credentials — and does not count toward the
// account's lockout: after more outage logins than the lockout allows, the database back, the same
// login succeeds. Authenticated requests answer 503 as well, never 500 or 401.
func TestLoginDuringDatabaseOutage(t *testing.T) {
	db, dbURL := dbtest.Fresh(t)
	srv := instance(t, db, dbtest.Redis(t))
	if _, _, err := srv.Bootstrap(context.Background(), testkit.Password); err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{"tenant": tenants.PlatformSlug, "username": "admin", "password": testkit.Password}
	res := call(t, srv, "POST", "/api/v1/auth/login", "", creds)
	res.Want(t, http.StatusOK)
	var login struct{ Token string }
	res.Decode(t, &login)

	restore := dbtest.CutDatabase(t, dbURL)
	for i := 0; i < 7; i++ { // the account lockout is 5 failures
		res := call(t, srv, "POST", "/api/v1/auth/login", "", creds)
		res.WantProblem(t, http.StatusServiceUnavailable, "unavailable")
		if res.Header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/users", "/api/v1/tenants"} {
		res := call(t, srv, "GET", path, login.Token, nil)
		res.WantProblem(t, http.StatusServiceUnavailable, "unavailable")
		if res.Header.Get("Retry-After") == "" {
			t.Fatalf("GET %s: 503 without Retry-After", path)
		}
	}
	restore()
	call(t, srv, "POST", "/api/v1/auth/login", "", creds).Want(t, http.StatusOK)
	call(t, srv, "GET", "/api/v1/me", login.Token, nil).Want(t, http.StatusOK)
}
