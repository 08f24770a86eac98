package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// The request budget: authentication plus the tenant transaction add at most 0.5 ms at p50 to
// a request, measured against a bare fiber handler in the same run. Run (about 20 s):
//
//	go test ./modules/server -run '^$' -bench BenchmarkMe -benchtime 3000x
//
// Both apps listen on 127.0.0.1 and are driven by one keep-alive net/http client. Each iteration sends
// one request to each target in turn, so both see the same machine load and the per-iteration
// difference is meaningful even on a busy machine:
//
//	bare      a fiber.New() app whose handler returns /me's exact response body as a constant
//	healthz   the assembled server's /healthz: the full middleware stack, no authentication, no database
//	me        the assembled server's GET /api/v1/me with a bearer token: token lookup and roles in a
//	          tenant transaction on PostgreSQL (RLS role + app.tenant_id), then the handler
//
// Reported per target: mean ns and p50/p99 µs; me/bare ratio; p50 of (me − bare) per iteration; and
// the p50 of one `SELECT 1` round trip on the server's pool, to read /me's extra cost in round trips.
// The package's TestMain (server_test.go) gives the benchmark its PostgreSQL database and Redis DB.

// target is one URL to drive and its recorded latencies.
type target struct {
	name  string
	url   string
	token string
	want  []byte // expected body; nil: any 200
	lat   []time.Duration
}

func (tg *target) do(b *testing.B, c *http.Client) time.Duration {
	req, err := http.NewRequest(http.MethodGet, tg.url, nil)
	if err != nil {
		b.Fatal(err)
	}
	if tg.token != "" {
		req.Header.Set("Authorization", "Bearer "+tg.token)
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		b.Fatalf("%s: %v", tg.name, err)
	}
	body, err := io.ReadAll(res.Body) // read fully so the connection is reused
	_ = res.Body.Close()
	d := time.Since(start)
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("%s: status %d, %v: %s", tg.name, res.StatusCode, err, body)
	}
	if tg.want != nil && !bytes.Equal(body, tg.want) {
		b.Fatalf("%s: body %s, want %s", tg.name, body, tg.want)
	}
	return d
}

// serve runs app on a fresh 127.0.0.1 port until the benchmark ends and returns its base URL.
func serve(b *testing.B, app *fiber.App) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	b.Cleanup(func() {
		_ = ln.Close()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				b.Logf("listener: %v", err)
			}
		case <-time.After(5 * time.Second):
		}
	})
	return "http://" + ln.Addr().String()
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func BenchmarkMe(b *testing.B) {
	k := testkit.New(b)
	org := k.Tenant(b, tenants.KindEnterprise, "110105")
	meBody := k.Do(b, "GET", "/api/v1/me", org.Admin, nil).Want(b, http.StatusOK).Body

	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/me", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(meBody)
	})
	bareURL := serve(b, bare)
	// The assembled app is the testkit's (shared by the package); it only ever serves this listener.
	appURL := serve(b, k.Server.App)

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	targets := []*target{
		{name: "bare", url: bareURL + "/me", want: meBody},
		{name: "healthz", url: appURL + "/healthz"},
		{name: "me", url: appURL + "/api/v1/me", token: org.Admin, want: meBody},
	}
	// Warm: connections open, pools filled, first-request costs paid outside the measurement.
	for i := 0; i < 50; i++ {
		for _, tg := range targets {
			tg.do(b, client)
		}
	}

	for _, tg := range targets {
		tg.lat = make([]time.Duration, 0, b.N)
	}
	diff := make([]time.Duration, 0, b.N)
	rtt := make([]time.Duration, 0, b.N) // one `SELECT 1` on the server's pool: the unit of DB cost
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var got [3]time.Duration
		for j, tg := range targets {
			got[j] = tg.do(b, client)
			tg.lat = append(tg.lat, got[j])
		}
		diff = append(diff, got[2]-got[0])
		start := time.Now()
		if _, err := k.DB.ExecContext(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
		rtt = append(rtt, time.Since(start))
	}
	b.StopTimer()

	bareT, health, me := targets[0], targets[1], targets[2]
	for _, tg := range targets {
		b.ReportMetric(float64(mean(tg.lat).Nanoseconds()), tg.name+"-ns/req")
		b.ReportMetric(micros(quantile(tg.lat, 0.5)), tg.name+"-p50-µs")
	}
	b.ReportMetric(float64(mean(me.lat))/float64(mean(bareT.lat)), "me/bare")
	b.ReportMetric(micros(quantile(diff, 0.5)), "p50(me-bare)-µs")
	b.ReportMetric(micros(quantile(rtt, 0.5)), "pg-rtt-p50-µs")
	b.Logf("n=%d  bare p50 %.0f p99 %.0f µs | healthz p50 %.0f p99 %.0f µs | me p50 %.0f p99 %.0f µs | "+
		"me/bare %.2f (means), p50(me−bare) %.0f µs, p50(me−healthz) %.0f µs | PostgreSQL SELECT 1 p50 %.0f µs",
		len(diff), micros(quantile(bareT.lat, .5)), micros(quantile(bareT.lat, .99)),
		micros(quantile(health.lat, .5)), micros(quantile(health.lat, .99)),
		micros(quantile(me.lat, .5)), micros(quantile(me.lat, .99)),
		float64(mean(me.lat))/float64(mean(bareT.lat)), micros(quantile(diff, .5)),
		micros(quantile(pairDiff(me.lat, health.lat), .5)), micros(quantile(rtt, .5)))
}

// pairDiff is a[i] − b[i] for the iterations both recorded.
func pairDiff(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}
