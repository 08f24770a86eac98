package core

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// ListInstitutions lists up to limit of the tenants ids after the keyset position, oldest first.
func ListInstitutions(ctx context.Context, db bun.IDB, ids []uuid.UUID, after TimeKey, limit int) ([]tenants.Tenant, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return directory.ReadTenants(ctx, db, func(q *bun.SelectQuery) *bun.SelectQuery {
		return (Keyset{Column: "created_at"}).Page(q.Where("id IN (?)", bun.In(ids)), after, limit)
	})
}

// GetTenant reads one tenant of the register (ErrInstitutionNotFound when there is none).
func GetTenant(ctx context.Context, db bun.IDB, id uuid.UUID) (tenants.Tenant, error) {
	ts, err := directory.ReadTenants(ctx, db, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("id = ?", id) })
	if err != nil {
		return tenants.Tenant{}, err
	}
	if len(ts) == 0 {
		return tenants.Tenant{}, ErrInstitutionNotFound
	}
	return ts[0], nil
}

// Tenants reads the tenants ids of the register, by id.
func Tenants(ctx context.Context, db bun.IDB, ids []uuid.UUID) (map[uuid.UUID]tenants.Tenant, error) {
	out := map[uuid.UUID]tenants.Tenant{}
	if len(ids) == 0 {
		return out, nil
	}
	ts, err := directory.ReadTenants(ctx, db, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("id IN (?)", bun.In(ids)) })
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// RegulatorsCovering lists the active regulators whose jurisdiction covers region code: the county,
// city and province bureaus (a division's code names its parents by its first 4 and 2 digits).
func RegulatorsCovering(ctx context.Context, db bun.IDB, code string) ([]tenants.Tenant, error) {
	if len(code) != 6 {
		return nil, nil
	}
	cands := []string{code[:2] + "0000", code[:4] + "00", code}
	regs, err := directory.ReadTenants(ctx, db, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("kind = ?", string(tenants.KindRegulator)).
			Where("status <> ?", string(tenants.StatusDisabled)).
			Where("region_code IN (?)", bun.In(cands)).
			OrderExpr("id ASC")
	})
	if err != nil {
		return nil, err
	}
	var out []tenants.Tenant
	for _, r := range regs {
		if regions.InJurisdiction(r.RegionCode, code) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Regulators lists every regulator that is not disabled (the daily fan-outs).
func Regulators(ctx context.Context, db bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.NewSelect().TableExpr("tenants").Column("id").Where("kind = ?", string(tenants.KindRegulator)).
		Where("status <> ?", string(tenants.StatusDisabled)).Scan(ctx, &ids)
	return ids, err
}

// TryLock takes a transaction-scoped advisory lock named by key, reporting false when another
// transaction holds it. SQLite serialises writers anyway: there it always succeeds.
func TryLock(ctx context.Context, tx bun.IDB, key string) (bool, error) {
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
