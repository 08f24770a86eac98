package console_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// portalPassword is the password people choose on the apply page in these tests (the kit's, so that
// k.Login signs them in to the API too).
const portalPassword = testkit.Password

// portalForm is a complete registration form for a person eligible for the electrician at level 4
// (senior high school, six years in the occupation, level 5 since 2020).
func portalForm(csrf, username, name, idNumber string, mod func(url.Values)) url.Values {
	f := url.Values{"_csrf": {csrf}, "username": {username}, "password": {portalPassword}, "name": {name},
		"id_type": {"resident_id"}, "id_number": {idNumber}, "phone": {"13800138000"}, "education": {"senior_high"},
		"occupation_years": {"6"}, "current_level": {"5"}, "current_level_obtained_on": {"2020-06-01"}}
	if mod != nil {
		mod(f)
	}
	return f
}

// portalApply opens the apply page in b and posts the form.
func portalApply(t *testing.T, b *browser, path, username, name, idNumber string, mod func(url.Values)) page {
	t.Helper()
	p := b.do("GET", path, nil)
	wantPage(t, p, http.StatusOK)
	return b.do("POST", path, portalForm(b.csrf(p), username, name, idNumber, mod))
}

// portalApplyPath is the apply page of a batch.
func portalApplyPath(org *testkit.Org, batch string) string {
	return "/i/" + org.Tenant.Slug + "/batches/" + batch + "/apply"
}

// portalErr reads the message shown next to a field ("" when none).
func portalErr(p page, field string) string {
	m := regexp.MustCompile(`<small class="err" id="` + regexp.QuoteMeta(field) + `-err">([^<]*)</small>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// portalInputsLabelled checks that every visible input, select and textarea of a page has a label
// (a <label for> naming its id, or a wrapping label).
func portalInputsLabelled(t *testing.T, p page) {
	t.Helper()
	controls := regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`).FindAllStringSubmatch(p.body, -1)
	if len(controls) == 0 {
		t.Fatal("no form controls on the page")
	}
	for _, m := range controls {
		attrs := m[2]
		if strings.Contains(attrs, `type="hidden"`) {
			continue
		}
		id := regexp.MustCompile(`\bid="([^"]+)"`).FindStringSubmatch(attrs)
		if id == nil {
			t.Errorf("a %s without an id, so without a label: <%s%s>", m[1], m[1], attrs)
			continue
		}
		if !strings.Contains(p.body, `<label for="`+id[1]+`"`) {
			t.Errorf("%s #%s has no <label for>", m[1], id[1])
		}
	}
}

// portalSocialOrg is a social organisation (the kind that takes self-registration) with an open batch
// for electricians at level 4.
func portalSocialOrg(t *testing.T, k *testkit.Kit) (*testkit.Org, string) {
	t.Helper()
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")
	return org, candOpenBatch(t, k, org)
}

