package oversight

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
)

// RedisLimiter allows PerMinute requests per key and fixed minute window, counted in Redis so that
// every API instance shares the count.
type RedisLimiter struct {
	Redis     *redis.Client
	PerMinute int
}

// Allow counts one request of key and reports whether it is within the limit. PerMinute 0 turns the
// limit off.
func (l RedisLimiter) Allow(c *fiber.Ctx, key string) (bool, error) {
	if l.PerMinute <= 0 || l.Redis == nil {
		return true, nil
	}
	window := time.Now().Unix() / 60
	k := "skillcert:oversight:limit:" + key + ":" + itoa(window)
	ctx := c.UserContext()
	pipe := l.Redis.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, 2*time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	return incr.Val() <= int64(l.PerMinute), nil
}
