package server

import (
	"context"
	"fmt"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Oversight holds the services of regulator oversight: jurisdiction reads, reports delivery, statistics, supervision, decisions (issue: oversight).
type Oversight struct {
	// Oversight is the regulator's side: reads in jurisdiction, reports, supervision, decisions.
	// `skillcert sync replay` calls Oversight.ReplayCommand.
	Oversight *oversight.Service
	// complaints rate-limits public complaints per client address.
	complaints *ratelimit.Limiter
	// secret is the platform secret kept in the database: it seals sync secrets and keys the console's
	// CSRF tokens, the same on every replica.
	secret []byte
}

// buildOversight builds those services.
func (s *Server) buildOversight(ctx context.Context) error {
	secret, err := s.platformSecret(ctx)
	if err != nil {
		return err
	}
	// The module reads its own tuning (SKILLCERT_SYNC_DEAD_AFTER, …) from the configuration's environment.
	opts, err := oversight.OptionsFromEnv(s.deps.Config.Getenv)
	if err != nil {
		return err
	}
	opts.AllowPrivate, opts.Secret, opts.Registerer, opts.Log = s.deps.Config.SyncAllowPrivate, secret, s.Registry, s.deps.Log
	deps := oversight.Deps{Directory: s.Directory, Jobs: s.deps.Jobs}
	if s.Audit != nil {
		deps.Chains = s.Audit // the regulator's drill-down checks institutions' audit chains
	}
	if s.Certificates.Service != nil {
		deps.Revoker = s.Certificates.Service
	}
	svc, err := oversight.New(s.deps.DB, deps, opts)
	if err != nil {
		return fmt.Errorf("oversight: %w", err)
	}
	s.Oversight.Oversight = svc
	s.Oversight.complaints = ratelimit.PerMinute(s.deps.Redis, "public-complaints", s.deps.Config.PublicRate, s.deps.Log)
	return nil
}

// jobsOversight registers those modules' task handlers and schedules.
func (s *Server) jobsOversight(js *jobs.Server, sch *jobs.Scheduler) error {
	return s.Oversight.Oversight.Tasks.Register(js, sch)
}
