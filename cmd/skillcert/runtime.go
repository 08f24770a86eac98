package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/migrations"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/server"
)

// runtime is an opened SkillCert: configuration, logger, database, Redis, queue and the assembled server.
type runtime struct {
	cfg      platform.Config
	log      *slog.Logger
	db       *bun.DB
	rdb      redis.UniversalClient
	reads    *platform.Reads
	queue    jobs.Redis
	jobs     *jobs.Client
	registry *prometheus.Registry
	srv      *server.Server
	devRedis *jobs.DevRedis
}

func (r *runtime) Close() {
	if r.jobs != nil {
		_ = r.jobs.Close()
	}
	if r.rdb != nil {
		_ = r.rdb.Close()
	}
	r.reads.Close()
	if r.db != nil {
		_ = r.db.Close()
	}
	if r.devRedis != nil {
		r.devRedis.Close()
	}
}

// loadConfig reads the environment and applies flag overrides; the returned error is one line.
func loadConfig(getenv func(string) string, fs *flag.FlagSet, args []string, defaultLogFormat string) (platform.Config, error) {
	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return cfg, err
	}
	addr := fs.String("addr", cfg.Addr, "listen address (SKILLCERT_ADDR)")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return cfg, usageError{err.Error()}
	}
	cfg.Addr = *addr
	if cfg.LogFormat == "" {
		cfg.LogFormat = defaultLogFormat
	}
	return cfg, nil
}

