package migrations_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skillcert/skillcert/migrations"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestPostgresUpDownUp(t *testing.T) {
	db, _ := dbtest.Empty(t)
	ctx := context.Background()
	applied, err := migrations.Up(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("nothing applied on an empty database")
	}
	if err := migrations.RequireCurrent(ctx, db); err != nil {
		t.Fatalf("after up: %v", err)
	}
	if again, err := migrations.Up(ctx, db); err != nil || len(again) != 0 {
		t.Fatalf("second up applied %v, err %v", again, err)
	}
	rolled, err := migrations.Down(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(rolled) != len(applied) {
		t.Fatalf("rolled back %d of %d", len(rolled), len(applied))
	}
	// A schema that is behind the binary is refused (serve and worker call RequireCurrent).
	if err := migrations.RequireCurrent(ctx, db); err == nil || !strings.Contains(err.Error(), "skillcert migrate up") {
		t.Fatalf("RequireCurrent on a rolled-back schema: %v", err)
	}
	var tables int
	if err := db.NewRaw(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'bun_%'`).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("%d tables left after down", tables)
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("up after down: %v", err)
	}
}

func TestSQLiteUpDownUp(t *testing.T) {
	db, err := platform.OpenSQLite(filepath.Join(t.TempDir(), "dev.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	applied, err := migrations.Up(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Down(ctx, db); err != nil {
		t.Fatal(err)
	}
	if again, err := migrations.Up(ctx, db); err != nil || len(again) != len(applied) {
		t.Fatalf("up after down applied %d of %d: %v", len(again), len(applied), err)
	}
}

// TestDialectsMatch keeps the dev mode's schema in step: every PostgreSQL migration has a SQLite twin
// and the other way round, up and down.
func TestDialectsMatch(t *testing.T) {
	names := func(dir string) map[string]bool {
		out := map[string]bool{}
		matches, err := fs.Glob(migrations.FS(), dir+"/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			out[filepath.Base(m)] = true
		}
		return out
	}
	pg, lite := names("postgres"), names("sqlite")
	for n := range pg {
		if !lite[n] {
			t.Errorf("postgres/%s has no sqlite twin", n)
		}
		if strings.HasSuffix(n, ".up.sql") && !pg[strings.TrimSuffix(n, ".up.sql")+".down.sql"] {
			t.Errorf("postgres/%s has no down migration", n)
		}
	}
	for n := range lite {
		if !pg[n] {
			t.Errorf("sqlite/%s has no postgres twin", n)
		}
	}
}

// TestTenantTablesCallTheRLSHelper reads the PostgreSQL migrations: each CREATE TABLE with a tenant_id
// column is followed by skillcert_tenant_rls for it (the catalog test in tenants checks the result).
func TestTenantTablesCallTheRLSHelper(t *testing.T) {
	matches, _ := fs.Glob(migrations.FS(), "postgres/*.up.sql")
	for _, m := range matches {
		b, _ := fs.ReadFile(migrations.FS(), m)
		sql := string(b)
		for _, stmt := range strings.Split(sql, ";") {
			s := strings.TrimSpace(stmt)
			i := strings.Index(s, "CREATE TABLE ")
			if i < 0 || !strings.Contains(s, "tenant_id") {
				continue
			}
			name := strings.Fields(s[i+len("CREATE TABLE "):])[0]
			if name == "IF" {
				name = strings.Fields(s[i+len("CREATE TABLE IF NOT EXISTS "):])[0]
			}
			if !strings.Contains(sql, "skillcert_tenant_rls('"+name+"'") {
				t.Errorf("%s: table %s has tenant_id but no skillcert_tenant_rls call", m, name)
			}
		}
	}
}
