package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// regSubmitFiling has org apply for electricians at level 4 and returns the filing's id.
func regSubmitFiling(t *testing.T, k *testkit.Kit, org *testkit.Org) string {
	t.Helper()
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	return f.ID.String()
}

// regFieldError fails unless the page shows an error message (containing message) next to the named
// field: inside the same .field wrapper, which is marked invalid.
func regFieldError(t *testing.T, p page, field, message string) {
	t.Helper()
	for _, chunk := range strings.Split(p.body, `class="field`)[1:] {
		if !strings.Contains(chunk, `name="`+field+`"`) {
			continue
		}
		m := regexp.MustCompile(`<small class="err">([^<]*)</small>`).FindStringSubmatch(chunk)
		if strings.HasPrefix(chunk, ` invalid"`) && m != nil && m[1] != "" && strings.Contains(m[1], message) {
			return
		}
	}
	t.Fatalf("no error %q next to %s (status %d):\n%s", message, field, p.status, p.body)
}

// regSetup is a regulator of Haikou's Meilan district (460108) with an inspector and a viewer, two
// institutions there, and a regulator of another province.
func regSetup(t *testing.T, k *testkit.Kit) (reg, other *testkit.Org, insts []*testkit.Org) {
	t.Helper()
	reg = k.Tenant(t, tenants.KindRegulator, "460108", "inspector", "viewer")
	other = k.Tenant(t, tenants.KindRegulator, "320102", "inspector")
	for i := 0; i < 3; i++ {
		insts = append(insts, k.Tenant(t, tenants.KindEnterprise, "460108"))
	}
	return reg, other, insts
}

