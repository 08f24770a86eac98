package candidates

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// Least privilege for evaluators. An evaluator reads candidates only to score them: when the acting
// user's only institution role that reads candidates or batches is evaluator (ReadsAsEvaluator), Get,
// Photo and List show only candidates with an application in a batch the evaluator is assigned to
// (others are not found), and always with the ID number masked (MaskIDNumber). Scoring works by
// application id and needs no full number. Admins, staff and supervisors are not narrowed.

// The institution roles that read candidates and batches beyond an evaluator's assignments.
var broadReaders = []string{"admin", "staff", "supervisor"}

// ReadsAsEvaluator reports whether a reads as an evaluator only: it holds the evaluator role and none
// of admin, staff or supervisor. System actors (no roles) are not narrowed.
func ReadsAsEvaluator(a tenants.Actor) bool {
	if a.UserID == uuid.Nil || !a.HasRole("evaluator") {
		return false
	}
	return !slices.ContainsFunc(broadReaders, a.HasRole)
}

// EvaluatorScope tells which candidates an evaluator may see: those with an application in a batch
// they are assigned to evaluate (batches implements it).
type EvaluatorScope interface {
	EvaluatedCandidates(ctx context.Context, tx bun.IDB, evaluatorID uuid.UUID) ([]uuid.UUID, error)
}

// evaluatorView narrows a read for an evaluator-only actor: ok false means the caller reads broadly;
// otherwise ids are the candidates the evaluator may see (none when no EvaluatorScope is wired: closed
// rather than open).
func (s *Service) evaluatorView(ctx context.Context, tx bun.IDB) (ids []uuid.UUID, ok bool, err error) {
	a := tenants.ActorFrom(ctx)
	if !ReadsAsEvaluator(a) {
		return nil, false, nil
	}
	if s.deps.Evaluations == nil {
		return []uuid.UUID{}, true, nil
	}
	ids, err = s.deps.Evaluations.EvaluatedCandidates(ctx, tx, a.UserID)
	if ids == nil {
		ids = []uuid.UUID{}
	}
	return ids, true, err
}

// masked is c as an evaluator sees it: the ID number masked.
func masked(c Candidate) Candidate {
	c.IDNumber = MaskIDNumber(c.IDNumber)
	return c
}
