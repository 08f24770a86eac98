package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs/jobstest"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// electrician is the occupation the certificates tests issue for (电工); the institutions' filings
// cover levels 4 and 3, so a level 2 batch fails to issue (out of scope).
const electrician = "6-31-01-03"

// certIssuer drives certificates through their lifecycle the way finalize and the issuance tasks do,
// with a certificates service of its own over the kit's database (same master key as the server, so
// the server reads and signs with the same keys) whose tasks the test runs itself.
type certIssuer struct {
	k   *testkit.Kit
	svc *certificates.Service
	rec *jobstest.Recorder
}

var certRenderer = sync.OnceValues(func() (*render.Renderer, error) { return render.New(render.Options{}) })

func newCertIssuer(t *testing.T, k *testkit.Kit) *certIssuer {
	t.Helper()
	rec := &jobstest.Recorder{}
	lc := &k.Server.Lifecycle
	svc := certificates.NewService(certificates.Config{
		DB: k.DB, Jobs: rec, Institutions: k.Server.Directory,
		Filings: certificates.FilingsFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (certificates.ApprovedScope, error) {
			sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
			return certificates.ApprovedScope{EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial}, err
		}),
		Renderer:  certRenderer,
		MasterKey: func() (*credential.MasterKey, error) { return credential.ParseMasterKey(testkit.MasterKey) },
		PublicURL: k.Server.Certificates.Service.PublicURL(),
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return &certIssuer{k: k, svc: svc, rec: rec}
}

// institution makes an enterprise in Beijing (with a staff user) whose filing for electricians at
// levels 4 and 3 a regulator approved.
func (ci *certIssuer) institution(t *testing.T, reg *testkit.Org) *testkit.Org {
	t.Helper()
	org := ci.k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	var f struct{ ID uuid.UUID }
	ci.k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []any{map[string]any{"occupation_code": electrician, "levels": []int{4, 3}}},
	}).Want(t, http.StatusCreated).Decode(t, &f)
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	ci.k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": fmt.Sprintf("%06d", n.Int64()),
		"valid_from": time.Now().AddDate(0, 0, -1).Format(time.DateOnly), "note": "test",
	}).Want(t, http.StatusOK)
	return org
}

// finalize queues the certificates of a finalized batch of org with the given holders, as batches'
// finalize does; run issues them.
func (ci *certIssuer) finalize(t *testing.T, org *testkit.Org, level int, holders ...string) uuid.UUID {
	t.Helper()
	b := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician,
		OccupationName: "电工", Level: level, FinalizedAt: time.Now()}
	for i, h := range holders {
		b.Passed = append(b.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: h, IDType: "resident_id", IDNumber: fmt.Sprintf("11010519900307%03d%d", i, i%10)})
	}
	err := tenants.WithTx(org.Ctx(context.Background()), ci.k.DB, func(ctx context.Context, tx bun.Tx) error {
		return ci.svc.OnFinalized(ctx, tx, b)
	})
	if err != nil {
		t.Fatalf("OnFinalized: %v", err)
	}
	return b.BatchID
}

// run runs the recorded issuance tasks as the jobs server would; errors (a batch out of scope) are
// recorded on the certificates by the service and returned here for the test to judge.
func (ci *certIssuer) run(t *testing.T) []error {
	t.Helper()
	var errs []error
	for _, task := range ci.rec.Take() {
		ctx := tenants.WithScope(tenants.WithActor(context.Background(), tenants.Actor{Name: "system:job"}), tenants.Scope{TenantID: task.TenantID})
		if err := ci.svc.HandleIssueChunk(ctx, task); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (ci *certIssuer) list(t *testing.T, org *testkit.Org, batchID uuid.UUID) []certificates.Certificate {
	t.Helper()
	p, err := ci.svc.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 500}, certificates.ListFilter{BatchID: &batchID})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.status, status, p.body)
	}
}

func wantBody(t *testing.T, what string, p page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, p.body)
		}
	}
}

