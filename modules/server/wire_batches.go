package server

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/identity"
)

// batchesParts holds the batches services (fields are promoted into Lifecycle).
type batchesParts struct {
	// Batches runs batches, applications, assessment and publicity; finalizing hands the passed
	// applications to certificates.
	Batches *batches.Service
}

// buildBatches builds batches on the catalog, filings (scope), candidates, identity (roles of the users
// assigned) and certificates (issuance on finalize), and completes the candidates' way to it (their
// change listener and self-registration applier).
func (s *Server) buildBatches(context.Context) error {
	lc := &s.Lifecycle
	if lc.Catalog == nil || lc.Filings == nil || lc.Candidates == nil || lc.toBatches == nil || s.Certificates.Service == nil {
		return fmt.Errorf("batches: built before catalog, filings, candidates and certificates")
	}
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
	})
	if err != nil {
		return err
	}
	lc.Batches = svc
	lc.toBatches.b = svc
	return nil
}

// jobsBatches registers the daily late-results task.
func (s *Server) jobsBatches(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Lifecycle.Batches == nil {
		return fmt.Errorf("batches: jobs registered before the server was built")
	}
	return s.Lifecycle.Batches.Register(js, sch)
}
