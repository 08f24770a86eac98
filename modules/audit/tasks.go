package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/skillcert/skillcert/jobs"
)

// Task types of the audit module: both make checkpoints (checkpoint.go), platform-wide.
const (
	// TaskCheckpointReported checkpoints the tenants that reported since their last checkpoint, every
	// few seconds (as often as reports are dispatched), so a signed head follows each report.
	TaskCheckpointReported = "audit:checkpoint-reported"
	// TaskCheckpointMoved checkpoints, hourly, every institution whose head moved since its last one.
	TaskCheckpointMoved = "audit:checkpoint-moved"
)

const (
	checkpointReportedSpec = "@every 5s"
	checkpointMovedSpec    = "@hourly"
)

// Tasks runs the audit module's background work.
type Tasks struct {
	svc *Service
	log *slog.Logger
}

// NewTasks returns the task handlers of svc.
func NewTasks(svc *Service, log *slog.Logger) *Tasks {
	if log == nil {
		log = slog.Default()
	}
	return &Tasks{svc: svc, log: log}
}

// Register adds the handlers to js and the periodic tasks to sch (nil: handlers only).
func (t *Tasks) Register(js *jobs.Server, sch *jobs.Scheduler) error {
	js.Handle(TaskCheckpointReported, t.checkpointReported)
	js.Handle(TaskCheckpointMoved, t.checkpointMoved)
	if sch == nil {
		return nil
	}
	if err := sch.Schedule(checkpointReportedSpec, TaskCheckpointReported, nil,
		jobs.Queue(jobs.QueueDefault), jobs.MaxRetry(0), jobs.Timeout(time.Minute)); err != nil {
		return err
	}
	return sch.Schedule(checkpointMovedSpec, TaskCheckpointMoved, nil, jobs.Queue(jobs.QueueLow), jobs.Timeout(30*time.Minute))
}

func (t *Tasks) checkpointReported(ctx context.Context, _ jobs.Task) error {
	n, err := t.svc.CheckpointReported(ctx)
	if n > 0 {
		t.log.Debug("audit: checkpoints made after reports", "checkpoints", n)
	}
	return err
}

func (t *Tasks) checkpointMoved(ctx context.Context, _ jobs.Task) error {
	n, err := t.svc.CheckpointMoved(ctx)
	t.log.Info("audit: hourly checkpoints", "checkpoints", n)
	return err
}