// TestPortalSelfRegistration: the apply page of an open batch, its field errors (a bad id number
// among them, shown next to the field with what was typed kept), a registration that signs the
// person in and lands on 我的报名, a taken username, a closed batch and unknown addresses.
func TestPortalSelfRegistration(t *testing.T) {
	k := testkit.New(t)
	org, batch := portalSocialOrg(t, k)
	path := portalApplyPath(org, batch)

	anon := newBrowser(t, k)
	form := anon.do("GET", path, nil)
	wantPage(t, form, http.StatusOK, "电工四级认定", "北京市朝阳区实训基地", "300.00 元", `name="username"`, `data-gb11643`, "提交报名")
	portalInputsLabelled(t, form)

	t.Run("field errors", func(t *testing.T) {
		b := newBrowser(t, k)
		bad := badChecksum(residentID(t, 401))
		p := portalApply(t, b, path, "x", "王 小明", bad, func(f url.Values) {
			f.Set("password", "short")
			f.Set("education", "")
			f.Set("occupation_years", "many")
		})
		wantPage(t, p, http.StatusUnprocessableEntity, "请按提示修改")
		for field, want := range map[string]string{"id_number": "校验", "username": "", "password": "8–128",
			"education": "", "occupation_years": ""} {
			got := portalErr(p, field)
			if got == "" || !strings.Contains(got, want) {
				t.Errorf("%s: message %q, want one with %q", field, got, want)
			}
		}
		if !strings.Contains(p.body, `value="`+bad+`"`) || !strings.Contains(p.body, `id="id_number-err"`) ||
			!regexp.MustCompile(`id="id_number"[^>]*aria-invalid="true"`).MatchString(p.body) {
			t.Errorf("the id number typed is not kept and marked:\n%s", p.body)
		}
		if _, ok := b.cookies["skillcert_session"]; ok {
			t.Error("a refused registration signed someone in")
		}
		// In English too.
		b.lang = "en"
		p = portalApply(t, b, path, "wang.en", "王小明", bad, nil)
		wantPage(t, p, http.StatusUnprocessableEntity)
		if got := portalErr(p, "id_number"); got == "" || strings.ContainsAny(got, "校验") {
			t.Errorf("English id number message %q", got)
		}
	})

	var first page
	t.Run("registers and signs in", func(t *testing.T) {
		b := newBrowser(t, k)
		first = portalApply(t, b, path, "wangxm", "王小明", residentID(t, 402), nil)
		if first.status != http.StatusSeeOther || first.header.Get("Location") != "/my/applications?registered=1" {
			t.Fatalf("registration: %d %q\n%s", first.status, first.header.Get("Location"), first.body)
		}
		mine := b.do("GET", "/my/applications?registered=1", nil)
		wantPage(t, mine, http.StatusOK, "报名已提交", "电工四级认定", "符合报考条件", "未缴费")
		// The candidate's home is the portal, and the menu holds their entries only.
		home := b.do("GET", "/", nil)
		if home.status != http.StatusSeeOther || home.header.Get("Location") != "/my/applications" {
			t.Errorf("home of a candidate: %d %q", home.status, home.header.Get("Location"))
		}
		nav := regexp.MustCompile(`(?s)<nav class="side".*?</nav>`).FindString(mine.body)
		hrefs := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(nav, -1)
		var got []string
		for _, h := range hrefs {
			got = append(got, h[1])
		}
		if strings.Join(got, " ") != "/my/applications /my/tickets /my/certificates /my/photo" {
			t.Errorf("candidate menu %v", got)
		}
		for _, p := range []string{"/my/tickets", "/my/certificates", "/my/photo"} {
			wantPage(t, b.do("GET", p, nil), http.StatusOK)
		}
		// Staff pages stay closed.
		if p := b.do("GET", "/candidates", nil); p.status != http.StatusForbidden {
			t.Errorf("candidate on /candidates: %d", p.status)
		}
	})

	t.Run("a taken username", func(t *testing.T) {
		b := newBrowser(t, k)
		p := portalApply(t, b, path, "wangxm", "李四", residentID(t, 403), nil)
		wantPage(t, p, http.StatusConflict, "无法接受此报名", `value="李四"`)
	})

	t.Run("the same person twice", func(t *testing.T) {
		b := newBrowser(t, k)
		p := portalApply(t, b, path, "wangxm2", "王小明", residentID(t, 402), nil)
		wantPage(t, p, http.StatusConflict, "无法接受此报名")
	})

	t.Run("a closed batch", func(t *testing.T) {
		closed := candOpenBatch(t, k, org)
		cpath := portalApplyPath(org, closed)
		b := newBrowser(t, k)
		open := b.do("GET", cpath, nil)
		wantPage(t, open, http.StatusOK)
		k.Do(t, "POST", "/api/v1/batches/"+closed+"/cancel", org.Admin, map[string]any{"reason": "场地不可用"}).Want(t, http.StatusOK)
		p := b.do("GET", cpath, nil)
		wantPage(t, p, http.StatusOK, "此批次已停止报名")
		if strings.Contains(p.body, `name="username"`) {
			t.Error("a closed batch still shows the form")
		}
		// A form opened before the batch closed is refused, with the same words.
		p = b.do("POST", cpath, portalForm(b.csrf(open), "late", "赵六", residentID(t, 404), nil))
		wantPage(t, p, http.StatusConflict, "此批次已停止报名")
	})

	t.Run("unknown addresses", func(t *testing.T) {
		b := newBrowser(t, k)
		for _, p := range []string{"/i/no-such-org/batches/" + batch + "/apply", "/i/" + org.Tenant.Slug + "/batches/" + uuid.NewString() + "/apply",
			"/i/" + org.Tenant.Slug + "/batches/not-a-uuid/apply"} {
			if got := b.do("GET", p, nil); got.status != http.StatusNotFound {
				t.Errorf("%s: %d", p, got.status)
			}
		}
		// A batch of another institution is not found under this one.
		other, otherBatch := portalSocialOrg(t, k)
		_ = other
		if got := b.do("GET", portalApplyPath(org, otherBatch), nil); got.status != http.StatusNotFound {
			t.Errorf("another institution's batch: %d", got.status)
		}
		// An enterprise takes no self-registration.
		ent := k.Tenant(t, tenants.KindEnterprise, "110105")
		entBatch := candOpenBatch(t, k, ent)
		p := portalApply(t, b, portalApplyPath(ent, entBatch), "ent1", "钱七", residentID(t, 405), nil)
		wantPage(t, p, http.StatusUnprocessableEntity, "不接受个人在线报名")
	})
}

