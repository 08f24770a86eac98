package inbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

type reportRow struct {
	bun.BaseModel `bun:"table:oversight_reports,alias:r"`

	TenantID          uuid.UUID       `bun:"tenant_id,type:uuid"`
	Seq               int64           `bun:"seq"`
	ID                uuid.UUID       `bun:"id,type:uuid"`
	InstitutionID     uuid.UUID       `bun:"institution_id,type:uuid"`
	InstitutionRegion string          `bun:"institution_region"`
	Kind              string          `bun:"kind"`
	SubjectType       string          `bun:"subject_type"`
	SubjectID         string          `bun:"subject_id"`
	Payload           json.RawMessage `bun:"payload,type:jsonb"`
	ReportedAt        time.Time       `bun:"reported_at"`
	ReceivedAt        time.Time       `bun:"received_at"`
	PrevHash          string          `bun:"prev_hash"`
	Hash              string          `bun:"hash"`
}

// report is the row as a Report; its payload is re-encoded in canonical form (jsonb changes its bytes).
func (r *reportRow) report() Report { return r.withPayload(canonicalJSON(r.Payload)) }

// withPayload is the row as a Report with payload (already canonical).
func (r *reportRow) withPayload(payload json.RawMessage) Report {
	return Report{ID: r.ID, Seq: r.Seq, InstitutionID: r.InstitutionID, InstitutionRegion: r.InstitutionRegion, Kind: r.Kind,
		SubjectType: r.SubjectType, SubjectID: r.SubjectID, Payload: payload, ReportedAt: r.ReportedAt.UTC(),
		ReceivedAt: r.ReceivedAt.UTC(), PrevHash: r.PrevHash, Hash: r.Hash}
}

type headRow struct {
	bun.BaseModel `bun:"table:oversight_report_heads"`

	TenantID uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Seq      int64     `bun:"seq"`
	Hash     string    `bun:"hash"`
}

// Load reads reports of the regulator by id, in the order of ids (ids it did not receive are left
// out).
func Load(ctx context.Context, db bun.IDB, regulatorID uuid.UUID, ids []uuid.UUID) ([]Report, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []reportRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ?", regulatorID).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*reportRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	out := make([]Report, 0, len(rows))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r.report())
		}
	}
	return out, nil
}

// Received selects the reports the regulator received at or after since, for a query to choose the
// columns of (tenant_id, id, institution_id, seq, …): replays queue them again.
func Received(db bun.IDB, regulatorID uuid.UUID, since time.Time) *bun.SelectQuery {
	return db.NewSelect().Model((*reportRow)(nil)).Where("tenant_id = ?", regulatorID).Where("received_at >= ?", since.UTC())
}
