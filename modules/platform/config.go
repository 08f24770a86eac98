package platform

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything SkillCert reads from its environment. Flags may override single fields.
type Config struct {
	Addr             string        // SKILLCERT_ADDR: where the API listens
	DatabaseURL      string        // SKILLCERT_DATABASE_URL: postgres://…; empty in dev mode
	RedisURL         string        // SKILLCERT_REDIS_URL: redis://…; empty in dev mode
	DataDir          string        // SKILLCERT_DATA_DIR: dev mode's SQLite file, keys and files
	AdminPassword    string        // SKILLCERT_ADMIN_PASSWORD: creates the platform administrator once
	PublicURL        string        // SKILLCERT_PUBLIC_URL: base of QR codes and credential links
	PublicRate       int           // SKILLCERT_PUBLIC_RATE: public look-ups per minute per address; 0 = off
	SyncAllowPrivate bool          // SKILLCERT_SYNC_ALLOW_PRIVATE: allow private sync targets (tests, labs)
	MasterKey        string        // SKILLCERT_MASTER_KEY: base64 32 bytes encrypting signing keys at rest
	LogFormat        string        // SKILLCERT_LOG_FORMAT: json or text (serve/worker default json)
	LogLevel         string        // SKILLCERT_LOG_LEVEL: debug, info, warn, error
	ShutdownTimeout  time.Duration // SKILLCERT_SHUTDOWN_TIMEOUT: grace period for in-flight work
	WorkerAddr       string        // SKILLCERT_WORKER_ADDR: the worker's /healthz, /readyz, /metrics; "" = none
	TrustedProxies   []string      // SKILLCERT_TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For is believed

	// RedisClusterAddrs (SKILLCERT_REDIS_CLUSTER_ADDRS, host:port,host:port,…) are the seed nodes of a
	// Redis Cluster; when set they are used instead of RedisURL, with RedisPassword
	// (SKILLCERT_REDIS_PASSWORD) if the cluster asks for one.
	RedisClusterAddrs []string
	RedisPassword     string
	// DatabaseReplicaURLs (SKILLCERT_DATABASE_REPLICA_URLS, comma-separated postgres:// URLs) are
	// streaming replicas of DatabaseURL serving the reads that tolerate a short lag; a replica more
	// than ReplicaMaxLag (SKILLCERT_REPLICA_MAX_LAG, default 5s) behind, or down, is skipped.
	DatabaseReplicaURLs []string
	ReplicaMaxLag       time.Duration

	// Env is the environment the configuration was read from. Modules read their own tuning from it
	// (e.g. oversight's SKILLCERT_SYNC_*), so that nothing reads the process environment behind the
	// caller's back; nil reads as empty.
	Env func(string) string
}

// Getenv reads a variable from c.Env.
func (c Config) Getenv(key string) string {
	if c.Env == nil {
		return ""
	}
	return c.Env(key)
}

