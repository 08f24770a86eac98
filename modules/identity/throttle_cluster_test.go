package identity_test

import (
	"context"
	"testing"

	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// TestThrottleOnRedisCluster: the login throttle's two counters (account, address) hash to different
// slots of a Redis Cluster; counting, blocking and clearing work there (no cross-slot MGET or MULTI).
func TestThrottleOnRedisCluster(t *testing.T) {
	c := dbtest.StartRedisCluster(t, 0)
	ctx := context.Background()
	rdb, err := platform.OpenRedisCluster(ctx, c.Addrs, c.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	th := identity.NewThrottle(rdb, []byte("cluster-test-key"))
	th.AccountLimit, th.AddressLimit = 3, 5
	if len(c.Masters(t)) != 3 {
		t.Fatalf("masters: %v", c.Masters(t))
	}
	blocked := func(account, addr string) bool {
		t.Helper()
		b, err := th.Blocked(ctx, account, addr)
		if err != nil {
			t.Fatalf("Blocked: %v", err)
		}
		return b
	}
	if blocked("acme/admin", "10.0.0.1") {
		t.Fatal("blocked before any failure")
	}
	for range 3 {
		if err := th.Fail(ctx, "acme/admin", "10.0.0.1"); err != nil {
			t.Fatalf("Fail: %v", err)
		}
	}
	if !blocked("acme/admin", "10.0.0.2") {
		t.Fatal("the account is not blocked after its limit")
	}
	if blocked("acme/staff", "10.0.0.2") {
		t.Fatal("another account on another address is blocked")
	}
	for range 2 {
		if err := th.Fail(ctx, "acme/other", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if !blocked("acme/staff", "10.0.0.1") {
		t.Fatal("the address is not blocked after its limit")
	}
	if err := th.Succeed(ctx, "acme/admin", "10.0.0.3"); err != nil {
		t.Fatal(err)
	}
	if blocked("acme/admin", "10.0.0.3") {
		t.Fatal("a successful login did not clear the account's failures")
	}
}
