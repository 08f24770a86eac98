package certificates_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

func count(t testing.TB, db bun.IDB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// serialsOf returns the serials of the issued numbers of list, sorted, checking each number parses.
func serialsOf(t testing.TB, list []certificates.Certificate) []int {
	t.Helper()
	var out []int
	for _, c := range list {
		if c.Status == certificates.StatusPending {
			continue
		}
		n, err := certificates.ParseNumber(c.Number)
		if err != nil {
			t.Fatalf("number %q: %v", c.Number, err)
		}
		out = append(out, n.Serial)
	}
	slices.Sort(out)
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestFinalizeQueuesPendingCertificatesOnce(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, certificates.ChunkSize+7, 4)

	list := certs(t, svc, org, b.BatchID)
	if len(list) != certificates.ChunkSize+7 {
		t.Fatalf("%d certificates, want one per passed application", len(list))
	}
	for _, c := range list {
		if c.Status != certificates.StatusPending || c.Number != "" || c.IssuedOn != nil {
			t.Fatalf("a queued certificate must be pending without a number: %+v", c)
		}
	}
	if tasks := rec.take(); len(tasks) != 2 {
		t.Fatalf("%d tasks, want one per chunk of %d", len(tasks), certificates.ChunkSize)
	}
	// Finalize delivered twice (a retried hook): nothing new, no task.
	onFinalized(t, e, svc, org, b)
	if n := len(certs(t, svc, org, b.BatchID)); n != certificates.ChunkSize+7 {
		t.Fatalf("%d certificates after a repeated finalize", n)
	}
	if tasks := rec.take(); len(tasks) != 0 {
		t.Fatalf("a repeated finalize enqueued %d tasks", len(tasks))
	}
	// A rolled-back finalize leaves nothing behind.
	other := certificates.FinalizedBatch{BatchID: uuid.New(), OccupationCode: electrician, OccupationName: "电工", Level: 4,
		Passed: []certificates.PassedApplication{{ApplicationID: uuid.New(), CandidateID: uuid.New(), HolderName: "李四", IDType: "resident_id", IDNumber: "1"}}}
	boom := errors.New("finalize failed after the hook")
	err := tenants.WithTx(org.Ctx(context.Background()), e.k.DB, func(ctx context.Context, tx bun.Tx) error {
		if err := svc.OnFinalized(ctx, tx, other); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || len(certs(t, svc, org, other.BatchID)) != 0 {
		t.Fatalf("rolled back finalize: %v", err)
	}
	// Its task finds no chunk: retried a few times, then dropped.
	tasks := rec.take()
	task := jobs.Task{Type: tasks[0].Type, TenantID: tasks[0].TenantID, Payload: tasks[0].Payload, MaxRetry: 10}
	if err := svc.HandleIssueChunk(taskCtx(task.TenantID), task); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("first attempt on an invisible chunk: %v, want a retry", err)
	}
	task.Retried = 3
	if err := svc.HandleIssueChunk(taskCtx(task.TenantID), task); !jobs.IsPermanent(err) {
		t.Fatalf("late attempt on a missing chunk: %v, want permanent", err)
	}
	// Invalid input is refused.
	bad := b
	bad.Level = 7
	err = tenants.WithTx(org.Ctx(context.Background()), e.k.DB, func(ctx context.Context, tx bun.Tx) error {
		return svc.OnFinalized(ctx, tx, bad)
	})
	if platform.CodeOf(err) != "validation_failed" {
		t.Fatalf("level 7: %v", err)
	}
}

func TestIssuingTwiceIssuesOnce(t *testing.T) {
	e := setup(t)
	org, site := e.institution(t, tenants.KindSocialOrg)
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, 5, 3)
	tasks := rec.take()
	run(t, svc, tasks)
	first := certs(t, svc, org, b.BatchID)
	// Delivered again (asynq is at least once) and once more concurrently: nothing changes.
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); run(t, svc, tasks) }()
	}
	wg.Wait()
	again := certs(t, svc, org, b.BatchID)
	if !slices.EqualFunc(first, again, func(a, b certificates.Certificate) bool { return a.Number == b.Number && a.Status == b.Status }) {
		t.Fatal("running the task again changed certificates")
	}
	if got := serialsOf(t, again); !slices.Equal(got, seq(1, 5)) {
		t.Fatalf("serials %v", got)
	}
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year() % 100
	for _, c := range again {
		n, _ := certificates.ParseNumber(c.Number)
		if n.Issuer != 'S' || n.EvaluatorCode != "0000" || n.ProvinceCode != "11" || n.SiteSerial != site || n.Year != year || n.Level != 3 {
			t.Fatalf("number %s = %+v", c.Number, n)
		}
	}
	if n := count(t, e.k.DB, `SELECT coalesce(sum(jsonb_array_length(after->'issued')), 0) FROM audit_log WHERE tenant_id = ? AND action = 'certificate.issue'`, org.Tenant.ID); n != 5 {
		t.Fatalf("%d certificates in issue audit entries", n)
	}
	if n := count(t, e.k.DB, `SELECT count(*) FROM report_outbox WHERE tenant_id = ? AND kind = 'certificate.issued'`, org.Tenant.ID); n != 5 {
		t.Fatalf("%d issue reports", n)
	}
}

