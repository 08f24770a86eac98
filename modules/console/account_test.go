package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func wantPage(t *testing.T, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

func TestConsoleOwnPassword(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	staff := org.Users["staff"]
	b := signedIn(t, k, org, staff.Username)
	apiToken := k.Login(t, org.Tenant.Slug, staff.Username) // the same person elsewhere

	home := b.do("GET", "/", nil)
	wantPage(t, home, http.StatusOK, `href="/account"`, "我的账户")
	acct := b.do("GET", "/account", nil)
	wantPage(t, acct, http.StatusOK, staff.Username, `name="current_password"`, `name="new_password"`, `name="new_password_confirm"`)
	const next = "violet tractor seventeen"

	tests := []struct {
		name     string
		form     url.Values
		status   int
		messages []string
	}{
		{"current password missing", url.Values{"new_password": {next}, "new_password_confirm": {next}}, http.StatusUnprocessableEntity, []string{"必填"}},
		{"confirmation differs", url.Values{"current_password": {testkit.Password}, "new_password": {next}, "new_password_confirm": {next + "x"}},
			http.StatusUnprocessableEntity, []string{"两次输入的密码不一致"}},
		{"wrong current password", url.Values{"current_password": {"not it at all"}, "new_password": {next}, "new_password_confirm": {next}},
			http.StatusUnprocessableEntity, []string{"当前密码不正确"}},
		{"common new password", url.Values{"current_password": {testkit.Password}, "new_password": {"12345678"}, "new_password_confirm": {"12345678"}},
			http.StatusUnprocessableEntity, []string{"密码过于常见"}},
		{"same as the current", url.Values{"current_password": {testkit.Password}, "new_password": {testkit.Password}, "new_password_confirm": {testkit.Password}},
			http.StatusUnprocessableEntity, []string{"新密码不能与当前密码相同"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("_csrf", b.csrf(acct))
			p := b.do("POST", "/account/password", tc.form)
			wantPage(t, p, tc.status, tc.messages...)
			if !strings.Contains(p.body, `class="field invalid"`) {
				t.Fatalf("no field marked invalid:\n%s", p.body)
			}
		})
	}
	t.Run("without the CSRF token it is refused", func(t *testing.T) {
		p := b.do("POST", "/account/password", url.Values{"current_password": {testkit.Password}, "new_password": {next}, "new_password_confirm": {next}})
		if p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
	})
	k.Do(t, "GET", "/api/v1/me", apiToken, nil).Want(t, http.StatusOK)

	p := b.do("POST", "/account/password", url.Values{"_csrf": {b.csrf(acct)}, "current_password": {testkit.Password},
		"new_password": {next}, "new_password_confirm": {next}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account?changed=1" {
		t.Fatalf("change: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	// This browser stays signed in and is told what happened; the other session has ended.
	wantPage(t, b.do("GET", "/account?changed=1", nil), http.StatusOK, "密码已修改")
	k.Do(t, "GET", "/api/v1/me", apiToken, nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
	signedInWith := newBrowser(t, k)
	if p := signedInWith.login(org.Tenant.Slug, staff.Username, next); p.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", p.status)
	}
}

func TestConsoleUserManagement(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSchool, "110105", "staff", "evaluator")
	eva := org.Users["evaluator"]
	admin := signedIn(t, k, org, "admin")
	ctx := org.Ctx(context.Background())
	adminUser, err := k.Server.Identity.UserByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	evaPath := "/users/" + eva.ID.String()

	t.Run("the list links to each user's page", func(t *testing.T) {
		wantPage(t, admin.do("GET", "/users", nil), http.StatusOK, `href="`+evaPath+`"`)
	})

	t.Run("roles are changed on the user's page", func(t *testing.T) {
		up := admin.do("GET", evaPath, nil)
		wantPage(t, up, http.StatusOK, `value="evaluator" checked`, `action="`+evaPath+`/roles"`)
		p := admin.do("POST", evaPath+"/roles", url.Values{"_csrf": {admin.csrf(up)}, "roles": {"evaluator", "supervisor"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("set roles %d:\n%s", p.status, p.body)
		}
		wantPage(t, admin.do("GET", p.header.Get("Location"), nil), http.StatusOK, "已更新", `value="supervisor" checked`)
		u, err := k.Server.Identity.GetUser(ctx, eva.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(u.Roles, []string{"evaluator", "supervisor"}) {
			t.Fatalf("stored roles %v", u.Roles)
		}
	})

	t.Run("role errors next to the roles, what was ticked kept", func(t *testing.T) {
		up := admin.do("GET", evaPath, nil)
		p := admin.do("POST", evaPath+"/roles", url.Values{"_csrf": {admin.csrf(up)}})
		wantPage(t, p, http.StatusUnprocessableEntity, "必填")
		own := admin.do("GET", "/users/"+adminUser.ID.String(), nil)
		p = admin.do("POST", "/users/"+adminUser.ID.String()+"/roles", url.Values{"_csrf": {admin.csrf(own)}, "roles": {"staff"}})
		wantPage(t, p, http.StatusUnprocessableEntity, "不能取消自己的管理员角色", `value="staff" checked`)
		if strings.Contains(p.body, `value="admin" checked`) {
			t.Fatalf("the typed roles were not kept:\n%s", p.body)
		}
		// One's own page sends the password change to 我的账户 instead of a reset form.
		if strings.Contains(own.body, `/users/`+adminUser.ID.String()+`/password`) || !strings.Contains(own.body, `href="/account"`) {
			t.Fatalf("own user page offers a reset:\n%s", own.body)
		}
	})

	t.Run("an administrator resets a password after a confirm prompt", func(t *testing.T) {
		up := admin.do("GET", evaPath, nil)
		wantPage(t, up, http.StatusOK, `action="`+evaPath+`/password"`, `data-confirm="确定重置用户 `+eva.Username)
		const next = "orange bicycle ninety"
		p := admin.do("POST", evaPath+"/password", url.Values{"_csrf": {admin.csrf(up)}, "password": {next}, "password_confirm": {"other"}})
		wantPage(t, p, http.StatusUnprocessableEntity, "两次输入的密码不一致")
		p = admin.do("POST", evaPath+"/password", url.Values{"_csrf": {admin.csrf(up)}, "password": {"12345678"}, "password_confirm": {"12345678"}})
		wantPage(t, p, http.StatusUnprocessableEntity, "密码过于常见")
		k.Do(t, "GET", "/api/v1/me", org.Tokens["evaluator"], nil).Want(t, http.StatusOK)
		p = admin.do("POST", evaPath+"/password", url.Values{"_csrf": {admin.csrf(up)}, "password": {next}, "password_confirm": {next}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("reset %d:\n%s", p.status, p.body)
		}
		wantPage(t, admin.do("GET", p.header.Get("Location"), nil), http.StatusOK, "已重置")
		k.Do(t, "GET", "/api/v1/me", org.Tokens["evaluator"], nil).WantProblem(t, http.StatusUnauthorized, "unauthenticated")
		if p := newBrowser(t, k).login(org.Tenant.Slug, eva.Username, next); p.status != http.StatusSeeOther {
			t.Fatalf("login with the reset password: %d", p.status)
		}
	})

	t.Run("a disabled user is shown and enabled again", func(t *testing.T) {
		if err := k.Server.Identity.DisableUser(ctx, eva.ID); err != nil {
			t.Fatal(err)
		}
		list := admin.do("GET", "/users", nil)
		wantPage(t, list, http.StatusOK, "已停用", `action="`+evaPath+`/enable"`)
		p := admin.do("POST", evaPath+"/enable", url.Values{"_csrf": {admin.csrf(list)}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("enable %d:\n%s", p.status, p.body)
		}
		wantPage(t, admin.do("GET", p.header.Get("Location"), nil), http.StatusOK, "已启用用户")
		u, err := k.Server.Identity.GetUser(ctx, eva.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != identity.StatusActive {
			t.Fatalf("status %s", u.Status)
		}
	})

	t.Run("staff can neither see nor change a user", func(t *testing.T) {
		staff := signedIn(t, k, org, org.Users["staff"].Username)
		home := staff.do("GET", "/", nil)
		if p := staff.do("GET", evaPath, nil); p.status != http.StatusForbidden {
			t.Errorf("GET user page: %d", p.status)
		}
		for _, path := range []string{evaPath + "/roles", evaPath + "/password", evaPath + "/enable"} {
			p := staff.do("POST", path, url.Values{"_csrf": {staff.csrf(home)}, "roles": {"admin"}, "password": {"orange bicycle ninety"},
				"password_confirm": {"orange bicycle ninety"}})
			if p.status != http.StatusForbidden {
				t.Errorf("POST %s: %d, want 403", path, p.status)
			}
		}
	})
}
