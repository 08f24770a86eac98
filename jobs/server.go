package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Config tunes a Server. The zero value is usable: every field has a production default.
type Config struct {
	// Concurrency is how many tasks run at once; default the number of CPUs.
	Concurrency int
	// Priorities overrides the weight of QueueCritical, QueueDefault and QueueLow (defaults 6, 3, 1:
	// with all three non-empty, 60 %, 30 % and 10 % of dequeues). Weights must be positive; a queue
	// with no weight would never be served. Other names are refused.
	Priorities map[string]int
	// StrictPriority drains higher-priority queues completely before touching lower ones.
	StrictPriority bool
	// ShutdownTimeout is how long Shutdown lets running tasks finish before it puts them back in
	// their queue; default 20 s, inside Kubernetes' default 30 s termination grace period.
	ShutdownTimeout time.Duration
	// RetryBaseDelay and RetryMaxDelay shape the backoff between attempts: the n-th retry waits
	// about RetryBaseDelay·2ⁿ, capped at RetryMaxDelay, with jitter. Defaults 10 s and 1 h.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// PollInterval is how long an idle worker waits before polling the queues again; default 1 s.
	PollInterval time.Duration
	// DelayedPollInterval is how often delayed and retrying tasks that are due are moved to their
	// queue; default 5 s. It bounds how late a ProcessIn task or a retry runs.
	DelayedPollInterval time.Duration
	// Scope builds the tenant scope of a task from its tenant id (typically a cached tenant lookup,
	// so that handlers see the tenant's kind and region as requests do). It may return a Permanent
	// error for a tenant that no longer exists. When nil, the scope carries only the tenant id,
	// which is all tenants.WithTx needs.
	Scope func(ctx context.Context, tenantID uuid.UUID) (tenants.Scope, error)
	// Logger receives the server's structured logs; default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, registers the task metrics (see NewServer).
	Registerer prometheus.Registerer
}

// Server runs registered handlers for the tasks in the queues. Register every handler with Handle,
// then Start (or Run) it; Shutdown stops it gracefully.
type Server struct {
	srv   *asynq.Server
	log   *slog.Logger
	scope func(context.Context, uuid.UUID) (tenants.Scope, error)
	m     *metrics

	mu       sync.RWMutex
	handlers map[string]HandlerFunc
}

// NewServer returns a Server on the Redis that r describes. It registers on cfg.Registerer:
//
//	skillcert_jobs_total{type,outcome}          tasks processed; outcome is ok, retry (failed, will
//	                                            be retried), archived (failed for good: retries
//	                                            exhausted or Permanent) or interrupted (cancelled,
//	                                            e.g. by Shutdown, and put back in the queue)
//	skillcert_jobs_duration_seconds{type}       handler run time
//	skillcert_jobs_panics_total{type}           handler panics (also counted in skillcert_jobs_total)
//
// Task types without a handler are counted under type "unregistered", so a stray type cannot
// inflate the metrics' cardinality.
func NewServer(r Redis, cfg Config) (*Server, error) {
	queues := map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}
	for q, w := range cfg.Priorities {
		if !knownQueue(q) {
			return nil, fmt.Errorf("%w %q in Priorities", ErrUnknownQueue, q)
		}
		if w <= 0 {
			return nil, fmt.Errorf("jobs: queue %q needs a positive priority, got %d", q, w)
		}
		queues[q] = w
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	base := orDefault(cfg.RetryBaseDelay, 10*time.Second)
	maxDelay := orDefault(cfg.RetryMaxDelay, time.Hour)
	s := &Server{log: log, scope: cfg.Scope, m: m, handlers: map[string]HandlerFunc{}}
	s.srv = asynq.NewServer(r.opt, asynq.Config{
		Concurrency:    cfg.Concurrency,
		Queues:         queues,
		StrictPriority: cfg.StrictPriority,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return retryDelay(n, base, maxDelay, rand.Int64N)
		},
		ShutdownTimeout:          orDefault(cfg.ShutdownTimeout, 20*time.Second),
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.DelayedPollInterval,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		LogLevel:                 asynq.InfoLevel,
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Error("jobs: Redis health check failed", "err", err)
			}
		},
	})
	return s, nil
}

// Handle registers h for tasks of type typ. Types match exactly (asynq's ServeMux would also route
// "a:b" to a handler of "a", which hides typos). Registering a type twice, an empty type or a nil
// handler is a wiring bug and panics, as http.ServeMux does.
func (s *Server) Handle(typ string, h HandlerFunc) {
	if typ == "" || h == nil {
		panic("jobs: Handle needs a task type and a handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[typ]; dup {
		panic("jobs: a handler for " + typ + " is already registered")
	}
	s.handlers[typ] = h
}

// Start starts processing in the background. It fails when Redis is unreachable.
func (s *Server) Start() error {
	if err := s.srv.Ping(); err != nil {
		return fmt.Errorf("jobs: Redis: %w", err)
	}
	return s.srv.Start(asynq.HandlerFunc(s.process))
}

// Shutdown stops taking tasks, waits up to Config.ShutdownTimeout for running ones, and puts those
// still running back in their queue (so they run again later: handlers are idempotent).
func (s *Server) Shutdown() { s.srv.Shutdown() }

// Run starts the server and shuts it down when ctx is done: the body of `skillcert worker`.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	s.Shutdown()
	return nil
}

