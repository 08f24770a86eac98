package console_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// examScenario makes an institution with a closed batch of one candidate and no sessions yet; it
// returns the institution, the batch and the candidate's id number.
func examScenario(t *testing.T, k *testkit.Kit) (*testkit.Org, uuid.UUID, string) {
	t.Helper()
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "evaluator", "supervisor")
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{"scope": []map[string]any{{"occupation_code": "6-31-01-03", "levels": []int{4}}}}).
		Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{"decision": "approve",
		"evaluator_code": "0000", "site_serial": "000123", "valid_from": filings.Day(time.Now()).Format(time.DateOnly)}).Want(t, http.StatusOK)
	start := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	batch := k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{"occupation_code": "6-31-01-03", "level": 4, "title": "电工四级",
		"methods": []string{"theory", "practical"}, "exam_start": start.Format(time.RFC3339), "application_deadline": start.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "朝阳", "fee_fen": 0, "capacity": 10}).Want(t, http.StatusCreated).ID(t)
	path := "/api/v1/batches/" + batch.String()
	k.Do(t, "POST", path+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	body := "110105199001011" + "23"
	c, _ := candidates.ResidentIDCheckChar(body)
	idNumber := body + string(c)
	cand := k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": "王小明", "id_type": "resident_id", "id_number": idNumber,
		"education": "senior_high", "occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", path+"/applications", org.Admin, map[string]any{"candidate_id": cand}).Want(t, http.StatusCreated)
	k.Do(t, "POST", path+"/evaluators", org.Admin, map[string]any{"user_ids": []string{org.Users["evaluator"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/supervisors", org.Admin, map[string]any{"user_ids": []string{org.Users["supervisor"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/close", org.Admin, nil).Want(t, http.StatusOK)
	return org, batch, idNumber
}

var roomIDRe = regexp.MustCompile(`name="room_ids" value="([0-9a-f-]{36})"`)

// TestConsoleExamPages: sites and rooms (a field error keeps what was typed; permissions; CSRF), then a
// batch's exam page from sessions to arrangement to tickets, with the batch flow's exam steps.
func TestConsoleExamPages(t *testing.T) {
	k := testkit.New(t)
	org, batch, _ := examScenario(t, k)
	b := newBrowser(t, k)
	b.login(org.Tenant.Slug, "admin", testkit.Password)

	// post posts a form and follows the 303 to the page it leads to.
	post := func(br *browser, path string, form url.Values) page {
		p := br.do("POST", path, form)
		if p.status == http.StatusSeeOther {
			return br.do("GET", p.header.Get("Location"), nil)
		}
		return p
	}
	list := b.do("GET", "/exam-sites", nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="/exam-sites/new"`) || !strings.Contains(list.body, "尚无考点") {
		t.Fatalf("sites %d:\n%s", list.status, list.body)
	}
	form := b.do("GET", "/exam-sites/new", nil)
	site := url.Values{"_csrf": {b.csrf(form)}, "name": {"朝阳考点"}, "address": {"朝阳路1号"},
		"rooms[0].name": {"第1考场"}, "rooms[0].kind": {"theory"}, "rooms[0].seats": {"0"}}
	if p := b.do("POST", "/exam-sites", url.Values{"name": {"x"}}); p.status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", p.status)
	}
	bad := b.do("POST", "/exam-sites", site)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "座位数应为1–500") || !strings.Contains(bad.body, `value="朝阳路1号"`) {
		t.Fatalf("seats 0 %d:\n%s", bad.status, bad.body)
	}
	site.Set("rooms[0].seats", "30")
	if p := post(b, "/exam-sites", site); p.status != http.StatusOK || !strings.Contains(p.body, "考点已保存") {
		t.Fatalf("create site %d:\n%s", p.status, p.body)
	}

	sup := newBrowser(t, k)
	sup.login(org.Tenant.Slug, org.Users["supervisor"].Username, testkit.Password)
	if p := sup.do("GET", "/exam-sites", nil); p.status != http.StatusOK || strings.Contains(p.body, `href="/exam-sites/new"`) {
		t.Fatalf("a supervisor's sites %d:\n%s", p.status, p.body)
	}
	if p := sup.do("GET", "/exam-sites/new", nil); p.status != http.StatusForbidden {
		t.Fatalf("a supervisor gets the new site form: %d", p.status)
	}
	ev := newBrowser(t, k)
	ev.login(org.Tenant.Slug, org.Users["evaluator"].Username, testkit.Password)
	if p := ev.do("GET", "/batches/"+batch.String()+"/exam", nil); p.status != http.StatusForbidden {
		t.Fatalf("an evaluator gets the exam page: %d", p.status)
	}

	base := "/batches/" + batch.String()
	show := b.do("GET", base, nil)
	if !strings.Contains(show.body, "考场编排") || !strings.Contains(show.body, "尚无场次") || !strings.Contains(show.body, base+"/exam") {
		t.Fatalf("batch page without sessions:\n%s", show.body)
	}
	exam := b.do("GET", base+"/exam", nil)
	m := roomIDRe.FindStringSubmatch(exam.body)
	if exam.status != http.StatusOK || m == nil || !strings.Contains(exam.body, "尚无场次") {
		t.Fatalf("exam page %d:\n%s", exam.status, exam.body)
	}
	sess := url.Values{"_csrf": {b.csrf(exam)}, "method": {"theory"}, "starts_at": {"2027-01-10T09:00"}, "ends_at": {"2027-01-10T11:00"}, "room_ids": {m[1]}}
	if p := post(b, base+"/exam/sessions", sess); p.status != http.StatusOK || !strings.Contains(p.body, "场次已保存") {
		t.Fatalf("add session %d:\n%s", p.status, p.body)
	}
	sess.Set("starts_at", "2027-01-10T10:00")
	sess.Set("ends_at", "2027-01-10T12:00")
	overlap := b.do("POST", base+"/exam/sessions", sess)
	if overlap.status != http.StatusConflict || !strings.Contains(overlap.body, "场次时间重叠") || !strings.Contains(overlap.body, `value="2027-01-10T10:00"`) {
		t.Fatalf("overlap %d:\n%s", overlap.status, overlap.body)
	}
	if p := b.do("GET", base, nil); !strings.Contains(p.body, "已有 1 个场次，尚未编排") {
		t.Fatalf("batch page before arranging:\n%s", p.body)
	}
	arranged := post(b, base+"/exam/arrangement", url.Values{"_csrf": {b.csrf(exam)}, "mode": {"shuffled"}, "seed": {"demo-seed"}})
	if arranged.status != http.StatusOK || !strings.Contains(arranged.body, "已完成考场编排") || !strings.Contains(arranged.body, "demo-seed") ||
		!strings.Contains(arranged.body, "王小明") || !strings.Contains(arranged.body, "待签到") {
		t.Fatalf("arranged %d:\n%s", arranged.status, arranged.body)
	}
	sel := func(id string) string {
		m := regexp.MustCompile(`id="` + id + `" name="[a-z_]+">\s*<option value="([0-9a-f-]{36})"`).FindStringSubmatch(arranged.body)
		if m == nil {
			t.Fatalf("no %s choice:\n%s", id, arranged.body)
		}
		return m[1]
	}
	moved := post(b, base+"/exam/seats", url.Values{"_csrf": {b.csrf(exam)}, "application_id": {sel("mv-app")}, "session_id": {sel("mv-session")},
		"room_id": {sel("mv-room")}, "seat": {"7"}})
	if moved.status != http.StatusOK || !strings.Contains(moved.body, "座位已调整") || !strings.Contains(moved.body, "<td>7</td>") {
		t.Fatalf("moved %d:\n%s", moved.status, moved.body)
	}
	issued := post(b, base+"/exam/tickets", url.Values{"_csrf": {b.csrf(exam)}})
	if issued.status != http.StatusOK || !strings.Contains(issued.body, "已提交生成准考证") || !strings.Contains(issued.body, "删除准考证") {
		t.Fatalf("issued %d:\n%s", issued.status, issued.body)
	}
	// The candidate sees their ticket under 我的准考证 once their login is theirs: the number, every
	// session with its place and seat; the PDF only once rendered (409 page before).
	candUser := k.User(t, org, "wang-xiaoming", "candidate")
	cb := signedIn(t, k, org, "wang-xiaoming")
	if p := cb.do("GET", "/my/tickets", nil); p.status != http.StatusOK || !strings.Contains(p.body, "暂无准考证") {
		t.Fatalf("my tickets before the login is linked to a candidate %d:\n%s", p.status, p.body)
	}
	if _, err := k.DB.NewUpdate().Table("candidates").Set("user_id = ?", candUser.ID).
		Where("tenant_id = ? AND name = ?", org.Tenant.ID, "王小明").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A candidate's home is the portal (page_portal.go), whose menu holds 我的准考证.
	if home := cb.do("GET", "/", nil); home.status != http.StatusSeeOther || home.header.Get("Location") != "/my/applications" {
		t.Fatalf("candidate's home: %d %q", home.status, home.header.Get("Location"))
	}
	home := cb.do("GET", "/my/applications", nil)
	if !strings.Contains(home.body, `href="/my/tickets"`) || strings.Contains(home.body, `href="/exam-sites"`) {
		t.Fatalf("candidate's menu:\n%s", home.body)
	}
	mine := cb.do("GET", "/my/tickets", nil)
	if mine.status != http.StatusOK || !strings.Contains(mine.body, "准考证号") || !strings.Contains(mine.body, "理论知识考试") ||
		!strings.Contains(mine.body, "<td>7</td>") {
		t.Fatalf("my tickets %d:\n%s", mine.status, mine.body)
	}
	if strings.Contains(mine.body, "准考证正在生成") {
		if p := cb.do("GET", "/my/tickets/"+batch.String()+"/pdf", nil); p.status != http.StatusConflict {
			t.Fatalf("pdf of a pending ticket: %d", p.status)
		}
	} else if p := cb.do("GET", "/my/tickets/"+batch.String()+"/pdf", nil); p.status != http.StatusOK || !strings.HasPrefix(p.body, "%PDF") {
		t.Fatalf("pdf of a ready ticket: %d", p.status)
	}
	if p := b.do("GET", "/my/tickets", nil); p.status != http.StatusForbidden { // staff have no tickets of their own
		t.Fatalf("admin on /my/tickets: %d", p.status)
	}
	flow := b.do("GET", base, nil)
	if !strings.Contains(flow.body, "已编排 1 个座位") || !(strings.Contains(flow.body, "1 张准考证生成中") || strings.Contains(flow.body, "已生成 1/1")) {
		t.Fatalf("batch page after tickets:\n%s", flow.body)
	}
	// Tickets freeze the arrangement: arranging again is refused with the message next to the form.
	if p := b.do("POST", base+"/exam/arrangement", url.Values{"_csrf": {b.csrf(exam)}, "mode": {"sequential"}}); p.status != http.StatusConflict ||
		!strings.Contains(p.body, "请先删除准考证") {
		t.Fatalf("arrange after tickets %d:\n%s", p.status, p.body)
	}
	if p := sup.do("POST", base+"/exam/tickets/delete", url.Values{"_csrf": {sup.csrf(sup.do("GET", base+"/exam", nil))}}); p.status != http.StatusForbidden {
		t.Fatalf("a supervisor deletes tickets: %d", p.status)
	}
	if p := post(b, base+"/exam/tickets/delete", url.Values{"_csrf": {b.csrf(exam)}}); p.status != http.StatusOK || !strings.Contains(p.body, "准考证已删除") {
		t.Fatalf("delete tickets %d:\n%s", p.status, p.body)
	}
}

// TestBrowserExamArrange: arrange a closed batch on the page (a session, shuffled), see the seats, then
// check the person in on the check-in page by typing the id number.
func TestBrowserExamArrange(t *testing.T) {
	k := testkit.New(t)
	org, batch, idNumber := examScenario(t, k)
	k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "朝阳考点", "address": "朝阳路1号",
		"rooms": []map[string]any{{"name": "第1考场", "kind": "theory", "seats": 30}}}).Want(t, http.StatusCreated)
	c := newChrome(t, k, 1280, 900)
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	startAt, endAt := now.Add(-10*time.Minute).Format("2006-01-02T15:04"), now.Add(2*time.Hour).Format("2006-01-02T15:04")
	base := c.base + "/batches/" + batch.String()
	c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	c.do("session", chromedp.Navigate(base+"/exam"), chromedp.WaitVisible(chromedp.CSS(`#new-starts_at`)),
		chromedp.SetValue(chromedp.CSS(`#new-starts_at`), startAt), chromedp.SetValue(chromedp.CSS(`#new-ends_at`), endAt),
		chromedp.Click(chromedp.CSS(`input[name="room_ids"]`)),
		chromedp.Click(chromedp.CSS(`form.session-form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.exam-session`)))
	c.do("arrange", chromedp.Click(chromedp.CSS(`input[name="mode"][value="shuffled"]`)),
		chromedp.Click(chromedp.CSS(`#arrangement form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`table.seats`)))
	if got := c.text("arrange", "table.seats"); !strings.Contains(got, "王小明") {
		c.fail("arrange", "seats %q", got)
	}
	if got := c.text("arrange", "code.seed"); got == "" {
		c.fail("arrange", "no seed shown")
	}
	if os.Getenv("SKILLCERT_SCREENSHOTS") != "" {
		t.Logf("exam (desktop, zh-CN): %s", c.screenshot("exam-desktop-zh"))
		c.do("phone", chromedp.EmulateViewport(360, 740), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.seats`)))
		t.Logf("exam (phone, zh-CN): %s", c.screenshot("exam-phone-zh"))
		c.do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] table.seats`)))
		t.Logf("exam (phone, en): %s", c.screenshot("exam-phone-en"))
		c.do("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.seats`)))
		t.Logf("exam (desktop, en): %s", c.screenshot("exam-desktop-en"))
		c.do("site", chromedp.Navigate(c.base+"/exam-sites"), chromedp.Click(chromedp.CSS(`main table a`)), chromedp.WaitVisible(chromedp.CSS(`#rooms`)))
		t.Logf("site (desktop, en): %s", c.screenshot("site-desktop-en"))
		c.do("site phone", chromedp.EmulateViewport(360, 740), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#rooms`)))
		t.Logf("site (phone, en): %s", c.screenshot("site-phone-en"))
		c.do("back", chromedp.EmulateViewport(1280, 900))
	}
	c.do("check-in", chromedp.Navigate(base+"/check-in"), chromedp.WaitVisible(chromedp.CSS(`#ticket`)),
		chromedp.SendKeys(chromedp.CSS(`#ticket`), idNumber+"\n"), chromedp.WaitVisible(chromedp.CSS(`.checkin-result`)))
	if got := c.text("check-in", ".checkin-result"); !strings.Contains(got, "王小明") && !strings.Contains(got, "Seat") {
		c.fail("check-in", "result %q", got)
	}
}
