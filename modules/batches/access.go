package batches

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/tenants"
)

// Least privilege for evaluators. When the acting user reads as an evaluator only
// (candidates.ReadsAsEvaluator: the evaluator role and none of admin, staff, supervisor), the reads of
// this service narrow to the batches the user is assigned to evaluate: List shows only those, Get,
// Assignments, Passes and ListApplications of another batch are 404, GetApplication of an application
// in another batch is 404. Every application and pass they read carries the candidate's ID number
// masked (candidates.MaskIDNumber): scoring works by application id and never needs the full number.
// The checks live here, not in the handlers, so the console inherits them.

// evaluatorOnly returns the acting user when they read as an evaluator only.
func evaluatorOnly(ctx context.Context) (uuid.UUID, bool) {
	a := tenants.ActorFrom(ctx)
	return a.UserID, candidates.ReadsAsEvaluator(a)
}

// checkEvaluates is notFound when an evaluator-only reader is not assigned to evaluate batchID.
func checkEvaluates(ctx context.Context, tx bun.IDB, tenantID, batchID uuid.UUID, notFound error) error {
	user, only := evaluatorOnly(ctx)
	if !only {
		return nil
	}
	ok, err := evaluatorAssigned(ctx, tx, tenantID, batchID, user)
	if err != nil {
		return err
	}
	if !ok {
		return notFound
	}
	return nil
}

// forReader is a as the acting user may see it: the ID number masked for an evaluator-only reader.
func forReader(ctx context.Context, a Application) Application {
	if _, only := evaluatorOnly(ctx); only {
		a.IDNumber = candidates.MaskIDNumber(a.IDNumber)
	}
	return a
}

// EvaluatedCandidates implements candidates.EvaluatorScope: the candidates with an application in a
// batch evaluatorID is assigned to evaluate, in the tenant of ctx.
func (s *Service) EvaluatedCandidates(ctx context.Context, tx bun.IDB, evaluatorID uuid.UUID) ([]uuid.UUID, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	return candidatesOfEvaluator(ctx, tx, sc.TenantID, evaluatorID)
}

var _ candidates.EvaluatorScope = (*Service)(nil)
