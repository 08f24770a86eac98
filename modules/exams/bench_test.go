package exams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs/jobstest"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// Benchmarks of exam administration (docs/benchmarks.md, "Exam administration"). Run:
//
//	go test ./modules/exams -run '^$' -bench 'Arrange10k|CheckInLatency' -benchtime 5x   (arrangement)
//	go test ./modules/exams -run '^$' -bench CheckInLatency -benchtime 1000x
//
// Each puts the figure beside its reference measured in the same run, iteration by iteration.

// seedApplications inserts n admitted applications into a closed batch of org directly (a fixture:
// 10,000 candidates through the API would take minutes), in application order, and returns their ids.
func seedApplications(b testing.TB, k *testkit.Kit, org *testkit.Org, batch uuid.UUID, n int) []uuid.UUID {
	b.Helper()
	var ids []uuid.UUID
	err := k.DB.NewRaw(`INSERT INTO applications (id, tenant_id, batch_id, candidate_id, candidate_name, id_type, id_number, status,
			eligibility_passed, eligibility_rule, eligibility, created_at, updated_at)
		SELECT gen_random_uuid(), ?, ?, gen_random_uuid(), '考生' || g, 'resident_id', 'X' || lpad(g::text, 17, '0'), 'eligible',
			true, 'bench', '{}', now() + g * interval '1 microsecond', now()
		FROM generate_series(1, ?) AS g ORDER BY g RETURNING id`, org.Tenant.ID, batch, n).Scan(context.Background(), &ids)
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkArrange10k arranges 10,000 candidates (one theory session of 20 rooms × 500 seats, shuffled
// with a new seed each time) through the service, beside the reference: an in-memory shuffle of the
// 10,000 seats and a COPY of them into exam_seats (as the table owner, rolled back).
func BenchmarkArrange10k(b *testing.B) {
	k := testkit.New(b)
	org := institution(b, k)
	e := closedBatch(b, k, org, 0, false)
	apps := seedApplications(b, k, org, e.batch, 10_000)
	seats := make([]int, 20)
	for i := range seats {
		seats[i] = 500
	}
	s := site(b, k, org, seats...)
	rooms := make([]uuid.UUID, len(s.Rooms))
	for i, r := range s.Rooms {
		rooms[i] = r.ID
	}
	start := time.Now().UTC().Truncate(time.Second).Add(30 * 24 * time.Hour)
	sess := session(b, k, e, "theory", start, start.Add(2*time.Hour), rooms...)
	ctx := tenants.WithActor(tenants.WithScope(context.Background(), tenants.Scope{TenantID: org.Tenant.ID, Kind: org.Tenant.Kind}),
		tenants.Actor{UserID: org.Users["staff"].ID, Name: "staff", Roles: []string{"staff"}})
	svc := k.Server.Exams.Exams
	// Warm: ticket numbers are given at the first arrangement only; later ones keep them.
	if _, err := svc.Arrange(ctx, e.batch, exams.ArrangeInput{Mode: exams.ModeShuffled, Seed: "warm"}); err != nil {
		b.Fatal(err)
	}

	// The reference clears the batch's seats first, untimed, in its transaction (rolled back after).
	reference := func() time.Duration {
		conn, err := k.DB.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		var d time.Duration
		err = conn.Raw(func(dc any) error {
			c := dc.(*stdlib.Conn).Conn()
			tx, err := c.Begin(context.Background())
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback(context.Background()) }()
			if _, err := tx.Exec(context.Background(), "DELETE FROM exam_seats WHERE tenant_id = $1 AND batch_id = $2", org.Tenant.ID, e.batch); err != nil {
				return err
			}
			t0 := time.Now()
			order := make([]int, len(apps))
			for i := range order {
				order[i] = i
			}
			r := rand.New(rand.NewPCG(uint64(t0.UnixNano()), 1))
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			_, err = tx.CopyFrom(context.Background(), pgx.Identifier{"exam_seats"},
				[]string{"tenant_id", "batch_id", "session_id", "room_id", "application_id", "seat"},
				pgx.CopyFromSlice(len(order), func(i int) ([]any, error) {
					return []any{org.Tenant.ID, e.batch, sess.ID, rooms[i/500], apps[order[i]], int32(i%500 + 1)}, nil
				}))
			if err != nil {
				return err
			}
			d = time.Since(t0) // the clock stops before the rollback
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	var got, ref []time.Duration
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		a, err := svc.Arrange(ctx, e.batch, exams.ArrangeInput{Mode: exams.ModeShuffled, Seed: fmt.Sprint("bench-", i)})
		if err != nil {
			b.Fatal(err)
		}
		got = append(got, time.Since(t0))
		if len(a.Seats) != len(apps) {
			b.Fatalf("%d seats", len(a.Seats))
		}
		ref = append(ref, reference())
	}
	b.StopTimer()
	b.ReportMetric(ms(median(got)), "arrange-ms")
	b.ReportMetric(ms(median(ref)), "shuffle+copy-ms")
	b.ReportMetric(float64(median(got))/float64(median(ref)), "ratio")
	b.Logf("n=%d arrange p50 %.1f ms, shuffle+COPY p50 %.1f ms, ratio %.2f", len(got), ms(median(got)), ms(median(ref)),
		float64(median(got))/float64(median(ref)))
}

// BenchmarkCheckInLatency checks candidates in by ticket token through the assembled app (a first
// check-in each: 201), alternating with a public certificate lookup by number through the same app,
// one keep-alive client, so both see the same load; it reports both p50s and their ratio.
func BenchmarkCheckInLatency(b *testing.B) {
	k := testkit.New(b)
	org := institution(b, k)
	e := closedBatch(b, k, org, 0, false)
	n := max(b.N, 50) + 50
	apps := seedApplications(b, k, org, e.batch, n)
	var seats []int
	for left := n; left > 0; left -= 500 {
		seats = append(seats, min(left, 500))
	}
	s := site(b, k, org, seats...)
	rooms := make([]uuid.UUID, len(s.Rooms))
	for i, r := range s.Rooms {
		rooms[i] = r.ID
	}
	now := time.Now().UTC().Truncate(time.Second)
	sess := session(b, k, e, "theory", now.Add(-time.Minute), now.Add(6*time.Hour), rooms...)
	a := arrange(b, k, e, "sequential", "")
	tokens := make(map[uuid.UUID]string, len(a.Seats))
	for _, st := range a.Seats {
		tokens[st.ApplicationID] = k.Server.Exams.Exams.SignTicket(exams.TicketClaims{TenantID: org.Tenant.ID, BatchID: e.batch,
			ApplicationID: st.ApplicationID, TicketNumber: st.TicketNumber})
	}
	numberOnce.Do(func() { issuedNumber = issueOne(b, k, org) })
	number := issuedNumber

	appURL := serveApp(b, k)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	checkIn := func(app uuid.UUID) time.Duration {
		body, _ := json.Marshal(map[string]any{"session_id": sess.ID, "ticket": tokens[app]})
		req, _ := http.NewRequest(http.MethodPost, appURL+"/api/v1/batches/"+e.batch.String()+"/check-ins", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+org.Tokens["staff"])
		req.Header.Set("Content-Type", "application/json")
		return do(b, client, req, http.StatusCreated)
	}
	lookup := func() time.Duration {
		req, _ := http.NewRequest(http.MethodGet, appURL+"/api/v1/public/certificates/"+number, nil)
		return do(b, client, req, http.StatusOK)
	}
	// Not a target, a floor: GET /api/v1/me is authentication alone (the same one pipelined round trip
	// the check-in's bearer costs) and nothing else, so (check-in − me) is what the check-in adds.
	me := func() time.Duration {
		req, _ := http.NewRequest(http.MethodGet, appURL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+org.Tokens["staff"])
		return do(b, client, req, http.StatusOK)
	}
	for i := range 50 { // warm: connections, pools, prepared statements
		checkIn(apps[n-1-i])
		lookup()
		me()
	}
	var got, ref, auth []time.Duration
	b.ResetTimer()
	for i := range b.N {
		got = append(got, checkIn(apps[i]))
		ref = append(ref, lookup())
		auth = append(auth, me())
	}
	b.StopTimer()
	b.ReportMetric(float64(median(got))/float64(time.Microsecond), "check-in-p50-µs")
	b.ReportMetric(float64(median(ref))/float64(time.Microsecond), "lookup-p50-µs")
	b.ReportMetric(float64(median(auth))/float64(time.Microsecond), "me-p50-µs")
	b.ReportMetric(float64(median(got))/float64(median(ref)), "ratio")
	b.Logf("n=%d check-in p50 %.0f µs, public lookup p50 %.0f µs, ratio %.2f; GET /me (authentication alone) p50 %.0f µs, %.2f× the lookup",
		len(got), float64(median(got))/1e3, float64(median(ref))/1e3, float64(median(got))/float64(median(ref)),
		float64(median(auth))/1e3, float64(median(auth))/float64(median(ref)))
}

func do(b *testing.B, c *http.Client, req *http.Request, want int) time.Duration {
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return d
}

var (
	numberOnce   sync.Once
	issuedNumber string // the certificate the lookups ask for, issued once per binary
)

var serveOnce sync.Once
var servedURL string

// serveApp serves the kit's app on a fresh 127.0.0.1 port (once per binary).
func serveApp(b *testing.B, k *testkit.Kit) string {
	serveOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = k.Server.App.Listener(ln) }()
		servedURL = "http://" + ln.Addr().String()
	})
	return servedURL
}

