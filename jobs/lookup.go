package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// TaskState is where a task stands in its queue, as TaskState reports it.
type TaskState int

// The states of a task. TaskMissing is a task Redis does not hold: it never was enqueued, it ran
// and was removed, or the queue was lost (Redis flushed, or restarted without persistence).
const (
	TaskMissing   TaskState = iota
	TaskPending             // waiting to run now
	TaskScheduled           // waiting for its ProcessAt/ProcessIn time
	TaskActive              // taken by a worker (which may have died: asynq recovers it only after its lease)
	TaskRetry               // failed, waiting for its next attempt
	TaskArchived            // failed for good; it will not run again
	TaskCompleted           // done, kept for its Retention
)

var taskStateNames = [...]string{"missing", "pending", "scheduled", "active", "retry", "archived", "completed"}

func (s TaskState) String() string {
	if s < 0 || int(s) >= len(taskStateNames) {
		return fmt.Sprintf("TaskState(%d)", int(s))
	}
	return taskStateNames[s]
}

// TaskLookup tells where a task enqueued with a TaskID stands. *Client implements it; services that
// reconcile their own durable records against the queue take this interface.
type TaskLookup interface {
	// TaskState returns the state of the task of type typ for tenantID enqueued with TaskID(id) on
	// queue ("" for QueueDefault): TaskMissing when Redis holds no such task. It returns
	// ErrUnknownQueue for a queue no server serves, and Redis errors.
	TaskState(ctx context.Context, queue, typ string, tenantID uuid.UUID, id string) (TaskState, error)
}

var _ TaskLookup = (*Client)(nil)

// TaskState implements TaskLookup with one Redis round trip.
func (c *Client) TaskState(_ context.Context, queue, typ string, tenantID uuid.UUID, id string) (TaskState, error) {
	queue = orQueue(queue)
	if !knownQueue(queue) {
		return TaskMissing, fmt.Errorf("%w %q", ErrUnknownQueue, queue)
	}
	info, err := c.insp.GetTaskInfo(queue, scopedTaskID(typ, tenantID, id))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return TaskMissing, nil
	case err != nil:
		return TaskMissing, fmt.Errorf("jobs: looking up task %s %s: %w", typ, id, err)
	}
	switch info.State {
	case asynq.TaskStatePending, asynq.TaskStateAggregating:
		return TaskPending, nil
	case asynq.TaskStateScheduled:
		return TaskScheduled, nil
	case asynq.TaskStateActive:
		return TaskActive, nil
	case asynq.TaskStateRetry:
		return TaskRetry, nil
	case asynq.TaskStateArchived:
		return TaskArchived, nil
	case asynq.TaskStateCompleted:
		return TaskCompleted, nil
	}
	return TaskMissing, fmt.Errorf("jobs: task %s %s in unknown state %v", typ, id, info.State)
}
