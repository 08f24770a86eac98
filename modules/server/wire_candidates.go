package server

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// candidatesParts holds the candidates services (fields are promoted into Lifecycle).
type candidatesParts struct {
	// Candidates is the candidates service; batches installs its ChangeListener and Applier on it.
	Candidates *candidates.Service
}

// selfRegistrationsPerMinute is the public self-registration budget per client address: a sixth of the
// public look-up rate (each registration hashes a password and writes several rows), at least one.
func selfRegistrationsPerMinute(publicRate int) int {
	return max(1, publicRate/6)
}

func (s *Server) wireCandidates(ctx context.Context, api *httpx.Router) error {
	svc := candidates.NewService(s.deps.DB, s.Directory, s.Identity)
	// The import memory budget (SKILLCERT_IMPORT_MEMORY, SKILLCERT_IMPORT_WAIT) comes from the environment.
	lim, err := candidates.ImportLimitsFromEnv(s.deps.Config.Getenv)
	if err != nil {
		return err
	}
	svc.Limits = lim
	s.Lifecycle.Candidates = svc
	// Config.PublicRate 0 turns limiting off (benchmarks); otherwise a share of it per client address.
	perMinute := 0
	if rate := s.deps.Config.PublicRate; rate > 0 {
		perMinute = selfRegistrationsPerMinute(rate)
	}
	var rdb redis.Cmdable
	if s.deps.Redis != nil {
		rdb = s.deps.Redis
	}
	limiter := ratelimit.PerMinute(rdb, "self-registration", perMinute, s.deps.Log)
	candidates.NewHandler(svc, limiter).Routes(api)
	return nil
}

func (s *Server) jobsCandidates(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
