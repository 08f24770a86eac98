package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestEveryTenantTableHasForcedRLS walks the catalog: every table with a tenant_id column must have
// row-level security enabled and forced, and the tenant_isolation policy keyed on app.tenant_id.
func TestEveryTenantTableHasForcedRLS(t *testing.T) {
	db := dbtest.DB(t)
	ctx := context.Background()
	var rows []struct {
		Table     string `bun:"table_name"`
		Enabled   bool   `bun:"relrowsecurity"`
		Forced    bool   `bun:"relforcerowsecurity"`
		Isolation string `bun:"isolation"`
	}
	err := db.NewRaw(`
		SELECT c.relname AS table_name, c.relrowsecurity, c.relforcerowsecurity,
		       coalesce((SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
		                 WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'), '') AS isolation
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p')
		ORDER BY 1`).Scan(ctx, &rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 5 {
		t.Fatalf("found only %d tenant tables; the catalog query is wrong", len(rows))
	}
	for _, r := range rows {
		t.Run(r.Table, func(t *testing.T) {
			if !r.Enabled || !r.Forced {
				t.Errorf("row-level security enabled=%v forced=%v, want both", r.Enabled, r.Forced)
			}
			if !strings.Contains(r.Isolation, "current_setting('app.tenant_id'") {
				t.Errorf("tenant_isolation policy missing or not keyed on app.tenant_id: %q", r.Isolation)
			}
		})
	}
}

// TestAppRoleCannotBypass checks the role tenant work runs as: no superuser, no BYPASSRLS.
func TestAppRoleCannotBypass(t *testing.T) {
	db := dbtest.DB(t)
	var super, bypass bool
	if err := db.NewRaw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ?", tenants.AppRole).
		Scan(context.Background(), &super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Fatalf("%s: superuser=%v bypassrls=%v", tenants.AppRole, super, bypass)
	}
}

func makeTenant(t *testing.T, db *bun.DB, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if _, err := db.ExecContext(context.Background(),
		"INSERT INTO tenants (id, slug, name, kind, region_code) VALUES (?, ?, ?, 'enterprise', '110105')", id, slug+"-"+id.String()[:8], slug); err != nil {
		t.Fatal(err)
	}
	return id
}

func addUser(t *testing.T, db *bun.DB, tenantID uuid.UUID, name string) {
	t.Helper()
	ctx := tenants.WithScope(context.Background(), tenants.Scope{TenantID: tenantID})
	err := tenants.WithTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO users (id, tenant_id, username, password_hash) VALUES (?, ?, ?, 'x')",
			uuid.New(), tenantID, name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countUsers(ctx context.Context, t *testing.T, tx bun.IDB) int {
	t.Helper()
	var n int
	if err := tx.NewRaw("SELECT count(*) FROM users").Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIsolation shows, with deliberately unfiltered queries, that the database itself scopes rows.
func TestIsolation(t *testing.T) {
	db := dbtest.DB(t)
	ctx := context.Background()
	a, b := makeTenant(t, db, "iso-a"), makeTenant(t, db, "iso-b")
	addUser(t, db, a, "alice")
	addUser(t, db, a, "anna")
	addUser(t, db, b, "bob")

	t.Run("tenant sees only its rows", func(t *testing.T) {
		err := tenants.ReadTx(tenants.WithScope(ctx, tenants.Scope{TenantID: a}), db, func(ctx context.Context, tx bun.Tx) error {
			if n := countUsers(ctx, t, tx); n != 2 {
				t.Errorf("tenant a sees %d users, want 2", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("no tenant set sees nothing", func(t *testing.T) {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL ROLE "+tenants.AppRole); err != nil {
				return err
			}
			if n := countUsers(ctx, t, tx); n != 0 {
				t.Errorf("with no tenant set the app role sees %d users, want 0", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("pooled connection reused after a transaction sees nothing", func(t *testing.T) {
		conn, err := db.Conn(ctx) // one physical connection, used twice
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "SELECT set_config('role', ?, true), set_config('app.tenant_id', ?, true)", tenants.AppRole, a.String())
			if err != nil {
				return err
			}
			if n := countUsers(ctx, t, tx); n != 2 {
				t.Errorf("inside the transaction: %d users, want 2", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var setting string
		if err := conn.NewRaw("SELECT coalesce(current_setting('app.tenant_id', true), '')").Scan(ctx, &setting); err != nil {
			t.Fatal(err)
		}
		if setting != "" {
			t.Fatalf("app.tenant_id leaked past the transaction: %q", setting)
		}
		err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL ROLE "+tenants.AppRole); err != nil {
				return err
			}
			if n := countUsers(ctx, t, tx); n != 0 {
				t.Errorf("the reused connection sees %d users, want 0", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("writing another tenant's row is refused", func(t *testing.T) {
		err := tenants.WithTx(tenants.WithScope(ctx, tenants.Scope{TenantID: a}), db, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO users (id, tenant_id, username, password_hash) VALUES (?, ?, 'mallory', 'x')", uuid.New(), b)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Fatalf("cross-tenant insert: err = %v, want a row-level security violation", err)
		}
		err = tenants.WithTx(tenants.WithScope(ctx, tenants.Scope{TenantID: a}), db, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.ExecContext(ctx, "UPDATE users SET display_name = 'pwned' WHERE tenant_id = ?", b)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("updated %d rows of another tenant", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("system read sees all tenants but cannot write", func(t *testing.T) {
		err := tenants.SystemReadTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			var n int
			if err := tx.NewRaw("SELECT count(*) FROM users WHERE tenant_id IN (?, ?)", a, b).Scan(ctx, &n); err != nil {
				return err
			}
			if n != 3 {
				t.Errorf("system read sees %d users of a and b, want 3", n)
			}
			_, err := tx.ExecContext(ctx, "UPDATE users SET display_name = 'x' WHERE tenant_id = ?", a)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("a write in a system read transaction: err = %v, want read-only refusal", err)
		}
	})

	t.Run("oversight sees listed tenants only", func(t *testing.T) {
		reg := makeTenant(t, db, "iso-reg")
		ctx := tenants.WithScope(ctx, tenants.Scope{TenantID: reg, Kind: tenants.KindRegulator})
		err := tenants.OversightTx(ctx, db, []uuid.UUID{b}, func(ctx context.Context, tx bun.Tx) error {
			// users do not opt in to oversight: a regulator never reads an institution's accounts.
			if n := countUsers(ctx, t, tx); n != 0 {
				t.Errorf("oversight sees %d users, want 0", n)
			}
			var n int
			if err := tx.NewRaw("SELECT count(*) FROM audit_log WHERE tenant_id = ?", a).Scan(ctx, &n); err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("oversight of b sees %d audit entries of a", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("QueryPG reads in the tenant scope, which ends with it", func(t *testing.T) {
		// The pool is narrowed to one connection so that the query after QueryPG reuses its session.
		db.DB.SetMaxOpenConns(1)
		defer db.DB.SetMaxOpenConns(32)
		names := func(tenant uuid.UUID, where string, args ...any) ([]string, error) {
			var got []string
			err := tenants.QueryPG(tenants.WithScope(ctx, tenants.Scope{TenantID: tenant}), db,
				"SELECT username FROM users "+where+" ORDER BY username", args, func(rows pgx.Rows) error {
					var n string
					err := rows.Scan(&n)
					got = append(got, n)
					return err
				})
			return got, err
		}
		got, err := names(a, "")
		if err != nil || strings.Join(got, ",") != "alice,anna" {
			t.Fatalf("tenant a reads %v, %v; want alice,anna", got, err)
		}
		// Asking for another tenant's rows by its id finds nothing: RLS, not the WHERE, decides.
		if got, err := names(a, "WHERE tenant_id = $1", b); err != nil || len(got) != 0 {
			t.Fatalf("tenant a reads b's users: %v, %v", got, err)
		}
		var role, tenant string
		if err := db.QueryRowContext(ctx, "SELECT current_user, coalesce(current_setting('app.tenant_id', true), '')").Scan(&role, &tenant); err != nil {
			t.Fatal(err)
		}
		if role == tenants.AppRole || tenant != "" {
			t.Fatalf("after QueryPG the connection is still %s scoped to %q", role, tenant)
		}
		if _, err := names(a, "WHERE tenant_id = $1"); err == nil {
			t.Fatal("a missing argument was accepted")
		}
		err = tenants.ReadTx(tenants.WithScope(ctx, tenants.Scope{TenantID: a}), db, func(ctx context.Context, _ bun.Tx) error {
			if tenants.CanQueryPG(ctx, db) {
				t.Error("CanQueryPG inside a transaction")
			}
			return tenants.QueryPG(ctx, db, "SELECT 1", nil, func(pgx.Rows) error { return nil })
		})
		if err == nil {
			t.Fatal("QueryPG inside a transaction did not refuse")
		}
	})

	t.Run("no scope is an error", func(t *testing.T) {
		err := tenants.WithTx(ctx, db, func(context.Context, bun.Tx) error { return nil })
		if err != tenants.ErrNoScope {
			t.Fatalf("err = %v, want ErrNoScope", err)
		}
	})
}
