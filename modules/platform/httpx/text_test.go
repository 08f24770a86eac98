package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// errReached is what the edge test app's handler answers (500) when text the database cannot hold
// got past TextRules: the stand-in for PostgreSQL refusing it.
var errReached = errors.New("NUL or invalid UTF-8 reached the handler")

// edgeApp is an app with one handler that reads every string a real handler could read — path,
// query, form, multipart text fields and file names, and the JSON body through Bind — and fails
// with errReached (500) when one of them holds NUL or is not UTF-8.
func edgeApp() *fiber.App {
	app := httpx.NewApp(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	app.All("/x/*", func(c *fiber.Ctx) error {
		bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
		req := c.Request()
		if bad(string(req.URI().Path())) || bad(c.Params("*")) {
			return errReached
		}
		var reached bool
		visit := func(k, v []byte) { reached = reached || bad(string(k)) || bad(string(v)) }
		req.URI().QueryArgs().VisitAll(visit)
		req.PostArgs().VisitAll(visit)
		if reached {
			return errReached
		}
		if form, err := req.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				for _, v := range append(vs, k) {
					if bad(v) {
						return errReached
					}
				}
			}
			for k, fs := range form.File {
				for _, f := range fs {
					if bad(k) || bad(f.Filename) {
						return errReached
					}
				}
			}
		}
		if len(req.Body()) > 0 { // whatever the media type, a handler may Bind it
			var v any
			err := httpx.Bind(c, &v)
			switch {
			case platform.CodeOf(err) == "malformed_json": // not JSON: nothing was read
			case err != nil:
				return err
			case hasNUL(v):
				return errReached
			}
		}
		return c.SendString("ok")
	})
	return app
}

// hasNUL reports whether a decoded JSON value holds U+0000 in any key or string.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// serve runs one request through app's handler without a network.
func serve(app *fiber.App, method, uri, contentType string, body []byte) *fasthttp.Response {
	var fctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	if contentType != "" {
		req.Header.SetContentType(contentType)
	}
	req.SetBody(body)
	fctx.Init(&req, nil, nil)
	app.Handler()(&fctx)
	return &fctx.Response
}

