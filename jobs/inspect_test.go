package jobs

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

func TestQueueCollector(t *testing.T) {
	r := testRedis(t)
	c, in := mustClient(t, r), mustInspector(t, r)
	reg := prometheus.NewRegistry()
	reg.MustRegister(in.Collector())

	// Before any enqueue asynq knows no queue; the gauges still report zeros, not an error.
	if got := metricValue(t, reg, "skillcert_jobs_queue_tasks", "queue", QueueLow, "state", "pending"); got != 0 {
		t.Errorf("pending on an unused queue = %v, want 0", got)
	}
	for range 2 {
		if err := c.Enqueue(context.Background(), "test:bulk", uuid.New(), nil, Queue(QueueLow)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Enqueue(context.Background(), "test:urgent", uuid.New(), nil, Queue(QueueCritical)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		queue, state string
		want         float64
	}{
		{QueueLow, "pending", 2},
		{QueueCritical, "pending", 1},
		{QueueDefault, "pending", 0},
		{QueueLow, "active", 0},
	}
	for _, tt := range tests {
		if got := metricValue(t, reg, "skillcert_jobs_queue_tasks", "queue", tt.queue, "state", tt.state); got != tt.want {
			t.Errorf("skillcert_jobs_queue_tasks{queue=%q,state=%q} = %v, want %v", tt.queue, tt.state, got, tt.want)
		}
	}
	if n, err := in.Pending(QueueLow); err != nil || n != 2 {
		t.Errorf("Pending(low) = %d, %v; want 2", n, err)
	}
	if _, err := in.Pending("emails"); err == nil {
		t.Error("Pending of an unknown queue should fail")
	}
}
