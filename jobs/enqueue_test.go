package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestDuplicateTaskIDRunsOnce(t *testing.T) {
	r := testRedis(t)
	c, in := mustClient(t, r), mustInspector(t, r)
	tenantA, tenantB := uuid.New(), uuid.New()
	ctx := context.Background()

	// Enqueued before any worker runs: if TaskID did not deduplicate, two tasks would wait.
	for _, e := range []struct {
		tenant uuid.UUID
		id     string
	}{
		{tenantA, "batch/7/publish"},
		{tenantA, "batch/7/publish"}, // a retried request: must not queue a second run
		{tenantB, "batch/7/publish"}, // another tenant's batch 7: its own task
	} {
		if err := c.Enqueue(ctx, "test:publish", e.tenant, notice{Batch: "7"}, TaskID(e.id)); err != nil {
			t.Fatalf("Enqueue(%v): %v (a taken TaskID must not be an error)", e, err)
		}
	}
	if n, err := in.Pending(QueueDefault); err != nil || n != 2 {
		t.Fatalf("pending = %d, %v; want 2 (one per tenant)", n, err)
	}

	var ran recorder[uuid.UUID]
	mustServer(t, r, testConfig(t, nil), func(s *Server) {
		s.Handle("test:publish", func(_ context.Context, task Task) error { ran.add(task.TenantID); return nil })
	})
	waitIdle(t, in)
	counts := map[uuid.UUID]int{}
	for _, id := range ran.all() {
		counts[id]++
	}
	if counts[tenantA] != 1 || counts[tenantB] != 1 || len(counts) != 2 {
		t.Errorf("runs per tenant = %v, want exactly one each for %s and %s", counts, tenantA, tenantB)
	}
}

// TestTaskIDAfterCompletion pins down the asynq fact the package documents: a TaskID deduplicates
// only while its task is stored, so deduplicating past completion takes Retention.
func TestTaskIDAfterCompletion(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		wantRuns  int
	}{
		{"without retention the id is free again once the task ran", 0, 2},
		{"with retention the completed task still holds the id", time.Hour, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRedis(t)
			c, in := mustClient(t, r), mustInspector(t, r)
			var ran recorder[string]
			mustServer(t, r, testConfig(t, nil), func(s *Server) {
				s.Handle("test:render", func(_ context.Context, task Task) error { ran.add(task.ID); return nil })
			})
			opts := []Option{TaskID("certificate/42/render")}
			if tt.retention > 0 {
				opts = append(opts, Retention(tt.retention))
			}
			tenant := uuid.New()
			for range 2 {
				if err := c.Enqueue(context.Background(), "test:render", tenant, nil, opts...); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the run", func() bool { return ran.len() >= 1 })
				waitIdle(t, in)
			}
			if got := ran.len(); got != tt.wantRuns {
				t.Errorf("runs = %d, want %d", got, tt.wantRuns)
			}
		})
	}
}

func TestEnqueueOptions(t *testing.T) {
	r := testRedis(t)
	c, in := mustClient(t, r), mustInspector(t, r)
	ctx := context.Background()
	tenant := uuid.New()
	if err := c.Enqueue(ctx, "test:opts", tenant, nil, Queue(QueueCritical), MaxRetry(3), TaskID("a"), Timeout(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(ctx, "test:opts", tenant, nil, Queue(QueueLow), ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.Enqueue(ctx, "test:opts", tenant, nil, Queue(QueueLow), ProcessAt(time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	stats, err := in.Stats()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, s := range stats {
		got[s.Queue] = [2]int{s.Pending, s.Scheduled}
	}
	want := map[string][2]int{QueueCritical: {1, 0}, QueueDefault: {0, 0}, QueueLow: {0, 2}}
	for q, w := range want {
		if got[q] != w {
			t.Errorf("queue %s [pending, scheduled] = %v, want %v", q, got[q], w)
		}
	}
	info, err := in.i.GetTaskInfo(QueueCritical, scopedTaskID("test:opts", tenant, "a"))
	if err != nil {
		t.Fatalf("task by scoped id: %v", err)
	}
	if info.MaxRetry != 3 || info.Timeout != time.Minute {
		t.Errorf("task info = MaxRetry %d Timeout %v, want 3 and 1m", info.MaxRetry, info.Timeout)
	}
}

func TestEnqueueRejects(t *testing.T) {
	r := testRedis(t)
	c := mustClient(t, r)
	tests := []struct {
		name    string
		typ     string
		payload any
		opts    []Option
		is      error
	}{
		{"empty type", " ", nil, nil, nil},
		{"unknown queue", "test:x", nil, []Option{Queue("emails")}, ErrUnknownQueue},
		{"payload that is not JSON", "test:x", make(chan int), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Enqueue(context.Background(), tt.typ, uuid.Nil, tt.payload, tt.opts...)
			if err == nil {
				t.Fatal("Enqueue succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
}
