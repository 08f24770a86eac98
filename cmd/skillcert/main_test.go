package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestBadConfigurationIsOneClearLine: each mistake stops the binary with one line naming the problem,
// and never prints a password.
func TestBadConfigurationIsOneClearLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"serve without database", []string{"serve"}, nil, "SKILLCERT_DATABASE_URL is not set"},
		{"worker without redis", []string{"worker"}, map[string]string{"SKILLCERT_DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, "SKILLCERT_REDIS_URL is not set"},
		{"bad database URL", []string{"serve"}, map[string]string{"SKILLCERT_DATABASE_URL": "mysql://root:hunter2@db/x"}, "must look like postgres://"},
		{"unreachable database", []string{"migrate", "status"}, map[string]string{"SKILLCERT_DATABASE_URL": "postgres://alice:hunter2@127.0.0.1:1/payroll?connect_timeout=2"},
			`cannot reach PostgreSQL database "payroll" at 127.0.0.1:1`},
		{"bad rate", []string{"serve"}, map[string]string{"SKILLCERT_PUBLIC_RATE": "lots"}, "SKILLCERT_PUBLIC_RATE must be a whole number"},
		{"bad log level", []string{"serve"}, map[string]string{"SKILLCERT_LOG_LEVEL": "loud"}, "SKILLCERT_LOG_LEVEL must be"},
		{"short admin password", []string{"serve"}, map[string]string{"SKILLCERT_ADMIN_PASSWORD": "short"}, "SKILLCERT_ADMIN_PASSWORD must have 8"},
		{"bad trusted proxy", []string{"serve"}, map[string]string{"SKILLCERT_TRUSTED_PROXIES": "10.0.0.1, caddy"}, "SKILLCERT_TRUSTED_PROXIES must list"},
		{"unknown command", []string{"explode"}, nil, `unknown command "explode"`},
		{"sync without subcommand", []string{"sync"}, nil, "sync needs: replay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tc.args, env(tc.env), &out, &errb)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q does not say %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("error spans lines: %q", msg)
			}
			if strings.Contains(msg+errb.String()+out.String(), "hunter2") {
				t.Fatalf("password leaked: %q", msg)
			}
		})
	}
}

func TestServeRefusesASchemaBehind(t *testing.T) {
	_, url := dbtest.Empty(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	e := env(map[string]string{"SKILLCERT_DATABASE_URL": url, "SKILLCERT_REDIS_URL": dbtest.RedisURL(t)})
	var out, errb bytes.Buffer
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, e, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "schema is behind") {
		t.Fatalf("serve on an empty schema: %v", err)
	}
	if err := run(ctx, []string{"migrate", "up"}, e, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate up printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"migrate", "status"}, e, &out, &errb); err != nil || strings.Contains(out.String(), "pending") {
		t.Fatalf("status after up: %v %q", err, out.String())
	}
	// serve now starts, and stops cleanly when its context ends. Its start on a fresh database seeds the
	// occupation catalog and the platform secret: on a busy 2-core machine that took over 3 s, so the
	// window is generous (the test waits it out either way).
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	defer scancel()
	if err := run(sctx, []string{"serve", "--addr", "127.0.0.1:0"}, e, &out, &errb); err != nil {
		t.Fatalf("serve on a current schema: %v", err)
	}
}

// TestAdminAndAuditVerify runs operator tasks, then tampers with an audit row: `audit verify` names it.
func TestAdminAndAuditVerify(t *testing.T) {
	db, url := dbtest.Fresh(t)
	ctx := context.Background()
	e := env(map[string]string{"SKILLCERT_DATABASE_URL": url, "SKILLCERT_REDIS_URL": dbtest.RedisURL(t)})
	var out, errb bytes.Buffer
	steps := [][]string{
		{"admin", "create-tenant", "--slug", "ops-co", "--name", "运维测试公司", "--kind", "enterprise", "--region", "110105", "--admin-password", "first password"},
		{"admin", "reset-password", "--tenant", "ops-co", "--username", "admin", "--password", "second password"},
		{"admin", "disable-user", "--tenant", "ops-co", "--username", "admin"},
		{"audit", "verify"},
		{"sync", "replay", "--since", "2026-01-01T00:00:00Z"},
	}
	for _, s := range steps {
		if err := run(ctx, s, e, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, errb.String())
		}
	}
	if !strings.Contains(out.String(), "ok   ops-co") {
		t.Fatalf("audit verify output: %s", out.String())
	}
	if err := run(ctx, []string{"admin", "create-tenant", "--slug", "x", "--name", "n", "--kind", "enterprise", "--region", "999999", "--admin-password", "long enough"}, e, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "region_code") {
		t.Fatalf("bad region accepted: %v", err)
	}
	// Passwords are checked as everywhere (identity.CheckPassword): a common one is refused by name, for
	// the platform administrator SKILLCERT_ADMIN_PASSWORD creates too.
	if err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env(map[string]string{"SKILLCERT_DATABASE_URL": url,
		"SKILLCERT_REDIS_URL": dbtest.RedisURL(t), "SKILLCERT_ADMIN_PASSWORD": "iloveyou"}), &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "SKILLCERT_ADMIN_PASSWORD is refused") || !strings.Contains(err.Error(), "commonly used") {
		t.Fatalf("common admin password accepted: %v", err)
	}
	if err := run(ctx, []string{"admin", "reset-password", "--tenant", "ops-co", "--username", "admin", "--password", "iloveyou"}, e, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "password: this password is among the most commonly used") {
		t.Fatalf("common password accepted: %v", err)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET session_replication_role = replica",
		"UPDATE audit_log SET actor_name = 'nobody' WHERE seq = 2 AND tenant_id = (SELECT id FROM tenants WHERE slug = 'ops-co')",
		"SET session_replication_role = DEFAULT"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	err = run(ctx, []string{"audit", "verify", "--tenant", "ops-co"}, e, &out, &errb)
	if err == nil || !strings.Contains(out.String(), "FAIL ops-co") || !strings.Contains(out.String(), "seq 2") {
		t.Fatalf("tampered chain: err %v, output %s", err, out.String())
	}
}

// TestWorkerServesProbes: the worker answers /healthz, /readyz and /metrics (with its job metrics) on
// SKILLCERT_WORKER_ADDR, and serves no API there.
func TestWorkerServesProbes(t *testing.T) {
	_, url := dbtest.Fresh(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the worker
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	e := env(map[string]string{"SKILLCERT_DATABASE_URL": url, "SKILLCERT_REDIS_URL": dbtest.RedisURL(t),
		"SKILLCERT_WORKER_ADDR": addr, "SKILLCERT_LOG_LEVEL": "warn"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() { done <- run(ctx, []string{"worker"}, e, &out, &errb) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	get := func(path string) (int, string) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			res, err := http.Get("http://" + addr + path)
			if err == nil {
				body, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				return res.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", path, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, tc := range []struct {
		path string
		want int
		has  string
	}{
		{"/healthz", http.StatusOK, `"ok"`},
		{"/readyz", http.StatusOK, `"ready"`},
		{"/metrics", http.StatusOK, "skillcert_jobs_queue_tasks"},
		{"/api/v1/me", http.StatusNotFound, ""},
	} {
		if code, body := get(tc.path); code != tc.want || !strings.Contains(body, tc.has) {
			t.Errorf("GET %s = %d %.200s; want %d with %q", tc.path, code, body, tc.want, tc.has)
		}
	}
}
