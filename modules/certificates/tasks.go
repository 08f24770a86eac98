package certificates

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Task types of the certificates module.
const (
	// TaskIssueChunk issues one chunk of pending certificates (payload chunkPayload, per tenant).
	TaskIssueChunk = "certificates:issue_chunk"
	// TaskReconcile re-enqueues chunks left pending (platform-wide, scheduled every 10 seconds).
	TaskReconcile = "certificates:reconcile"
)

// ReconcileSchedule is how often the reconciler runs. A run costs one indexed query when nothing is
// due, so it runs often: issuance resumes within chunkLease plus this of a worker's death, and within
// DefaultRetryAfter plus this of the queue's loss.
const ReconcileSchedule = "@every 10s"

// chunkLease is how long an issuance task's lease on its chunk lasts unless renewed; the task renews
// it every chunkLease/3 while it runs. A chunk whose lease expired while it is not done lost its
// worker (SIGKILL, OOM, a lost host): the reconciler enqueues it again without waiting for asynq,
// which recovers a dead worker's task only a minute or more after its own 30 s lease.
const chunkLease = 15 * time.Second

// chunkMaxRetry bounds the retries of one issuance task; the reconciler takes over after that.
const chunkMaxRetry = 10

// reconcileBatch bounds how many chunks one reconciler run enqueues.
const reconcileBatch = 500

type chunkPayload struct {
	ChunkID uuid.UUID `json:"chunk_id"`
}

// enqueueChunk queues the issuance task of a chunk. A failure is only logged: the chunk row is the
// durable record, and the reconciler enqueues it when its retry time comes.
func (s *Service) enqueueChunk(ctx context.Context, tenantID, chunkID uuid.UUID, gen int) {
	if s.enq == nil {
		return
	}
	err := s.enq.Enqueue(ctx, TaskIssueChunk, tenantID, chunkPayload{ChunkID: chunkID},
		jobs.TaskID(chunkTaskID(chunkID, gen)), jobs.MaxRetry(chunkMaxRetry), jobs.Timeout(5*time.Minute))
	if err != nil {
		s.log.WarnContext(ctx, "certificates: enqueueing an issuance task failed; the reconciler will retry",
			"chunk_id", chunkID, "err", err)
	}
}

// chunkTaskID is the TaskID of generation gen of a chunk's issuance task.
func chunkTaskID(chunkID uuid.UUID, gen int) string { return fmt.Sprintf("chunk/%s/%d", chunkID, gen) }

// RegisterJobs registers the issuance handler and the reconciler, scheduled every 10 seconds.
func (s *Service) RegisterJobs(js *jobs.Server, sch *jobs.Scheduler) error {
	js.Handle(TaskIssueChunk, s.HandleIssueChunk)
	js.Handle(TaskReconcile, s.HandleReconcile)
	if sch == nil {
		return nil
	}
	// The critical queue, so that a default queue backed up with issuance tasks does not delay the
	// run that recovers them.
	return sch.Schedule(ReconcileSchedule, TaskReconcile, nil, jobs.MaxRetry(0), jobs.Queue(jobs.QueueCritical))
}

// HandleIssueChunk is the TaskIssueChunk handler.
func (s *Service) HandleIssueChunk(ctx context.Context, t jobs.Task) error {
	var p chunkPayload
	if err := t.Decode(&p); err != nil {
		return err
	}
	release := s.holdLease(ctx, p.ChunkID)
	defer release()
	n, err := s.IssueChunk(ctx, p.ChunkID)
	switch {
	case err == nil:
		if n > 0 {
			s.log.InfoContext(ctx, "certificates: chunk issued", "chunk_id", p.ChunkID, "issued", n)
		}
		return nil
	case errors.Is(err, errChunkNotVisible):
		// Enqueued inside the finalizing transaction, the task may run before that commits: retry a
		// few times. If it never appears, the transaction rolled back and there is nothing to do
		// (should it commit late after all, the reconciler enqueues the chunk).
		if t.Retried >= 3 {
			return jobs.Permanent(err)
		}
		return err
	case errors.Is(err, ErrSuspended), platform.CodeOf(err) == "out_of_scope":
		// Recorded on the certificates and postponed; the reconciler tries again later.
		return jobs.Permanent(err)
	default:
		return err
	}
}

