package policies

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/tenants"
)

// Channel is the Redis pub/sub channel of role changes.
const Channel = "skillcert:policy:roles"

// RoleChange is the message one instance publishes when a user's roles change.
type RoleChange struct {
	Origin   string       `json:"origin"`
	Kind     tenants.Kind `json:"kind"`
	TenantID uuid.UUID    `json:"tenant_id"`
	UserID   uuid.UUID    `json:"user_id"`
	Roles    []string     `json:"roles"`
}

// Watcher carries role changes between instances over Redis pub/sub. (casbin's Redis watcher module
// is not available to us; this is the same idea on go-redis.)
//
// A role change is published after the transaction that stored it committed, so Redis failing must
// not fail the request: Publish hands a change Redis refused to a background retry (the latest change
// per user, in order) and returns. Pub/sub also delivers only to connected listeners, so Listen
// reloads everything after a reconnect and on a timer — whatever is lost heals within ReloadEvery —
// and keeps doing both while Redis is away.
type Watcher struct {
	rdb    redis.UniversalClient
	origin string
	log    *slog.Logger
	// ReloadEvery is the safety-net full reload period (default 5 minutes).
	ReloadEvery time.Duration
	// PublishTimeout bounds one publish attempt (default 2 s): on the request path it is the most a
	// Redis that hangs can add to a request.
	PublishTimeout time.Duration

	// send serialises publishing (first attempts and retries), so that a retried change is never
	// delivered after a newer change of the same user.
	send sync.Mutex
	mu   sync.Mutex // guards pending and retrying
	// pending holds the changes Redis refused, the latest per user, until a retry delivers them.
	pending  map[userInTenant]pendingChange
	retrying bool
}

// pendingChange is a change waiting for its retry.
type pendingChange struct {
	payload []byte
	since   time.Time
}

// maxPending bounds the retry backlog; beyond it changes are dropped with a log (the periodic reload
// repairs them as it repairs a lost message).
const maxPending = 10000

// NewWatcher returns a watcher on rdb for this instance. On a Redis Cluster (a *redis.ClusterClient)
// PUBLISH reaches subscribers on every node, and the subscription follows the topology after a
// failover; the resubscription triggers the same reload as any reconnect.
func NewWatcher(rdb redis.UniversalClient, log *slog.Logger) *Watcher {
	return &Watcher{rdb: rdb, origin: uuid.NewString(), log: log, ReloadEvery: 5 * time.Minute,
		PublishTimeout: 2 * time.Second, pending: map[userInTenant]pendingChange{}}
}

// Publish tells every instance about c. It fails only for a change that cannot be encoded: when Redis
// refuses it, the change is logged and retried in the background until delivered (or until every
// instance's periodic reload has made it moot), and Publish reports success — the change is committed.
func (w *Watcher) Publish(ctx context.Context, c RoleChange) error {
	c.Origin = w.origin
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := keyOf(c.TenantID, c.UserID)
	w.send.Lock()
	defer w.send.Unlock()
	w.mu.Lock()
	backlog := len(w.pending) > 0
	w.mu.Unlock()
	if !backlog { // with a backlog Redis was just refusing: queue behind it instead of waiting again
		if err = w.publish(context.WithoutCancel(ctx), b); err == nil {
			return nil
		}
		w.warn("policy watcher: publishing a role change failed; retrying in the background", err,
			"tenant_id", c.TenantID, "user_id", c.UserID)
	}
	w.queue(key, b)
	return nil
}

// publish sends one message, bounded by PublishTimeout.
func (w *Watcher) publish(ctx context.Context, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, w.PublishTimeout)
	defer cancel()
	return w.rdb.Publish(ctx, Channel, payload).Err()
}

