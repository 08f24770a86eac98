package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// seen is what a handler observed about its context and task.
type seen struct {
	Task      Task
	Scope     tenants.Scope
	HasScope  bool
	Actor     tenants.Actor
	RequestID string
	Payload   notice
}

type notice struct {
	Batch string `json:"batch"`
	Count int    `json:"count"`
}

func TestHandlerContext(t *testing.T) {
	r := testRedis(t)
	tenantA := uuid.New()
	var got recorder[seen]
	handle := func(ctx context.Context, task Task) error {
		s := seen{Task: task, Actor: tenants.ActorFrom(ctx), RequestID: platform.RequestID(ctx)}
		s.Scope, s.HasScope = tenants.FromContext(ctx)
		if err := task.Decode(&s.Payload); err != nil {
			return err
		}
		got.add(s)
		return nil
	}
	// The resolver plays the tenant lookup the worker wires in; the test checks its result arrives.
	cfg := testConfig(t, nil)
	cfg.Scope = func(_ context.Context, id uuid.UUID) (tenants.Scope, error) {
		return tenants.Scope{TenantID: id, Kind: tenants.KindSchool, RegionCode: "110101", Slug: "school-a"}, nil
	}
	mustServer(t, r, cfg, func(s *Server) { s.Handle("test:notice", handle) })
	c := mustClient(t, r)

	tests := []struct {
		name      string
		tenant    uuid.UUID
		wantScope tenants.Scope
		wantHas   bool
	}{
		{"tenant task runs in the tenant's scope", tenantA,
			tenants.Scope{TenantID: tenantA, Kind: tenants.KindSchool, RegionCode: "110101", Slug: "school-a"}, true},
		{"platform-wide task runs without a scope", uuid.Nil, tenants.Scope{}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := platform.WithRequestID(context.Background(), "req-"+tt.name)
			payload := notice{Batch: "B-" + tt.name, Count: i + 1}
			if err := c.Enqueue(ctx, "test:notice", tt.tenant, payload); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			var s seen
			waitFor(t, "the handler", func() bool {
				for _, x := range got.all() {
					if x.Payload == payload {
						s = x
						return true
					}
				}
				return false
			})
			if s.HasScope != tt.wantHas || s.Scope != tt.wantScope {
				t.Errorf("scope = %+v (present %v), want %+v (present %v)", s.Scope, s.HasScope, tt.wantScope, tt.wantHas)
			}
			if diff := cmp.Diff(tenants.Actor{Name: "system:job:test:notice"}, s.Actor); diff != "" {
				t.Errorf("actor (-want +got):\n%s", diff)
			}
			if s.Task.ID == "" || s.RequestID != s.Task.ID {
				t.Errorf("request id = %q, want the task id %q", s.RequestID, s.Task.ID)
			}
			if s.Task.TenantID != tt.tenant || s.Task.Type != "test:notice" || s.Task.Queue != QueueDefault {
				t.Errorf("task = %+v", s.Task)
			}
			if s.Task.Origin != "req-"+tt.name {
				t.Errorf("origin = %q, want the enqueuing request's id", s.Task.Origin)
			}
			if s.Task.MaxRetry != DefaultMaxRetry || s.Task.Retried != 0 || !s.Task.Period.IsZero() {
				t.Errorf("task = %+v, want first attempt of %d, no period", s.Task, DefaultMaxRetry)
			}
		})
	}
}

func TestScopeResolverErrors(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	lost, other := uuid.New(), uuid.New()
	cfg := testConfig(t, reg)
	cfg.Scope = func(_ context.Context, id uuid.UUID) (tenants.Scope, error) {
		if id == lost {
			return tenants.Scope{}, Permanent(platform.NotFound("tenant"))
		}
		return tenants.Scope{TenantID: other}, nil // a buggy resolver
	}
	var ran recorder[Task]
	mustServer(t, r, cfg, func(s *Server) {
		s.Handle("test:resolve", func(_ context.Context, task Task) error { ran.add(task); return nil })
	})
	c, in := mustClient(t, r), mustInspector(t, r)
	for _, id := range []uuid.UUID{lost, uuid.New()} {
		if err := c.Enqueue(context.Background(), "test:resolve", id, nil, MaxRetry(3)); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, in)
	if n := ran.len(); n != 0 {
		t.Errorf("handler ran %d times; a task whose scope cannot be trusted must not run", n)
	}
	if got := metricValue(t, reg, "skillcert_jobs_total", "type", "test:resolve", "outcome", "archived"); got != 2 {
		t.Errorf("archived = %v, want 2 (both failures are permanent, no retries)", got)
	}
}

