package directory_test

import (
	"net/http"
	"testing"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestValidCreditCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"91350100M000100Y43", true},  // published example with a valid check character
		{"91350100M000100Y44", false}, // check character changed
		{"91110000802100433B", true},
		{"9111000080210043", false},   // too short
		{"91110000802100433I", false}, // I is not in the alphabet
		{"911100O0802100433B", false}, // letter in the region part
	}
	for _, tc := range tests {
		if got := directory.ValidCreditCode(tc.code); got != tc.want {
			t.Errorf("ValidCreditCode(%s) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestCreateTenant(t *testing.T) {
	k := testkit.New(t)
	admin := map[string]any{"username": "admin", "password": testkit.Password}
	body := func(slug, kind, region, credit string) map[string]any {
		return map[string]any{"slug": slug, "name": "机构 " + slug, "kind": kind, "region_code": region, "credit_code": credit, "admin": admin}
	}
	taken := testkit.Slug("taken")
	k.Do(t, "POST", "/api/v1/tenants", k.Admin, body(taken, "school", "330106", "")).Want(t, http.StatusCreated)
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"ok with credit code", body(testkit.Slug("cc"), "enterprise", "110105", "91350100M000100Y43"), 201, "", ""},
		{"slug taken", body(taken, "enterprise", "110105", ""), 409, "slug_taken", ""},
		{"unknown region", body(testkit.Slug("r"), "enterprise", "119999", ""), 422, "validation_failed", "region_code"},
		{"bad credit code", body(testkit.Slug("c"), "enterprise", "110105", "91350100M000100Y44"), 422, "validation_failed", "credit_code"},
		{"platform kind refused", body(testkit.Slug("p"), "platform", "110105", ""), 422, "validation_failed", "kind"},
		{"bad slug", body("Bad Slug!", "enterprise", "110105", ""), 422, "validation_failed", "slug"},
		{"short admin password", map[string]any{"slug": testkit.Slug("pw"), "name": "n", "kind": "enterprise", "region_code": "110105",
			"admin": map[string]any{"username": "admin", "password": "short"}}, 422, "validation_failed", "admin.password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/tenants", k.Admin, tc.body)
			if tc.code == "" {
				res.Want(t, tc.status)
				var dto directory.TenantView
				res.Decode(t, &dto)
				if dto.Status != "active" || dto.ID.String() == "" {
					t.Fatalf("tenant %+v", dto)
				}
				return
			}
			res.WantProblem(t, tc.status, tc.code)
			if tc.field != "" {
				var p struct {
					Errors []struct{ Field string }
				}
				res.Decode(t, &p)
				if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
					t.Fatalf("field errors %+v, want %s", p.Errors, tc.field)
				}
			}
		})
	}
	// Only the platform creates and lists tenants.
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Do(t, "POST", "/api/v1/tenants", org.Admin, body(testkit.Slug("x"), "enterprise", "110105", "")).WantProblem(t, 403, "forbidden")
	k.Do(t, "GET", "/api/v1/tenants", org.Admin, nil).WantProblem(t, 403, "forbidden")
	var page struct{ Items []directory.TenantView }
	k.Do(t, "GET", "/api/v1/tenants?kind=school&limit=500", k.Admin, nil).Want(t, 200).Decode(t, &page)
	found := false
	for _, d := range page.Items {
		found = found || d.Slug == taken
		if d.Kind != "school" {
			t.Fatalf("kind filter let %s through", d.Kind)
		}
	}
	if !found {
		t.Fatal("created school not listed")
	}
}
