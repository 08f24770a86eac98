package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// publicWorld is a social organisation with an approved filing and three batches: one open for
// applications, one draft, and one whose results are in publicity with three passed candidates
// (whose full names and id numbers the public pages must never show).
type publicWorld struct {
	k                         *testkit.Kit
	org, reg                  *testkit.Org
	open, draft, publicity    uuid.UUID
	names, idNumbers          []string
	apps                      []uuid.UUID
	openTitle, publicityTitle string
}

// publicSetup builds a publicWorld through the API, as staff, evaluators and the regulator would.
func publicSetup(tb testing.TB, k *testkit.Kit) *publicWorld {
	tb.Helper()
	w := &publicWorld{k: k}
	w.reg = k.Tenant(tb, tenants.KindRegulator, "110000")
	w.org = k.Tenant(tb, tenants.KindSocialOrg, "110105", "staff", "evaluator", "supervisor")
	publicApproveFiling(tb, k, w.org, w.reg)
	w.openTitle, w.publicityTitle = "2026年第六批电工四级认定", "2026年第四批电工四级认定"
	w.open = publicBatch(tb, k, w.org, w.openTitle, 1)
	k.Do(tb, "POST", "/api/v1/batches/"+w.open.String()+"/publish", w.org.Admin, nil).Want(tb, http.StatusOK)
	w.draft = publicBatch(tb, k, w.org, "2026年草稿批次", 1)
	w.publicity = publicBatch(tb, k, w.org, w.publicityTitle, 1)
	id := w.publicity.String()
	k.Do(tb, "POST", "/api/v1/batches/"+id+"/publish", w.org.Admin, nil).Want(tb, http.StatusOK)
	for _, name := range []string{"欧阳明华", "王建国", "李秀英"} {
		idn := freshResidentID(tb)
		cand := k.Do(tb, "POST", "/api/v1/candidates", w.org.Admin, map[string]any{"name": name, "id_type": "resident_id", "id_number": idn,
			"education": "senior_high", "occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}).
			Want(tb, http.StatusCreated).ID(tb)
		app := k.Do(tb, "POST", "/api/v1/batches/"+id+"/applications", w.org.Tokens["staff"], map[string]any{"candidate_id": cand}).
			Want(tb, http.StatusCreated).ID(tb)
		w.names, w.idNumbers, w.apps = append(w.names, name), append(w.idNumbers, idn), append(w.apps, app)
	}
	k.Do(tb, "POST", "/api/v1/batches/"+id+"/evaluators", w.org.Admin, map[string]any{"user_ids": []uuid.UUID{w.org.Users["evaluator"].ID}}).Want(tb, http.StatusOK)
	k.Do(tb, "POST", "/api/v1/batches/"+id+"/supervisors", w.org.Admin, map[string]any{"user_ids": []uuid.UUID{w.org.Users["supervisor"].ID}}).Want(tb, http.StatusOK)
	k.Do(tb, "POST", "/api/v1/batches/"+id+"/close", w.org.Admin, nil).Want(tb, http.StatusOK)
	for _, a := range w.apps {
		k.Do(tb, "PUT", "/api/v1/applications/"+a.String()+"/scores", w.org.Tokens["evaluator"], map[string]any{"theory": 80, "practical": 90}).Want(tb, http.StatusOK)
	}
	k.Do(tb, "POST", "/api/v1/batches/"+id+"/results/publish", w.org.Admin, nil).Want(tb, http.StatusOK)
	return w
}

func publicApproveFiling(tb testing.TB, k *testkit.Kit, org, reg *testkit.Org) {
	tb.Helper()
	var f struct{ ID uuid.UUID }
	k.Do(tb, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}},
	}).Want(tb, http.StatusCreated).Decode(tb, &f)
	k.Do(tb, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": fmt.Sprintf("%06d", time.Now().UnixNano()%1_000_000),
		"valid_from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "note": "ok",
	}).Want(tb, http.StatusOK)
}

