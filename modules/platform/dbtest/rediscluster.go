package dbtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform"
)

// RedisCluster is a Redis Cluster the test started on loopback: three masters, each with the number
// of replicas asked for, every node a redis-server with `--cluster-enabled yes` in a temporary
// directory, joined with `redis-cli --cluster create`. It has a password (Password), so the code
// under test goes through the SKILLCERT_REDIS_PASSWORD path as in production. Nodes are killed when
// the test ends.
type RedisCluster struct {
	Addrs    []string // every node, masters and replicas: the seed list
	Password string

	dir   string
	mu    sync.Mutex
	procs map[string]*exec.Cmd
}

// StartRedisCluster starts a three-master cluster with replicas replicas per master (1 to test
// failover) and waits until it serves every slot and each replica has synchronised. A missing
// redis-server or redis-cli fails the test: CI installs them, and a skipped cluster test would
// hide that the cluster path went untested.
func StartRedisCluster(tb testing.TB, replicas int) *RedisCluster {
	tb.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Fatalf("dbtest: %s is not installed; the Redis Cluster tests need it (apt-get install redis-server; .ci/run installs it)", bin)
		}
	}
	c := &RedisCluster{Password: "cluster-test-pass", dir: tb.TempDir(), procs: map[string]*exec.Cmd{}}
	tb.Cleanup(c.stopAll)
	n := 3 * (1 + replicas)
	for i := 0; i < n; i++ {
		addr := clusterFreeAddr(tb)
		c.Addrs = append(c.Addrs, addr)
		c.start(tb, addr)
	}
	args := append([]string{"-a", c.Password, "--no-auth-warning", "--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("dbtest: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitHealthy(tb)
	return c
}

// clusterFreeAddr returns a free loopback port whose cluster bus port (port+10000) is free too.
func clusterFreeAddr(tb testing.TB) string {
	tb.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			_ = ln.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		_ = ln.Close()
		if err != nil {
			continue
		}
		_ = bus.Close()
		return "127.0.0.1:" + strconv.Itoa(port)
	}
	tb.Fatal("dbtest: no free port pair for a Redis Cluster node")
	return ""
}

func (c *RedisCluster) start(tb testing.TB, addr string) {
	tb.Helper()
	_, port, _ := net.SplitHostPort(addr)
	dir := filepath.Join(c.dir, port)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--cluster-node-timeout", "1000", "--save", "", "--appendonly", "no",
		"--requirepass", c.Password, "--masterauth", c.Password, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dbtest: starting redis-server on %s: %v", addr, err)
	}
	c.mu.Lock()
	c.procs[addr] = cmd
	c.mu.Unlock()
	rdb := c.node(addr)
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			tb.Fatalf("dbtest: redis-server on %s does not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *RedisCluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for addr, cmd := range c.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(c.procs, addr)
	}
}

// node is a plain client on one node (no redirects), for administration.
func (c *RedisCluster) node(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: c.Password, MaxRetries: -1, DialTimeout: time.Second})
}

// Client returns a cluster client on the seed addresses, closed when the test ends.
func (c *RedisCluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, Password: c.Password})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// RedisOrCluster returns the package's Redis DB (Redis), or — when c is set, inside a test that runs
// the package's tests again on a cluster — a client of c made as production makes one
// (platform.OpenRedisCluster: it follows a failover at once), closed when the test ends.
func RedisOrCluster(tb testing.TB, c *RedisCluster) redis.UniversalClient {
	tb.Helper()
	if c == nil {
		return Redis(tb)
	}
	rdb, err := platform.OpenRedisCluster(context.Background(), c.Addrs, c.Password)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Env returns the SKILLCERT_ variables naming the cluster, as serve and worker read them.
func (c *RedisCluster) Env() map[string]string {
	return map[string]string{"SKILLCERT_REDIS_CLUSTER_ADDRS": strings.Join(c.Addrs, ","), "SKILLCERT_REDIS_PASSWORD": c.Password}
}

// FlushAll empties every master.
func (c *RedisCluster) FlushAll(tb testing.TB) {
	tb.Helper()
	for _, m := range c.Masters(tb) {
		rdb := c.node(m)
		err := rdb.FlushAll(context.Background()).Err()
		_ = rdb.Close()
		if err != nil {
			tb.Fatalf("dbtest: FLUSHALL on %s: %v", m, err)
		}
	}
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool
}

// nodes reads CLUSTER NODES from the first live node.
func (c *RedisCluster) nodes() ([]clusterNode, error) {
	var lastErr error
	for _, a := range c.live() {
		rdb := c.node(a)
		out, err := rdb.ClusterNodes(context.Background()).Result()
		_ = rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		var ns []clusterNode
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			addr, _, _ := strings.Cut(f[1], "@")
			ns = append(ns, clusterNode{id: f[0], addr: addr, masterID: f[3],
				master: strings.Contains(f[2], "master"), failed: strings.Contains(f[2], "fail")})
		}
		return ns, nil
	}
	return nil, fmt.Errorf("no live node: %v", lastErr)
}

