package batches

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// ApplyTarget returns the institution slug and its batch id for the candidates' self-registration page
// (the console's /i/{slug}/batches/{id}/apply): any batch that has been announced, so that the page can
// say a closed or cancelled batch no longer takes applications instead of not finding it. A draft, a
// batch of another institution or an unknown one is 404 not_found, like an unknown institution.
func (s *Service) ApplyTarget(ctx context.Context, slug string, id uuid.UUID) (tenants.Tenant, Batch, error) {
	t, err := s.institutionBySlug(ctx, slug)
	if err != nil {
		return t, Batch{}, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var b Batch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err = getBatch(ctx, tx, t.ID, id, false)
		return err
	})
	if err != nil {
		return t, Batch{}, err
	}
	if b.Status == StatusDraft {
		return t, Batch{}, ErrBatchNotFound
	}
	return t, b, nil
}

// AcceptsApplications reports whether the batch takes applications at now: open and before its
// deadline.
func (b Batch) AcceptsApplications(now time.Time) bool {
	return b.Status == StatusOpen && !now.After(b.ApplicationDeadline)
}