// TestConcurrentIssuanceNumbersAreUniqueAndGapFree issues many chunks of one institution at once from
// two connection pools and many goroutines, each task delivered twice, and checks that serials per
// level run 1..n without a gap or a repeat.
func TestConcurrentIssuanceNumbersAreUniqueAndGapFree(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	db2, err := platform.OpenPostgres(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	svcA, recA := e.service(t, quiet)
	svcB, _ := e.service(t, quiet, func(c *certificates.Config) { c.DB = db2 })

	var batches4, batches3 []uuid.UUID
	for i := 0; i < 6; i++ {
		batches4 = append(batches4, finalize(t, e, svcA, org, 25, 4).BatchID)
	}
	for i := 0; i < 2; i++ {
		batches3 = append(batches3, finalize(t, e, svcA, org, 20, 3).BatchID)
	}
	tasks := recA.take()
	var wg sync.WaitGroup
	for i, task := range append(tasks, tasks...) {
		wg.Add(1)
		go func(svc *certificates.Service, task recordedTask) {
			defer wg.Done()
			_ = svc.HandleIssueChunk(taskCtx(task.TenantID), jobs.Task{Type: task.Type, TenantID: task.TenantID, Payload: task.Payload, MaxRetry: 10})
		}([]*certificates.Service{svcA, svcB}[i%2], task)
	}
	wg.Wait()
	// A duplicate that found its chunk's rows locked by the original left them to it; anything still
	// pending would be the reconciler's, so there must be none.
	var level4, level3 []certificates.Certificate
	for _, id := range batches4 {
		level4 = append(level4, certs(t, svcA, org, id)...)
	}
	for _, id := range batches3 {
		level3 = append(level3, certs(t, svcA, org, id)...)
	}
	for _, c := range append(level4, level3...) {
		if c.Status != certificates.StatusIssued {
			t.Fatalf("certificate %s is %s", c.ID, c.Status)
		}
	}
	if got := serialsOf(t, level4); !slices.Equal(got, seq(1, 150)) {
		t.Fatalf("level 4 serials %v, want 1..150", got)
	}
	if got := serialsOf(t, level3); !slices.Equal(got, seq(1, 40)) {
		t.Fatalf("level 3 serials %v, want 1..40", got)
	}
	if n := count(t, e.k.DB, `SELECT count(DISTINCT status_list_index) FROM certificates WHERE tenant_id = ?`, org.Tenant.ID); n != 190 {
		t.Fatalf("%d distinct status list entries, want 190", n)
	}
}

// failingPhotos fails the nth photo lookup: a crash in the middle of a chunk's transaction.
type failingPhotos struct {
	mu   sync.Mutex
	n    int
	fail int
}

func (f *failingPhotos) PhotoTx(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n == f.fail {
		return nil, errors.New("connection reset")
	}
	return nil, platform.NotFound("photo")
}

func TestCrashMidChunkRollsEverythingBack(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	photos := &failingPhotos{fail: 4}
	svc, rec := e.service(t, quiet, func(c *certificates.Config) { c.Photos = photos })
	b := finalize(t, e, svc, org, 6, 4)
	tasks := rec.take()
	task := jobs.Task{Type: tasks[0].Type, TenantID: tasks[0].TenantID, Payload: tasks[0].Payload, MaxRetry: 10}
	if err := svc.HandleIssueChunk(taskCtx(org.Tenant.ID), task); err == nil || jobs.IsPermanent(err) {
		t.Fatalf("a failure mid-chunk must fail the attempt for a retry, got %v", err)
	}
	for _, c := range certs(t, svc, org, b.BatchID) {
		if c.Status != certificates.StatusPending || c.Number != "" {
			t.Fatalf("after the failed attempt: %+v", c)
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM certificate_documents WHERE tenant_id = ?`,
		`SELECT count(*) FROM certificate_lookup WHERE institution_id = ?`,
		`SELECT count(*) FROM certificate_serials WHERE tenant_id = ?`,
		`SELECT count(*) FROM certificate_status_lists WHERE tenant_id = ?`,
		`SELECT count(*) FROM certificate_keys WHERE tenant_id = ?`,
		`SELECT count(*) FROM report_outbox WHERE tenant_id = ? AND kind = 'certificate.issued'`,
		`SELECT coalesce(sum(jsonb_array_length(after->'issued')), 0) FROM audit_log WHERE tenant_id = ? AND action = 'certificate.issue'`,
	} {
		if n := count(t, e.k.DB, q, org.Tenant.ID); n != 0 {
			t.Errorf("%s = %d after a rolled-back attempt", q, n)
		}
	}
	// The retry issues all six with the serials the failed attempt had taken: no gap.
	if err := svc.HandleIssueChunk(taskCtx(org.Tenant.ID), task); err != nil {
		t.Fatal(err)
	}
	if got := serialsOf(t, certs(t, svc, org, b.BatchID)); !slices.Equal(got, seq(1, 6)) {
		t.Fatalf("serials %v after the retry", got)
	}
}

func TestUnrenderableCertificateIsSetAside(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	rend, err := sharedRenderer()
	if err != nil {
		t.Fatal(err)
	}
	var glyph string
	for _, r := range []rune{'\U0001F600', '\U00013000', '\U0001D11E', '\uE000', '\u0F00'} {
		if len(rend.MissingGlyphs(string(r))) == 1 {
			glyph = string(r)
			break
		}
	}
	if glyph == "" {
		t.Skip("the fonts draw every probe character")
	}
	svc, rec := e.service(t, quiet)
	b := certificates.FinalizedBatch{BatchID: uuid.New(), OccupationCode: electrician, OccupationName: "电工", Level: 4}
	for i, name := range []string{"张伟", "李" + glyph + "明", "王芳"} {
		b.Passed = append(b.Passed, certificates.PassedApplication{ApplicationID: uuid.New(), CandidateID: uuid.New(),
			HolderName: name, IDType: "resident_id", IDNumber: fmt.Sprint(i)})
	}
	onFinalized(t, e, svc, org, b)
	run(t, svc, rec.take())
	list := certs(t, svc, org, b.BatchID)
	if got := serialsOf(t, list); !slices.Equal(got, seq(1, 2)) {
		t.Fatalf("serials %v: the two good certificates must issue without a gap", got)
	}
	var stuck certificates.Certificate
	for _, c := range list {
		if c.Status == certificates.StatusPending {
			stuck = c
		}
	}
	if !strings.HasPrefix(stuck.LastError, "missing_glyphs") || stuck.Attempts != 1 {
		t.Fatalf("the unrenderable certificate: %+v", stuck)
	}
	// It waits in a chunk of its own for a later retry, backing off.
	var chunk struct {
		Source  string    `bun:"source"`
		RetryAt time.Time `bun:"retry_at"`
	}
	if err := e.k.DB.NewRaw(`SELECT ch.source, ch.retry_at FROM certificate_chunks ch JOIN certificates c ON c.chunk_id = ch.id
		WHERE c.id = ?`, stuck.ID).Scan(context.Background(), &chunk); err != nil {
		t.Fatal(err)
	}
	if chunk.Source != "retry:"+stuck.ID.String() || time.Until(chunk.RetryAt) < 30*time.Second {
		t.Fatalf("the failed certificate's chunk %+v", chunk)
	}
}

func TestOutOfScopeIsRecordedAndDeferred(t *testing.T) {
	e := setup(t)
	org := e.k.Tenant(t, tenants.KindEnterprise, "110105") // no filing
	svc, rec := e.service(t, quiet)
	b := finalize(t, e, svc, org, 2, 4)
	tasks := rec.take()
	err := svc.HandleIssueChunk(taskCtx(org.Tenant.ID), jobs.Task{Type: tasks[0].Type, TenantID: org.Tenant.ID, Payload: tasks[0].Payload, MaxRetry: 10})
	if !jobs.IsPermanent(err) || platform.CodeOf(err) != "out_of_scope" {
		t.Fatalf("issuing outside the approved scope: %v", err)
	}
	for _, c := range certs(t, svc, org, b.BatchID) {
		if c.Status != certificates.StatusPending || !strings.HasPrefix(c.LastError, "out_of_scope") || c.Attempts != 1 {
			t.Fatalf("%+v", c)
		}
	}
}

func TestReconcilerReenqueuesLostTasks(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	svc, rec := e.service(t, quiet, func(c *certificates.Config) { c.Now = clock })
	b := finalize(t, e, svc, org, 4, 4)
	lost := rec.take() // Redis lost the task
	mine := func(tasks []recordedTask) []recordedTask {
		var out []recordedTask
		for _, task := range tasks {
			if string(task.Payload) == string(lost[0].Payload) {
				out = append(out, task)
			}
		}
		return out
	}
	// Other tests' chunks may be due too: the assertions look at this test's chunk only.
	reconcile := func(svc *certificates.Service) {
		if _, err := svc.Reconcile(context.Background()); err != nil {
			t.Logf("reconcile (other tests' chunks may fail): %v", err)
		}
	}
	reconcile(svc)
	if len(mine(rec.take())) != 0 {
		t.Fatal("the reconciler took the chunk before its retry time")
	}
	advance(certificates.DefaultRetryAfter + time.Second)
	reconcile(svc)
	tasks := mine(rec.take())
	if len(tasks) != 1 {
		t.Fatalf("the reconciler enqueued the lost chunk %d times", len(tasks))
	}
	run(t, svc, tasks)
	for _, c := range certs(t, svc, org, b.BatchID) {
		if c.Status != certificates.StatusIssued {
			t.Fatalf("%+v", c)
		}
	}
	advance(certificates.DefaultRetryAfter + time.Second)
	reconcile(svc)
	if len(mine(rec.take())) != 0 {
		t.Fatal("a done chunk was enqueued again")
	}

	// With a real queue the reconciler asks it about the chunk's task: a task still waiting there is
	// left alone (no re-enqueue storm while the workers are busy), a task the queue does not hold
	// (lost with Redis) is replaced under a new task id.
	ropt, err := jobs.RedisFromURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := jobs.NewClient(ropt)
	defer client.Close()
	genOf := func(batchID uuid.UUID) int {
		t.Helper()
		var gen int
		if err := e.k.DB.NewRaw(`SELECT gen FROM certificate_chunks WHERE id = (SELECT chunk_id FROM certificates WHERE batch_id = ? LIMIT 1)`, batchID).
			Scan(context.Background(), &gen); err != nil {
			t.Fatal(err)
		}
		return gen
	}
	svc2, _ := e.service(t, quiet, func(c *certificates.Config) { c.Now = clock; c.Jobs = client })
	b2 := finalize(t, e, svc2, org, 1, 3)
	for i := 1; i <= 2; i++ {
		advance(certificates.DefaultRetryAfter + time.Second)
		reconcile(svc2)
		if gen := genOf(b2.BatchID); gen != 0 {
			t.Fatalf("a chunk whose task waits in the queue was enqueued again (generation %d)", gen)
		}
	}
	// Jobs records instead of enqueueing, so the real queue never holds the task: as after a FLUSHDB.
	svc4, rec4 := e.service(t, quiet, func(c *certificates.Config) { c.Now = clock; c.Queue = client })
	b4 := finalize(t, e, svc4, org, 1, 3)
	first := rec4.take()
	reconcile(svc4)
	if len(mineOf(first, rec4.take())) != 0 || genOf(b4.BatchID) != 0 {
		t.Fatal("the reconciler took a lost chunk before its retry time")
	}
	advance(certificates.DefaultRetryAfter + time.Second)
	reconcile(svc4)
	if tasks := mineOf(first, rec4.take()); len(tasks) != 1 || genOf(b4.BatchID) != 1 {
		t.Fatalf("a chunk whose task the queue lost: enqueued %d times, generation %d; want once, 1", len(tasks), genOf(b4.BatchID))
	}
	// Without a queue the reconciler issues itself (dev tools, tests).
	svc3, _ := e.service(t, quiet, func(c *certificates.Config) { c.Now = clock; c.Jobs = nil })
	b3 := finalize(t, e, svc3, org, 2, 4)
	advance(certificates.DefaultRetryAfter + time.Second)
	reconcile(svc3)
	for _, c := range certs(t, svc3, org, b3.BatchID) {
		if c.Status != certificates.StatusIssued {
			t.Fatalf("reconciler without a queue: %+v", c)
		}
	}
}

// mineOf returns the tasks of tasks that carry the payload of the first of lost.
func mineOf(lost, tasks []recordedTask) []recordedTask {
	var out []recordedTask
	for _, task := range tasks {
		if len(lost) > 0 && string(task.Payload) == string(lost[0].Payload) {
			out = append(out, task)
		}
	}
	return out
}

func quiet(c *certificates.Config) { c.Log = quietLog }
