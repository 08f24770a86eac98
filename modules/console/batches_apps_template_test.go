package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
)

// TestBatchApplicationsPageEscapes checks that the applications page, rendered by html/template from
// per-row view models, escapes what candidates and reviewers typed in every context it appears in (the
// link text, the mark-paid confirmation attribute, the review note), in both languages.
func TestBatchApplicationsPageEscapes(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()
	p := staff.do("GET", base, nil)
	staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
	applyCandidate(t, k, org, id, `王<b>明&"`, map[string]any{"occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}, nil)
	champ := applyCandidate(t, k, org, id, "张三丰", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	pending := applyCandidate(t, k, org, id, "欧阳娜娜", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	k.Do(t, "POST", "/api/v1/applications/"+champ.String()+"/review", org.Tokens["staff"],
		map[string]any{"decision": "reject", "reason": "材料<script>不全"}).Want(t, http.StatusOK)
	for _, c := range []struct{ lang, note, confirm string }{
		{"zh-CN", "审核意见：材料&lt;script&gt;不全", `data-confirm="确认已收到王&lt;b&gt;明&amp;&#34;的报名费？"`},
		{"en", "Review note: 材料&lt;script&gt;不全", `data-confirm="Confirm the fee of 王&lt;b&gt;明&amp;&#34; was received?"`},
	} {
		staff.lang = c.lang
		apps := staff.do("GET", base+"/applications", nil)
		wantIn(t, apps, `">王&lt;b&gt;明&amp;&#34;</a>`, c.confirm, c.note,
			`<tr class="todo"><td><a id="a-`+pending.String()+`" href="/applications/`+pending.String()+`">欧阳娜娜</a>`,
			`formaction="/applications/`+pending.String()+`/review" aria-describedby="a-`+pending.String()+`"`)
		for _, raw := range []string{"<b>", "<script>"} {
			if strings.Contains(apps.body, raw) {
				t.Errorf("%s: unescaped %s in the page", c.lang, raw)
			}
		}
		// The csrf token is in the page's two shared posting forms (approve, mark paid), not in the rows.
		wantIn(t, apps, `<form id="app-approve" method="post" data-confirm="`, `<form id="app-paid" method="post"><input type="hidden" name="_csrf" value="`+staff.csrf(apps)+`">`)
		if rows := apps.body[strings.Index(apps.body, "<tbody>"):strings.Index(apps.body, "</tbody>")]; strings.Contains(rows, "_csrf") || strings.Contains(rows, "<form") {
			t.Errorf("%s: forms or csrf tokens in the rows:\n%s", c.lang, rows)
		}
	}
}

// appsForm is what a browser sends when a row's button submits one of the page's shared forms: the
// form's inputs (by its id) to the button's formaction (by the application's id and the action's path).
func appsForm(t *testing.T, p page, formID, formaction string) (method, action string, values url.Values) {
	t.Helper()
	fm := regexp.MustCompile(`<form id="` + formID + `" method="(get|post)"[^>]*>(.*?)</form>`).FindStringSubmatch(p.body)
	if fm == nil {
		t.Fatalf("no form #%s on the page:\n%s", formID, p.body)
	}
	values = url.Values{}
	for _, in := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(fm[2], -1) {
		values.Set(in[1], strings.ReplaceAll(in[2], "&amp;", "&"))
	}
	if !strings.Contains(p.body, `form="`+formID+`" formaction="`+formaction+`"`) {
		t.Fatalf("no button submits #%s to %s:\n%s", formID, formaction, p.body)
	}
	return strings.ToUpper(fm[1]), formaction, values
}

// TestBatchApplicationsRowActions follows the table's buttons as a browser without script does: each
// submits a form shared by the page (its csrf token and return address) to the row's address.
func TestBatchApplicationsRowActions(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()
	p := staff.do("GET", base, nil)
	staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
	direct := map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}}
	award := map[string]any{"awards": []string{"national_competition"}}
	yes := applyCandidate(t, k, org, id, "张三丰", award, direct)
	no := applyCandidate(t, k, org, id, "欧阳娜娜", award, direct)
	list := base + "/applications?status=pending_review"

	// 通过: the shared approve form posts the decision to the row's review address and comes back.
	apps := staff.do("GET", list, nil)
	wantIn(t, apps, `<form id="app-approve" method="post" data-confirm="审核结论提交后不可更改，确定提交？">`)
	method, action, form := appsForm(t, apps, "app-approve", "/applications/"+yes.String()+"/review")
	if form.Get("decision") != "approve" || form.Get("next") != list || form.Get("_csrf") == "" {
		t.Fatalf("approve form: %v", form)
	}
	// Without its csrf token the post is refused, and nothing is decided.
	if r := staff.do(method, action, url.Values{"decision": {"approve"}, "next": {list}}); r.status != http.StatusForbidden {
		t.Fatalf("approve without csrf: %d", r.status)
	}
	if r := staff.do(method, action, form); r.status != http.StatusSeeOther || r.header.Get("Location") != list {
		t.Fatalf("approve: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}

	// 不通过…: the shared reject form opens the application's review form with 不通过 chosen, the reason
	// to write, and the table as where to return; a rejection without reason is refused there.
	apps = staff.do("GET", list, nil)
	if strings.Contains(apps.body, `formaction="/applications/`+yes.String()+`/review"`) {
		t.Errorf("the approved application still has its review buttons")
	}
	method, action, form = appsForm(t, apps, "app-reject", "/applications/"+no.String())
	if method != "GET" || form.Get("_csrf") != "" {
		t.Fatalf("reject opens the review form with a GET: %s %v", method, form)
	}
	rf := staff.do("GET", action+"?"+form.Encode(), nil)
	wantIn(t, rf, `value="reject" checked`, `<textarea id="reason" name="reason" rows="3" maxlength="2000" autofocus>`,
		`<input type="hidden" name="next" value="`+strings.ReplaceAll(list, "&", "&amp;")+`">`)
	post := url.Values{"_csrf": {staff.csrf(rf)}, "decision": {"reject"}, "next": {list}}
	r := staff.do("POST", "/applications/"+no.String()+"/review", post)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without reason: %d", r.status)
	}
	wantIn(t, r, `id="reason-err">必填`, `value="reject" checked`, `name="next" value="`+strings.ReplaceAll(list, "&", "&amp;")+`"`)
	post.Set("reason", "材料不全")
	if r = staff.do("POST", "/applications/"+no.String()+"/review", post); r.status != http.StatusSeeOther || r.header.Get("Location") != list {
		t.Fatalf("reject: %d %q", r.status, r.header.Get("Location"))
	}
	wantIn(t, staff.do("GET", base+"/applications?status=rejected", nil), "欧阳娜娜", "审核意见：材料不全")

	// 标记已缴费: the shared paid form, the row's own confirmation on its button.
	apps = staff.do("GET", base+"/applications", nil)
	wantIn(t, apps, `<button form="app-paid" formaction="/applications/`+yes.String()+`/paid" data-confirm="确认已收到张三丰的报名费？"`)
	method, action, form = appsForm(t, apps, "app-paid", "/applications/"+yes.String()+"/paid")
	if r := staff.do(method, action, url.Values{"next": {base + "/applications"}}); r.status != http.StatusForbidden {
		t.Fatalf("mark paid without csrf: %d", r.status)
	}
	if r := staff.do(method, action, form); r.status != http.StatusSeeOther || r.header.Get("Location") != base+"/applications" {
		t.Fatalf("mark paid: %d %q", r.status, r.header.Get("Location"))
	}
}

// appsRow is the table row of an application on the page.
func appsRow(t *testing.T, p page, app uuid.UUID) string {
	t.Helper()
	m := regexp.MustCompile(`<tr[^>]*><td><a id="a-` + app.String() + `"[\s\S]*?</tr>`).FindString(p.body)
	if m == "" {
		t.Fatalf("no row of %s on the page:\n%s", app, p.body)
	}
	return m
}

// TestBatchApplicationsRowsNeverStale checks the cache of rendered rows: a row shows its application as it
// is now, after every change, and users who may do different things, or read another language, each get
// their own rows.
func TestBatchApplicationsRowsNeverStale(t *testing.T) {
	k := testkit.New(t)
	org := batchOrg(t, k)
	staff := signInAs(t, k, org, "staff")
	evaluator := signInAs(t, k, org, "evaluator")
	id := createBatch(t, staff, nil)
	base := "/batches/" + id.String()
	p := staff.do("GET", base, nil)
	staff.do("POST", base+"/publish", url.Values{"_csrf": {staff.csrf(p)}})
	app := applyCandidate(t, k, org, id, "张三丰", map[string]any{"awards": []string{"national_competition"}},
		map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})
	list := base + "/applications"
	// An evaluator sees the batches they are assigned to.
	k.Do(t, "POST", "/api/v1/batches/"+id.String()+"/evaluators", org.Tokens["staff"],
		map[string]any{"user_ids": []string{org.Users["evaluator"].ID.String()}}).Want(t, http.StatusOK)

	// Twice the same page: the second is served from the cache and is the same.
	first := appsRow(t, staff.do("GET", list, nil), app)
	if again := appsRow(t, staff.do("GET", list, nil), app); again != first {
		t.Fatalf("the same row twice differs:\n%s\n%s", first, again)
	}
	for _, want := range []string{"待审核", `form="app-approve"`, `form="app-paid"`, "未缴费"} {
		if !strings.Contains(first, want) {
			t.Errorf("row before the changes lacks %q:\n%s", want, first)
		}
	}

	// Another user, who may neither review nor mark paid: no buttons, no actions column; and the
	// staff's row, cached, is not what the evaluator gets.
	ev := evaluator.do("GET", list, nil)
	if ev.status != http.StatusOK {
		t.Fatalf("evaluator's page: %d", ev.status)
	}
	if row := appsRow(t, ev, app); strings.Contains(row, "<button") || strings.Contains(row, `class="acts"`) {
		t.Errorf("the evaluator's row has the staff's buttons:\n%s", row)
	}
	if strings.Contains(ev.body, `id="app-approve"`) || strings.Contains(ev.body, `id="app-paid"`) {
		t.Errorf("the evaluator's page has forms they may not use")
	}

	// The same row in English, then in Chinese again: each language its own words.
	staff.lang = "en"
	en := appsRow(t, staff.do("GET", list, nil), app)
	for _, want := range []string{"Awaiting review", "Approve", "Reject…", "Mark paid", "Confirm the fee of 张三丰 was received?"} {
		if !strings.Contains(en, want) {
			t.Errorf("English row lacks %q:\n%s", want, en)
		}
	}
	for _, zh := range []string{"待审核", "通过", "标记已缴费", "报名费"} {
		if strings.Contains(en, zh) {
			t.Errorf("English row has the Chinese %q:\n%s", zh, en)
		}
	}
	staff.lang = "zh-CN"
	if zh := appsRow(t, staff.do("GET", list, nil), app); zh != first {
		t.Errorf("the Chinese row after the English one differs:\n%s\n%s", first, zh)
	}

	// The application changes (through the API, not the console): the next page shows the change.
	k.Do(t, "POST", "/api/v1/applications/"+app.String()+"/paid", org.Tokens["staff"], nil).Want(t, http.StatusOK)
	paid := appsRow(t, staff.do("GET", list, nil), app)
	if strings.Contains(paid, "未缴费") || !strings.Contains(paid, "已缴费") || strings.Contains(paid, `form="app-paid"`) {
		t.Errorf("row after payment:\n%s", paid)
	}
	k.Do(t, "POST", "/api/v1/applications/"+app.String()+"/review", org.Tokens["staff"],
		map[string]any{"decision": "reject", "reason": "材料不全"}).Want(t, http.StatusOK)
	rejected := appsRow(t, staff.do("GET", list, nil), app)
	if !strings.Contains(rejected, "审核不通过") || !strings.Contains(rejected, "审核意见：材料不全") ||
		strings.Contains(rejected, "<button") || strings.Contains(rejected, `class="todo"`) {
		t.Errorf("row after the rejection:\n%s", rejected)
	}
}
