package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// Event is one outbox row.
type Event struct {
	bun.BaseModel `bun:"table:report_outbox"`

	Seq          int64           `bun:"seq,pk,autoincrement"`
	ID           uuid.UUID       `bun:"id,type:uuid"`
	TenantID     uuid.UUID       `bun:"tenant_id,type:uuid"`
	RegionCode   string          `bun:"region_code"`
	Kind         string          `bun:"kind"`
	SubjectType  string          `bun:"subject_type"`
	SubjectID    string          `bun:"subject_id"`
	Payload      json.RawMessage `bun:"payload,type:jsonb"`
	CreatedAt    time.Time       `bun:"created_at"`
	DispatchedAt *time.Time      `bun:"dispatched_at"`
}

// Emit appends a report of the tenant in ctx inside tx. payload is the record as reported: an
// immutable copy the regulator keeps (mask nothing the regulator is entitled to; never secrets).
func Emit(ctx context.Context, tx bun.IDB, kind Kind, subjectType, subjectID string, payload any) (uuid.UUID, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return uuid.Nil, tenants.ErrNoScope
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return uuid.Nil, fmt.Errorf("reports: encoding payload: %w", err)
	}
	ev := &Event{ID: uuid.New(), TenantID: scope.TenantID, RegionCode: scope.RegionCode, Kind: string(kind),
		SubjectType: subjectType, SubjectID: subjectID, Payload: b, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if _, err := tx.NewInsert().Model(ev).ExcludeColumn("seq").Exec(ctx); err != nil {
		return uuid.Nil, fmt.Errorf("reports: emitting %s: %w", kind, err)
	}
	return ev.ID, nil
}
