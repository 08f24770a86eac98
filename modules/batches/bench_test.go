package batches_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// seedApplications inserts n eligible applications into a batch in one statement, with a realistic
// stored eligibility decision, created a millisecond apart.
func seedApplications(tb testing.TB, k *testkit.Kit, tenantID, batchID uuid.UUID, n int) {
	tb.Helper()
	rs, err := eligibility.Defaults()
	if err != nil {
		tb.Fatal(err)
	}
	set, _ := rs.Get(eligibility.RuleSet2018)
	d, err := set.Evaluate(catalog.Level4, eligibility.Applicant{YearsInOccupation: 6, CurrentLevel: catalog.Level5,
		LevelObtained: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	decision, _ := json.Marshal(d)
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	_, err = k.DB.ExecContext(context.Background(), `
INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status, route,
  evidence_file_ids, eligibility_passed, eligibility_rule, eligibility, theory_exempt, fee_fen, scores, result, held,
  created_at, updated_at)
SELECT gen_random_uuid(), ?, ?, gen_random_uuid(), '考生' || g, 'resident_id', '110105199001' || lpad(g::text, 6, '0'),
  'eligible', 'normal', '[]', true, 'l4.after_l5', ?::jsonb, false, 30000, '{"theory": 78, "practical": 85}', 'pass', false,
  ?::timestamptz + g * interval '1 millisecond', ?::timestamptz + g * interval '1 millisecond'
FROM generate_series(1, ?) AS g`, tenantID, batchID, string(decision), start, start, n)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := k.DB.ExecContext(context.Background(), "ANALYZE applications"); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkApplicationsPage measures keyset pages of 50 applications of a batch holding 10,000 — page
// one, a deep page (the 9,950th row on) and page one of a small tenant's batch of 100 — through the API
// and, as the reference, the same keyset SQL sent by pgx straight to PostgreSQL, both at the same
// concurrency (4 goroutines per core), as pgbench would drive it; ns/op are per page:
//
//	go test ./modules/batches -run '^$' -bench ApplicationsPage -benchtime 2000x
//
// api:  HTTP over loopback TCP (fasthttp client) to the assembled server with its production middleware:
//
//	authentication, authorization, the tenant's read transaction, bun, JSON of 50 applications.
//
// sql-simple: the SELECT as pgbench sends it by default (simple protocol); sql-prepared: prepared once per
// connection (pgbench -M prepared). Both read every column of every row.
func BenchmarkApplicationsPage(b *testing.B) {
	k := testkit.New(b)
	type fixture struct {
		org   *testkit.Org
		batch uuid.UUID
	}
	mk := func(n int) fixture {
		org := k.Tenant(b, tenants.KindEnterprise, "110105", "staff")
		var f struct{ ID uuid.UUID }
		k.Do(b, "POST", "/api/v1/filings", org.Admin, map[string]any{
			"scope": []map[string]any{{"occupation_code": electrician, "levels": []int{4}}}}).Want(b, http.StatusCreated).Decode(b, &f)
		reg := k.Tenant(b, tenants.KindRegulator, "110105")
		k.Do(b, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Admin, map[string]any{
			"decision": "approve", "evaluator_code": "0000", "site_serial": "000123",
			"valid_from": time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)}).Want(b, http.StatusOK)
		var bj batchJSON
		k.Do(b, "POST", "/api/v1/batches", org.Tokens["staff"], batchBody(nil)).Want(b, http.StatusCreated).Decode(b, &bj)
		seedApplications(b, k, org.Tenant.ID, bj.ID, n)
		return fixture{org, bj.ID}
	}
	large, small := mk(10_000), mk(100)

	type position struct {
		at time.Time
		id uuid.UUID
	}
	positionAt := func(f fixture, offset int) position {
		var p position
		if err := k.DB.QueryRowContext(context.Background(),
			"SELECT created_at, id FROM applications WHERE tenant_id = ? AND batch_id = ? ORDER BY created_at, id OFFSET ? LIMIT 1",
			f.org.Tenant.ID, f.batch, offset).Scan(&p.at, &p.id); err != nil {
			b.Fatal(err)
		}
		p.at = p.at.UTC()
		return p
	}
	start, deep := position{at: time.Unix(0, 0).UTC()}, positionAt(large, 9_949)
	const parallelism = 4 // goroutines per GOMAXPROCS, for both sides

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = k.Server.App.Listener(ln) }()
	b.Cleanup(func() { _ = ln.Close() })
	client := &fasthttp.Client{MaxConnsPerHost: 1024}
	base := "http://" + ln.Addr().String()

	api := func(f fixture, from position) func(b *testing.B) {
		return func(b *testing.B) {
			uri := base + "/api/v1/batches/" + f.batch.String() + "/applications?limit=50"
			if from != start {
				uri += "&cursor=" + platform.EncodeCursor(from.at, from.id)
			}
			auth := "Bearer " + f.org.Tokens["staff"]
			// Warm up as many connections as the timed run uses (server pool, prepared statements).
			var wg sync.WaitGroup
			for range parallelism * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(res)
					req.SetRequestURI(uri)
					req.Header.Set("Authorization", auth)
					for range 25 {
						if err := client.Do(req, res); err != nil || res.StatusCode() != http.StatusOK {
							b.Errorf("warm-up: %v %d", err, res.StatusCode())
							return
						}
					}
				})
			}
			wg.Wait()
			runtime.GC() // the fixtures' garbage (argon2 hashes, seeding) is collected outside the timing
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(res)
				req.SetRequestURI(uri)
				req.Header.Set("Authorization", auth)
				for pb.Next() {
					if err := client.Do(req, res); err != nil || res.StatusCode() != http.StatusOK {
						b.Errorf("page: %v %d %s", err, res.StatusCode(), res.Body())
						return
					}
					if !bytes.Contains(res.Body(), []byte(`"next_cursor"`)) && f == large && from == start {
						b.Errorf("page one of 10,000 without a next cursor: %.200s", res.Body())
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		}
	}
	// The same keyset query the store sends (listColumns, LIMIT 51 to see whether a next page exists).
	const q = `SELECT id, tenant_id, batch_id, candidate_id, candidate_user_id, candidate_name, id_type, id_number, status,
  route, evidence_file_ids, eligibility_passed, eligibility_rule, theory_exempt, fee_fen, paid_at, paid_by, review_decision,
  review_reason, reviewed_by, reviewed_at, scores, result, held, created_at, updated_at
FROM applications WHERE tenant_id = $1 AND batch_id = $2 AND (created_at, id) > ($3, $4) ORDER BY created_at, id LIMIT 51`
	bare := func(mode pgx.QueryExecMode, f fixture, from position) func(b *testing.B) {
		return func(b *testing.B) {
			cfg, err := pgxpool.ParseConfig(dbtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			cfg.ConnConfig.DefaultQueryExecMode = mode
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rows, err := pool.Query(context.Background(), q, f.org.Tenant.ID, f.batch, from.at, from.id)
					if err != nil {
						b.Errorf("select: %v", err)
						return
					}
					n := 0
					for rows.Next() {
						if _, err := rows.Values(); err != nil {
							b.Errorf("values: %v", err)
							return
						}
						n++
					}
					if rows.Close(); rows.Err() != nil || n == 0 {
						b.Errorf("%d rows, %v", n, rows.Err())
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		}
	}
	// pgbench itself, for the wording: 8 clients on 2 threads send the same SELECT with literal
	// values for b.N pages in all; libpq receives every row but decodes nothing, so this is about the
	// fastest any client could go.
	pgbench := func(mode string, f fixture, from position) func(b *testing.B) {
		return func(b *testing.B) {
			lit := strings.NewReplacer("$1", dbtest.Literal(f.org.Tenant.ID), "$2", dbtest.Literal(f.batch),
				"$3", dbtest.Literal(from.at.Format(time.RFC3339Nano))+"::timestamptz", "$4", dbtest.Literal(from.id)+"::uuid").Replace(q)
			dbtest.PGBench(b, strings.Join(strings.Fields(lit), " ")+";\n", mode, 8, "pages")
		}
	}
	// wrk is the API's counterpart of pgbench: an external load generator in C, 8 connections on 2
	// threads, so the server's process does not also carry the client. It runs for a time, not b.N.
	wrkAPI := func(f fixture, from position) func(b *testing.B) {
		return func(b *testing.B) {
			bin, err := exec.LookPath("wrk")
			if err != nil {
				b.Skip("wrk is not installed")
			}
			uri := base + "/api/v1/batches/" + f.batch.String() + "/applications?limit=50"
			if from != start {
				uri += "&cursor=" + platform.EncodeCursor(from.at, from.id)
			}
			out, err := exec.Command(bin, "-t", "2", "-c", "8", "-d", "5s",
				"-H", "Authorization: Bearer "+f.org.Tokens["staff"], uri).CombinedOutput()
			if err != nil {
				b.Fatalf("wrk: %v\n%s", err, out)
			}
			if bytes.Contains(out, []byte("Non-2xx")) {
				b.Fatalf("wrk saw errors:\n%s", out)
			}
			m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
			if m == nil {
				b.Fatalf("wrk printed no rate:\n%s", out)
			}
			rps, _ := strconv.ParseFloat(string(m[1]), 64)
			b.ReportMetric(rps, "pages/s")
			b.ReportMetric(1e9/rps, "ns/op")
		}
	}
	b.Run("api/first", api(large, start))
	b.Run("api/deep", api(large, deep))
	b.Run("api/small-tenant", api(small, start))
	b.Run("wrk-api/first", wrkAPI(large, start))
	b.Run("wrk-api/deep", wrkAPI(large, deep))
	b.Run("sql-simple/first", bare(pgx.QueryExecModeSimpleProtocol, large, start))
	b.Run("sql-simple/deep", bare(pgx.QueryExecModeSimpleProtocol, large, deep))
	b.Run("sql-prepared/first", bare(pgx.QueryExecModeCacheStatement, large, start))
	b.Run("pgbench-simple/first", pgbench("simple", large, start))
	b.Run("pgbench-simple/deep", pgbench("simple", large, deep))
	b.Run("pgbench-prepared/first", pgbench("prepared", large, start))
}
