package console_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// approveFiling files org's scope for electricians at levels and has reg approve it; it returns the
// filing's id.
func approveFiling(t *testing.T, k *testkit.Kit, org, reg *testkit.Org, levels ...int) uuid.UUID {
	t.Helper()
	var f struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": levels}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": fmt.Sprintf("%06d", rand.IntN(1_000_000)),
		"valid_from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "note": "ok",
	}).Want(t, http.StatusOK)
	return f.ID
}

// newBatch creates a draft batch for level-4 electricians titled title.
func newBatch(t *testing.T, k *testkit.Kit, org *testkit.Org, title string) uuid.UUID {
	t.Helper()
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	return k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{
		"occupation_code": electrician, "level": 4, "title": title, "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "实训基地", "fee_fen": 30000, "capacity": 100, "pass_marks": map[string]any{"theory": 60, "practical": 60},
		"publicity_days": 0,
	}).Want(t, http.StatusCreated).ID(t)
}

var idSeq atomic.Int64

// freshResidentID returns a fresh valid resident id number.
func freshResidentID(t testing.TB) string {
	t.Helper()
	n := idSeq.Add(1) + rand.Int64N(1_000_000)*1000
	body := fmt.Sprintf("110105%s%03d", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/900%15000)).Format("20060102"), n%900+100)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// execIn runs statements in org's tenant transaction: the shortcuts of this test to states a whole
