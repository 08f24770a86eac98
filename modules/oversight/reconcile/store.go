package reconcile

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
)

type diffRow struct {
	bun.BaseModel `bun:"table:oversight_reconciliation_diffs"`

	TenantID      uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	InstitutionID uuid.UUID       `bun:"institution_id,type:uuid"`
	Day           time.Time       `bun:"day"`
	HeldCount     int             `bun:"held_count"`
	ReportedCount int             `bun:"reported_count"`
	HeldHash      string          `bun:"held_hash"`
	ReportedHash  string          `bun:"reported_hash"`
	Details       json.RawMessage `bun:"details,type:jsonb"`
	FirstSeenAt   time.Time       `bun:"first_seen_at"`
	LastSeenAt    time.Time       `bun:"last_seen_at"`
	ResolvedAt    *time.Time      `bun:"resolved_at"`
}

func (r *diffRow) diff() Diff {
	d := Diff{ID: r.ID, InstitutionID: r.InstitutionID, Day: r.Day.UTC().Format(time.DateOnly), HeldCount: r.HeldCount,
		ReportedCount: r.ReportedCount, HeldHash: r.HeldHash, ReportedHash: r.ReportedHash, FirstSeenAt: r.FirstSeenAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(), ResolvedAt: core.UTCPtr(r.ResolvedAt)}
	_ = json.Unmarshal(r.Details, &d.Details)
	return d
}

type runRow struct {
	bun.BaseModel `bun:"table:oversight_reconciliation_runs"`

	TenantID     uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	StartedAt    time.Time `bun:"started_at"`
	FinishedAt   time.Time `bun:"finished_at"`
	Institutions int       `bun:"institutions"`
	Days         int       `bun:"days"`
	Differences  int       `bun:"differences"`
}

// OpenDifferences counts, per institution, the regulator's unresolved differences, in tx (the
// monitoring scores weigh them).
func (s *Service) OpenDifferences(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID) (map[uuid.UUID]int, error) {
	var rows []struct {
		ID uuid.UUID `bun:"institution_id,type:uuid"`
		N  int       `bun:"n"`
	}
	if err := tx.NewSelect().Model((*diffRow)(nil)).ColumnExpr("institution_id, count(*) AS n").
		Where("tenant_id = ?", regulatorID).Where("resolved_at IS NULL").
		GroupExpr("institution_id").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}

// firstSeen is the order of the list: oldest finding first.
var firstSeen = core.Keyset{Column: "first_seen_at"}