func TestRetryThenSucceed(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	var attempts recorder[int]
	mustServer(t, r, testConfig(t, reg), func(s *Server) {
		s.Handle("test:flaky", func(_ context.Context, task Task) error {
			attempts.add(task.Retried)
			if task.Retried < 2 {
				return errors.New("dependency unavailable")
			}
			return nil
		})
	})
	in := mustInspector(t, r)
	if err := mustClient(t, r).Enqueue(context.Background(), "test:flaky", uuid.New(), notice{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the third attempt", func() bool { return attempts.len() >= 3 })
	waitIdle(t, in)

	if diff := cmp.Diff([]int{0, 1, 2}, attempts.all()); diff != "" {
		t.Errorf("Task.Retried per attempt (-want +got):\n%s", diff)
	}
	for outcome, want := range map[string]float64{"retry": 2, "ok": 1, "archived": 0} {
		if got := metricValue(t, reg, "skillcert_jobs_total", "type", "test:flaky", "outcome", outcome); got != want {
			t.Errorf("skillcert_jobs_total{outcome=%q} = %v, want %v", outcome, got, want)
		}
	}
	if got := metricValue(t, reg, "skillcert_jobs_duration_seconds", "type", "test:flaky"); got != 3 {
		t.Errorf("duration observations = %v, want 3", got)
	}
}

func TestFailuresThatArchive(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	var calls recorder[string]
	mustServer(t, r, testConfig(t, reg), func(s *Server) {
		s.Handle("test:panic", func(context.Context, Task) error {
			calls.add("panic")
			var m map[string]int
			m["boom"]++ // a nil-map write: the runtime panics
			return nil
		})
		s.Handle("test:permanent", func(context.Context, Task) error {
			calls.add("permanent")
			return Permanent(platform.NotFound("batch"))
		})
		s.Handle("test:decode", func(_ context.Context, task Task) error {
			calls.add("decode")
			var n notice
			return task.Decode(&n)
		})
		s.Handle("test:exhausted", func(context.Context, Task) error {
			calls.add("exhausted")
			return errors.New("still failing")
		})
	})
	c, in := mustClient(t, r), mustInspector(t, r)

	tests := []struct {
		typ       string
		payload   any
		maxRetry  int
		wantCalls int
		wantErr   string // in the archived task's last error
		panics    float64
	}{
		{"test:panic", nil, 0, 1, "handler panicked", 1},
		{"test:permanent", nil, 5, 1, "not_found", 0},
		{"test:decode", "not an object", 5, 1, "decoding test:decode payload", 0},
		{"test:exhausted", nil, 1, 2, "still failing", 0},
	}
	for _, tt := range tests {
		if err := c.Enqueue(context.Background(), tt.typ, uuid.New(), tt.payload, MaxRetry(tt.maxRetry)); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, in)
	archived, err := in.i.ListArchivedTasks(QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			n := 0
			for _, c := range calls.all() {
				if "test:"+c == tt.typ {
					n++
				}
			}
			if n != tt.wantCalls {
				t.Errorf("handler ran %d times, want %d", n, tt.wantCalls)
			}
			var task *asynq.TaskInfo
			for _, a := range archived {
				if a.Type == tt.typ {
					task = a
				}
			}
			if task == nil {
				t.Fatalf("no archived %s task", tt.typ)
			}
			if !strings.Contains(task.LastErr, tt.wantErr) {
				t.Errorf("last error = %q, want it to mention %q", task.LastErr, tt.wantErr)
			}
			if got := metricValue(t, reg, "skillcert_jobs_total", "type", tt.typ, "outcome", "archived"); got != 1 {
				t.Errorf("archived count = %v, want 1", got)
			}
			if got := metricValue(t, reg, "skillcert_jobs_panics_total", "type", tt.typ); got != tt.panics {
				t.Errorf("panics = %v, want %v", got, tt.panics)
			}
		})
	}
}

