package certificates_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// prodWorkers starts two worker processes with production settings, the scheduler firing the
// reconciler on its production schedule in each, with concurrency tasks at once.
func prodWorkers(tb testing.TB, concurrency int) (a, b *worker) {
	tb.Helper()
	env := fmt.Sprintf("%s=%d", workerProdEnv, concurrency)
	return startWorker(tb, "cert-prod-a", env), startWorker(tb, "cert-prod-b", env)
}

// recoveryService is the finalizing side: it enqueues on the real queue and runs no reconciler.
func recoveryService(tb testing.TB, e *env) *certificates.Service {
	tb.Helper()
	ropt, err := jobs.RedisFromURL(dbtest.RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	client := jobs.NewClient(ropt)
	tb.Cleanup(func() { client.Close() })
	svc, _ := e.service(tb, quiet, func(c *certificates.Config) { c.Jobs = client })
	return svc
}

// loseQueue empties the package's Redis DB, as a Redis restarted without persistence would be.
func loseQueue(tb testing.TB) {
	tb.Helper()
	if err := dbtest.Redis(tb).FlushDB(context.Background()).Err(); err != nil {
		tb.Fatal(err)
	}
}

// waitIssued waits until n certificates of the tenant are issued; the deadline only keeps a broken
// run from hanging (how fast issuance resumes is BenchmarkIssuanceRecovery's business).
func waitIssued(tb testing.TB, e *env, tenantID uuid.UUID, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for issuedCount(tb, e, tenantID) < n {
		if time.Now().After(deadline) {
			tb.Fatalf("only %d of %d certificates issued", issuedCount(tb, e, tenantID), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIssuanceRecoversOnProductionSchedule: with the workers' own scheduler running the reconciler
// on its production schedule (nothing driven by the test), a worker SIGKILLed mid-chunk and the
// whole queue lost (FLUSHDB) while chunks wait in it still end with every certificate issued exactly
// once, numbered without duplicates or gaps.
func TestIssuanceRecoversOnProductionSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	e := setup(t)
	org, site := e.institution(t, "enterprise")
	svc := recoveryService(t, e)
	a, b := prodWorkers(t, 1)

	const total = 600
	batch := finalize(t, e, svc, org, total, 4)
	killed := waitAnyInWriteTx(t, e, a.name, b.name)
	for _, w := range []*worker{a, b} {
		if w.name == killed {
			w.kill(t)
		}
	}
	t.Logf("SIGKILLed %s mid-transaction, %d certificates issued so far", killed, issuedCount(t, e, org.Tenant.ID))
	loseQueue(t)
	var lost int
	if err := e.k.DB.NewRaw(`SELECT count(*) FROM certificate_chunks WHERE tenant_id = ? AND done_at IS NULL`, org.Tenant.ID).
		Scan(context.Background(), &lost); err != nil {
		t.Fatal(err)
	}
	t.Logf("queue flushed with %d chunks not done, %d certificates issued", lost, issuedCount(t, e, org.Tenant.ID))
	if lost < 2 {
		t.Fatalf("only %d chunks left when the queue was lost: the test lost nothing", lost)
	}
	waitIssued(t, e, org.Tenant.ID, total)
	checkIssuedOnce(t, e, svc, org, site, batch.BatchID, total)
}

// BenchmarkIssuanceRecovery measures, with production settings (reconciler every 10 s on the
// workers' scheduler, 15 s chunk leases, 20 s retry time, asynq's default polling), how long
// issuance takes to resume:
//
//   - sigkill: from SIGKILLing the worker mid-chunk (the other worker alive) to that chunk's
//     certificates being issued;
//   - queue-loss: from FLUSHDB of the queue's Redis DB, while chunks wait in it, to the first
//     certificate of a lost chunk being issued.
//
// Each iteration takes 10–40 s: run it with -benchtime=Nx. Figures are in docs/benchmarks.md.
func BenchmarkIssuanceRecovery(b *testing.B) {
	e := setup(b)
	svc := recoveryService(b, e)

	b.Run("sigkill", func(b *testing.B) {
		wa, wb := prodWorkers(b, 1)
		var total time.Duration
		for i := 0; i < b.N; i++ {
			org, _ := e.institution(b, "enterprise")
			finalize(b, e, svc, org, certificates.ChunkSize, 4) // one chunk
			killed := waitAnyInWriteTx(b, e, wa.name, wb.name)
			start := time.Now()
			for _, w := range []*worker{wa, wb} {
				if w.name == killed {
					w.kill(b)
				}
			}
			waitIssued(b, e, org.Tenant.ID, certificates.ChunkSize)
			total += time.Since(start)
			b.Logf("resumed %.1f s after SIGKILL", time.Since(start).Seconds())
			// The next iteration needs two workers again.
			for _, w := range []**worker{&wa, &wb} {
				if (*w).name == killed {
					*w = startWorker(b, killed, fmt.Sprintf("%s=1", workerProdEnv))
				}
			}
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/resume")
	})

	b.Run("queue-loss", func(b *testing.B) {
		prodWorkers(b, 1)
		var total time.Duration
		for i := 0; i < b.N; i++ {
			org, _ := e.institution(b, "enterprise")
			finalize(b, e, svc, org, 20*certificates.ChunkSize, 4)
			waitIssued(b, e, org.Tenant.ID, 1)
			loseQueue(b)
			start := time.Now()
			// Chunks in flight at the loss wrote their lease within milliseconds of starting; after
			// the loss no task can start until the reconciler enqueues again.
			time.Sleep(500 * time.Millisecond)
			lost := lostChunks(b, e, org.Tenant.ID)
			if len(lost) == 0 {
				b.Fatal("no chunk waited in the queue when it was lost")
			}
			waitIssued(b, e, org.Tenant.ID, 20*certificates.ChunkSize)
			var first time.Time
			if err := e.k.DB.NewRaw(`SELECT min(issued_at) FROM certificates WHERE tenant_id = ? AND chunk_id IN (?)`,
				org.Tenant.ID, bun.In(lost)).Scan(context.Background(), &first); err != nil {
				b.Fatal(err)
			}
			d := first.Sub(start)
			total += d
			b.Logf("resumed %.1f s after the queue was lost (%d chunks lost)", d.Seconds(), len(lost))
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/resume")
	})
}

// lostChunks lists the tenant's chunks not done that no worker holds.
func lostChunks(tb testing.TB, e *env, tenantID uuid.UUID) []uuid.UUID {
	tb.Helper()
	var ids []uuid.UUID
	if err := e.k.DB.NewRaw(`SELECT id FROM certificate_chunks WHERE tenant_id = ? AND done_at IS NULL AND lease_until IS NULL`, tenantID).
		Scan(context.Background(), &ids); err != nil {
		tb.Fatal(err)
	}
	return ids
}
