package jobs

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/modules/platform"
)

// Redis names the Redis the task queues live on: what NewClient, NewServer and NewInspector connect
// to. Make one with RedisFromURL, RedisAddr or DevRedis.Conn. It wraps asynq's connection options so
// that callers (cmd, tests of other packages) reach the queues through jobs without importing asynq,
// which stays an implementation detail of this package.
type Redis struct {
	opt asynq.RedisConnOpt // asynq.RedisClientOpt, or asynq.RedisClusterClientOpt on a cluster
}

// RedisCluster names a Redis Cluster by its seed addresses (SKILLCERT_REDIS_CLUSTER_ADDRS), with
// SKILLCERT_REDIS_PASSWORD if any. asynq keeps every queue's keys in one hash slot ("asynq:{queue}:…"),
// so its multi-key scripts run on the cluster unchanged; a queue lives on one master.
func RedisCluster(addrs []string, password string) Redis {
	return Redis{opt: clusterOpt{asynq.RedisClusterClientOpt{Addrs: append([]string(nil), addrs...), Password: password}}}
}

// clusterOpt is asynq's cluster option whose client reloads the slot map as soon as a node is gone
// (platform.NewClusterClient), so the queues follow a promoted replica at once instead of failing
// for up to ten seconds after a master's crash.
type clusterOpt struct{ asynq.RedisClusterClientOpt }

func (o clusterOpt) MakeRedisClient() any {
	return platform.NewClusterClient(&redis.ClusterOptions{
		Addrs:        o.Addrs,
		MaxRedirects: o.MaxRedirects,
		Username:     o.Username,
		Password:     o.Password,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		TLSConfig:    o.TLSConfig,
	})
}

// RedisFromConfig returns the queues' Redis for cfg: the cluster when cfg names one, else the URL.
func RedisFromConfig(cfg platform.Config) (Redis, error) {
	if len(cfg.RedisClusterAddrs) > 0 {
		return RedisCluster(cfg.RedisClusterAddrs, cfg.RedisPassword), nil
	}
	return RedisFromURL(cfg.RedisURL)
}

// RedisFromURL turns SKILLCERT_REDIS_URL (redis://[user:password@]host:port/db, rediss:// for TLS,
// unix:// for a socket) into the queues' Redis. It parses with go-redis, as platform.OpenRedis does,
// so both read a URL the same way (asynq's own parser drops the user name). The error never repeats
// the password.
func RedisFromURL(rawURL string) (Redis, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return Redis{}, fmt.Errorf("jobs: %s is not a valid Redis URL", platform.RedactURL(rawURL))
	}
	return Redis{opt: asynq.RedisClientOpt{
		Network:      o.Network,
		Addr:         o.Addr,
		Username:     o.Username,
		Password:     o.Password,
		DB:           o.DB,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		PoolSize:     o.PoolSize,
		TLSConfig:    o.TLSConfig,
	}}, nil
}

// RedisAddr returns DB 0 of an unauthenticated Redis at addr ("host:port"), such as DevRedis's.
func RedisAddr(addr string) Redis {
	return Redis{opt: asynq.RedisClientOpt{Addr: addr}}
}

// DevRedis is the in-process Redis of `skillcert dev` (miniredis), on which asynq runs unchanged.
// miniredis expires keys only when its clock is moved with FastForward, so DevRedis moves it with
// the wall clock once a second; otherwise keys with a TTL (asynq's heartbeats and statistics, and
// anything a module caches with an expiry) would live forever.
type DevRedis struct {
	m    *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// StartDevRedis starts an in-process Redis on a free localhost port.
func StartDevRedis() (*DevRedis, error) {
	m, err := miniredis.Run()
	if err != nil {
		return nil, fmt.Errorf("jobs: starting in-process Redis: %w", err)
	}
	d := &DevRedis{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go d.tick(time.Second)
	return d, nil
}

func (d *DevRedis) tick(every time.Duration) {
	defer close(d.done)
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-d.stop:
			return
		case now := <-t.C:
			d.m.FastForward(now.Sub(last))
			last = now
		}
	}
}

// Addr is the "host:port" the Redis listens on.
func (d *DevRedis) Addr() string { return d.m.Addr() }

// Conn returns it as the queues' Redis.
func (d *DevRedis) Conn() Redis { return RedisAddr(d.m.Addr()) }

// URL returns a redis:// URL for it, for code that opens Redis by URL (platform.OpenRedis).
func (d *DevRedis) URL() string { return "redis://" + d.m.Addr() + "/0" }

// Close stops the Redis; its data is gone. Close it after the servers and clients using it.
func (d *DevRedis) Close() {
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		d.m.Close()
	})
}

// RedisOf returns the queues' Redis that the go-redis client c talks to (the server's own client:
// the console's health page inspects the queues on it) — a single Redis or a Redis Cluster.
func RedisOf(c redis.UniversalClient) Redis {
	if cc, ok := c.(*redis.ClusterClient); ok {
		o := cc.Options()
		return Redis{opt: clusterOpt{asynq.RedisClusterClientOpt{Addrs: append([]string(nil), o.Addrs...), Username: o.Username,
			Password: o.Password, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout, TLSConfig: o.TLSConfig}}}
	}
	if sc, ok := c.(*redis.Client); ok {
		o := sc.Options()
		return Redis{opt: asynq.RedisClientOpt{Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout, TLSConfig: o.TLSConfig}}
	}
	panic(fmt.Sprintf("jobs: RedisOf: unsupported client %T", c))
}
