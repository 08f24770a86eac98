package filings

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
)

// TaskExpiry is the daily platform-wide task that expires filings and warns ahead (RunExpiry).
const TaskExpiry = "filings:expiry"

// ExpirySchedule is when TaskExpiry runs: daily, at midnight of the scheduler's zone.
const ExpirySchedule = "@daily"

// ExpiryHandler runs RunExpiry for the day the task was scheduled for (Task.Period), or for now when
// it was enqueued by hand. RunExpiry is idempotent, so a retried or doubly delivered task is harmless.
func (s *Service) ExpiryHandler() jobs.HandlerFunc {
	return func(ctx context.Context, t jobs.Task) error {
		asOf := t.Period
		if asOf.IsZero() {
			asOf = s.now()
		}
		_, err := s.RunExpiry(ctx, asOf)
		return err
	}
}

// Register adds the expiry task's handler to js and its daily schedule to sch (either may be nil: a
// process that runs no worker or no scheduler).
func (s *Service) Register(js *jobs.Server, sch *jobs.Scheduler) error {
	if js != nil {
		js.Handle(TaskExpiry, s.ExpiryHandler())
	}
	if sch != nil {
		return sch.Schedule(ExpirySchedule, TaskExpiry, struct{}{}, jobs.Queue(jobs.QueueLow))
	}
	return nil
}
