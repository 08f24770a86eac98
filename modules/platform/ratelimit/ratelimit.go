// Package ratelimit limits how often a client may call public endpoints, with a fixed-window counter in
// Redis shared by every API instance: the first request of a client in a window creates the counter
// with an expiry, each request increments it, and requests beyond the limit are refused with 429
// rate_limited until the window ends. One Redis round trip per request (INCR and PEXPIREAT pipelined).
//
// A fixed window lets a client make up to twice the limit across a window boundary; that is fine for
// its purpose, making enumeration of certificate numbers slow, and it is cheaper than a sliding log.
// When Redis does not answer, requests are let through (fail open) and the error is logged: a Redis
// outage must not take public verification down with it.
//
// The limit is per client address as fiber reports it (c.IP()); behind a reverse proxy, configure
// fiber's ProxyHeader so that it is the client's address and not the proxy's.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform"
)

// ErrLimited is the 429 a refused request gets.
var ErrLimited = platform.E(platform.KindRateLimited, "rate_limited", "too many requests; try again later")

// Decision is the outcome of one Allow.
type Decision struct {
	Allowed   bool
	Limit     int       // requests allowed per window; 0 when limiting is off
	Remaining int       // requests left in the current window
	ResetAt   time.Time // when the current window ends
}

// Limiter is a fixed-window rate limiter; safe for concurrent use.
type Limiter struct {
	rdb    redis.Cmdable
	name   string
	limit  int
	window time.Duration
	log    *slog.Logger
	now    func() time.Time
}

// New returns a limiter named name (its Redis keys are namespaced by it, so limiters with different
// names count separately) allowing limit requests per window and key. A limit of 0 or less turns it
// off: every request is allowed without touching Redis (rdb may then be nil). log receives Redis
// failures (nil: slog.Default()).
func New(rdb redis.Cmdable, name string, limit int, window time.Duration, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	if window <= 0 {
		window = time.Minute
	}
	if rdb == nil && limit > 0 {
		log.Warn("rate limiter has no Redis; limiting is off", "limiter", name)
		limit = 0
	}
	return &Limiter{rdb: rdb, name: name, limit: limit, window: window, log: log, now: time.Now}
}

// PerMinute returns a limiter of perMinute requests per minute and key: Config.PublicRate's unit.
func PerMinute(rdb redis.Cmdable, name string, perMinute int, log *slog.Logger) *Limiter {
	return New(rdb, name, perMinute, time.Minute, log)
}

// Enabled reports whether the limiter limits anything.
func (l *Limiter) Enabled() bool { return l != nil && l.limit > 0 }

// Allow counts one request of key and reports whether it is within the limit. It returns Redis
// errors with an allowing Decision, so a caller that ignores the error fails open.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	if !l.Enabled() {
		return Decision{Allowed: true}, nil
	}
	now := l.now()
	start := now.Truncate(l.window)
	reset := start.Add(l.window)
	k := "skillcert:ratelimit:" + l.name + ":" + key + ":" + strconv.FormatInt(start.Unix(), 10)
	pipe := l.rdb.Pipeline()
	incr := pipe.Incr(ctx, k)
	// The key names its window, so the expiry only collects it; a second of slack covers clock skew
	// between the instances and Redis.
	pipe.PExpireAt(ctx, k, reset.Add(time.Second))
	if _, err := pipe.Exec(ctx); err != nil {
		return Decision{Allowed: true, Limit: l.limit, Remaining: l.limit, ResetAt: reset}, fmt.Errorf("ratelimit: %w", err)
	}
	n := int(incr.Val())
	return Decision{Allowed: n <= l.limit, Limit: l.limit, Remaining: max(l.limit-n, 0), ResetAt: reset}, nil
}

// Middleware returns fiber middleware limiting each client address. It sets X-RateLimit-Limit,
// X-RateLimit-Remaining and, when refusing, Retry-After (seconds), and fails with ErrLimited.
func (l *Limiter) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := l.check(c); err != nil {
			return err
		}
		return c.Next()
	}
}

// Wrap returns h behind the limiter, for routers that take one handler per route (httpx.Router).
func (l *Limiter) Wrap(h fiber.Handler) fiber.Handler {
	if !l.Enabled() {
		return h
	}
	return func(c *fiber.Ctx) error {
		if err := l.check(c); err != nil {
			return err
		}
		return h(c)
	}
}

// Check counts the request of c's client and returns ErrLimited when it is over the limit, setting the
// same headers as Middleware: for handlers that answer a refusal themselves (an HTML page).
func (l *Limiter) Check(c *fiber.Ctx) error { return l.check(c) }

func (l *Limiter) check(c *fiber.Ctx) error {
	if !l.Enabled() {
		return nil
	}
	d, err := l.Allow(c.UserContext(), c.IP())
	if err != nil {
		l.log.WarnContext(c.UserContext(), "rate limiter unavailable; request let through", "limiter", l.name, "err", err)
		return nil
	}
	c.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	c.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	if !d.Allowed {
		wait := int(d.ResetAt.Sub(l.now()).Seconds() + 0.999) // whole seconds, rounded up
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(wait, 1)))
		return ErrLimited
	}
	return nil
}
