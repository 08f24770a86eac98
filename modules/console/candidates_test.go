package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// candPostFile posts a multipart form with one file in field "file", as a browser does.
func (b *browser) candPostFile(path string, fields url.Values, filename string, data []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = w.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for n, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	resp, err := b.k.Server.App.Test(req, 60_000)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// residentID is a valid resident ID number (GB 11643) born 1990-03-07 in 110105 with serial n.
func residentID(t *testing.T, n int) string {
	t.Helper()
	body := fmt.Sprintf("11010519900307%03d", n%1000)
	c, err := candidates.ResidentIDCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// badChecksum is id with a wrong check character.
func badChecksum(id string) string {
	last := id[len(id)-1]
	if last == '0' {
		return id[:len(id)-1] + "1"
	}
	return id[:len(id)-1] + "0"
}

func pngPhoto(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: 120, B: uint8(y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importCSV is a candidate import with three rows: rows 2 and 4 good, row 3 with a bad check digit.
func importCSV(t *testing.T, prefix string) ([]byte, []string) {
	ids := []string{residentID(t, 101), badChecksum(residentID(t, 102)), residentID(t, 103)}
	csv := "姓名,证件号码,学历,从事本职业年限\n" +
		prefix + "甲," + ids[0] + ",高中,3\n" +
		prefix + "乙," + ids[1] + ",本科,2\n" +
		prefix + "丙," + ids[2] + ",大专,5\n"
	return []byte(csv), ids
}

var candidateLink = regexp.MustCompile(`href="/candidates/([0-9a-f-]{36})"`)

func TestConsoleCandidates(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator", "supervisor")
	staff := newBrowser(t, k)
	if p := staff.login(org.Tenant.Slug, org.Users["staff"].Username, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("staff login %d", p.status)
	}
	evaluator := newBrowser(t, k)
	if p := evaluator.login(org.Tenant.Slug, org.Users["evaluator"].Username, testkit.Password); p.status != http.StatusSeeOther {
		t.Fatalf("evaluator login %d", p.status)
	}

	t.Run("menu and buttons follow permissions; the server refuses anyway", func(t *testing.T) {
		home := staff.do("GET", "/", nil)
		if !strings.Contains(home.body, `href="/candidates"`) || !strings.Contains(home.body, "考生管理") {
			t.Fatalf("staff's menu lacks 考生管理:\n%s", home.body)
		}
		list := staff.do("GET", "/candidates", nil)
		if list.status != 200 || !strings.Contains(list.body, `href="/candidates/new"`) || !strings.Contains(list.body, `href="/candidates/import"`) {
			t.Fatalf("staff's list %d lacks the new and import buttons:\n%s", list.status, list.body)
		}
		// A supervisor reads the list but adds and imports nothing: no such buttons.
		supervisor := newBrowser(t, k)
		if p := supervisor.login(org.Tenant.Slug, org.Users["supervisor"].Username, testkit.Password); p.status != http.StatusSeeOther {
			t.Fatalf("supervisor login %d", p.status)
		}
		if p := supervisor.do("GET", "/candidates", nil); p.status != 200 || strings.Contains(p.body, `href="/candidates/new"`) ||
			strings.Contains(p.body, `href="/candidates/import"`) {
			t.Errorf("supervisor's list %d shows buttons they can't use:\n%s", p.status, p.body)
		}
		if p := supervisor.do("GET", "/candidates/import", nil); p.status != http.StatusForbidden {
			t.Errorf("supervisor GET /candidates/import = %d, want 403", p.status)
		}
		eh := evaluator.do("GET", "/", nil)
		if strings.Contains(eh.body, `href="/candidates"`) {
			t.Errorf("an evaluator sees the 考生管理 menu entry")
		}
		for _, path := range []string{"/candidates", "/candidates/new", "/candidates/import", "/candidates/import/template.xlsx"} {
			if p := evaluator.do("GET", path, nil); p.status != http.StatusForbidden {
				t.Errorf("evaluator GET %s = %d, want 403", path, p.status)
			}
		}
		p := evaluator.do("POST", "/candidates", url.Values{"_csrf": {evaluator.csrf(eh)}, "name": {"偷偷"},
			"id_number": {residentID(t, 1)}, "education": {"bachelor"}})
		if p.status != http.StatusForbidden {
			t.Errorf("evaluator POST /candidates = %d, want 403", p.status)
		}
		data, _ := importCSV(t, "拒")
		if p := evaluator.candPostFile("/candidates/import", url.Values{"_csrf": {evaluator.csrf(eh)}}, "c.csv", data); p.status != http.StatusForbidden {
			t.Errorf("evaluator import = %d, want 403", p.status)
		}
	})

	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		p := staff.do("POST", "/candidates", url.Values{"name": {"无令牌"}, "id_number": {residentID(t, 2)}, "education": {"bachelor"}})
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "表单已过期") {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		data, _ := importCSV(t, "无令牌")
		if p := staff.candPostFile("/candidates/import", nil, "c.csv", data); p.status != http.StatusForbidden {
			t.Errorf("import without CSRF = %d, want 403", p.status)
		}
		if list := staff.do("GET", "/candidates?q=无令牌", nil); strings.Contains(list.body, "无令牌") && candidateLink.MatchString(list.body) {
			t.Errorf("a candidate was created without CSRF:\n%s", list.body)
		}
	})

	var candID string
	goodID := residentID(t, 7)
	t.Run("field errors next to the fields, typed values kept", func(t *testing.T) {
		form := staff.do("GET", "/candidates/new", nil)
		if form.status != 200 {
			t.Fatalf("new form %d", form.status)
		}
		for _, name := range []string{`name="name"`, `name="id_type"`, `name="id_number"`, `name="education"`, `name="occupation_years"`,
			`name="current_level"`, `name="current_level_obtained_on"`} {
			if !strings.Contains(form.body, name) {
				t.Errorf("form lacks %s", name)
			}
		}
		p := staff.do("POST", "/candidates", url.Values{"_csrf": {staff.csrf(form)}, "name": {"李 四"}, "id_type": {"resident_id"},
			"id_number": {badChecksum(goodID)}, "phone": {"12"}, "education": {"bachelor"}, "occupation_years": {"六"}, "current_level": {"0"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		for _, want := range []string{`id="id_number-err"`, "校验位不正确", `id="phone-err"`, `id="occupation_years-err"`,
			`value="李 四"`, `value="` + badChecksum(goodID) + `"`, `value="bachelor" selected`, `value="六"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("refused form lacks %q", want)
			}
		}
		// Fixed, the same form is accepted.
		p = staff.do("POST", "/candidates", url.Values{"_csrf": {staff.csrf(form)}, "name": {"李 四"}, "id_type": {"resident_id"},
			"id_number": {goodID}, "phone": {"13800138000"}, "education": {"bachelor"}, "occupation_years": {"6"},
			"current_level": {"5"}, "current_level_obtained_on": {"2020-06-01"}, "awards": {"provincial_technical_expert"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("create %d:\n%s", p.status, p.body)
		}
		m := regexp.MustCompile(`^/candidates/([0-9a-f-]{36})\?saved=1$`).FindStringSubmatch(p.header.Get("Location"))
		if m == nil {
			t.Fatalf("redirect to %q", p.header.Get("Location"))
		}
		candID = m[1]
		// The same id number again is the service's 409 duplicate, next to the field.
		p = staff.do("POST", "/candidates", url.Values{"_csrf": {staff.csrf(form)}, "name": {"王五"}, "id_number": {goodID}, "education": {"college"}})
		if p.status != http.StatusConflict || !strings.Contains(p.body, `id="id_number-err"`) || !strings.Contains(p.body, "本机构已有") {
			t.Errorf("duplicate: %d:\n%s", p.status, p.body)
		}
	})

	t.Run("candidate page shows the full number; the list masks it", func(t *testing.T) {
		p := staff.do("GET", "/candidates/"+candID+"?saved=1", nil)
		if p.status != 200 || !strings.Contains(p.body, goodID) || !strings.Contains(p.body, "考生信息已保存") ||
			!strings.Contains(p.body, "五级/初级工") || !strings.Contains(p.body, "省级技术能手") {
			t.Fatalf("candidate page %d:\n%s", p.status, p.body)
		}
		list := staff.do("GET", "/candidates?q=李四", nil)
		if !strings.Contains(list.body, candidates.MaskIDNumber(goodID)) || strings.Contains(list.body, goodID) {
			t.Fatalf("list shows the full number or not the masked one:\n%s", list.body)
		}
		// The evaluator may read candidates (candidate:read) but only those they evaluate: none.
		if p := evaluator.do("GET", "/candidates/"+candID, nil); p.status != http.StatusNotFound {
			t.Errorf("evaluator GET candidate = %d, want 404", p.status)
		}
	})

	t.Run("edit keeps typed values on an error, then saves", func(t *testing.T) {
		form := staff.do("GET", "/candidates/"+candID+"/edit", nil)
		if form.status != 200 || !strings.Contains(form.body, `value="`+goodID+`"`) || !strings.Contains(form.body, `value="2020-06-01"`) {
			t.Fatalf("edit form %d:\n%s", form.status, form.body)
		}
		base := url.Values{"_csrf": {staff.csrf(form)}, "name": {"李四"}, "id_type": {"resident_id"}, "id_number": {goodID},
			"education": {"bachelor"}, "occupation_years": {"7"}, "current_level": {"5"}}
		bad := url.Values{}
		for k, v := range base {
			bad[k] = v
		}
		bad.Set("current_level_obtained_on", "2099-01-01")
		p := staff.do("POST", "/candidates/"+candID, bad)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="current_level_obtained_on-err"`) ||
			!strings.Contains(p.body, `value="2099-01-01"`) || !strings.Contains(p.body, `value="7"`) {
			t.Fatalf("future date: %d:\n%s", p.status, p.body)
		}
		base.Set("current_level_obtained_on", "2021-07-01")
		p = staff.do("POST", "/candidates/"+candID, base)
		if p.status != http.StatusSeeOther {
			t.Fatalf("save %d:\n%s", p.status, p.body)
		}
		page := staff.do("GET", "/candidates/"+candID, nil)
		if !strings.Contains(page.body, "2021-07-01") || !strings.Contains(page.body, "7 年") {
			t.Fatalf("not saved:\n%s", page.body)
		}
	})

	t.Run("photo upload and the photo route", func(t *testing.T) {
		page := staff.do("GET", "/candidates/"+candID, nil)
		if !strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, "2 MB") {
			t.Fatalf("no photo form with its rules:\n%s", page.body)
		}
		tok := staff.csrf(page)
		p := staff.candPostFile("/candidates/"+candID+"/photo", url.Values{"_csrf": {tok}}, "photo.txt", []byte("not an image"))
		if p.status != http.StatusUnsupportedMediaType || !strings.Contains(p.body, "只接受 JPEG 或 PNG") {
			t.Fatalf("text as a photo: %d:\n%s", p.status, p.body)
		}
		p = staff.candPostFile("/candidates/"+candID+"/photo", url.Values{"_csrf": {tok}}, "small.png", pngPhoto(t, 16, 16))
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="photo-err"`) {
			t.Fatalf("tiny photo: %d:\n%s", p.status, p.body)
		}
		photo := pngPhoto(t, 66, 88)
		p = staff.candPostFile("/candidates/"+candID+"/photo", url.Values{"_csrf": {tok}}, "photo.png", photo)
		if p.status != http.StatusSeeOther {
			t.Fatalf("photo upload %d:\n%s", p.status, p.body)
		}
		page = staff.do("GET", "/candidates/"+candID, nil)
		if !strings.Contains(page.body, `<img class="cand-photo" src="/candidates/`+candID+`/photo`) {
			t.Fatalf("photo not shown:\n%s", page.body)
		}
		img := staff.do("GET", "/candidates/"+candID+"/photo", nil)
		if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.body != string(photo) {
			t.Fatalf("photo route %d %q", img.status, img.header.Get("Content-Type"))
		}
		if p := evaluator.do("GET", "/candidates/"+candID+"/photo", nil); p.status != http.StatusNotFound {
			t.Errorf("evaluator reads the photo of a candidate they don't evaluate: %d", p.status)
		}
		if p := evaluator.candPostFile("/candidates/"+candID+"/photo", url.Values{"_csrf": {evaluator.csrf(evaluator.do("GET", "/", nil))}},
			"photo.png", photo); p.status != http.StatusForbidden {
			t.Errorf("evaluator uploads a photo: %d, want 403", p.status)
		}
	})

	t.Run("the candidate's page lists their applications", func(t *testing.T) {
		page := staff.do("GET", "/candidates/"+candID, nil)
		if !strings.Contains(page.body, `id="applications"`) || !strings.Contains(page.body, "尚未报名") {
			t.Fatalf("no empty applications section:\n%s", page.body)
		}
		batch := candOpenBatch(t, k, org)
		k.Do(t, "POST", "/api/v1/batches/"+batch+"/applications", org.Tokens["staff"], map[string]any{"candidate_id": candID}).
			Want(t, http.StatusCreated)
		page = staff.do("GET", "/candidates/"+candID, nil)
		if !strings.Contains(page.body, `href="/batches/`+batch+`"`) || !strings.Contains(page.body, "电工四级认定") ||
			!strings.Contains(page.body, "四级/中级工") {
			t.Fatalf("application not listed:\n%s", page.body)
		}
		// The API twin lists the same; an evaluator reads applications by batch only.
		var list struct {
			Items []struct {
				BatchID string `json:"batch_id"`
			}
		}
		k.Do(t, "GET", "/api/v1/candidates/"+candID+"/applications", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].BatchID != batch {
			t.Errorf("API twin: %+v", list)
		}
		k.Do(t, "GET", "/api/v1/candidates/"+candID+"/applications", org.Tokens["evaluator"], nil).Want(t, http.StatusForbidden)
		k.Do(t, "GET", "/api/v1/candidates/"+uuid.NewString()+"/applications", org.Tokens["staff"], nil).Want(t, http.StatusNotFound)
	})

	t.Run("import by upload: per-row table, then the same file again is idempotent", func(t *testing.T) {
		imp := staff.do("GET", "/candidates/import", nil)
		if imp.status != 200 || !strings.Contains(imp.body, `href="/candidates/import/template.xlsx"`) || !strings.Contains(imp.body, `name="file"`) {
			t.Fatalf("import page %d:\n%s", imp.status, imp.body)
		}
		tpl := staff.do("GET", "/candidates/import/template.xlsx", nil)
		api := k.Do(t, "GET", "/api/v1/candidates/import/template.xlsx", org.Tokens["staff"], nil).Want(t, http.StatusOK)
		if tpl.status != 200 || tpl.header.Get("Content-Type") != candidates.XLSXType || tpl.body != string(api.Body) {
			t.Fatalf("template %d %q differs from the API's", tpl.status, tpl.header.Get("Content-Type"))
		}
		data, ids := importCSV(t, "导入")
		p := staff.candPostFile("/candidates/import", url.Values{"_csrf": {staff.csrf(imp)}}, "名单.csv", data)
		if p.status != 200 {
			t.Fatalf("import %d:\n%s", p.status, p.body)
		}
		for _, want := range []string{`<span class="count">3</span> 数据行`, `<span class="count">2</span> 新增`,
			`<span class="count">1</span> 未导入`, `<tr data-row="3"><td>3</td>`, "校验位不正确", "<code>checksum</code>", "证件号码"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("result lacks %q", want)
			}
		}
		if strings.Count(p.body, "<tr data-row=") != 1 {
			t.Errorf("want exactly one rejected row:\n%s", p.body)
		}
		p = staff.candPostFile("/candidates/import", url.Values{"_csrf": {staff.csrf(p)}}, "名单.csv", data)
		if p.status != 200 {
			t.Fatalf("re-import %d:\n%s", p.status, p.body)
		}
		for _, want := range []string{`<span class="count">0</span> 新增`, `<span class="count">0</span> 更新`,
			`<span class="count">2</span> 未变化`, "不会产生重复考生", `<tr data-row="3">`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("re-import result lacks %q", want)
			}
		}
		list := staff.do("GET", "/candidates?q=导入", nil)
		if n := len(candidateLink.FindAllString(list.body, -1)); n != 2 {
			t.Errorf("list has %d imported candidates, want 2:\n%s", n, list.body)
		}
		if strings.Contains(list.body, ids[0]) || !strings.Contains(list.body, candidates.MaskIDNumber(ids[0])) {
			t.Errorf("list does not mask the imported numbers")
		}
	})

	t.Run("a file the service refuses is explained", func(t *testing.T) {
		imp := staff.do("GET", "/candidates/import", nil)
		p := staff.candPostFile("/candidates/import", url.Values{"_csrf": {staff.csrf(imp)}}, "x.csv", []byte("foo,bar\n1,2\n"))
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="import-err"`) || !strings.Contains(p.body, "表头") {
			t.Fatalf("headerless file: %d:\n%s", p.status, p.body)
		}
		p = staff.do("POST", "/candidates/import", url.Values{"_csrf": {staff.csrf(imp)}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "请选择要导入的文件") {
			t.Fatalf("no file: %d:\n%s", p.status, p.body)
		}
	})

	t.Run("export returns the filtered rows as XLSX", func(t *testing.T) {
		list := staff.do("GET", "/candidates?q=导入&sort=name", nil)
		if !strings.Contains(list.body, `href="/candidates?format=xlsx&amp;q=`) {
			t.Fatalf("no export link keeping the search:\n%s", list.body)
		}
		p := staff.do("GET", "/candidates?q=导入&sort=name&format=xlsx", nil)
		if p.status != 200 || p.header.Get("Content-Type") != candidates.XLSXType {
			t.Fatalf("export %d %q", p.status, p.header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(strings.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "姓名" || rows[1][0] != "导入丙" && rows[1][0] != "导入甲" {
			t.Fatalf("export rows %q, want the header and the two imported candidates", rows)
		}
		for _, r := range rows[1:] {
			if !strings.HasPrefix(r[0], "导入") {
				t.Errorf("row %q is not in the filtered list", r)
			}
		}
		// The API's filters narrow the page and the export alike.
		list = staff.do("GET", "/candidates?q=导入&education=college", nil)
		if !strings.Contains(list.body, "导入丙") || strings.Contains(list.body, "导入甲") || !strings.Contains(list.body, `value="college" selected`) {
			t.Fatalf("education filter:\n%s", list.body)
		}
		p = staff.do("GET", "/candidates?q=导入&education=college&format=xlsx", nil)
		f, err = excelize.OpenReader(strings.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ = f.GetRows("Sheet1"); len(rows) != 2 || rows[1][0] != "导入丙" || rows[1][4] != "大专" {
			t.Fatalf("filtered export rows %q", rows)
		}
		list = staff.do("GET", "/candidates?has_photo=true", nil)
		if n := len(candidateLink.FindAllString(list.body, -1)); n != 1 || !strings.Contains(list.body, "李四") {
			t.Fatalf("has_photo=true lists %d:\n%s", n, list.body)
		}
		var api struct{ Items []struct{ Name string } }
		k.Do(t, "GET", "/api/v1/candidates?has_photo=false&q=导入", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &api)
		if len(api.Items) != 2 {
			t.Errorf("API has_photo=false: %+v", api)
		}
		if p := staff.do("GET", "/candidates?education=astronaut", nil); p.status != http.StatusBadRequest {
			t.Errorf("unknown education: %d, want 400", p.status)
		}
		k.Do(t, "GET", "/api/v1/candidates?has_photo=maybe", org.Tokens["staff"], nil).WantProblem(t, http.StatusBadRequest, "invalid_filter")
	})
}

// TestBrowserCandidateImport: a clerk opens 考生管理, goes to the import page, chooses a file in the
// file input and starts the import; the page (through the script's upload with progress) shows the
// per-row result with the one bad row. With SKILLCERT_SCREENSHOTS set, it also saves screenshots of
// the list, a candidate's page and the import result, on a desktop and a 360 px phone, in both
// languages, for a person to look at.
func TestBrowserCandidateImport(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	svc := k.Server.Lifecycle.Candidates
	ctx := org.Ctx(context.Background())
	seed := []struct {
		name, edu string
		years     int
	}{{"张晓明", "secondary_vocational", 6}, {"阿卜杜·热合曼", "college", 3}, {"欧阳娜娜", "bachelor", 1}}
	var first string
	for i, s := range seed {
		c, err := svc.Create(ctx, candidates.Input{Name: s.name, IDNumber: residentID(t, 200+i), Education: s.edu,
			OccupationYears: s.years, Phone: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c.ID.String()
			if _, err := svc.SetPhoto(ctx, c.ID, pngPhoto(t, 132, 176)); err != nil {
				t.Fatal(err)
			}
		}
	}
	data, _ := importCSV(t, "导入")
	file := filepath.Join(t.TempDir(), "考生名单.csv")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}

	c := newChrome(t, k, 1280, 900)
	c.do("login", chromedp.Navigate(c.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#tenant`)),
		chromedp.SendKeys(chromedp.CSS(`#tenant`), org.Tenant.Slug),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testkit.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)))
	c.do("menu", chromedp.Click(chromedp.CSS(`nav.side a[href="/candidates"]`)), chromedp.WaitVisible(chromedp.CSS(`table.candidates`)))
	c.do("import page", chromedp.Click(chromedp.CSS(`a[href="/candidates/import"]`)), chromedp.WaitVisible(chromedp.CSS(`#import-file`)))
	// A mark on the window survives only if the page is not reloaded: the script sent the form.
	// And the progress bar's values as the upload goes are recorded.
	const watch = `window.candMark = true; window.candMax = -1;
new MutationObserver(function () {
  var b = document.querySelector("form[data-upload] progress.upload");
  if (b && !b.hidden && b.hasAttribute("value")) { window.candMax = Math.max(window.candMax, Number(b.getAttribute("value"))); }
}).observe(document.querySelector("form[data-upload]"), {attributes: true, subtree: true}); true`
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](watch)); err != nil {
		c.fail("mark", "%v", err)
	}
	c.do("upload",
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action="/candidates/import"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#result table.rows`)))
	if got := c.text("result", `#result tr[data-row] td`); got != "3" {
		c.fail("result", "first rejected row %q, want 3", got)
	}
	if got := c.text("result", `#result tr[data-row] ul.errs`); !strings.Contains(got, "校验位不正确") {
		c.fail("result", "row 3's errors %q", got)
	}
	if u := c.location("result"); !strings.HasSuffix(u, "/candidates/import") {
		c.fail("result", "landed on %s", u)
	}
	if mark, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`window.candMark === true`)); err != nil || !mark {
		c.fail("result", "the page was reloaded: the upload did not go through the script (%v)", err)
	}
	if max, err := chromedp.Run(c.ctx, chromedp.Evaluate[float64](`window.candMax`)); err != nil || max != 100 {
		c.fail("result", "the progress bar reached %v, want 100 (%v)", max, err)
	}
	// The same file again: nothing new.
	c.do("re-upload",
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[action="/candidates/import"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#result .banner.ok`)))
	if got := c.text("re-upload", `#result .counts li:nth-child(4) .count`); got != "2" {
		c.fail("re-upload", "unchanged %q, want 2", got)
	}

	if os.Getenv("SKILLCERT_SCREENSHOTS") == "" {
		return
	}
	batch := candOpenBatch(t, k, org)
	k.Do(t, "POST", "/api/v1/batches/"+batch+"/applications", org.Admin, map[string]any{"candidate_id": first}).Want(t, http.StatusCreated)
	for _, lang := range []string{"zh-CN", "en"} {
		if lang == "en" {
			c.do("to English", chromedp.Navigate(c.base+"/candidates"), chromedp.WaitVisible(chromedp.CSS(`form.lang button`)),
				chromedp.Click(chromedp.CSS(`form.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] table.candidates`)))
		}
		for _, vp := range []struct {
			name string
			w, h int64
		}{{"desktop", 1280, 900}, {"phone", 360, 780}} {
			c.do("viewport", chromedp.EmulateViewport(vp.w, vp.h))
			shot := func(name, path, wait string, extra ...chromedp.Action[chromedp.Void]) {
				c.do(name, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(c.base + path), chromedp.WaitVisible(chromedp.CSS(wait))}, extra...)...)
				c.t.Logf("%s: %s", name, c.screenshot(lang+"-"+vp.name+"-"+name))
			}
			shot("list", "/candidates", `table.candidates`)
			shot("candidate", "/candidates/"+first, `.facts`)
			shot("form", "/candidates/new", `#id_number`)
			shot("form-errors", "/candidates/new", `#id_number`,
				chromedp.SendKeys(chromedp.CSS(`#name`), "王 小明"),
				chromedp.SendKeys(chromedp.CSS(`#id_number`), badChecksum(residentID(t, 300))),
				chromedp.SendKeys(chromedp.CSS(`#phone`), "138"),
				chromedp.Click(chromedp.CSS(`form.cand-form button.primary`)),
				chromedp.WaitVisible(chromedp.CSS(`#id_number-err`)))
			shot("import", "/candidates/import", `#import-file`,
				chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{file}),
				chromedp.Click(chromedp.CSS(`form[action="/candidates/import"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`#result`)))
		}
	}
}

// candOpenBatch opens a batch of org for electricians (6-31-01-03) at level 4, after a regulator
// approved org's filing for it, and returns its id.
func candOpenBatch(t *testing.T, k *testkit.Kit, org *testkit.Org) string {
	t.Helper()
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	filing := k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{
		"scope": []map[string]any{{"occupation_code": "6-31-01-03", "levels": []int{4}}},
	}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+filing.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
		"valid_from": time.Now().In(candidates.China).Format(time.DateOnly),
	}).Want(t, http.StatusOK)
	exam := time.Now().AddDate(0, 1, 0).UTC().Truncate(time.Second)
	batch := k.Do(t, "POST", "/api/v1/batches", org.Admin, map[string]any{
		"occupation_code": "6-31-01-03", "level": 4, "title": "电工四级认定", "methods": []string{"theory", "practical"},
		"exam_start": exam.Format(time.RFC3339), "application_deadline": exam.AddDate(0, 0, -7).Format(time.RFC3339),
		"venue": "北京市朝阳区实训基地", "fee_fen": 30000, "capacity": 100,
	}).Want(t, http.StatusCreated).ID(t)
	k.Do(t, "POST", "/api/v1/batches/"+batch.String()+"/publish", org.Admin, nil).Want(t, http.StatusOK)
	return batch.String()
}
