package candidates

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/tenants"
)

// testAPI mounts the handler behind a stand-in guard that takes the scope from X-Test-Tenant and
// X-Test-Kind (the real authentication and permissions are the kernel's, tested end to end elsewhere).
type testAPI struct {
	app  *fiber.App
	spec *httpx.Spec
}

func newTestAPI(t *testing.T, svc *Service, limiter *ratelimit.Limiter) *testAPI {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httpx.NewApp(log, nil)
	spec := httpx.NewSpec("test", "1")
	guard := httpx.Guard{
		Authenticate: func(c *fiber.Ctx) error {
			id, err := uuid.Parse(c.Get("X-Test-Tenant"))
			if err != nil {
				return fiber.ErrUnauthorized
			}
			scope := tenants.Scope{TenantID: id, Kind: tenants.Kind(c.Get("X-Test-Kind"))}
			c.SetUserContext(tenants.WithActor(tenants.WithScope(c.UserContext(), scope), tenants.Actor{Name: "tester"}))
			return c.Next()
		},
		Authorize: func(string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } },
	}
	NewHandler(svc, limiter).Routes(httpx.NewRouter(app.Group("/api/v1"), "/api/v1", guard, spec))
	return &testAPI{app: app, spec: spec}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) problem(t *testing.T) (code string, fields map[string]string) {
	t.Helper()
	var p struct {
		Code   string
		Errors []struct{ Field, Code string }
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem: %s", r.body)
	}
	fields = map[string]string{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Code
	}
	return p.Code, fields
}

