package supervision

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

// Tenants resolves institutions named by the public (satisfied by *directory.Service).
type Tenants interface {
	// BySlug resolves a tenant; an unknown one is a not_found error.
	BySlug(ctx context.Context, slug string) (tenants.Tenant, error)
}

// Supervisors counts exams held without an internal quality supervisor (satisfied by
// institutions.Records).
type Supervisors interface {
	// Unsupervised counts, per institution, the batches whose exam started between since and now
	// without a supervisor assigned, in tx (the regulator's oversight transaction).
	Unsupervised(ctx context.Context, tx bun.IDB, institutionIDs []uuid.UUID, since, now time.Time) (map[uuid.UUID]int, error)
}

// Differences counts open reconciliation differences (satisfied by *reconcile.Service).
type Differences interface {
	// OpenDifferences counts, per institution, the regulator's unresolved differences, in tx.
	OpenDifferences(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID) (map[uuid.UUID]int, error)
}

// Deps are what supervision calls.
type Deps struct {
	Tenants     Tenants
	Supervisors Supervisors
	Differences Differences
	// Risks reads objections and evaluator overlap for risk-weighted draws (nil: those signals count 0).
	Risks RiskSource
}

// Service keeps the regulator's supervision records and computes monitoring scores.
type Service struct {
	base core.Base
	deps Deps
}

// New returns the service.
func New(base core.Base, deps Deps) *Service { return &Service{base: base, deps: deps} }
