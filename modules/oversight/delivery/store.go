package delivery

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/inbox"
)

type endpointRow struct {
	bun.BaseModel `bun:"table:oversight_sync_endpoints"`

	TenantID         uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	URL              string     `bun:"url"`
	SecretSealed     []byte     `bun:"secret_sealed"`
	Paused           bool       `bun:"paused"`
	DeliveredTotal   int64      `bun:"delivered_total"`
	FailuresTotal    int64      `bun:"failures_total"`
	DeadLettersTotal int64      `bun:"dead_letters_total"`
	LastError        string     `bun:"last_error"`
	LastErrorAt      *time.Time `bun:"last_error_at"`
	LastSuccessAt    *time.Time `bun:"last_success_at"`
	CreatedAt        time.Time  `bun:"created_at"`
	UpdatedAt        time.Time  `bun:"updated_at"`
}

type streamRow struct {
	bun.BaseModel `bun:"table:oversight_sync_streams"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	InstitutionID uuid.UUID  `bun:"institution_id,pk,type:uuid"`
	State         string     `bun:"state"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	FirstFailedAt *time.Time `bun:"first_failed_at"`
	LastError     string     `bun:"last_error"`
	LeaseUntil    *time.Time `bun:"lease_until"`
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:oversight_sync_deliveries"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ReportID      uuid.UUID  `bun:"report_id,pk,type:uuid"`
	InstitutionID uuid.UUID  `bun:"institution_id,type:uuid"`
	Seq           int64      `bun:"seq"`
	DeliveredAt   *time.Time `bun:"delivered_at"`
	DeadAt        *time.Time `bun:"dead_at"`
}

// queueDeliveries queues stored copies for the regulator's external system (the transaction is scoped
// to the regulator) and makes sure each institution has a stream.
func queueDeliveries(ctx context.Context, tx bun.IDB, regID uuid.UUID, reports []inbox.Report, now time.Time) error {
	ds := make([]deliveryRow, len(reports))
	insts := map[uuid.UUID]bool{}
	for i, r := range reports {
		ds[i] = deliveryRow{TenantID: regID, ReportID: r.ID, InstitutionID: r.InstitutionID, Seq: r.Seq}
		insts[r.InstitutionID] = true
	}
	if _, err := tx.NewInsert().Model(&ds).On("CONFLICT (tenant_id, report_id) DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	for id := range insts {
		st := &streamRow{TenantID: regID, InstitutionID: id, State: streamOK, NextAttemptAt: now}
		if _, err := tx.NewInsert().Model(st).ExcludeColumn("first_failed_at", "lease_until").
			On("CONFLICT (tenant_id, institution_id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// endpointOf reads the regulator's endpoint.
func endpointOf(ctx context.Context, tx bun.IDB, regID uuid.UUID) (*endpointRow, error) {
	ep := new(endpointRow)
	return ep, tx.NewSelect().Model(ep).Where("tenant_id = ?", regID).Scan(ctx)
}

// hasEndpoint reports whether the regulator has an external system.
func hasEndpoint(ctx context.Context, tx bun.IDB, regID uuid.UUID) (bool, error) {
	return tx.NewSelect().Model((*endpointRow)(nil)).Where("tenant_id = ?", regID).Exists(ctx)
}
