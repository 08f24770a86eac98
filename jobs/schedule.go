package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// SchedulerConfig tunes a Scheduler; the zero value is usable.
type SchedulerConfig struct {
	// Location is the time zone cron specs are read in; default UTC. China has no daylight saving
	// time, so time.FixedZone("CST", 8*3600) reads specs in Beijing time without needing tzdata.
	Location *time.Location
	// Logger receives the scheduler's logs; default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, registers skillcert_jobs_scheduled_total{type,outcome}: periodic
	// enqueues, outcome enqueued, duplicate (another scheduler already enqueued the period) or error.
	Registerer prometheus.Registerer
}

// Scheduler enqueues periodic tasks. Every worker process may run one: each firing enqueues its
// task with a TaskID derived from the schedule period, so however many schedulers fire for a
// period, the task is queued — and runs — once.
//
// It is built on robfig/cron, the cron library inside asynq.Scheduler, with the same spec syntax.
// asynq.Scheduler itself is not used because it fixes a task's options at registration, so it
// cannot give each period its own TaskID, and its asynq.Unique alternative is released as soon as
// the task completes, letting a second scheduler that fires a moment later run the period again.
type Scheduler struct {
	c     *Client
	cron  *cron.Cron
	log   *slog.Logger
	total *prometheus.CounterVec
}

// NewScheduler returns a Scheduler that enqueues through c.
func NewScheduler(c *Client, cfg SchedulerConfig) (*Scheduler, error) {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	total, err := register(cfg.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skillcert_jobs_scheduled_total",
		Help: "Periodic task enqueues by the scheduler, by type and outcome (enqueued, duplicate, error).",
	}, []string{"type", "outcome"}))
	if err != nil {
		return nil, err
	}
	return &Scheduler{
		c:     c,
		cron:  cron.New(cron.WithLocation(loc), cron.WithLogger(cronLogger{log.With("component", "cron")})),
		log:   log,
		total: total,
	}, nil
}

// Schedule enqueues a platform-wide task of type typ with payload on the cron spec: five fields
// ("0 3 * * *": 03:00 daily) or a descriptor ("@hourly", "@every 10m"). Options apply to every
// enqueue, except TaskID, which the scheduler sets. A handler acting per tenant fans out by
// enqueueing one task per tenant (with a TaskID built from Task.Period, so a re-run fans out once).
//
// How a period is named: for "@every d" the period is wall-clock time truncated to d (processes
// started at different moments still agree on it); for five-field specs, which fire on whole
// minutes, it is the minute of the firing. The completed task is retained for at least one period
// (and at least a minute, for clock skew between hosts), because a TaskID deduplicates only while
// its task is stored.
func (s *Scheduler) Schedule(spec, typ string, payload any, opts ...Option) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("jobs: schedule %q for %s: %w", spec, typ, err)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: encoding payload of scheduled %s: %w", typ, err)
	}
	period := time.Minute
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		period = every.Delay
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !knownQueue(orQueue(o.queue)) {
		return fmt.Errorf("%w %q", ErrUnknownQueue, o.queue)
	}
	sum := sha256.Sum256([]byte(spec + "\x00" + string(data)))
	s.cron.Schedule(sched, &scheduledJob{
		s:         s,
		typ:       typ,
		payload:   json.RawMessage(data),
		opts:      slices.Clip(opts),
		key:       hex.EncodeToString(sum[:8]),
		period:    period,
		retention: max(o.retention, period, time.Minute),
	})
	return nil
}

// Start starts firing schedules in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Shutdown stops firing and waits for enqueues in progress.
func (s *Scheduler) Shutdown() { <-s.cron.Stop().Done() }

// scheduledJob is one Schedule entry; cron calls Run at each firing.
type scheduledJob struct {
	s         *Scheduler
	typ       string
	payload   json.RawMessage
	opts      []Option
	key       string // identifies the entry (spec and payload) across processes
	period    time.Duration
	retention time.Duration
}

func (j *scheduledJob) Run() {
	start := periodStart(time.Now(), j.period)
	id := fmt.Sprintf("schedule:%s:%d", j.key, start.Unix())
	opts := append(j.opts, TaskID(id), Retention(j.retention), func(o *options) { o.period = start })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	created, err := j.s.c.enqueue(ctx, j.typ, uuid.Nil, j.payload, opts...)
	outcome := "enqueued"
	switch {
	case err != nil:
		outcome = "error"
		j.s.log.Error("jobs: scheduled enqueue failed", "task_type", j.typ, "period", start, "err", err)
	case !created:
		outcome = "duplicate"
		j.s.log.Debug("jobs: period already enqueued", "task_type", j.typ, "period", start)
	default:
		j.s.log.Info("jobs: scheduled task enqueued", "task_type", j.typ, "period", start)
	}
	j.s.total.WithLabelValues(j.typ, outcome).Inc()
}

// periodStart names the period a firing at now belongs to. cron fires on the boundary (whole
// seconds for @every, whole minutes otherwise) and Run starts a moment later, so truncation
// recovers the boundary; it is UTC so every host names it alike.
func periodStart(now time.Time, period time.Duration) time.Time {
	return now.Truncate(period).UTC()
}

func orQueue(q string) string {
	if q == "" {
		return QueueDefault
	}
	return q
}

// cronLogger sends cron's logs to slog; its routine messages go to Debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