func publicBatch(tb testing.TB, k *testkit.Kit, org *testkit.Org, title string, publicityDays int) uuid.UUID {
	tb.Helper()
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	return k.Do(tb, "POST", "/api/v1/batches", org.Admin, map[string]any{
		"occupation_code": electrician, "level": 4, "title": title, "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "北京市东城区实训基地", "fee_fen": 30000, "capacity": 100, "pass_marks": map[string]any{"theory": 60, "practical": 60},
		"publicity_days": publicityDays,
	}).Want(tb, http.StatusCreated).ID(tb)
}

// finalize ends the publicity batch's period (the clock moved in the database), finalizes it and
// issues its certificates; it returns them as the API lists them.
func (w *publicWorld) finalize(tb testing.TB) []publicCert {
	tb.Helper()
	if _, err := w.k.DB.ExecContext(context.Background(), "UPDATE batches SET publicity_ends_at = ? WHERE id = ?",
		time.Now().Add(-time.Minute).UTC(), w.publicity); err != nil {
		tb.Fatal(err)
	}
	w.k.Do(tb, "POST", "/api/v1/batches/"+w.publicity.String()+"/finalize", w.org.Admin, nil).Want(tb, http.StatusOK)
	publicRunIssuance(tb, w.k, w.org)
	var page struct{ Items []publicCert }
	w.k.Do(tb, "GET", "/api/v1/certificates?batch_id="+w.publicity.String(), w.org.Admin, nil).Want(tb, http.StatusOK).Decode(tb, &page)
	if len(page.Items) != len(w.apps) {
		tb.Fatalf("%d certificates, want %d", len(page.Items), len(w.apps))
	}
	return page.Items
}

// publicRunIssuance runs the issuance tasks of org's pending chunks as the worker would (the kit's
// server has no task queue).
func publicRunIssuance(tb testing.TB, k *testkit.Kit, org *testkit.Org) {
	tb.Helper()
	var chunks []uuid.UUID
	err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("certificate_chunks").Column("id").Where("tenant_id = ? AND done_at IS NULL", org.Tenant.ID).Scan(ctx, &chunks)
	})
	if err != nil || len(chunks) == 0 {
		tb.Fatalf("pending chunks: %v %v", chunks, err)
	}
	for _, id := range chunks {
		payload, _ := json.Marshal(map[string]any{"chunk_id": id})
		tctx := tenants.WithScope(tenants.WithActor(context.Background(), tenants.Actor{Name: "system:job"}), tenants.Scope{TenantID: org.Tenant.ID})
		if err := k.Server.Certificates.Service.HandleIssueChunk(tctx, jobs.Task{Type: certificates.TaskIssueChunk,
			TenantID: org.Tenant.ID, Payload: payload, MaxRetry: 10}); err != nil {
			tb.Fatalf("issuing chunk %s: %v", id, err)
		}
	}
}

type publicCert struct {
	ID         uuid.UUID `json:"id"`
	Number     string    `json:"number"`
	HolderName string    `json:"holder_name"`
	Status     string    `json:"status"`
}

// publicWantNot fails when the page contains any of the strings.
func publicWantNot(t *testing.T, what string, p page, not ...string) {
	t.Helper()
	for _, s := range not {
		if strings.Contains(p.body, s) {
			t.Errorf("%s contains %q", what, s)
		}
	}
}

// publicIndexable checks what a search engine needs of a public page: its title, a description,
// no noindex, and no staff menu.
func publicIndexable(t *testing.T, what string, p page, title string) {
	t.Helper()
	if !regexp.MustCompile(`<title>[^<]*` + regexp.QuoteMeta(title)).MatchString(p.body) {
		t.Errorf("%s: title lacks %q", what, title)
	}
	if !strings.Contains(p.body, `<meta name="description" content="`) {
		t.Errorf("%s: no meta description", what)
	}
	if strings.Contains(p.body, "noindex") || strings.Contains(p.header.Get("X-Robots-Tag"), "noindex") {
		t.Errorf("%s: noindex", what)
	}
	if strings.Contains(p.body, `<nav class="side"`) {
		t.Errorf("%s: the staff menu shows", what)
	}
	if !strings.Contains(p.body, `<footer class="site pub-foot">`) || !strings.Contains(p.body, `<main id="main">`) {
		t.Errorf("%s: not the public layout", what)
	}
}

