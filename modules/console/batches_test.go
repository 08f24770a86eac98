package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// batchOrg makes an institution with a user per role and an approved filing for the electrician at
// level 4.
func batchOrg(tb testing.TB, k *testkit.Kit) *testkit.Org {
	tb.Helper()
	org := k.Tenant(tb, tenants.KindEnterprise, "110105", "staff", "evaluator", "supervisor", "candidate")
	reg := k.Tenant(tb, tenants.KindRegulator, "110000")
	var f struct{ ID uuid.UUID }
	k.Do(tb, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}},
	}).Want(tb, http.StatusCreated).Decode(tb, &f)
	k.Do(tb, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": filings.Day(time.Now()).Format(time.DateOnly), "note": "ok",
	}).Want(tb, http.StatusOK)
	return org
}

// signIn opens a console session for a user of org (the role's user, or admin).
func signInAs(t *testing.T, k *testkit.Kit, org *testkit.Org, role string) *browser {
	t.Helper()
	b := newBrowser(t, k)
	user := "admin"
	if role != "admin" {
		user = org.Users[role].Username
	}
	if p := b.login(org.Tenant.Slug, user, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("%s login: %d", role, p.status)
	}
	return b
}

// newBatchForm is a valid new-batch form for electricians at level 4, exam in a month.
func newBatchForm(csrf string, mod func(url.Values)) url.Values {
	exam := time.Now().AddDate(0, 1, 0).In(time.FixedZone("CST", 8*3600))
	f := url.Values{"_csrf": {csrf}, "occupation_code": {electrician}, "level": {"4"}, "title": {"2026年第五批电工四级认定"},
		"methods": {"theory", "practical"}, "pass_marks.theory": {"60"}, "pass_marks.practical": {"60"},
		"exam_start": {exam.Format(time.DateOnly)}, "application_deadline": {exam.AddDate(0, 0, -7).Format(time.DateOnly)},
		"venue": {"北京市朝阳区实训基地"}, "fee_fen": {"30000"}, "capacity": {"100"}, "publicity_days": {"0"}, "min_evaluators": {"1"}}
	if mod != nil {
		mod(f)
	}
	return f
}

// createBatch creates a batch through the console's form and returns its id.
func createBatch(t *testing.T, b *browser, mod func(url.Values)) uuid.UUID {
	t.Helper()
	form := b.do("GET", "/batches/new", nil)
	if form.status != http.StatusOK {
		t.Fatalf("new batch form %d:\n%s", form.status, form.body)
	}
	p := b.do("POST", "/batches", newBatchForm(b.csrf(form), mod))
	m := regexp.MustCompile(`^/batches/([0-9a-f-]{36})\?done=created$`).FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q:\n%s", p.status, p.header.Get("Location"), p.body)
	}
	return uuid.MustParse(m[1])
}

// applyCandidate creates a candidate and applies them to the batch through the API.
func applyCandidate(t *testing.T, k *testkit.Kit, org *testkit.Org, batch uuid.UUID, name string, fields, apply map[string]any) uuid.UUID {
	t.Helper()
	body := map[string]any{"name": name, "id_type": "resident_id", "id_number": freshResidentID(t), "education": "senior_high", "occupation_years": 0}
	for k, v := range fields {
		body[k] = v
	}
	cand := k.Do(t, "POST", "/api/v1/candidates", org.Admin, body).Want(t, http.StatusCreated).ID(t)
	req := map[string]any{"candidate_id": cand}
	for k, v := range apply {
		req[k] = v
	}
	return k.Do(t, "POST", "/api/v1/batches/"+batch.String()+"/applications", org.Tokens["staff"], req).Want(t, http.StatusCreated).ID(t)
}

func wantIn(t *testing.T, p page, what ...string) {
	t.Helper()
	for _, w := range what {
		if !strings.Contains(p.body, w) {
			t.Errorf("page lacks %q:\n%s", w, p.body)
			return
		}
	}
}

