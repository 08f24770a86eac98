package jobs

import (
	"github.com/hibiken/asynq"

	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

func TestRedisFromURL(t *testing.T) {
	tests := []struct {
		url                  string
		addr, user, password string
		db                   int
		tls                  bool
	}{
		{url: "redis://127.0.0.1:6379/3", addr: "127.0.0.1:6379", db: 3},
		{url: "redis://127.0.0.1:6379", addr: "127.0.0.1:6379"},
		{url: "redis://app:s3cret@cache.internal:6380/1", addr: "cache.internal:6380", user: "app", password: "s3cret", db: 1},
		{url: "rediss://:s3cret@cache.internal:6380/2", addr: "cache.internal:6380", password: "s3cret", db: 2, tls: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			o, err := RedisFromURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if o := o.opt.(asynq.RedisClientOpt); o.Addr != tt.addr || o.Username != tt.user || o.Password != tt.password || o.DB != tt.db || (o.TLSConfig != nil) != tt.tls {
				t.Errorf("got %+v", o)
			}
		})
	}
	for _, bad := range []string{"http://:s3cret@host/0", "redis://:s3cret@host/notanumber", "::"} {
		_, err := RedisFromURL(bad)
		if err == nil {
			t.Errorf("RedisFromURL(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q leaks the password", err)
		}
	}
}

// TestOnMiniredis runs the same path `skillcert dev` uses: asynq on the in-process Redis.
func TestOnMiniredis(t *testing.T) {
	dev, err := StartDevRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	r := dev.Conn()
	c, in := mustClient(t, r), mustInspector(t, r)
	var ran recorder[Task]
	mustServer(t, r, testConfig(t, nil), func(s *Server) {
		s.Handle("test:dev", func(_ context.Context, task Task) error { ran.add(task); return nil })
	})
	tenant := uuid.New()
	for range 2 {
		if err := c.Enqueue(context.Background(), "test:dev", tenant, notice{Count: 1}, TaskID("once"), Retention(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the task on miniredis", func() bool { return ran.len() >= 1 })
	waitIdle(t, in)
	if got := ran.all(); len(got) != 1 || got[0].TenantID != tenant {
		t.Errorf("ran %+v, want one run for %s", got, tenant)
	}
}

// TestDevRedisClock checks that keys with a TTL expire on DevRedis, which miniredis does only when
// its clock is fast-forwarded.
func TestDevRedisClock(t *testing.T) {
	dev, err := StartDevRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	opt, err := redis.ParseURL(dev.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	if err := rdb.Set(ctx, "session", "x", 500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the key to expire", func() bool {
		n, err := rdb.Exists(ctx, "session").Result()
		return err == nil && n == 0
	})
	if n, err := rdb.Exists(ctx, "session").Result(); err != nil || n != 0 {
		t.Errorf("key still there: %d, %v", n, err)
	}
}
