package policies_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// TestPublishRetriedAfterRedisFails: instance one reaches Redis through a proxy the test cuts, so
// publishing fails while instance two stays subscribed. SetRoles still succeeds (the change is
// committed), applies locally at once, and the change reaches two once the proxy is back — by the
// retry alone: the store is left unchanged, so no reload could grant it.
func TestPublishRetriedAfterRedisFails(t *testing.T) {
	direct := dbtest.Redis(t)
	proxy := dbtest.StartProxy(t, direct.Options().Addr)
	opt := *direct.Options()
	opt.Addr = proxy.Addr
	opt.MaxRetries = -1
	viaProxy := redis.NewClient(&opt)
	defer viaProxy.Close()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tenant, user := uuid.New(), uuid.New()
	s := &store{}
	wOne := policies.NewWatcher(viaProxy, log)
	one := newAuthorizer(t, s, wOne)
	two := newAuthorizer(t, s, policies.NewWatcher(direct, log))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = two.Listen(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	time.Sleep(200 * time.Millisecond) // let two's subscription go live

	proxy.Cut()
	start := time.Now()
	if err := one.SetRoles(ctx, tenants.KindEnterprise, tenant, user, []string{"admin"}); err != nil {
		t.Fatalf("SetRoles with Redis unreachable: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("SetRoles took %v with Redis refusing", d)
	}
	if ok, _ := one.Allowed(tenant, user, "user:create"); !ok {
		t.Fatal("the change did not apply on its own instance")
	}
	if wOne.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", wOne.Pending())
	}
	// A second change of the same user replaces the pending one: only the latest is delivered.
	if err := one.SetRoles(ctx, tenants.KindEnterprise, tenant, user, []string{"staff"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a retry or two fail meanwhile
	if roles, _ := two.RolesOf(tenant, user); len(roles) != 0 {
		t.Fatalf("two saw %v while Redis was cut", roles)
	}
	proxy.Restore(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		roles, _ := two.RolesOf(tenant, user)
		if len(roles) == 1 && roles[0] == policies.RoleSubject(tenants.KindEnterprise, "staff") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retried change never reached the other instance; its roles: %v", roles)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if wOne.Pending() != 0 {
		t.Fatalf("pending = %d after delivery", wOne.Pending())
	}
}

// TestListenSurvivesRedisDown: a watcher whose Redis refuses connections from the start neither
// returns nor spins; its periodic reload goes on, and once Redis is there it subscribes and applies
// changes.
func TestListenSurvivesRedisDown(t *testing.T) {
	srv := dbtest.StartRedis(t)
	srv.Stop(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	defer rdb.Close()
	w := policies.NewWatcher(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.ReloadEvery = 200 * time.Millisecond
	var reloads, applied atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Listen(ctx, func(policies.RoleChange) error { applied.Add(1); return nil },
			func() error { reloads.Add(1); return nil })
	}()
	time.Sleep(1500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Listen returned while Redis was down: %v", err)
	default:
	}
	if n := reloads.Load(); n < 1 || n > 20 {
		t.Fatalf("%d periodic reloads in 1.5 s with a 200 ms period while Redis was down", n)
	}
	srv.Start(t)
	other := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer other.Close()
	pub := policies.NewWatcher(other, nil)
	deadline := time.Now().Add(15 * time.Second)
	for applied.Load() == 0 {
		if err := pub.Publish(ctx, policies.RoleChange{Kind: tenants.KindEnterprise, TenantID: uuid.New(), UserID: uuid.New()}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no change applied after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not end with its context")
	}
}
