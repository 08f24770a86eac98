package jobs

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// onCluster is set while TestOnRedisCluster runs the package's tests on a Redis Cluster: testRedis
// then hands out the cluster instead of the package's Redis DB.
var onCluster *dbtest.RedisCluster

// TestOnRedisCluster runs the queue tests again on a three-master Redis Cluster with one replica each
// (SKILLCERT_REDIS_CLUSTER_ADDRS in production, asynq's cluster client option), then keeps a worker
// running through a coordinated failover and a master's crash.
func TestOnRedisCluster(t *testing.T) {
	c := dbtest.StartRedisCluster(t, 1)
	onCluster = c
	defer func() { onCluster = nil }()
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"DuplicateTaskIDRunsOnce", TestDuplicateTaskIDRunsOnce},
		{"TaskIDAfterCompletion", TestTaskIDAfterCompletion},
		{"EnqueueOptions", TestEnqueueOptions},
		{"EnqueueRejects", TestEnqueueRejects},
		{"QueueCollector", TestQueueCollector},
		{"TaskState", TestTaskState},
		{"TwoSchedulersRunEachPeriodOnce", TestTwoSchedulersRunEachPeriodOnce},
		{"HandlerContext", TestHandlerContext},
		{"ScopeResolverErrors", TestScopeResolverErrors},
		{"RetryThenSucceed", TestRetryThenSucceed},
		{"FailuresThatArchive", TestFailuresThatArchive},
		{"UnregisteredTypeIsRetried", TestUnregisteredTypeIsRetried},
		{"ShutdownRequeuesRunningTask", TestShutdownRequeuesRunningTask},
		{"Failover", clusterFailover},
	} {
		if !t.Run(tt.name, tt.test) {
			return // a broken cluster would fail every later test the same way
		}
	}
}

// clusterFailover: a worker runs while the master holding the default queue hands over to its replica
// (CLUSTER FAILOVER) and then while the new master is killed: every task enqueued before and after
// each event runs, and tasks enqueued before the coordinated failover are not lost.
func clusterFailover(t *testing.T) {
	r := testRedis(t)
	cl, in := mustClient(t, r), mustInspector(t, r)
	tenant := uuid.New()
	ctx := context.Background()
	var ran recorder[string]
	enqueue := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if err := cl.Enqueue(ctx, "test:failover", tenant, notice{Count: i}, TaskID(fmt.Sprintf("f-%d", i))); err != nil {
				t.Fatalf("Enqueue %d: %v", i, err)
			}
		}
	}
	ranAll := func(n int) func() bool {
		return func() bool {
			seen := map[string]bool{}
			for _, id := range ran.all() {
				seen[id] = true
			}
			return len(seen) == n
		}
	}

	// Tasks waiting when the master hands over: the replica has them (a manual failover first
	// catches up), so they run once a worker starts.
	enqueue(0, 10)
	master := onCluster.MasterOf(t, "asynq:{default}:pending")
	promoted := onCluster.Failover(t, master)
	t.Logf("queue master %s failed over to %s", master, promoted)
	mustServer(t, r, testConfig(t, nil), func(s *Server) {
		s.Handle("test:failover", func(_ context.Context, task Task) error { ran.add(task.ID); return nil })
	})
	waitFor(t, "the tasks enqueued before the failover", ranAll(10))
	enqueue(10, 20)
	waitFor(t, "the tasks enqueued after the failover", ranAll(20))

	// The new master crashes; its replica (the old master) is promoted and the worker carries on.
	if got := onCluster.MasterOf(t, "asynq:{default}:pending"); got != promoted {
		t.Fatalf("the queue is on %s, want the promoted %s", got, promoted)
	}
	again := onCluster.KillMaster(t, promoted)
	t.Logf("queue master %s killed, %s promoted", promoted, again)
	enqueue(20, 30)
	waitFor(t, "the tasks enqueued after the crash", ranAll(30))
	waitIdle(t, in)
}
