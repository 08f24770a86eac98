package exams

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// SetRenderHook makes RenderChunk call f before each ticket (tests: a worker dying mid-chunk).
func (d *Documents) SetRenderHook(f func(appID uuid.UUID) error) { d.renderHook = f }

// RenderBatch renders every chunk of a batch at once (tests without a worker).
func (d *Documents) RenderBatch(ctx context.Context, batchID uuid.UUID) (int, error) {
	scope, _ := tenants.FromContext(ctx)
	var ids []uuid.UUID
	if err := tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*ticketChunkRow)(nil)).Column("id").
			Where("tenant_id = ? AND batch_id = ? AND done_at IS NULL", scope.TenantID, batchID).Scan(ctx, &ids)
	}); err != nil {
		return 0, err
	}
	total := 0
	for _, id := range ids {
		n, err := d.RenderChunk(ctx, id)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// TicketLease is how long a ticket chunk's lease lasts.
const TicketLease = ticketLease
