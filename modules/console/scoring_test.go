package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// scoringFixture is a closed batch (theory and practical, pass marks 60) with three admitted candidates
// — 张三, 李四, 王五 — an assigned evaluator and supervisor, an evaluator and a supervisor who are not
// assigned, and 王五 absent (缺考) from the theory session, which has ended.
type scoringFixture struct {
	org     *testkit.Org
	batch   uuid.UUID
	apps    []uuid.UUID // in the grid's order
	cands   []uuid.UUID
	names   []string
	otherEv string // usernames of the unassigned evaluator and supervisor
	otherSv string
}

func scoringScenario(t *testing.T, k *testkit.Kit) *scoringFixture {
	t.Helper()
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "evaluator", "supervisor")
	k.User(t, org, "eva2", "evaluator")
	k.User(t, org, "sup2", "supervisor")
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{"scope": []map[string]any{{"occupation_code": "6-31-01-03", "levels": []int{4}}}}).
		Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{"decision": "approve",
		"evaluator_code": "0000", "site_serial": "000123", "valid_from": filings.Day(time.Now()).Format(time.DateOnly)}).Want(t, http.StatusOK)
	start := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	batch := k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{"occupation_code": "6-31-01-03", "level": 4, "title": "电工四级评分批",
		"methods": []string{"theory", "practical"}, "exam_start": start.Format(time.RFC3339), "application_deadline": start.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "朝阳", "fee_fen": 0, "capacity": 10}).Want(t, http.StatusCreated).ID(t)
	path := "/api/v1/batches/" + batch.String()
	k.Do(t, "POST", path+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	fx := &scoringFixture{org: org, batch: batch, names: []string{"张三", "李四", "王五"}, otherEv: "eva2", otherSv: "sup2"}
	for i, name := range fx.names {
		body := "11010519900101" + string(rune('1'+i)) + "23"
		c, _ := candidates.ResidentIDCheckChar(body)
		cand := k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": name, "id_type": "resident_id", "id_number": body + string(c),
			"education": "senior_high", "occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}).Want(t, http.StatusCreated).ID(t)
		app := k.Do(t, "POST", path+"/applications", org.Admin, map[string]any{"candidate_id": cand}).Want(t, http.StatusCreated).ID(t)
		fx.cands = append(fx.cands, cand)
		fx.apps = append(fx.apps, app)
	}
	k.Do(t, "POST", path+"/evaluators", org.Admin, map[string]any{"user_ids": []string{org.Users["evaluator"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/supervisors", org.Admin, map[string]any{"user_ids": []string{org.Users["supervisor"].ID.String()}}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/close", org.Admin, nil).Want(t, http.StatusOK)

	// A theory session, arranged; 张三 and 李四 check in, then the session is moved into the past so
	// that 王五, who never came, is absent.
	var site struct {
		Rooms []struct{ ID uuid.UUID }
	}
	k.Do(t, "POST", "/api/v1/exam-sites", org.Admin, map[string]any{"name": "朝阳考点", "address": "朝阳路1号",
		"rooms": []map[string]any{{"name": "第1考场", "kind": "theory", "seats": 30}}}).Want(t, http.StatusCreated).Decode(t, &site)
	now := time.Now().UTC().Truncate(time.Second)
	sess := k.Do(t, "POST", path+"/sessions", org.Admin, map[string]any{"method": "theory", "starts_at": now.Add(10 * time.Minute).Format(time.RFC3339),
		"ends_at": now.Add(2 * time.Hour).Format(time.RFC3339), "room_ids": []uuid.UUID{site.Rooms[0].ID}}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", path+"/arrangement", org.Admin, map[string]any{"mode": "sequential"}).Want(t, http.StatusOK)
	for i := 0; i < 2; i++ {
		var c struct {
			IDNumber string `json:"id_number"`
		}
		k.Do(t, "GET", "/api/v1/candidates/"+fx.cands[i].String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &c)
		k.Do(t, "POST", path+"/check-ins", org.Admin, map[string]any{"session_id": sess, "id_number": c.IDNumber}).Want(t, http.StatusCreated)
	}
	if _, err := k.DB.ExecContext(context.Background(), "UPDATE exam_sessions SET starts_at = ?, ends_at = ? WHERE id = ?",
		now.Add(-3*time.Hour), now.Add(-time.Hour), sess); err != nil {
		t.Fatal(err)
	}
	return fx
}

// scoringPost posts a form and follows a 303 to the page it leads to.
func scoringPost(b *browser, path string, form url.Values) page {
	p := b.do("POST", path, form)
	if p.status == http.StatusSeeOther {
		return b.do("GET", p.header.Get("Location"), nil)
	}
	return p
}

// scoringJSON posts a form as the grid's script does (Accept: application/json), with b's cookies.
func scoringJSON(b *browser, path string, form url.Values) page {
	b.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	for n, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	resp, err := b.k.Server.App.Test(req, 30_000)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// scoringScores reads an application's scores and result through the API, as the institution's admin.
func scoringScores(t *testing.T, k *testkit.Kit, fx *scoringFixture, app uuid.UUID) (map[string]float64, string) {
	t.Helper()
	var a struct {
		Scores map[string]float64 `json:"scores"`
		Result string             `json:"result"`
	}
	k.Do(t, "GET", "/api/v1/applications/"+app.String(), fx.org.Admin, nil).Want(t, http.StatusOK).Decode(t, &a)
	return a.Scores, a.Result
}

// TestScoringGrid: the evaluator's batches and score grid — only the assigned evaluator gets them (as the
// API answers), every input is labelled with the candidate and the method, the absent cell takes no
// input, an out-of-range score is refused next to its cell with every typed value kept and nothing
// saved, the CSRF token is required, a good grid is saved (also one row at a time as the script sends
// it), a recusal takes the candidate out of the evaluator's hands, and publishing the results locks it.
func TestScoringGrid(t *testing.T) {
	k := testkit.New(t)
	fx := scoringScenario(t, k)
	ev := signedIn(t, k, fx.org, fx.org.Users["evaluator"].Username)
	sheet := "/scoring/" + fx.batch.String()

	t.Run("menu and to-dos", func(t *testing.T) {
		home := ev.do("GET", "/", nil)
		if !strings.Contains(home.body, `href="/scoring"`) || strings.Contains(home.body, `href="/supervision"`) {
			t.Fatalf("an evaluator's menu:\n%s", home.body)
		}
		if !strings.Contains(home.body, "3</span> 名考生待评分") || !strings.Contains(home.body, sheet) {
			t.Fatalf("an evaluator's to-dos:\n%s", home.body)
		}
		admin := signedIn(t, k, fx.org, "admin")
		if p := admin.do("GET", "/", nil); strings.Contains(p.body, `href="/scoring"`) || strings.Contains(p.body, `href="/supervision"`) {
			t.Fatalf("an admin's menu has the evaluator's or supervisor's entries:\n%s", p.body)
		}
		if p := admin.do("GET", sheet, nil); p.status != http.StatusForbidden {
			t.Fatalf("an admin gets the score grid: %d", p.status)
		}
		list := ev.do("GET", "/scoring", nil)
		if list.status != http.StatusOK || !strings.Contains(list.body, "电工四级评分批") || !strings.Contains(list.body, `href="`+sheet+`"`) {
			t.Fatalf("my scoring %d:\n%s", list.status, list.body)
		}
	})

	t.Run("not assigned", func(t *testing.T) {
		other := signedIn(t, k, fx.org, fx.otherEv)
		if p := other.do("GET", "/scoring", nil); p.status != http.StatusOK || strings.Contains(p.body, "电工四级评分批") {
			t.Fatalf("an unassigned evaluator's list %d:\n%s", p.status, p.body)
		}
		if p := other.do("GET", sheet, nil); p.status != http.StatusNotFound {
			t.Fatalf("an unassigned evaluator's grid: %d", p.status)
		}
		token := k.Login(t, fx.org.Tenant.Slug, fx.otherEv)
		k.Do(t, "GET", "/api/v1/batches/"+fx.batch.String()+"/score-sheet", token, nil).Want(t, http.StatusNotFound)
		list := other.do("GET", "/scoring", nil)
		p := other.do("POST", sheet, url.Values{"_csrf": {other.csrf(list)}, "items[0].application_id": {fx.apps[0].String()},
			"items[0].scores.theory": {"80"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("an unassigned evaluator's scores: %d\n%s", p.status, p.body)
		}
		k.Do(t, "PUT", "/api/v1/applications/"+fx.apps[0].String()+"/scores", token, map[string]any{"theory": 80}).Want(t, http.StatusForbidden)
		k.Do(t, "PUT", "/api/v1/batches/"+fx.batch.String()+"/scores", token, map[string]any{"items": []map[string]any{
			{"application_id": fx.apps[0], "scores": map[string]any{"theory": 80}}}}).Want(t, http.StatusForbidden)
	})

	grid := ev.do("GET", sheet, nil)
	t.Run("the grid", func(t *testing.T) {
		if grid.status != http.StatusOK {
			t.Fatalf("grid %d:\n%s", grid.status, grid.body)
		}
		for _, want := range []string{`aria-label="张三 理论知识考试"`, `aria-label="张三 操作技能考核"`, `aria-label="李四 理论知识考试"`,
			`aria-label="王五 操作技能考核"`, `name="items[0].scores.theory"`, `name="items[0].application_id" value="` + fx.apps[0].String(),
			"合格 60", "缺考"} {
			if !strings.Contains(grid.body, want) {
				t.Fatalf("the grid lacks %s:\n%s", want, grid.body)
			}
		}
		if strings.Contains(grid.body, `aria-label="王五 理论知识考试"`) {
			t.Fatalf("王五 was absent from theory but the cell takes a score:\n%s", grid.body)
		}
		if strings.Contains(grid.body, "tabindex=\"-1\"") {
			t.Fatal("a cell is taken out of the keyboard order")
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		p := ev.do("POST", sheet, url.Values{"items[0].application_id": {fx.apps[0].String()}, "items[0].scores.theory": {"80"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("no CSRF token: %d", p.status)
		}
		if s, _ := scoringScores(t, k, fx, fx.apps[0]); len(s) != 0 {
			t.Fatalf("saved without a CSRF token: %v", s)
		}
	})

	t.Run("out of range", func(t *testing.T) {
		form := url.Values{"_csrf": {ev.csrf(grid)},
			"items[0].application_id": {fx.apps[0].String()}, "items[0].scores.theory": {"150"}, "items[0].scores.practical": {"80"},
			"items[1].application_id": {fx.apps[1].String()}, "items[1].scores.theory": {"7x"}, "items[1].scores.practical": {""},
			"items[2].application_id": {fx.apps[2].String()}, "items[2].scores.practical": {"66"}}
		p := ev.do("POST", sheet, form)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "请填写数字") || !strings.Contains(p.body, `value="7x"`) ||
			!strings.Contains(p.body, `value="150"`) || !strings.Contains(p.body, `value="80"`) || !strings.Contains(p.body, `value="66"`) {
			t.Fatalf("a cell that is not a number %d:\n%s", p.status, p.body)
		}
		form.Set("items[1].scores.theory", "70")
		p = ev.do("POST", sheet, form)
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("150: %d\n%s", p.status, p.body)
		}
		// The message is in the cell of 张三's theory score, which points at it, and every typed value is kept.
		i := strings.Index(p.body, `id="score-0-theory"`)
		cell := p.body[max(0, strings.LastIndex(p.body[:max(i, 0)], "<td")):min(len(p.body), i+600)]
		if i < 0 || !strings.Contains(cell, `class="cell invalid`) || !strings.Contains(cell, `value="150"`) ||
			!strings.Contains(cell, `aria-invalid="true"`) || !strings.Contains(cell, `aria-describedby="score-0-theory-err"`) ||
			!strings.Contains(cell, "分数应在 0 到 100 之间") {
			t.Fatalf("the refused cell:\n%s", cell)
		}
		for _, v := range []string{`value="80"`, `value="70"`, `value="66"`, "有 1 个成绩未通过校验"} {
			if !strings.Contains(p.body, v) {
				t.Fatalf("lost %s:\n%s", v, p.body)
			}
		}
		for _, app := range fx.apps {
			if s, _ := scoringScores(t, k, fx, app); len(s) != 0 {
				t.Fatalf("a refused grid saved scores: %v", s)
			}
		}
	})

	t.Run("absent", func(t *testing.T) {
		p := ev.do("POST", sheet, url.Values{"_csrf": {ev.csrf(grid)}, "items[2].application_id": {fx.apps[2].String()}, "items[2].scores.theory": {"50"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "该考生缺考，不能评分") {
			t.Fatalf("an absent cell scored %d:\n%s", p.status, p.body)
		}
	})

	t.Run("saved", func(t *testing.T) {
		p := scoringPost(ev, sheet, url.Values{"_csrf": {ev.csrf(grid)},
			"items[0].application_id": {fx.apps[0].String()}, "items[0].scores.theory": {"78"}, "items[0].scores.practical": {"85.5"},
			"items[1].application_id": {fx.apps[1].String()}, "items[1].scores.theory": {"59"}, "items[1].scores.practical": {""},
			"items[2].application_id": {fx.apps[2].String()}, "items[2].scores.practical": {"90"}})
		if p.status != http.StatusOK || !strings.Contains(p.body, "成绩已保存") || !strings.Contains(p.body, `value="85.5"`) {
			t.Fatalf("save %d:\n%s", p.status, p.body)
		}
		for i, want := range []struct {
			scores map[string]float64
			result string
		}{{map[string]float64{"theory": 78, "practical": 85.5}, "pass"}, {map[string]float64{"theory": 59}, "fail"},
			{map[string]float64{"practical": 90}, "absent"}} {
			s, r := scoringScores(t, k, fx, fx.apps[i])
			if len(s) != len(want.scores) || r != want.result {
				t.Fatalf("%s: %v %q, want %v %q", fx.names[i], s, r, want.scores, want.result)
			}
			for m, v := range want.scores {
				if s[m] != v {
					t.Fatalf("%s %s: %v, want %v", fx.names[i], m, s[m], v)
				}
			}
		}
		// The row of 李四 is under the pass mark in theory: marked, and failed.
		if !strings.Contains(p.body, `class="cell below"`) || !strings.Contains(p.body, `tag bad">不合格`) || !strings.Contains(p.body, `tag ok">合格`) {
			t.Fatalf("results per row:\n%s", p.body)
		}
	})

	t.Run("one row from the script", func(t *testing.T) {
		req := url.Values{"_csrf": {ev.csrf(grid)}, "items[1].application_id": {fx.apps[1].String()}, "items[1].scores.theory": {"61"},
			"items[1].scores.practical": {"101"}}
		p := scoringJSON(ev, sheet, req)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `"method":"practical"`) || !strings.Contains(p.body, "分数应在 0 到 100 之间") {
			t.Fatalf("a row out of range %d:\n%s", p.status, p.body)
		}
		req.Set("items[1].scores.practical", "70")
		p = scoringJSON(ev, sheet, req)
		if p.status != http.StatusOK || !strings.Contains(p.body, `"result":"pass"`) || !strings.Contains(p.body, `"result_text":"合格"`) {
			t.Fatalf("a row %d:\n%s", p.status, p.body)
		}
		if s, r := scoringScores(t, k, fx, fx.apps[1]); s["theory"] != 61 || s["practical"] != 70 || r != "pass" {
			t.Fatalf("李四: %v %q", s, r)
		}
	})

	t.Run("recusal", func(t *testing.T) {
		bad := ev.do("POST", sheet+"/recusals", url.Values{"_csrf": {ev.csrf(grid)}, "candidate_id": {fx.cands[1].String()}, "relation": {""}})
		if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "请填写关系") {
			t.Fatalf("a recusal without relation %d:\n%s", bad.status, bad.body)
		}
		p := scoringPost(ev, sheet+"/recusals", url.Values{"_csrf": {ev.csrf(grid)}, "candidate_id": {fx.cands[1].String()}, "relation": {"亲属"}})
		if p.status != http.StatusOK || !strings.Contains(p.body, "已声明回避") || strings.Contains(p.body, `aria-label="李四 理论知识考试"`) {
			t.Fatalf("recusal %d:\n%s", p.status, p.body)
		}
		r := ev.do("POST", sheet, url.Values{"_csrf": {ev.csrf(grid)}, "items[1].application_id": {fx.apps[1].String()}, "items[1].scores.theory": {"90"}})
		if r.status != http.StatusForbidden {
			t.Fatalf("scoring a recused candidate: %d", r.status)
		}
	})

	t.Run("locked", func(t *testing.T) {
		k.Do(t, "POST", "/api/v1/batches/"+fx.batch.String()+"/results/publish", fx.org.Admin, nil).Want(t, http.StatusOK)
		p := ev.do("GET", sheet, nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, "成绩已公示，不能再修改") || strings.Contains(p.body, `aria-label="张三 理论知识考试"`) ||
			strings.Contains(p.body, "保存全部成绩") || !strings.Contains(p.body, "85.5") {
			t.Fatalf("a published grid %d:\n%s", p.status, p.body)
		}
		r := ev.do("POST", sheet, url.Values{"_csrf": {ev.csrf(p)}, "items[0].application_id": {fx.apps[0].String()}, "items[0].scores.theory": {"90"}})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "成绩已公示") {
			t.Fatalf("scores after publication %d:\n%s", r.status, r.body)
		}
		token := k.Login(t, fx.org.Tenant.Slug, fx.org.Users["evaluator"].Username)
		k.Do(t, "PUT", "/api/v1/applications/"+fx.apps[0].String()+"/scores", token, map[string]any{"theory": 90}).Want(t, http.StatusConflict)
	})
}

// TestSupervisionRecord: the supervisor's exams and record — only the assigned supervisor writes it, an
// unassigned one gets 404 (the page) and 403 (the write) as the API answers, sign-off waits for the
// exam and for presence (messages next to the fields, findings kept), and a signed-off record is closed.
func TestSupervisionRecord(t *testing.T) {
	k := testkit.New(t)
	fx := scoringScenario(t, k)
	sv := signedIn(t, k, fx.org, fx.org.Users["supervisor"].Username)
	page := "/supervision/" + fx.batch.String()

	home := sv.do("GET", "/", nil)
	if !strings.Contains(home.body, `href="/supervision"`) || strings.Contains(home.body, `href="/scoring"`) {
		t.Fatalf("a supervisor's menu:\n%s", home.body)
	}
	list := sv.do("GET", "/supervision", nil)
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="`+page+`"`) || !strings.Contains(list.body, "未填写") {
		t.Fatalf("my supervision %d:\n%s", list.status, list.body)
	}
	p := sv.do("GET", page, nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="findings"`) || !strings.Contains(p.body, "张三") ||
		!strings.Contains(p.body, "第1考场") || !strings.Contains(p.body, "缺考") {
		t.Fatalf("the record page %d:\n%s", p.status, p.body)
	}

	other := signedIn(t, k, fx.org, fx.otherSv)
	if q := other.do("GET", page, nil); q.status != http.StatusNotFound {
		t.Fatalf("an unassigned supervisor's page: %d", q.status)
	}
	if q := other.do("POST", page, url.Values{"_csrf": {other.csrf(other.do("GET", "/supervision", nil))}, "present": {"true"}}); q.status != http.StatusForbidden {
		t.Fatalf("an unassigned supervisor's record: %d", q.status)
	}
	token := k.Login(t, fx.org.Tenant.Slug, fx.otherSv)
	k.Do(t, "PUT", "/api/v1/batches/"+fx.batch.String()+"/supervision", token, map[string]any{"present": true}).Want(t, http.StatusForbidden)
	k.Do(t, "GET", "/api/v1/batches/"+fx.batch.String()+"/supervision", token, nil).Want(t, http.StatusNotFound)
	ev := signedIn(t, k, fx.org, fx.org.Users["evaluator"].Username)
	if q := ev.do("GET", page, nil); q.status != http.StatusForbidden {
		t.Fatalf("an evaluator's supervision page: %d", q.status)
	}
	if q := sv.do("POST", page, url.Values{"present": {"true"}}); q.status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", q.status)
	}

	csrf := sv.csrf(p)
	if q := sv.do("POST", page, url.Values{"_csrf": {csrf}, "present": {"true"}, "findings": {"第1考场录像正常"}, "sign_off": {"true"}}); q.status != http.StatusUnprocessableEntity ||
		!strings.Contains(q.body, "考试开始后才能签字确认") || !strings.Contains(q.body, "第1考场录像正常") {
		t.Fatalf("sign-off before the exam %d:\n%s", q.status, q.body)
	}
	if q := scoringPost(sv, page, url.Values{"_csrf": {csrf}, "findings": {"开考前检查考场"}}); q.status != http.StatusOK || !strings.Contains(q.body, "督导记录已保存") ||
		!strings.Contains(q.body, "开考前检查考场") {
		t.Fatalf("save %d:\n%s", q.status, q.body)
	}
	if _, err := k.DB.ExecContext(context.Background(), "UPDATE batches SET exam_start = ? WHERE id = ?", time.Now().Add(-2*time.Hour), fx.batch); err != nil {
		t.Fatal(err)
	}
	if h := sv.do("GET", "/", nil); !strings.Contains(h.body, "份督导记录待填写签字") || !strings.Contains(h.body, page) {
		t.Fatalf("a supervisor's to-dos:\n%s", h.body)
	}
	q := sv.do("POST", page, url.Values{"_csrf": {csrf}, "findings": {"王五缺考"}, "sign_off": {"true"}})
	if q.status != http.StatusUnprocessableEntity || !strings.Contains(q.body, "签字前请确认已到场督导") || !strings.Contains(q.body, "王五缺考") ||
		!strings.Contains(q.body, `aria-describedby="present-err"`) {
		t.Fatalf("sign-off without presence %d:\n%s", q.status, q.body)
	}
	q = scoringPost(sv, page, url.Values{"_csrf": {csrf}, "present": {"true"}, "findings": {"王五缺考，其余正常"}, "sign_off": {"true"}})
	if q.status != http.StatusOK || !strings.Contains(q.body, "督导记录已签字确认") || strings.Contains(q.body, `id="findings"`) {
		t.Fatalf("sign-off %d:\n%s", q.status, q.body)
	}
	if q := sv.do("POST", page, url.Values{"_csrf": {csrf}, "present": {"true"}, "findings": {"改"}}); q.status != http.StatusConflict ||
		!strings.Contains(q.body, "督导记录已签字，不能再修改") {
		t.Fatalf("a signed-off record changed %d:\n%s", q.status, q.body)
	}
	admin := signedIn(t, k, fx.org, "admin")
	if a := admin.do("GET", page, nil); a.status != http.StatusOK || !strings.Contains(a.body, "王五缺考，其余正常") || strings.Contains(a.body, `id="findings"`) {
		t.Fatalf("the admin reads the record %d:\n%s", a.status, a.body)
	}
	var recs struct {
		Items []struct {
			Present   bool   `json:"present"`
			Findings  string `json:"findings"`
			SignedOff bool   `json:"signed_off"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/batches/"+fx.batch.String()+"/supervision", fx.org.Admin, nil).Want(t, http.StatusOK).Decode(t, &recs)
	if len(recs.Items) != 1 || !recs.Items[0].Present || !recs.Items[0].SignedOff || recs.Items[0].Findings != "王五缺考，其余正常" {
		t.Fatalf("records: %+v", recs)
	}
}
