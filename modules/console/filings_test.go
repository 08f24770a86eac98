package console_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// electrician (电工, a national standard, levels 5..1) is declared in certificates_test.go.

// post sends a form with the CSRF token of the page at from.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf(b.do("GET", from, nil)))
	return b.do("POST", path, form)
}

// mustContain fails unless the page holds every string.
func mustContain(t *testing.T, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page (status %d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

var filingLocation = regexp.MustCompile(`^/filings/([0-9a-f-]{36})\?submitted=1$`)

// submitted returns the id of the filing a submission redirected to.
func submitted(t *testing.T, p page) string {
	t.Helper()
	m := filingLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("submission: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	return m[1]
}

func decide(t *testing.T, k *testkit.Kit, reg *testkit.Org, id string, body map[string]any) {
	t.Helper()
	k.Do(t, "POST", "/api/v1/oversight/filings/"+id+"/decision", reg.Admin, body).Want(t, http.StatusOK)
}

func TestConsoleFilings(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator")
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	admin := signedIn(t, k, ent, "admin")

	t.Run("permissions: menu, buttons and the server's refusals", func(t *testing.T) {
		home := admin.do("GET", "/", nil)
		mustContain(t, home, `href="/filings"`, `href="/evaluation-norms"`, "备案管理", "企业评价规范")
		list := admin.do("GET", "/filings", nil)
		mustContain(t, list, `href="/filings/new"`, "暂无备案")

		staff := signedIn(t, k, ent, ent.Users["staff"].Username)
		list = staff.do("GET", "/filings", nil)
		if list.status != 200 || strings.Contains(list.body, `href="/filings/new"`) {
			t.Fatalf("staff's filing list %d shows the new-filing button:\n%s", list.status, list.body)
		}
		if p := staff.do("GET", "/filings/new", nil); p.status != http.StatusForbidden {
			t.Errorf("staff GET /filings/new = %d, want 403", p.status)
		}
		form := url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"5"}}
		if p := staff.post("/filings", "/filings", form); p.status != http.StatusForbidden {
			t.Errorf("staff POST /filings = %d, want 403", p.status)
		}
		evaluator := signedIn(t, k, ent, ent.Users["evaluator"].Username)
		if home := evaluator.do("GET", "/", nil); strings.Contains(home.body, `href="/filings"`) {
			t.Errorf("an evaluator sees the filings menu entry")
		}
		if p := evaluator.do("GET", "/filings", nil); p.status != http.StatusForbidden {
			t.Errorf("evaluator GET /filings = %d, want 403", p.status)
		}
		// Another kind of institution has no evaluation norms: no menu entry.
		org := k.Tenant(t, tenants.KindSocialOrg, "110105")
		if home := signedIn(t, k, org, "admin").do("GET", "/", nil); strings.Contains(home.body, `href="/evaluation-norms"`) ||
			!strings.Contains(home.body, `href="/filings"`) {
			t.Errorf("a social organisation's menu:\n%s", home.body)
		}
	})

	t.Run("a submission without the CSRF token is refused", func(t *testing.T) {
		p := admin.do("POST", "/filings", url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"5"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
		var got struct{ Items []any }
		k.Do(t, "GET", "/api/v1/filings", ent.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
		if len(got.Items) != 0 {
			t.Fatalf("a filing was made without CSRF: %v", got.Items)
		}
	})

	t.Run("field errors stand next to their rows, what was chosen is kept", func(t *testing.T) {
		p := admin.post("/filings/new", "/filings", url.Values{"q": {"电工"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("empty scope: %d", p.status)
		}
		mustContain(t, p, `id="scope-err"`, "请至少选择一个职业及其等级")

		p = admin.post("/filings/new", "/filings", url.Values{
			"scope[0].occupation_code": {electrician}, "scope[0].levels": {"4", "7"},
			"scope[1].occupation_code": {"9-99-99-99"}, "scope[1].levels": {"5"},
			"scope[2].occupation_code": {electrician}, "scope[2].levels": {"3"},
		})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad scope: %d\n%s", p.status, p.body)
		}
		mustContain(t, p,
			`<small class="err" id="scope-0-levels-err">该职业不设此等级</small>`,
			`<small class="err" id="scope-1-code-err">职业目录中无此职业</small>`,
			`<small class="err" id="scope-2-code-err">与其他项重复</small>`,
			`name="scope[0].levels" value="4" checked`, `name="scope[0].levels" value="7" checked`,
			`name="scope[1].occupation_code" value="9-99-99-99"`)
	})

	t.Run("the search keeps the chosen rows and lists the other matches", func(t *testing.T) {
		q := url.Values{"picked": {"1"}, "q": {"6-31-01"}, "scope[0].occupation_code": {electrician}, "scope[0].levels": {"4"},
			"scope[1].occupation_code": {"6-31-01-04"}} // a match left unticked is dropped
		p := admin.do("GET", "/filings/new?"+q.Encode(), nil)
		if p.status != 200 {
			t.Fatalf("search %d", p.status)
		}
		mustContain(t, p, `name="scope[0].occupation_code" value="6-31-01-03"`, `name="scope[0].levels" value="4" checked`,
			"共 1 个职业", "“6-31-01”的搜索结果")
		if strings.Count(p.body, `value="6-31-01-03"`) != 1 {
			t.Errorf("a chosen occupation is listed among the matches again")
		}
		if strings.Count(p.body, `name="scope[0].occupation_code"`) != 1 || !strings.Contains(p.body, `name="scope[1].occupation_code"`) {
			t.Errorf("the matches do not follow the chosen rows' indices")
		}
		// The search never carries the CSRF token in its address: only the submit button holds it.
		if !regexp.MustCompile(`<button class="primary" formmethod="post" formaction="/filings" name="_csrf" value="[^"]+">`).MatchString(p.body) {
			t.Errorf("the submit button does not post with the token:\n%s", p.body)
		}
		// The script's type-ahead gets the rows alone.
		q.Set("partial", "1")
		frag := admin.do("GET", "/filings/new?"+q.Encode(), nil)
		if frag.status != 200 || strings.Contains(frag.body, "<html") || !strings.Contains(frag.body, `id="picker-chosen"`) ||
			!strings.Contains(frag.body, `id="picker-results"`) {
			t.Fatalf("fragment %d:\n%s", frag.status, frag.body)
		}
	})

	var approved string
	t.Run("submit; the regulator's approval shows with codes, validity and the expiry warning", func(t *testing.T) {
		p := admin.post("/filings/new", "/filings", url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"4", "3"}})
		approved = submitted(t, p)
		page := admin.do("GET", p.header.Get("Location"), nil)
		mustContain(t, page, "备案申请已提交", "审核中", "电工", "四级/中级工、三级/高级工", "主管部门尚未作出审核决定")
		if strings.Contains(page.body, "/renew") {
			t.Errorf("a submitted filing offers renewal")
		}

		// Valid from almost three years ago: a month left, inside the renewal window.
		today := filings.Day(time.Now())
		from := today.AddDate(-filings.ValidityYears, 1, 0)
		decide(t, k, reg, approved, map[string]any{"decision": "approve", "evaluator_code": "0042", "site_serial": "000123",
			"valid_from": from.Format(time.DateOnly), "note": "材料齐全"})
		page = admin.do("GET", "/filings/"+approved, nil)
		through := filings.ValidUntil(from).AddDate(0, 0, -1)
		mustContain(t, page, "已通过", "准予备案", "<code>0042</code>", "<code>000123</code>", "<code>11</code>", "材料齐全",
			through.Format("2006年1月2日"), "还剩", "现可申请续期", `href="/filings/`+approved+`/renew"`)

		staff := signedIn(t, k, ent, ent.Users["staff"].Username)
		if p := staff.do("GET", "/filings/"+approved, nil); p.status != 200 || strings.Contains(p.body, "/renew") {
			t.Errorf("staff's view of the filing %d offers renewal", p.status)
		}
		en := signedIn(t, k, ent, "admin")
		en.lang = "en"
		mustContain(t, en.do("GET", "/filings/"+approved, nil), "Approved", "Evaluator code", "days left")
	})

	t.Run("the daily job's expiry notice shows on the list and on the filing", func(t *testing.T) {
		if _, err := k.Server.Lifecycle.Filings.RunExpiry(context.Background(), time.Now()); err != nil {
			t.Fatal(err)
		}
		mustContain(t, admin.do("GET", "/filings", nil), "距到期已不足 90 天", `href="/filings/`+approved+`"`)
		mustContain(t, admin.do("GET", "/filings/"+approved, nil), "到期提醒", "距到期已不足 90 天")
	})

	t.Run("renewal: the form starts from the current scope", func(t *testing.T) {
		form := admin.do("GET", "/filings/"+approved+"/renew", nil)
		mustContain(t, form, "申请备案续期", `name="scope[0].occupation_code" value="6-31-01-03"`,
			`name="scope[0].levels" value="4" checked`, `name="scope[0].levels" value="3" checked`,
			`formaction="/filings/`+approved+`/renew"`)
		if strings.Contains(form.body, `name="scope[0].levels" value="5" checked`) {
			t.Errorf("a level outside the scope is ticked")
		}
		// A search keeps what the user changed (level 5 added), not the filing's scope.
		q := url.Values{"picked": {"1"}, "q": {"焊工"}, "scope[0].occupation_code": {electrician}, "scope[0].levels": {"5", "4"}}
		mustContain(t, admin.do("GET", "/filings/"+approved+"/renew?"+q.Encode(), nil),
			`name="scope[0].levels" value="5" checked`, `name="scope[0].levels" value="4" checked`)

		p := admin.post("/filings/"+approved+"/renew", "/filings/"+approved+"/renew",
			url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"5", "4", "3"}})
		renewal := submitted(t, p)
		mustContain(t, admin.do("GET", p.header.Get("Location"), nil), "续期申请已提交", `href="/filings/`+approved+`"`,
			"五级/初级工、四级/中级工、三级/高级工")
		orig := admin.do("GET", "/filings/"+approved, nil)
		mustContain(t, orig, "已提交续期申请", `href="/filings/`+renewal+`"`)
		if strings.Contains(orig.body, `href="/filings/`+approved+`/renew"`) {
			t.Errorf("renewal still offered with one pending")
		}
		// Posting again is the service's 409, shown on the form.
		p = admin.post("/filings/"+approved+"/renew", "/filings/"+approved+"/renew",
			url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"4"}})
		if p.status != http.StatusConflict {
			t.Fatalf("second renewal %d", p.status)
		}
		mustContain(t, p, "已有审核中或已通过的续期申请")
	})

	t.Run("a rejection shows its reasons", func(t *testing.T) {
		p := admin.post("/filings/new", "/filings", url.Values{"scope[0].occupation_code": {electrician}, "scope[0].levels": {"2"}})
		id := submitted(t, p)
		decide(t, k, reg, id, map[string]any{"decision": "reject", "note": "考核场地不符合要求"})
		mustContain(t, admin.do("GET", "/filings/"+id, nil), "未通过", "不予备案", "考核场地不符合要求")
	})

	t.Run("the list filters, sorts and exports like the API", func(t *testing.T) {
		all := admin.do("GET", "/filings", nil)
		if n := strings.Count(all.body, `<td><a href="/filings/`); n != 3 {
			t.Fatalf("list shows %d filings, want 3:\n%s", n, all.body)
		}
		rejected := admin.do("GET", "/filings?status=rejected", nil)
		if n := strings.Count(rejected.body, `<td><a href="/filings/`); n != 1 || !strings.Contains(rejected.body, `<option value="rejected" selected>`) {
			t.Fatalf("filtered list shows %d:\n%s", n, rejected.body)
		}
		if p := admin.do("GET", "/filings?status=bogus", nil); p.status != http.StatusBadRequest {
			t.Errorf("unknown status: %d, want 400", p.status)
		}
		paged := admin.do("GET", "/filings?limit=2&sort=submitted_at", nil)
		mustContain(t, paged, `rel="next"`)
		x := admin.do("GET", "/filings?format=xlsx&status=approved", nil)
		if x.status != 200 || !strings.Contains(x.header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(x.body, "PK") {
			t.Fatalf("export %d %q", x.status, x.header.Get("Content-Type"))
		}
	})
}

