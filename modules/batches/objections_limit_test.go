package batches_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// objectionApp mounts the batches handler alone, its public objections limited to perMinute per client
// address; authenticated operations refuse everyone.
func objectionApp(t *testing.T, k *testkit.Kit, perMinute int) *fiber.App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httpx.NewApp(log, nil)
	deny := func(c *fiber.Ctx) error { return platform.E(platform.KindUnauthenticated, "unauthenticated", "no") }
	r := httpx.NewRouter(app.Group("/api/v1"), "/api/v1",
		httpx.Guard{Authenticate: deny, Authorize: func(string) fiber.Handler { return deny }}, httpx.NewSpec("test", "1"))
	lim := ratelimit.PerMinute(dbtest.Redis(t), "test-objections-"+uuid.NewString(), perMinute, log)
	batches.NewHandler(svc(k), lim).Routes(r)
	return app
}

func postObjection(t *testing.T, app *fiber.App, batchID uuid.UUID, body map[string]any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest("POST", "/api/v1/public/batches/"+batchID.String()+"/objections", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	res, err := app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	var p struct{ Code string }
	_ = json.Unmarshal(out, &p)
	return res.StatusCode, p.Code
}

// TestPublicObjectionsAreLimited: one client address gets a few objections a minute (429 rate_limited
// after), and one application takes at most batches.MaxOpenObjectionsPerDay open objections a day from
// everyone together.
func TestPublicObjectionsAreLimited(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindSocialOrg, 4)
	b, apps := scoredBatch(t, k, org, 5, "司马懿", "诸葛亮")
	body := func(a applicationJSON) map[string]any {
		return map[string]any{"application_id": a.ID, "reason": "成绩存疑", "contact": "13900000000"}
	}

	perClient := objectionApp(t, k, 2)
	for i := range 2 {
		if status, code := postObjection(t, perClient, b.ID, body(apps[0])); status != http.StatusCreated {
			t.Fatalf("objection %d: %d %s", i, status, code)
		}
	}
	if status, code := postObjection(t, perClient, b.ID, body(apps[0])); status != http.StatusTooManyRequests || code != "rate_limited" {
		t.Fatalf("third objection from one address: %d %s", status, code)
	}

	// Without the address limit (many addresses), the application's own cap still holds.
	open := objectionApp(t, k, 0)
	for i := range batches.MaxOpenObjectionsPerDay - 2 {
		if status, code := postObjection(t, open, b.ID, body(apps[0])); status != http.StatusCreated {
			t.Fatalf("objection %d: %d %s", i+2, status, code)
		}
	}
	if status, code := postObjection(t, open, b.ID, body(apps[0])); status != http.StatusTooManyRequests || code != "rate_limited" {
		t.Fatalf("objection over the application's cap: %d %s", status, code)
	}
	// Another application of the batch is not affected.
	if status, code := postObjection(t, open, b.ID, body(apps[1])); status != http.StatusCreated {
		t.Fatalf("objection to another application: %d %s", status, code)
	}
}