// TestRegFilingDecision: a regulator decides a filing in its jurisdiction — a viewer sees it but may
// not decide, a form without its CSRF token is refused, bad codes come back next to their fields —
// and a regulator of another region sees none of it.
func TestRegFilingDecision(t *testing.T) {
	k := testkit.New(t)
	reg, other, insts := regSetup(t, k)
	id := regSubmitFiling(t, k, insts[0])
	path := "/oversight/filings/" + id

	viewer := newBrowser(t, k)
	if p := viewer.login(reg.Tenant.Slug, reg.Users["viewer"].Username, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("viewer login: %d", p.status)
	}
	list := viewer.do("GET", "/oversight/filings?status=submitted", nil)
	wantPage(t, list, http.StatusOK, insts[0].Tenant.Name, path)
	if p := viewer.do("GET", path, nil); strings.Contains(p.body, `action="`+path+`/decision"`) {
		t.Fatal("a viewer is offered the decision form")
	}
	if p := viewer.post(path, path+"/decision", url.Values{"decision": {"reject"}, "note": {"no"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer's decision: %d", p.status)
	}

	insp := newBrowser(t, k)
	if p := insp.login(reg.Tenant.Slug, reg.Users["inspector"].Username, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("inspector login: %d", p.status)
	}
	insp.do("GET", path, nil) // the session's CSRF cookie is set; the form below omits the token
	if p := insp.do("POST", path+"/decision", url.Values{"decision": {"reject"}, "note": {"no"}}); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "表单已过期") {
		t.Fatalf("decision without CSRF: %d\n%s", p.status, p.body)
	}
	bad := insp.post(path, path+"/decision", url.Values{"decision": {"approve"}, "evaluator_code": {"12"}, "site_serial": {"x"},
		"valid_from": {"2026-12-01"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad codes: %d\n%s", bad.status, bad.body)
	}
	regFieldError(t, bad, "evaluator_code", "")
	regFieldError(t, bad, "site_serial", "")
	mustContain(t, bad, `value="12"`)
	noNote := insp.post(path, path+"/decision", url.Values{"decision": {"reject"}})
	regFieldError(t, noNote, "note", "")

	ok := insp.post(path, path+"/decision", url.Values{"decision": {"approve"}, "evaluator_code": {"0000"}, "site_serial": {"000123"},
		"valid_from": {"2026-12-01"}, "note": {"材料齐全"}})
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != path+"?done=1" {
		t.Fatalf("approve: %d %s\n%s", ok.status, ok.header.Get("Location"), ok.body)
	}
	done := insp.do("GET", path+"?done=1", nil)
	wantPage(t, done, http.StatusOK, "000123", "已通过", "2029年11月30日")

	// Another province's regulator: not in its list, 404 on the page and on the form.
	far := signedIn(t, k, other, other.Users["inspector"].Username)
	if p := far.do("GET", "/oversight/filings", nil); strings.Contains(p.body, insts[0].Tenant.Name) {
		t.Fatal("another region's regulator lists the filing")
	}
	if p := far.do("GET", path, nil); p.status != http.StatusNotFound {
		t.Fatalf("another region's regulator opens the filing: %d", p.status)
	}
	if p := far.post("/oversight/filings", path+"/decision", url.Values{"decision": {"reject"}, "note": {"x"}}); p.status != http.StatusNotFound {
		t.Fatalf("another region's regulator decides: %d", p.status)
	}
	// An institution may not open the regulator's pages at all.
	inst := signedIn(t, k, insts[1], "admin")
	if p := inst.do("GET", "/oversight/filings", nil); p.status != http.StatusForbidden {
		t.Fatalf("institution on /oversight/filings: %d", p.status)
	}
}

var regDrawLocation = regexp.MustCompile(`^/oversight/sampling/([0-9a-f-]{36})$`)

// TestRegSampling: a risk-weighted draw from the console shows its seed, every institution's weight
// and the signals behind it, and its reproduction is identical; bad counts come back next to the
// fields; a viewer may look but not draw; another region's regulator cannot open it.
func TestRegSampling(t *testing.T) {
	k := testkit.New(t)
	reg, other, insts := regSetup(t, k)
	for i := 0; i < 2; i++ {
		k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": insts[1].Tenant.Slug,
			"content": "考场秩序混乱，存在代考嫌疑。"}).Want(t, http.StatusCreated)
	}
	b := signedIn(t, k, reg, reg.Users["inspector"].Username)
	bad := b.post("/oversight/sampling", "/oversight/sampling", url.Values{"method": {"risk_weighted"}, "institutions": {"0"}, "inspectors": {"abc"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad counts: %d", bad.status)
	}
	regFieldError(t, bad, "inspectors", "")
	tooMany := b.post("/oversight/sampling", "/oversight/sampling", url.Values{"method": {"risk_weighted"}, "institutions": {"99"}, "inspectors": {"1"}})
	regFieldError(t, tooMany, "institutions", "")

	seed := "2026-12-02 公开摇号 07"
	p := b.post("/oversight/sampling", "/oversight/sampling", url.Values{"method": {"risk_weighted"}, "institutions": {"2"},
		"inspectors": {"1"}, "seed": {seed}, "kind": {"routine"}})
	m := regDrawLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("draw: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
	draw := b.do("GET", "/oversight/sampling/"+m[1], nil)
	wantPage(t, draw, http.StatusOK, seed, "风险加权随机", insts[1].Tenant.Name, "投诉 2 件", "risk-weighted/es-chacha8/v1")
	rep := b.do("GET", "/oversight/sampling/"+m[1]+"/reproduce", nil)
	wantPage(t, rep, http.StatusOK, `id="repro-result"`, "复现结果与记录完全一致")

	viewer := signedIn(t, k, reg, reg.Users["viewer"].Username)
	wantPage(t, viewer.do("GET", "/oversight/sampling", nil), http.StatusOK, seed)
	if p := viewer.post("/oversight/sampling", "/oversight/sampling", url.Values{"institutions": {"1"}, "inspectors": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("viewer draws: %d", p.status)
	}
	far := signedIn(t, k, other, other.Users["inspector"].Username)
	if p := far.do("GET", "/oversight/sampling/"+m[1], nil); p.status != http.StatusNotFound {
		t.Fatalf("another regulator opens the draw: %d", p.status)
	}
	if p := far.do("GET", "/oversight/sampling", nil); strings.Contains(p.body, seed) {
		t.Fatal("another regulator lists the draw")
	}
}

// TestRegWorkPages: inspections with findings and deadlines, complaints, decisions, the sync endpoint
// and the flag and reconciliation lists work from the console, with field errors beside the fields.
func TestRegWorkPages(t *testing.T) {
	k := testkit.New(t)
	reg, _, insts := regSetup(t, k)
	b := signedIn(t, k, reg, "admin")
	instID := insts[0].Tenant.ID.String()

	// Inspections: the title is required; a finding needs a description; a deadline is kept.
	noTitle := b.post("/oversight/inspections", "/oversight/inspections", url.Values{"institution_id": {instID}, "kind": {"special"}})
	regFieldError(t, noTitle, "title", "")
	p := b.post("/oversight/inspections", "/oversight/inspections", url.Values{"institution_id": {instID}, "kind": {"special"},
		"title": {"考务专项检查"}, "scheduled_on": {"2026-12-10"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create inspection: %d\n%s", p.status, p.body)
	}
	ipath := p.header.Get("Location")
	noDesc := b.post(ipath, ipath+"/findings", url.Values{"severity": {"major"}, "deadline": {"2027-01-15"}})
	regFieldError(t, noDesc, "description", "")
	if p := b.post(ipath, ipath+"/findings", url.Values{"severity": {"major"}, "description": {"考评员未持证"}, "requirement": {"更换考评员"},
		"deadline": {"2027-01-15"}}); p.status != http.StatusSeeOther {
		t.Fatalf("finding: %d\n%s", p.status, p.body)
	}
	wantPage(t, b.do("GET", ipath, nil), http.StatusOK, "考评员未持证", "2027年1月15日", "确认已整改")
	if p := b.post(ipath, ipath, url.Values{"status": {"closed"}, "conclusion": {"限期整改"}}); p.status != http.StatusSeeOther {
		t.Fatalf("close: %d", p.status)
	}
	wantPage(t, b.do("GET", "/oversight/inspections", nil), http.StatusOK, "考务专项检查", "已结束")

	// Complaints: the public complains, the regulator handles it.
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": insts[0].Tenant.Slug,
		"content": "收费高于公示标准，请核查。"}).Want(t, http.StatusCreated)
	list := b.do("GET", "/oversight/complaints", nil)
	wantPage(t, list, http.StatusOK, "收费高于公示标准")
	cid := regexp.MustCompile(`action="/oversight/complaints/([0-9a-f-]{36})"`).FindStringSubmatch(list.body)
	if cid == nil {
		t.Fatal("no complaint form")
	}
	if p := b.post("/oversight/complaints", "/oversight/complaints/"+cid[1], url.Values{"status": {"investigating"}, "note": {"已转稽查"}}); p.status != http.StatusSeeOther {
		t.Fatalf("handle complaint: %d", p.status)
	}
	wantPage(t, b.do("GET", "/oversight/complaints", nil), http.StatusOK, "已转稽查", "调查中")

	// Decisions: a rectification order needs a deadline and a reason.
	noDeadline := b.post("/oversight/decisions", "/oversight/decisions", url.Values{"institution_id": {instID}, "kind": {"rectify"}, "reason": {"x"}})
	regFieldError(t, noDeadline, "deadline", "")
	if p := b.post("/oversight/decisions", "/oversight/decisions", url.Values{"institution_id": {instID}, "kind": {"rectify"},
		"reason": {"考评员不符合要求"}, "deadline": {"2027-02-01"}}); p.status != http.StatusSeeOther {
		t.Fatalf("decide: %d\n%s", p.status, p.body)
	}
	wantPage(t, b.do("GET", "/oversight/decisions", nil), http.StatusOK, "考评员不符合要求", "2027年2月1日")

	// Sync: an http address is refused beside the URL field; pause and resume answer.
	badURL := b.post("/oversight/sync", "/oversight/sync", url.Values{"url": {"ftp://example.org/x"}, "secret": {"0123456789abcdef0123"}})
	regFieldError(t, badURL, "url", "")
	shortSecret := b.post("/oversight/sync", "/oversight/sync", url.Values{"url": {"https://example.org/in"}, "secret": {"short"}})
	regFieldError(t, shortSecret, "secret", "")
	wantPage(t, b.do("GET", "/oversight/sync", nil), http.StatusOK, "尚未设置外部系统")
	if p := b.post("/oversight/sync", "/oversight/sync/replay", url.Values{"since": {"yesterday"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("replay with a bad time: %d", p.status)
	}
	viewer := signedIn(t, k, reg, reg.Users["viewer"].Username)
	if p := viewer.post("/oversight/sync", "/oversight/sync/pause", nil); p.status != http.StatusForbidden {
		t.Fatalf("viewer pauses: %d", p.status)
	}
	wantPage(t, b.do("GET", "/oversight/flags", nil), http.StatusOK, "没有预警")
	wantPage(t, b.do("GET", "/oversight/reconciliation", nil), http.StatusOK, "对账差异")
	wantPage(t, b.do("GET", "/oversight/reports", nil), http.StatusOK, "哈希链完整")
	if p := b.do("GET", "/oversight/reports?since=yesterday", nil); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("reports since a bad day: %d", p.status)
	}
	// English.
	b.lang = "en"
	wantPage(t, b.do("GET", "/oversight/inspections", nil), http.StatusOK, "Inspections", "Closed")
}