// lifecycle would reach (results published, objections raised, an issuance failing).
func execIn(t *testing.T, k *testkit.Kit, org *testkit.Org, query string, args ...any) {
	t.Helper()
	err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

var todoPattern = regexp.MustCompile(`<a href="([^"]+)"><span class="count">(\d+)</span> ([^<]*)(?:<small>([^<]*)</small>)?</a>`)

// todos reads the to-do list of the home page: link → "count label".
func todos(t *testing.T, b *browser) map[string]string {
	t.Helper()
	p := b.do("GET", "/", nil)
	wantPage(t, p, http.StatusOK)
	out := map[string]string{}
	for _, m := range todoPattern.FindAllStringSubmatch(p.body, -1) {
		line := m[2] + " " + m[3]
		if m[4] != "" {
			line += " · " + m[4]
		}
		out[strings.ReplaceAll(m[1], "&amp;", "&")] = line
	}
	return out
}

func TestConsoleHomeTodos(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindSocialOrg, "110105", "staff", "evaluator")
	admin := signedIn(t, k, org, "admin")
	staff := signedIn(t, k, org, org.Users["staff"].Username)
	evaluator := signedIn(t, k, org, org.Users["evaluator"].Username)

	t.Run("nothing to do: the empty state says what next", func(t *testing.T) {
		p := admin.do("GET", "/", nil)
		wantPage(t, p, http.StatusOK, "暂无待办事项", "接下来可以", `<li><a href="/users">用户与角色</a></li>`)
	})

	data := seedTodos(t, k, org, reg)
	open, running := data.open, data.running
	pending := "/batches/" + open.String() + "/applications?status=pending_review"
	adminWant := map[string]string{
		"/decisions":                   "2 项监管决定待阅处（可陈述申辩或申请复核）",
		pending:                        "2 份报名待资格审核 · 电工四级第1批",
		"/batches/" + running.String(): "2 件异议待处理 · 电工四级第4批",
		"/batches?status=closed":       "1 个批次已截止报名，待考试和录入成绩",
		"/certificates?status=failed":  "2 张证书签发失败，待处理",
		"/filings":                     "1 项备案即将到期，请申请续期",
	}
	t.Run("the admin's to-dos count the records", func(t *testing.T) {
		got := todos(t, admin)
		for path, want := range adminWant {
			if got[path] != want {
				t.Errorf("%s: %q, want %q", path, got[path], want)
			}
		}
		// Finalize and publicity both link to the publicity list; the page lists both lines.
		p := admin.do("GET", "/", nil)
		wantPage(t, p, http.StatusOK, `<span class="count">1</span> 个批次公示期满，待确认结果并发证`, `<span class="count">1</span> 个批次公示中，待公示期结束`)
	})

	t.Run("the failed certificates' link lists exactly those, in the console and the API", func(t *testing.T) {
		p := admin.do("GET", "/certificates?status=failed", nil)
		if n := strings.Count(p.body, `class="status st-failed"`); p.status != http.StatusOK || n != 2 {
			t.Errorf("console: status %d, %d failed rows, want 2", p.status, n)
		}
		var page struct {
			Items []struct {
				Status string `json:"status"`
			} `json:"items"`
		}
		k.Do(t, "GET", "/api/v1/certificates?status=failed", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
		if len(page.Items) != 2 {
			t.Errorf("API: %d failed certificates, want 2", len(page.Items))
		}
		for _, it := range page.Items {
			if it.Status != "pending" { // failed is a filter, not a status: they wait for a retry
				t.Errorf("API: status %q, want pending", it.Status)
			}
		}
	})

	t.Run("a renewal applied for takes the filing off the list", func(t *testing.T) {
		k.Do(t, "POST", "/api/v1/filings/"+data.filing.String()+"/renew", org.Admin, map[string]any{}).Want(t, http.StatusCreated)
		if got, ok := todos(t, admin)["/filings"]; ok {
			t.Errorf("filings to-do after renewing: %q", got)
		}
	})

	t.Run("staff see what they may act on", func(t *testing.T) {
		got := todos(t, staff)
		if got[pending] != adminWant[pending] || got["/decisions"] != adminWant["/decisions"] {
			t.Errorf("staff's to-dos: %v", got)
		}
		if _, ok := got["/filings"]; ok { // renewing a filing is the admin's
			t.Errorf("staff see the filing renewal: %v", got)
		}
	})

	t.Run("an evaluator sees only batches assigned to them", func(t *testing.T) {
		if got := todos(t, evaluator); len(got) != 0 {
			t.Errorf("evaluator's to-dos: %v", got)
		}
		wantPage(t, evaluator.do("GET", "/", nil), http.StatusOK, "暂无待办事项")
	})

	t.Run("answering a decision takes it off the list", func(t *testing.T) {
		p := admin.do("GET", "/decisions", nil)
		wantPage(t, p, http.StatusOK, "责令整改", "档案不全", "场地不符", `name="statement"`, `data-confirm="确定申请复核`)
		m := regexp.MustCompile(`action="/decisions/([0-9a-f-]+)/statement"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no statement form:\n%s", p.body)
		}
		empty := admin.do("POST", "/decisions/"+m[1]+"/statement", url.Values{"_csrf": {admin.csrf(p)}, "statement": {"  "}})
		wantPage(t, empty, http.StatusUnprocessableEntity, "必填")
		done := admin.do("POST", "/decisions/"+m[1]+"/statement", url.Values{"_csrf": {admin.csrf(p)}, "statement": {"已补齐档案"}})
		if done.status != http.StatusSeeOther {
			t.Fatalf("statement: %d\n%s", done.status, done.body)
		}
		wantPage(t, admin.do("GET", done.header.Get("Location"), nil), http.StatusOK, "陈述申辩已提交", "已补齐档案")
		if got := todos(t, admin)["/decisions"]; got != "1 项监管决定待阅处（可陈述申辩或申请复核）" {
			t.Errorf("after answering: %q", got)
		}
		// Staff read the decisions but may not answer them.
		sp := staff.do("GET", "/decisions", nil)
		wantPage(t, sp, http.StatusOK, "档案不全")
		if strings.Contains(sp.body, `name="statement"`) {
			t.Errorf("staff are offered the statement form")
		}
		if p := staff.do("POST", "/decisions/"+m[1]+"/review-request", url.Values{"_csrf": {staff.csrf(sp)}, "reason": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("staff's review request: %d, want 403", p.status)
		}
	})
}

// seeded are the batches seedTodos made.
type seeded struct{ filing, open, closed, over, running uuid.UUID }

// seedTodos gives org something of every kind to do: an approved filing near its end, an open batch
// with two applications pending review, a closed batch, one past and one in publicity (two open
// objections), three certificates of which two failed to issue, and two decisions of reg to answer.
func seedTodos(t *testing.T, k *testkit.Kit, org, reg *testkit.Org) seeded {
	t.Helper()
	filing := approveFiling(t, k, org, reg, 4)
	open, closed, over, running := newBatch(t, k, org, "电工四级第1批"), newBatch(t, k, org, "电工四级第2批"),
		newBatch(t, k, org, "电工四级第3批"), newBatch(t, k, org, "电工四级第4批")
	k.Do(t, "POST", "/api/v1/batches/"+open.String()+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	var apps []uuid.UUID
	for i := range 3 {
		cand := k.Do(t, "POST", "/api/v1/candidates", org.Admin, map[string]any{"name": fmt.Sprintf("考生%d", i), "id_type": "resident_id",
			"id_number": freshResidentID(t), "education": "senior_high", "occupation_years": 6, "current_level": 5,
			"current_level_obtained_on": "2020-06-01"}).Want(t, http.StatusCreated).ID(t)
		apps = append(apps, k.Do(t, "POST", "/api/v1/batches/"+open.String()+"/applications", org.Admin,
			map[string]any{"candidate_id": cand}).Want(t, http.StatusCreated).ID(t))
	}
	// Two applications wait for review; the third was decided.
	execIn(t, k, org, "UPDATE applications SET status = 'pending_review' WHERE tenant_id = ? AND id IN (?)", org.Tenant.ID, bun.In(apps[:2]))
	execIn(t, k, org, "UPDATE applications SET status = 'approved' WHERE tenant_id = ? AND id = ?", org.Tenant.ID, apps[2])
	now := time.Now().UTC()
	execIn(t, k, org, "UPDATE batches SET status = 'closed' WHERE tenant_id = ? AND id = ?", org.Tenant.ID, closed)
	execIn(t, k, org, "UPDATE batches SET status = 'publicity', publicity_ends_at = ? WHERE tenant_id = ? AND id = ?", now.Add(-time.Hour), org.Tenant.ID, over)
	execIn(t, k, org, "UPDATE batches SET status = 'publicity', publicity_ends_at = ? WHERE tenant_id = ? AND id = ?", now.Add(48*time.Hour), org.Tenant.ID, running)
	// Two open objections in the running publicity, one already dismissed.
	for i, status := range []string{"open", "open", "dismissed"} {
		execIn(t, k, org, "INSERT INTO objections (id, tenant_id, batch_id, application_id, reason, contact, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			uuid.New(), org.Tenant.ID, running, apps[i], "成绩有误", "13800000000", status, now)
	}
	// Three certificates queued; two of them failed to issue.
	fb := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician, OccupationName: "电工",
		Level: 4, FinalizedAt: now}
	for i := range 3 {
		fb.Passed = append(fb.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: fmt.Sprintf("持证人%d", i), IDType: "resident_id", IDNumber: freshResidentID(t)})
	}
	if err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return k.Server.Certificates.Service.OnFinalized(ctx, tx, fb)
	}); err != nil {
		t.Fatal(err)
	}
	execIn(t, k, org, "UPDATE certificates SET attempts = 1, last_error = 'no CJK font' WHERE tenant_id = ? AND application_id IN (?)",
		org.Tenant.ID, bun.In([]uuid.UUID{fb.Passed[0].ApplicationID, fb.Passed[1].ApplicationID}))
	// The filing ends in a month: inside the renewal window.
	execIn(t, k, org, "UPDATE filings SET valid_until = ? WHERE tenant_id = ? AND id = ?", time.Now().AddDate(0, 1, 0).Format(time.DateOnly), org.Tenant.ID, filing)
	// The regulator orders rectification twice.
	for _, reason := range []string{"档案不全", "场地不符"} {
		k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Admin, map[string]any{"institution_id": org.Tenant.ID, "kind": "rectify",
			"reason": reason, "deadline": time.Now().AddDate(0, 0, 30).Format(time.DateOnly)}).Want(t, http.StatusCreated)
	}

	return seeded{filing: filing, open: open, closed: closed, over: over, running: running}
}
