// Package dbtest gives each test package its own PostgreSQL database and Redis DB number on the
// machine's real services, migrated and cleaned up, so packages run in parallel and leave nothing behind.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// then dbtest.DB(t), dbtest.Redis(t) and dbtest.RedisURL() in tests. Tests in one package share the
// database; they stay independent by creating their own tenants (the platform is multi-tenant anyway).
// Fresh(t) makes a throw-away database for the rare test that needs an empty schema.
//
// SKILLCERT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
// SKILLCERT_TEST_REDIS_URL (default redis://127.0.0.1:6379) name the servers.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/migrations"
	"github.com/skillcert/skillcert/modules/platform"
)

var (
	mu       sync.Mutex
	pkgDB    *bun.DB
	pkgName  string
	pkgURL   string
	redisDB  = -1
	cleanups []func()
)

// ServerURL is the PostgreSQL server tests use (its maintenance database).
func ServerURL() string {
	if u := os.Getenv("SKILLCERT_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func redisServerURL() string {
	if u := os.Getenv("SKILLCERT_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

// Main runs the package's tests, then drops the package database and flushes its Redis DB.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	mu.Unlock()
	os.Exit(code)
}

// DB returns the package's migrated database, creating it on first use.
func DB(tb testing.TB) *bun.DB {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if pkgDB == nil {
		db, name, u, err := create(context.Background())
		if err != nil {
			tb.Fatalf("dbtest: %v", err)
		}
		pkgDB, pkgName, pkgURL = db, name, u
		cleanups = append(cleanups, func() { _ = db.Close(); drop(name) })
	}
	return pkgDB
}

// URL returns the connection URL of the package database (after DB was called).
func URL(tb testing.TB) string {
	tb.Helper()
	DB(tb)
	return pkgURL
}

// Fresh creates a migrated database of its own for one test, dropped when the test ends.
func Fresh(tb testing.TB) (*bun.DB, string) {
	tb.Helper()
	db, name, u, err := create(context.Background())
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close(); drop(name) })
	return db, u
}

// Empty creates an unmigrated database for one test (migration tests), dropped when the test ends.
func Empty(tb testing.TB) (*bun.DB, string) {
	tb.Helper()
	ctx := context.Background()
	name, u, err := createDatabase(ctx)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	db, err := platform.OpenPostgres(ctx, u)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close(); drop(name) })
	return db, u
}

func createDatabase(ctx context.Context) (name, dbURL string, err error) {
	admin, err := platform.OpenPostgres(ctx, ServerURL())
	if err != nil {
		return "", "", err
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = "skillcert_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", fmt.Errorf("creating test database: %w", err)
	}
	u, _ := url.Parse(ServerURL())
	u.Path = "/" + name
	return name, u.String(), nil
}

func create(ctx context.Context) (*bun.DB, string, string, error) {
	name, u, err := createDatabase(ctx)
	if err != nil {
		return nil, "", "", err
	}
	db, err := platform.OpenPostgres(ctx, u)
	if err != nil {
		drop(name)
		return nil, "", "", err
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		_ = db.Close()
		drop(name)
		return nil, "", "", err
	}
	return db, name, u, nil
}

func drop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := platform.OpenPostgres(ctx, ServerURL())
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// RedisURL returns the URL of the package's own Redis DB number, flushed at first use and at the end.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if redisDB < 0 {
		ctx := context.Background()
		base, err := platform.OpenRedis(ctx, redisServerURL())
		if err != nil {
			tb.Fatalf("dbtest: %v", err)
		}
		// DB 0 holds the allocation counter; packages take DBs 1..15 in turn. `go test` runs at most
		// GOMAXPROCS packages at once, far fewer than 15, so two live packages never share a number.
		n, err := base.Incr(ctx, "skillcert:test:redis-db-seq").Result()
		_ = base.Close()
		if err != nil {
			tb.Fatalf("dbtest: allocating a Redis DB: %v", err)
		}
		redisDB = 1 + int(n%15)
		flush := func() {
			c, err := platform.OpenRedis(ctx, redisURLFor(redisDB))
			if err == nil {
				_ = c.FlushDB(ctx).Err()
				_ = c.Close()
			}
		}
		flush()
		cleanups = append(cleanups, flush)
	}
	return redisURLFor(redisDB)
}

func redisURLFor(db int) string {
	return strings.TrimRight(redisServerURL(), "/") + fmt.Sprintf("/%d", db)
}

// Redis returns a client on the package's Redis DB, closed when the test ends.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	c, err := platform.OpenRedis(context.Background(), RedisURL(tb))
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// AtExit runs fn when the package's tests end (after m.Run in Main), for resources shared by the
// package's tests such as the test kit's temporary data directory.
func AtExit(fn func()) {
	mu.Lock()
	defer mu.Unlock()
	cleanups = append(cleanups, fn)
}

// SQLite opens a fresh, migrated dev-mode SQLite database in the test's temporary directory, closed
// when the test ends: for the tests that run a module on the embedded default.
func SQLite(tb testing.TB) *bun.DB {
	tb.Helper()
	db, err := platform.OpenSQLite(filepath.Join(tb.TempDir(), "dev.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	if _, err := migrations.Up(context.Background(), db); err != nil {
		tb.Fatal(err)
	}
	return db
}
