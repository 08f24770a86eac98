package identity_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, password, username, slug string
		code                           string // "" = accepted
	}{
		{"passphrase", "correct horse battery", "alice", "acme", ""},
		{"mixed", "Tr0ub4dor&3x", "alice", "acme", ""},
		{"chinese passphrase", "春眠不觉晓处处闻啼鸟", "alice", "acme", ""},
		{"128 characters", strings.Repeat("abcdefghijklmnop", 7) + "qrstuvwxyz012345", "alice", "acme", ""},
		{"two-character username not checked", "lighthouse keeper", "li", "acme", ""},
		{"short", "seven77", "alice", "acme", identity.CodePasswordLength},
		{"long", strings.Repeat("x", 129), "alice", "acme", identity.CodePasswordLength},
		{"eight runes of Chinese", "一二三四五六七八", "alice", "acme", ""},
		{"common", "password", "alice", "acme", identity.CodePasswordCommon},
		{"common, other case", "PassWord", "alice", "acme", identity.CodePasswordCommon},
		{"common, full width", "ｐａｓｓｗｏｒｄ", "alice", "acme", identity.CodePasswordCommon},
		{"common digits", "12345678", "alice", "acme", identity.CodePasswordCommon},
		{"common keyboard", "1qaz2wsx", "alice", "acme", identity.CodePasswordCommon},
		{"common word", "sunshine", "alice", "acme", identity.CodePasswordCommon},
		{"one character repeated", "zzzzzzzzzz", "alice", "acme", identity.CodePasswordCommon},
		{"pattern repeated", "xq7xq7xq7", "alice", "acme", identity.CodePasswordCommon},
		{"ascending", "3456789012", "alice", "acme", identity.CodePasswordCommon},
		{"descending letters", "ponmlkjih", "alice", "acme", identity.CodePasswordCommon},
		{"service name", "MySkillCert!2026", "alice", "acme", identity.CodePasswordCommon},
		{"username", "alice-in-wonderland", "alice", "acme", identity.CodePasswordContainsUsername},
		{"username, other case", "xxALICExx99", "alice", "acme", identity.CodePasswordContainsUsername},
		{"tenant slug", "we love acme!", "alice", "acme", identity.CodePasswordContainsTenant},
		{"tenant slug without its hyphen", "hdpower rocks", "alice", "hd-power", identity.CodePasswordContainsTenant},
		{"tenant slug with its hyphen", "go hd-power go", "alice", "hd-power", identity.CodePasswordContainsTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.CheckPassword(tt.password, tt.username, tt.slug)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			pe, ok := err.(*platform.Error)
			if !ok || pe.Kind != platform.KindUnprocessable || pe.Code != "validation_failed" || len(pe.Fields) != 1 ||
				pe.Fields[0].Field != "password" || pe.Fields[0].Code != tt.code || pe.Fields[0].Message == "" {
				t.Fatalf("got %#v, want a 422 on password with code %s", err, tt.code)
			}
		})
	}
}

// TestPasswordRulesWhereverAPasswordIsSet: creating a user, a tenant's first administrator, and
// resetting a password all refuse what CheckPassword refuses, with a 422 naming the field.
func TestPasswordRulesWhereverAPasswordIsSet(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	for _, tc := range []struct {
		username, password, code string
	}{
		{"carol", "iloveyou", identity.CodePasswordCommon},
		{"carol", "carol1234!", identity.CodePasswordContainsUsername},
		{"carol", "x" + org.Tenant.Slug + "x", identity.CodePasswordContainsTenant},
	} {
		res := k.Do(t, "POST", "/api/v1/users", org.Admin, map[string]any{"username": tc.username, "password": tc.password, "roles": []string{"staff"}})
		res.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		wantField(t, res, "password", tc.code)
	}

	slug := testkit.Slug("pw")
	res := k.Do(t, "POST", "/api/v1/tenants", k.Admin, map[string]any{
		"slug": slug, "name": "Test " + slug, "kind": tenants.KindEnterprise, "region_code": "110105",
		"admin": map[string]any{"username": "boss", "password": slug + "-admin", "display_name": "Boss"},
	})
	res.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	wantField(t, res, "admin.password", identity.CodePasswordContainsTenant)

	ctx := org.Ctx(context.Background())
	for pw, code := range map[string]string{"football": identity.CodePasswordCommon, "admin-again": identity.CodePasswordContainsUsername} {
		err := k.Server.Identity.ResetPassword(ctx, "admin", pw)
		if pe, ok := err.(*platform.Error); !ok || len(pe.Fields) != 1 || pe.Fields[0].Code != code {
			t.Fatalf("reset to %q: %v", pw, err)
		}
	}
	if err := k.Server.Identity.ResetPassword(ctx, "admin", "a much better passphrase"); err != nil {
		t.Fatal(err)
	}
}

func wantField(tb testing.TB, res *testkit.Response, field, code string) {
	tb.Helper()
	var p struct {
		Errors []platform.FieldError `json:"errors"`
	}
	res.Decode(tb, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Code != code {
		tb.Fatalf("errors %+v, want %s on %s", p.Errors, code, field)
	}
}
