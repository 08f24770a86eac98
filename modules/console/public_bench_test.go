package console_test

import (
	"bytes"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/testkit"
)

// BenchmarkPublicVerifyPage compares the public verification page of a certificate number
// (/verify/{number}: the lookup, the evidence behind the certificate, the page in the console's
// design) with the JSON lookup it mirrors (GET /api/v1/public/certificates/{number}), over loopback
// TCP against the assembled server, at the same concurrency, cycling through the same numbers:
//
//	go test ./modules/console -run '^$' -bench PublicVerifyPage -benchtime 5s
//
// Both run without a rate limit (the kit's SKILLCERT_PUBLIC_RATE=0); with one, each adds the same
// Redis round trip. The anonymous browser sends its csrf cookie, as a browser does from its first
// page on.
func BenchmarkPublicVerifyPage(b *testing.B) {
	k := testkit.New(b)
	w := publicSetup(b, k)
	var numbers []string
	for _, c := range w.finalize(b) {
		numbers = append(numbers, c.Number)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = k.Server.App.Listener(ln) }()
	b.Cleanup(func() { _ = ln.Close() })
	client := &fasthttp.Client{MaxConnsPerHost: 1024}
	base := "http://" + ln.Addr().String()
	const parallelism = 4 // goroutines per GOMAXPROCS, for both sides

	rates := map[string]float64{}
	run := func(name, prefix, want string) {
		b.Run(name, func(b *testing.B) {
			var i atomic.Int64
			do := func(req *fasthttp.Request, res *fasthttp.Response) bool {
				req.SetRequestURI(base + prefix + numbers[i.Add(1)%int64(len(numbers))])
				if err := client.Do(req, res); err != nil || res.StatusCode() != http.StatusOK || !bytes.Contains(res.Body(), []byte(want)) {
					b.Errorf("%s: %v %d %.300s", name, err, res.StatusCode(), res.Body())
					return false
				}
				return true
			}
			prepare := func() (*fasthttp.Request, *fasthttp.Response) {
				req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				req.Header.Set("Cookie", "skillcert_csrf=bench-csrf-cookie-0123456789abcdefghijklmnop")
				return req, res
			}
			// Warm up as many connections as the timed run uses (and the page's evidence cache).
			var wg sync.WaitGroup
			for range parallelism * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					req, res := prepare()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(res)
					for range 10 {
						if !do(req, res) {
							return
						}
					}
				})
			}
			wg.Wait()
			runtime.GC()
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, res := prepare()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(res)
				for pb.Next() {
					if !do(req, res) {
						return
					}
				}
			})
			b.StopTimer()
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "lookups/s")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/lookup")
			rates[name] = rate
		})
	}
	run("json", "/api/v1/public/certificates/", `"status":"valid"`)
	run("page", "/verify/", "电子证书签名")
	if rates["json"] > 0 && rates["page"] > 0 {
		b.Logf("page/json throughput: %.0f / %.0f lookups/s = %.0f %%", rates["page"], rates["json"], 100*rates["page"]/rates["json"])
	}
}
