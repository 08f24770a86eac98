package jobs

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testRedis returns connection options for this package's Redis DB, emptied for the calling test.
// The package's tests run one after another (none calls t.Parallel) because they share that DB
// and a server takes any task from its queues.
func testRedis(t *testing.T) Redis {
	t.Helper()
	if onCluster != nil { // the test runs inside TestOnRedisCluster
		onCluster.FlushAll(t)
		return RedisCluster(onCluster.Addrs, onCluster.Password)
	}
	if err := dbtest.Redis(t).FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flushing Redis: %v", err)
	}
	r, err := RedisFromURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// flushTestRedis empties the Redis testRedis returned (the package's DB, or the whole cluster).
func flushTestRedis(t *testing.T) {
	t.Helper()
	if onCluster != nil {
		onCluster.FlushAll(t)
		return
	}
	if err := dbtest.Redis(t).FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flushing Redis: %v", err)
	}
}

// testLogger logs through t.Log until the test's cleanups have run, then drops lines, so a late
// log line from a worker goroutine cannot fail the run.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

var _ io.Writer = (*testWriter)(nil)

// testConfig is a Config that polls quickly and retries after about a second, so tests stay short.
func testConfig(t *testing.T, reg prometheus.Registerer) Config {
	return Config{
		Concurrency:         4,
		ShutdownTimeout:     2 * time.Second,
		RetryBaseDelay:      10 * time.Millisecond,
		RetryMaxDelay:       20 * time.Millisecond,
		PollInterval:        50 * time.Millisecond,
		DelayedPollInterval: 100 * time.Millisecond,
		Logger:              testLogger(t),
		Registerer:          reg,
	}
}

// mustServer makes a Server, lets register add handlers, starts it, and shuts it down at the end
// of the test.
func mustServer(t *testing.T, r Redis, cfg Config, register func(*Server)) *Server {
	t.Helper()
	s, err := NewServer(r, cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	register(s)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// mustClient returns a Client closed at the end of the test.
func mustClient(t *testing.T, r Redis) *Client {
	t.Helper()
	c := NewClient(r)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// mustInspector returns an Inspector closed at the end of the test.
func mustInspector(t *testing.T, r Redis) *Inspector {
	t.Helper()
	in := NewInspector(r)
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// waitFor polls cond until it holds, failing the test after a generous bound. It waits for
// something to happen; it asserts nothing about how long that took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitIdle waits until no task is pending, running, scheduled or waiting for a retry.
func waitIdle(t *testing.T, in *Inspector) {
	t.Helper()
	waitFor(t, "the queues to drain", func() bool {
		stats, err := in.Stats()
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		for _, s := range stats {
			if s.Pending+s.Active+s.Scheduled+s.Retry > 0 {
				return false
			}
		}
		return true
	})
}

// metricValue returns the value of the counter or gauge name with exactly the given label pairs
// ("k1", "v1", "k2", "v2", …) in g, or 0 when there is no such series.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if want[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// recorder collects what handlers saw, safely across worker goroutines.
type recorder[T any] struct {
	mu   sync.Mutex
	seen []T
}

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, v)
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.seen...)
}

func (r *recorder[T]) len() int { return len(r.all()) }
