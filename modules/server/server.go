// Package server assembles SkillCert: it builds every module's service on the shared database, Redis
// and authorizer, and mounts every module's routes on one fiber app — the single list of what the API
// offers. cmd/skillcert runs it; end-to-end tests and the coming web console reuse it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/console"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// Deps are the outside resources the server runs on.
type Deps struct {
	DB       *bun.DB
	Redis    redis.UniversalClient // a *redis.Client or, on a Redis Cluster, a *redis.ClusterClient
	Log      *slog.Logger
	Config   platform.Config
	Registry *prometheus.Registry // nil: a new one
	Jobs     jobs.Enqueuer        // the task queue (asynq); services enqueue through it

	// Reads are the PostgreSQL read replicas for lag-tolerant reads (nil: everything on DB).
	Reads *platform.Reads
}

// Server is the assembled application.
type Server struct {
	App        *fiber.App
	Spec       *httpx.Spec
	Registry   *prometheus.Registry
	Authorizer *policies.Authorizer
	Guard      policies.Guard

	Directory *directory.Service
	Identity  *identity.Service
	Audit     *audit.Service

	// Each module group wires itself in a file of its own (wire_*.go).
	Lifecycle    Lifecycle
	Certificates Certificates
	Exams        Exams
	Oversight    Oversight

	// Console is the web console mounted at "/" beside the API.
	Console *console.Console

	deps Deps
}

// New builds the services, then mounts the front ends on one fiber app: the JSON API under /api/v1
// (and the console beside it, see routes.go). Building knows nothing of HTTP; mounting only adapts
// the built services, so a second front end mounts beside the first without building anything again.
func New(ctx context.Context, d Deps) (*Server, error) {
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{Registry: d.Registry, deps: d}
	if err := s.build(ctx); err != nil {
		return nil, err
	}
	// Errors of the console's requests that no page answered (text or bodies refused at the edge, an
	// unknown path) are the console's HTML error page, not the API's problem+json.
	pages := httpx.PageErrors(func(c *fiber.Ctx, err error) bool { return s.Console != nil && s.Console.ErrorPage(c, err) })
	s.App = httpx.NewApp(d.Log, httpx.NewMetrics(d.Registry), httpx.TrustProxies(d.Config.TrustedProxies), pages)
	s.Spec = httpx.NewSpec("SkillCert API", "1")
	if err := s.mount(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// build makes every service once, each on the ones it needs: the kernel (audit, authorization,
// identity, directory), the lifecycle (catalog and filings, candidates), certificates, batches (which
// hands finalized batches to certificates), exams (which tells batches who was absent), oversight.
func (s *Server) build(ctx context.Context) error {
	d := s.deps
	s.Audit = s.newAudit()
	// The authorizer loads assignments through identity's store; identity applies role changes to it.
	load := func(ctx context.Context) ([]policies.Assignment, error) {
		as, err := identity.Assignments(ctx, d.DB)
		if err != nil {
			return nil, err
		}
		out := make([]policies.Assignment, len(as))
		for i, a := range as {
			out[i] = policies.Assignment{TenantID: a.TenantID, UserID: a.UserID, Kind: a.Kind, Role: a.Role}
		}
		return out, nil
	}
	authz, err := policies.New(ctx, load, policies.NewWatcher(d.Redis, d.Log))
	if err != nil {
		return err
	}
	throttleKey, err := platform.DeriveKey(d.Config.MasterKey, "identity/login-throttle")
	if err != nil {
		return err
	}
	// Identity looks tenants up by slug (directory.NewLookup needs only the database); the directory
	// creates a tenant's first administrator through identity.
	ident := identity.NewService(d.DB, directory.NewLookup(d.DB), authz, identity.NewThrottle(d.Redis, throttleKey), policies.ValidRole, d.Log)
	s.Identity, s.Authorizer = ident, authz
	s.Directory = directory.NewService(d.DB, ident)
	s.Guard = policies.Guard{Authorizer: authz, OnDenied: func(ctx context.Context, action string) {
		if err := s.Audit.RecordAlone(ctx, audit.Event{Action: action, Outcome: audit.OutcomeDenied}); err != nil {
			d.Log.Error("recording a denied attempt", "err", err)
		}
	}}
	for _, step := range []func(context.Context) error{
		s.buildFilings, s.buildCandidates, s.buildCertificates, s.buildBatches, s.buildExams, s.buildExamDocuments, s.buildOversight,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// mountOps adds health, readiness, metrics and the OpenAPI document.
func (s *Server) mountOps() {
	s.mountProbes(s.App)
	s.App.Get("/api/v1/openapi.json", func(c *fiber.Ctx) error {
		b, err := s.Spec.JSON()
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(b)
	})
}

// OpsApp is an app with only /healthz, /readyz and /metrics, for the worker: it serves no API, but
// orchestrators probe it and Prometheus scrapes its job metrics.
func (s *Server) OpsApp() *fiber.App {
	app := httpx.NewApp(s.deps.Log, nil)
	s.mountProbes(app)
	return app
}

func (s *Server) mountProbes(app *fiber.App) {
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			return httpx.WriteProblem(c, httpx.Problem{Status: fiber.StatusServiceUnavailable, Code: "not_ready", Title: err.Error()})
		}
		// Ready to serve, but say what an operator must fix: without a CJK font certificates stay pending.
		if err := s.FontProblem(); err != nil {
			return c.JSON(fiber.Map{"status": "ready", "warnings": []string{err.Error()}})
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{})))
}

// Ready reports whether the database and Redis answer.
func (s *Server) Ready(ctx context.Context) error {
	if err := s.deps.DB.PingContext(ctx); err != nil {
		return errors.New("database does not answer")
	}
	if err := s.deps.Redis.Ping(ctx).Err(); err != nil {
		return errors.New("redis does not answer")
	}
	return nil
}

// Bootstrap makes sure the platform tenant exists and, given a password, its administrator `admin`.
func (s *Server) Bootstrap(ctx context.Context, adminPassword string) (tenants.Tenant, bool, error) {
	t, err := s.Directory.EnsurePlatform(ctx)
	if err != nil {
		return t, false, fmt.Errorf("creating the platform tenant: %w", err)
	}
	if adminPassword == "" {
		return t, false, nil
	}
	created, err := s.Identity.EnsureAdmin(ctx, t, adminPassword)
	return t, created, err
}

// Listen runs the policy watcher until ctx ends (serve runs it in a goroutine).
func (s *Server) Listen(ctx context.Context) error { return s.Authorizer.Listen(ctx) }

// RegisterJobs registers every module's task handlers and periodic schedules (worker and dev mode).
func (s *Server) RegisterJobs(js *jobs.Server, sch *jobs.Scheduler) error {
	for _, register := range []func(*jobs.Server, *jobs.Scheduler) error{
		s.jobsLifecycle, s.jobsCertificates, s.jobsExamDocuments, s.jobsOversight, s.jobsAudit,
	} {
		if err := register(js, sch); err != nil {
			return err
		}
	}
	return nil
}

// TaskScope resolves a task's tenant into the scope handlers run in (jobs.Config.Scope).
func (s *Server) TaskScope(ctx context.Context, tenantID uuid.UUID) (tenants.Scope, error) {
	t, err := s.Directory.ByID(ctx, tenantID)
	if err != nil {
		if errors.Is(err, directory.ErrNotFound) {
			return tenants.Scope{}, jobs.Permanent(err)
		}
		return tenants.Scope{}, err
	}
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}, nil
}
