package filings_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

// fakeDirectory serves a fixed register, for the dev-mode test that runs without the server.
type fakeDirectory map[uuid.UUID]tenants.Tenant

func (d fakeDirectory) Jurisdiction(_ context.Context, reg tenants.Scope) ([]uuid.UUID, error) {
	var out []uuid.UUID
	for id, t := range d {
		if t.Kind.IsInstitution() && t.RegionCode[:2] == reg.RegionCode[:2] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (d fakeDirectory) ByID(_ context.Context, id uuid.UUID) (tenants.Tenant, error) {
	t, ok := d[id]
	if !ok {
		return t, filings.ErrNotFound
	}
	return t, nil
}

// TestDevModeSQLite runs the catalog and a filing's whole life on the embedded dev database: seed,
// norm, submit, decide, scope check, expiry.
func TestDevModeSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	cat := catalog.NewService(db)
	if wrote, err := cat.EnsureSeeded(ctx); err != nil || !wrote {
		t.Fatalf("seeding SQLite: %v, %v", wrote, err)
	}
	if wrote, err := catalog.NewService(db).EnsureSeeded(ctx); err != nil || wrote {
		t.Fatalf("seeding SQLite again: %v, %v", wrote, err)
	}
	if occs, err := cat.List(ctx, platform.PageRequest{Limit: 10}, catalog.ListFilter{Query: "电工"}); err != nil || len(occs.Items) == 0 {
		t.Fatalf("search on SQLite: %v, %v", occs, err)
	}

	dir := fakeDirectory{}
	mk := func(kind tenants.Kind, region string) context.Context {
		tn := tenants.Tenant{ID: uuid.New(), Slug: "t-" + uuid.NewString()[:8], Name: "t", Kind: kind, RegionCode: region, Status: tenants.StatusActive}
		if _, err := db.NewRaw("INSERT INTO tenants (id, slug, name, kind, region_code, status) VALUES (?, ?, ?, ?, ?, 'active')",
			tn.ID, tn.Slug, tn.Name, string(tn.Kind), tn.RegionCode).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		dir[tn.ID] = tn
		return tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: tn.ID, Kind: kind, RegionCode: region, Slug: tn.Slug}),
			tenants.Actor{Name: "system:test"})
	}
	ent, reg := mk(tenants.KindEnterprise, "110105"), mk(tenants.KindRegulator, "110000")
	_, none := occupations(t)
	n, err := cat.CreateNorm(ent, catalog.NewNorm{OccupationCode: none.Code, Title: "规范", Levels: []int{5}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.FileNorm(ent, n.ID, catalog.NormFiling{FilingRef: "备1", FiledOn: time.Now().AddDate(0, 0, -1)}); err != nil {
		t.Fatal(err)
	}

	svc := filings.NewService(db, cat, dir)
	f, err := svc.Submit(ent, []filings.ScopeRequest{{OccupationCode: electrician, Levels: []int{4, 3}}, {OccupationCode: none.Code, Levels: []int{5}}})
	if err != nil {
		t.Fatal(err)
	}
	from := today().AddDate(-3, 0, 10)
	got, err := svc.Decide(reg, f.ID, filings.Decision{Decision: "approve", EvaluatorCode: "0001", SiteSerial: "000002", ValidFrom: from})
	if err != nil || got.Status != filings.StatusApproved || !got.ValidUntil.Equal(filings.ValidUntil(from)) {
		t.Fatalf("decide on SQLite: %+v, %v", got, err)
	}
	check := func(code string, level int, asOf time.Time) error {
		return tenants.ReadTx(ent, db, func(ctx context.Context, tx bun.Tx) error {
			_, err := svc.CheckScope(ctx, tx, code, level, asOf)
			return err
		})
	}
	if err := check(none.Code, 5, time.Now()); err != nil {
		t.Fatalf("scope on SQLite: %v", err)
	}
	if res, err := svc.RunExpiry(ctx, time.Now()); err != nil || res.Warned != 1 {
		t.Fatalf("expiry run on SQLite: %+v, %v", res, err)
	}
	if res, err := svc.RunExpiry(ctx, time.Now().AddDate(0, 0, 11)); err != nil || res.Expired != 1 {
		t.Fatalf("expiry on SQLite: %+v, %v", res, err)
	}
	if err := check(electrician, 4, time.Now()); filings.Reason(err) != filings.ReasonExpired {
		t.Fatalf("after expiry on SQLite: %v", err)
	}
}
