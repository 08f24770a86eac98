package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/server"
)

// TestAuditVerifyPrintsTheAnchor: once an institution's checkpoint reached its regulator's report
// store, `audit verify` prints the checkpoint the chain is anchored to; without the master key it
// refuses to vouch for a chain that has checkpoints.
func TestAuditVerifyPrintsTheAnchor(t *testing.T) {
	db, url := dbtest.Fresh(t)
	ctx := context.Background()
	vars := map[string]string{"SKILLCERT_DATABASE_URL": url, "SKILLCERT_REDIS_URL": dbtest.RedisURL(t),
		"SKILLCERT_MASTER_KEY": "YW4gYXVkaXQgYW5jaG9yIHRlc3QgbWFzdGVyIGtleSE=", "SKILLCERT_DATA_DIR": t.TempDir()}
	var out, errb bytes.Buffer
	for _, s := range [][]string{
		{"admin", "create-tenant", "--slug", "anchor-reg", "--name", "北京市人社局", "--kind", "regulator", "--region", "110000", "--admin-password", "first password"},
		{"admin", "create-tenant", "--slug", "anchor-co", "--name", "锚定测试公司", "--kind", "enterprise", "--region", "110105", "--admin-password", "first password"},
	} {
		if err := run(ctx, s, env(vars), &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, errb.String())
		}
	}
	// What the worker does: the hourly checkpoint, then oversight's dispatch to the regulator.
	cfg, err := platform.LoadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Deps{DB: db, Redis: dbtest.Redis(t), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := srv.Audit.CheckpointMoved(ctx); err != nil || n == 0 {
		t.Fatalf("checkpoints made: %d, %v", n, err)
	}
	if _, err := srv.Oversight.Oversight.Inbox.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--tenant", "anchor-co"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`ok   anchor-co .* anchored at seq \d+ head [0-9a-f]{64} \(signed .*, kid \S+, regulator:anchor-reg\)`).MatchString(out.String()) {
		t.Fatalf("audit verify output: %s", out.String())
	}

	delete(vars, "SKILLCERT_MASTER_KEY") // and the data directory holds no key file
	if err := run(ctx, []string{"audit", "verify", "--tenant", "anchor-co"}, env(vars), &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "platform key") {
		t.Fatalf("audit verify without the master key: %v", err)
	}
}
