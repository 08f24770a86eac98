package httpx_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// TestListDocumentsAndEnforcesItsQuery: the List of an operation puts limit, cursor, sort (with the
// allow-list), q and filters in the OpenAPI document, and List.Parse enforces the same allow-list.
func TestListDocumentsAndEnforcesItsQuery(t *testing.T) {
	app := fiber.New()
	spec := httpx.NewSpec("t", "1")
	r := httpx.NewRouter(app.Group("/api"), "/api", httpx.Guard{}, spec)
	list := &httpx.List{Sorts: []string{"created_at", "title"}, Search: "titles",
		Filters: []httpx.Filter{{Name: "status", Description: "batch status", Enum: []string{"draft", "open"}}}}
	r.Get("/things", httpx.Op{Summary: "things", Access: httpx.Public, List: list}, func(c *fiber.Ctx) error {
		p, err := list.Parse(c)
		if err != nil {
			return c.Status(400).SendString(err.Error())
		}
		return c.JSON(p)
	})
	b, err := spec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				In     string `json:"in"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range doc.Paths["/api/things"]["get"].Parameters {
		if p.In == "query" {
			got[p.Name] = p.Schema.Enum
		}
	}
	for _, name := range []string{"limit", "cursor", "sort", "q", "status"} {
		if _, ok := got[name]; !ok {
			t.Errorf("query parameter %q not documented (have %v)", name, got)
		}
	}
	if len(got["sort"]) != 4 || len(got["status"]) != 2 {
		t.Errorf("enums: sort %v, status %v", got["sort"], got["status"])
	}
	for _, tc := range []struct {
		query string
		code  int
	}{{"", 200}, {"?sort=-title", 200}, {"?sort=venue", 400}, {"?limit=501", 400}} {
		resp, err := app.Test(httptest.NewRequest("GET", "/api/things"+tc.query, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.code {
			t.Errorf("%s: status %d, want %d", tc.query, resp.StatusCode, tc.code)
		}
	}
}