func multipartBody(t testing.TB, fields map[string]string, fileField, fileName string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if fileField != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+fileField+`"; filename*=UTF-8''`+url.PathEscape(fileName))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(content)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// TestTextRules: NUL and invalid UTF-8 are refused wherever a handler could read a string, with the
// offending field named; everything else reaches the handler untouched.
func TestTextRules(t *testing.T) {
	app := edgeApp()
	formNUL, formNULType := multipartBody(t, map[string]string{"title": "a\x00b", "venue": "ok"}, "", "", nil)
	fileOK, fileOKType := multipartBody(t, map[string]string{"title": "考场"}, "file", "photo.jpg", []byte("\xff\xd8\x00\x00binary"))
	fileName, fileNameType := multipartBody(t, nil, "file", "a\x00.csv", []byte("x"))
	qp := "--B\r\nContent-Disposition: form-data; name=\"note\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=00y\r\n--B--\r\n"
	tests := []struct {
		name        string
		method, uri string
		ctype       string
		body        string
		status      int
		fields      []platform.FieldError // nil: not compared
	}{
		{"plain GET", "GET", "/x/a", "", "", 200, nil},
		{"GET with a clean query", "GET", "/x/a?limit=50&q=%E7%94%B5%E5%B7%A5&cursor=abc", "", "", 200, nil},
		{"query %00", "GET", "/x/a?q=ab%00", "", "", 400, fields("q", "nul_character")},
		{"query raw NUL", "GET", "/x/a?status=a\x00", "", "", 400, fields("uri", "nul_character")},
		{"query name with NUL", "GET", "/x/a?st%00atus=1", "", "", 400, fields(`st\u0000atus`, "nul_character")},
		{"query not UTF-8", "GET", "/x/a?q=%C3%28", "", "", 400, fields("q", "invalid_utf8")},
		{"path %00", "GET", "/x/ab%00cd", "", "", 400, fields("path", "nul_character")},
		{"path not UTF-8", "GET", "/x/%FF", "", "", 400, fields("path", "invalid_utf8")},
		{"raw path not UTF-8, decoded path valid", "GET", "/x/%E1\x89\x89", "", "", 400, fields("path", "invalid_utf8")},
		{"JSON clean", "POST", "/x/a", "application/json", `{"title":"电工","n":1,"s":"a\\u0000 is \\\\u0000"}`, 200, nil},
		{"JSON \\u0000 in a value", "POST", "/x/a", "application/json", `{"name":"a\u0000"}`, 422, fields("name", "nul_character")},
		{"JSON nested path", "POST", "/x/a", "application/json",
			`{"items":[{"note":"x"},{"note":1},{"note":"y\u0000"}],"scope":[[1,"\u0000"]]}`, 422,
			fields("items[2].note", "nul_character", "scope[0][1]", "nul_character")},
		{"JSON key", "POST", "/x/a", "application/json", `{"a":{"b\u0000c":1}}`, 422, fields(`a.b\u0000c`, "nul_character")},
		{"JSON top-level string", "POST", "/x/a", "application/json", `"\u0000"`, 422, fields("", "nul_character")},
		{"JSON raw NUL byte", "POST", "/x/a", "application/json", "{\"name\":\"a\x00\"}", 400, nil},
		{"JSON without a content type", "POST", "/x/a", "", `{"name":"\u0000"}`, 422, fields("name", "nul_character")},
		{"JSON sent as text/plain", "POST", "/x/a", "text/plain", `{"name":"\u0000"}`, 422, fields("name", "nul_character")},
		{"JSON sent as an image still refused by Bind", "POST", "/x/a", "image/png", `{"name":"\u0000"}`, 422, fields("name", "nul_character")},
		{"JSON sent as a form still refused by Bind", "POST", "/x/a", "application/x-www-form-urlencoded", `{"name":"\u0000"}`, 422, fields("name", "nul_character")},
		{"malformed JSON with the escape", "POST", "/x/a", "application/json", `{"a":"\u0000", `, 422, fields("a", "nul_character")},
		{"malformed JSON before the escape", "POST", "/x/a", "application/json", `{"a" 1, "b":"\u0000"}`, 400, nil},
		{"form field %00", "POST", "/x/a", "application/x-www-form-urlencoded", "username=al%00ice&password=x", 422, fields("username", "nul_character")},
		{"form field not UTF-8", "POST", "/x/a", "application/x-www-form-urlencoded", "username=%FF", 422, fields("username", "invalid_utf8")},
		{"form clean", "POST", "/x/a", "application/x-www-form-urlencoded", "username=%E5%BC%A0+%E4%B8%89&password=x", 200, nil},
		{"multipart text field", "POST", "/x/a", formNULType, string(formNUL), 422, fields("title", "nul_character")},
		{"multipart quoted-printable =00", "POST", "/x/a", "multipart/form-data; boundary=B", qp, 422, fields("note", "nul_character")},
		{"multipart file contents are not text", "POST", "/x/a", fileOKType, string(fileOK), 200, nil},
		{"multipart file name", "POST", "/x/a", fileNameType, string(fileName), 422, fields("file", "nul_character")},
		{"raw image body", "PUT", "/x/a", "image/jpeg", "\xff\xd8\x00\x00\xff", 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(app, tc.method, tc.uri, tc.ctype, []byte(tc.body))
			if res.StatusCode() != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode(), tc.status, res.Body())
			}
			if tc.status < 400 {
				return
			}
			var p httpx.Problem
			if err := json.Unmarshal(res.Body(), &p); err != nil {
				t.Fatalf("not a problem: %s", res.Body())
			}
			if tc.fields == nil {
				return
			}
			if p.Code != httpx.CodeInvalidCharacter {
				t.Fatalf("code %q, want %q", p.Code, httpx.CodeInvalidCharacter)
			}
			got := make([]platform.FieldError, len(p.Errors))
			for i, f := range p.Errors {
				got[i] = platform.FieldError{Field: f.Field, Code: f.Code}
			}
			if diff := cmp.Diff(tc.fields, got); diff != "" {
				t.Fatalf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// fields builds field errors from name, code pairs.
func fields(pairs ...string) []platform.FieldError {
	out := make([]platform.FieldError, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, platform.FieldError{Field: pairs[i], Code: pairs[i+1]})
	}
	return out
}

// TestTextRulesAllocateNothing: clean requests — a GET with a list query, a JSON body without
// backslashes, one with ordinary escapes — pass TextRules without an allocation of its own.
func TestTextRulesAllocateNothing(t *testing.T) {
	app := fiber.New()
	app.Use(httpx.TextRules())
	app.All("/*", func(c *fiber.Ctx) error { return nil })
	h := app.Handler()
	tests := []struct {
		name, method, uri, ctype, body string
	}{
		{"GET, no query", "GET", "/api/v1/batches/6b0e1c9e-8d1e-4a51-9b55-3f7c2ad1f0a9/applications", "", ""},
		{"GET, list query", "GET", "/api/v1/batches/6b0e1c9e-8d1e-4a51-9b55-3f7c2ad1f0a9/applications?limit=50&sort=created_at&cursor=eyJ0IjoiMjAyNi0xMS0yMyJ9", "", ""},
		{"JSON body", "POST", "/api/v1/batches", "application/json", `{"occupation_code":"6-31-01-03","level":4,"title":"电工四级 2026 第一批","methods":["theory","practical"],"venue":"北京"}`},
		{"JSON body with escapes", "POST", "/api/v1/batches", "application/json", `{"title":"a \"quoted\" \u4e2d title\\n"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fctx fasthttp.RequestCtx
			var req fasthttp.Request
			req.Header.SetMethod(tc.method)
			req.SetRequestURI(tc.uri)
			if tc.ctype != "" {
				req.Header.SetContentType(tc.ctype)
			}
			req.SetBodyString(tc.body)
			fctx.Init(&req, nil, nil)
			h(&fctx) // warm fiber's and fasthttp's pools
			base := testing.AllocsPerRun(200, func() { fctx.Response.Reset(); h(&fctx) })
			if fctx.Response.StatusCode() != 200 {
				t.Fatalf("status %d", fctx.Response.StatusCode())
			}
			bare := fiber.New()
			bare.All("/*", func(c *fiber.Ctx) error { return nil })
			bh := bare.Handler()
			bh(&fctx)
			without := testing.AllocsPerRun(200, func() { fctx.Response.Reset(); bh(&fctx) })
			if base > without {
				t.Fatalf("TextRules allocates %.1f per request (%.1f with it, %.1f without)", base-without, base, without)
			}
		})
	}
}

func BenchmarkTextRules(b *testing.B) {
	app := fiber.New()
	app.Use(httpx.TextRules())
	app.All("/*", func(c *fiber.Ctx) error { return nil })
	h := app.Handler()
	for _, bc := range []struct{ name, method, uri, ctype, body string }{
		{"list", "GET", "/api/v1/batches/6b0e1c9e-8d1e-4a51-9b55-3f7c2ad1f0a9/applications?limit=50&cursor=eyJ0IjoiMjAyNi0xMS0yMyJ9", "", ""},
		{"json", "POST", "/api/v1/batches", "application/json", `{"occupation_code":"6-31-01-03","level":4,"title":"电工四级 2026 第一批","methods":["theory","practical"],"venue":"北京"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var fctx fasthttp.RequestCtx
			var req fasthttp.Request
			req.Header.SetMethod(bc.method)
			req.SetRequestURI(bc.uri)
			if bc.ctype != "" {
				req.Header.SetContentType(bc.ctype)
			}
			req.SetBodyString(bc.body)
			fctx.Init(&req, nil, nil)
			b.ReportAllocs()
			for b.Loop() {
				h(&fctx)
			}
		})
	}
}

// fuzzContentTypes are the media types FuzzTextRules sends its body as (picked by the fuzzed byte).
var fuzzContentTypes = []string{
	"application/json", "", "text/plain", "application/json; charset=utf-8",
	"application/x-www-form-urlencoded", "multipart/form-data; boundary=B", "image/jpeg",
	"application/octet-stream", "APPLICATION/X-WWW-FORM-URLENCODED",
}

// FuzzTextRules fuzzes the edge: a path, a query string and a body of any media type go through the
// real middleware stack to a handler that reads every string (edgeApp). Properties: no request is
// ever answered 5xx (the handler's 500 means NUL or invalid UTF-8 got through), and NUL is always
// refused — a decoded path or query parameter holding it is 400, a JSON body holding the escape in a
// key or string is 422. The seed corpus is testdata/fuzz/FuzzTextRules; go test runs it.
func FuzzTextRules(f *testing.F) {
	app := edgeApp()
	f.Fuzz(func(t *testing.T, path, query string, ctype uint8, body []byte) {
		uri := "/x/" + path
		if query != "" {
			uri += "?" + query
		}
		ct := fuzzContentTypes[int(ctype)%len(fuzzContentTypes)]
		res := serve(app, "POST", uri, ct, body)
		status := res.StatusCode()
		if status >= 500 {
			t.Fatalf("POST %q (%s) %q: status %d: %s", uri, ct, body, status, res.Body())
		}
		// Independent oracles for "NUL is always refused", on fasthttp's reading of the URI and
		// encoding/json's of the body.
		var req fasthttp.Request
		req.SetRequestURI(uri)
		nulArg := false
		req.URI().QueryArgs().VisitAll(func(k, v []byte) {
			nulArg = nulArg || bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0
		})
		if (nulArg || bytes.IndexByte(req.URI().Path(), 0) >= 0 || strings.IndexByte(uri, 0) >= 0) && status != 400 {
			t.Fatalf("NUL in %q answered %d, want 400", uri, status)
		}
		if status != 200 {
			return
		}
		if ct == "application/json" || ct == "" {
			var v any
			if json.Unmarshal(body, &v) == nil && hasNUL(v) {
				t.Fatalf("JSON %q with NUL answered %d, want 422", body, status)
			}
		}
	})
}