func TestUnregisteredTypeIsRetried(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig(t, reg)
	// The retry waits a minute, so the task is still in the retry set when the test reads it (with
	// testConfig's milliseconds it could be back in its queue between the two reads).
	cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Minute, time.Minute
	mustServer(t, r, cfg, func(s *Server) {})
	c, in := mustClient(t, r), mustInspector(t, r)
	if err := c.Enqueue(context.Background(), "test:from-the-future", uuid.Nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the task to wait for a retry", func() bool {
		stats, err := in.Stats()
		return err == nil && stats[1].Retry == 1
	})
	if got := metricValue(t, reg, "skillcert_jobs_total", "type", "unregistered", "outcome", "retry"); got < 1 {
		t.Errorf("unregistered retry count = %v, want ≥ 1", got)
	}
	tasks, err := in.i.ListRetryTasks(QueueDefault)
	if err != nil || len(tasks) != 1 || !strings.Contains(tasks[0].LastErr, ErrNoHandler.Error()) {
		t.Errorf("retry tasks = %v, %v; want one failed with %q", tasks, err, ErrNoHandler)
	}
}

func TestShutdownRequeuesRunningTask(t *testing.T) {
	r := testRedis(t)
	reg := prometheus.NewRegistry()
	started, returned := make(chan struct{}), make(chan error, 1)
	cfg := testConfig(t, reg)
	cfg.ShutdownTimeout = 200 * time.Millisecond
	s, err := NewServer(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("test:slow", func(ctx context.Context, _ Task) error {
		close(started)
		<-ctx.Done() // works until asynq gives up waiting for it
		returned <- ctx.Err()
		return ctx.Err()
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	in := mustInspector(t, r)
	if err := mustClient(t, r).Enqueue(context.Background(), "test:slow", uuid.New(), nil); err != nil {
		t.Fatal(err)
	}
	<-started
	s.Shutdown()
	if err := <-returned; !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx error = %v, want context.Canceled", err)
	}
	pending, err := in.Pending(QueueDefault)
	if err != nil || pending != 1 {
		t.Errorf("pending after shutdown = %d, %v; want the interrupted task back in the queue", pending, err)
	}
	waitFor(t, "the interrupted outcome", func() bool {
		return metricValue(t, reg, "skillcert_jobs_total", "type", "test:slow", "outcome", "interrupted") == 1
	})
}

func TestServerConfigAndWiring(t *testing.T) {
	r := RedisAddr("127.0.0.1:1") // never dialled
	t.Run("unknown queue in priorities", func(t *testing.T) {
		_, err := NewServer(r, Config{Priorities: map[string]int{"emails": 2}})
		if !errors.Is(err, ErrUnknownQueue) {
			t.Errorf("err = %v, want ErrUnknownQueue", err)
		}
	})
	t.Run("non-positive priority", func(t *testing.T) {
		if _, err := NewServer(r, Config{Priorities: map[string]int{QueueLow: 0}}); err == nil {
			t.Error("a zero weight would starve the queue; want an error")
		}
	})
	t.Run("two servers share one registry", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		a, err := NewServer(r, Config{Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewServer(r, Config{Registerer: reg})
		if err != nil {
			t.Fatalf("second server on the same registry: %v", err)
		}
		if a.m.total != b.m.total {
			t.Error("the second server should reuse the registered counter")
		}
	})
	t.Run("Handle refuses duplicates", func(t *testing.T) {
		s, err := NewServer(r, Config{})
		if err != nil {
			t.Fatal(err)
		}
		h := func(context.Context, Task) error { return nil }
		s.Handle("test:once", h)
		defer func() {
			if recover() == nil {
				t.Error("registering a type twice should panic")
			}
		}()
		s.Handle("test:once", h)
	})
	t.Run("Start fails without Redis", func(t *testing.T) {
		s, err := NewServer(r, Config{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err == nil {
			s.Shutdown()
			t.Error("Start succeeded with no Redis")
		}
	})
}

func TestRetryDelay(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	base, maxDelay := 10*time.Second, time.Hour
	tests := []struct {
		n       int
		min     time.Duration
		max     time.Duration
		comment string
	}{
		{0, 5 * time.Second, 10 * time.Second, "first retry: about the base"},
		{3, 40 * time.Second, 80 * time.Second, "doubles per retry"},
		{9, 30 * time.Minute, time.Hour, "capped (10 s·2⁹ > 1 h)"},
		{500, 30 * time.Minute, time.Hour, "no overflow on absurd counts"},
	}
	for _, tt := range tests {
		t.Run(tt.comment, func(t *testing.T) {
			if got := retryDelay(tt.n, base, maxDelay, lowest); got != tt.min {
				t.Errorf("lowest jitter: %v, want %v", got, tt.min)
			}
			if got := retryDelay(tt.n, base, maxDelay, highest); got != tt.max {
				t.Errorf("highest jitter: %v, want %v", got, tt.max)
			}
		})
	}
}
