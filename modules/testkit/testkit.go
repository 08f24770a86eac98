// Package testkit runs the assembled SkillCert server against the package's own PostgreSQL database
// and Redis DB (see dbtest) for end-to-end tests: make tenants and users, log in, call the API.
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//	func TestX(t *testing.T) {
//		k := testkit.New(t)
//		org := k.Tenant(t, "enterprise", "110105")
//		res := k.Do(t, "POST", "/api/v1/batches", org.Admin, body)
//	}
package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/server"
	"github.com/skillcert/skillcert/tenants"
)

// MasterKey is the kit server's SKILLCERT_MASTER_KEY: a fixed, test-only master key (base64 of 32
// bytes) sealing signing keys. A test's own certificates service over the kit's database uses it too,
// so that it and the server open each other's keys.
const MasterKey = "c2tpbGxjZXJ0LXRlc3Qta2l0LW1hc3Rlci1rZXktMzI="

// Password is the password of every user the kit creates.
const Password = "correct horse battery"

// Kit is a running server for tests.
type Kit struct {
	Server   *server.Server
	DB       *bun.DB
	Platform tenants.Tenant
	Admin    string // the platform administrator's token
}

var (
	mu     sync.Mutex
	shared *Kit
)

// New returns the package's kit, built once per test binary and shared by its tests (which stay
// independent by making their own tenants).
func New(tb testing.TB) *Kit {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	ctx := context.Background()
	// Keys and files never land in the package directory: the kit's data directory is temporary.
	dataDir, err := os.MkdirTemp("", "skillcert-testkit-")
	if err != nil {
		tb.Fatal(err)
	}
	dbtest.AtExit(func() { _ = os.RemoveAll(dataDir) })
	db := dbtest.DB(tb)
	rdb := dbtest.Redis(tb)
	cfg, err := platform.LoadConfig(func(k string) string {
		switch k {
		case "SKILLCERT_PUBLIC_URL":
			return "https://skillcert.test"
		case "SKILLCERT_PUBLIC_RATE":
			return "0"
		case "SKILLCERT_MASTER_KEY":
			return MasterKey
		case "SKILLCERT_DATA_DIR":
			return dataDir
		}
		return ""
	})
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The kit outlives the first test, so its Redis client is not tied to that test's cleanup.
	rdbLong, err := platform.OpenRedis(ctx, dbtest.RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	_ = rdb
	srv, err := server.New(ctx, server.Deps{DB: db, Redis: rdbLong, Log: log, Config: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	pt, _, err := srv.Bootstrap(ctx, Password)
	if err != nil {
		tb.Fatal(err)
	}
	k := &Kit{Server: srv, DB: db, Platform: pt}
	k.Admin = k.Login(tb, tenants.PlatformSlug, "admin")
	shared = k
	return k
}

// Org is a tenant made for a test, with a token per role.
type Org struct {
	Tenant tenants.Tenant
	Admin  string            // the first admin's token
	Tokens map[string]string // role → token of a user holding only that role
	Users  map[string]identity.User
}

// Slug returns a unique slug with prefix.
func Slug(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Tenant creates a tenant of kind in region through the API, plus one user per given role.
func (k *Kit) Tenant(tb testing.TB, kind tenants.Kind, region string, roles ...string) *Org {
	tb.Helper()
	slug := Slug(string(kind[:3]))
	res := k.Do(tb, "POST", "/api/v1/tenants", k.Admin, map[string]any{
		"slug": slug, "name": "Test " + slug, "kind": kind, "region_code": region,
		"admin": map[string]any{"username": "admin", "password": Password, "display_name": "Admin"},
	})
	res.Want(tb, http.StatusCreated)
	var dto directory.TenantView
	res.Decode(tb, &dto)
	t, err := k.Server.Directory.ByID(context.Background(), dto.ID)
	if err != nil {
		tb.Fatal(err)
	}
	o := &Org{Tenant: t, Tokens: map[string]string{}, Users: map[string]identity.User{}}
	o.Admin = k.Login(tb, slug, "admin")
	o.Tokens["admin"] = o.Admin
	for _, r := range roles {
		if r == "admin" {
			continue
		}
		u := k.User(tb, o, r+"-"+Slug("u"), r)
		o.Users[r] = u
		o.Tokens[r] = k.Login(tb, slug, u.Username)
	}
	return o
}

// User creates a user with roles in org through the service layer.
func (k *Kit) User(tb testing.TB, o *Org, username string, roles ...string) identity.User {
	tb.Helper()
	ctx := o.Ctx(context.Background())
	u, err := k.Server.Identity.CreateUser(ctx, identity.NewUser{Username: username, Password: Password, DisplayName: username, Roles: roles})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// Ctx returns ctx acting for the org as a system actor, for service-level calls in tests.
func (o *Org) Ctx(ctx context.Context) context.Context {
	return tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: o.Tenant.ID, Kind: o.Tenant.Kind,
		RegionCode: o.Tenant.RegionCode, Slug: o.Tenant.Slug}), tenants.Actor{Name: "system:test"})
}

// Login returns a token for username in tenant slug (password Password).
func (k *Kit) Login(tb testing.TB, slug, username string) string {
	tb.Helper()
	res := k.Do(tb, "POST", "/api/v1/auth/login", "", map[string]any{"tenant": slug, "username": username, "password": Password})
	res.Want(tb, http.StatusOK)
	var out struct{ Token string }
	res.Decode(tb, &out)
	return out.Token
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request to the app; body is JSON-encoded unless it is []byte or io.Reader.
func (k *Kit) Do(tb testing.TB, method, path, token string, body any, headers ...string) *Response {
	tb.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r, ctype = bytes.NewReader(buf), "application/json"
	}
	req := httptest.NewRequest(method, path, r)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := k.Server.App.Test(req, 30_000)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Want fails the test unless the status is want.
func (r *Response) Want(tb testing.TB, want int) *Response {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d, want %d; body: %s", r.Status, want, truncate(r.Body))
	}
	return r
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decoding %s: %v", truncate(r.Body), err)
	}
}

// Code returns the problem code of an error response.
func (r *Response) Code() string {
	var p struct{ Code string }
	_ = json.Unmarshal(r.Body, &p)
	return p.Code
}

// WantProblem fails unless the response is a problem with status and code.
func (r *Response) WantProblem(tb testing.TB, status int, code string) {
	tb.Helper()
	r.Want(tb, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		tb.Fatalf("content type %q, want application/problem+json", ct)
	}
	if got := r.Code(); got != code {
		tb.Fatalf("problem code %q, want %q; body: %s", got, code, truncate(r.Body))
	}
}

// ID parses the "id" field of a JSON body.
func (r *Response) ID(tb testing.TB) uuid.UUID {
	tb.Helper()
	var v struct{ ID uuid.UUID }
	r.Decode(tb, &v)
	return v.ID
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
