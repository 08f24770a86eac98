package certificates_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// BenchmarkIssuancePipeline measures issuing on one core what a worker does per certificate: load the
// pending rows, check the scope, allocate numbers and status entries, render the PDF, sign the
// credential, store both, publish the lookup row, audit, report and mark issued, in chunks of
// ChunkSize per transaction. Compare with BenchmarkRenderTightLoop (ns/op are per certificate):
//
//	go test ./modules/certificates -run '^$' -bench 'IssuancePipeline|RenderTightLoop' -cpu 1
func BenchmarkIssuancePipeline(b *testing.B) {
	e := setup(b)
	org, _ := e.institution(b, tenants.KindEnterprise)
	svc, rec := e.service(b, func(c *certificates.Config) { c.Log = quietLog })
	// Warm up: the first issuance creates the key and the status list, and loads the fonts.
	finalize(b, e, svc, org, 1, 4)
	run(b, svc, rec.take())

	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, certificates.ChunkSize)
		b.StopTimer()
		finalize(b, e, svc, org, n, 4)
		tasks := rec.take()
		b.StartTimer()
		run(b, svc, tasks)
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

// BenchmarkRenderTightLoop renders the same certificate with the same fonts and QR code in a loop:
// the upper bound of the pipeline.
func BenchmarkRenderTightLoop(b *testing.B) {
	rend, err := sharedRenderer()
	if err != nil {
		b.Fatal(err)
	}
	c := render.Certificate{
		Institution: "北京市东城区某某科技有限公司", IssueDate: time.Now(), HolderName: holderName(7), IDType: "居民身份证",
		IDNumber: "110105199001010007", Occupation: "电工", OccupationCode: electrician, Level: credential.LevelName(4),
		Number: "Y000011123456264000007", VerifyURL: "https://skillcert.test/verify/Y000011123456264000007",
		QueryAddresses: []string{"https://skillcert.test/verify", render.NationalQueryURL},
	}
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := rend.Render(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
}

// BenchmarkPublicLookup compares the public look-up by number through the API (HTTP over loopback
// TCP, fiber with the production middleware, service, bun) with the same primary-key SELECT sent by
// pgx directly, at the same concurrency; ns/op are per look-up:
//
//	go test ./modules/certificates -run '^$' -bench PublicLookup
func BenchmarkPublicLookup(b *testing.B) {
	e := setup(b)
	org, _ := e.institution(b, tenants.KindEnterprise)
	svc, rec := e.service(b, quiet)
	batch := finalize(b, e, svc, org, certificates.ChunkSize, 4)
	run(b, svc, rec.take())
	var numbers []string
	for _, c := range certs(b, svc, org, batch.BatchID) {
		numbers = append(numbers, c.Number)
	}
	const parallelism = 4 // goroutines per GOMAXPROCS, for both sides

	b.Run("api", func(b *testing.B) {
		// Access logs are written as in production (JSON), to nowhere.
		app := handlerApp(e.svc, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		defer func() { _ = app.Shutdown() }()
		client := &fasthttp.Client{MaxConnsPerHost: 1024}
		base := "http://" + ln.Addr().String() + "/api/v1/public/certificates/"
		var i atomic.Int64
		b.SetParallelism(parallelism)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			for pb.Next() {
				req.SetRequestURI(base + numbers[i.Add(1)%int64(len(numbers))])
				if err := client.Do(req, res); err != nil || res.StatusCode() != 200 {
					b.Errorf("lookup: %v %d", err, res.StatusCode())
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})

	// pgbench sends its SELECT with the simple protocol; pgx's default prepares it once per connection
	// and sends only Bind/Execute after. Both are shown.
	for _, mode := range []struct {
		name string
		mode pgx.QueryExecMode
	}{{"pgx-simple", pgx.QueryExecModeSimpleProtocol}, {"pgx-prepared", pgx.QueryExecModeCacheStatement}} {
		b.Run(mode.name, func(b *testing.B) {
			cfg, err := pgxpool.ParseConfig(dbtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			cfg.ConnConfig.DefaultQueryExecMode = mode.mode
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			lookupSelect(b, pool, numbers, parallelism)
		})
	}
	// pgbench itself, as the issue words the target: the same SELECT by one number (every key costs
	// the same, all cached), 8 clients on 2 threads, its default simple protocol and prepared.
	for _, mode := range []string{"simple", "prepared"} {
		b.Run("pgbench-"+mode, func(b *testing.B) {
			dbtest.PGBench(b, strings.Join(strings.Fields(strings.Replace(lookupSQL, "$1", dbtest.Literal(numbers[0]), 1)), " ")+";\n",
				mode, 8, "lookups")
		})
	}
}

// lookupSQL is the public lookup's one query, as the certificates store sends it.
const lookupSQL = `SELECT number, kind, title, status, holder_masked, name_hash, occupation_code, occupation_name,
		subtype, level, post, institution, issued_on FROM certificate_lookup WHERE number = $1`

func lookupSelect(b *testing.B, pool *pgxpool.Pool, numbers []string, parallelism int) {
	q := lookupSQL
	var i atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var (
			number, kind, title, status, masked, code, name, subtype, post, inst string
			hash                                                                 []byte
			level                                                                int
			issuedOn                                                             time.Time
		)
		for pb.Next() {
			err := pool.QueryRow(context.Background(), q, numbers[i.Add(1)%int64(len(numbers))]).
				Scan(&number, &kind, &title, &status, &masked, &hash, &code, &name, &subtype, &level, &post, &inst, &issuedOn)
			if err != nil {
				b.Errorf("select: %v", err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