// HandleReconcile is the TaskReconcile handler.
func (s *Service) HandleReconcile(ctx context.Context, _ jobs.Task) error {
	n, err := s.Reconcile(ctx)
	if n > 0 {
		s.log.InfoContext(ctx, "certificates: re-enqueued pending chunks", "chunks", n)
	}
	return err
}

// holdLease takes the lease of the chunk for the task starting on it and renews it until the returned
// release is called, which drops it. The lease only tells the reconciler that a live worker is on the
// chunk; issuing stays safe without it (each certificate is issued once by the database's
// constraints), so failures to write it are logged, not returned.
func (s *Service) holdLease(ctx context.Context, chunkID uuid.UUID) (release func()) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return func() {}
	}
	return platform.HoldLease(ctx, chunkLease, s.clock, func(wctx context.Context, until *time.Time) {
		err := tenants.WithTx(wctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return leaseChunk(ctx, tx, scope.TenantID, chunkID, until)
		})
		if err != nil {
			s.log.WarnContext(ctx, "certificates: writing a chunk lease", "chunk_id", chunkID, "err", err)
		}
	})
}

// Reconcile looks at the chunks that still hold pending certificates and need attention, at most
// reconcileBatch per run, and enqueues each again under a new task id when its task can no longer be
// counted on:
//   - its lease expired: the worker issuing it died (SIGKILL, OOM, a lost host); asynq would run
//     the task again only a minute or more later;
//   - its retry time came and its task is not in the queue (lost with Redis, never enqueued, or
//     archived after failing), or a lookup is not configured.
//
// A chunk whose task is still waiting in the queue (pending, scheduled, or retrying after an error)
// is left to it and looked at again after RetryAfter; a chunk under a live lease is being issued.
// A task that was replaced and runs after all finds nothing left to issue. Without a task queue
// (Config.Jobs nil) the reconciler issues the chunks itself. It returns how many chunks it took up.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	now := s.clock()
	var due []dueChunk
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		due, err = dueChunks(ctx, tx, now, reconcileBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	taken := 0
	var errs []error
	waiting := map[uuid.UUID][]uuid.UUID{} // by tenant: chunks whose task is still on its way
	for _, d := range due {
		if d.LeaseUntil == nil && s.enq != nil && s.lookup != nil {
			state, err := s.lookup.TaskState(ctx, jobs.QueueDefault, TaskIssueChunk, d.TenantID, chunkTaskID(d.ID, d.Gen))
			if err != nil {
				errs = append(errs, fmt.Errorf("chunk %s: %w", d.ID, err))
				continue
			}
			// An active task without a lease on its chunk is a worker that died before it wrote
			// the lease (or a task that just started: a duplicate run then issues nothing twice).
			if state == jobs.TaskPending || state == jobs.TaskScheduled || state == jobs.TaskRetry {
				waiting[d.TenantID] = append(waiting[d.TenantID], d.ID)
				continue
			}
		}
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: d.TenantID})
		var gen int
		var ok bool
		err := tenants.WithTx(tctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			var err error
			gen, ok, err = claimDueChunk(ctx, tx, d.TenantID, d.ID, d.Gen, now, now.Add(s.retryAfter))
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("chunk %s: %w", d.ID, err))
			continue
		}
		if !ok {
			continue
		}
		taken++
		if s.enq != nil {
			s.enqueueChunk(tctx, d.TenantID, d.ID, gen)
			continue
		}
		if _, err := s.IssueChunk(tctx, d.ID); err != nil {
			errs = append(errs, fmt.Errorf("chunk %s: %w", d.ID, err))
		}
	}
	for tenantID, ids := range waiting {
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID})
		err := tenants.WithTx(tctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return postponeChunks(ctx, tx, tenantID, ids, now.Add(s.retryAfter))
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return taken, errors.Join(errs...)
}
