package server

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// batchesParts holds the batches services (fields are promoted into Lifecycle).
type batchesParts struct {
	// Batches runs batches, applications, assessment and publicity; finalizing hands the passed
	// applications to certificates.
	Batches *batches.Service
	// objections rate-limits public objections per client address.
	objections *ratelimit.Limiter
}

// objectionsPerMinute is the public objection budget per client address: like self-registration, a
// sixth of the public look-up rate (each objection holds a result and costs staff a review), at least one.
func objectionsPerMinute(publicRate int) int {
	return max(1, publicRate/6)
}

// buildBatches builds batches on the catalog, filings (scope), candidates, identity (roles of the users
// assigned) and certificates (issuance on finalize), and completes the candidates' way to it (their
// change listener and self-registration applier).
func (s *Server) buildBatches(context.Context) error {
	lc := &s.Lifecycle
	if lc.Catalog == nil || lc.Filings == nil || lc.Candidates == nil || lc.toBatches == nil || s.Certificates.Service == nil {
		return fmt.Errorf("batches: built before catalog, filings, candidates and certificates")
	}
	s.Exams.toBatches = &lateExams{}
	svc, err := batches.NewService(s.deps.DB, batches.Deps{
		Scope: batches.ScopeCheckerFunc(func(ctx context.Context, tx bun.IDB, code string, level int, asOf time.Time) (batches.Scope, error) {
			sc, err := lc.Filings.CheckScope(ctx, tx, code, level, asOf)
			if err != nil {
				return batches.Scope{}, err
			}
			return batches.Scope{FilingID: sc.FilingID, ValidUntil: sc.ValidUntil}, nil
		}),
		Occupations: batches.OccupationSourceFunc(func(ctx context.Context, code string) (batches.Occupation, error) {
			o, err := lc.Catalog.Occupation(ctx, code)
			if err != nil {
				return batches.Occupation{}, err
			}
			return batches.Occupation{Code: o.Code, Name: o.Name, Subtypes: o.Subtypes, Levels: o.Levels,
				StandardYear: o.StandardYear}, nil
		}),
		Candidates: batches.CandidatesFrom(lc.Candidates),
		Users: batches.UserDirectoryFunc(func(ctx context.Context, id uuid.UUID) ([]string, error) {
			u, err := s.Identity.GetUser(ctx, id)
			if err != nil {
				return nil, err
			}
			if u.Status != identity.StatusActive {
				return nil, nil // a disabled user holds no role for new assignments
			}
			return u.Roles, nil
		}),
		Tenants: s.Directory,
		// Finalizing hands the passed applications to certificates (finalizeHook converts).
		Finalize: finalizeHook{s.Certificates.Service},
		// Exam administration tells who was absent (缺考); built after batches, so wired late.
		Attendance: s.Exams.toBatches,
	})
	if err != nil {
		return err
	}
	lc.Batches = svc
	lc.toBatches.b = svc
	// Config.PublicRate 0 turns limiting off (benchmarks); otherwise a share of it per client address.
	perMinute := 0
	if rate := s.deps.Config.PublicRate; rate > 0 {
		perMinute = objectionsPerMinute(rate)
	}
	var rdb redis.Cmdable
	if s.deps.Redis != nil {
		rdb = s.deps.Redis
	}
	lc.objections = ratelimit.PerMinute(rdb, "public-objections", perMinute, s.deps.Log)
	return nil
}

// jobsBatches registers the daily late-results task.
func (s *Server) jobsBatches(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Lifecycle.Batches == nil {
		return fmt.Errorf("batches: jobs registered before the server was built")
	}
	return s.Lifecycle.Batches.Register(js, sch)
}
