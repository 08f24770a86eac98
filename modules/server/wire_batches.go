package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// batchesParts holds the batches services (fields are promoted into Lifecycle).
type batchesParts struct {
	// Batches runs batches, applications, assessment and publicity; finalizing hands the passed
	// applications to certificates.
	Batches *batches.Service
}

var errCertificatesNotWired = errors.New("server: certificates is not wired yet")

// wireBatches builds batches on the catalog, filings (scope), candidates, identity (roles of the users
// assigned) and certificates (issuance on finalize, reached when called), completes the candidates'
// way to it (their change listener and self-registration applier), and mounts its routes.
func (s *Server) wireBatches(ctx context.Context, api *httpx.Router) error {
	lc := &s.Lifecycle
	if lc.Catalog == nil || lc.Filings == nil || lc.Candidates == nil || lc.toBatches == nil {
		return fmt.Errorf("batches: wired before catalog, filings and candidates")
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
		// Certificates is built after the lifecycle, which it reads (wireCertificates); finalize reaches
		// it when called, once the server is built. finalizeHook (wire_certificates.go) converts.
		Finalize: batches.FinalizeHookFunc(func(ctx context.Context, tx bun.Tx, b batches.FinalizedBatch) error {
			if s.Certificates.Service == nil {
				return errCertificatesNotWired
			}
			return finalizeHook{s.Certificates.Service}.OnFinalized(ctx, tx, b)
		}),
	})
	if err != nil {
		return err
	}
	lc.Batches = svc
	lc.toBatches.b = svc
	batches.NewHandler(svc).Routes(api)
	return nil
}

// jobsBatches registers the daily late-results task.
func (s *Server) jobsBatches(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Lifecycle.Batches == nil {
		return fmt.Errorf("batches: jobs registered before the server was built")
	}
	return s.Lifecycle.Batches.Register(js, sch)
}
