package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

type entryRow struct {
	bun.BaseModel `bun:"table:audit_log"`

	TenantID   uuid.UUID       `bun:"tenant_id,type:uuid"`
	Seq        int64           `bun:"seq"`
	ID         uuid.UUID       `bun:"id,type:uuid"`
	At         time.Time       `bun:"at"`
	ActorID    *uuid.UUID      `bun:"actor_id,type:uuid"`
	ActorName  string          `bun:"actor_name"`
	Action     string          `bun:"action"`
	Outcome    string          `bun:"outcome"`
	TargetType string          `bun:"target_type"`
	TargetID   string          `bun:"target_id"`
	Before     json.RawMessage `bun:"before,type:jsonb,nullzero"`
	After      json.RawMessage `bun:"after,type:jsonb,nullzero"`
	RequestID  string          `bun:"request_id"`
	PrevHash   string          `bun:"prev_hash"`
	Hash       string          `bun:"hash"`
}

func (r *entryRow) entry() Entry {
	return Entry{TenantID: r.TenantID, Seq: r.Seq, ID: r.ID, At: r.At.UTC(), ActorID: r.ActorID, ActorName: r.ActorName,
		Action: r.Action, Outcome: Outcome(r.Outcome), TargetType: r.TargetType, TargetID: r.TargetID,
		Before: r.Before, After: r.After, RequestID: r.RequestID, PrevHash: r.PrevHash, Hash: r.Hash}
}

func rowOf(e *Entry) *entryRow {
	return &entryRow{TenantID: e.TenantID, Seq: e.Seq, ID: e.ID, At: e.At, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, Outcome: string(e.Outcome), TargetType: e.TargetType, TargetID: e.TargetID,
		Before: e.Before, After: e.After, RequestID: e.RequestID, PrevHash: e.PrevHash, Hash: e.Hash}
}

type headRow struct {
	bun.BaseModel `bun:"table:audit_heads"`

	TenantID uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Seq      int64     `bun:"seq"`
	Hash     string    `bun:"hash"`
}

// advanceHead takes the next sequence number of a tenant's chain and returns it with the previous
// hash. The upsert's row lock serialises concurrent appenders of one tenant until commit.
func advanceHead(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (seq int64, prev string, err error) {
	err = db.NewRaw(`INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?, 1, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq + 1
		RETURNING seq, hash`, tenantID, GenesisHash).Scan(ctx, &seq, &prev)
	if err != nil {
		return 0, "", fmt.Errorf("advancing audit head: %w", err)
	}
	return seq, prev, nil
}

func setHead(ctx context.Context, db bun.IDB, tenantID uuid.UUID, hash string) error {
	_, err := db.NewUpdate().Model((*headRow)(nil)).Set("hash = ?", hash).Where("tenant_id = ?", tenantID).Exec(ctx)
	return err
}

func insertEntry(ctx context.Context, db bun.IDB, e *Entry) error {
	_, err := db.NewInsert().Model(rowOf(e)).Exec(ctx)
	return err
}

func listEntries(ctx context.Context, db bun.IDB, tenantID uuid.UUID, afterSeq int64, since time.Time, limit int) ([]Entry, error) {
	var rows []entryRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Where("seq > ?", afterSeq)
	if !since.IsZero() {
		q = q.Where("at >= ?", since)
	}
	if err := q.OrderExpr("seq ASC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Entry, len(rows))
	for i := range rows {
		out[i] = rows[i].entry()
	}
	return out, nil
}

func loadHead(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (headRow, error) {
	var h headRow
	err := db.NewSelect().Model(&h).Where("tenant_id = ?", tenantID).Scan(ctx)
	return h, err
}