// portalMe is a candidate's own application as the API lists it.
type portalMe struct {
	ID          uuid.UUID `json:"id"`
	CandidateID uuid.UUID `json:"candidate_id"`
}

// portalRegistered registers a person through the console and returns their signed-in browser and
// their application.
func portalRegistered(t *testing.T, k *testkit.Kit, org *testkit.Org, batch, username, name string, n int) (*browser, portalMe) {
	t.Helper()
	b := newBrowser(t, k)
	if p := portalApply(t, b, portalApplyPath(org, batch), username, name, residentID(t, n), nil); p.status != http.StatusSeeOther {
		t.Fatalf("registration of %s: %d\n%s", username, p.status, p.body)
	}
	var mine struct{ Items []portalMe }
	k.Do(t, "GET", "/api/v1/me/applications", k.Login(t, org.Tenant.Slug, username), nil).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 {
		t.Fatalf("%s has %d applications", username, len(mine.Items))
	}
	return b, mine.Items[0]
}

// TestPortalOwnOnly: a candidate sees their own applications and certificates, with scores and
// result once published; another candidate's application or certificate id is not found.
func TestPortalOwnOnly(t *testing.T) {
	k := testkit.New(t)
	org, batch := portalSocialOrg(t, k)
	a, appA := portalRegistered(t, k, org, batch, "zhangsan", "张三", 501)
	b, appB := portalRegistered(t, k, org, batch, "lisi", "李四", 502)

	wantPage(t, a.do("GET", "/my/applications/"+appA.ID.String(), nil), http.StatusOK, "电工四级认定", "成绩公布后可在这里查看")
	for _, p := range []string{"/my/applications/" + appB.ID.String(), "/my/applications/" + uuid.NewString()} {
		if got := a.do("GET", p, nil); got.status != http.StatusNotFound {
			t.Errorf("zhangsan on %s: %d", p, got.status)
		}
	}
	if got := a.do("GET", "/my/applications", nil); strings.Contains(got.body, appB.ID.String()) {
		t.Error("zhangsan's list shows lisi's application")
	}

	// Scores and result once published (the shortcut: the batch's results published, scores set).
	execIn(t, k, org, `UPDATE applications SET scores = '{"theory": 82, "practical": 55}', result = 'fail' WHERE id = ?`, appA.ID)
	execIn(t, k, org, `UPDATE batches SET status = 'publicity', closed_at = now(), results_published_at = now(), publicity_ends_at = now() + interval '5 days' WHERE id = ?`, uuid.MustParse(batch))
	p := a.do("GET", "/my/applications/"+appA.ID.String(), nil)
	wantPage(t, p, http.StatusOK, "不合格", "理论知识考试", "82", "55", "合格线", "公示")

	// Certificates: one for each, issued; each sees their own only.
	ci := newCertIssuer(t, k)
	fb := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician,
		OccupationName: "电工", Level: 4, FinalizedAt: time.Now()}
	for i, m := range []portalMe{appA, appB} {
		fb.Passed = append(fb.Passed, certificates.PassedApplication{ApplicationID: m.ID, CandidateID: m.CandidateID,
			HolderName: []string{"张三", "李四"}[i], IDType: "resident_id", IDNumber: residentID(t, 501+i)})
	}
	if err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return ci.svc.OnFinalized(ctx, tx, fb)
	}); err != nil {
		t.Fatal(err)
	}
	if errs := ci.run(t); len(errs) > 0 {
		t.Fatalf("issuance: %v", errs)
	}
	certs := ci.list(t, org, fb.BatchID)
	if len(certs) != 2 {
		t.Fatalf("%d certificates", len(certs))
	}
	var mine, theirs certificates.Certificate
	for _, c := range certs {
		if c.CandidateID == appA.CandidateID {
			mine = c
		} else {
			theirs = c
		}
	}
	list := a.do("GET", "/my/certificates", nil)
	wantPage(t, list, http.StatusOK, mine.Number, "/verify/"+mine.Number, "/my/certificates/"+mine.ID.String()+"/pdf",
		"/my/certificates/"+mine.ID.String()+"/credential", "/my/certificates/"+mine.ID.String()+"/qr.svg")
	if strings.Contains(list.body, theirs.Number) {
		t.Error("zhangsan's certificates show lisi's")
	}
	portalInputsLabelled(t, list)
	if got := a.do("GET", "/my/certificates/"+mine.ID.String()+"/pdf", nil); got.status != http.StatusOK || !strings.HasPrefix(got.body, "%PDF") {
		t.Errorf("own PDF: %d", got.status)
	}
	if got := a.do("GET", "/my/certificates/"+mine.ID.String()+"/credential", nil); got.status != http.StatusOK ||
		!strings.Contains(got.body, mine.Number) || !strings.Contains(got.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("own credential: %d %q", got.status, got.header.Get("Content-Disposition"))
	}
	if got := a.do("GET", "/my/certificates/"+mine.ID.String()+"/qr.svg", nil); got.status != http.StatusOK ||
		got.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(got.body, "<svg") {
		t.Errorf("own QR: %d %q", got.status, got.header.Get("Content-Type"))
	}
	for _, suffix := range []string{"/pdf", "/credential", "/qr.svg"} {
		if got := a.do("GET", "/my/certificates/"+theirs.ID.String()+suffix, nil); got.status != http.StatusNotFound {
			t.Errorf("zhangsan on lisi's %s: %d", suffix, got.status)
		}
	}
	wantPage(t, b.do("GET", "/my/certificates", nil), http.StatusOK, theirs.Number)

	// Staff have no portal of their own.
	admin := signedIn(t, k, org, "admin")
	if got := admin.do("GET", "/my/applications", nil); got.status != http.StatusForbidden {
		t.Errorf("admin on /my/applications: %d", got.status)
	}
	if got := admin.do("GET", "/", nil); got.status != http.StatusOK {
		t.Errorf("admin's home: %d", got.status)
	}
}