// issueOne issues one certificate to org the way the worker does and returns its number.
func issueOne(b *testing.B, k *testkit.Kit, org *testkit.Org) string {
	b.Helper()
	mk, err := credential.ParseMasterKey(testkit.MasterKey)
	if err != nil {
		b.Fatal(err)
	}
	rnd := func() (*render.Renderer, error) { return render.New(render.Options{}) }
	rec := &jobstest.Recorder{}
	lc := &k.Server.Lifecycle
	svc := certificates.NewService(certificates.Config{DB: k.DB, Jobs: rec, Institutions: k.Server.Directory,
		Filings: certificates.FilingsFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (certificates.ApprovedScope, error) {
			sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
			return certificates.ApprovedScope{EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial}, err
		}),
		Renderer: rnd, MasterKey: func() (*credential.MasterKey, error) { return mk, nil }, PublicURL: "https://skillcert.test"})
	fb := certificates.FinalizedBatch{BatchID: uuid.New(), TenantID: org.Tenant.ID, OccupationCode: electrician,
		OccupationName: "电工", Level: 4, FinalizedAt: time.Now(), Passed: []certificates.PassedApplication{{
			ApplicationID: uuid.New(), CandidateID: uuid.New(), HolderName: "李明", IDType: "resident_id", IDNumber: residentID(b)}}}
	if err := tenants.WithTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return svc.OnFinalized(ctx, tx, fb)
	}); err != nil {
		b.Fatal(err)
	}
	for _, task := range rec.Take() {
		if task.Type != certificates.TaskIssueChunk {
			continue
		}
		ctx := tenants.WithActor(tenants.WithScope(context.Background(), tenants.Scope{TenantID: task.TenantID}), tenants.Actor{Name: "system:job"})
		if err := svc.HandleIssueChunk(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	list, err := svc.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 10}, certificates.ListFilter{BatchID: &fb.BatchID})
	if err != nil || len(list.Items) != 1 || list.Items[0].Number == "" {
		b.Fatalf("issued %+v %v", list, err)
	}
	return list.Items[0].Number
}
