package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// browser is a minimal cookie-keeping client over the app, for handler tests without a real browser.
type browser struct {
	t       *testing.T
	k       *testkit.Kit
	cookies map[string]string
	lang    string
}

type page struct {
	status int
	header http.Header
	body   string
}

func newBrowser(t *testing.T, k *testkit.Kit) *browser {
	return &browser{t: t, k: k, cookies: map[string]string{}}
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for n, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	resp, err := b.k.Server.App.Test(req, 30_000)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

var csrfPattern = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf is the token of the first form on the page.
func (b *browser) csrf(p page) string {
	b.t.Helper()
	m := csrfPattern.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", p.body)
	}
	return m[1]
}

func (b *browser) login(slug, username, password string) page {
	b.t.Helper()
	lp := b.do("GET", "/login", nil)
	return b.do("POST", "/login", url.Values{"_csrf": {b.csrf(lp)}, "tenant": {slug}, "username": {username}, "password": {password}})
}

func TestConsoleSessions(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")

	t.Run("unauthenticated pages redirect to the login page", func(t *testing.T) {
		b := newBrowser(t, k)
		p := b.do("GET", "/", nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Fatalf("GET / = %d %q, want 303 /login", p.status, p.header.Get("Location"))
		}
	})

	t.Run("login page is Chinese first with security headers", func(t *testing.T) {
		b := newBrowser(t, k)
		p := b.do("GET", "/login", nil)
		if p.status != 200 || !strings.Contains(p.body, `<html lang="zh-CN">`) || !strings.Contains(p.body, "机构代码") {
			t.Fatalf("login page %d:\n%s", p.status, p.body)
		}
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		if rp := p.header.Get("Referrer-Policy"); rp != "strict-origin-when-cross-origin" && rp != "same-origin" && rp != "no-referrer" {
			t.Errorf("Referrer-Policy %q", rp)
		}
		// Nothing from another host: no absolute URLs in src or href.
		if regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).MatchString(p.body) {
			t.Errorf("page loads from another host:\n%s", p.body)
		}
		// Form fields are named as the API's login body.
		for _, name := range []string{`name="tenant"`, `name="username"`, `name="password"`} {
			if !strings.Contains(p.body, name) {
				t.Errorf("login form lacks %s", name)
			}
		}
	})

	t.Run("English before login from Accept-Language", func(t *testing.T) {
		b := newBrowser(t, k)
		b.lang = "en-US,en;q=0.9"
		p := b.do("GET", "/login", nil)
		if !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, "Institution code") {
			t.Fatalf("not English:\n%s", p.body)
		}
	})

	t.Run("missing fields are named next to the fields", func(t *testing.T) {
		b := newBrowser(t, k)
		lp := b.do("GET", "/login", nil)
		p := b.do("POST", "/login", url.Values{"_csrf": {b.csrf(lp)}, "tenant": {org.Tenant.Slug}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="username-err"`) || !strings.Contains(p.body, `id="password-err"`) {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		if !strings.Contains(p.body, `value="`+org.Tenant.Slug+`"`) {
			t.Errorf("the tenant typed was lost")
		}
	})

	t.Run("a state-changing request without the CSRF token is refused", func(t *testing.T) {
		b := newBrowser(t, k)
		b.do("GET", "/login", nil)
		p := b.do("POST", "/login", url.Values{"tenant": {org.Tenant.Slug}, "username": {"admin"}, "password": {testkit.Password}})
		if p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
		if _, ok := b.cookies["skillcert_session"]; ok {
			t.Fatal("a session was opened without CSRF")
		}
		// A token from another browser does not serve either.
		other := newBrowser(t, k)
		tok := other.csrf(other.do("GET", "/login", nil))
		p = b.do("POST", "/login", url.Values{"_csrf": {tok}, "tenant": {org.Tenant.Slug}, "username": {"admin"}, "password": {testkit.Password}})
		if p.status != http.StatusForbidden {
			t.Fatalf("foreign token: status %d, want 403", p.status)
		}
	})

	t.Run("wrong password answers as the API does", func(t *testing.T) {
		b := newBrowser(t, k)
		p := b.login(org.Tenant.Slug, "admin", "not the password")
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "不正确") {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
	})

	t.Run("login sets an HttpOnly SameSite=Lax cookie, logout revokes the session", func(t *testing.T) {
		b := newBrowser(t, k)
		lp := b.do("GET", "/login?next=/", nil)
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"_csrf": {b.csrf(lp)}, "tenant": {org.Tenant.Slug},
			"username": {"admin"}, "password": {testkit.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for n, v := range b.cookies {
			req.AddCookie(&http.Cookie{Name: n, Value: v})
		}
		resp, err := k.Server.App.Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "skillcert_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || !session.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Secure (public URL is https)", session)
		}
		b.cookies["skillcert_session"] = session.Value
		home := b.do("GET", "/", nil)
		if home.status != 200 || !strings.Contains(home.body, "工作台") {
			t.Fatalf("home %d:\n%s", home.status, home.body)
		}
		// The same session serves the API as a bearer token: one session store.
		k.Do(t, "GET", "/api/v1/me", session.Value, nil).Want(t, http.StatusOK)
		out := b.do("POST", "/logout", url.Values{"_csrf": {b.csrf(home)}})
		if out.status != http.StatusSeeOther {
			t.Fatalf("logout %d", out.status)
		}
		k.Do(t, "GET", "/api/v1/me", session.Value, nil).Want(t, http.StatusUnauthorized)
		b.cookies["skillcert_session"] = session.Value // a kept copy of the cookie is dead too
		if p := b.do("GET", "/", nil); p.status != http.StatusSeeOther {
			t.Fatalf("revoked session still opens the console: %d", p.status)
		}
	})

	t.Run("language switch", func(t *testing.T) {
		b := newBrowser(t, k)
		if p := b.login(org.Tenant.Slug, "admin", testkit.Password); p.status != http.StatusSeeOther {
			t.Fatalf("login %d", p.status)
		}
		home := b.do("GET", "/", nil)
		p := b.do("POST", "/lang", url.Values{"_csrf": {b.csrf(home)}, "lang": {"en"}, "next": {"/"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("switch %d", p.status)
		}
		home = b.do("GET", "/", nil)
		if !strings.Contains(home.body, `<html lang="en">`) || !strings.Contains(home.body, "Sign out") {
			t.Fatalf("not English after the switch:\n%s", home.body)
		}
	})

	t.Run("post-login redirects stay on this site", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
			b := newBrowser(t, k)
			lp := b.do("GET", "/login", nil)
			p := b.do("POST", "/login", url.Values{"_csrf": {b.csrf(lp)}, "tenant": {org.Tenant.Slug}, "username": {"admin"},
				"password": {testkit.Password}, "next": {next}})
			if loc := p.header.Get("Location"); loc != "/" {
				t.Errorf("next=%q redirected to %q", next, loc)
			}
		}
	})

	t.Run("assets are ours, cached by content hash", func(t *testing.T) {
		b := newBrowser(t, k)
		lp := b.do("GET", "/login", nil)
		m := regexp.MustCompile(`href="(/assets/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(lp.body)
		if m == nil {
			t.Fatalf("no stylesheet link:\n%s", lp.body)
		}
		p := b.do("GET", m[1], nil)
		if p.status != 200 || !strings.Contains(p.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
			t.Fatalf("asset %d %v", p.status, p.header)
		}
	})
}

func TestConsoleUsersAndAudit(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSocialOrg, "110105", "staff")
	admin := newBrowser(t, k)
	if p := admin.login(org.Tenant.Slug, "admin", testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("admin login %d", p.status)
	}

	t.Run("menu entries follow permissions; the server refuses anyway", func(t *testing.T) {
		home := admin.do("GET", "/", nil)
		if !strings.Contains(home.body, `href="/users"`) || !strings.Contains(home.body, `href="/audit"`) {
			t.Fatalf("admin's menu lacks users or audit:\n%s", home.body)
		}
		staff := newBrowser(t, k)
		staffUser := org.Users["staff"]
		if p := staff.login(org.Tenant.Slug, staffUser.Username, testkit.Password); p.status != http.StatusSeeOther {
			t.Fatalf("staff login %d", p.status)
		}
		home = staff.do("GET", "/", nil)
		if strings.Contains(home.body, `href="/users"`) {
			t.Errorf("staff sees the users menu entry")
		}
		if p := staff.do("GET", "/users", nil); p.status != http.StatusForbidden {
			t.Errorf("staff GET /users = %d, want 403", p.status)
		}
		p := staff.do("POST", "/users", url.Values{"_csrf": {staff.csrf(home)}, "username": {"sneaky"}, "password": {"Qz8#vLm2pW"}, "roles": {"admin"}})
		if p.status != http.StatusForbidden {
			t.Errorf("staff POST /users = %d, want 403", p.status)
		}
	})

	t.Run("field errors next to the fields, typed values kept", func(t *testing.T) {
		page := admin.do("GET", "/users", nil)
		p := admin.do("POST", "/users", url.Values{"_csrf": {admin.csrf(page)}, "username": {"wang.li"}, "display_name": {"王丽"},
			"password": {"password"}, "roles": {"staff"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		if !strings.Contains(p.body, "密码过于常见") || !strings.Contains(p.body, `value="王丽"`) || !strings.Contains(p.body, `value="staff" checked`) {
			t.Fatalf("field error or typed values missing:\n%s", p.body)
		}
	})

	t.Run("create, list and disable a user", func(t *testing.T) {
		page := admin.do("GET", "/users", nil)
		p := admin.do("POST", "/users", url.Values{"_csrf": {admin.csrf(page)}, "username": {"zhao.min"}, "display_name": {"赵敏"},
			"password": {"Qz8#vLm2pW-river"}, "roles": {"evaluator", "supervisor"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("create %d:\n%s", p.status, p.body)
		}
		list := admin.do("GET", p.header.Get("Location"), nil)
		if !strings.Contains(list.body, "已添加用户 zhao.min") || !strings.Contains(list.body, "赵敏") || !strings.Contains(list.body, "考评员、督导员") {
			t.Fatalf("new user not listed:\n%s", list.body)
		}
		// The user signs in to the API with the same password; then the admin disables them.
		var login struct{ Token string }
		k.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"tenant": org.Tenant.Slug, "username": "zhao.min",
			"password": "Qz8#vLm2pW-river"}).Want(t, http.StatusOK).Decode(t, &login)
		tok := login.Token
		var id string
		if m := regexp.MustCompile(`action="/users/([0-9a-f-]+)/disable" data-confirm="[^"]*zhao.min`).FindStringSubmatch(list.body); m != nil {
			id = m[1]
		} else {
			t.Fatalf("no disable form for zhao.min:\n%s", list.body)
		}
		p = admin.do("POST", "/users/"+id+"/disable", url.Values{"_csrf": {admin.csrf(list)}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("disable %d", p.status)
		}
		k.Do(t, "GET", "/api/v1/me", tok, nil).Want(t, http.StatusUnauthorized)
	})

	t.Run("audit page shows the chain's verification and the entries", func(t *testing.T) {
		p := admin.do("GET", "/audit", nil)
		if p.status != 200 || !strings.Contains(p.body, "校验通过") || !strings.Contains(p.body, "user.create") {
			t.Fatalf("audit page %d:\n%s", p.status, p.body)
		}
		if p := admin.do("GET", "/audit?since=not-a-date", nil); p.status != http.StatusBadRequest {
			t.Errorf("bad date: %d, want 400", p.status)
		}
	})
}

// signedIn is a browser signed in as username of org.
func signedIn(t *testing.T, k *testkit.Kit, org *testkit.Org, username string) *browser {
	t.Helper()
	b := newBrowser(t, k)
	if p := b.login(org.Tenant.Slug, username, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("login of %s: %d\n%s", username, p.status, p.body)
	}
	return b
}
