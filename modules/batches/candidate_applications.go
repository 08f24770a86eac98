package batches

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// errEvaluatorsByBatch refuses an evaluator-only reader a candidate's applications across batches:
// evaluators read applications only through the batches they evaluate.
var errEvaluatorsByBatch = platform.Forbidden("evaluators read applications by the batches they evaluate")

// CandidateApplications returns a page of one candidate's applications in the tenant, across batches,
// by (created_at, id) either way and narrowed by f: what the candidate's page in the console lists
// (GET /api/v1/candidates/{id}/applications). An unknown candidate, or another tenant's, is 404; an
// evaluator-only reader is refused (403), having batch lists of their own.
func (s *Service) CandidateApplications(ctx context.Context, candidateID uuid.UUID, req platform.PageRequest, f ApplicationFilter) (platform.Page[Application], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	if _, only := evaluatorOnly(ctx); only {
		return platform.Page[Application]{}, errEvaluatorsByBatch
	}
	pq, err := applicationQueryOf(sc.TenantID, req, f)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	pq.Candidate = &candidateID
	var apps []Application
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.deps.Candidates.CandidateTx(ctx, tx, candidateID); err != nil {
			return err
		}
		var err error
		apps, err = listApplications(ctx, tx, pq)
		return err
	})
	if err != nil {
		return platform.Page[Application]{}, err
	}
	return platform.CutPage(apps, req, applicationCursor), nil
}