// openProduction opens PostgreSQL and Redis (serve, worker, admin), refusing a schema that is behind.
func openProduction(ctx context.Context, cfg platform.Config, log *slog.Logger, requireCurrent bool) (*runtime, error) {
	if err := cfg.RequireServices(true); err != nil {
		return nil, err
	}
	r := &runtime{cfg: cfg, log: log}
	var err error
	if r.db, err = platform.OpenPostgres(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if requireCurrent {
		if err := migrations.RequireCurrent(ctx, r.db); err != nil {
			r.Close()
			return nil, err
		}
	}
	r.reads = platform.OpenReads(ctx, r.db, cfg.DatabaseReplicaURLs, cfg.ReplicaMaxLag, log)
	r.reads.Start()
	if r.rdb, err = platform.ConnectRedis(ctx, cfg); err != nil {
		r.Close()
		return nil, err
	}
	if r.queue, err = jobs.RedisFromConfig(cfg); err != nil {
		r.Close()
		return nil, err
	}
	if err := r.assemble(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// openDev opens the embedded default: a SQLite file under the data directory and an in-process Redis.
func openDev(ctx context.Context, cfg platform.Config, log *slog.Logger) (*runtime, error) {
	r := &runtime{cfg: cfg, log: log}
	var err error
	if r.db, err = platform.OpenSQLite(filepath.Join(cfg.DataDir, "skillcert.db")); err != nil {
		return nil, err
	}
	if applied, err := migrations.Up(ctx, r.db); err != nil {
		r.Close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("migrations applied", "count", len(applied))
	}
	if r.devRedis, err = jobs.StartDevRedis(); err != nil {
		r.Close()
		return nil, err
	}
	rdb, err := platform.OpenRedis(ctx, r.devRedis.URL())
	if err != nil {
		r.Close()
		return nil, err
	}
	r.rdb = rdb
	r.queue = r.devRedis.Conn()
	if err := r.assemble(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *runtime) assemble(ctx context.Context) error {
	r.registry = prometheus.NewRegistry()
	r.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.jobs = jobs.NewClient(r.queue)
	srv, err := server.New(ctx, server.Deps{DB: r.db, Reads: r.reads, Redis: r.rdb, Log: r.log, Config: r.cfg, Registry: r.registry, Jobs: r.jobs})
	if err != nil {
		return err
	}
	r.srv = srv
	// Without a CJK font certificates can't be rendered and stay pending: say so once, clearly, at
	// start-up (dev, serve and worker alike); /readyz and the console's admin banner say it too.
	if err := srv.FontProblem(); err != nil {
		r.log.Warn("certificates cannot be rendered: " + err.Error())
	}
	return nil
}

// bootstrap creates the platform tenant and, given SKILLCERT_ADMIN_PASSWORD, its administrator.
func (r *runtime) bootstrap(ctx context.Context, adminPassword string) error {
	_, created, err := r.srv.Bootstrap(ctx, adminPassword)
	if pe := (*platform.Error)(nil); errors.As(err, &pe) && len(pe.Fields) > 0 {
		return fmt.Errorf("SKILLCERT_ADMIN_PASSWORD is refused: %w", describe(pe)) // says which rule, in one line
	}
	if err != nil {
		return err
	}
	if created {
		r.log.Info("platform administrator created", "tenant", "platform", "username", "admin")
	}
	return nil
}

// startWorker runs the job server and the scheduler until ctx ends.
func (r *runtime) startWorker(ctx context.Context) (stop func(), err error) {
	js, err := jobs.NewServer(r.queue, jobs.Config{Logger: r.log, Registerer: r.registry,
		ShutdownTimeout: r.cfg.ShutdownTimeout, Scope: r.srv.TaskScope})
	if err != nil {
		return nil, err
	}
	sch, err := jobs.NewScheduler(r.jobs, jobs.SchedulerConfig{Logger: r.log, Registerer: r.registry,
		Location: time.FixedZone("CST", 8*3600)})
	if err != nil {
		return nil, err
	}
	if err := r.srv.RegisterJobs(js, sch); err != nil {
		return nil, err
	}
	insp := jobs.NewInspector(r.queue)
	if err := r.registry.Register(insp.Collector()); err != nil {
		r.log.Warn("queue metrics not registered", "err", err)
	}
	if err := js.Start(); err != nil {
		return nil, fmt.Errorf("starting the job server: %w", err)
	}
	sch.Start()
	return func() {
		sch.Shutdown()
		js.Shutdown()
		_ = insp.Close()
	}, nil
}

// serveHTTP listens until ctx ends, then shuts down gracefully within the configured grace period.
func (r *runtime) serveHTTP(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", r.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", r.cfg.Addr, err)
	}
	go func() {
		if err := r.srv.Listen(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("policy watcher stopped", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- r.srv.App.Listener(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	r.log.Info("shutting down", "grace", r.cfg.ShutdownTimeout.String())
	if err := r.srv.App.ShutdownWithTimeout(r.cfg.ShutdownTimeout); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv, flag.NewFlagSet("serve", flag.ContinueOnError), args, "json")
	if err != nil {
		return err
	}
	log := platform.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	r, err := openProduction(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.bootstrap(ctx, cfg.AdminPassword); err != nil {
		return err
	}
	log.Info("serving", "addr", cfg.Addr, "database", platform.RedactURL(cfg.DatabaseURL), "redis", cfg.RedisName())
	return r.serveHTTP(ctx, nil)
}

func runWorker(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv, flag.NewFlagSet("worker", flag.ContinueOnError), args, "json")
	if err != nil {
		return err
	}
	log := platform.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	r, err := openProduction(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer r.Close()
	stop, err := r.startWorker(ctx)
	if err != nil {
		return err
	}
	go func() {
		if err := r.srv.Listen(ctx); err != nil && ctx.Err() == nil {
			log.Error("policy watcher stopped", "err", err)
		}
	}()
	stopOps := func() {}
	if cfg.WorkerAddr != "" {
		ln, err := net.Listen("tcp", cfg.WorkerAddr)
		if err != nil {
			stop()
			return fmt.Errorf("cannot listen on %s (SKILLCERT_WORKER_ADDR; \"off\" for none): %w", cfg.WorkerAddr, err)
		}
		ops := r.srv.OpsApp()
		go func() {
			if err := ops.Listener(ln); err != nil && ctx.Err() == nil {
				log.Error("worker probe listener stopped", "err", err)
			}
		}()
		stopOps = func() { _ = ops.ShutdownWithTimeout(cfg.ShutdownTimeout) }
	}
	log.Info("worker running", "database", platform.RedactURL(cfg.DatabaseURL), "probes", cfg.WorkerAddr)
	<-ctx.Done()
	log.Info("worker stopping")
	stop()
	stopOps()
	return nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return usageError{"migrate needs one of: up, down, status"}
	}
	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return err
	}
	if err := cfg.RequireServices(false); err != nil {
		return err
	}
	db, err := platform.OpenPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "up":
		applied, err := migrations.Up(ctx, db)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "schema is up to date")
		}
		for _, m := range applied {
			fmt.Fprintln(stdout, "applied", m)
		}
	case "down":
		rolled, err := migrations.Down(ctx, db)
		if err != nil {
			return err
		}
		if len(rolled) == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		}
		for _, m := range rolled {
			fmt.Fprintln(stdout, "rolled back", m)
		}
	case "status":
		applied, pending, err := migrations.Status(ctx, db)
		if err != nil {
			return err
		}
		for _, m := range applied {
			fmt.Fprintln(stdout, "applied ", m)
		}
		for _, m := range pending {
			fmt.Fprintln(stdout, "pending ", m)
		}
	}
	return nil
}