func TestConsoleBatches(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")

	t.Run("a role without the permission gets 403 and no button", func(t *testing.T) {
		id := createBatch(t, staff, nil)
		cand := signInAs(t, k, org, "candidate")
		home := cand.do("GET", "/", nil)
		if strings.Contains(home.body, `href="/batches"`) {
			t.Errorf("a candidate sees the batches menu entry")
		}
		if p := cand.do("GET", "/batches", nil); p.status != http.StatusForbidden || !strings.Contains(p.body, "无权") {
			t.Errorf("candidate GET /batches = %d, want the 403 page", p.status)
		}
		// A supervisor reads the batch but may not publish it: no button, and the server refuses.
		sup := signInAs(t, k, org, "supervisor")
		p := sup.do("GET", "/batches/"+id.String(), nil)
		if p.status != http.StatusOK {
			t.Fatalf("supervisor batch page %d:\n%s", p.status, p.body)
		}
		if strings.Contains(p.body, `action="/batches/`+id.String()+`/publish"`) || strings.Contains(p.body, `/cancel"`) {
			t.Errorf("the supervisor sees a publish or cancel button:\n%s", p.body)
		}
		if r := sup.do("POST", "/batches/"+id.String()+"/publish", url.Values{"_csrf": {sup.csrf(p)}}); r.status != http.StatusForbidden {
			t.Errorf("supervisor publish = %d, want 403", r.status)
		}
		if r := sup.do("GET", "/batches/new", nil); r.status != http.StatusForbidden {
			t.Errorf("supervisor new batch form = %d, want 403", r.status)
		}
		if list := sup.do("GET", "/batches", nil); strings.Contains(list.body, `href="/batches/new"`) {
			t.Errorf("the supervisor sees the new batch button")
		}
	})

	t.Run("a POST without the CSRF token is refused", func(t *testing.T) {
		id := createBatch(t, staff, nil)
		if p := staff.do("POST", "/batches/"+id.String()+"/publish", url.Values{}); p.status != http.StatusForbidden {
			t.Fatalf("publish without token = %d, want 403", p.status)
		}
		if p := staff.do("POST", "/batches", newBatchForm("", nil)); p.status != http.StatusForbidden {
			t.Fatalf("create without token = %d, want 403", p.status)
		}
		if p := staff.do("GET", "/batches/"+id.String(), nil); !strings.Contains(p.body, "草稿，尚未发布计划公告") {
			t.Errorf("the batch moved without a token:\n%s", p.body)
		}
	})

	t.Run("field errors next to the fields, typed values kept", func(t *testing.T) {
		form := staff.do("GET", "/batches/new", nil)
		wantIn(t, form, `<option value="`+electrician+`"`, "四级/中级工", `name="occupation_code"`, `name="application_deadline"`, `name="fee_fen"`)
		p := staff.do("POST", "/batches", newBatchForm(staff.csrf(form), func(f url.Values) {
			f.Set("title", "")
			f.Set("capacity", "many")
			f.Set("application_deadline", f.Get("exam_start"))
			f.Set("exam_start", time.Now().Format(time.DateOnly))
			f.Set("venue", "海淀区考点")
		}))
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		wantIn(t, p, `id="title-err"`, `id="capacity-err">请填写整数`, `id="application_deadline-err">报名截止不能晚于考试开始`,
			`value="海淀区考点"`, `value="many"`, `value="theory" checked`)
		// The service's own checks come back the same way: level 2 needs the comprehensive review, and
		// an occupation outside the filing is refused next to the occupation.
		p = staff.do("POST", "/batches", newBatchForm(staff.csrf(form), func(f url.Values) { f.Set("level", "2") }))
		wantIn(t, p, `id="methods-err">二级、一级须包含综合评审`)
		p = staff.do("POST", "/batches", newBatchForm(staff.csrf(form), func(f url.Values) { f.Set("level", "3") }))
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("out of scope: %d", p.status)
		}
		wantIn(t, p, `id="occupation_code-err">不在本机构已批准的备案范围内`)
	})

	t.Run("the whole flow: create, publish, apply, review, assign, close, score, publish results, objection, finalize", func(t *testing.T) {
		id := createBatch(t, staff, func(f url.Values) { f.Set("publicity_days", "1") })
		base := "/batches/" + id.String()
		p := staff.do("GET", base+"?done=created", nil)
		wantIn(t, p, "批次已创建", "计划公告", "报名", "资格审核", "评价人员", "成绩", "公示", "证书", "草稿，尚未发布计划公告",
			`action="`+base+`/publish"`, `data-confirm="发布后公告即对外公开`)
		if strings.Contains(p.body, `action="`+base+`/close"`) {
			t.Errorf("a draft offers to close")
		}
		// Publish.
		r := staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("publish %d:\n%s", r.status, r.body)
		}
		p = staff.do("GET", r.header.Get("Location"), nil)
		wantIn(t, p, "计划公告已发布", `action="`+base+`/close"`, "已报名 0 人，计划 100 人")

		// Applications (made through the API: the candidates pages are another area's).
		senior := applyCandidate(t, k, org, id, "王小明", map[string]any{"occupation_years": 6, "current_level": 5,
			"current_level_obtained_on": "2020-06-01"}, nil)
		novice := applyCandidate(t, k, org, id, "李四", nil, nil)
		champ := applyCandidate(t, k, org, id, "张三丰", map[string]any{"awards": []string{"national_competition"}},
			map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
		other := applyCandidate(t, k, org, id, "赵六", map[string]any{"occupation_years": 6, "current_level": 5,
			"current_level_obtained_on": "2020-06-01"}, nil)
		_ = other
		p = staff.do("GET", base, nil)
		wantIn(t, p, "已报名 4 人", "1 份报名待审核")

		apps := staff.do("GET", base+"/applications", nil)
		wantIn(t, apps, "王小明", "李四", "张三丰", "符合条件", "不符合条件", "待审核", `class="todo"`,
			`action="/applications/`+champ.String()+`/review"`, `action="/applications/`+senior.String()+`/paid"`)
		// The ineligible row says why in plain words; the eligible row names the condition it met.
		if !regexp.MustCompile(`李四</a>[\s\S]*?class="reasons"><div>[^<]*(年|证书)`).MatchString(apps.body) {
			t.Errorf("no plain reason for the ineligible application:\n%s", apps.body)
		}
		if !regexp.MustCompile(`王小明</a>[\s\S]*?class="reasons"><div>[^<]+</div>`).MatchString(apps.body) {
			t.Errorf("no rule for the eligible application")
		}
		// Search, the 待办 tab and the export read the same list as the API.
		q := staff.do("GET", base+"/applications?q=三丰", nil)
		if !strings.Contains(q.body, "张三丰") || strings.Contains(q.body, "王小明") {
			t.Errorf("search by name:\n%s", q.body)
		}
		todo := staff.do("GET", base+"/applications?status=pending_review", nil)
		if !strings.Contains(todo.body, "张三丰") || strings.Contains(todo.body, "李四") || !strings.Contains(todo.body, `aria-current="page">待办`) {
			t.Errorf("待办 tab:\n%s", todo.body)
		}
		x := staff.do("GET", base+"/applications?format=xlsx", nil)
		if x.status != http.StatusOK || !strings.Contains(x.header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(x.body, "PK") {
			t.Errorf("export: %d %s", x.status, x.header.Get("Content-Type"))
		}
		var api struct {
			Items []struct {
				CandidateName string `json:"candidate_name"`
			} `json:"items"`
		}
		k.Do(t, "GET", "/api/v1/batches/"+id.String()+"/applications?q=三丰", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &api)
		if len(api.Items) != 1 || api.Items[0].CandidateName != "张三丰" {
			t.Errorf("API search: %+v", api.Items)
		}

		// Review: a rejection without a reason is refused next to the field; then approve.
		r = staff.do("POST", "/applications/"+champ.String()+"/review", url.Values{"_csrf": {staff.csrf(apps)}, "decision": {"reject"},
			"next": {base + "/applications"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d", r.status)
		}
		wantIn(t, r, `id="reason-err">必填`)
		r = staff.do("POST", "/applications/"+champ.String()+"/review", url.Values{"_csrf": {staff.csrf(apps)}, "decision": {"approve"},
			"next": {base + "/applications?status=pending_review"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != base+"/applications?status=pending_review" {
			t.Fatalf("approve: %d %q", r.status, r.header.Get("Location"))
		}
		done := staff.do("GET", base+"/applications?status=approved", nil)
		wantIn(t, done, "张三丰", "审核通过")
		r = staff.do("POST", "/applications/"+senior.String()+"/paid", url.Values{"_csrf": {staff.csrf(apps)}, "next": {base + "/applications"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("mark paid: %d", r.status)
		}
		detail := staff.do("GET", "/applications/"+novice.String(), nil)
		wantIn(t, detail, "李四", "不符合条件", `class="bad"`)

		// Closing needs a supervisor: the refusal shows on the batch page.
		p = staff.do("GET", base, nil)
		wantIn(t, p, "尚未指派督导员", "已缴费 1 / 4")
		r = staff.do("POST", base+"/close", url.Values{"_csrf": {staff.csrf(p)}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("close unstaffed: %d", r.status)
		}
		wantIn(t, r, "逢考必督")
		// Assign an evaluator (for both methods) and a supervisor through the forms.
		evaluator, supervisor := org.Users["evaluator"], org.Users["supervisor"]
		wantIn(t, p, `name="user_ids" value="`+evaluator.ID.String()+`"`, `name="user_ids" value="`+supervisor.ID.String()+`"`)
		r = staff.do("POST", base+"/evaluators", url.Values{"_csrf": {staff.csrf(p)}, "user_ids": {evaluator.ID.String()}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("assign evaluators: %d\n%s", r.status, r.body)
		}
		r = staff.do("POST", base+"/supervisors", url.Values{"_csrf": {staff.csrf(p)}, "user_ids": {evaluator.ID.String()}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "该用户不是督导员") {
			t.Fatalf("a non-supervisor as supervisor: %d\n%s", r.status, r.body)
		}
		r = staff.do("POST", base+"/supervisors", url.Values{"_csrf": {staff.csrf(p)}, "user_ids": {supervisor.ID.String()}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("assign supervisors: %d", r.status)
		}
		r = staff.do("POST", base+"/recusals", url.Values{"_csrf": {staff.csrf(p)}, "evaluator_id": {evaluator.ID.String()},
			"candidate_id": {uuid.New().String()}, "relation": {"亲属"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("recusal of an unknown candidate: %d", r.status)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, "已指派考评员 2 人次、督导员 1 人", "理论知识考试、操作技能考核")
		r = staff.do("POST", base+"/close", url.Values{"_csrf": {staff.csrf(p)}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("close: %d\n%s", r.status, r.body)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, "报名已截止", "3 人成绩未录完整", `action="`+base+`/results/publish"`)

		// The evaluator scores (their grid is another issue's: the API here); the console shows them.
		evalTok := org.Tokens["evaluator"]
		for _, a := range []uuid.UUID{senior, other} {
			k.Do(t, "PUT", "/api/v1/applications/"+a.String()+"/scores", evalTok, map[string]any{"theory": 78, "practical": 85}).Want(t, http.StatusOK)
		}
		k.Do(t, "PUT", "/api/v1/applications/"+champ.String()+"/scores", evalTok, map[string]any{"theory": 40, "practical": 85}).Want(t, http.StatusOK)
		apps = staff.do("GET", base+"/applications", nil)
		wantIn(t, apps, "<td>78</td>", "<td>85</td>", "合格", "不合格")
		r = staff.do("POST", base+"/results/publish", url.Values{"_csrf": {staff.csrf(p)}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("publish results: %d\n%s", r.status, r.body)
		}
		// A member of the public objects; staff resolve it on the batch page.
		k.Do(t, "POST", "/api/v1/public/batches/"+id.String()+"/objections", "", map[string]any{
			"application_id": other, "reason": "该考生未参加实操考试", "contact": "13800000000"}).Want(t, http.StatusCreated)
		p = staff.do("GET", base, nil)
		wantIn(t, p, "1 条异议待处理", "该考生未参加实操考试", `action="/objections/`, `data-confirm="办结后不可更改`)
		obj := regexp.MustCompile(`action="/objections/([0-9a-f-]{36})/resolve"`).FindStringSubmatch(p.body)
		r = staff.do("POST", "/objections/"+obj[1]+"/resolve", url.Values{"_csrf": {staff.csrf(p)}, "batch_id": {id.String()},
			"outcome": {"dismissed"}, "note": {"经核查已参加"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("resolve: %d\n%s", r.status, r.body)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, "异议不成立", "经核查已参加", "公示期未满")
		if strings.Contains(p.body, `action="`+base+`/finalize"`) {
			t.Errorf("finalize is offered while publicity runs")
		}
		// A working day later (the clock moved by the database, not by waiting) publicity is over.
		if _, err := k.DB.ExecContext(context.Background(), "UPDATE batches SET publicity_ends_at = ? WHERE id = ?",
			time.Now().Add(-time.Minute).UTC(), id); err != nil {
			t.Fatal(err)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, `action="`+base+`/finalize"`, `data-confirm="完成后结果不可更改`)
		r = staff.do("POST", base+"/finalize", url.Values{"_csrf": {staff.csrf(p)}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("finalize: %d\n%s", r.status, r.body)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, "已完成", "2 人进入证书签发", `href="/certificates?batch_id=`+id.String()+`"`)
		if strings.Contains(p.body, `/cancel"`) {
			t.Errorf("a finalized batch offers to cancel")
		}
	})

	t.Run("cancel with a reason", func(t *testing.T) {
		id := createBatch(t, staff, nil)
		base := "/batches/" + id.String()
		p := staff.do("GET", base, nil)
		wantIn(t, p, `action="`+base+`/cancel" data-confirm=`)
		r := staff.do("POST", base+"/cancel", url.Values{"_csrf": {staff.csrf(p)}, "reason": {"考点临时停用"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("cancel %d", r.status)
		}
		p = staff.do("GET", base, nil)
		wantIn(t, p, "已取消", "考点临时停用")
		if strings.Contains(p.body, `action="`+base+`/publish"`) {
			t.Errorf("a cancelled batch offers to publish")
		}
	})

	t.Run("batch list: filter, sort, export, English", func(t *testing.T) {
		p := staff.do("GET", "/batches?status=cancelled", nil)
		wantIn(t, p, "已取消", `href="/batches/new"`)
		if strings.Contains(p.body, `class="tag s-draft"`) {
			t.Errorf("the status filter lets drafts through")
		}
		if p := staff.do("GET", "/batches?sort=-exam_start", nil); p.status != http.StatusOK || !strings.Contains(p.body, `aria-sort="descending"`) {
			t.Errorf("sort: %d", p.status)
		}
		if p := staff.do("GET", "/batches?sort=title", nil); p.status != http.StatusBadRequest {
			t.Errorf("unknown sort: %d, want the API's 400", p.status)
		}
		x := staff.do("GET", "/batches?format=xlsx", nil)
		if x.status != http.StatusOK || !strings.HasPrefix(x.body, "PK") {
			t.Errorf("export %d", x.status)
		}
		en := signInAs(t, k, org, "admin")
		en.lang = "en"
		delete(en.cookies, "skillcert_lang")
		p = en.do("GET", "/batches", nil)
		wantIn(t, p, "Batches", "New batch")
	})
}

// TestBatchMessagesBuiltFromValues: every message id the batch pages build from a value (statuses,
// levels, methods, step states, confirmations) exists in both languages.
func TestBatchMessagesBuiltFromValues(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	// Every dynamic id, rendered in English: a missing id shows as itself (e.g. "batch_status.draft").
	staff.lang = "en"
	id := createBatch(t, staff, nil)
	draft := staff.do("GET", "/batches/"+id.String(), nil)
	paths := []string{"/batches", "/batches/new", "/batches/" + id.String(), "/batches/" + id.String() + "/applications"}
	// Then open, with an application of each kind, so the table's labels are on the page too.
	staff.do("POST", "/batches/"+id.String()+"/publish", url.Values{"_csrf": {staff.csrf(draft)}})
	applyCandidate(t, k, org, id, "王小明", map[string]any{"occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}, nil)
	novice := applyCandidate(t, k, org, id, "李四", nil, nil)
	applyCandidate(t, k, org, id, "张三丰", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	paths = append(paths, "/batches/"+id.String(), "/batches/"+id.String()+"/applications", "/applications/"+novice.String())
	for _, path := range paths {
		p := staff.do("GET", path, nil)
		if m := regexp.MustCompile(`\b(batch_[a-z_]+|apps|app_[a-z_]+|objection_status|batches)\.[a-z0-9_]+\b`).FindString(p.body); m != "" {
			t.Errorf("%s shows the raw message id %q", path, m)
		}
	}
}

// seedApplications inserts n eligible applications into a batch in one statement (as the batches
// benchmarks do), with a realistic stored eligibility decision, created a millisecond apart.
func seedApplications(tb testing.TB, k *testkit.Kit, tenantID, batchID uuid.UUID, n int) {
	tb.Helper()
	rs, err := eligibility.Defaults()
	if err != nil {
		tb.Fatal(err)
	}
	set, _ := rs.Get(eligibility.RuleSet2018)
	d, err := set.Evaluate(catalog.Level4, eligibility.Applicant{YearsInOccupation: 6, CurrentLevel: catalog.Level5,
		LevelObtained: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	decision, _ := json.Marshal(d)
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	_, err = k.DB.ExecContext(context.Background(), `
INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status, route,
  evidence_file_ids, eligibility_passed, eligibility_rule, eligibility, theory_exempt, fee_fen, scores, result, held,
  created_at, updated_at)
SELECT gen_random_uuid(), ?, ?, gen_random_uuid(), '考生' || g, 'resident_id', '110105199001' || lpad(g::text, 6, '0'),
  'eligible', 'normal', '[]', true, ?, ?::jsonb, false, 30000, '{"theory": 78, "practical": 85}', 'pass', false,
  ?::timestamptz + g * interval '1 millisecond', ?::timestamptz + g * interval '1 millisecond'
FROM generate_series(1, ?) AS g`, tenantID, batchID, d.PassedPath, string(decision), start, start, n)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := k.DB.ExecContext(context.Background(), "ANALYZE applications"); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkConsoleApplicationsPage measures the console's page of 50 applications of a batch holding
// 10,000 against the JSON API page it mirrors (GET /api/v1/batches/{id}/applications?limit=50), in the
// same process and run, with the same session (the console's cookie carries the same token the API
// takes as a bearer), over loopback TCP at the same concurrency; the ratio goes to docs/benchmarks.md:
//
//	go test ./modules/console -run '^$' -bench ConsoleApplicationsPage -benchtime 2000x
func BenchmarkConsoleApplicationsPage(b *testing.B) {
	k := testkit.New(b)
	org := batchOrg(b, k)
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	batch := k.Do(b, "POST", "/api/v1/batches", org.Tokens["staff"], map[string]any{
		"occupation_code": electrician, "level": 4, "title": "2026年第四批电工四级认定", "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "北京市朝阳区实训基地", "fee_fen": 30000, "capacity": 10_000,
	}).Want(b, http.StatusCreated).ID(b)
	seedApplications(b, k, org.Tenant.ID, batch, 10_000)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = k.Server.App.Listener(ln) }()
	b.Cleanup(func() { _ = ln.Close() })
	client := &fasthttp.Client{MaxConnsPerHost: 1024}
	base := "http://" + ln.Addr().String()
	token := org.Tokens["staff"]
	const parallelism = 4 // goroutines per GOMAXPROCS, for both sides

	rates := map[string]float64{}
	run := func(name, uri, header, value, want string) {
		b.Run(name, func(b *testing.B) {
			do := func(req *fasthttp.Request, res *fasthttp.Response) bool {
				if err := client.Do(req, res); err != nil || res.StatusCode() != http.StatusOK || !bytes.Contains(res.Body(), []byte(want)) {
					b.Errorf("%s: %v %d %.300s", name, err, res.StatusCode(), res.Body())
					return false
				}
				return true
			}
			prepare := func() (*fasthttp.Request, *fasthttp.Response) {
				req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				req.SetRequestURI(uri)
				req.Header.Set(header, value)
				return req, res
			}
			// Warm up as many connections as the timed run uses.
			var wg sync.WaitGroup
			for range parallelism * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					req, res := prepare()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(res)
					for range 10 {
						if !do(req, res) {
							return
						}
					}
				})
			}
			wg.Wait()
			runtime.GC()
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, res := prepare()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(res)
				for pb.Next() {
					if !do(req, res) {
						return
					}
				}
			})
			b.StopTimer()
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "pages/s")
			// The process's CPU per page (server and client alike; PostgreSQL's is not counted): on a
			// shared machine a steadier figure than the rate.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/page")
			rates[name] = rate
		})
	}
	run("api", base+"/api/v1/batches/"+batch.String()+"/applications?limit=50", "Authorization", "Bearer "+token, `"next_cursor":"`)
	// A browser holds its csrf cookie from its first page on: send it, as the API's client sends its bearer
	// (without it every page would mint a new one and set it).
	run("console", base+"/batches/"+batch.String()+"/applications?limit=50", "Cookie",
		"skillcert_session="+token+"; skillcert_csrf=bench-csrf-cookie-0123456789abcdefghijklmnop", `rel="next"`)
	if rates["api"] > 0 && rates["console"] > 0 {
		b.Logf("console/api throughput: %.0f / %.0f pages/s = %.0f %%", rates["console"], rates["api"], 100*rates["console"]/rates["api"])
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBrowserBatchScreens saves screenshots of a batch's pages — desktop and a 360 px phone, Chinese
// and English — for a person to look at:
//
//	SKILLCERT_SCREENSHOTS=1 go test ./modules/console -run BrowserBatchScreens -v
func TestBrowserBatchScreens(t *testing.T) {
	if os.Getenv("SKILLCERT_SCREENSHOTS") == "" {
		t.Skip("set SKILLCERT_SCREENSHOTS=1 to take the screenshots")
	}
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()
	p := staff.do("GET", base, nil)
	staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
	applyCandidate(t, k, org, id, "王小明", map[string]any{"occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}, nil)
	applyCandidate(t, k, org, id, "李四", nil, nil)
	applyCandidate(t, k, org, id, "欧阳娜娜", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	staff.do("POST", base+"/evaluators", url.Values{"_csrf": {staff.csrf(p)}, "user_ids": {org.Users["evaluator"].ID.String()},
		"methods": {"theory"}})
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 360, 760}} {
		t.Run(size.name, func(t *testing.T) {
			c := newChrome(t, k, size.w, size.h)
			// Headless Chromium keeps windows at least 500 px wide: emulate the phone's viewport.
			c.do("login", chromedp.EmulateViewport(int64(size.w), int64(size.h)), chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
				chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
				chromedp.SendKeys(chromedp.CSS(`#username`), org.Users["staff"].Username),
				chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
				chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
			for _, lang := range []string{"zh", "en"} {
				if lang == "en" {
					c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] nav.side`)))
				}
				for _, pg := range []struct{ name, path string }{{"batch", base}, {"applications", base + "/applications"},
					{"list", "/batches"}, {"new", "/batches/new"}} {
					c.do(pg.name, chromedp.Navigate(c.base+pg.path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
					t.Logf("%s %s %s: %s", size.name, lang, pg.name, c.screenshot(lang+"-"+pg.name))
				}
			}
		})
	}
}
