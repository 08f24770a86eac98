package ratelimit

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestAllowCountsPerKeyAndWindow(t *testing.T) {
	rdb := testRedis(t)
	l := New(rdb, "test-"+strconv.FormatInt(time.Now().UnixNano(), 36), 3, time.Minute, quiet)
	// A day ahead of the real clock: counters expire (in real Redis time) at the end of their window.
	clock := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute).Add(5 * time.Second)
	l.now = func() time.Time { return clock }
	ctx := context.Background()

	tests := []struct {
		name      string
		key       string
		advance   time.Duration
		allowed   bool
		remaining int
	}{
		{"first", "1.2.3.4", 0, true, 2},
		{"second", "1.2.3.4", 0, true, 1},
		{"third reaches the limit", "1.2.3.4", 0, true, 0},
		{"fourth is refused", "1.2.3.4", 0, false, 0},
		{"another address has its own budget", "5.6.7.8", 0, true, 2},
		{"still refused later in the window", "1.2.3.4", 50 * time.Second, false, 0},
		{"a new window starts afresh", "1.2.3.4", 10 * time.Second, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock = clock.Add(tt.advance)
			d, err := l.Allow(ctx, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tt.allowed || d.Remaining != tt.remaining || d.Limit != 3 {
				t.Fatalf("got %+v, want allowed=%v remaining=%d", d, tt.allowed, tt.remaining)
			}
			if want := clock.Truncate(time.Minute).Add(time.Minute); !d.ResetAt.Equal(want) {
				t.Fatalf("reset %v, want %v", d.ResetAt, want)
			}
		})
	}
}

func TestCountersExpire(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	l := New(rdb, "exp", 1, time.Minute, quiet)
	start := time.Now()
	l.now = func() time.Time { return start }
	if _, err := l.Allow(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	keys := mr.Keys()
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	if ttl := mr.TTL(keys[0]); ttl <= 0 || ttl > 62*time.Second {
		t.Fatalf("counter TTL %v: the key must expire after its window", ttl)
	}
}

func TestZeroLimitIsOff(t *testing.T) {
	// No Redis at all: a limiter that is off must not need one.
	l := PerMinute(nil, "off", 0, quiet)
	for i := 0; i < 100; i++ {
		d, err := l.Allow(context.Background(), "k")
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v %v", i, d, err)
		}
	}
	app := fiber.New()
	app.Get("/", l.Wrap(func(c *fiber.Ctx) error { return c.SendString("ok") }))
	res, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	if res.Header.Get("X-RateLimit-Limit") != "" {
		t.Fatal("an inactive limiter must not advertise a limit")
	}
}

func TestMiddlewareRefusesWith429(t *testing.T) {
	rdb := testRedis(t)
	l := PerMinute(rdb, "mw-"+strconv.FormatInt(time.Now().UnixNano(), 36), 2, quiet)
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(quiet)})
	app.Get("/wrapped", l.Wrap(func(c *fiber.Ctx) error { return c.SendString("ok") }))
	app.Use("/mw", l.Middleware())
	app.Get("/mw", func(c *fiber.Ctx) error { return c.SendString("ok") })

	// Both routes share the limiter's budget per address.
	for i, path := range []string{"/wrapped", "/mw"} {
		res, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("request %d: %v %v", i, res.StatusCode, err)
		}
		if got := res.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(1-i) {
			t.Fatalf("remaining %q after %d requests", got, i+1)
		}
	}
	res, err := app.Test(httptest.NewRequest("GET", "/mw", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 429 {
		t.Fatalf("status %d, want 429", res.StatusCode)
	}
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	b, _ := io.ReadAll(res.Body)
	if p := string(b); !strings.Contains(p, `"code":"rate_limited"`) {
		t.Fatalf("body %s", p)
	}
}

func TestRedisDownFailsOpen(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	mr.Close()
	l := PerMinute(rdb, "down", 1, quiet)
	d, err := l.Allow(context.Background(), "k")
	if err == nil || !d.Allowed {
		t.Fatalf("got %+v %v, want an allowing decision and the error", d, err)
	}
	app := fiber.New()
	app.Get("/", l.Wrap(func(c *fiber.Ctx) error { return c.SendString("ok") }))
	for i := 0; i < 3; i++ {
		res, err := app.Test(httptest.NewRequest("GET", "/", nil))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("request %d with Redis down: %v %v", i, res.StatusCode, err)
		}
	}
	if platform.KindOf(ErrLimited) != platform.KindRateLimited {
		t.Fatal("ErrLimited must be a 429")
	}
}