func TestConsoleAnnualReports(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "supervisor")
	admin := signedIn(t, k, ent, "admin")
	year := strconv.Itoa(filings.Day(time.Now()).Year())

	page := admin.do("GET", "/filings/annual-reports", nil)
	mustContain(t, page, "年度计划与总结", `name="year"`, `value="`+year+`"`, "尚未报送")

	p := admin.post("/filings/annual-reports", "/filings/annual-reports", url.Values{"year": {"1999"}, "plan": {"计划"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("year 1999: %d", p.status)
	}
	mustContain(t, p, `id="year-err">请填写 2000 年至明年之间的年度`, ">计划</textarea>")
	p = admin.post("/filings/annual-reports", "/filings/annual-reports", url.Values{"year": {year}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("nothing reported: %d", p.status)
	}
	mustContain(t, p, `id="plan-err">请填写或选择此项`)

	p = admin.post("/filings/annual-reports", "/filings/annual-reports", url.Values{"year": {year}, "plan": {"全年开展电工三级认定两批"},
		"summary": {"上年度认定 120 人"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("report: %d\n%s", p.status, p.body)
	}
	mustContain(t, admin.do("GET", p.header.Get("Location"), nil), "年度计划与总结已保存", "全年开展电工三级认定两批", "上年度认定 120 人")
	// Editing a year starts from what was recorded.
	mustContain(t, admin.do("GET", "/filings/annual-reports?year="+year, nil), ">全年开展电工三级认定两批</textarea>")
	mustContain(t, admin.do("GET", "/filings", nil), year+" 年度", `href="/filings/annual-reports"`)

	// A supervisor reads, without the form; staff may not read; only enterprises report.
	sup := signedIn(t, k, ent, ent.Users["supervisor"].Username)
	if p := sup.do("GET", "/filings/annual-reports", nil); p.status != 200 || strings.Contains(p.body, `name="plan"`) {
		t.Errorf("supervisor: %d, form shown: %v", p.status, strings.Contains(p.body, `name="plan"`))
	}
	if p := sup.post("/filings/annual-reports", "/filings/annual-reports", url.Values{"year": {year}, "plan": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("supervisor POST: %d, want 403", p.status)
	}
	if p := signedIn(t, k, ent, ent.Users["staff"].Username).do("GET", "/filings/annual-reports", nil); p.status != http.StatusForbidden {
		t.Errorf("staff GET: %d, want 403", p.status)
	}
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")
	if p := signedIn(t, k, org, "admin").do("GET", "/filings/annual-reports", nil); p.status != 200 || strings.Contains(p.body, `name="plan"`) {
		t.Errorf("a social organisation is offered the annual report form (%d)", p.status)
	}
}

func TestConsoleEvaluationNorms(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	admin := signedIn(t, k, ent, "admin")
	occs, err := seed.Occupations()
	if err != nil {
		t.Fatal(err)
	}
	var none seed.Occupation
	for _, o := range occs {
		if !o.HasNationalStandard {
			none = o
			break
		}
	}
	if none.Code == "" {
		t.Fatal("the seed has no occupation without a national standard")
	}

	mustContain(t, admin.do("GET", "/evaluation-norms", nil), "暂无企业评价规范", `action="/evaluation-norms"`)
	// Without levels, and for an occupation with a national standard: errors on the form.
	p := admin.post("/evaluation-norms", "/evaluation-norms", url.Values{"occupation_code": {none.Code}, "title": {"企业规范"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("no levels: %d", p.status)
	}
	mustContain(t, p, "请填写或选择此项", `value="企业规范"`)
	p = admin.post("/evaluation-norms", "/evaluation-norms", url.Values{"occupation_code": {electrician}, "title": {"x"}, "levels": {"5"}})
	mustContain(t, p, "该职业已有国家职业技能标准")

	p = admin.post("/evaluation-norms", "/evaluation-norms", url.Values{"occupation_code": {none.Code}, "title": {"本企业评价规范"},
		"levels": {"5", "4"}, "subtypes": {"甲方向\n乙方向"}, "document_ref": {"QB-2026-01"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	list := admin.do("GET", p.header.Get("Location"), nil)
	mustContain(t, list, "已保存为草稿", "本企业评价规范", "草稿", "甲方向、乙方向", "QB-2026-01")
	// Not filed yet: the picker says the occupation can't be chosen.
	pick := admin.do("GET", "/filings/new?q="+url.QueryEscape(none.Code), nil)
	mustContain(t, pick, "企业评价规范尚未登记备案")
	if strings.Contains(pick.body, `name="scope[0].levels"`) {
		t.Errorf("an occupation whose norm is a draft can be chosen")
	}

	m := regexp.MustCompile(`action="/evaluation-norms/([0-9a-f-]{36})/file"`).FindStringSubmatch(list.body)
	if m == nil {
		t.Fatalf("no filing form for the draft:\n%s", list.body)
	}
	fileURL := "/evaluation-norms/" + m[1] + "/file"
	tomorrow := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	p = admin.post("/evaluation-norms", fileURL, url.Values{"filing_ref": {"人社备2026-7"}, "filed_on": {tomorrow}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("future filing date: %d", p.status)
	}
	mustContain(t, p, "日期不能晚于今天", `value="人社备2026-7"`)

	staff := signedIn(t, k, ent, ent.Users["staff"].Username)
	if p := staff.do("GET", "/evaluation-norms", nil); p.status != 200 || strings.Contains(p.body, `action="/evaluation-norms"`) || strings.Contains(p.body, fileURL) {
		t.Errorf("staff: %d, with forms", p.status)
	}
	if p := staff.post("/evaluation-norms", fileURL, url.Values{"filing_ref": {"x"}, "filed_on": {"2026-01-01"}}); p.status != http.StatusForbidden {
		t.Errorf("staff files a norm: %d, want 403", p.status)
	}

	yesterday := filings.Day(time.Now()).AddDate(0, 0, -1).Format(time.DateOnly)
	p = admin.post("/evaluation-norms", fileURL, url.Values{"filing_ref": {"人社备2026-7"}, "filed_on": {yesterday}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("file: %d\n%s", p.status, p.body)
	}
	mustContain(t, admin.do("GET", p.header.Get("Location"), nil), "已登记备案", "已备案", "备案号 人社备2026-7")
	// Filed: the picker offers the norm's levels.
	pick = admin.do("GET", "/filings/new?q="+url.QueryEscape(none.Code), nil)
	mustContain(t, pick, "依企业评价规范", `name="scope[0].levels" value="5"`, `name="scope[0].levels" value="4"`)
}

// TestBrowserFilingPicker: in a real browser, an admin types in the picker's search box (the script
// fetches the matches as they type), ticks a level of 电工, types another search — the ticked row moves
// to the chosen scope — and submits; the filing page shows the submitted filing.
func TestBrowserFilingPicker(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	c := newChrome(t, k, 1280, 900)
	c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	c.do("open the filings", chromedp.Click(chromedp.CSS(`nav.side a[href="/filings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/filings/new"]`)))
	c.do("new filing", chromedp.Click(chromedp.CSS(`a[href="/filings/new"]`)), chromedp.WaitVisible(chromedp.CSS(`#q`)))
	c.do("type a search", chromedp.SendKeys(chromedp.CSS(`#q`), "6-31-01"),
		chromedp.WaitReady(chromedp.CSS(`#picker-results input[type=hidden][value="`+electrician+`"]`)))
	if u := c.location("type a search"); strings.Contains(u, "q=") {
		c.fail("type a search", "the page was reloaded (%s): the script did not fetch the matches", u)
	}
	tick := `(function(){var r=document.querySelector('#picker-results input[type=hidden][value="` + electrician + `"]').closest("tr");` +
		`var b=r.querySelector('input[type=checkbox][value="4"]');b.click();return b.checked})()`
	if ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](tick)); err != nil || !ok {
		c.fail("tick level 4", "ticked=%v err=%v", ok, err)
	}
	c.do("search again",
		chromedp.SendKeys(chromedp.CSS(`#q`), strings.Repeat("\b", 7)+"6-31-02"),
		chromedp.WaitReady(chromedp.CSS(`#picker-chosen input[type=hidden][value="`+electrician+`"]`)))
	chosen := `document.querySelector('#picker-chosen input[type=checkbox][value="4"]').checked`
	if ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](chosen)); err != nil || !ok {
		c.fail("search again", "level 4 of 电工 not kept in the chosen scope (%v, %v)", ok, err)
	}
	c.do("submit", chromedp.Click(chromedp.CSS(`button.primary[formaction="/filings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`h1 .badge`)))
	if s := c.text("submit", "main"); !strings.Contains(s, "备案申请已提交") || !strings.Contains(s, "电工") || !strings.Contains(s, "四级/中级工") {
		c.fail("submit", "filing page says %q", s)
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		c.t.Logf("filing page: %s", c.screenshot("filing"))
	}
}
