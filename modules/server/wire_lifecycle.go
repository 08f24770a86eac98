package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Lifecycle holds the services of the evaluation lifecycle. Each part is wired in a file of its own
// (wire_filings.go, wire_candidates.go, wire_batches.go), in that order, so later parts can use the
// earlier ones.
type Lifecycle struct {
	filingsParts
	candidatesParts
	batchesParts
}

func (s *Server) wireLifecycle(ctx context.Context, api *httpx.Router) error {
	for _, wire := range []func(context.Context, *httpx.Router) error{s.wireFilings, s.wireCandidates, s.wireBatches} {
		if err := wire(ctx, api); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) jobsLifecycle(js *jobs.Server, sch *jobs.Scheduler) error {
	for _, register := range []func(*jobs.Server, *jobs.Scheduler) error{s.jobsFilings, s.jobsCandidates, s.jobsBatches} {
		if err := register(js, sch); err != nil {
			return err
		}
	}
	return nil
}
