package identity

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle counts failed logins per account and per client address in Redis, shared by every
// instance. Windows are fixed and named by their start in the key, so they roll over even where TTLs
// do not move by themselves (miniredis in dev mode); the TTL only cleans up.
type Throttle struct {
	rdb          redis.UniversalClient
	AccountLimit int64         // failures per account per window before 429 (default 5)
	AddressLimit int64         // failures per client address per window before 429 (default 30)
	Window       time.Duration // default 15 minutes
	now          func() time.Time
}

// NewThrottle returns a throttle with the default limits.
func NewThrottle(rdb redis.UniversalClient) *Throttle {
	return &Throttle{rdb: rdb, AccountLimit: 5, AddressLimit: 30, Window: 15 * time.Minute, now: time.Now}
}

func (t *Throttle) keys(account, addr string) (string, string) {
	bucket := strconv.FormatInt(t.now().Unix()/int64(t.Window.Seconds()), 10)
	return "skillcert:login:acct:" + account + ":" + bucket, "skillcert:login:addr:" + addr + ":" + bucket
}

// Blocked reports whether the account or the address has used up its failures in this window.
func (t *Throttle) Blocked(ctx context.Context, account, addr string) (bool, error) {
	ka, kd := t.keys(account, addr)
	vals, err := t.rdb.MGet(ctx, ka, kd).Result()
	if err != nil {
		return false, err
	}
	return count(vals[0]) >= t.AccountLimit || count(vals[1]) >= t.AddressLimit, nil
}

// Fail counts one failed attempt against both.
func (t *Throttle) Fail(ctx context.Context, account, addr string) error {
	ka, kd := t.keys(account, addr)
	p := t.rdb.TxPipeline()
	p.Incr(ctx, ka)
	p.Expire(ctx, ka, 2*t.Window)
	p.Incr(ctx, kd)
	p.Expire(ctx, kd, 2*t.Window)
	_, err := p.Exec(ctx)
	return err
}

// Succeed clears the account's failures after a successful login (the address keeps its count).
func (t *Throttle) Succeed(ctx context.Context, account, addr string) error {
	ka, _ := t.keys(account, addr)
	return t.rdb.Del(ctx, ka).Err()
}

func count(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
