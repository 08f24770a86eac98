package directory_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// as returns ctx acting as a system actor in tenant t.
func as(t tenants.Tenant) context.Context {
	return tenants.WithActor(tenants.WithScope(context.Background(),
		tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}), tenants.Actor{Name: "system:test"})
}

// errAny is a test's "some error": a wiring mistake has no code of its own.
var errAny = errors.New("any error")

func TestCreateTenantService(t *testing.T) {
	k := testkit.New(t)
	svc := k.Server.Directory
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	taken := testkit.Slug("taken")
	admin := directory.FirstAdmin{Username: "admin", Password: testkit.Password, DisplayName: "管理员"}
	if _, _, err := svc.Create(as(k.Platform), directory.NewTenant{Slug: taken, Name: "机构", Kind: tenants.KindSchool, RegionCode: "330106"}, admin); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ctx    context.Context
		svc    *directory.Service
		in     directory.NewTenant
		admin  directory.FirstAdmin
		want   error  // nil: created; compared with errors.Is (platform errors match by kind and code)
		field  string // the invalid field of a validation failure
		stored directory.NewTenant
	}{
		{name: "created and normalised", ctx: as(k.Platform), svc: svc, admin: admin,
			in:     directory.NewTenant{Slug: " " + testkit.Slug("ok") + " ", Name: " 某某职业技能学校 ", Kind: tenants.KindSchool, RegionCode: "330106", CreditCode: "91350100m000100y43"},
			stored: directory.NewTenant{Name: "某某职业技能学校", Kind: tenants.KindSchool, RegionCode: "330106", CreditCode: "91350100M000100Y43"}},
		{name: "slug taken", ctx: as(k.Platform), svc: svc, admin: admin, want: directory.ErrSlugTaken,
			in: directory.NewTenant{Slug: taken, Name: "n", Kind: tenants.KindEnterprise, RegionCode: "110105"}},
		{name: "first admin invalid: nothing created", ctx: as(k.Platform), svc: svc, want: platform.E(platform.KindUnprocessable, "validation_failed", ""),
			field: "admin.password", admin: directory.FirstAdmin{Username: "admin", Password: "short"},
			in: directory.NewTenant{Slug: testkit.Slug("pw"), Name: "n", Kind: tenants.KindEnterprise, RegionCode: "110105"}},
		{name: "from an institution", ctx: as(org.Tenant), svc: svc, admin: admin, want: platform.Forbidden(""),
			in: directory.NewTenant{Slug: testkit.Slug("inst"), Name: "n", Kind: tenants.KindEnterprise, RegionCode: "110105"}},
		{name: "without a tenant", ctx: context.Background(), svc: svc, admin: admin, want: tenants.ErrNoScope,
			in: directory.NewTenant{Slug: testkit.Slug("none"), Name: "n", Kind: tenants.KindEnterprise, RegionCode: "110105"}},
		{name: "service without Users", ctx: as(k.Platform), svc: directory.NewService(k.DB, nil), admin: admin, want: errAny,
			in: directory.NewTenant{Slug: testkit.Slug("nousers"), Name: "n", Kind: tenants.KindEnterprise, RegionCode: "110105"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tn, u, err := tc.svc.Create(tc.ctx, tc.in, tc.admin)
			if tc.want != nil {
				if err == nil {
					t.Fatal("created")
				}
				if tc.want != errAny && !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if tc.field != "" {
					var got *platform.Error
					if !errors.As(err, &got) || len(got.Fields) == 0 || got.Fields[0].Field != tc.field {
						t.Fatalf("err = %#v, want a failure of %s", err, tc.field)
					}
				}
				if tc.in.Slug != taken {
					if _, err := svc.BySlug(context.Background(), tc.in.Slug); !errors.Is(err, directory.ErrNotFound) {
						t.Fatalf("a refused tenant exists: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.ByID(context.Background(), tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.stored
			if got.Name != want.Name || got.Kind != want.Kind || got.RegionCode != want.RegionCode || got.CreditCode != want.CreditCode ||
				got.Status != tenants.StatusActive || got.Slug == "" || got.Slug[0] == ' ' {
				t.Fatalf("stored %+v", got)
			}
			// The first administrator lives in the new tenant, holds admin, and can log in at once.
			if u.TenantID != tn.ID || !slices.Equal(u.Roles, []string{"admin"}) {
				t.Fatalf("first admin %+v", u)
			}
			k.Login(t, got.Slug, "admin")
			// The new tenant's own chain starts with its first user.
			page, err := k.Server.Audit.List(as(got), platform.PageRequest{Limit: 1}, audit.Filter{})
			if err != nil || len(page.Items) != 1 || page.Items[0].Action != "user.create" || page.Items[0].Seq != 1 {
				t.Fatalf("first audit entry %+v (%v)", page.Items, err)
			}
		})
	}
}

func TestListTenantsByKind(t *testing.T) {
	k := testkit.New(t)
	made := map[tenants.Kind][]uuid.UUID{}
	for _, kind := range []tenants.Kind{tenants.KindSchool, tenants.KindRegulator, tenants.KindSchool, tenants.KindEnterprise, tenants.KindSchool} {
		region := "110105"
		if kind == tenants.KindRegulator {
			region = "110000"
		}
		o := k.Tenant(t, kind, region)
		made[kind] = append(made[kind], o.Tenant.ID)
	}
	svc := k.Server.Directory
	ctx := as(k.Platform)
	walk := func(t *testing.T, req platform.PageRequest, f directory.Filter) []tenants.Tenant {
		t.Helper()
		var out []tenants.Tenant
		for pages := 0; ; pages++ {
			page, err := svc.List(ctx, req, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) > req.Size() || pages > 1000 {
				t.Fatalf("page of %d, limit %d, page %d", len(page.Items), req.Size(), pages)
			}
			out = append(out, page.Items...)
			if page.NextCursor == "" {
				return out
			}
			req.Cursor = page.NextCursor
		}
	}
	for _, kind := range []tenants.Kind{tenants.KindSchool, tenants.KindRegulator, ""} {
		for _, desc := range []bool{false, true} {
			all := walk(t, platform.PageRequest{Limit: platform.MaxLimit, Desc: desc}, directory.Filter{Kind: kind})
			for _, limit := range []int{1, 2, 3} {
				got := walk(t, platform.PageRequest{Limit: limit, Desc: desc}, directory.Filter{Kind: kind})
				if diff := cmp.Diff(ids(all), ids(got)); diff != "" {
					t.Fatalf("kind %q desc %v limit %d: pages differ from one page (-want +got):\n%s", kind, desc, limit, diff)
				}
			}
			for i, tn := range all {
				if kind != "" && tn.Kind != kind {
					t.Fatalf("kind %q lists a %s", kind, tn.Kind)
				}
				if i > 0 && before(tn, all[i-1]) != desc {
					t.Fatalf("kind %q desc %v: %s listed after %s", kind, desc, tn.ID, all[i-1].ID)
				}
			}
			// The tenants this test made appear, in the order they were made (or its reverse).
			var mine []uuid.UUID
			for _, id := range ids(all) {
				for _, k := range []tenants.Kind{tenants.KindSchool, tenants.KindRegulator, tenants.KindEnterprise} {
					if (kind == "" || kind == k) && slices.Contains(made[k], id) {
						mine = append(mine, id)
					}
				}
			}
			want := made[kind]
			if kind == "" {
				want = nil // every kind, interleaved: count only
				for _, m := range made {
					want = append(want, m...)
				}
				if len(mine) != len(want) {
					t.Fatalf("all kinds: %d of the %d made tenants listed", len(mine), len(want))
				}
				continue
			}
			if desc {
				want = slices.Clone(want)
				slices.Reverse(want)
			}
			if diff := cmp.Diff(want, mine); diff != "" {
				t.Errorf("kind %q desc %v (-want +got):\n%s", kind, desc, diff)
			}
		}
	}
	// Over the API: the same pages, newest first with sort=-created_at, a foreign cursor or sort is 400.
	var apiIDs []uuid.UUID
	cursor := ""
	for {
		var page platform.Page[directory.TenantView]
		k.Do(t, "GET", "/api/v1/tenants?kind=school&limit=2&sort=-created_at&cursor="+cursor, k.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
		for _, v := range page.Items {
			apiIDs = append(apiIDs, v.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(ids(walk(t, platform.PageRequest{Limit: 7, Desc: true}, directory.Filter{Kind: tenants.KindSchool})), apiIDs); diff != "" {
		t.Errorf("API pages (-service +API):\n%s", diff)
	}
	k.Do(t, "GET", "/api/v1/tenants?cursor="+platform.EncodeCursor("x"), k.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_cursor")
	k.Do(t, "GET", "/api/v1/tenants?sort=name", k.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
}

func ids(ts []tenants.Tenant) []uuid.UUID {
	out := make([]uuid.UUID, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// before reports whether a sorts before b in the register's order, (created_at, id).
func before(a, b tenants.Tenant) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID.String() < b.ID.String()
}

func TestLookupAndJurisdiction(t *testing.T) {
	k := testkit.New(t)
	city := k.Tenant(t, tenants.KindRegulator, "110000")        // Beijing: jurisdiction "11"
	district := k.Tenant(t, tenants.KindRegulator, "110105")    // Chaoyang district only
	inDistrict := k.Tenant(t, tenants.KindEnterprise, "110105") // under both
	inCity := k.Tenant(t, tenants.KindSchool, "110108")         // under the city only
	elsewhere := k.Tenant(t, tenants.KindSocialOrg, "310101")   // Shanghai
	lookup := directory.NewLookup(k.DB)

	for _, tn := range []tenants.Tenant{city.Tenant, inDistrict.Tenant} {
		bySlug, err := lookup.BySlug(context.Background(), tn.Slug)
		if err != nil || bySlug.ID != tn.ID {
			t.Fatalf("BySlug(%s) = %+v, %v", tn.Slug, bySlug, err)
		}
		byID, err := lookup.ByID(context.Background(), tn.ID)
		if err != nil || byID.Slug != tn.Slug {
			t.Fatalf("ByID(%s) = %+v, %v", tn.ID, byID, err)
		}
	}
	if _, err := lookup.BySlug(context.Background(), "no-such-tenant"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("unknown slug: %v", err)
	}
	if _, err := lookup.ByID(context.Background(), uuid.New()); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}

	tests := []struct {
		name    string
		scope   *testkit.Org
		in, out []*testkit.Org
		err     error
	}{
		{"city regulator", city, []*testkit.Org{inDistrict, inCity}, []*testkit.Org{elsewhere, district, city}, nil},
		{"district regulator", district, []*testkit.Org{inDistrict}, []*testkit.Org{inCity, elsewhere}, nil},
		{"an institution has none", inDistrict, nil, nil, tenants.ErrNotRegulator},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := k.Server.Directory.Jurisdiction(context.Background(), tenants.Scope{TenantID: tc.scope.Tenant.ID,
				Kind: tc.scope.Tenant.Kind, RegionCode: tc.scope.Tenant.RegionCode})
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			for _, o := range tc.in {
				if !slices.Contains(got, o.Tenant.ID) {
					t.Errorf("%s (%s) is missing", o.Tenant.Slug, o.Tenant.RegionCode)
				}
			}
			for _, o := range tc.out {
				if slices.Contains(got, o.Tenant.ID) {
					t.Errorf("%s (%s %s) is included", o.Tenant.Slug, o.Tenant.Kind, o.Tenant.RegionCode)
				}
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	for _, st := range []tenants.Status{tenants.StatusSuspended, tenants.StatusActive} {
		err := tenants.WithTx(as(reg.Tenant), k.DB, func(ctx context.Context, tx bun.Tx) error {
			return k.Server.Directory.SetStatus(ctx, tx, org.Tenant.ID, st, "test "+string(st))
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Server.Directory.ByID(context.Background(), org.Tenant.ID)
		if err != nil || got.Status != st {
			t.Fatalf("status %s, want %s (%v)", got.Status, st, err)
		}
	}
	// Both changes are in the institution's own chain.
	page, err := k.Server.Audit.List(as(org.Tenant), platform.PageRequest{Limit: platform.MaxLimit}, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range page.Items {
		if e.Action == "tenant.status" && e.TargetID == org.Tenant.ID.String() {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d tenant.status entries in the institution's log, want 2", n)
	}
}