func (c *RedisCluster) live() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, a := range c.Addrs {
		if c.procs[a] != nil {
			out = append(out, a)
		}
	}
	return out
}

// Masters returns the addresses of the live masters.
func (c *RedisCluster) Masters(tb testing.TB) []string {
	tb.Helper()
	ns, err := c.nodes()
	if err != nil {
		tb.Fatalf("dbtest: CLUSTER NODES: %v", err)
	}
	var out []string
	for _, n := range ns {
		if n.master && !n.failed {
			out = append(out, n.addr)
		}
	}
	return out
}

// MasterOf returns the address of the master serving key's hash slot.
func (c *RedisCluster) MasterOf(tb testing.TB, key string) string {
	tb.Helper()
	rdb := c.node(c.live()[0])
	defer rdb.Close()
	ctx := context.Background()
	slot, err := rdb.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		tb.Fatalf("dbtest: CLUSTER KEYSLOT: %v", err)
	}
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		tb.Fatalf("dbtest: CLUSTER SLOTS: %v", err)
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			return s.Nodes[0].Addr
		}
	}
	tb.Fatalf("dbtest: no master serves slot %d", slot)
	return ""
}

// replicaOf returns a replica of the master at addr.
func (c *RedisCluster) replicaOf(tb testing.TB, master string) string {
	tb.Helper()
	ns, err := c.nodes()
	if err != nil {
		tb.Fatalf("dbtest: CLUSTER NODES: %v", err)
	}
	var id string
	for _, n := range ns {
		if n.addr == master {
			id = n.id
		}
	}
	for _, n := range ns {
		if !n.master && n.masterID == id && !n.failed {
			return n.addr
		}
	}
	tb.Fatalf("dbtest: master %s has no replica (start the cluster with replicas)", master)
	return ""
}

// Failover has a replica of the master at addr take over with CLUSTER FAILOVER (the coordinated
// manual failover: the replica catches up with its master first, so no acknowledged write is lost),
// waits until the cluster agrees, and returns the new master's address.
func (c *RedisCluster) Failover(tb testing.TB, master string) string {
	tb.Helper()
	replica := c.replicaOf(tb, master)
	rdb := c.node(replica)
	err := rdb.ClusterFailover(context.Background()).Err()
	_ = rdb.Close()
	if err != nil {
		tb.Fatalf("dbtest: CLUSTER FAILOVER on %s: %v", replica, err)
	}
	c.waitMaster(tb, replica, master)
	return replica
}

// KillMaster kills the master at addr (SIGKILL, as a crash), waits until the cluster has promoted
// one of its replicas and serves every slot again, and returns the new master's address.
func (c *RedisCluster) KillMaster(tb testing.TB, master string) string {
	tb.Helper()
	replica := c.replicaOf(tb, master)
	c.mu.Lock()
	if cmd := c.procs[master]; cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(c.procs, master)
	}
	c.mu.Unlock()
	c.waitMaster(tb, replica, master)
	return replica
}

// waitMaster waits until every live node sees replica as a master and old as no longer one, and the
// cluster is healthy.
func (c *RedisCluster) waitMaster(tb testing.TB, replica, old string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, a := range c.live() {
			rdb := c.node(a)
			out, err := rdb.ClusterNodes(context.Background()).Result()
			_ = rdb.Close()
			if err != nil {
				ok = false
				break
			}
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) < 3 {
					continue
				}
				addr, _, _ := strings.Cut(f[1], "@")
				if addr == replica && !strings.Contains(f[2], "master") {
					ok = false
				}
				if addr == old && strings.Contains(f[2], "master") && !strings.Contains(f[2], "fail") {
					ok = false
				}
			}
		}
		if ok && c.healthy() == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("dbtest: %s did not take over from %s", replica, old)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitHealthy waits until every live node reports cluster_state:ok with all 16384 slots served and
// every replica is connected to its master.
func (c *RedisCluster) WaitHealthy(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.healthy()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("dbtest: the Redis Cluster did not become healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *RedisCluster) healthy() error {
	ctx := context.Background()
	for _, a := range c.live() {
		rdb := c.node(a)
		info, err := rdb.ClusterInfo(ctx).Result()
		if err == nil && (!strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384")) {
			state, _, _ := strings.Cut(info, "\n")
			err = fmt.Errorf("%s: %s", a, strings.TrimSpace(state))
		}
		if err == nil {
			var repl string
			if repl, err = rdb.Info(ctx, "replication").Result(); err == nil &&
				strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				err = fmt.Errorf("%s: replica not synchronised", a)
			}
		}
		_ = rdb.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
