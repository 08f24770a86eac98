package certificates_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/server"
	"github.com/skillcert/skillcert/modules/testkit"
)

// workerEnv makes the test binary run as a worker process (see workerMain).
const workerEnv = "SKILLCERT_TEST_CERT_WORKER"

// workerProdEnv makes the worker process run like `skillcert worker`: the jobs server's production
// defaults (1 s polling, 5 s for retries) and the scheduler firing, so that the reconciler runs on its
// production schedule instead of being driven by the test. Its value is the concurrency.
const workerProdEnv = "SKILLCERT_TEST_CERT_WORKER_PROD"

// workerMain is `skillcert worker` in miniature: the assembled server's task handlers on the queues,
// configured from the environment the test gives it. It prints "ready" once it takes tasks.
func workerMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "worker:", err); return 1 }
	cfg, err := platform.LoadConfig(os.Getenv)
	if err != nil {
		return fail(err)
	}
	db, err := platform.OpenPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return fail(err)
	}
	rdb, err := platform.OpenRedis(ctx, cfg.RedisURL)
	if err != nil {
		return fail(err)
	}
	ropt, err := jobs.RedisFromURL(cfg.RedisURL)
	if err != nil {
		return fail(err)
	}
	client := jobs.NewClient(ropt)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := server.New(ctx, server.Deps{DB: db, Redis: rdb, Log: log, Config: cfg, Jobs: client})
	if err != nil {
		return fail(err)
	}
	jcfg := jobs.Config{Concurrency: 2, PollInterval: 20 * time.Millisecond,
		DelayedPollInterval: 200 * time.Millisecond, RetryBaseDelay: 200 * time.Millisecond, RetryMaxDelay: time.Second,
		ShutdownTimeout: time.Second, Logger: log}
	prod := os.Getenv(workerProdEnv)
	if prod != "" {
		n, err := strconv.Atoi(prod)
		if err != nil {
			return fail(err)
		}
		jcfg = jobs.Config{Concurrency: n, ShutdownTimeout: time.Second, Logger: log}
	}
	js, err := jobs.NewServer(ropt, jcfg)
	if err != nil {
		return fail(err)
	}
	// Unless in production mode, schedules are registered but never fired: the test drives the
	// reconciler itself.
	sch, err := jobs.NewScheduler(client, jobs.SchedulerConfig{Logger: log})
	if err != nil {
		return fail(err)
	}
	if err := srv.RegisterJobs(js, sch); err != nil {
		return fail(err)
	}
	if err := js.Start(); err != nil {
		return fail(err)
	}
	if prod != "" {
		sch.Start()
		defer sch.Shutdown()
	}
	fmt.Println("ready")
	<-ctx.Done()
	js.Shutdown()
	return 0
}

// worker is a running worker process.
type worker struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func startWorker(t testing.TB, name string, env ...string) *worker {
	t.Helper()
	dbURL, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := dbURL.Query()
	q.Set("application_name", name) // lets the test find the worker's transactions in pg_stat_activity
	dbURL.RawQuery = q.Encode()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"=1",
		"SKILLCERT_DATABASE_URL="+dbURL.String(), "SKILLCERT_REDIS_URL="+dbtest.RedisURL(t),
		"SKILLCERT_MASTER_KEY="+testMasterKey, "SKILLCERT_PUBLIC_URL="+setup(t).svc.PublicURL(),
		"SKILLCERT_PUBLIC_RATE=0", "SKILLCERT_DATA_DIR="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &worker{name: name, cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); close(w.done) }()
	select {
	case <-ready:
	case <-w.done:
		t.Fatalf("worker %s exited before it was ready", name)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("worker %s did not start", name)
	}
	t.Cleanup(func() { w.stop() })
	return w
}

func (w *worker) kill(t testing.TB) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-w.done
}

func (w *worker) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// waitInWriteTx waits until the worker's database session is inside a transaction that has written
// (it has a transaction id): the worker is mid-chunk, between allocating numbers and committing.
func waitInWriteTx(t testing.TB, e *env, name string) {
	t.Helper()
	waitAnyInWriteTx(t, e, name)
}

// waitAnyInWriteTx is waitInWriteTx for whichever of the named workers gets there first; it returns
// that worker's name. Only a transaction that has locked certificate rows counts: the workers' other
// writes (a chunk lease, a reconciler's claim, other modules' periodic jobs) are not issuing.
func waitAnyInWriteTx(t testing.TB, e *env, names ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var found []string
		err := e.k.DB.NewRaw(`SELECT application_name FROM pg_stat_activity
			WHERE application_name IN (?) AND backend_xid IS NOT NULL AND state IN ('active', 'idle in transaction')
			AND EXISTS (SELECT 1 FROM pg_locks AS l WHERE l.pid = pg_stat_activity.pid
				AND l.relation = 'certificates'::regclass AND l.mode IN ('RowShareLock', 'RowExclusiveLock'))`, bun.In(names)).
			Scan(context.Background(), &found)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			return found[0]
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("workers %v never got into an issuing transaction", names)
	return ""
}

