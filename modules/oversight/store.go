package oversight

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// tenantRow reads the register (table tenants, no tenant_id: readable by the application role).
type tenantRow struct {
	bun.BaseModel `bun:"table:tenants"`

	ID         uuid.UUID `bun:"id,pk,type:uuid"`
	Slug       string    `bun:"slug"`
	Name       string    `bun:"name"`
	Kind       string    `bun:"kind"`
	RegionCode string    `bun:"region_code"`
	CreditCode *string   `bun:"credit_code"`
	Status     string    `bun:"status"`
	CreatedAt  time.Time `bun:"created_at"`
}

func (r *tenantRow) institution() Institution {
	in := Institution{ID: r.ID, Slug: r.Slug, Name: r.Name, Kind: tenants.Kind(r.Kind), RegionCode: r.RegionCode,
		Status: tenants.Status(r.Status), CreatedAt: r.CreatedAt.UTC()}
	if r.CreditCode != nil {
		in.CreditCode = *r.CreditCode
	}
	return in
}

func (r *tenantRow) scope() tenants.Scope {
	return tenants.Scope{TenantID: r.ID, Kind: tenants.Kind(r.Kind), RegionCode: r.RegionCode, Slug: r.Slug}
}

func listInstitutions(ctx context.Context, db bun.IDB, ids []uuid.UUID, after timeKey, limit int) ([]Institution, error) {
	out := []Institution{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []tenantRow
	q := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids))
	if after.id != uuid.Nil {
		q = q.Where("(created_at, id) > (?, ?)", after.at, after.id)
	}
	if err := q.OrderExpr("created_at ASC, id ASC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	for i := range rows {
		out = append(out, rows[i].institution())
	}
	return out, nil
}

func getInstitution(ctx context.Context, db bun.IDB, id uuid.UUID) (Institution, error) {
	r := new(tenantRow)
	err := db.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Institution{}, ErrInstitutionNotFound
	}
	if err != nil {
		return Institution{}, err
	}
	return r.institution(), nil
}

func institutionNames(ctx context.Context, db bun.IDB, ids []uuid.UUID) (map[uuid.UUID]tenantRow, error) {
	out := map[uuid.UUID]tenantRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []tenantRow
	if err := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// regulatorsCovering lists the active regulators whose jurisdiction covers region code: the county,
// city and province bureaus (a division's code names its parents by its first 4 and 2 digits).
func regulatorsCovering(ctx context.Context, db bun.IDB, code string) ([]tenantRow, error) {
	if len(code) != 6 {
		return nil, nil
	}
	cands := []string{code[:2] + "0000", code[:4] + "00", code}
	var rows []tenantRow
	err := db.NewSelect().Model(&rows).
		Where("kind = ?", string(tenants.KindRegulator)).
		Where("status <> ?", string(tenants.StatusDisabled)).
		Where("region_code IN (?)", bun.In(cands)).
		OrderExpr("id ASC").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if regions.InJurisdiction(r.RegionCode, code) {
			out = append(out, r)
		}
	}
	return out, nil
}

// auditRow reads audit_log (kernel table; it opted in to oversight reads).
type auditRow struct {
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

func listAudit(ctx context.Context, db bun.IDB, tenantID uuid.UUID, afterSeq int64, since time.Time, limit int) ([]audit.Entry, error) {
	var rows []auditRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Where("seq > ?", afterSeq)
	if !since.IsZero() {
		q = q.Where("at >= ?", since.UTC())
	}
	if err := q.OrderExpr("seq ASC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = audit.Entry{TenantID: r.TenantID, Seq: r.Seq, ID: r.ID, At: r.At.UTC(), ActorID: r.ActorID, ActorName: r.ActorName,
			Action: r.Action, Outcome: audit.Outcome(r.Outcome), TargetType: r.TargetType, TargetID: r.TargetID,
			Before: r.Before, After: r.After, RequestID: r.RequestID, PrevHash: r.PrevHash, Hash: r.Hash}
	}
	return out, nil
}

// tryLock takes a transaction-scoped advisory lock named by key, reporting false when another
// transaction holds it. SQLite serialises writers anyway: there it always succeeds.
func tryLock(ctx context.Context, tx bun.IDB, key string) (bool, error) {
	if !platform.IsPostgres(tx) {
		return true, nil
	}
	h := fnv.New64a()
	h.Write([]byte("skillcert/oversight/" + key))
	var ok bool
	if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?)", int64(h.Sum64())).Scan(ctx, &ok); err != nil {
		return false, fmt.Errorf("oversight: advisory lock: %w", err)
	}
	return ok, nil
}
