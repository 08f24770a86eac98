package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestNULRefusedAtTheEdge posts U+0000 into real endpoints of the assembled server — JSON fields,
// search and filter parameters, path parameters — and gets a 4xx naming the field, never a 500
// (PostgreSQL text cannot hold NUL; each of these answered 500 before TextRules).
func TestNULRefusedAtTheEdge(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		field  string
	}{
		{"login username", "POST", "/api/v1/auth/login", "",
			map[string]any{"tenant": org.Tenant.Slug, "username": "ad\x00min", "password": testkit.Password}, 422, "username"},
		{"login tenant", "POST", "/api/v1/auth/login", "",
			map[string]any{"tenant": "\x00", "username": "admin", "password": testkit.Password}, 422, "tenant"},
		{"batch title", "POST", "/api/v1/batches", org.Admin,
			map[string]any{"occupation_code": "6-31-01-03", "level": 4, "title": "电工\x00四级", "methods": []string{"theory"},
				"exam_start": "2030-01-10", "application_deadline": "2030-01-01", "venue": "北京", "capacity": 10}, 422, "title"},
		{"batch pass marks key", "POST", "/api/v1/batches", org.Admin,
			map[string]any{"title": "t", "pass_marks": map[string]any{"the\x00ory": 60}}, 422, `pass_marks.the\u0000ory`},
		{"user display name", "POST", "/api/v1/users", org.Admin,
			map[string]any{"username": "nul-user", "password": "long enough pw", "display_name": "\x00", "roles": []string{"staff"}}, 422, "display_name"},
		{"public complaint", "POST", "/api/v1/public/complaints", "",
			map[string]any{"institution_slug": org.Tenant.Slug, "content": "收费\x00不合理"}, 422, "content"},
		{"public objection", "POST", "/api/v1/public/batches/00000000-0000-0000-0000-000000000001/objections", "",
			map[string]any{"reason": "\x00"}, 422, "reason"},
		{"oversight decision reason", "POST", "/api/v1/oversight/decisions", reg.Admin,
			map[string]any{"institution_id": org.Tenant.ID, "kind": "suspend", "reason": "\x00"}, 422, "reason"},
		{"?q= search of candidates", "GET", "/api/v1/candidates?q=" + url.QueryEscape("张\x00"), org.Admin, nil, 400, "q"},
		{"?q= search of occupations", "GET", "/api/v1/occupations?q=%00", "", nil, 400, "q"},
		{"?status= filter of batches", "GET", "/api/v1/batches?status=open%00", org.Admin, nil, 400, "status"},
		{"?status= filter of complaints", "GET", "/api/v1/oversight/complaints?status=%00", reg.Admin, nil, 400, "status"},
		{"?q= not UTF-8", "GET", "/api/v1/candidates?q=%C3%28", org.Admin, nil, 400, "q"},
		{"certificate number in the path", "GET", "/api/v1/public/certificates/SC%00123", "", nil, 400, "path"},
		{"institution slug in the path", "GET", "/api/v1/public/institutions/a%00b/batches", "", nil, 400, "path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, tc.method, tc.path, tc.token, tc.body)
			if res.Status >= 500 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			res.WantProblem(t, tc.status, "invalid_character")
			var p struct {
				Errors []struct{ Field, Code string }
			}
			res.Decode(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				b, _ := json.Marshal(p.Errors)
				t.Fatalf("errors %s, want one for field %q", b, tc.field)
			}
		})
	}
	// A form post (the console's login form posts these fields) is refused the same way.
	res := k.Do(t, "POST", "/api/v1/auth/login", "",
		[]byte("tenant="+org.Tenant.Slug+"&username=ad%00min&password=x"), "Content-Type", "application/x-www-form-urlencoded")
	res.WantProblem(t, http.StatusUnprocessableEntity, "invalid_character")
}
