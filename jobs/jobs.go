// Package jobs is the one place that knows asynq: it enqueues background tasks, runs the worker
// server that dispatches them to handlers registered by modules, schedules periodic tasks, and
// inspects the queues for metrics and tests. Modules see only this package's small API (Task,
// Enqueuer, Handler, the options), never asynq itself.
//
// # Tenants
//
// A task runs for a tenant the same way a request does. Enqueue records the tenant in the task's
// envelope; the server's middleware puts a tenants.Scope and a system tenants.Actor
// ("system:job:<type>") in the handler's context, and the asynq task id as the request id, so a
// handler calls tenants.WithTx exactly as an HTTP handler's service would. A task enqueued with
// uuid.Nil as its tenant (and every scheduled task) runs without a scope: it is platform-wide work,
// and a handler that acts per tenant fans out by enqueueing one task per tenant.
//
// # Delivery
//
// asynq delivers at least once: a task may run again after a crash, a lease expiry or a shutdown
// that interrupted it (Shutdown puts unfinished tasks back in their queue). Handlers must therefore
// be idempotent. TaskID deduplicates enqueues only while a task with that id is still stored in
// Redis (pending, scheduled, retrying, archived, or completed within its Retention).
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// The queues a task can go to, from most to least urgent. The server serves exactly these (see
// Config.Priorities); a task in any other queue would never run, so Enqueue refuses other names.
const (
	QueueCritical = "critical" // user-visible work someone is waiting for
	QueueDefault  = "default"  // everything else
	QueueLow      = "low"      // bulk and housekeeping work that may lag
)

// queueNames lists the queues in priority order.
var queueNames = []string{QueueCritical, QueueDefault, QueueLow}

func knownQueue(name string) bool {
	for _, q := range queueNames {
		if q == name {
			return true
		}
	}
	return false
}

// Task is one unit of background work as a handler sees it.
type Task struct {
	ID       string          // asynq task id, unique per queue; also the request id in the handler's ctx
	Type     string          // task type, e.g. "certificates:render"
	TenantID uuid.UUID       // the tenant the task runs for; uuid.Nil for platform-wide work
	Payload  json.RawMessage // the payload given to Enqueue, as JSON
	Queue    string          // the queue it was taken from
	Retried  int             // how many earlier attempts failed
	MaxRetry int             // how many retries are allowed in all
	// Period is the start of the schedule period a scheduled task was enqueued for (UTC); zero for
	// tasks that were not enqueued by a Scheduler. Periodic jobs use it to know which day or hour
	// they are working on, independent of when the task actually runs.
	Period time.Time
	// Origin is the request id of the request (or task) that enqueued this task, if any: it lets logs
	// tie background work back to what caused it.
	Origin string
}

// Decode unmarshals the payload into v. A payload that does not decode never will, so the error
// is Permanent: returning it from a handler archives the task instead of retrying it.
func (t Task) Decode(v any) error {
	if err := json.Unmarshal(t.Payload, v); err != nil {
		return Permanent(fmt.Errorf("jobs: decoding %s payload: %w", t.Type, err))
	}
	return nil
}

// LastAttempt reports whether a failure of this attempt archives the task rather than retrying it.
func (t Task) LastAttempt() bool { return t.Retried >= t.MaxRetry }

// HandlerFunc processes one task. A nil error completes the task; any other error schedules a
// retry with backoff, unless retries are exhausted or the error is Permanent, in which case the task
// is archived (kept in Redis for inspection and manual re-run).
type HandlerFunc func(ctx context.Context, t Task) error

// Permanent marks err as one that retrying cannot fix (a malformed payload, a record that no longer
// exists): the task is archived at once. errors.Is(Permanent(err), err) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// Unwrap exposes both the cause and asynq.SkipRetry, which is what makes asynq archive the task.
func (e *permanentError) Unwrap() []error { return []error{e.err, asynq.SkipRetry} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// ErrPanic is wrapped by the error a handler's panic is turned into.
var ErrPanic = errors.New("jobs: handler panicked")

// ErrUnknownQueue is returned by Enqueue for a queue name that no server serves.
var ErrUnknownQueue = errors.New("jobs: unknown queue")

// ErrNoHandler is the (retried) error of a task whose type no handler is registered for on the
// worker that took it: during a rolling deploy an older worker may see a newer task type, and a
// retry lets a newer worker pick it up.
var ErrNoHandler = errors.New("jobs: no handler for task type")

// envelope is what asynq stores as a task's payload: the module's payload plus what the server
// needs to set up the handler's context. Keeping the tenant in the payload (not in asynq headers)
// makes it part of what asynq persists, retries and shows in its tooling, on every asynq version.
type envelope struct {
	TenantID string          `json:"tenant_id,omitempty"`
	Origin   string          `json:"origin,omitempty"`
	Period   int64           `json:"period,omitempty"` // Unix seconds; scheduled tasks only
	Data     json.RawMessage `json:"data"`
}

func encodeEnvelope(tenantID uuid.UUID, origin string, period time.Time, payload any) ([]byte, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("jobs: encoding payload: %w", err)
	}
	env := envelope{Origin: origin, Data: data}
	if tenantID != uuid.Nil {
		env.TenantID = tenantID.String()
	}
	if !period.IsZero() {
		env.Period = period.Unix()
	}
	return json.Marshal(env)
}

func decodeEnvelope(b []byte) (envelope, uuid.UUID, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return env, uuid.Nil, fmt.Errorf("jobs: task payload is not a jobs envelope: %w", err)
	}
	var id uuid.UUID
	if env.TenantID != "" {
		var err error
		if id, err = uuid.Parse(env.TenantID); err != nil {
			return env, uuid.Nil, fmt.Errorf("jobs: task envelope has a bad tenant id: %w", err)
		}
	}
	return env, id, nil
}
