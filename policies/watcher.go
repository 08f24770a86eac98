package policies

import (
	"context"
	"encoding/json"
	"log/slog"
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
// is not available to us; this is the same idea in forty lines on go-redis.) Pub/sub delivers only to
// connected listeners, so Listen also reloads everything after a reconnect and on a timer.
type Watcher struct {
	rdb    *redis.Client
	origin string
	log    *slog.Logger
	// ReloadEvery is the safety-net full reload period (default 5 minutes).
	ReloadEvery time.Duration
}

// NewWatcher returns a watcher on rdb for this instance.
func NewWatcher(rdb *redis.Client, log *slog.Logger) *Watcher {
	return &Watcher{rdb: rdb, origin: uuid.NewString(), log: log, ReloadEvery: 5 * time.Minute}
}

// Publish tells every instance about c.
func (w *Watcher) Publish(ctx context.Context, c RoleChange) error {
	c.Origin = w.origin
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return w.rdb.Publish(ctx, Channel, b).Err()
}

// Listen applies other instances' changes with apply until ctx ends; reload rebuilds everything.
func (w *Watcher) Listen(ctx context.Context, apply func(RoleChange) error, reload func() error) error {
	sub := w.rdb.Subscribe(ctx, Channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // wait for the subscription to be live
		return err
	}
	tick := time.NewTicker(w.ReloadEvery)
	defer tick.Stop()
	for {
		msg, err := sub.ReceiveTimeout(ctx, time.Second)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if _, ok := err.(interface{ Timeout() bool }); !ok && w.log != nil {
				w.log.Warn("policy watcher: receive failed; reloading", "err", err)
				_ = reload()
			}
		default:
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
				if m.Kind == "subscribe" { // re-subscribed after a reconnect: messages may be lost
					_ = reload()
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
