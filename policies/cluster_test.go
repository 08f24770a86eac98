package policies_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// onCluster is set while TestOnRedisCluster runs the watcher's tests on a Redis Cluster.
var onCluster *dbtest.RedisCluster

// watcherRedis is the package's Redis DB, or a cluster client inside TestOnRedisCluster (each call
// its own client, as each instance has its own).
func watcherRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	return dbtest.RedisOrCluster(t, onCluster)
}

// TestOnRedisCluster carries role changes between instances over a three-master Redis Cluster with
// one replica each (PUBLISH reaches subscribers on every node), then through a crash of the master
// the subscriptions are on.
func TestOnRedisCluster(t *testing.T) {
	onCluster = dbtest.StartRedisCluster(t, 1)
	defer func() { onCluster = nil }()
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"RevocationReachesEveryInstance", TestRevocationReachesEveryInstance},
		{"Failover", clusterFailover},
	} {
		if !t.Run(tt.name, tt.test) {
			return
		}
	}
}

// clusterFailover: the master serving the channel's slot (where go-redis subscribes) crashes; both
// instances resubscribe through the promoted replica, and a change published afterwards reaches the
// other instance by the message alone (the store is left as it was, so no reload could grant it).
func clusterFailover(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tenant, user := uuid.New(), uuid.New()
	s := &store{}
	one := newAuthorizer(t, s, policies.NewWatcher(watcherRedis(t), log))
	two := newAuthorizer(t, s, policies.NewWatcher(watcherRedis(t), log))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, a := range []*policies.Authorizer{one, two} {
		wg.Add(1)
		go func(a *policies.Authorizer) { defer wg.Done(); _ = a.Listen(ctx) }(a)
	}
	defer func() { cancel(); wg.Wait() }()
	time.Sleep(200 * time.Millisecond) // let both subscriptions go live

	master := onCluster.MasterOf(t, policies.Channel)
	promoted := onCluster.KillMaster(t, master)
	t.Logf("channel's master %s killed, %s promoted", master, promoted)

	// Publish until the change arrives: a change published while two is still resubscribing is lost
	// to pub/sub (the periodic reload repairs that in production); once two is back, one delivers.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := one.SetRoles(ctx, tenants.KindEnterprise, tenant, user, []string{"admin"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if roles, _ := two.RolesOf(tenant, user); len(roles) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no role change reached the other instance after the failover")
		}
	}
}
