package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// maxAssetsGzip is the budget of a console page's CSS and script together, gzipped as served
// (issue 12: all CSS and script of a page ≤ 40 KB gzip).
const maxAssetsGzip = 40 * 1024

var assetRef = regexp.MustCompile(`<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"`)

// TestPageAssetsWithinBudget fetches every stylesheet and script the console's pages load, the way a
// browser does (Accept-Encoding: gzip), and adds up the bytes on the wire.
func TestPageAssetsWithinBudget(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	pages := map[string]*browser{"/login": newBrowser(t, k)}
	admin := signedIn(t, k, org, "admin")
	for _, p := range []string{"/", "/users", "/account", "/audit", "/decisions"} {
		pages[p] = admin
	}
	for path, b := range pages {
		t.Run(path, func(t *testing.T) {
			p := b.do("GET", path, nil)
			wantPage(t, p, http.StatusOK)
			refs := assetRef.FindAllStringSubmatch(p.body, -1)
			if len(refs) < 2 {
				t.Fatalf("found %d assets on the page, want the stylesheet and the script:\n%s", len(refs), p.body)
			}
			total := 0
			for _, m := range refs {
				req := httptest.NewRequest("GET", m[1], nil)
				req.Header.Set("Accept-Encoding", "gzip")
				res, err := k.Server.App.Test(req, 30_000)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("%s: %d, Content-Encoding %q", m[1], res.StatusCode, res.Header.Get("Content-Encoding"))
				}
				total += len(body)
			}
			t.Logf("%s loads %d assets, %d bytes gzipped", path, len(refs), total)
			if total > maxAssetsGzip {
				t.Fatalf("%s loads %d bytes of CSS and script gzipped, over the budget of %d", path, total, maxAssetsGzip)
			}
		})
	}
}