// TestIssuanceSurvivesKilledWorkers is the done-criterion: 1,000 certificates issue with two
// worker processes while one is SIGKILLed twice mid-transaction, and every certificate is issued
// exactly once with a valid, unique, gap-free number.
func TestIssuanceSurvivesKilledWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	e := setup(t)
	org, site := e.institution(t, "enterprise")
	ropt, err := jobs.RedisFromURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := jobs.NewClient(ropt)
	defer client.Close()
	// The finalizing side and the reconciler run here, with a short retry time so that chunks
	// whose task died with the worker are enqueued again within seconds.
	svc, _ := e.service(t, func(c *certificates.Config) { c.Jobs = client; c.RetryAfter = 2 * time.Second })

	start := time.Now()
	a := startWorker(t, "cert-worker-a")
	startWorker(t, "cert-worker-b")
	t.Logf("workers ready after %v", time.Since(start))

	const total = 1000
	b := finalize(t, e, svc, org, total, 4)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the scheduled reconciler, every 300 ms instead of every minute
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := svc.Reconcile(context.Background()); err != nil {
				t.Errorf("reconcile: %v", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	for kill := 1; kill <= 2; kill++ {
		waitInWriteTx(t, e, a.name)
		a.kill(t)
		t.Logf("SIGKILLed worker A mid-transaction (%d), %d certificates issued so far", kill, issuedCount(t, e, org.Tenant.ID))
		a = startWorker(t, a.name)
		t.Logf("worker A restarted at %v", time.Since(start))
	}

	deadline := time.Now().Add(60 * time.Second)
	for issuedCount(t, e, org.Tenant.ID) < total {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d certificates issued", issuedCount(t, e, org.Tenant.ID), total)
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Logf("all %d issued at %v", total, time.Since(start))
	checkIssuedOnce(t, e, svc, org, site, b.BatchID, total)
}

// checkIssuedOnce checks that the batch's total certificates, alone in the tenant, are issued
// exactly once each, with valid, unique, gap-free numbers 1..total, and that everything issuing
// writes besides the certificate exists once per certificate.
func checkIssuedOnce(t *testing.T, e *env, svc *certificates.Service, org *testkit.Org, site string, batchID uuid.UUID, total int) {
	t.Helper()
	list := certs(t, svc, org, batchID)
	if len(list) != total {
		t.Fatalf("%d certificates, want %d (one per passed application)", len(list), total)
	}
	seen := map[string]bool{}
	serials := make([]bool, total+1)
	for _, c := range list {
		n, err := certificates.ParseNumber(c.Number)
		if err != nil {
			t.Fatalf("certificate %s has an invalid number %q: %v", c.ID, c.Number, err)
		}
		if seen[c.Number] {
			t.Fatalf("number %s issued twice", c.Number)
		}
		seen[c.Number] = true
		if c.Status != certificates.StatusIssued || n.Issuer != 'Y' || n.ProvinceCode != "11" || n.SiteSerial != site || n.Level != 4 {
			t.Fatalf("certificate %+v / number %+v", c, n)
		}
		if n.Serial < 1 || n.Serial > total || serials[n.Serial] {
			t.Fatalf("serial %d out of 1..%d or repeated", n.Serial, total)
		}
		serials[n.Serial] = true
	}
	// Exactly once, also in what issuing writes besides the certificate: one audit entry, one report,
	// one document and one public lookup row each, and the counter at the last serial.
	for _, q := range []struct {
		what, sql string
	}{
		{"certificates in issue audit entries", `SELECT coalesce(sum(jsonb_array_length(after->'issued')), 0) FROM audit_log WHERE tenant_id = ? AND action = 'certificate.issue'`},
		{"reports", `SELECT count(*) FROM report_outbox WHERE tenant_id = ? AND kind = 'certificate.issued'`},
		{"documents", `SELECT count(*) FROM certificate_documents WHERE tenant_id = ?`},
		{"lookup rows", `SELECT count(*) FROM certificate_lookup WHERE institution_id = ?`},
		{"serial counter", `SELECT last FROM certificate_serials WHERE tenant_id = ? AND series = 'national'`},
		{"status list entries", `SELECT next_index FROM certificate_status_lists WHERE tenant_id = ?`},
	} {
		var n int
		if err := e.k.DB.NewRaw(q.sql, org.Tenant.ID).Scan(context.Background(), &n); err != nil {
			t.Fatal(err)
		}
		if n != total {
			t.Errorf("%s: %d, want %d", q.what, n, total)
		}
	}
	// A sample of credentials verifies against the platform's keys and status list.
	ctx2 := org.Ctx(context.Background())
	for _, c := range list[:5] {
		cred, _, err := svc.Credential(ctx2, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res := svc.VerifyCredential(ctx2, cred); !res.Valid {
			t.Fatalf("credential of %s: %+v", c.Number, res)
		}
		if !strings.Contains(string(cred), c.Number) {
			t.Fatalf("credential does not carry the number %s", c.Number)
		}
	}
}

func issuedCount(t testing.TB, e *env, tenantID uuid.UUID) int {
	t.Helper()
	var n int
	if err := e.k.DB.NewRaw(`SELECT count(*) FROM certificates WHERE tenant_id = ? AND status = 'issued'`, tenantID).
		Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
