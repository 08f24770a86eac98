package server

import (
	"context"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// candidatesParts holds the candidates services (fields are promoted into Lifecycle).
type candidatesParts struct {
	// Candidates is the candidates service. Its change listener and self-registration applier are
	// batches, reached through toBatches.
	Candidates *candidates.Service
	// toBatches is what Candidates calls batches through; buildBatches points it at batches.
	toBatches *lateBatches
	// selfRegistrations rate-limits public self-registration per client address.
	selfRegistrations *ratelimit.Limiter
}

// The directory and identity serve candidates' public self-registration.
var (
	_ candidates.TenantResolver = (*directory.Service)(nil)
	_ candidates.Accounts       = (*identity.Service)(nil)
)

var _ candidates.EvaluatorScope = (*lateBatches)(nil)

// EvaluatedCandidates forwards to batches.Service.EvaluatedCandidates: candidates narrows an
// evaluator's reads to the candidates of the batches they evaluate.
func (l *lateBatches) EvaluatedCandidates(ctx context.Context, tx bun.IDB, evaluatorID uuid.UUID) ([]uuid.UUID, error) {
	if l.b == nil {
		return nil, errBatchesNotWired
	}
	return l.b.EvaluatedCandidates(ctx, tx, evaluatorID)
}

// selfRegistrationsPerMinute is the public self-registration budget per client address: a sixth of the
// public look-up rate (each registration hashes a password and writes several rows), at least one.
func selfRegistrationsPerMinute(publicRate int) int {
	return max(1, publicRate/6)
}

// buildCandidates builds candidates on the directory (self-registration's institutions), identity
// (self-registered logins) and batches — built after it, so reached through a lateBatches that
// buildBatches completes.
func (s *Server) buildCandidates(context.Context) error {
	// The import memory budget (SKILLCERT_IMPORT_MEMORY, SKILLCERT_IMPORT_WAIT) comes from the environment.
	lim, err := candidates.ImportLimitsFromEnv(s.deps.Config.Getenv)
	if err != nil {
		return err
	}
	toBatches := &lateBatches{}
	svc := candidates.NewService(s.deps.DB, candidates.Deps{Tenants: s.Directory, Accounts: s.Identity,
		Changes: toBatches, Applier: toBatches, Evaluations: toBatches, Limits: &lim})
	s.Lifecycle.Candidates, s.Lifecycle.toBatches = svc, toBatches
	// Config.PublicRate 0 turns limiting off (benchmarks); otherwise a share of it per client address.
	perMinute := 0
	if rate := s.deps.Config.PublicRate; rate > 0 {
		perMinute = selfRegistrationsPerMinute(rate)
	}
	var rdb redis.Cmdable
	if s.deps.Redis != nil {
		rdb = s.deps.Redis
	}
	s.Lifecycle.selfRegistrations = ratelimit.PerMinute(rdb, "self-registration", perMinute, s.deps.Log)
	return nil
}

func (s *Server) jobsCandidates(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
