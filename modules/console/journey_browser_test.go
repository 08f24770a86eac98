package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestBrowserJourney: an institution's whole work in a real browser, every step by clicking and
// typing: sign in, create a batch through the form, publish it, import candidates from an XLSX file,
// review an application, assign evaluators and a supervisor, close the batch, publish the results,
// finalize, watch the certificates being issued and download one as a PDF, with a language switch on
// the way. Only the approved filing (the regulator's work), the applications (the candidates' own
// step: the console has no page to apply a candidate to a batch) and the scores (the evaluators'
// score grid is a later issue) are made through the API.
func TestBrowserJourney(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "evaluator", "supervisor")
	approveFiling(t, k, org, reg, 4)
	evaluator, supervisor := org.Users["evaluator"], org.Users["supervisor"]
	c := newChrome(t, k, 1280, 900)
	// Each step gets 20 s, so that a step that hangs fails with its screenshot while the browser lives.
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
		defer cancel()
		for i, a := range actions {
			if err := chromedp.Do(sctx, a); err != nil {
				c.fail(step, "action %d: %v", i+1, err)
			}
		}
	}

	// Forms with data-confirm ask through window.confirm: the person answers OK. Recorded so the test
	// knows each prompt was shown.
	c.do("open", chromedp.Navigate(c.base+"/login")) // the first run starts the browser: on c.ctx, not a step's
	if _, err := chromedp.Call(c.ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.confirm = function (m) { sessionStorage.setItem("confirmed", (sessionStorage.getItem("confirmed") || "") + m + "\n"); return true; };`,
	}); err != nil {
		t.Fatal(err)
	}
	confirmed := func(step, want string) {
		t.Helper()
		got, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`sessionStorage.getItem("confirmed") || ""`))
		if err != nil || !strings.Contains(got, want) {
			c.fail(step, "confirm prompts %q lack %q (%v)", got, want, err)
		}
	}

	// Sign in.
	do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))

	// Create a batch through the form; publicity 0 days, so finalize can follow the results at once.
	exam := time.Now().AddDate(0, 1, 0).In(time.FixedZone("CST", 8*3600))
	const title = "2026年第九批电工四级认定"
	do("new batch", chromedp.Click(chromedp.CSS(`nav.side a[href="/batches"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/batches/new"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/batches/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#title`)),
		chromedp.SetValue(chromedp.CSS(`#occupation_code`), electrician),
		chromedp.SetValue(chromedp.CSS(`#level`), "4"),
		chromedp.SendKeys(chromedp.CSS(`#title`), title),
		// 理论知识考试 and 操作技能考核 come checked.
		chromedp.WaitReady(chromedp.CSS(`input[name="methods"][value="theory"]:checked`)),
		chromedp.WaitReady(chromedp.CSS(`input[name="methods"][value="practical"]:checked`)),
		chromedp.SendKeys(chromedp.CSS(`#pass_marks\.theory`), "60"),
		chromedp.SendKeys(chromedp.CSS(`#pass_marks\.practical`), "60"),
		chromedp.SetValue(chromedp.CSS(`#application_deadline`), exam.AddDate(0, 0, -7).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.CSS(`#exam_start`), exam.Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.CSS(`#venue`), "北京市朝阳区实训基地"),
		chromedp.SendKeys(chromedp.CSS(`#fee_fen`), "30000"),
		chromedp.SendKeys(chromedp.CSS(`#capacity`), "100"),
		chromedp.SetValue(chromedp.CSS(`#publicity_days`), "0"),
		chromedp.SetValue(chromedp.CSS(`#min_evaluators`), "1"),
		chromedp.Click(chromedp.CSS(`main form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`main form[action$="/publish"] button`)))
	batchURL := c.location("batch created")
	i := strings.Index(batchURL, "/batches/")
	batchID, err := uuid.Parse(strings.SplitN(batchURL[i+len("/batches/"):], "?", 2)[0])
	if err != nil {
		c.fail("batch created", "at %s", batchURL)
	}
	base := "/batches/" + batchID.String()
	step := func(name, action string, then string) {
		t.Helper()
		do(name, chromedp.Click(chromedp.CSS(`main form[action="`+base+action+`"] button`)), chromedp.WaitVisible(chromedp.CSS(then)))
	}

	// Publish the plan (a prompt asks first).
	step("publish", "/publish", `main form[action="`+base+`/close"]`)
	confirmed("publish", "发布后公告即对外公开")

	// The language switch: the batch page in English, then back in Chinese.
	do("english", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] nav.side`)))
	if nav := c.text("english", "nav.side"); !strings.Contains(nav, "Batches") {
		c.fail("english", "menu %q lacks Batches", nav)
	}
	if h := c.text("english", "main h1"); h != title+" Open" {
		c.fail("english", "heading %q, want the batch's title and Open", h)
	}
	do("chinese", chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] nav.side`)))
	if nav, h := c.text("chinese", "nav.side"), c.text("chinese", "main h1"); !strings.Contains(nav, "批次管理") || strings.Contains(h, "Open") {
		c.fail("chinese", "menu %q heading %q", nav, h)
	}

	// Import two candidates from an XLSX file made with the import template's columns: 甲 meets the
	// level 4 condition (五级 held, 6 years); 乙 won a national competition (direct recognition).
	prefix := "旅程" + strings.ToUpper(uuid.NewString()[:4])
	file := filepath.Join(t.TempDir(), "考生.xlsx")
	x := excelize.NewFile()
	rows := [][]any{
		{"姓名", "证件类型", "证件号码", "学历", "从事本职业年限", "现等级", "现等级取得日期", "获奖情况"},
		{prefix + "甲", "居民身份证", freshResidentID(t), "高中", 6, "五级/初级工", "2020-06-01", ""},
		{prefix + "乙", "居民身份证", freshResidentID(t), "高中", 2, "", "", "国家级职业技能竞赛获奖"},
	}
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	do("import", chromedp.Click(chromedp.CSS(`nav.side a[href="/candidates"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/candidates/import"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/candidates/import"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#import-file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action="/candidates/import"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#result`)))
	if created, rejected := c.text("import", "#result li.ok .count"), c.text("import", "#result li:last-child .count"); created != "2" || rejected != "0" {
		c.fail("import", "created %q rejected %q, want 2 and 0", created, rejected)
	}
	var found struct {
		Items []struct {
			ID   uuid.UUID `json:"id"`
			Name string    `json:"name"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/candidates?q="+prefix, org.Admin, nil).Want(t, http.StatusOK).Decode(t, &found)
	cands := map[string]uuid.UUID{}
	for _, it := range found.Items {
		cands[it.Name] = it.ID
	}
	if len(cands) != 2 {
		t.Fatalf("imported candidates: %+v", found.Items)
	}

	// The candidates apply (their own step, through the API: the console has no page for it).
	apply := func(name string, body map[string]any) uuid.UUID {
		body["candidate_id"] = cands[prefix+name]
		return k.Do(t, "POST", "/api/v1/batches/"+batchID.String()+"/applications", org.Admin, body).Want(t, http.StatusCreated).ID(t)
	}
	jia := apply("甲", map[string]any{})
	yi := apply("乙", map[string]any{"route": "direct_recognition", "evidence_file_ids": []string{"file-award"}})

	// Review: 乙's direct recognition waits for a reviewer, who approves it on the applications page.
	approve := `main button.primary[form="app-approve"][formaction="/applications/` + yi.String() + `/review"]`
	do("applications", chromedp.Navigate(c.base+base), chromedp.WaitVisible(chromedp.CSS(`main a[href^="`+base+`/applications"]`)),
		chromedp.Click(chromedp.CSS(`main a[href^="`+base+`/applications"]`)),
		chromedp.WaitVisible(chromedp.CSS(approve)),
		chromedp.Click(chromedp.CSS(approve)),
		chromedp.WaitNotPresent(chromedp.CSS(approve)))
	confirmed("review", "审核结论提交后不可更改")
	do("approved", chromedp.Navigate(c.base+base+"/applications?status=approved"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	if s := c.text("approved", "main table"); !strings.Contains(s, prefix+"乙") {
		c.fail("approved", "approved list %q", s)
	}

	// Assign an evaluator (all methods) and a supervisor on the batch page, then close the batch.
	evalForm, supForm := `main form[action="`+base+`/evaluators"]`, `main form[action="`+base+`/supervisors"]`
	do("assign", chromedp.Navigate(c.base+base), chromedp.WaitVisible(chromedp.CSS(evalForm)),
		chromedp.Click(chromedp.CSS(evalForm+` input[value="`+evaluator.ID.String()+`"]`)),
		chromedp.Click(chromedp.CSS(evalForm+` button`)),
		waitURL("done=evaluators"),
		chromedp.WaitVisible(chromedp.CSS(supForm)),
		chromedp.Click(chromedp.CSS(supForm+` input[value="`+supervisor.ID.String()+`"]`)),
		chromedp.Click(chromedp.CSS(supForm+` button`)),
		waitURL("done=supervisors"),
		chromedp.WaitVisible(chromedp.CSS(`main form[action="`+base+`/close"]`)))
	if s := c.text("assign", "main"); !strings.Contains(s, "已指派考评员 2 人次、督导员 1 人") {
		c.fail("assign", "the batch page does not show the staff: %q", s)
	}
	step("close", "/close", `main form[action="`+base+`/results/publish"]`)

	// Scores: the evaluators' score grid is a later issue, so the evaluator enters them through the API.
	for _, a := range []uuid.UUID{jia, yi} {
		k.Do(t, "PUT", "/api/v1/applications/"+a.String()+"/scores", org.Tokens["evaluator"],
			map[string]any{"theory": 78, "practical": 85}).Want(t, http.StatusOK)
	}
	do("reload", chromedp.Navigate(c.base+base), chromedp.WaitVisible(chromedp.CSS(`main form[action="`+base+`/results/publish"]`)))
	step("publish results", "/results/publish", `main form[action="`+base+`/finalize"]`)
	step("finalize", "/finalize", `main a[href="/certificates?batch_id=`+batchID.String()+`"]`)
	confirmed("finalize", "完成后结果不可更改")

	// Issuance progress: the page polls while the issuance tasks run (the kit's server has no task
	// queue: the test runs the chunks' tasks itself, as the worker would).
	do("progress", chromedp.Click(chromedp.CSS(`main a[href="/certificates?batch_id=`+batchID.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/certificates/batches/`+batchID.String()+`"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/certificates/batches/`+batchID.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#issuance`)))
	runIssuance(t, k, org)
	if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`document.querySelector('dd[data-count="issued"]').textContent === "2"`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		c.fail("progress", "the certificates were not issued: %v", err)
	}
	if s := c.text("progress", ".progress-state"); s != "签发完成。" {
		c.fail("progress", "state %q", s)
	}

	// Download a certificate's PDF from its page.
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(c.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl}); err != nil {
		t.Fatal(err)
	}
	do("certificate", chromedp.Click(chromedp.CSS(`main a[href="/certificates?batch_id=`+batchID.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main tbody a[href^="/certificates/"]`)))
	if rows := c.text("certificate", "main tbody"); !strings.Contains(rows, prefix+"甲") || !strings.Contains(rows, prefix+"乙") {
		c.fail("certificate", "the batch's certificates %q lack 甲 and 乙", rows)
	}
	do("certificate page",
		chromedp.Click(chromedp.CSS(`main tbody a[href^="/certificates/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href$="/pdf"]`)))
	// The link shows the PDF in the browser; Alt+click saves it, as a person does to keep the file.
	link, err := chromedp.Run(c.ctx, chromedp.Nodes(chromedp.CSS(`main a[href$="/pdf"]`)))
	if err != nil || len(link) == 0 {
		c.fail("download", "the PDF link: %v", err)
	}
	do("download", chromedp.MouseClickNode(link[0], chromedp.ButtonModifiers(chromedp.ModifierAlt)))
	var pdf []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ents, _ := os.ReadDir(dl)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".pdf") {
				pdf, _ = os.ReadFile(filepath.Join(dl, e.Name()))
			}
		}
		if bytes.HasPrefix(pdf, []byte("%PDF")) && bytes.Contains(pdf, []byte("%%EOF")) {
			break
		}
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte("%%EOF")) {
		c.fail("download", "no PDF downloaded into %s (%d bytes)", dl, len(pdf))
	}
}

