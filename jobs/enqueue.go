package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/skillcert/skillcert/modules/platform"
)

// Enqueuer puts tasks on a queue. Services take the smaller interface they need (usually just this
// one method); *Client implements it on asynq.
type Enqueuer interface {
	// Enqueue queues a task of type typ for tenantID (uuid.Nil for platform-wide work) with payload
	// encoded as JSON. Enqueueing a TaskID that is already stored is not an error: the task is
	// already on its way, which is what the caller asked for. It returns ErrUnknownQueue for a
	// queue no server serves, an error for a payload that does not encode, and Redis errors.
	Enqueue(ctx context.Context, typ string, tenantID uuid.UUID, payload any, opts ...Option) error
}

var _ Enqueuer = (*Client)(nil)

// DefaultMaxRetry is how many times a failed task is retried unless MaxRetry says otherwise. With
// the default backoff (10 s doubling, capped at an hour) that spans about a day, long enough to
// ride out an outage of a dependency.
const DefaultMaxRetry = 25

// DefaultTimeout bounds one attempt of a task unless Timeout says otherwise.
const DefaultTimeout = 30 * time.Minute

// Option tunes one Enqueue.
type Option func(*options)

type options struct {
	taskID    string
	queue     string
	maxRetry  int
	processAt time.Time
	processIn time.Duration
	retention time.Duration
	timeout   time.Duration
	period    time.Time // set by the Scheduler only
}

// TaskID gives the task a caller-chosen id so that enqueueing the same work twice queues it once,
// for as long as the first task is stored: until it completes, or for Retention after that. The id
// is scoped to the task type and tenant, so two modules (or two tenants) choosing the same id never
// collide. Use a business key: "batch/<id>/publish", "certificate/<no>/render".
func TaskID(id string) Option { return func(o *options) { o.taskID = id } }

// Queue puts the task on a named queue: QueueCritical, QueueDefault (the default) or QueueLow.
func Queue(name string) Option { return func(o *options) { o.queue = name } }

// MaxRetry sets how many times a failing task is retried before it is archived (0: never).
func MaxRetry(n int) Option { return func(o *options) { o.maxRetry = n } }

// ProcessIn delays the task by d.
func ProcessIn(d time.Duration) Option { return func(o *options) { o.processIn = d } }

// ProcessAt delays the task until t.
func ProcessAt(t time.Time) Option { return func(o *options) { o.processAt = t } }

// Retention keeps a completed task (and so its TaskID) in Redis for d, extending deduplication
// past completion: without it a TaskID can be enqueued again as soon as its task has run.
func Retention(d time.Duration) Option { return func(o *options) { o.retention = d } }

// Timeout bounds one attempt: the handler's ctx is cancelled after d and the attempt fails.
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Client enqueues tasks on asynq. It is safe for concurrent use; make one per process and Close it
// at shutdown.
type Client struct {
	c    *asynq.Client
	insp *asynq.Inspector // for TaskState
}

// NewClient returns a Client on the Redis that r describes (see RedisFromURL and RedisAddr).
func NewClient(r Redis) *Client {
	return &Client{c: asynq.NewClient(r.opt), insp: asynq.NewInspector(r.opt)}
}

// Close releases the Client's Redis connections.
func (c *Client) Close() error { return errors.Join(c.c.Close(), c.insp.Close()) }

// Ping checks that Redis answers, for readiness probes.
func (c *Client) Ping() error { return c.c.Ping() }

// Enqueue implements Enqueuer. The request id of ctx is recorded as the task's Origin.
func (c *Client) Enqueue(ctx context.Context, typ string, tenantID uuid.UUID, payload any, opts ...Option) error {
	_, err := c.enqueue(ctx, typ, tenantID, payload, opts...)
	return err
}

// enqueue is Enqueue that also reports whether the task was new (false: its TaskID was taken).
func (c *Client) enqueue(ctx context.Context, typ string, tenantID uuid.UUID, payload any, opts ...Option) (bool, error) {
	if strings.TrimSpace(typ) == "" {
		return false, errors.New("jobs: empty task type")
	}
	o := options{queue: QueueDefault, maxRetry: DefaultMaxRetry, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if !knownQueue(o.queue) {
		return false, fmt.Errorf("%w %q", ErrUnknownQueue, o.queue)
	}
	body, err := encodeEnvelope(tenantID, platform.RequestID(ctx), o.period, payload)
	if err != nil {
		return false, err
	}
	aopts := []asynq.Option{asynq.Queue(o.queue), asynq.MaxRetry(o.maxRetry), asynq.Timeout(o.timeout)}
	if o.taskID != "" {
		aopts = append(aopts, asynq.TaskID(scopedTaskID(typ, tenantID, o.taskID)))
	}
	switch {
	case !o.processAt.IsZero():
		aopts = append(aopts, asynq.ProcessAt(o.processAt))
	case o.processIn > 0:
		aopts = append(aopts, asynq.ProcessIn(o.processIn))
	}
	if o.retention > 0 {
		aopts = append(aopts, asynq.Retention(o.retention))
	}
	_, err = c.c.EnqueueContext(ctx, asynq.NewTask(typ, body), aopts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		// The same work is already queued, running, retrying or retained as done. Callers enqueue
		// with a TaskID precisely to make a repeated call (a retried request, a re-run handler, a
		// second scheduler) harmless, so this is success, not an error for them to handle.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jobs: enqueueing %s: %w", typ, err)
	}
	return true, nil
}

// scopedTaskID namespaces a caller's TaskID by type and tenant. asynq ids are unique per queue
// only; without the namespace, a tenant-local key (a certificate number, say) used by two tenants
// would silently drop one tenant's task.
func scopedTaskID(typ string, tenantID uuid.UUID, id string) string {
	return typ + ":" + tenantID.String() + ":" + id
}
