package batches

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// The reads behind the console's public pages (an institution's announcements, one announcement, the
// evidence of a certificate's batch): the same public rules as the public API — no login, an
// institution found by its slug, a draft never shown — with the places left that the announcement
// shows beside the capacity.

// PublicInstitution resolves the institution of a public page by its slug (ErrInstitutionNotFound
// for an unknown slug, a tenant that is not an institution, or a disabled one).
func (s *Service) PublicInstitution(ctx context.Context, slug string) (tenants.Tenant, error) {
	return s.institutionBySlug(ctx, slug)
}

// PublicAnnouncements is PublicBatches with the places left of each batch on the page (capacity less
// the applications that take a seat), read in the same transaction.
func (s *Service) PublicAnnouncements(ctx context.Context, slug string, req platform.PageRequest) (tenants.Tenant, platform.Page[Batch], map[uuid.UUID]int, error) {
	t, page, err := s.PublicBatches(ctx, slug, req)
	if err != nil || len(page.Items) == 0 {
		return t, page, map[uuid.UUID]int{}, err
	}
	ids := make([]uuid.UUID, len(page.Items))
	for i, b := range page.Items {
		ids[i] = b.ID
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var taken map[uuid.UUID]int
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		taken, err = seatsTakenMany(ctx, tx, t.ID, ids)
		return err
	})
	if err != nil {
		return t, page, nil, err
	}
	left := make(map[uuid.UUID]int, len(page.Items))
	for _, b := range page.Items {
		left[b.ID] = max(b.Capacity-taken[b.ID], 0)
	}
	return t, page, left, nil
}

// PublicAnnouncement is one batch of the institution named by slug as the public sees it, with its
// places left: any batch once published (open, closed, in publicity, finalized, cancelled); a draft,
// or a batch of another institution, is not found.
func (s *Service) PublicAnnouncement(ctx context.Context, slug string, id uuid.UUID) (tenants.Tenant, Batch, int, error) {
	t, err := s.institutionBySlug(ctx, slug)
	if err != nil {
		return t, Batch{}, 0, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var (
		b     Batch
		taken map[uuid.UUID]int
	)
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if b, err = getBatch(ctx, tx, t.ID, id, false); err != nil {
			return err
		}
		if b.Status == StatusDraft {
			return ErrBatchNotFound
		}
		taken, err = seatsTakenMany(ctx, tx, t.ID, []uuid.UUID{id})
		return err
	})
	if err != nil {
		return t, Batch{}, 0, err
	}
	return t, b, max(b.Capacity-taken[id], 0), nil
}

// BatchEvidence is what the public verification page shows of a certificate's batch: that its
// results were published for the publicity period and every objection was resolved before it was
// finalized.
type BatchEvidence struct {
	Institution        tenants.Tenant
	Batch              Batch
	ObjectionsRaised   int
	ObjectionsResolved int
	ObjectionsUpheld   int
}

// PublicBatchEvidence reads the batch of a certificate issued by the institution tenantID, in that
// institution's scope (the caller, the public verification page, knows the institution from the
// certificate's public record).
func (s *Service) PublicBatchEvidence(ctx context.Context, tenantID, batchID uuid.UUID) (BatchEvidence, error) {
	t, err := s.deps.Tenants.ByID(ctx, tenantID)
	if err != nil {
		return BatchEvidence{}, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	ev := BatchEvidence{Institution: t}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if ev.Batch, err = getBatch(ctx, tx, t.ID, batchID, false); err != nil {
			return err
		}
		var counts []struct {
			Status string `bun:"status"`
			N      int    `bun:"n"`
		}
		if err := tx.NewSelect().Model((*objectionRow)(nil)).ColumnExpr("status, count(*) AS n").
			Where("tenant_id = ? AND batch_id = ?", t.ID, batchID).Group("status").Scan(ctx, &counts); err != nil {
			return err
		}
		for _, c := range counts {
			ev.ObjectionsRaised += c.N
			if c.Status != string(ObjectionOpen) {
				ev.ObjectionsResolved += c.N
			}
			if c.Status == string(ObjectionUpheld) {
				ev.ObjectionsUpheld += c.N
			}
		}
		return nil
	})
	return ev, err
}

// PublicityOver reports whether the batch's publicity period ended (its end is past, or it was
// finalized).
func (e BatchEvidence) PublicityOver(now time.Time) bool {
	return e.Batch.FinalizedAt != nil || (e.Batch.PublicityEndsAt != nil && !now.Before(*e.Batch.PublicityEndsAt))
}

// seatsTakenMany counts the applications that take a seat in each of the batches.
func seatsTakenMany(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows []struct {
		BatchID uuid.UUID `bun:"batch_id,type:uuid"`
		N       int       `bun:"n"`
	}
	err := db.NewSelect().Model((*applicationRow)(nil)).ColumnExpr("batch_id, count(*) AS n").
		Where("tenant_id = ? AND batch_id IN (?)", tenantID, bun.In(ids)).
		Where("status IN (?)", bun.In([]string{string(AppEligible), string(AppPendingReview), string(AppApproved)})).
		Group("batch_id").Scan(ctx, &rows)
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.BatchID] = r.N
	}
	return out, err
}