// queue keeps payload as the user's pending change and makes sure a retry loop runs.
func (w *Watcher) queue(key userInTenant, payload []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.pending[key]; !ok && len(w.pending) >= maxPending {
		w.warn("policy watcher: retry backlog full; dropping a role change (the periodic reload repairs it)", nil)
		return
	}
	w.pending[key] = pendingChange{payload: payload, since: time.Now()}
	if !w.retrying {
		w.retrying = true
		go w.retry()
	}
}

// retry delivers the pending changes, backing off while Redis refuses, and ends when none is left.
// A change older than two reload periods is dropped: every listening instance has reloaded from the
// database since it was committed.
func (w *Watcher) retry() {
	wait := 100 * time.Millisecond
	for {
		time.Sleep(wait)
		if w.retryRound() {
			return
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// retryRound tries each pending change once, stopping at the first failure; it reports whether the
// backlog is empty (and the loop has ended).
func (w *Watcher) retryRound() (done bool) {
	w.send.Lock()
	defer w.send.Unlock()
	w.mu.Lock()
	todo := make(map[userInTenant]pendingChange, len(w.pending))
	for k, p := range w.pending {
		todo[k] = p
	}
	w.mu.Unlock()
	// Nothing can replace an entry meanwhile: Publish waits for w.send.
	for k, p := range todo {
		if time.Since(p.since) > 2*w.ReloadEvery {
			w.warn("policy watcher: giving up on a role change; every instance has reloaded since", nil)
			w.forget(k)
			delete(todo, k)
		}
	}
	for k, p := range todo {
		if err := w.publish(context.Background(), p.payload); err != nil {
			break
		}
		w.forget(k)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		w.retrying = false
		return true
	}
	return false
}

func (w *Watcher) forget(k userInTenant) {
	w.mu.Lock()
	delete(w.pending, k)
	w.mu.Unlock()
}

// Pending reports how many role changes wait for a retry (tests, metrics).
func (w *Watcher) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

func (w *Watcher) warn(msg string, err error, attrs ...any) {
	if w.log == nil {
		return
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	w.log.Warn(msg, attrs...)
}

// Listen applies other instances' changes with apply until ctx ends; reload rebuilds everything. It
// returns only when ctx ends: while Redis is unreachable it keeps trying to subscribe again (backing
// off) and keeps the periodic reload going, and every new subscription starts with a reload, since
// messages may have been missed meanwhile.
func (w *Watcher) Listen(ctx context.Context, apply func(RoleChange) error, reload func() error) error {
	sub := w.rdb.Subscribe(ctx, Channel) // connects lazily; failures surface in ReceiveTimeout
	defer sub.Close()
	tick := time.NewTicker(w.ReloadEvery)
	defer tick.Stop()
	first, down, wait := true, false, time.Duration(0)
	for {
		msg, err := sub.ReceiveTimeout(ctx, time.Second)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break // no message this second
			}
			if !down {
				w.warn("policy watcher: Redis unreachable; resubscribing, periodic reloads go on", err)
				down = true
			}
			first = false // whenever the subscription comes, messages may have been missed
			wait = min(max(2*wait, 100*time.Millisecond), 5*time.Second)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		default:
			down, wait = false, 0
			switch m := msg.(type) {
			case *redis.Message:
				var c RoleChange
				if err := json.Unmarshal([]byte(m.Payload), &c); err != nil || c.Origin == w.origin {
					continue
				}
				if err := apply(c); err != nil && w.log != nil {
					w.log.Error("policy watcher: applying change", "err", err)
				}
			case *redis.Subscription:
				// The first subscription follows the authorizer's initial load; a later one is a
				// reconnect, and messages may have been lost meanwhile.
				if m.Kind == "subscribe" {
					if !first {
						if err := reload(); err != nil && w.log != nil {
							w.log.Error("policy watcher: reload after reconnect", "err", err)
						}
					}
					first = false
				}
			}
		}
		select {
		case <-tick.C:
			if err := reload(); err != nil && w.log != nil {
				w.log.Error("policy watcher: periodic reload", "err", err)
			}
		default:
		}
	}
}
