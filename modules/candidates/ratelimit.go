package candidates

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter says whether one more attempt under key is allowed now.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (bool, error)
}

// RedisLimiter is a fixed-window counter in Redis: at most Limit attempts per key per Window, shared by
// every instance of the API.
type RedisLimiter struct {
	rdb    *redis.Client
	prefix string
	limit  int64
	window time.Duration
	now    func() time.Time
}

// NewRedisLimiter allows limit attempts per window for each key, counting under prefix in Redis.
func NewRedisLimiter(rdb *redis.Client, prefix string, limit int, window time.Duration) *RedisLimiter {
	return &RedisLimiter{rdb: rdb, prefix: prefix, limit: int64(limit), window: window, now: time.Now}
}

// Allow counts an attempt under key and reports whether it is within the limit.
func (l *RedisLimiter) Allow(ctx context.Context, key string) (bool, error) {
	slot := l.now().UnixNano() / int64(l.window)
	k := l.prefix + key + ":" + strconv.FormatInt(slot, 10)
	pipe := l.rdb.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, l.window+time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	return incr.Val() <= l.limit, nil
}