// LoadConfig reads the environment through getenv (os.Getenv in production, a map in tests) and
// validates it; the error is one line a human can act on and never contains a secret.
func LoadConfig(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Config{
		Addr:            or(getenv("SKILLCERT_ADDR"), "127.0.0.1:8080"),
		DatabaseURL:     strings.TrimSpace(getenv("SKILLCERT_DATABASE_URL")),
		RedisURL:        strings.TrimSpace(getenv("SKILLCERT_REDIS_URL")),
		DataDir:         or(getenv("SKILLCERT_DATA_DIR"), "./data"),
		AdminPassword:   getenv("SKILLCERT_ADMIN_PASSWORD"),
		PublicURL:       strings.TrimRight(getenv("SKILLCERT_PUBLIC_URL"), "/"),
		MasterKey:       getenv("SKILLCERT_MASTER_KEY"),
		LogFormat:       getenv("SKILLCERT_LOG_FORMAT"),
		LogLevel:        or(getenv("SKILLCERT_LOG_LEVEL"), "info"),
		PublicRate:      60,
		ShutdownTimeout: 15 * time.Second,
		WorkerAddr:      or(getenv("SKILLCERT_WORKER_ADDR"), "127.0.0.1:8081"),
		Env:             getenv,
	}
	if strings.EqualFold(c.WorkerAddr, "off") {
		c.WorkerAddr = ""
	}
	if v := strings.TrimSpace(getenv("SKILLCERT_TRUSTED_PROXIES")); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					return c, fmt.Errorf("SKILLCERT_TRUSTED_PROXIES must list IP addresses or CIDR ranges, got %q", p)
				}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if v := strings.TrimSpace(getenv("SKILLCERT_REDIS_CLUSTER_ADDRS")); v != "" {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
				return c, fmt.Errorf("SKILLCERT_REDIS_CLUSTER_ADDRS must list host:port addresses separated by commas, got %q", a)
			}
			c.RedisClusterAddrs = append(c.RedisClusterAddrs, a)
		}
	}
	c.RedisPassword = getenv("SKILLCERT_REDIS_PASSWORD")
	for _, u := range strings.Split(getenv("SKILLCERT_DATABASE_REPLICA_URLS"), ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "postgres" && pu.Scheme != "postgresql") || pu.Host == "" {
			return c, fmt.Errorf("SKILLCERT_DATABASE_REPLICA_URLS must list postgres://user@host:5432/db URLs separated by commas, got %s", RedactURL(u))
		}
		c.DatabaseReplicaURLs = append(c.DatabaseReplicaURLs, u)
	}
	c.ReplicaMaxLag = 5 * time.Second
	if v := strings.TrimSpace(getenv("SKILLCERT_REPLICA_MAX_LAG")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("SKILLCERT_REPLICA_MAX_LAG must be a positive duration like 5s, got %q", v)
		}
		c.ReplicaMaxLag = d
	}
	if v := getenv("SKILLCERT_PUBLIC_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("SKILLCERT_PUBLIC_RATE must be a whole number ≥ 0, got %q", v)
		}
		c.PublicRate = n
	}
	if v := getenv("SKILLCERT_SYNC_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("SKILLCERT_SYNC_ALLOW_PRIVATE must be true or false, got %q", v)
		}
		c.SyncAllowPrivate = b
	}
	if v := getenv("SKILLCERT_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("SKILLCERT_SHUTDOWN_TIMEOUT must be a positive duration like 15s, got %q", v)
		}
		c.ShutdownTimeout = d
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return c, fmt.Errorf("SKILLCERT_DATABASE_URL must look like postgres://user@host:5432/db, got %s", RedactURL(c.DatabaseURL))
		}
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return c, fmt.Errorf("SKILLCERT_REDIS_URL must look like redis://host:6379/0, got %s", RedactURL(c.RedisURL))
		}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("SKILLCERT_PUBLIC_URL must be an http(s) address, got %q", c.PublicURL)
	}
	if c.AdminPassword != "" && (len([]rune(c.AdminPassword)) < 8 || len([]rune(c.AdminPassword)) > 128) {
		return c, fmt.Errorf("SKILLCERT_ADMIN_PASSWORD must have 8 to 128 characters")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("SKILLCERT_LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		return c, fmt.Errorf("SKILLCERT_LOG_FORMAT must be json or text, got %q", c.LogFormat)
	}
	return c, nil
}

// RequireServices is the check serve, worker and migrate make: they run on PostgreSQL and Redis only.
func (c Config) RequireServices(needRedis bool) error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("SKILLCERT_DATABASE_URL is not set (serve, worker and migrate run on PostgreSQL; use `skillcert dev` for the embedded mode)")
	}
	if needRedis && c.RedisURL == "" && len(c.RedisClusterAddrs) == 0 {
		return fmt.Errorf("SKILLCERT_REDIS_URL is not set, nor SKILLCERT_REDIS_CLUSTER_ADDRS (serve and worker need Redis; use `skillcert dev` for the embedded mode)")
	}
	return nil
}

// RedisName describes the configured Redis for logs, without a secret: the cluster's seed addresses
// or the redacted URL.
func (c Config) RedisName() string {
	if len(c.RedisClusterAddrs) > 0 {
		return "cluster " + strings.Join(c.RedisClusterAddrs, ",")
	}
	return RedactURL(c.RedisURL)
}

// RedactURL returns u with any password replaced, for logs and error messages.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}
