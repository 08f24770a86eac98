package batches

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/candidates"
)

// CandidateService is what candidates.Service offers batches.
type CandidateService interface {
	GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID) (candidates.Candidate, error)
	ByUserTx(ctx context.Context, tx bun.IDB, userID uuid.UUID) (candidates.Candidate, error)
}

// CandidatesFrom adapts the candidates service to CandidateSource.
func CandidatesFrom(cs CandidateService) CandidateSource { return candidateAdapter{cs} }

type candidateAdapter struct{ cs CandidateService }

func (a candidateAdapter) CandidateTx(ctx context.Context, tx bun.IDB, id uuid.UUID) (Candidate, error) {
	c, err := a.cs.GetTx(ctx, tx, id)
	if err != nil {
		return Candidate{}, err
	}
	return CandidateOf(c), nil
}

func (a candidateAdapter) CandidateByUserTx(ctx context.Context, tx bun.IDB, userID uuid.UUID) (Candidate, error) {
	c, err := a.cs.ByUserTx(ctx, tx, userID)
	if err != nil {
		return Candidate{}, err
	}
	return CandidateOf(c), nil
}

// CandidateOf is what batches reads of a candidates.Candidate.
func CandidateOf(c candidates.Candidate) Candidate {
	return Candidate{ID: c.ID, UserID: c.UserID, Name: c.Name, IDType: c.IDType, IDNumber: c.IDNumber,
		Education: c.Education, RelatedDiploma: c.RelatedDiploma, OccupationYears: c.OccupationYears,
		CurrentLevel: c.CurrentLevel, CurrentLevelObtainedOn: c.CurrentLevelObtainedOn, TitleLevel: c.TitleLevel,
		ApprenticeshipCompleted: c.ApprenticeshipCompleted, Awards: c.Awards}
}

// Implemented for the candidates module: re-evaluation on change, bulk for imports, and the applier of
// public self-registration.
var (
	_ candidates.ChangeListener     = (*Service)(nil)
	_ candidates.BulkChangeListener = (*Service)(nil)
	_ candidates.Applier            = (*Service)(nil)
)
