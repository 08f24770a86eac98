package console_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// dashScenario is a county regulator with an institution of its county that issued certificates, a
// second institution whose filing waits for the regulator, and the regulator of another county. Each
// test takes a county of its own: the package's tests share one database.
type dashScenario struct {
	k            *testkit.Kit
	reg, other   *testkit.Org
	org          *testkit.Org
	batch        uuid.UUID // a real batch of org's (draft)
	cert, holder string    // one of org's certificates and its holder
}

func dashSetup(t *testing.T, county, otherCounty string) *dashScenario {
	t.Helper()
	k := testkit.New(t)
	ci := newCertIssuer(t, k)
	s := &dashScenario{k: k, reg: k.Tenant(t, tenants.KindRegulator, county), other: k.Tenant(t, tenants.KindRegulator, otherCounty)}
	s.org = k.Tenant(t, tenants.KindEnterprise, county)
	approveFiling(t, k, s.org, s.reg, 4, 3)
	certBatch := ci.finalize(t, s.org, 4, "张伟", "李娜", "<b>王五</b>")
	if errs := ci.run(t); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, c := range ci.list(t, s.org, certBatch) {
		if c.HolderName == "张伟" {
			s.cert, s.holder = c.ID.String(), c.HolderName
		}
	}
	if s.cert == "" {
		t.Fatal("no certificate issued")
	}
	s.batch = newBatch(t, k, s.org, "电工四级第9批")
	execIn(t, k, s.org, `INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status,
		eligibility_passed, eligibility_rule, eligibility, scores, result, created_at, updated_at)
		VALUES (?, ?, ?, ?, '赵六', 'resident_id', '110105199003071234', 'approved', true, 'r', '{}', '{"theory": 58, "practical": 71}', 'fail', now(), now())`,
		uuid.New(), s.org.Tenant.ID, s.batch, uuid.New())
	// A second institution's filing waits for the regulator's decision.
	pending := k.Tenant(t, tenants.KindSocialOrg, county)
	k.Do(t, "POST", "/api/v1/filings", pending.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{3}}},
	}).Want(t, http.StatusCreated)
	if _, err := k.Server.Oversight.Oversight.Inbox.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

var dashFormPattern = regexp.MustCompile(`(?s)<form[^>]*>`)

