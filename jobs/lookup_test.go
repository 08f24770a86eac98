package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTaskState(t *testing.T) {
	r := testRedis(t)
	c := mustClient(t, r)
	ctx := context.Background()
	tenant := uuid.New()
	if err := c.Enqueue(ctx, "test:lookup", tenant, nil, TaskID("now")); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(ctx, "test:lookup", tenant, nil, TaskID("later"), ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		queue  string
		tenant uuid.UUID
		id     string
		want   TaskState
	}{
		{"pending", "", tenant, "now", TaskPending},
		{"scheduled", QueueDefault, tenant, "later", TaskScheduled},
		{"never enqueued", "", tenant, "other", TaskMissing},
		{"another tenant's id", "", uuid.New(), "now", TaskMissing},
		{"a queue no task went to", QueueLow, tenant, "now", TaskMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.TaskState(ctx, tt.queue, "test:lookup", tt.tenant, tt.id)
			if err != nil || got != tt.want {
				t.Fatalf("TaskState = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := c.TaskState(ctx, "nope", "test:lookup", tenant, "now"); !errors.Is(err, ErrUnknownQueue) {
		t.Fatalf("unknown queue: err = %v, want ErrUnknownQueue", err)
	}

	// Losing the queue (Redis flushed or restarted empty) loses the task.
	flushTestRedis(t)
	if got, err := c.TaskState(ctx, "", "test:lookup", tenant, "now"); err != nil || got != TaskMissing {
		t.Fatalf("after FLUSHDB: TaskState = %v, %v; want missing", got, err)
	}
}
