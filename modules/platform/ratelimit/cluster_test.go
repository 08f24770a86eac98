package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// onCluster is set while TestOnRedisCluster runs the package's tests on a Redis Cluster.
var onCluster *dbtest.RedisCluster

// testRedis is the package's Redis DB, or the cluster inside TestOnRedisCluster.
func testRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	return dbtest.RedisOrCluster(t, onCluster)
}

// TestOnRedisCluster runs the limiter on a three-master Redis Cluster with one replica each (the
// limiter's INCR and PEXPIREAT touch one key, so one slot), then counts on through a coordinated
// failover and a crash of the master holding the counter.
func TestOnRedisCluster(t *testing.T) {
	onCluster = dbtest.StartRedisCluster(t, 1)
	defer func() { onCluster = nil }()
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"AllowCountsPerKeyAndWindow", TestAllowCountsPerKeyAndWindow},
		{"MiddlewareRefusesWith429", TestMiddlewareRefusesWith429},
		{"Failover", clusterFailover},
	} {
		if !t.Run(tt.name, tt.test) {
			return
		}
	}
}

func clusterFailover(t *testing.T) {
	rdb := testRedis(t)
	name := "failover-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	l := New(rdb, name, 5, time.Hour, quiet)
	clock := time.Now().UTC().Truncate(time.Hour).Add(time.Minute)
	l.now = func() time.Time { return clock }
	ctx := context.Background()
	allow := func(want bool, remaining int) {
		t.Helper()
		d, err := l.Allow(ctx, "9.9.9.9")
		if err != nil {
			t.Fatalf("Allow: %v", err)
		}
		if d.Allowed != want || d.Remaining != remaining {
			t.Fatalf("got %+v, want allowed=%v remaining=%d", d, want, remaining)
		}
	}
	allow(true, 4)
	allow(true, 3)
	key := "skillcert:ratelimit:" + name + ":9.9.9.9:" + strconv.FormatInt(clock.Truncate(time.Hour).Unix(), 10)
	master := onCluster.MasterOf(t, key)
	promoted := onCluster.Failover(t, master)
	t.Logf("counter's master %s failed over to %s", master, promoted)
	// A coordinated failover loses nothing: the count goes on where it was.
	allow(true, 2)
	allow(true, 1)
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 {
		t.Fatalf("the counter lost its expiry in the failover: PTTL %v", ttl)
	}
	// A crash of the new master: the replica takes over; the first request after the promotion is
	// counted (not refused, not an error), whatever the replica had received.
	again := onCluster.KillMaster(t, promoted)
	t.Logf("counter's master %s killed, %s promoted", promoted, again)
	d, err := l.Allow(ctx, "9.9.9.9")
	if err != nil {
		t.Fatalf("Allow after the crash: %v", err)
	}
	if d.Remaining > 3 {
		t.Fatalf("the counter restarted after the crash: %+v", d)
	}
	allow(false, 0)
}
