package server

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
)

// Lifecycle holds the services of the evaluation lifecycle. Each part is built in a file of its own
// (wire_filings.go, wire_candidates.go, wire_batches.go); server.build orders them with certificates.
type Lifecycle struct {
	filingsParts
	candidatesParts
	batchesParts
}

func (s *Server) jobsLifecycle(js *jobs.Server, sch *jobs.Scheduler) error {
	for _, register := range []func(*jobs.Server, *jobs.Scheduler) error{s.jobsFilings, s.jobsCandidates, s.jobsBatches} {
		if err := register(js, sch); err != nil {
			return err
		}
	}
	return nil
}

// lateBatches is how candidates reaches batches. Batches reads candidates, so candidates is built
// first, with this as its change listener and self-registration applier; buildBatches sets b before the
// server serves. Until then a call fails rather than skipping the re-evaluation it stands for.
type lateBatches struct{ b *batches.Service }

var (
	_ candidates.ChangeListener     = (*lateBatches)(nil)
	_ candidates.BulkChangeListener = (*lateBatches)(nil)
	_ candidates.Applier            = (*lateBatches)(nil)
)

var errBatchesNotWired = errors.New("server: batches is not wired yet")

// CandidateChanged forwards to batches.Service.CandidateChanged.
func (l *lateBatches) CandidateChanged(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) error {
	if l.b == nil {
		return errBatchesNotWired
	}
	return l.b.CandidateChanged(ctx, tx, candidateID)
}

// CandidatesChanged forwards to batches.Service.CandidatesChanged.
func (l *lateBatches) CandidatesChanged(ctx context.Context, tx bun.IDB, candidateIDs []uuid.UUID) error {
	if l.b == nil {
		return errBatchesNotWired
	}
	return l.b.CandidatesChanged(ctx, tx, candidateIDs)
}

// ApplyTx forwards to batches.Service.ApplyTx.
func (l *lateBatches) ApplyTx(ctx context.Context, tx bun.IDB, batchID, candidateID uuid.UUID) (any, error) {
	if l.b == nil {
		return nil, errBatchesNotWired
	}
	return l.b.ApplyTx(ctx, tx, batchID, candidateID)
}
