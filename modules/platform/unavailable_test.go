package platform_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
)

// urlWith returns the test server's URL with its user, host:port or database replaced ("" keeps it).
func urlWith(t *testing.T, user, hostPort, database string) string {
	t.Helper()
	u, err := url.Parse(dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.User(user)
	}
	if hostPort != "" {
		u.Host = hostPort
	}
	if database != "" {
		u.Path = "/" + database
	}
	return u.String()
}

// openLazy opens a pool without checking it answers (platform.OpenPostgres pings).
func openLazy(t *testing.T, rawURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestIsUnavailableOnRealFaults provokes each outage for real and checks that its error is classed
// as unavailable, and that ordinary failures are not.
func TestIsUnavailableOnRealFaults(t *testing.T) {
	ctx := context.Background()
	admin, err := platform.OpenPostgres(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	faults := []struct {
		name  string
		fault func(t *testing.T) error
	}{
		{"connection refused", func(t *testing.T) error {
			host, port := dbtest.ClosedAddr(t)
			return openLazy(t, urlWith(t, "", fmt.Sprintf("%s:%d", host, port), "")).PingContext(ctx)
		}},
		{"too many connections (53300)", func(t *testing.T) error {
			role := "skillcert_test_nolimit_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
			if _, err := admin.ExecContext(ctx, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+role) })
			return openLazy(t, urlWith(t, role, "", "")).PingContext(ctx)
		}},
		{"terminated by an administrator (57P01) in a transaction", func(t *testing.T) error {
			_, dbURL := dbtest.Empty(t)
			db := openLazy(t, dbURL)
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() //nolint:errcheck
			var pid int
			if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.ExecContext(ctx, "SELECT pg_terminate_backend(?)", pid); err != nil {
				t.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, "SELECT 1")
			return err
		}},
		{"terminated, pgx directly", func(t *testing.T) error {
			conn, err := pgx.Connect(ctx, dbtest.ServerURL())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx) //nolint:errcheck
			if _, err := admin.ExecContext(ctx, "SELECT pg_terminate_backend(?)", conn.PgConn().PID()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			_, err = conn.Exec(ctx, "SELECT 1")
			return err
		}},
		{"database not accepting connections", func(t *testing.T) error {
			db, dbURL := dbtest.Empty(t)
			dbtest.CutDatabase(t, dbURL)
			return db.PingContext(ctx)
		}},
		{"database dropped", func(t *testing.T) error {
			return openLazy(t, urlWith(t, "", "", "skillcert_test_no_such_database")).PingContext(ctx)
		}},
		{"pool closed", func(t *testing.T) error {
			db, err := platform.OpenPostgres(ctx, dbtest.ServerURL())
			if err != nil {
				t.Fatal(err)
			}
			_ = db.Close()
			_, err = db.NewSelect().ColumnExpr("1").Exec(ctx)
			return err
		}},
		{"deadline while waiting for a pooled connection", func(t *testing.T) error {
			db, err := platform.OpenPostgres(ctx, dbtest.ServerURL())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			tx, err := db.BeginTx(ctx, nil) // holds the only connection
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() //nolint:errcheck
			wait, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			_, err = db.NewSelect().ColumnExpr("1").Exec(wait)
			return err
		}},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fault(t)
			if err == nil {
				t.Fatal("the fault caused no error")
			}
			t.Logf("%T: %v", err, err)
			if !platform.IsUnavailable(err) {
				t.Fatalf("IsUnavailable(%T %v) = false", err, err)
			}
			if !platform.IsUnavailable(fmt.Errorf("wrapped: %w", platform.Wrap(platform.KindInternal, "internal", "x", err))) {
				t.Fatal("not found through wrapping")
			}
		})
	}

	ordinary := []struct {
		name string
		err  func(t *testing.T) error
	}{
		{"nil", func(*testing.T) error { return nil }},
		{"a plain error", func(*testing.T) error { return errors.New("boom") }},
		{"no rows", func(t *testing.T) error {
			var n int
			return admin.QueryRowContext(ctx, "SELECT 1 WHERE false").Scan(&n)
		}},
		{"syntax error", func(t *testing.T) error { _, err := admin.ExecContext(ctx, "SELEC 1"); return err }},
		{"division by zero", func(t *testing.T) error {
			_, err := admin.ExecContext(ctx, "SELECT * FROM (VALUES (1)) v(x) WHERE x / 0 = 1")
			return err
		}},
		{"a canceled request", func(t *testing.T) error {
			c, cancel := context.WithCancel(ctx)
			cancel()
			_, err := admin.NewSelect().ColumnExpr("1").Exec(c)
			return err
		}},
	}
	for _, tc := range ordinary {
		t.Run("not: "+tc.name, func(t *testing.T) {
			if err := tc.err(t); platform.IsUnavailable(err) {
				t.Fatalf("IsUnavailable(%T %v) = true", err, err)
			}
		})
	}
}
