package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestHTTPConventions(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")

	t.Run("unknown route is a problem", func(t *testing.T) {
		k.Do(t, "GET", "/api/v1/no-such-thing", org.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	})
	t.Run("malformed JSON is 400", func(t *testing.T) {
		k.Do(t, "POST", "/api/v1/users", org.Admin, []byte("{not json"), "Content-Type", "application/json").
			WantProblem(t, http.StatusBadRequest, "malformed_json")
	})
	t.Run("JSON body over 1 MiB is 413", func(t *testing.T) {
		big := []byte(`{"username":"` + strings.Repeat("a", 1<<20) + `"}`)
		k.Do(t, "POST", "/api/v1/users", org.Admin, big, "Content-Type", "application/json").
			WantProblem(t, http.StatusRequestEntityTooLarge, "body_too_large")
	})
	t.Run("gzip bomb is refused without inflating", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zeros := make([]byte, 1<<20)
		for i := 0; i < 256; i++ { // 256 MiB of zeros, about 256 KiB compressed
			_, _ = zw.Write(zeros)
		}
		_ = zw.Close()
		res := k.Do(t, "POST", "/api/v1/users", org.Admin, buf.Bytes(), "Content-Type", "application/json", "Content-Encoding", "gzip")
		res.WantProblem(t, http.StatusUnsupportedMediaType, "unsupported_content_encoding")
	})
	t.Run("sort outside the allow-list is 400", func(t *testing.T) {
		k.Do(t, "GET", "/api/v1/users?sort=password_hash", org.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
		k.Do(t, "GET", "/api/v1/users?sort=-username", org.Admin, nil).Want(t, http.StatusOK)
	})
	t.Run("limit out of range is 400", func(t *testing.T) {
		k.Do(t, "GET", "/api/v1/users?limit=501", org.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_limit")
	})
	t.Run("bad cursor is 400", func(t *testing.T) {
		k.Do(t, "GET", "/api/v1/users?cursor=@@@", org.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_cursor")
	})
	t.Run("request id is echoed or made", func(t *testing.T) {
		res := k.Do(t, "GET", "/healthz", "", nil, "X-Request-Id", "abc-123-def-456")
		if got := res.Header.Get("X-Request-Id"); got != "abc-123-def-456" {
			t.Fatalf("X-Request-Id = %q", got)
		}
		res = k.Do(t, "GET", "/healthz", "", nil, "X-Request-Id", "bad id with spaces")
		if got := res.Header.Get("X-Request-Id"); !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(got) {
			t.Fatalf("X-Request-Id = %q, want a generated id", got)
		}
	})
	t.Run("keyset pagination walks every user once", func(t *testing.T) {
		for _, n := range []string{"u1", "u2", "u3", "u4"} {
			k.User(t, org, n, "staff")
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			var page struct {
				Items []struct{ Username string }
				Next  string `json:"next_cursor"`
			}
			k.Do(t, "GET", "/api/v1/users?limit=2&sort=username&cursor="+cursor, org.Admin, nil).Want(t, 200).Decode(t, &page)
			for _, u := range page.Items {
				if seen[u.Username] {
					t.Fatalf("%s listed twice", u.Username)
				}
				seen[u.Username] = true
			}
			if page.Next == "" {
				break
			}
			cursor = page.Next
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 5 {
			t.Fatalf("saw %d users, want 5", len(seen))
		}
	})
}

func TestHealthReadinessMetrics(t *testing.T) {
	k := testkit.New(t)
	k.Do(t, "GET", "/healthz", "", nil).Want(t, http.StatusOK)
	k.Do(t, "GET", "/readyz", "", nil).Want(t, http.StatusOK)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	k.Do(t, "GET", "/api/v1/me", org.Admin, nil).Want(t, http.StatusOK)
	res := k.Do(t, "GET", "/metrics", "", nil).Want(t, http.StatusOK)
	if !strings.Contains(string(res.Body), `skillcert_http_request_duration_seconds_count{method="GET",route="/api/v1/me",status="200"}`) {
		t.Fatal("no latency metric by route for /api/v1/me")
	}
}

// TestOpenAPIDocumentsEveryRoute: the document is generated from the route table, and every fiber
// route under /api/v1 is in it — a route added around the Router would fail here.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	k := testkit.New(t)
	res := k.Do(t, "GET", "/api/v1/openapi.json", "", nil).Want(t, http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	res.Decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)
	for _, r := range k.Server.App.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.json" || r.Method == "HEAD" {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is served but not in the OpenAPI document", r.Method, r.Path)
		}
	}
	for _, r := range k.Server.Spec.Routes() {
		if r.Op.Access == 0 && r.Op.Permission == "" && !r.Op.AnyRole {
			t.Errorf("%s %s is authenticated without a permission", r.Method, r.Path)
		}
	}
}
