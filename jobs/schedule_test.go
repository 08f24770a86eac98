package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// TestTwoSchedulersRunEachPeriodOnce runs two schedulers, as two worker processes would, and checks
// that each period's task runs once although both fire for it.
func TestTwoSchedulersRunEachPeriodOnce(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	c, in := mustClient(t, r), mustInspector(t, r)
	var ran recorder[Task]
	mustServer(t, r, testConfig(t, reg), func(s *Server) {
		s.Handle("test:tick", func(_ context.Context, task Task) error { ran.add(task); return nil })
	})
	for range 2 {
		s, err := NewScheduler(c, SchedulerConfig{Logger: testLogger(t), Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Schedule("@every 1s", "test:tick", notice{Batch: "nightly"}, Queue(QueueLow)); err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(s.Shutdown)
	}
	waitFor(t, "two periods to run", func() bool { return ran.len() >= 2 })

	// The duplicate of a period is enqueued at the same moment as the original; wait for the
	// queues to drain so that a duplicate, had it been queued, would have run by now.
	waitIdle(t, in)
	perPeriod := map[time.Time]int{}
	for _, task := range ran.all() {
		perPeriod[task.Period]++
		if task.Period.IsZero() || !task.Period.Equal(task.Period.Truncate(time.Second)) {
			t.Errorf("period = %v, want a whole second", task.Period)
		}
		if task.TenantID != uuid.Nil || task.Queue != QueueLow || !strings.Contains(task.ID, ":schedule:") {
			t.Errorf("task = %+v, want a platform-wide task in the low queue with a schedule id", task)
		}
		var n notice
		if err := task.Decode(&n); err != nil || n.Batch != "nightly" {
			t.Errorf("payload = %+v, %v", n, err)
		}
	}
	for p, n := range perPeriod {
		if n != 1 {
			t.Errorf("period %v ran %d times, want once", p, n)
		}
	}
	if got := metricValue(t, reg, "skillcert_jobs_scheduled_total", "type", "test:tick", "outcome", "duplicate"); got < 1 {
		t.Errorf("duplicate enqueues = %v; both schedulers should have fired for some period", got)
	}
	if got := metricValue(t, reg, "skillcert_jobs_scheduled_total", "type", "test:tick", "outcome", "error"); got != 0 {
		t.Errorf("scheduler errors = %v, want 0", got)
	}
}

func TestScheduleRejects(t *testing.T) {
	s, err := NewScheduler(NewClient(RedisAddr("127.0.0.1:1")), SchedulerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    string
		payload any
		opts    []Option
	}{
		{"bad spec", "every day at three", nil, nil},
		{"six fields (seconds are not supported)", "0 0 3 * * *", nil, nil},
		{"payload that is not JSON", "@hourly", func() {}, nil},
		{"unknown queue", "@hourly", nil, []Option{Queue("emails")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Schedule(tt.spec, "test:x", tt.payload, tt.opts...); err == nil {
				t.Error("Schedule succeeded")
			}
		})
	}
}

func TestPeriodStart(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	beijing := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name   string
		now    time.Time
		period time.Duration
		want   time.Time
	}{
		{"cron firing a moment after the minute", at("2025-03-01T03:00:00.004Z"), time.Minute, at("2025-03-01T03:00:00Z")},
		{"same instant seen from Beijing", at("2025-03-01T03:00:00.004Z").In(beijing), time.Minute, at("2025-03-01T03:00:00Z")},
		{"@every 1h started at :10 and at :40 share the hour", at("2025-03-01T11:10:00Z"), time.Hour, at("2025-03-01T11:00:00Z")},
		{"… the other process", at("2025-03-01T11:40:00Z"), time.Hour, at("2025-03-01T11:00:00Z")},
		{"@every 1s", at("2025-03-01T11:40:07.01Z"), time.Second, at("2025-03-01T11:40:07Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := periodStart(tt.now, tt.period)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("periodStart = %v, want %v in UTC", got, tt.want)
			}
		})
	}
}
