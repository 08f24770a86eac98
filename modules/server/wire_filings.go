package server

import (
	"context"
	"fmt"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/filings"
)

// filingsParts holds the catalog and filings services (fields are promoted into Lifecycle).
type filingsParts struct {
	// Catalog is the occupation catalog and enterprises' evaluation norms.
	Catalog *catalog.Service
	// Filings runs filings; batches and certificates ask its CheckScope.
	Filings *filings.Service
}

// The catalog is what filings checks a scope's occupations against.
var _ filings.Occupations = (*catalog.Service)(nil)

// buildFilings builds the catalog (seeding it when this seed version is not applied yet: one query
// otherwise) and filings.
func (s *Server) buildFilings(ctx context.Context) error {
	cat := catalog.NewService(s.deps.DB)
	if _, err := cat.EnsureSeeded(ctx); err != nil {
		return fmt.Errorf("seeding the occupation catalog: %w", err)
	}
	fs := filings.NewService(s.deps.DB, cat, s.Directory)
	s.Lifecycle.Catalog, s.Lifecycle.Filings = cat, fs
	return nil
}

// jobsFilings registers the daily filing expiry job.
func (s *Server) jobsFilings(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Lifecycle.Filings == nil {
		return fmt.Errorf("filings: jobs registered before the server was built")
	}
	return s.Lifecycle.Filings.Register(js, sch)
}
