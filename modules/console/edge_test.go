package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestEdgeRefusalsAreConsolePages: text the database cannot hold (a NUL byte, bytes that are not
// UTF-8) is refused at the edge for every route; a console request gets the console's HTML error page
// with the same status and a message from the catalogs, while the API keeps its problem+json.
func TestEdgeRefusalsAreConsolePages(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	send := func(t *testing.T, method, path, ctype, body, lang string) *http.Response {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		res, err := k.Server.App.Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	read := func(t *testing.T, res *http.Response) string {
		t.Helper()
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, ctype, body, lang string
		status                                int
		html                                  bool
		text                                  string // in the body
	}{
		{"console form with a NUL byte", "POST", "/login", form, "tenant=" + org.Tenant.Slug + "&username=ad%00min&password=x", "",
			http.StatusUnprocessableEntity, true, "提交的内容含有不允许的字符"},
		{"console form with invalid UTF-8", "POST", "/login", form, "tenant=" + org.Tenant.Slug + "&username=%ff%fe&password=x", "en",
			http.StatusUnprocessableEntity, true, "holds a character that is not allowed"},
		{"console query with a NUL", "GET", "/login?next=%00", "", "", "",
			http.StatusBadRequest, true, "提交的内容含有不允许的字符"},
		{"console address unknown", "GET", "/no-such-page", "", "", "",
			http.StatusNotFound, true, "页面不存在"},
		{"API form with a NUL byte", "POST", "/api/v1/auth/login", form, "tenant=a&username=ad%00min", "",
			http.StatusUnprocessableEntity, false, `"code":"invalid_character"`},
		{"API JSON with a NUL escape", "POST", "/api/v1/auth/login", "application/json", `{"tenant":"a\u0000","username":"b","password":"c"}`, "",
			http.StatusUnprocessableEntity, false, `"code":"invalid_character"`},
		{"API address unknown", "GET", "/api/v1/no-such-thing", "", "", "",
			http.StatusNotFound, false, `"code":"not_found"`},
		{"well-known stays JSON", "GET", "/.well-known/skillcert/keys?x=%00", "", "", "",
			http.StatusBadRequest, false, `"code":"invalid_character"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, tc.method, tc.path, tc.ctype, tc.body, tc.lang)
			body := read(t, res)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, tc.status, body)
			}
			ct := res.Header.Get("Content-Type")
			if tc.html {
				if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "<!doctype html>") {
					t.Fatalf("content type %q, want an HTML page:\n%s", ct, body)
				}
				if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
					t.Errorf("the error page lacks the console's CSP: %q", csp)
				}
			} else if !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q, want problem+json:\n%s", ct, body)
			}
			if !strings.Contains(body, tc.text) {
				t.Fatalf("body lacks %q:\n%s", tc.text, body)
			}
		})
	}

	t.Run("a signed-in person keeps the menu on the error page", func(t *testing.T) {
		b := signedIn(t, k, org, "admin")
		p := b.do("GET", "/users?q=%00", nil)
		wantPage(t, p, http.StatusBadRequest, "提交的内容含有不允许的字符", `href="/users"`, `href="/account"`)
	})
}