// TestPortalPhoto: a candidate uploads their own photo; a bad file is refused next to the field.
func TestPortalPhoto(t *testing.T) {
	k := testkit.New(t)
	org, batch := portalSocialOrg(t, k)
	b, _ := portalRegistered(t, k, org, batch, "photo1", "周八", 601)
	p := b.do("GET", "/my/photo", nil)
	wantPage(t, p, http.StatusOK, "您还没有上传照片", `enctype="multipart/form-data"`)
	portalInputsLabelled(t, p)
	bad := b.candPostFile("/my/photo", url.Values{"_csrf": {b.csrf(p)}}, "x.png", []byte("not an image"))
	wantPage(t, bad, http.StatusUnsupportedMediaType, "照片无法使用")
	up := b.candPostFile("/my/photo", url.Values{"_csrf": {b.csrf(p)}}, "me.png", pngPhoto(t, 90, 120))
	if up.status != http.StatusSeeOther || up.header.Get("Location") != "/my/photo?saved=1" {
		t.Fatalf("upload: %d %q\n%s", up.status, up.header.Get("Location"), up.body)
	}
	wantPage(t, b.do("GET", "/my/photo?saved=1", nil), http.StatusOK, "照片已保存", `src="/my/photo/image?v=`)
	if img := b.do("GET", "/my/photo/image", nil); img.status != http.StatusOK || !strings.HasPrefix(img.body, "\x89PNG") {
		t.Errorf("own photo: %d", img.status)
	}
	// The API twin serves and replaces the same photo, for the candidate only.
	token := k.Login(t, org.Tenant.Slug, "photo1")
	k.Do(t, "GET", "/api/v1/me/photo", token, nil).Want(t, http.StatusOK)
	k.Do(t, "PUT", "/api/v1/me/photo", token, pngPhoto(t, 60, 80), "Content-Type", "image/png").Want(t, http.StatusOK)
	k.Do(t, "PUT", "/api/v1/me/photo", org.Admin, pngPhoto(t, 60, 80), "Content-Type", "image/png").Want(t, http.StatusForbidden)
	if got := signedIn(t, k, org, "admin").do("GET", "/my/photo", nil); got.status != http.StatusForbidden {
		t.Errorf("admin on /my/photo: %d", got.status)
	}
	// Staff see it on the candidate's record.
	var list struct {
		Items []struct {
			HasPhoto bool `json:"has_photo"`
		}
	}
	k.Do(t, "GET", "/api/v1/candidates?q="+residentID(t, 601), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || !list.Items[0].HasPhoto {
		t.Errorf("staff's view of the candidate %+v", list.Items)
	}
}

// portalMaxPageGzip is the budget of a candidate page with its assets (issue 14: ≤ 60 KB gzip): the
// HTML, the stylesheet, the script and the images it loads, each gzipped as sent (or as it would be).
const portalMaxPageGzip = 60 * 1024

var portalAssetRef = regexp.MustCompile(`<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"`)

// portalGzipSize fetches path in b the way a browser does and returns its bytes on the wire,
// gzipped (what the server sends gzipped is counted as sent; the rest is gzipped here).
func portalGzipSize(t *testing.T, b *browser, path string) (int, page) {
	t.Helper()
	req := httptest.NewRequest("GET", strings.ReplaceAll(path, "&amp;", "&"), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	for n, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	res, err := b.k.Server.App.Test(req, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		return len(raw), page{status: res.StatusCode, header: res.Header, body: string(plain)}
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return z.Len(), page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// TestPortalPageWeight: every candidate page, with everything it loads, is within 60 KB gzipped.
func TestPortalPageWeight(t *testing.T) {
	k := testkit.New(t)
	org, batch := portalSocialOrg(t, k)
	b, app := portalRegistered(t, k, org, batch, "light", "吴九", 801)
	pages := map[string]*browser{portalApplyPath(org, batch): newBrowser(t, k)}
	for _, p := range []string{"/my/applications", "/my/applications/" + app.ID.String(), "/my/tickets", "/my/certificates", "/my/photo"} {
		pages[p] = b
	}
	for path, br := range pages {
		t.Run(path, func(t *testing.T) {
			total, p := portalGzipSize(t, br, path)
			html := total
			refs := portalAssetRef.FindAllStringSubmatch(p.body, -1)
			if len(refs) < 2 {
				t.Fatalf("found %d assets, want at least the stylesheet and the script", len(refs))
			}
			for _, m := range refs {
				n, _ := portalGzipSize(t, br, m[1])
				total += n
			}
			t.Logf("%s: HTML %d B + %d assets = %d B gzipped (budget %d)", path, html, len(refs), total, portalMaxPageGzip)
			if total > portalMaxPageGzip {
				t.Fatalf("%s weighs %d bytes gzipped with its assets, over %d", path, total, portalMaxPageGzip)
			}
		})
	}
}
