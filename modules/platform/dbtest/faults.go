package dbtest

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform"
)

// Real faults for tests of what happens when a service goes away: a redis-server of the test's own
// that it stops and starts again, and a TCP proxy it cuts and restores. No mocks: the code under test
// sees refused and reset connections exactly as in production.

// RedisServer is a redis-server the test started on a free port, without persistence.
type RedisServer struct {
	Addr string
	mu   sync.Mutex
	cmd  *exec.Cmd
}

// StartRedis starts a redis-server for the test (skipping the test when the binary is missing) and
// stops it when the test ends.
func StartRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Skip("redis-server is not installed")
	}
	s := &RedisServer{Addr: freeAddr(tb)}
	s.Start(tb)
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// URL is the server's redis:// address.
func (s *RedisServer) URL() string { return "redis://" + s.Addr }

// Start (re)starts the server on its address and waits until it answers.
func (s *RedisServer) Start(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dbtest: starting redis-server: %v", err)
	}
	s.cmd = cmd
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			tb.Fatalf("dbtest: redis-server on %s does not answer", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (clients see their connections reset, then refused) and waits for it to exit.
func (s *RedisServer) Stop(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Proxy forwards TCP connections from Addr to a target until cut.
type Proxy struct {
	Addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

// StartProxy starts a proxy to target on a free address; it is closed when the test ends.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{Addr: freeAddr(tb), target: target, conns: map[net.Conn]bool{}}
	p.Restore(tb)
	tb.Cleanup(p.Cut)
	return p
}

// Cut closes the listener and every forwarded connection: clients see resets, then refusals.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Restore listens on the proxy's address again.
func (p *Proxy) Restore(tb testing.TB) {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port of a just-closed listener may take a moment to free
		if ln, err = net.Listen("tcp", p.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("dbtest: proxy listening on %s: %v", p.Addr, err)
	}
	p.ln = ln
	go p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // cut meanwhile
			p.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			return
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// ClosedAddr returns a loopback host:port on which nothing listens (connections are refused).
func ClosedAddr(tb testing.TB) (host string, port int) {
	tb.Helper()
	h, p, _ := net.SplitHostPort(freeAddr(tb))
	n, _ := strconv.Atoi(p)
	return h, n
}

// CutDatabase makes the PostgreSQL database of dbURL unavailable as an outage would: it stops
// accepting connections and every session in it is terminated (SQLSTATE 57P01 to a query under way,
// a refused session to the next connect). The returned func ends the outage; the test's end does too.
func CutDatabase(tb testing.TB, dbURL string) (restore func()) {
	tb.Helper()
	name := platform.DatabaseName(dbURL)
	ctx := context.Background()
	admin, err := platform.OpenPostgres(ctx, ServerURL())
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false"); err != nil {
		tb.Fatalf("dbtest: cutting database %s: %v", name, err)
	}
	if _, err := admin.ExecContext(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()", name); err != nil {
		tb.Fatalf("dbtest: terminating sessions of %s: %v", name, err)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			admin, err := platform.OpenPostgres(ctx, ServerURL())
			if err != nil {
				tb.Errorf("dbtest: %v", err)
				return
			}
			defer admin.Close()
			if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true"); err != nil {
				tb.Errorf("dbtest: restoring database %s: %v", name, err)
			}
		})
	}
	tb.Cleanup(restore)
	return restore
}
