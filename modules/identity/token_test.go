package identity_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// forge makes a token of the right shape for tenant with random secret bytes, plus extra raw bytes.
func forge(tenant uuid.UUID, extra ...byte) string {
	buf := make([]byte, 48, 48+len(extra))
	copy(buf, tenant[:])
	_, _ = rand.Read(buf[16:])
	return "sct_" + base64.RawURLEncoding.EncodeToString(append(buf, extra...))
}

// TestMalformedTokens: every token that is not one the server issued — the zero tenant id (which
// used to answer 500 no_tenant_scope), bad base64, a wrong length, an unknown tenant, trailing
// garbage, NUL — is 401 unauthenticated, at the service and over HTTP, never 5xx.
func TestMalformedTokens(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	good := org.Admin
	tests := []struct {
		name  string
		token string
	}{
		{"zero tenant", forge(uuid.Nil)},
		{"zero tenant, the secret of a real session", "sct_" + base64.RawURLEncoding.EncodeToString(append(make([]byte, 16), mustDecode(t, good)[16:]...))},
		{"unknown tenant", forge(uuid.New())},
		{"another tenant's id with a real secret", "sct_" + base64.RawURLEncoding.EncodeToString(append(k.Platform.ID[:], mustDecode(t, good)[16:]...))},
		{"bad base64", "sct_" + strings.Repeat("!", 64)},
		{"standard alphabet", "sct_" + strings.Repeat("+", 64)},
		{"padding", good + "=="},
		{"too short", good[:len(good)-4]},
		{"too long (trailing base64)", good + "AAAA"},
		{"one byte too many", forge(org.Tenant.ID, 0)},
		{"trailing garbage", good + "garbage!"},
		{"trailing space and more", good + " x"},
		{"line break inside", good[:30] + "\n" + good[30:]},
		{"NUL inside", good[:30] + "\x00" + good[31:]},
		{"NUL appended", good + "\x00"},
		{"no prefix", strings.TrimPrefix(good, "sct_")},
		{"prefix only", "sct_"},
		{"empty", ""},
		{"not UTF-8", "sct_\xff\xfe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Server.Identity.Authenticate(context.Background(), tc.token)
			if !errors.Is(err, identity.ErrUnauthenticated) {
				t.Fatalf("Authenticate: %v, want unauthenticated", err)
			}
			if strings.ContainsAny(tc.token, "\x00\n") || tc.token == "" {
				return // not a valid header value; the service answer above is what counts
			}
			k.Do(t, "GET", "/api/v1/me", tc.token, nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
		})
	}
	// The real token still works.
	k.Do(t, "GET", "/api/v1/me", good, nil).Want(t, http.StatusOK)
}

func mustDecode(t *testing.T, token string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, "sct_"))
	if err != nil || len(b) != 48 {
		t.Fatalf("not a token: %q", token)
	}
	return b
}

// TestThrottleKeysHoldNoNames: failed logins are counted in Redis under keys that do not contain
// the tenant, the username or the client address.
func TestThrottleKeysHoldNoNames(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	username, addr := "u13800138000", "198.51.100.23"
	_, err := k.Server.Identity.Login(context.Background(), identity.LoginInput{Tenant: org.Tenant.Slug,
		Username: username, Password: "wrong password", ClientIP: addr})
	if !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("login: %v", err)
	}
	rdb := dbtest.Redis(t)
	ctx := context.Background()
	var keys []string
	iter := rdb.Scan(ctx, 0, "skillcert:login:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 2 {
		t.Fatalf("throttle keys %v: the failure was not counted", keys)
	}
	for _, key := range keys {
		for _, raw := range []string{username, org.Tenant.Slug, addr, "admin"} {
			if strings.Contains(key, raw) {
				t.Errorf("Redis key %q holds %q in clear", key, raw)
			}
		}
	}
	// The count still works: the account is locked after five failures.
	for i := 0; i < 4; i++ {
		_, _ = k.Server.Identity.Login(ctx, identity.LoginInput{Tenant: org.Tenant.Slug, Username: username, Password: "wrong password", ClientIP: addr})
	}
	_, err = k.Server.Identity.Login(ctx, identity.LoginInput{Tenant: org.Tenant.Slug, Username: username, Password: "wrong password", ClientIP: "198.51.100.24"})
	if !errors.Is(err, identity.ErrRateLimited) {
		t.Fatalf("sixth failure from another address: %v, want rate limited", err)
	}
}