// process is the middleware around every handler: it decodes the envelope, sets up the context
// (request id, system actor, tenant scope), recovers panics, and records metrics and a log line.
func (s *Server) process(ctx context.Context, at *asynq.Task) (err error) {
	start := time.Now()
	typ := at.Type()
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)

	s.mu.RLock()
	h, registered := s.handlers[typ]
	s.mu.RUnlock()
	label := typ
	if !registered {
		label = "unregistered"
	}
	log := s.log.With("task_type", typ, "task_id", id, "queue", queue, "attempt", retried+1)
	panicked := false

	defer func() {
		// Recover here, first thing, so a panic anywhere below (handler or scope resolver) becomes
		// an error that is counted and logged like any other, instead of asynq's bare recovery.
		if r := recover(); r != nil {
			panicked = true
			err = fmt.Errorf("%w: %v", ErrPanic, r)
			log.Error("jobs: handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
		elapsed := time.Since(start)
		outcome := classify(ctx, err, retried, maxRetry)
		s.m.total.WithLabelValues(label, outcome).Inc()
		s.m.duration.WithLabelValues(label).Observe(elapsed.Seconds())
		if panicked {
			s.m.panics.WithLabelValues(label).Inc()
		}
		attrs := []any{"outcome", outcome, "duration_ms", elapsed.Milliseconds()}
		switch outcome {
		case outcomeOK:
			log.Info("jobs: task done", attrs...)
		case outcomeArchived:
			log.Error("jobs: task failed for good", append(attrs, "err", err)...)
		default:
			log.Warn("jobs: task failed", append(attrs, "err", err)...)
		}
	}()

	if !registered {
		return fmt.Errorf("%w %q", ErrNoHandler, typ)
	}
	env, tenantID, err := decodeEnvelope(at.Payload())
	if err != nil {
		return Permanent(err)
	}
	t := Task{
		ID: id, Type: typ, TenantID: tenantID, Payload: env.Data, Queue: queue,
		Retried: retried, MaxRetry: maxRetry, Origin: env.Origin,
	}
	if env.Period != 0 {
		t.Period = time.Unix(env.Period, 0).UTC()
	}
	if env.Origin != "" {
		log = log.With("origin_request_id", env.Origin)
	}

	ctx = platform.WithRequestID(ctx, id)
	ctx = tenants.WithActor(ctx, tenants.Actor{Name: "system:job:" + typ})
	if tenantID != uuid.Nil {
		log = log.With("tenant_id", tenantID)
		sc := tenants.Scope{TenantID: tenantID}
		if s.scope != nil {
			if sc, err = s.scope(ctx, tenantID); err != nil {
				return fmt.Errorf("jobs: resolving tenant %s: %w", tenantID, err)
			}
			if sc.TenantID != tenantID {
				// A resolver returning another tenant's scope would run the task against the wrong
				// tenant's rows; refuse rather than trust it.
				return Permanent(fmt.Errorf("jobs: scope resolver returned tenant %s for %s", sc.TenantID, tenantID))
			}
		}
		ctx = tenants.WithScope(ctx, sc)
	}

	return h(ctx, t)
}

// Task outcomes, the values of the outcome label.
const (
	outcomeOK          = "ok"
	outcomeRetry       = "retry"
	outcomeArchived    = "archived"
	outcomeInterrupted = "interrupted"
)

// classify mirrors what asynq does next with a task after its handler returned err.
func classify(ctx context.Context, err error, retried, maxRetry int) string {
	switch {
	case err == nil:
		return outcomeOK
	case errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled):
		return outcomeInterrupted
	case errors.Is(err, asynq.SkipRetry) || retried >= maxRetry:
		return outcomeArchived
	default:
		return outcomeRetry
	}
}

// retryDelay is the wait before retry n+1 (n earlier retries): base·2ⁿ capped at maxDelay, then
// "equal jitter" — half of it fixed, half random — so that tasks that failed together (during an
// outage of a dependency) spread out instead of retrying in lockstep, yet none retries sooner than
// half its nominal delay. randN(k) returns a uniform value in [0, k).
func retryDelay(n int, base, maxDelay time.Duration, randN func(int64) int64) time.Duration {
	d := base
	for i := 0; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := d / 2
	return half + time.Duration(randN(int64(d-half)+1))
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

type metrics struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	panics   *prometheus.CounterVec
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillcert_jobs_total",
			Help: "Background tasks processed, by type and outcome (ok, retry, archived, interrupted).",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "skillcert_jobs_duration_seconds",
			Help: "Run time of background task handlers, by type.",
			// 10 ms to 11 min: jobs range from a quick notification to a large batch render.
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}, []string{"type"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillcert_jobs_panics_total",
			Help: "Background task handlers that panicked, by type.",
		}, []string{"type"}),
	}
	var err error
	if m.total, err = register(r, m.total); err != nil {
		return nil, err
	}
	if m.duration, err = register(r, m.duration); err != nil {
		return nil, err
	}
	if m.panics, err = register(r, m.panics); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c on r, or returns the identical collector already registered there (two
// servers in one process, as in tests, share their metrics). A nil r registers nothing.
func register[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	if r == nil {
		return c, nil
	}
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("jobs: registering metrics: %w", err)
	}
	return c, nil
}

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// Fatal honours asynq.Logger's contract (log, then exit with status 1); asynq v0.26 never calls it.
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...))
	os.Exit(1)
}