// dashWritingForms lists the forms of a page that post anywhere but the layout's own (sign-out,
// language): on a drill-down page there must be none.
func dashWritingForms(body string) []string {
	var out []string
	for _, f := range dashFormPattern.FindAllString(body, -1) {
		if !strings.Contains(strings.ToLower(f), `method="post"`) {
			continue
		}
		if strings.Contains(f, `action="/logout"`) || strings.Contains(f, `action="/lang"`) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func TestDashRegulatorPages(t *testing.T) {
	s := dashSetup(t, "650102", "650104")
	k, org := s.k, s.org
	reg := signedIn(t, k, s.reg, "admin")
	other := signedIn(t, k, s.other, "admin")
	inst := "/oversight/institutions/" + org.Tenant.ID.String()

	t.Run("the regulator's 工作台 counts the filings to decide and links to them", func(t *testing.T) {
		got := todos(t, reg)
		if got["/oversight/filings?status=submitted"] != "1 份备案待审批" {
			t.Errorf("to-dos: %v", got)
		}
		if got := todos(t, other); len(got) != 0 {
			t.Errorf("the other province's regulator has to-dos: %v", got)
		}
		wantPage(t, reg.do("GET", "/", nil), http.StatusOK, `href="/oversight/dashboard"`, `href="/oversight/institutions"`)
	})

	t.Run("complaints and decisions under review are counted too", func(t *testing.T) {
		if _, err := k.Server.Oversight.Oversight.Supervision.Complain(context.Background(), supervision.ComplaintInput{
			InstitutionSlug: org.Tenant.Slug, Content: "考场秩序混乱，有人代考。", Contact: "13800000000"}); err != nil {
			t.Fatal(err)
		}
		var d struct{ ID string }
		k.Do(t, "POST", "/api/v1/oversight/decisions", s.reg.Admin, map[string]any{"institution_id": org.Tenant.ID, "kind": "rectify",
			"reason": "档案不全", "deadline": time.Now().AddDate(0, 0, 30).Format(time.DateOnly)}).Want(t, http.StatusCreated).Decode(t, &d)
		k.Do(t, "POST", "/api/v1/decisions/"+d.ID+"/review-request", org.Admin, map[string]any{"reason": "档案已齐全"}).Want(t, http.StatusOK)
		got := todos(t, reg)
		if got["/oversight/complaints"] != "1 件投诉待处理" || got["/oversight/decisions?review_requested=true"] != "1 项决定已申请复核" {
			t.Errorf("to-dos: %v", got)
		}
		if got := todos(t, other); len(got) != 0 {
			t.Errorf("the other county's regulator has to-dos: %v", got)
		}
	})

	t.Run("the dashboard draws the jurisdiction's figures as charts with tables", func(t *testing.T) {
		p := reg.do("GET", "/oversight/dashboard", nil)
		wantPage(t, p, http.StatusOK, `role="img"`, "按月发证数", "按职业发证数", "按等级发证数", "合格率", "机构星级分布",
			`<th scope="row">`+electrician+`</th>`, `href="`+inst+`"`, org.Tenant.Name, `<polyline`, `<caption>按月发证数</caption>`)
		if n := strings.Count(p.body, `<svg role="img"`); n < 4 {
			t.Errorf("%d charts drawn", n)
		}
		if n := strings.Count(p.body, "?format=xlsx&amp;chart="); n != 4 { // not the empty pass rates
			t.Errorf("%d export links, want 4", n)
		}
		// The month the certificates were issued carries 3.
		month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
		if !strings.Contains(p.body, `<tr><th scope="row">`+month+`</th><td class="num">3</td><td class="num">0</td></tr>`) {
			t.Errorf("no row for %s with 3 issued:\n%s", month, p.body)
		}
		if forms := dashWritingForms(p.body); len(forms) != 0 {
			t.Errorf("the dashboard has forms that write: %v", forms)
		}
	})

	t.Run("filters narrow the figures; bad ones are shown next to their fields", func(t *testing.T) {
		p := reg.do("GET", "/oversight/dashboard?institution_kind=school", nil)
		wantPage(t, p, http.StatusOK, "所选范围内暂无数据", `<option value="school" selected>`)
		if strings.Contains(p.body, `href="`+inst+`"`) {
			t.Errorf("a school filter lists the enterprise")
		}
		p = reg.do("GET", "/oversight/dashboard?district=650102&occupation_code="+electrician+"&from=2020-01", nil)
		wantPage(t, p, http.StatusOK, `href="`+inst+`"`, `<option value="650102" selected>650102 天山区</option>`)
		p = reg.do("GET", "/oversight/dashboard?from=2026-13&to=x", nil)
		wantPage(t, p, http.StatusUnprocessableEntity, `<small class="err" id="from-err">请按 YYYY-MM 填写月份</small>`, `aria-invalid="true"`)
		p = reg.do("GET", "/oversight/dashboard?district=999999", nil)
		wantPage(t, p, http.StatusUnprocessableEntity, `id="district-err"`)
	})

	t.Run("each chart exports its numbers as a workbook", func(t *testing.T) {
		p := reg.do("GET", "/oversight/dashboard?format=xlsx&chart=level", nil)
		if p.status != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", p.status, p.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader([]byte(p.body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Sheet1")
		if err != nil || len(rows) != 2 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		if strings.Join(rows[0], "|") != "等级|有效|撤销" || rows[1][1] != "3" {
			t.Errorf("workbook %v", rows)
		}
		wantPage(t, reg.do("GET", "/oversight/dashboard?format=xlsx&chart=nope", nil), http.StatusBadRequest)
	})

	t.Run("the drill-down: institution, certificate, batch and audit log, read-only", func(t *testing.T) {
		p := reg.do("GET", "/oversight/institutions", nil)
		wantPage(t, p, http.StatusOK, `href="`+inst+`"`, org.Tenant.Name)
		p = reg.do("GET", inst, nil)
		wantPage(t, p, http.StatusOK, org.Tenant.Name, "哈希链完整", "监管只读视图", `href="`+inst+`/certificates/`+s.cert+`"`,
			`href="`+inst+`/batches/`+s.batch.String()+`"`, "电工四级第9批", "已通过", "&lt;b&gt;王五&lt;/b&gt;")
		if strings.Contains(p.body, "<b>王五</b>") {
			t.Errorf("a holder's name is not escaped")
		}
		for _, path := range []string{inst, inst + "/certificates", inst + "/certificates/" + s.cert, inst + "/batches/" + s.batch.String(), inst + "/audit", "/oversight/institutions"} {
			p := reg.do("GET", path, nil)
			wantPage(t, p, http.StatusOK)
			if forms := dashWritingForms(p.body); len(forms) != 0 {
				t.Errorf("%s has forms that write: %v", path, forms)
			}
			if strings.Contains(p.body, `data-confirm`) {
				t.Errorf("%s offers an action", path)
			}
		}
		wantPage(t, reg.do("GET", inst+"/certificates/"+s.cert, nil), http.StatusOK, s.holder, "有效")
		wantPage(t, reg.do("GET", inst+"/batches/"+s.batch.String(), nil), http.StatusOK, "赵六", "110***********1234", "理论 58", "实操 71", "不合格")
		wantPage(t, reg.do("GET", inst+"/audit", nil), http.StatusOK, "哈希链完整", "filing.submit", "certificate.issue")
		// Writing to an institution's records stays refused to a regulator (the API's 403).
		k.Do(t, "POST", "/api/v1/batches", s.reg.Admin, map[string]any{"title": "x"}).Want(t, http.StatusForbidden)
	})

	t.Run("a regulator of another region sees none of it", func(t *testing.T) {
		p := other.do("GET", "/oversight/dashboard", nil)
		wantPage(t, p, http.StatusOK, "所选范围内暂无数据")
		if strings.Contains(p.body, org.Tenant.Name) {
			t.Errorf("the other region's dashboard names the institution")
		}
		p = other.do("GET", "/oversight/institutions", nil)
		if strings.Contains(p.body, org.Tenant.Name) {
			t.Errorf("the other region lists the institution")
		}
		for _, path := range []string{inst, inst + "/certificates", inst + "/certificates/" + s.cert, inst + "/batches/" + s.batch.String(), inst + "/audit"} {
			if p := other.do("GET", path, nil); p.status != http.StatusNotFound || strings.Contains(p.body, org.Tenant.Name) || strings.Contains(p.body, s.holder) {
				t.Errorf("%s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/certificates/" + s.cert, "/batches/" + s.batch.String(), "/audit/verify"} {
			k.Do(t, "GET", "/api/v1"+inst+path, s.other.Admin, nil).Want(t, http.StatusNotFound)
			k.Do(t, "GET", "/api/v1"+inst+path, s.reg.Admin, nil).Want(t, http.StatusOK)
		}
		// And an institution's user is not a regulator.
		if p := signedIn(t, k, org, "admin").do("GET", "/oversight/dashboard", nil); p.status != http.StatusForbidden {
			t.Errorf("an institution opens the dashboard: %d", p.status)
		}
	})

	t.Run("the statistics API takes the dashboard's filters", func(t *testing.T) {
		var st struct {
			Institutions int      `json:"institutions"`
			Districts    []string `json:"districts"`
			Total        struct {
				Issued int `json:"issued"`
			} `json:"total"`
			ByStars []struct {
				Stars, Institutions int
			} `json:"by_stars"`
		}
		k.Do(t, "GET", "/api/v1/oversight/stats?district=650102&institution_kind=enterprise", s.reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
		if st.Institutions != 1 || st.Total.Issued != 3 || len(st.ByStars) != 5 || strings.Join(st.Districts, ",") != "650102" {
			t.Errorf("stats %+v", st)
		}
		k.Do(t, "GET", "/api/v1/oversight/stats?institution_kind=school", s.reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
		if st.Institutions != 0 || st.Total.Issued != 0 {
			t.Errorf("schools: %+v", st)
		}
		k.Do(t, "GET", "/api/v1/oversight/stats?institution_kind=regulator", s.reg.Admin, nil).Want(t, http.StatusBadRequest)
		k.Do(t, "GET", "/api/v1/oversight/stats?district=12", s.reg.Admin, nil).Want(t, http.StatusBadRequest)
	})
}
