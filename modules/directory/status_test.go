package directory_test

import (
	"net/http"
	"testing"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestTenantStatusByOperator: the platform operator suspends and reinstates a tenant with a reason;
// the platform's own tenant cannot be suspended; nobody else may; the register lists by region.
func TestTenantStatusByOperator(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSchool, "460108")
	path := "/api/v1/tenants/" + org.Tenant.ID.String()
	k.Do(t, "POST", path+"/suspend", k.Admin, map[string]any{"reason": " "}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "POST", path+"/suspend", org.Admin, map[string]any{"reason": "x"}).WantProblem(t, http.StatusForbidden, "forbidden")
	var v directory.TenantView
	k.Do(t, "POST", path+"/suspend", k.Admin, map[string]any{"reason": "资质核查"}).Want(t, http.StatusOK).Decode(t, &v)
	if v.Status != string(tenants.StatusSuspended) {
		t.Fatalf("suspended tenant = %+v", v)
	}
	k.Do(t, "POST", path+"/reinstate", k.Admin, map[string]any{"reason": "核查通过"}).Want(t, http.StatusOK).Decode(t, &v)
	if v.Status != string(tenants.StatusActive) {
		t.Fatalf("reinstated tenant = %+v", v)
	}
	k.Do(t, "POST", "/api/v1/tenants/"+k.Platform.ID.String()+"/suspend", k.Admin, map[string]any{"reason": "x"}).
		WantProblem(t, http.StatusUnprocessableEntity, "own_tenant")

	var page platform.Page[directory.TenantView]
	k.Do(t, "GET", "/api/v1/tenants?region_code=460100&kind=school&limit=100", k.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	found := false
	for _, it := range page.Items {
		found = found || it.ID == org.Tenant.ID
		if it.RegionCode[:4] != "4601" {
			t.Fatalf("region filter 460100 lists %+v", it)
		}
	}
	if !found {
		t.Fatal("the region filter misses a tenant of a district in the city")
	}
}