func TestConsoleCertificates(t *testing.T) {
	k := testkit.New(t)
	ci := newCertIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := ci.institution(t, reg)
	batch := ci.finalize(t, org, 4, "张伟", "李娜", "王芳")
	if errs := ci.run(t); len(errs) > 0 {
		t.Fatalf("issuing: %v", errs)
	}
	certs := ci.list(t, org, batch)
	if len(certs) != 3 || certs[0].Status != certificates.StatusIssued {
		t.Fatalf("issued %+v", certs)
	}
	// Certificates are created in the order of their applications' ids: find each by its holder.
	byName := map[string]certificates.Certificate{}
	for _, c := range certs {
		byName[c.HolderName] = c
	}
	zhang := byName["张伟"]
	admin := signedIn(t, k, org, "admin")
	staff := signedIn(t, k, org, org.Users["staff"].Username)

	t.Run("menu entry and list with status, filters and the batch's ZIP", func(t *testing.T) {
		home := admin.do("GET", "/", nil)
		wantBody(t, "home", home, `href="/certificates"`, "证书管理")
		p := admin.do("GET", "/certificates?batch_id="+batch.String(), nil)
		wantStatus(t, "list", p, http.StatusOK)
		wantBody(t, "list", p, zhang.Number, "张伟", "李娜", "王芳", "四级/中级工", "已签发",
			`href="/certificates/`+zhang.ID.String()+`"`, `/certificates/batches/`+batch.String()+`/certificates.zip`,
			`aria-sort="ascending"`)
		p = admin.do("GET", "/certificates?status=revoked&batch_id="+batch.String(), nil)
		if strings.Contains(p.body, zhang.Number) || !strings.Contains(p.body, "没有符合条件的记录") {
			t.Errorf("status filter:\n%s", p.body)
		}
		if p := admin.do("GET", "/certificates?status=lost", nil); p.status != http.StatusBadRequest {
			t.Errorf("unknown status: %d, want 400 as the API", p.status)
		}
		if p := admin.do("GET", "/certificates?sort=number", nil); p.status != http.StatusBadRequest {
			t.Errorf("unknown sort: %d, want 400 as the API", p.status)
		}
		x := admin.do("GET", "/certificates?format=xlsx&batch_id="+batch.String(), nil)
		wantStatus(t, "export", x, http.StatusOK)
		if ct := x.header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || !strings.HasPrefix(x.body, "PK") {
			t.Errorf("export content type %q", ct)
		}
	})

	t.Run("certificate page shows holder, number, verification and documents", func(t *testing.T) {
		p := admin.do("GET", "/certificates/"+zhang.ID.String(), nil)
		wantStatus(t, "certificate", p, http.StatusOK)
		wantBody(t, "certificate", p, "张伟", zhang.IDNumber, "居民身份证", zhang.Number, "电工", "四级/中级工", "职业技能等级证书",
			"https://skillcert.test/verify/"+zhang.Number, `<svg`, `href="/certificates/`+zhang.ID.String()+`/pdf"`,
			`href="/certificates/`+zhang.ID.String()+`/credential"`, `action="/certificates/`+zhang.ID.String()+`/revoke"`,
			`action="/certificates/`+zhang.ID.String()+`/reissue"`, `action="/post-certificates"`, `data-confirm=`)
	})

	t.Run("PDF and credential downloads with a Chinese-safe filename", func(t *testing.T) {
		p := staff.do("GET", "/certificates/"+zhang.ID.String()+"/pdf", nil)
		wantStatus(t, "pdf", p, http.StatusOK)
		if ct := p.header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(p.body, "%PDF-") {
			t.Fatalf("pdf content type %q, body %.8q", ct, p.body)
		}
		cd := p.header.Get("Content-Disposition")
		if !strings.Contains(cd, `filename="`+zhang.Number+`.pdf"`) || !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape(zhang.Number+"-张伟.pdf")) {
			t.Errorf("Content-Disposition %q", cd)
		}
		c := staff.do("GET", "/certificates/"+zhang.ID.String()+"/credential", nil)
		wantStatus(t, "credential", c, http.StatusOK)
		if !json.Valid([]byte(c.body)) || !strings.Contains(c.body, "VerifiableCredential") {
			t.Errorf("credential %.200s", c.body)
		}
	})

	t.Run("batch ZIP holds every PDF", func(t *testing.T) {
		p := staff.do("GET", "/certificates/batches/"+batch.String()+"/certificates.zip", nil)
		wantStatus(t, "zip", p, http.StatusOK)
		zr, err := zip.NewReader(bytes.NewReader([]byte(p.body)), int64(len(p.body)))
		if err != nil {
			t.Fatalf("zip: %v (Content-Type %q)", err, p.header.Get("Content-Type"))
		}
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		for _, c := range certs {
			if !names[c.Number+".pdf"] {
				t.Errorf("zip lacks %s.pdf: %v", c.Number, names)
			}
		}
		if cd := p.header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("Content-Disposition %q", cd)
		}
	})

	t.Run("a role without revoke sees no revoke button and is refused", func(t *testing.T) {
		p := staff.do("GET", "/certificates/"+zhang.ID.String(), nil)
		wantStatus(t, "staff certificate", p, http.StatusOK)
		if strings.Contains(p.body, "/revoke") || strings.Contains(p.body, "/reissue") {
			t.Errorf("staff sees revoke or reissue:\n%s", p.body)
		}
		r := staff.do("POST", "/certificates/"+zhang.ID.String()+"/revoke", url.Values{"_csrf": {staff.csrf(p)}, "reason": {"错误"}})
		wantStatus(t, "staff revoke", r, http.StatusForbidden)
		keys := staff.do("GET", "/certificates/keys", nil)
		wantStatus(t, "staff keys", keys, http.StatusOK)
		if strings.Contains(keys.body, "/certificates/keys/rotate") {
			t.Errorf("staff sees the rotate button")
		}
		r = staff.do("POST", "/certificates/keys/rotate", url.Values{"_csrf": {staff.csrf(keys)}})
		wantStatus(t, "staff rotate", r, http.StatusForbidden)
	})

	t.Run("revoking without the CSRF token is refused", func(t *testing.T) {
		r := admin.do("POST", "/certificates/"+zhang.ID.String()+"/revoke", url.Values{"reason": {"伪造请求"}})
		wantStatus(t, "revoke without csrf", r, http.StatusForbidden)
		if c, _ := k.Server.Certificates.Service.Get(org.Ctx(context.Background()), zhang.ID); c.Status != certificates.StatusIssued {
			t.Fatalf("revoked without CSRF: %s", c.Status)
		}
	})

	t.Run("revoke needs a reason, then revokes", func(t *testing.T) {
		lina := byName["李娜"]
		p := admin.do("GET", "/certificates/"+lina.ID.String(), nil)
		r := admin.do("POST", "/certificates/"+lina.ID.String()+"/revoke", url.Values{"_csrf": {admin.csrf(p)}, "reason": {"  "}})
		wantStatus(t, "revoke without reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "revoke without reason", r, `id="reason-err"`, "必填")
		r = admin.do("POST", "/certificates/"+lina.ID.String()+"/revoke", url.Values{"_csrf": {admin.csrf(p)}, "reason": {"材料弄虚作假"}})
		wantStatus(t, "revoke", r, http.StatusSeeOther)
		after := admin.do("GET", r.header.Get("Location"), nil)
		wantBody(t, "revoked certificate", after, "已撤销", "材料弄虚作假", "证书已撤销")
		if strings.Contains(after.body, `/revoke"`) {
			t.Errorf("a revoked certificate still offers revocation")
		}
		// The public look-up agrees.
		if res := k.Do(t, "GET", "/api/v1/public/certificates/"+lina.Number, "", nil).Want(t, http.StatusOK); !strings.Contains(string(res.Body), `"status":"revoked"`) {
			t.Errorf("public look-up after revocation: %s", res.Body)
		}
	})

	t.Run("reissue with corrected holder data", func(t *testing.T) {
		wang := byName["王芳"]
		p := admin.do("GET", "/certificates/"+wang.ID.String(), nil)
		form := url.Values{"_csrf": {admin.csrf(p)}, "holder_name": {wang.HolderName}, "id_type": {wang.IDType}, "id_number": {wang.IDNumber}, "subtype": {""}}
		r := admin.do("POST", "/certificates/"+wang.ID.String()+"/reissue", form)
		wantStatus(t, "unchanged reissue", r, http.StatusUnprocessableEntity)
		wantBody(t, "unchanged reissue", r, "没有修改任何信息")
		form.Set("holder_name", "")
		r = admin.do("POST", "/certificates/"+wang.ID.String()+"/reissue", form)
		wantStatus(t, "cleared name", r, http.StatusUnprocessableEntity)
		wantBody(t, "cleared name", r, `id="holder_name-err"`, `value="`+wang.IDNumber+`"`)
		form.Set("holder_name", "王芬")
		r = admin.do("POST", "/certificates/"+wang.ID.String()+"/reissue", form)
		wantStatus(t, "reissue", r, http.StatusSeeOther)
		fresh := admin.do("GET", r.header.Get("Location"), nil)
		wantBody(t, "reissued certificate", fresh, "王芬", "已补发新证书", `href="/certificates/`+wang.ID.String()+`"`)
		old := admin.do("GET", "/certificates/"+wang.ID.String(), nil)
		wantBody(t, "replaced certificate", old, "已撤销", "信息更正", "查看补发的新证书")
	})

	t.Run("post certificate settings and issuing one", func(t *testing.T) {
		s := admin.do("GET", "/certificates/settings", nil)
		wantStatus(t, "settings", s, http.StatusOK)
		wantBody(t, "settings", s, `name="post_prefix"`, `name="post_title"`)
		r := admin.do("POST", "/certificates/settings", url.Values{"_csrf": {admin.csrf(s)}, "post_prefix": {"Y1"}, "post_title": {"职业技能等级证书"}})
		wantStatus(t, "bad settings", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad settings", r, `id="post_prefix-err"`, `id="post_title-err"`, `value="Y1"`)
		prefix := fmt.Sprintf("Q%06d", time.Now().UnixNano()%1_000_000)
		r = admin.do("POST", "/certificates/settings", url.Values{"_csrf": {admin.csrf(s)}, "post_prefix": {prefix}, "post_title": {"岗位能力证书"}})
		wantStatus(t, "settings", r, http.StatusSeeOther)
		wantBody(t, "saved settings", admin.do("GET", r.header.Get("Location"), nil), "设置已保存", `value="`+prefix+`"`)
		// Staff read the settings but may not change them.
		ss := staff.do("GET", "/certificates/settings", nil)
		if strings.Contains(ss.body, `name="post_prefix"`) || !strings.Contains(ss.body, prefix) {
			t.Errorf("staff settings page:\n%s", ss.body)
		}

		p := staff.do("GET", "/certificates/"+zhang.ID.String(), nil)
		r = staff.do("POST", "/post-certificates", url.Values{"_csrf": {staff.csrf(p)}, "certificate_id": {zhang.ID.String()}, "post": {""}})
		wantStatus(t, "post without post", r, http.StatusUnprocessableEntity)
		wantBody(t, "post without post", r, `id="post-err"`)
		r = staff.do("POST", "/post-certificates", url.Values{"_csrf": {staff.csrf(p)}, "certificate_id": {zhang.ID.String()}, "post": {"高压电工"}})
		wantStatus(t, "post certificate", r, http.StatusSeeOther)
		wantBody(t, "post certificate", staff.do("GET", r.header.Get("Location"), nil), "岗位能力证书", "高压电工", prefix)
	})

	t.Run("signing keys: list and rotate", func(t *testing.T) {
		p := admin.do("GET", "/certificates/keys", nil)
		wantStatus(t, "keys", p, http.StatusOK)
		before := strings.Count(p.body, "<code class=\"wrap\">")
		if before == 0 || !strings.Contains(p.body, "data-confirm=") {
			t.Fatalf("keys page:\n%s", p.body)
		}
		r := admin.do("POST", "/certificates/keys/rotate", url.Values{"_csrf": {admin.csrf(p)}})
		wantStatus(t, "rotate", r, http.StatusSeeOther)
		after := admin.do("GET", r.header.Get("Location"), nil)
		if got := strings.Count(after.body, "<code class=\"wrap\">"); got != before+1 || !strings.Contains(after.body, "已停用") {
			t.Errorf("after rotation %d keys (before %d):\n%s", got, before, after.body)
		}
	})
}

func TestConsoleCertificateProgress(t *testing.T) {
	k := testkit.New(t)
	ci := newCertIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := ci.institution(t, reg)
	admin := signedIn(t, k, org, "admin")

	done := ci.finalize(t, org, 4, "赵敏", "钱进", "孙丽")
	ci.run(t)
	revoked := ci.list(t, org, done)[0]
	if _, err := k.Server.Certificates.Service.Revoke(org.Ctx(context.Background()), revoked.ID, "测试撤销"); err != nil {
		t.Fatal(err)
	}
	running := ci.finalize(t, org, 3, "周杰", "吴娟") // queued, its task not run
	ci.rec.Take()
	failing := ci.finalize(t, org, 2, "郑强", "冯涛") // level 2 is outside the filing
	for _, err := range ci.run(t) {
		if platform.CodeOf(err) != "out_of_scope" {
			t.Fatalf("issuing: %v", err)
		}
	}

	type counts struct {
		Total, Issued, Revoked, Pending, Failed int
		Done                                    bool
		Failures                                []struct{ HolderName, Reason string }
	}
	for _, tc := range []struct {
		name  string
		batch uuid.UUID
		want  counts
	}{
		{"issued, one since revoked", done, counts{Total: 3, Issued: 3, Revoked: 1, Done: true}},
		{"queued", running, counts{Total: 2, Pending: 2}},
		{"failed", failing, counts{Total: 2, Failed: 2, Done: true}},
		{"unknown batch", uuid.New(), counts{Done: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.do("GET", "/certificates/batches/"+tc.batch.String()+"/progress", nil)
			wantStatus(t, "progress", p, http.StatusOK)
			var got counts
			if err := json.Unmarshal([]byte(p.body), &got); err != nil {
				t.Fatalf("%v: %s", err, p.body)
			}
			if got.Total != tc.want.Total || got.Issued != tc.want.Issued || got.Revoked != tc.want.Revoked ||
				got.Pending != tc.want.Pending || got.Failed != tc.want.Failed || got.Done != tc.want.Done {
				t.Errorf("progress %+v, want %+v", got, tc.want)
			}
			if len(got.Failures) != tc.want.Failed {
				t.Errorf("failures %+v, want %d", got.Failures, tc.want.Failed)
			}
			for _, f := range got.Failures {
				if !strings.HasPrefix(f.Reason, "out_of_scope") {
					t.Errorf("failure reason %q", f.Reason)
				}
			}
			// The API twin answers the same.
			var api counts
			k.Do(t, "GET", "/api/v1/batches/"+tc.batch.String()+"/certificates/progress", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &api)
			if api.Total != got.Total || api.Issued != got.Issued || api.Failed != got.Failed || api.Pending != got.Pending {
				t.Errorf("API progress %+v, console %+v", api, got)
			}
		})
	}

	t.Run("the page polls while issuing and refreshes itself without script", func(t *testing.T) {
		p := admin.do("GET", "/certificates/batches/"+running.String(), nil)
		wantStatus(t, "running page", p, http.StatusOK)
		wantBody(t, "running page", p, `data-progress-url="/certificates/batches/`+running.String()+`/progress"`,
			`<noscript><meta http-equiv="refresh"`, `<progress`, `data-count="pending">2<`, "正在签发")
		if i, j := strings.Index(p.body, "<noscript>"), strings.Index(p.body, "</head>"); i < 0 || i > j {
			t.Errorf("the refresh is not in the head")
		}
		p = admin.do("GET", "/certificates/batches/"+done.String(), nil)
		if strings.Contains(p.body, "data-progress-url") || strings.Contains(p.body, `http-equiv="refresh"`) {
			t.Errorf("a finished batch still polls:\n%s", p.body)
		}
		wantBody(t, "done page", p, "签发完成", `data-count="issued">3<`, "certificates.zip")
		p = admin.do("GET", "/certificates/batches/"+failing.String(), nil)
		wantBody(t, "failed page", p, "签发失败的证书", "郑强", "冯涛", "out_of_scope", "备案范围不含", "2 张签发失败")
		l := admin.do("GET", "/certificates?batch_id="+failing.String(), nil)
		wantBody(t, "failed list", l, "签发失败")
		stuck := ci.list(t, org, failing)[0]
		c := admin.do("GET", "/certificates/"+stuck.ID.String(), nil)
		wantBody(t, "failed certificate", c, "签发失败", "备案范围不含", "签发后生成")
		if strings.Contains(c.body, "/pdf") || strings.Contains(c.body, "/revoke") {
			t.Errorf("a certificate not issued offers its PDF or revocation:\n%s", c.body)
		}
		if p := admin.do("GET", "/certificates/"+stuck.ID.String()+"/pdf", nil); p.status != http.StatusConflict {
			t.Errorf("PDF of a pending certificate: %d, want 409", p.status)
		}
	})

	t.Run("progress needs the list permission", func(t *testing.T) {
		cand := k.Tenant(t, tenants.KindEnterprise, "110105", "evaluator")
		b := signedIn(t, k, cand, cand.Users["evaluator"].Username)
		if p := b.do("GET", "/certificates/batches/"+done.String()+"/progress", nil); p.status != http.StatusForbidden {
			t.Errorf("evaluator progress: %d, want 403", p.status)
		}
	})
}