func TestPublicPages(t *testing.T) {
	k := testkit.New(t)
	w := publicSetup(t, k)
	slug := w.org.Tenant.Slug
	anon := newBrowser(t, k)

	t.Run("an institution's page lists its open announcements with places left", func(t *testing.T) {
		// One application takes a place in the open batch.
		cand := k.Do(t, "POST", "/api/v1/candidates", w.org.Admin, map[string]any{"name": "赵一", "id_type": "resident_id",
			"id_number": freshResidentID(t), "education": "senior_high", "occupation_years": 6, "current_level": 5,
			"current_level_obtained_on": "2020-06-01"}).Want(t, http.StatusCreated).ID(t)
		k.Do(t, "POST", "/api/v1/batches/"+w.open.String()+"/applications", w.org.Tokens["staff"], map[string]any{"candidate_id": cand}).
			Want(t, http.StatusCreated)
		p := anon.do("GET", "/i/"+slug, nil)
		wantStatus(t, "institution page", p, http.StatusOK)
		publicIndexable(t, "institution page", p, w.org.Tenant.Name)
		wantBody(t, "institution page", p, w.openTitle, "电工", "四级/中级工", "300.00 元", "北京市东城区实训基地", "报名截止",
			"剩余 99 个（共 100 个）", `href="/i/`+slug+`/batches/`+w.open.String()+`/apply"`, ">报名</a>")
		publicWantNot(t, "institution page", p, "2026年草稿批次", w.publicityTitle)
		// The JSON twin lists the same batches.
		var api struct{ Items []struct{ ID uuid.UUID } }
		k.Do(t, "GET", "/api/v1/public/institutions/"+slug+"/batches", "", nil).Want(t, http.StatusOK).Decode(t, &api)
		if len(api.Items) != 1 || api.Items[0].ID != w.open {
			t.Errorf("API announcements %+v", api.Items)
		}
		nf := anon.do("GET", "/i/no-such-institution-"+slug, nil)
		wantStatus(t, "unknown slug", nf, http.StatusNotFound)
		wantBody(t, "unknown slug", nf, "<title>未找到该页面", `href="/verify"`)
		// A regulator is not an institution.
		wantStatus(t, "a regulator's slug", anon.do("GET", "/i/"+w.reg.Tenant.Slug, nil), http.StatusNotFound)
	})

	t.Run("a batch announcement links to self-registration", func(t *testing.T) {
		p := anon.do("GET", "/i/"+slug+"/batches/"+w.open.String(), nil)
		wantStatus(t, "announcement", p, http.StatusOK)
		publicIndexable(t, "announcement", p, w.openTitle)
		wantBody(t, "announcement", p, "报名中", "理论知识考试、操作技能考核", `href="/i/`+slug+`/batches/`+w.open.String()+`/apply"`,
			`<a href="/i/`+slug+`">`+w.org.Tenant.Name+`</a>`)
		pub := anon.do("GET", "/i/"+slug+"/batches/"+w.publicity.String(), nil)
		wantBody(t, "announcement in publicity", pub, "结果公示中", `/batches/`+w.publicity.String()+`/publicity"`)
		publicWantNot(t, "announcement in publicity", pub, "/apply")
		for what, path := range map[string]string{
			"a draft":          "/i/" + slug + "/batches/" + w.draft.String(),
			"an unknown batch": "/i/" + slug + "/batches/" + uuid.NewString(),
			"not a uuid":       "/i/" + slug + "/batches/x",
			"another's slug":   "/i/" + w.reg.Tenant.Slug + "/batches/" + w.open.String(),
		} {
			wantStatus(t, what, anon.do("GET", path, nil), http.StatusNotFound)
		}
	})

	publicity := "/i/" + slug + "/batches/" + w.publicity.String() + "/publicity"
	t.Run("the publicity list never shows a full name or id number", func(t *testing.T) {
		p := anon.do("GET", publicity, nil)
		wantStatus(t, "publicity", p, http.StatusOK)
		publicIndexable(t, "publicity", p, "认定结果公示")
		for i, name := range w.names {
			wantBody(t, "publicity", p, candidates.MaskName(name), candidates.MaskIDNumber(w.idNumbers[i]))
			publicWantNot(t, "publicity", p, name, w.idNumbers[i], w.idNumbers[i][6:14])
		}
		// Nor in English.
		en := newBrowser(t, k)
		en.lang = "en"
		pe := en.do("GET", publicity, nil)
		wantBody(t, "publicity in English", pe, "Candidates who passed", `lang="en"`)
		for i, name := range w.names {
			publicWantNot(t, "publicity in English", pe, name, w.idNumbers[i])
		}
		// Not in publicity: not found.
		wantStatus(t, "an open batch's publicity", anon.do("GET", "/i/"+slug+"/batches/"+w.open.String()+"/publicity", nil), http.StatusNotFound)
		wantStatus(t, "another slug's publicity", anon.do("GET", "/i/"+w.reg.Tenant.Slug+"/batches/"+w.publicity.String()+"/publicity", nil), http.StatusNotFound)
	})

	t.Run("the objection form: CSRF, field errors, then received", func(t *testing.T) {
		p := anon.do("GET", publicity+"?application="+w.apps[1].String(), nil)
		wantBody(t, "objection form", p, `<option value="`+w.apps[1].String()+`" selected>`, `<label for="reason">`, `<label for="contact">`)
		r := anon.do("POST", publicity, url.Values{"application_id": {w.apps[1].String()}, "reason": {"未参加实操"}, "contact": {"13800000000"}})
		wantStatus(t, "objection without CSRF", r, http.StatusForbidden)
		r = anon.do("POST", publicity, url.Values{"_csrf": {anon.csrf(p)}})
		wantStatus(t, "empty objection", r, http.StatusUnprocessableEntity)
		wantBody(t, "empty objection", r, `id="application_id-err">请从名单中选择异议对象`, `id="reason-err">必填`, `id="contact-err">必填`)
		r = anon.do("POST", publicity, url.Values{"_csrf": {anon.csrf(p)}, "application_id": {uuid.NewString()},
			"reason": {"未参加实操"}, "contact": {"13800000000"}})
		wantStatus(t, "objection to someone not listed", r, http.StatusUnprocessableEntity)
		wantBody(t, "objection to someone not listed", r, `id="application_id-err"`, `未参加实操`)
		r = anon.do("POST", publicity, url.Values{"_csrf": {anon.csrf(p)}, "application_id": {w.apps[1].String()},
			"reason": {"该考生未参加实操考试"}, "contact": {"13800000000"}})
		wantStatus(t, "objection", r, http.StatusSeeOther)
		done := anon.do("GET", r.header.Get("Location"), nil)
		wantBody(t, "after the objection", done, "异议已提交", "异议核查中")
		var objs struct {
			Items []struct {
				ID     uuid.UUID `json:"id"`
				Reason string    `json:"reason"`
			} `json:"items"`
		}
		k.Do(t, "GET", "/api/v1/batches/"+w.publicity.String()+"/objections", w.org.Admin, nil).Want(t, http.StatusOK).Decode(t, &objs)
		if len(objs.Items) != 1 || objs.Items[0].Reason != "该考生未参加实操考试" {
			t.Fatalf("objections %+v", objs.Items)
		}
		k.Do(t, "POST", "/api/v1/objections/"+objs.Items[0].ID.String()+"/resolve", w.org.Admin,
			map[string]any{"outcome": "dismissed", "note": "经核查已参加"}).Want(t, http.StatusOK)
	})

	t.Run("the complaint form: CSRF, field errors, then routed to the regulator", func(t *testing.T) {
		p := anon.do("GET", "/complaints?institution="+slug, nil)
		wantStatus(t, "complaint form", p, http.StatusOK)
		publicIndexable(t, "complaint form", p, "投诉举报")
		wantBody(t, "complaint form", p, `value="`+slug+`"`, `<label for="content">`)
		wantStatus(t, "complaint without CSRF", anon.do("POST", "/complaints", url.Values{"institution": {slug}, "content": {"收费高于公告标准两倍之多"}}),
			http.StatusForbidden)
		r := anon.do("POST", "/complaints", url.Values{"_csrf": {anon.csrf(p)}})
		wantStatus(t, "empty complaint", r, http.StatusUnprocessableEntity)
		wantBody(t, "empty complaint", r, `id="institution-err">必填`, `id="content-err">必填`)
		r = anon.do("POST", "/complaints", url.Values{"_csrf": {anon.csrf(p)}, "institution": {slug}, "content": {"太贵"}})
		wantBody(t, "short complaint", r, `id="content-err">请用 10–5000 字说明情况`)
		r = anon.do("POST", "/complaints", url.Values{"_csrf": {anon.csrf(p)}, "institution": {"no-such-" + slug}, "content": {"收费高于公告标准两倍之多"}})
		wantBody(t, "unknown institution", r, `id="institution-err">没有找到该机构`, "收费高于公告标准两倍之多")
		r = anon.do("POST", "/complaints", url.Values{"_csrf": {anon.csrf(p)}, "institution": {slug}, "content": {"收费高于公告标准两倍之多"},
			"contact": {"13900000000"}})
		wantStatus(t, "complaint", r, http.StatusSeeOther)
		done := anon.do("GET", r.header.Get("Location"), nil)
		wantBody(t, "complaint received", done, "投诉已受理")
		var got struct {
			Items []struct {
				Content string `json:"content"`
			} `json:"items"`
		}
		k.Do(t, "GET", "/api/v1/oversight/complaints?institution_id="+w.org.Tenant.ID.String(), w.reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
		if len(got.Items) != 1 || got.Items[0].Content != "收费高于公告标准两倍之多" {
			t.Errorf("the regulator's complaints %+v", got.Items)
		}
	})

	certs := w.finalize(t)
	t.Run("verification by number shows the evidence", func(t *testing.T) {
		c := certs[0]
		form := anon.do("GET", "/verify", nil)
		wantStatus(t, "verify form", form, http.StatusOK)
		publicIndexable(t, "verify form", form, "职业技能等级证书查询")
		wantBody(t, "verify form", form, `<label for="number">`, `<label for="name">`, `<label for="credential-text">`, `<label for="credential-file">`)
		r := anon.do("GET", "/verify?number="+strings.ToLower(c.Number), nil)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/verify/"+c.Number {
			t.Fatalf("the form's redirect: %d %q", r.status, r.header.Get("Location"))
		}
		p := anon.do("GET", "/verify/"+c.Number, nil)
		wantStatus(t, "verify page", p, http.StatusOK)
		publicIndexable(t, "verify page", p, c.Number)
		wantBody(t, "verify page", p, "有效证书", candidates.MaskName(c.HolderName), "四级/中级工", w.org.Tenant.Name,
			`<a href="/i/`+slug+`">`, "备案编码 11-0000-", w.publicityTitle, "公示期满", "收到异议 1 件，已办结 1 件",
			"签名有效", `<li class="ok"><strong>电子证书签名`)
		publicWantNot(t, "verify page", p, c.HolderName)
		named := anon.do("GET", "/verify/"+c.Number+"?name="+url.QueryEscape(c.HolderName), nil)
		wantBody(t, "verify with the name", named, c.HolderName, "姓名核对一致")
		wrong := anon.do("GET", "/verify/"+c.Number+"?name="+url.QueryEscape("张三"), nil)
		wantBody(t, "verify with another name", wrong, "所填姓名与证书不一致")
		publicWantNot(t, "verify with another name", wrong, c.HolderName)
		nf := anon.do("GET", "/verify/"+c.Number[:16]+"999999", nil)
		wantStatus(t, "unknown number", nf, http.StatusNotFound)
		wantBody(t, "unknown number", nf, "未找到该证书编号")
	})

	t.Run("a revoked certificate says why; a reissued one links to its successor", func(t *testing.T) {
		k.Do(t, "POST", "/api/v1/certificates/"+certs[1].ID.String()+"/revoke", w.org.Admin, map[string]any{"reason": "考试作弊"}).Want(t, http.StatusOK)
		p := anon.do("GET", "/verify/"+certs[1].Number, nil)
		wantBody(t, "revoked", p, "证书已撤销", "撤销原因: 考试作弊", `<li class="bad"><strong>证书状态`)
		var next publicCert
		k.Do(t, "POST", "/api/v1/certificates/"+certs[2].ID.String()+"/reissue", w.org.Admin, map[string]any{"holder_name": "李秀瑛"}).
			Want(t, http.StatusCreated).Decode(t, &next)
		if next.Number == "" {
			// The API may answer with the certificate before its number is known.
			k.Do(t, "GET", "/api/v1/certificates/"+next.ID.String(), w.org.Admin, nil).Want(t, http.StatusOK).Decode(t, &next)
		}
		p = anon.do("GET", "/verify/"+certs[2].Number, nil)
		wantBody(t, "reissued", p, "证书已撤销", "因信息更正已补发新证书", `href="/verify/`+next.Number+`"`)
	})

	t.Run("verification by credential", func(t *testing.T) {
		cred := k.Do(t, "GET", "/api/v1/certificates/"+certs[0].ID.String()+"/credential", w.org.Admin, nil).Want(t, http.StatusOK).Body
		form := anon.do("GET", "/verify", nil)
		wantStatus(t, "credential without CSRF", anon.do("POST", "/verify/credential", url.Values{"credential": {string(cred)}}), http.StatusForbidden)
		r := anon.do("POST", "/verify/credential", url.Values{"_csrf": {anon.csrf(form)}, "credential": {string(cred)}})
		wantStatus(t, "credential", r, http.StatusOK)
		wantBody(t, "credential", r, "电子证书有效", `href="/verify/`+certs[0].Number+`"`)
		// Altered: the holder's level raised.
		var doc map[string]any
		if err := json.Unmarshal(cred, &doc); err != nil {
			t.Fatal(err)
		}
		doc["name"] = "伪造的证书"
		forged, _ := json.Marshal(doc)
		r = anon.do("POST", "/verify/credential", url.Values{"_csrf": {anon.csrf(form)}, "credential": {string(forged)}})
		wantBody(t, "forged credential", r, "电子证书无效", "bad_signature")
		r = anon.do("POST", "/verify/credential", url.Values{"_csrf": {anon.csrf(form)}, "credential": {"not json"}})
		wantStatus(t, "not JSON", r, http.StatusUnprocessableEntity)
		wantBody(t, "not JSON", r, `id="cred-err">内容不是 JSON 格式的电子证书`)
		r = anon.do("POST", "/verify/credential", url.Values{"_csrf": {anon.csrf(form)}})
		wantBody(t, "nothing", r, `id="cred-err">请粘贴或上传电子证书`)
		// The revoked certificate's credential: authentic, revoked.
		cred1 := k.Do(t, "GET", "/api/v1/certificates/"+certs[1].ID.String()+"/credential", w.org.Admin, nil).Want(t, http.StatusOK).Body
		r = anon.do("POST", "/verify/credential", url.Values{"_csrf": {anon.csrf(form)}, "credential": {string(cred1)}})
		wantBody(t, "revoked credential", r, "电子证书签名正确，但证书已被撤销")
	})

	t.Run("an anonymous visitor switches the language", func(t *testing.T) {
		b := newBrowser(t, k)
		p := b.do("GET", "/verify/"+certs[0].Number, nil)
		wantBody(t, "Chinese first", p, `lang="zh-CN"`, "有效证书")
		r := b.do("POST", "/lang", url.Values{"_csrf": {b.csrf(p)}, "lang": {"en"}, "next": {"/verify/" + certs[0].Number}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/verify/"+certs[0].Number {
			t.Fatalf("language switch: %d %q", r.status, r.header.Get("Location"))
		}
		p = b.do("GET", "/verify/"+certs[0].Number, nil)
		wantBody(t, "English", p, `lang="en"`, "Valid certificate", "Evidence", "Credential signature")
	})
}