func (a *testAPI) do(t *testing.T, scope tenants.Scope, method, path string, body any, ctype string) resp {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		r, ctype = bytes.NewReader(buf), "application/json"
	}
	req := httptest.NewRequest(method, path, r)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if scope.TenantID != uuid.Nil {
		req.Header.Set("X-Test-Tenant", scope.TenantID.String())
		req.Header.Set("X-Test-Kind", string(scope.Kind))
	}
	res, err := a.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func multipartBody(t *testing.T, field, name string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestHTTPCandidates(t *testing.T) {
	svc, db := newService(t)
	api := newTestAPI(t, svc, nil)
	org := newTenant(t, db, tenants.KindEnterprise)
	id := residentID(20_000)

	// API.md's example body, the ID number typed with full-width digits and a lower-case x where it has one.
	body := map[string]any{"name": "𠀀𪚥" + strings.Repeat("名", 50), "id_type": "resident_id", "id_number": "１" + id[1:],
		"education": "secondary_vocational", "occupation_years": 6, "current_level": 5, "current_level_obtained_on": "2020-06-01"}
	r := api.do(t, org, "POST", "/api/v1/candidates", body, "")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created CandidateView
	json.Unmarshal(r.body, &created)
	if created.Name != body["name"] || created.IDNumber != id || created.CurrentLevelObtainedOn == nil ||
		*created.CurrentLevelObtainedOn != "2020-06-01" || created.Awards == nil {
		t.Fatalf("created %+v", created)
	}

	r = api.do(t, org, "POST", "/api/v1/candidates", body, "")
	if code, f := r.problem(t); r.status != 409 || code != "duplicate" || f["id_number"] != "duplicate" {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	bad := map[string]any{"name": "李四", "id_number": badCheck(residentID(20_001)), "education": "college"}
	r = api.do(t, org, "POST", "/api/v1/candidates", bad, "")
	if code, f := r.problem(t); r.status != 422 || code != "validation_failed" || f["id_number"] != "checksum" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("bad check char: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "POST", "/api/v1/candidates", map[string]any{"name": "王五", "id_number": residentID(20_002),
		"education": "college", "current_level": 4, "current_level_obtained_on": "01/06/2020"}, "")
	if _, f := r.problem(t); r.status != 422 || f["current_level_obtained_on"] != "format" {
		t.Fatalf("bad date: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "POST", "/api/v1/candidates", []byte(`{"name":`), "application/json")
	if code, _ := r.problem(t); r.status != 400 || code != "malformed_json" {
		t.Fatalf("malformed: %d %s", r.status, r.body)
	}

	// Get, list, search.
	r = api.do(t, org, "GET", "/api/v1/candidates/"+created.ID.String(), nil, "")
	if r.status != 200 || !bytes.Contains(r.body, []byte(id)) {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if r = api.do(t, org, "GET", "/api/v1/candidates/not-a-uuid", nil, ""); r.status != 404 {
		t.Fatalf("bad uuid: %d", r.status)
	}
	other := newTenant(t, db, tenants.KindEnterprise)
	if r = api.do(t, other, "GET", "/api/v1/candidates/"+created.ID.String(), nil, ""); r.status != 404 {
		t.Fatalf("another tenant's candidate: %d", r.status)
	}
	for i := 0; i < 4; i++ {
		api.do(t, org, "POST", "/api/v1/candidates", map[string]any{"name": "张" + string(rune('甲'+i)), "id_number": residentID(20_010 + i),
			"education": "college"}, "")
	}
	var page platform.Page[CandidateView]
	r = api.do(t, org, "GET", "/api/v1/candidates?q=张&limit=3&sort=name", nil, "")
	json.Unmarshal(r.body, &page)
	if r.status != 200 || len(page.Items) != 3 || page.NextCursor == "" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "GET", "/api/v1/candidates?q=张&limit=3&sort=name&cursor="+page.NextCursor, nil, "")
	page = platform.Page[CandidateView]{}
	json.Unmarshal(r.body, &page)
	if len(page.Items) != 1 || page.NextCursor != "" {
		t.Fatalf("page 2: %s", r.body)
	}
	r = api.do(t, org, "GET", "/api/v1/candidates?q="+id, nil, "")
	if !bytes.Contains(r.body, []byte(created.ID.String())) {
		t.Fatalf("search by ID number: %s", r.body)
	}
	if r = api.do(t, org, "GET", "/api/v1/candidates?sort=id_number", nil, ""); r.status != 400 {
		t.Fatalf("bad sort: %d", r.status)
	}

	// Patch: a change, then clearing the level.
	r = api.do(t, org, "PATCH", "/api/v1/candidates/"+created.ID.String(), map[string]any{"phone": "139-0013-9000", "awards": []string{"national_competition"}}, "")
	var patched CandidateView
	json.Unmarshal(r.body, &patched)
	if r.status != 200 || patched.Phone != "13900139000" || patched.Name != created.Name || len(patched.Awards) != 1 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "PATCH", "/api/v1/candidates/"+created.ID.String(), map[string]any{"current_level": 0}, "")
	json.Unmarshal(r.body, &patched)
	if r.status != 200 || patched.CurrentLevel != 0 || patched.CurrentLevelObtainedOn != nil {
		t.Fatalf("clearing the level: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "PATCH", "/api/v1/candidates/"+created.ID.String(), map[string]any{"id_number": badCheck(id)}, "")
	if _, f := r.problem(t); r.status != 422 || f["id_number"] != "checksum" {
		t.Fatalf("patch with a bad number: %d %s", r.status, r.body)
	}

	// Photo: multipart upload, download with ETag, raw body upload.
	photo := jpegBytes(t, 295, 413)
	mb, ctype := multipartBody(t, "file", "me.jpg", photo)
	r = api.do(t, org, "PUT", "/api/v1/candidates/"+created.ID.String()+"/photo", mb, ctype)
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"content_type":"image/jpeg"`)) {
		t.Fatalf("photo: %d %s", r.status, r.body)
	}
	r = api.do(t, org, "GET", "/api/v1/candidates/"+created.ID.String()+"/photo", nil, "")
	if r.status != 200 || !bytes.Equal(r.body, photo) || r.header.Get("Content-Type") != "image/jpeg" || r.header.Get("ETag") == "" {
		t.Fatalf("photo download: %d %v", r.status, r.header)
	}
	req := httptest.NewRequest("GET", "/api/v1/candidates/"+created.ID.String()+"/photo", nil)
	req.Header.Set("X-Test-Tenant", org.TenantID.String())
	req.Header.Set("X-Test-Kind", string(org.Kind))
	req.Header.Set("If-None-Match", r.header.Get("ETag"))
	if res, _ := api.app.Test(req, -1); res.StatusCode != 304 {
		t.Fatalf("conditional photo download: %d", res.StatusCode)
	}
	r = api.do(t, org, "PUT", "/api/v1/candidates/"+created.ID.String()+"/photo", pngBytes(t, 100, 140), "image/png")
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"image/png"`)) {
		t.Fatalf("raw photo: %d %s", r.status, r.body)
	}
	gif, gtype := multipartBody(t, "file", "me.gif", []byte("GIF89a....."))
	if r = api.do(t, org, "PUT", "/api/v1/candidates/"+created.ID.String()+"/photo", gif, gtype); r.status != 415 {
		t.Fatalf("gif photo: %d %s", r.status, r.body)
	}
	big, btype := multipartBody(t, "file", "big.png", make([]byte, MaxPhotoBytes+10))
	if r = api.do(t, org, "PUT", "/api/v1/candidates/"+created.ID.String()+"/photo", big, btype); r.status != 413 {
		t.Fatalf("big photo: %d %s", r.status, r.body)
	}
}

func TestHTTPImportAndTemplate(t *testing.T) {
	svc, db := newService(t)
	api := newTestAPI(t, svc, nil)
	org := newTenant(t, db, tenants.KindEnterprise)

	r := api.do(t, org, "GET", "/api/v1/candidates/import/template.xlsx", nil, "")
	if r.status != 200 || r.header.Get("Content-Type") != XLSXType || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("template: %d %v", r.status, r.header)
	}
	if f, err := excelize.OpenReader(bytes.NewReader(r.body)); err != nil {
		t.Fatalf("template does not open: %v", err)
	} else {
		f.Close()
	}

	rows := mixedRows()
	mb, ctype := multipartBody(t, "file", "考生.csv", csvFile(t, rows))
	r = api.do(t, org, "POST", "/api/v1/candidates/import", mb, ctype)
	var out struct {
		Created, Updated int
		Rejected         []struct {
			Row    int
			Errors []struct{ Field, Code, Message string }
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if out.Created != 3 || out.Updated != 0 || len(out.Rejected) != 5 || out.Rejected[0].Row != 3 ||
		out.Rejected[0].Errors[0].Field != "id_number" || out.Rejected[0].Errors[0].Code != "checksum" || out.Rejected[0].Errors[0].Message == "" {
		t.Fatalf("import result %s", r.body)
	}
	r = api.do(t, org, "POST", "/api/v1/candidates/import", mb, ctype)
	if !bytes.Contains(r.body, []byte(`"created":0,"updated":0,"unchanged":3`)) {
		t.Fatalf("re-import: %s", r.body)
	}
	wrong, wtype := multipartBody(t, "upload", "a.csv", csvFile(t, rows))
	if r = api.do(t, org, "POST", "/api/v1/candidates/import", wrong, wtype); r.status != 422 {
		t.Fatalf("no file field: %d %s", r.status, r.body)
	}
	bomb := manyEntries(t, 20_000)
	bb, btype := multipartBody(t, "file", "bomb.xlsx", bomb)
	r = api.do(t, org, "POST", "/api/v1/candidates/import", bb, btype)
	if code, _ := r.problem(t); r.status != 413 || code != CodeArchiveEntries {
		t.Fatalf("bomb: %d %s", r.status, r.body)
	}
	// The OpenAPI document builds with the multipart operations in it.
	doc, err := api.spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/api/v1/candidates/import", "multipart/form-data", "/api/v1/public/institutions/{slug}/batches/{id}/applications"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Fatalf("OpenAPI lacks %s", want)
		}
	}
}

func TestHTTPSelfRegistration(t *testing.T) {
	svc, _, app := newSelfRegService(t)
	limiter := ratelimit.PerMinute(dbtest.Redis(t), "test-self-registration-"+uuid.NewString(), 2, nil)
	api := newTestAPI(t, svc, limiter)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	batch := uuid.New()
	path := "/api/v1/public/institutions/" + org.Slug + "/batches/" + batch.String() + "/applications"
	body := map[string]any{"username": "lisi", "password": "correct horse battery", "name": "李四", "id_type": "resident_id",
		"id_number": residentID(21_000), "phone": "13800138000", "education": "college", "occupation_years": 3}
	r := api.do(t, tenants.Scope{}, "POST", path, body, "")
	var out struct {
		CandidateID uuid.UUID       `json:"candidate_id"`
		Application json.RawMessage `json:"application"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != 201 || out.CandidateID == uuid.Nil ||
		!bytes.Contains(out.Application, []byte(`"status":"eligible"`)) || len(app.batches) != 1 || app.batches[0] != batch {
		t.Fatalf("registration: %d %s", r.status, r.body)
	}
	r = api.do(t, tenants.Scope{}, "POST", path, body, "")
	if code, _ := r.problem(t); r.status != 409 || code != CodeRegistrationNotAccepted {
		t.Fatalf("again: %d %s", r.status, r.body)
	}
	// Two attempts per minute in this test's limiter: the third is refused before anything runs.
	r = api.do(t, tenants.Scope{}, "POST", path, body, "")
	if code, _ := r.problem(t); r.status != 429 || code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("third attempt: %d %s", r.status, r.body)
	}
	if len(app.batches) != 1 {
		t.Fatalf("the applier ran %d times", len(app.batches))
	}
}

// TestHTTPSelfRegistrationRevealsNobody: a registered ID number, someone else's record and a taken
// username all get the same problem body (minus the per-request instance), so a stranger cannot use the
// public endpoint to learn who or which username is registered at the institution.
func TestHTTPSelfRegistrationRevealsNobody(t *testing.T) {
	svc, _, _ := newSelfRegService(t)
	api := newTestAPI(t, svc, nil)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	path := "/api/v1/public/institutions/" + org.Slug + "/batches/" + uuid.NewString() + "/applications"
	body := func(n int, username, name string) map[string]any {
		return map[string]any{"username": username, "password": "correct horse battery", "name": name,
			"id_type": "resident_id", "id_number": residentID(n), "phone": "13800138000", "education": "college",
			"occupation_years": 3}
	}
	if r := api.do(t, tenants.Scope{}, "POST", path, body(21_100, "wangwu", "王五"), ""); r.status != 201 {
		t.Fatalf("first registration: %d %s", r.status, r.body)
	}
	cases := []struct {
		name string
		body map[string]any
	}{
		{"id number registered", body(21_100, "wangwu2", "王五")},
		{"id number of someone else", body(21_100, "zhaoliu", "赵六")},
		{"username taken", body(21_101, "wangwu", "赵六")},
	}
	var first []byte
	for _, tc := range cases {
		r := api.do(t, tenants.Scope{}, "POST", path, tc.body, "")
		var p map[string]any
		if err := json.Unmarshal(r.body, &p); err != nil || r.status != 409 {
			t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
		}
		delete(p, "instance")
		delete(p, "request_id")
		b, _ := json.Marshal(p)
		if p["code"] != CodeRegistrationNotAccepted || p["errors"] != nil {
			t.Fatalf("%s: %s", tc.name, b)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("%s answers\n%s\nbut the first case\n%s", tc.name, b, first)
		}
	}
	if n := countCandidates(t, svc.db, org.TenantID); n != 1 {
		t.Fatalf("%d candidates after refused registrations", n)
	}
}
