package directory

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

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
	UpdatedAt  time.Time `bun:"updated_at"`
}

func (r *tenantRow) tenant() tenants.Tenant {
	t := tenants.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Kind: tenants.Kind(r.Kind), RegionCode: r.RegionCode,
		Status: tenants.Status(r.Status), CreatedAt: r.CreatedAt.UTC()}
	if r.CreditCode != nil {
		t.CreditCode = *r.CreditCode
	}
	return t
}

// ReadTenants reads the tenants of the register that narrow selects (a query of the table tenants), for
// the modules above that read the register inside their own transactions: the table has no tenant_id,
// so every role may read it.
func ReadTenants(ctx context.Context, db bun.IDB, narrow func(*bun.SelectQuery) *bun.SelectQuery) ([]tenants.Tenant, error) {
	var rows []tenantRow
	if err := narrow(db.NewSelect().Model(&rows)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]tenants.Tenant, len(rows))
	for i := range rows {
		out[i] = rows[i].tenant()
	}
	return out, nil
}

// slugKey is PostgreSQL's name for tenants' UNIQUE (slug).
const slugKey = "tenants_slug_key"

func insertTenant(ctx context.Context, db bun.IDB, r *tenantRow) error {
	_, err := db.NewInsert().Model(r).Exec(ctx)
	if platform.IsConstraint(err, slugKey) {
		return ErrSlugTaken
	}
	return err
}

func tenantWhere(ctx context.Context, db bun.IDB, where string, arg any) (tenants.Tenant, error) {
	r := new(tenantRow)
	err := db.NewSelect().Model(r).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return tenants.Tenant{}, ErrNotFound
	}
	if err != nil {
		return tenants.Tenant{}, err
	}
	return r.tenant(), nil
}

// tenantCursor is the keyset position of List: the last tenant's creation time and id.
type tenantCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// listTenants reads up to limit tenants by (created_at, id) after the cursor (none when its id is nil).
func listTenants(ctx context.Context, db bun.IDB, f Filter, desc bool, after tenantCursor, limit int) ([]tenants.Tenant, error) {
	var rows []tenantRow
	q := db.NewSelect().Model(&rows)
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if f.RegionCode != "" {
		q = q.Where("region_code LIKE ?", regions.JurisdictionPrefix(f.RegionCode)+"%")
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after.ID != uuid.Nil {
		q = q.Where("(created_at, id) "+op+" (?, ?)", after.CreatedAt, after.ID)
	}
	if err := q.OrderExpr("created_at " + dir + ", id " + dir).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]tenants.Tenant, len(rows))
	for i := range rows {
		out[i] = rows[i].tenant()
	}
	return out, nil
}

func institutionIDsUnder(ctx context.Context, db bun.IDB, prefix string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.NewSelect().Model((*tenantRow)(nil)).Column("id").
		Where("region_code LIKE ?", prefix+"%").
		Where("kind IN (?)", bun.In([]string{string(tenants.KindEnterprise), string(tenants.KindSocialOrg), string(tenants.KindSchool)})).
		Scan(ctx, &ids)
	return ids, err
}

func setStatus(ctx context.Context, db bun.IDB, id uuid.UUID, status tenants.Status, at time.Time) error {
	_, err := db.NewUpdate().Model((*tenantRow)(nil)).Set("status = ?, updated_at = ?", string(status), at).Where("id = ?", id).Exec(ctx)
	return err
}
