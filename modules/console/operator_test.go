package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// operSignIn is a browser signed in as the platform's administrator.
func operSignIn(t *testing.T, k *testkit.Kit) *browser {
	t.Helper()
	b := newBrowser(t, k)
	if p := b.login(tenants.PlatformSlug, "admin", testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("operator login: %d\n%s", p.status, p.body)
	}
	return b
}

// TestOperTenants: the operator creates a tenant of a kind and region (bad input beside its fields),
// its first administrator signs in, the list narrows by kind and region, a suspension needs a reason
// and is audited; no one else reaches these pages.
func TestOperTenants(t *testing.T) {
	k := testkit.New(t)
	b := operSignIn(t, k)
	slug := testkit.Slug("oper")
	form := url.Values{"name": {"海口市美兰区职业技能鉴定所"}, "slug": {slug}, "kind": {"social_org"}, "region_code": {"999999"},
		"admin.username": {"boss"}, "admin.display_name": {"所长"}, "admin.password": {"x"}}
	bad := b.post("/platform/tenants", "/platform/tenants", form)
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad tenant: %d\n%s", bad.status, bad.body)
	}
	regFieldError(t, bad, "region_code", "")
	mustContain(t, bad, `value="海口市美兰区职业技能鉴定所"`)
	form.Set("region_code", "460108")
	badPw := b.post("/platform/tenants", "/platform/tenants", form)
	regFieldError(t, badPw, "admin.password", "")
	form.Set("admin.password", testkit.Password)
	ok := b.post("/platform/tenants", "/platform/tenants", form)
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/platform/tenants?created="+slug {
		t.Fatalf("create: %d %s\n%s", ok.status, ok.header.Get("Location"), ok.body)
	}
	taken := b.post("/platform/tenants", "/platform/tenants", form)
	regFieldError(t, taken, "slug", "")

	admin := newBrowser(t, k)
	if p := admin.login(slug, "boss", testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("the new tenant's admin cannot sign in: %d\n%s", p.status, p.body)
	}
	if p := admin.do("GET", "/platform/tenants", nil); p.status != http.StatusForbidden {
		t.Fatalf("an institution admin on /platform/tenants: %d", p.status)
	}

	list := b.do("GET", "/platform/tenants?kind=social_org&region_code=460100", nil)
	wantPage(t, list, http.StatusOK, slug, "社会培训评价组织", "460108")
	if p := b.do("GET", "/platform/tenants?kind=regulator&region_code=460100", nil); strings.Contains(p.body, slug) {
		t.Fatal("the kind filter lists a social organisation as a regulator")
	}
	if p := b.do("GET", "/platform/tenants?region_code=320000", nil); strings.Contains(p.body, slug) {
		t.Fatal("the region filter lists a Hainan tenant under Jiangsu")
	}

	// Suspend: a reason is required; then the tenant shows suspended and may be reinstated.
	var id string
	for _, chunk := range strings.Split(list.body, "<tr>") {
		if strings.Contains(chunk, slug) {
			if i := strings.Index(chunk, `/platform/tenants/`); i >= 0 {
				id = chunk[i+len("/platform/tenants/") : i+len("/platform/tenants/")+36]
			}
		}
	}
	if id == "" {
		t.Fatalf("no suspend form for %s", slug)
	}
	noReason := b.post("/platform/tenants", "/platform/tenants/"+id+"/suspend", url.Values{})
	regFieldError(t, noReason, "reason", "")
	if p := b.post("/platform/tenants", "/platform/tenants/"+id+"/suspend", url.Values{"reason": {"资质核查"}}); p.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d\n%s", p.status, p.body)
	}
	wantPage(t, b.do("GET", "/platform/tenants?region_code=460108&kind=social_org", nil), http.StatusOK, "已暂停", "/platform/tenants/"+id+"/reinstate")
	health := b.do("GET", "/platform/health", nil)
	wantPage(t, health, http.StatusOK, "任务队列", "数据库迁移", "tenant.suspend", "tenant.create", "20261202010007_oversight_sampling_method")
	if p := b.post("/platform/tenants", "/platform/tenants/"+id+"/reinstate", url.Values{"reason": {"核查通过"}}); p.status != http.StatusSeeOther {
		t.Fatalf("reinstate: %d", p.status)
	}
	// The platform's own tenant has no suspend form.
	all := b.do("GET", "/platform/tenants?kind=platform", nil)
	if strings.Contains(all.body, "/suspend") {
		t.Fatal("the platform's own tenant is offered a suspension")
	}
	reg := k.Tenant(t, tenants.KindRegulator, "460100")
	rb := signedIn(t, k, reg, "admin")
	for _, path := range []string{"/platform/tenants", "/platform/health"} {
		if p := rb.do("GET", path, nil); p.status != http.StatusForbidden {
			t.Fatalf("a regulator on %s: %d", path, p.status)
		}
	}
	b.lang = "en"
	wantPage(t, b.do("GET", "/platform/health", nil), http.StatusOK, "Job queues", "Database migrations")
}
