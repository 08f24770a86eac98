package candidates

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// linkTestUser inserts a login of tenant with roles directly (identity is not under test here).
func linkTestUser(tb testing.TB, db *bun.DB, tenant uuid.UUID, roles ...string) uuid.UUID {
	tb.Helper()
	id := uuid.New()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "INSERT INTO users (id, tenant_id, username, password_hash) VALUES (?, ?, ?, 'x')",
		id, tenant, "u-"+id.String()[:8]); err != nil {
		tb.Fatal(err)
	}
	for _, r := range roles {
		if _, err := db.ExecContext(ctx, "INSERT INTO user_roles (tenant_id, user_id, role) VALUES (?, ?, ?)", tenant, id, r); err != nil {
			tb.Fatal(err)
		}
	}
	return id
}

// TestLinkLogin: a candidate login of the institution is linked to a record without one (and audited);
// a staff login, another tenant's candidate login, a second link of either side and an unknown record
// are refused.
func TestLinkLogin(t *testing.T) {
	svc, db := newService(t)
	sc := newTenant(t, db, tenants.KindEnterprise)
	ctx := ctxOf(sc)
	a, err := svc.Create(ctx, validInput(901))
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, validInput(902))
	if err != nil {
		t.Fatal(err)
	}
	login := linkTestUser(t, db, sc.TenantID, RoleCandidate)
	staff := linkTestUser(t, db, sc.TenantID, "staff")
	other := newTenant(t, db, tenants.KindEnterprise)
	foreign := linkTestUser(t, db, other.TenantID, RoleCandidate)

	mustFail(t, svc.LinkLogin(ctx, a.ID, staff), platform.KindInvalid, "validation_failed")
	mustFail(t, svc.LinkLogin(ctx, a.ID, foreign), platform.KindInvalid, "validation_failed")
	if err := svc.LinkLogin(ctx, uuid.New(), login); platform.KindOf(err) != platform.KindNotFound {
		t.Fatalf("unknown record: %v", err)
	}
	if err := svc.LinkLogin(ctx, a.ID, login); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(ctx, a.ID)
	if err != nil || got.UserID == nil || *got.UserID != login {
		t.Fatalf("linked record %+v %v", got.UserID, err)
	}
	if err := svc.LinkLogin(ctx, a.ID, linkTestUser(t, db, sc.TenantID, RoleCandidate)); platform.KindOf(err) != platform.KindConflict {
		t.Fatalf("second login for a record: %v", err)
	}
	if err := svc.LinkLogin(ctx, b.ID, login); platform.KindOf(err) != platform.KindConflict {
		t.Fatalf("second record for a login: %v", err)
	}
	var n int
	if err := db.NewSelect().Table("audit_log").ColumnExpr("count(*)").
		Where("tenant_id = ? AND action = 'candidate.link_login' AND target_id = ?", sc.TenantID, a.ID.String()).Scan(context.Background(), &n); err != nil || n != 1 {
		t.Fatalf("%d link entries (%v)", n, err)
	}
}