// runIssuance runs the issuance task of each pending certificate chunk of org, as the jobs server
// would.
func runIssuance(t *testing.T, k *testkit.Kit, org *testkit.Org) {
	t.Helper()
	var chunks []uuid.UUID
	err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("certificate_chunks").Column("id").Where("tenant_id = ? AND done_at IS NULL", org.Tenant.ID).Scan(ctx, &chunks)
	})
	if err != nil || len(chunks) == 0 {
		t.Fatalf("pending chunks: %v %v", chunks, err)
	}
	for _, id := range chunks {
		payload, _ := json.Marshal(map[string]any{"chunk_id": id})
		tctx := tenants.WithScope(tenants.WithActor(context.Background(), tenants.Actor{Name: "system:job"}), tenants.Scope{TenantID: org.Tenant.ID})
		if err := k.Server.Certificates.Service.HandleIssueChunk(tctx, jobs.Task{Type: certificates.TaskIssueChunk,
			TenantID: org.Tenant.ID, Payload: payload, MaxRetry: 10}); err != nil {
			t.Fatalf("issuing chunk %s: %v", id, err)
		}
	}
}

// waitURL waits until the page's address contains part (the redirect after a form's POST).
func waitURL(part string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			// While the page navigates the evaluation may fail: try again.
			if u, err := chromedp.Location()(ctx, t); err == nil && strings.Contains(u, part) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}
