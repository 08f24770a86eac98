package core

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// tenantRow reads the register (table tenants of the directory, no tenant_id: readable by the
// application role). schema_pin_test.go pins the columns it reads.
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

func (r *tenantRow) tenant() tenants.Tenant {
	t := tenants.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Kind: tenants.Kind(r.Kind), RegionCode: r.RegionCode,
		Status: tenants.Status(r.Status), CreatedAt: r.CreatedAt.UTC()}
	if r.CreditCode != nil {
		t.CreditCode = *r.CreditCode
	}
	return t
}

// ListInstitutions lists up to limit of the tenants ids after the keyset position, oldest first.
func ListInstitutions(ctx context.Context, db bun.IDB, ids []uuid.UUID, after TimeKey, limit int) ([]tenants.Tenant, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []tenantRow
	q := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids))
	if err := (Keyset{Column: "created_at"}).Page(q, after, limit).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]tenants.Tenant, len(rows))
	for i := range rows {
		out[i] = rows[i].tenant()
	}
	return out, nil
}

// GetTenant reads one tenant of the register (ErrInstitutionNotFound when there is none).
func GetTenant(ctx context.Context, db bun.IDB, id uuid.UUID) (tenants.Tenant, error) {
	r := new(tenantRow)
	err := db.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return tenants.Tenant{}, ErrInstitutionNotFound
	}
	if err != nil {
		return tenants.Tenant{}, err
	}
	return r.tenant(), nil
}

// Tenants reads the tenants ids of the register, by id.
func Tenants(ctx context.Context, db bun.IDB, ids []uuid.UUID) (map[uuid.UUID]tenants.Tenant, error) {
	out := map[uuid.UUID]tenants.Tenant{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []tenantRow
	if err := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].ID] = rows[i].tenant()
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
	var rows []tenantRow
	err := db.NewSelect().Model(&rows).
		Where("kind = ?", string(tenants.KindRegulator)).
		Where("status <> ?", string(tenants.StatusDisabled)).
		Where("region_code IN (?)", bun.In(cands)).
		OrderExpr("id ASC").Scan(ctx)
	if err != nil {
		return nil, err
	}
	var out []tenants.Tenant
	for i := range rows {
		if regions.InJurisdiction(rows[i].RegionCode, code) {
			out = append(out, rows[i].tenant())
		}
	}
	return out, nil
}

// Regulators lists every regulator that is not disabled (the daily fan-outs).
func Regulators(ctx context.Context, db bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.NewSelect().Model((*tenantRow)(nil)).Column("id").Where("kind = ?", string(tenants.KindRegulator)).
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
