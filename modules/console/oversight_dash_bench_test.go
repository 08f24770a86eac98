package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// BenchmarkDashboard measures the regulator's dashboard over 1,000,000 certificates of 1,000
// institutions against the statistics API call it draws on (GET /api/v1/oversight/stats), both
// through the assembled app, alternating request by request so that both share the machine's load.
// Target: the dashboard within 2× the API call. Data are generated with generate_series as the table
// owner: 1,000,000 certificates counted into the summary the dispatcher keeps (as its
// one-report-at-a-time maintenance leaves it), and batch facts for the pass rates; each institution
// evaluates 3 occupations at 3 levels over 24 months. The data are made once; the timed part is a
// sub-benchmark.
func BenchmarkDashboard(b *testing.B) {
	k := testkit.New(b)
	reg := k.Tenant(b, tenants.KindRegulator, "650000")
	ctx := context.Background()
	seed := func(sql string) {
		b.Helper()
		if _, err := k.DB.ExecContext(ctx, sql); err != nil {
			b.Fatalf("%v\n%s", err, sql)
		}
	}
	start := time.Now()
	run := uuid.NewString()[:8]
	seed(fmt.Sprintf(`INSERT INTO tenants (id, slug, name, kind, region_code, status, created_at, updated_at)
		SELECT gen_random_uuid(), 'dash-%[1]s-' || i, '看板机构 ' || i, (ARRAY['enterprise', 'social_org', 'school'])[1 + i %% 3],
			(ARRAY['650102', '650103', '650104', '650105'])[1 + i %% 4], 'active', now(), now()
		FROM generate_series(1, 1000) AS i`, run))
	// 1,000,000 certificates, generated and counted into the summary in one statement: the summary is
	// all the statistics (and so the dashboard and the API alike) read — they never scan the
	// certificates table, whose rows would only make the seeding minutes long.
	seed(fmt.Sprintf(`INSERT INTO oversight_cert_stats (tenant_id, occupation_code, level, month, issued, revoked)
		SELECT t.id, (ARRAY['6-31-01-03', '4-01-06-02', '6-29-01-01'])[1 + (g / 7) %% 3], 3 + g %% 3,
			date_trunc('month', date '2025-01-01' + ((g / 11) %% 730))::date, count(*), count(*) FILTER (WHERE g %% 50 = 0)
		FROM generate_series(0, 999999) AS g
		JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM tenants WHERE slug LIKE 'dash-%[1]s-%%') t ON t.n = g %% 1000
		GROUP BY 1, 2, 3, 4`, run))
	seed(fmt.Sprintf(`INSERT INTO oversight_batch_facts (tenant_id, batch_id, occupation_code, level, title, exam_end,
			results_published_at, results_due_on, results_late, candidates, passed)
		SELECT t.id, 'b' || g, (ARRAY['6-31-01-03', '4-01-06-02', '6-29-01-01'])[1 + g %% 3], 3 + g %% 3, '批次', date '2026-01-05' + g,
			now() - (g || ' days')::interval, date '2026-01-20' + g, g %% 7 = 0, 40, 30 + (g %% 10)
		FROM tenants t, generate_series(1, 6) AS g WHERE t.slug LIKE 'dash-%s-%%'`, run))
	seed("ANALYZE oversight_cert_stats")
	seed("ANALYZE oversight_batch_facts")
	b.Logf("seeded 1,000 institutions and 1,000,000 certificates in %s", time.Since(start).Round(time.Second))

	cookies := dashBenchLogin(b, k, reg)
	get := func(path string, auth func(*http.Request)) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		auth(req)
		resp, err := k.Server.App.Test(req, 120_000)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	api := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+reg.Admin) }
	console := func(r *http.Request) {
		for _, c := range cookies {
			r.AddCookie(c)
		}
	}
	// Both once, checked, before timing.
	if st, body := get("/api/v1/oversight/stats", api); st != http.StatusOK || !strings.Contains(body, `"issued":1000000`) {
		b.Fatalf("stats: %d %.300s", st, body)
	}
	if st, body := get("/oversight/dashboard", console); st != http.StatusOK || !strings.Contains(body, "1000000") || !strings.Contains(body, `role="img"`) {
		b.Fatalf("dashboard: %d %.300s", st, body)
	}
	b.Run("dashboard_vs_stats_api", func(b *testing.B) {
		var apiT, dashT []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if st, _ := get("/api/v1/oversight/stats", api); st != http.StatusOK {
				b.Fatalf("stats: %d", st)
			}
			t1 := time.Now()
			if st, _ := get("/oversight/dashboard", console); st != http.StatusOK {
				b.Fatalf("dashboard: %d", st)
			}
			apiT, dashT = append(apiT, t1.Sub(t0)), append(dashT, time.Since(t1))
		}
		b.StopTimer()
		med := func(d []time.Duration) time.Duration {
			s := append([]time.Duration(nil), d...)
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
			return s[len(s)/2]
		}
		ma, md := med(apiT), med(dashT)
		b.ReportMetric(float64(ma.Microseconds())/1000, "stats-api-ms")
		b.ReportMetric(float64(md.Microseconds())/1000, "dashboard-ms")
		b.ReportMetric(float64(md)/float64(ma), "ratio")
	})
}

// dashBenchLogin signs in as org's admin through the console's login form and returns the session
// cookies.
func dashBenchLogin(b *testing.B, k *testkit.Kit, org *testkit.Org) []*http.Cookie {
	b.Helper()
	do := func(req *http.Request) (*http.Response, string) {
		resp, err := k.Server.App.Test(req, 30_000)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := do(httptest.NewRequest("GET", "/login", nil))
	m := csrfPattern.FindStringSubmatch(body)
	if m == nil {
		b.Fatal("no CSRF token on the login page")
	}
	form := url.Values{"_csrf": {m[1]}, "tenant": {org.Tenant.Slug}, "username": {"admin"}, "password": {testkit.Password}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, body = do(req)
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %d %.300s", resp.StatusCode, body)
	}
	return resp.Cookies()
}
