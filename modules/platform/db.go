package platform

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// OpenPostgres opens a pool to PostgreSQL through pgx's database/sql driver and checks that it answers.
//
// bun formats every query client-side, so pgx sees a new SQL text for each distinct argument list; in
// pgx's default mode that prepares (and caches) a statement per query, one extra round trip each time.
// The simple protocol sends the formatted text once, which measured 2.2× faster for our queries, and
// keeps the pgx driver underneath for COPY (see Raw use in the import code).
func OpenPostgres(ctx context.Context, rawURL string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SKILLCERT_DATABASE_URL is not a valid PostgreSQL address (%s)", RedactURL(rawURL))
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	// Our prepared statements (tenants.QueryPG's hot reads, the certificate inserts) are few, run
	// constantly and are shaped for tenant-first indexes, so one generic plan suits every argument.
	// Left to choose, PostgreSQL kept custom plans for the RLS-filtered ones and re-planned them at
	// every Bind: 0.2–0.6 ms a page of applications, a quarter of its cost. A plan_cache_mode in the
	// URL wins. Simple-protocol queries (bun's) are planned per execution either way.
	if cfg.RuntimeParams["plan_cache_mode"] == "" {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "skillcert"
	}
	// jsonb values are decoded with goccy/go-json (encoding/json-compatible, about twice as fast); a
	// page of applications decodes two jsonb columns per row.
	sqldb := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "jsonb", OID: pgtype.JSONBOID,
			Codec: &pgtype.JSONBCodec{Marshal: gojson.Marshal, Unmarshal: gojson.Unmarshal}})
		return nil
	}))
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pingCtx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL database %q at %s:%d as %q: %s",
			cfg.Database, cfg.Host, cfg.Port, cfg.User, firstLine(err))
	}
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// OpenSQLite opens (creating if needed) the dev mode's SQLite file.
func OpenSQLite(path string) (*bun.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", filepath.Dir(path), err)
	}
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open SQLite file %s: %w", path, err)
	}
	// SQLite serialises writers; a small pool with immediate transactions and a busy timeout
	// queues them instead of failing with "database is locked".
	sqldb.SetMaxOpenConns(4)
	if err := sqldb.Ping(); err != nil {
		return nil, fmt.Errorf("cannot open SQLite file %s: %w", path, err)
	}
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// IsPostgres reports whether db speaks PostgreSQL (serve/worker/tests) rather than SQLite (dev).
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// OpenRedis connects to Redis and checks that it answers.
func OpenRedis(ctx context.Context, rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SKILLCERT_REDIS_URL is not a valid Redis address (%s)", RedactURL(rawURL))
	}
	rdb := redis.NewClient(opt)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s db %d: %s", opt.Addr, opt.DB, firstLine(err))
	}
	return rdb, nil
}

// ConnectRedis opens the configured Redis — the cluster of c.RedisClusterAddrs when set, else the
// server of c.RedisURL — as one go-redis UniversalClient, the type everything but the job queues
// (login throttling, rate limits, the policy watcher, readiness) talks to, and checks that it answers.
func ConnectRedis(ctx context.Context, c Config) (redis.UniversalClient, error) {
	// Each branch returns a nil interface on error, never a typed nil pointer in it.
	if len(c.RedisClusterAddrs) > 0 {
		rdb, err := OpenRedisCluster(ctx, c.RedisClusterAddrs, c.RedisPassword)
		if err != nil {
			return nil, err
		}
		return rdb, nil
	}
	rdb, err := OpenRedis(ctx, c.RedisURL)
	if err != nil {
		return nil, err
	}
	return rdb, nil
}

// OpenRedisCluster connects to a Redis Cluster through its seed addresses and checks that every
// master answers. Commands follow the cluster's MOVED/ASK redirects and its topology after a failover;
// after a crash too (see NewClusterClient); reads go to masters (our counters must read their own
// increments).
func OpenRedisCluster(ctx context.Context, addrs []string, password string) (*redis.ClusterClient, error) {
	rdb := NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Password: password})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := rdb.ForEachMaster(pingCtx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("cannot reach the Redis Cluster at %s: %s", strings.Join(addrs, ","), firstLine(err))
	}
	return rdb, nil
}

// DatabaseName returns the database named in a postgres URL, for messages.
func DatabaseName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// InsertInChunks inserts rows (a slice of bun models) with multi-row INSERTs of at most size rows
// each, keeping every statement under the drivers' bind-parameter limits.
func InsertInChunks[T any](ctx context.Context, db bun.IDB, rows []T, size int) error {
	for len(rows) > 0 {
		n := min(len(rows), size)
		chunk := rows[:n]
		if _, err := db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
