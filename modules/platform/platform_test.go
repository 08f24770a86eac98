package platform_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/jackc/pgx/v5"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/platform/regions"
)

func TestLoggerRedactsSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := platform.NewLogger(&buf, "json", "info")
	log.Info("login", "username", "alice", "password", "hunter2", "token", "sct_abc", "master_key", "k", "client_secret", "s")
	out := buf.String()
	for _, secret := range []string{"hunter2", "sct_abc", `"k"`, `"s"`} {
		if strings.Contains(out, secret) {
			t.Errorf("log line leaks %s: %s", secret, out)
		}
	}
	if !strings.Contains(out, `"username":"alice"`) || !strings.HasPrefix(out, "{") {
		t.Errorf("log line is not JSON with the username: %s", out)
	}
}

func TestRedactURL(t *testing.T) {
	got := platform.RedactURL("postgres://alice:hunter2@db:5432/sc?password=x&sslmode=disable")
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "password=xxxxx") {
		t.Fatalf("RedactURL = %s", got)
	}
}

func TestRegions(t *testing.T) {
	for _, c := range []struct {
		code string
		ok   bool
	}{{"110000", true}, {"110105", true}, {"330106", true}, {"119999", false}, {"11010", false}} {
		if regions.Valid(c.code) != c.ok {
			t.Errorf("Valid(%s) = %v", c.code, !c.ok)
		}
	}
	for _, c := range []struct {
		regulator, institution string
		in                     bool
	}{
		{"110000", "110105", true}, {"110000", "120101", false}, {"110105", "110105", true},
		{"110105", "110108", false}, {"330100", "330106", true}, {"330100", "330205", false},
	} {
		if got := regions.InJurisdiction(c.regulator, c.institution); got != c.in {
			t.Errorf("InJurisdiction(%s, %s) = %v", c.regulator, c.institution, got)
		}
	}
}

func TestValidationCollectsFields(t *testing.T) {
	var v platform.Validation
	v.Check(false, "a", "required", "a is required")
	v.Check(true, "b", "x", "")
	v.Add("c", "format", "bad c")
	err := v.Err()
	if platform.KindOf(err) != platform.KindUnprocessable || platform.CodeOf(err) != "validation_failed" {
		t.Fatalf("err = %v", err)
	}
	if pe := err.(*platform.Error); len(pe.Fields) != 2 {
		t.Fatalf("fields = %+v", pe.Fields)
	}
	var ok platform.Validation
	if ok.Err() != nil {
		t.Fatal("empty validation is an error")
	}
}

// TestOpenPostgresPlanCacheMode: pooled connections plan prepared statements once (generic plans),
// unless the URL says otherwise.
func TestOpenPostgresPlanCacheMode(t *testing.T) {
	sep := "?"
	if strings.Contains(dbtest.ServerURL(), "?") {
		sep = "&"
	}
	for _, tc := range []struct{ url, want string }{
		{dbtest.ServerURL(), "force_generic_plan"},
		{dbtest.ServerURL() + sep + "plan_cache_mode=auto", "auto"},
	} {
		db, err := platform.OpenPostgres(context.Background(), tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = db.QueryRowContext(context.Background(), "SHOW plan_cache_mode").Scan(&got)
		_ = db.Close()
		if err != nil || got != tc.want {
			t.Errorf("%s: plan_cache_mode = %q, %v; want %q", platform.RedactURL(tc.url), got, err, tc.want)
		}
	}
}

// An Interner's destination shares the known values, copies others and refuses NULL, in both of
// PostgreSQL's formats.
func TestInternDest(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	in := platform.NewInterner("eligible", "pass")
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		var known, other, empty string
		err := conn.QueryRow(ctx, "SELECT $1::text, 'other'::text, ''::text", mode, "eligible").
			Scan(in.Dest(&known), in.Dest(&other), in.Dest(&empty))
		if err != nil {
			t.Fatal(err)
		}
		if known != "eligible" || unsafe.StringData(known) != unsafe.StringData(in["eligible"]) || other != "other" || empty != "" {
			t.Errorf("mode %v: %q (shared: %v) %q %q", mode, known, unsafe.StringData(known) == unsafe.StringData(in["eligible"]), other, empty)
		}
		if err := conn.QueryRow(ctx, "SELECT NULL::text", mode).Scan(in.Dest(&known)); err == nil {
			t.Errorf("mode %v: NULL scanned without an error", mode)
		}
	}
}
