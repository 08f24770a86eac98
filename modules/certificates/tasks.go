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
	// TaskReconcile re-enqueues chunks left pending (platform-wide, scheduled every minute).
	TaskReconcile = "certificates:reconcile"
)

// ReconcileSchedule is how often the reconciler runs.
const ReconcileSchedule = "@every 1m"

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
		jobs.TaskID(fmt.Sprintf("chunk/%s/%d", chunkID, gen)), jobs.MaxRetry(chunkMaxRetry), jobs.Timeout(5*time.Minute))
	if err != nil {
		s.log.WarnContext(ctx, "certificates: enqueueing an issuance task failed; the reconciler will retry",
			"chunk_id", chunkID, "err", err)
	}
}

// RegisterJobs registers the issuance handler and the reconciler, scheduled every minute.
func (s *Service) RegisterJobs(js *jobs.Server, sch *jobs.Scheduler) error {
	js.Handle(TaskIssueChunk, s.HandleIssueChunk)
	js.Handle(TaskReconcile, s.HandleReconcile)
	if sch == nil {
		return nil
	}
	return sch.Schedule(ReconcileSchedule, TaskReconcile, nil, jobs.MaxRetry(0))
}

// HandleIssueChunk is the TaskIssueChunk handler.
func (s *Service) HandleIssueChunk(ctx context.Context, t jobs.Task) error {
	var p chunkPayload
	if err := t.Decode(&p); err != nil {
		return err
	}
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

// Reconcile finds chunks whose retry time has come while they still hold pending certificates (their
// task was lost, a worker died, an earlier attempt failed) and enqueues each again under a new task id,
// pushing its retry time out by RetryAfter. Without a task queue (Config.Jobs nil) it issues them
// itself. It returns how many chunks it took up.
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
	for _, d := range due {
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: d.TenantID})
		var gen int
		var ok bool
		err := tenants.WithTx(tctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			var err error
			gen, ok, err = claimDueChunk(ctx, tx, d.TenantID, d.ID, now, now.Add(s.retryAfter))
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
	return taken, errors.Join(errs...)
}
