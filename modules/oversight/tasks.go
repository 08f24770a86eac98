package oversight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

// Task types of the oversight module.
const (
	// TaskDispatch moves outbox events into regulators' report stores (platform-wide, every few
	// seconds; each run keeps polling for a few seconds, so a report usually arrives within a second).
	TaskDispatch = "oversight:dispatch"
	// TaskDeliver sends one regulator's queued reports to its external system.
	TaskDeliver = "oversight:deliver"
	// TaskReconcile fans the daily reconciliation out to every regulator.
	TaskReconcile = "oversight:reconcile"
	// TaskReconcileRegulator reconciles one regulator's jurisdiction.
	TaskReconcileRegulator = "oversight:reconcile-regulator"
	// TaskCrossCheck runs the daily cross-institution checks (一人多证, 重复考证).
	TaskCrossCheck = "oversight:crosscheck"
)

// Schedules of the periodic tasks (Beijing time when the scheduler runs in CST).
const (
	DispatchEvery     = 5 * time.Second
	dispatchSpec      = "@every 5s"
	reconcileSpec     = "30 2 * * *"
	crossCheckSpec    = "0 3 * * *"
	dispatchPollEvery = 250 * time.Millisecond
)

// Tasks runs the module's background work on the job queue (Deps.Jobs). With a queue it is also
// what the inbox and delivery kick: deliveries start right after reports arrive instead of at the
// next tick.
type Tasks struct {
	svc   *Service
	enq   jobs.Enqueuer
	dir   Directory
	db    *bun.DB
	lease time.Duration // a delivery run's lease: its task's timeout
	log   *slog.Logger
}

// Register adds the handlers to js and the periodic tasks to sch.
func (t *Tasks) Register(js *jobs.Server, sch *jobs.Scheduler) error {
	js.Handle(TaskDispatch, t.dispatch)
	js.Handle(TaskDeliver, t.deliver)
	js.Handle(TaskReconcile, t.reconcileFanOut)
	js.Handle(TaskReconcileRegulator, t.reconcile)
	js.Handle(TaskCrossCheck, t.crossCheck)
	if sch == nil {
		return nil
	}
	for _, s := range []struct {
		spec, typ string
		opts      []jobs.Option
	}{
		{dispatchSpec, TaskDispatch, []jobs.Option{jobs.Queue(jobs.QueueCritical), jobs.MaxRetry(0), jobs.Timeout(time.Minute)}},
		{reconcileSpec, TaskReconcile, []jobs.Option{jobs.Queue(jobs.QueueLow)}},
		{crossCheckSpec, TaskCrossCheck, []jobs.Option{jobs.Queue(jobs.QueueLow), jobs.Timeout(2 * time.Hour)}},
	} {
		if err := sch.Schedule(s.spec, s.typ, nil, s.opts...); err != nil {
			return err
		}
	}
	return nil
}

// KickDelivery enqueues a delivery run for the regulator unless one is already queued or running.
func (t *Tasks) KickDelivery(ctx context.Context, regulatorID uuid.UUID) {
	if t.enq == nil {
		return
	}
	err := t.enq.Enqueue(ctx, TaskDeliver, regulatorID, nil, jobs.TaskID("deliver"), jobs.Queue(jobs.QueueDefault),
		jobs.MaxRetry(3), jobs.Timeout(t.lease))
	if err != nil {
		t.log.Warn("oversight: could not enqueue a delivery run; the next tick will", "regulator", regulatorID, "err", err)
	}
}

// dispatch drains the outbox, then keeps polling it for most of the schedule period so that reports
// reach regulators within a fraction of a second rather than at the next tick; then it kicks the
// regulators whose deliveries are due (retries whose backoff ended).
func (t *Tasks) dispatch(ctx context.Context, _ jobs.Task) error {
	window := time.Now().Add(DispatchEvery - time.Second)
	for {
		r, err := t.svc.Inbox.Dispatch(ctx)
		if err != nil {
			return err
		}
		if time.Now().After(window) {
			break
		}
		if r.Events == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(dispatchPollEvery):
			}
		}
	}
	ids, err := t.svc.Delivery.DueRegulators(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		t.KickDelivery(ctx, id)
	}
	return nil
}

// regulatorCtx gives a task the regulator's full scope (kind and region), whatever the worker's scope
// resolver filled in.
func (t *Tasks) regulatorCtx(ctx context.Context, task jobs.Task) (context.Context, error) {
	reg, err := t.dir.ByID(ctx, task.TenantID)
	if err != nil {
		return nil, jobs.Permanent(err)
	}
	if reg.Kind != tenants.KindRegulator {
		return nil, jobs.Permanent(fmt.Errorf("oversight: tenant %s is not a regulator", reg.ID))
	}
	return tenants.WithScope(ctx, core.ScopeOf(reg)), nil
}

func (t *Tasks) deliver(ctx context.Context, task jobs.Task) error {
	ctx, err := t.regulatorCtx(ctx, task)
	if err != nil {
		return err
	}
	_, err = t.svc.Delivery.Deliver(ctx)
	return err
}

func (t *Tasks) reconcileFanOut(ctx context.Context, task jobs.Task) error {
	if t.enq == nil {
		return jobs.Permanent(errors.New("oversight: no job queue to fan the reconciliation out on"))
	}
	var ids []uuid.UUID
	err := tenants.SystemReadTx(ctx, t.db, func(ctx context.Context, tx bun.Tx) (err error) {
		ids, err = core.Regulators(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	period := task.Period
	if period.IsZero() {
		period = time.Now().UTC()
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, t.enq.Enqueue(ctx, TaskReconcileRegulator, id, nil, jobs.Queue(jobs.QueueLow),
			jobs.TaskID("reconcile/"+period.Format("2006-01-02")), jobs.Retention(36*time.Hour), jobs.Timeout(time.Hour)))
	}
	return errors.Join(errs...)
}

func (t *Tasks) reconcile(ctx context.Context, task jobs.Task) error {
	ctx, err := t.regulatorCtx(ctx, task)
	if err != nil {
		return err
	}
	_, err = t.svc.Reconcile.Run(ctx)
	return err
}

func (t *Tasks) crossCheck(ctx context.Context, _ jobs.Task) error {
	_, err := t.svc.CrossCheck.Run(ctx)
	return err
}
