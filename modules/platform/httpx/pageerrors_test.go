package httpx_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// TestPageErrors: errors of requests outside /api/ go to the page hook first (which may decline);
// the API's errors are problem+json whatever the hook would do.
func TestPageErrors(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httpx.NewApp(log, httpx.NewMetrics(prometheus.NewRegistry()), httpx.PageErrors(func(c *fiber.Ctx, err error) bool {
		if strings.HasPrefix(c.Path(), "/declined") {
			return false
		}
		c.Status(httpx.ProblemFor(err).Status)
		_ = c.SendString("page: " + httpx.ProblemFor(err).Code)
		return true
	}))
	app.Post("/form", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Post("/api/v1/form", func(c *fiber.Ctx) error { return c.SendString("ok") })
	tests := []struct {
		name, path, body string
		status           int
		want             string // prefix of the body
	}{
		{"page: NUL in a form", "/form", "a=%00", http.StatusUnprocessableEntity, "page: invalid_character"},
		{"page: unknown address", "/nowhere", "", http.StatusNotFound, "page: not_found"},
		{"page: a good form passes", "/form", "a=b", http.StatusOK, "ok"},
		{"declined: problem+json", "/declined", "", http.StatusNotFound, `{"status":404`},
		{"API: NUL in a form", "/api/v1/form", "a=%00", http.StatusUnprocessableEntity, `{"status":422`},
		{"API: unknown address", "/api/v1/nowhere", "", http.StatusNotFound, `{"status":404`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodGet
			if tc.body != "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.HasPrefix(string(b), tc.want) {
				t.Fatalf("%d %s, want %d %s…", res.StatusCode, b, tc.status, tc.want)
			}
		})
	}
}
