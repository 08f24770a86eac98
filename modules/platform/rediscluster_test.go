package platform_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

func TestRedisClusterConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := platform.LoadConfig(env(map[string]string{
		"SKILLCERT_DATABASE_URL":        "postgres://u@db:5432/x",
		"SKILLCERT_REDIS_CLUSTER_ADDRS": " r1:7000, r2:7001 ,,r3:7002",
		"SKILLCERT_REDIS_PASSWORD":      "s3cret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.RedisClusterAddrs, []string{"r1:7000", "r2:7001", "r3:7002"}) || c.RedisPassword != "s3cret" {
		t.Fatalf("got %v %q", c.RedisClusterAddrs, c.RedisPassword)
	}
	if err := c.RequireServices(true); err != nil {
		t.Fatalf("a cluster without SKILLCERT_REDIS_URL must do: %v", err)
	}
	if n := c.RedisName(); strings.Contains(n, "s3cret") || !strings.Contains(n, "r2:7001") {
		t.Fatalf("RedisName = %q", n)
	}
	_, err = platform.LoadConfig(env(map[string]string{"SKILLCERT_REDIS_CLUSTER_ADDRS": "r1:7000,r2"}))
	if err == nil || !strings.Contains(err.Error(), "SKILLCERT_REDIS_CLUSTER_ADDRS") {
		t.Fatalf("a seed without a port: %v", err)
	}
	c, _ = platform.LoadConfig(env(map[string]string{"SKILLCERT_DATABASE_URL": "postgres://u@db:5432/x"}))
	if err := c.RequireServices(true); err == nil || !strings.Contains(err.Error(), "SKILLCERT_REDIS_CLUSTER_ADDRS") {
		t.Fatalf("no Redis at all: %v", err)
	}
}

// TestConnectRedisCluster: ConnectRedis opens the cluster named in the configuration, with its
// password, and refuses a wrong one in one line.
func TestConnectRedisCluster(t *testing.T) {
	rc := dbtest.StartRedisCluster(t, 0)
	ctx := context.Background()
	c, err := platform.LoadConfig(func(k string) string { return rc.Env()[k] })
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := platform.ConnectRedis(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for _, k := range []string{"a", "b", "c", "d"} { // keys on different masters
		if err := rdb.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.RedisPassword = "wrong"
	if _, err := platform.ConnectRedis(ctx, c); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("a wrong password: %v", err)
	}
}
