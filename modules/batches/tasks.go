package batches

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
)

// TaskLateResults is the daily platform-wide task that flags batches whose results are overdue
// (FlagLateResults).
const TaskLateResults = "batches:late_results"

// LateResultsSchedule is when TaskLateResults runs: daily, at midnight of the scheduler's zone.
const LateResultsSchedule = "@daily"

// LateResultsHandler runs FlagLateResults as of the day the task was scheduled for (Task.Period), or
// now when it was enqueued by hand. Flagging is idempotent, so a retried or doubly delivered task is
// harmless.
func (s *Service) LateResultsHandler() jobs.HandlerFunc {
	return func(ctx context.Context, t jobs.Task) error {
		asOf := t.Period
		if asOf.IsZero() {
			asOf = s.now()
		}
		_, err := s.FlagLateResults(ctx, asOf)
		return err
	}
}

// Register adds the late-results task's handler to js and its daily schedule to sch (either may be nil:
// a process that runs no worker or no scheduler).
func (s *Service) Register(js *jobs.Server, sch *jobs.Scheduler) error {
	if js != nil {
		js.Handle(TaskLateResults, s.LateResultsHandler())
	}
	if sch != nil {
		return sch.Schedule(LateResultsSchedule, TaskLateResults, struct{}{}, jobs.Queue(jobs.QueueLow))
	}
	return nil
}
