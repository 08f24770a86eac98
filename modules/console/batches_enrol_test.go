package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
)

// 添加考生: staff find the institution's candidates and enrol them in an open batch from the console,
// as POST /api/v1/batches/{id}/applications does.
func TestConsoleEnrolCandidates(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()

	cand := func(name string, years int) string {
		return k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": name, "id_type": "resident_id",
			"id_number": freshResidentID(t), "education": "senior_high", "occupation_years": years}).Want(t, http.StatusCreated).ID(t).String()
	}
	ok := cand("王招募", 8)
	short := cand("王新人", 0)

	// A draft takes no applications: the page says so and shows no button.
	p := staff.do("GET", base+"/applications/new?q=王", nil)
	mustContain(t, p, "此批次不在报名期")
	if strings.Contains(p.body, `name="candidate_id"`) {
		t.Fatalf("a draft batch offers enrolment:\n%s", p.body)
	}
	if r := staff.post(base, base+"/publish", nil); r.status != http.StatusSeeOther {
		t.Fatalf("publish: %d", r.status)
	}
	// The 报名 step links to the page while the batch is open.
	mustContain(t, staff.do("GET", base, nil), `href="`+base+`/applications/new"`, "添加考生报名")

	// The search finds both, masked; enrolling one decides eligibility at once and stays on the page.
	p = staff.do("GET", base+"/applications/new?q=王", nil)
	mustContain(t, p, "王招募", "王新人", `value="`+ok+`"`)
	r := staff.do("POST", base+"/applications", url.Values{"_csrf": {staff.csrf(p)}, "candidate_id": {ok}, "q": {"王"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), base+"/applications/new?added=") {
		t.Fatalf("enrol: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	p = staff.do("GET", r.header.Get("Location"), nil)
	mustContain(t, p, "已为 王招募 报名", "王新人") // the search is kept for the next name
	r = staff.do("POST", base+"/applications", url.Values{"_csrf": {staff.csrf(p)}, "candidate_id": {short}, "q": {"王"}})
	p = staff.do("GET", r.header.Get("Location"), nil)
	mustContain(t, p, "已为 王新人 报名", "不符合条件") // with the reasons in plain words

	// Twice is refused with its reason on the page; a forged id too; both keep the search.
	p = staff.do("POST", base+"/applications", url.Values{"_csrf": {staff.csrf(p)}, "candidate_id": {ok}, "q": {"王"}})
	if p.status != http.StatusConflict {
		t.Fatalf("enrol twice: %d", p.status)
	}
	mustContain(t, p, "该考生已报名本批次", `value="王"`)
	p = staff.do("POST", base+"/applications", url.Values{"_csrf": {staff.csrf(p)}, "candidate_id": {"x"}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("enrol a bad id: %d", p.status)
	}
	mustContain(t, p, "请从查找结果中选择考生")

	// The applications list has both; the API agrees.
	var list struct {
		Items []struct{ Status string } `json:"items"`
	}
	k.Do(t, "GET", "/api/v1"+base+"/applications", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("applications after enrolling two: %+v", list.Items)
	}

	// Without the CSRF token, or without the permission, nothing is enrolled.
	if r := staff.do("POST", base+"/applications", url.Values{"candidate_id": {ok}}); r.status != http.StatusForbidden {
		t.Errorf("enrol without csrf = %d, want 403", r.status)
	}
	ev := signInAs(t, k, org, "evaluator")
	if r := ev.do("GET", base+"/applications/new", nil); r.status != http.StatusForbidden {
		t.Errorf("evaluator GET enrol page = %d, want 403", r.status)
	}
	if r := ev.do("POST", base+"/applications", url.Values{"_csrf": {ev.csrf(ev.do("GET", "/", nil))}, "candidate_id": {ok}}); r.status != http.StatusForbidden {
		t.Errorf("evaluator enrol = %d, want 403", r.status)
	}
}
