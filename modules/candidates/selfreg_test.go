package candidates

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// fakeRoles records the role assignments pushed to the authorizer.
type fakeRoles struct{ set map[uuid.UUID][]string }

func (f *fakeRoles) SetRoles(_ context.Context, _ tenants.Kind, _, userID uuid.UUID, roles []string) error {
	f.set[userID] = roles
	return nil
}

// fakeApplier stands in for batches: it checks, inside the registration's transaction, that the
// candidate exists with its login linked, and answers an application DTO or err.
type fakeApplier struct {
	err     error
	batches []uuid.UUID
	linked  bool
}

func (a *fakeApplier) ApplyTx(ctx context.Context, tx bun.IDB, batchID, candidateID uuid.UUID) (any, error) {
	a.batches = append(a.batches, batchID)
	var userID *uuid.UUID
	if err := tx.NewSelect().Table("candidates").Column("user_id").Where("id = ?", candidateID).Scan(ctx, &userID); err != nil {
		return nil, err
	}
	a.linked = userID != nil
	if a.err != nil {
		return nil, a.err
	}
	return map[string]any{"id": uuid.New(), "status": "eligible", "candidate_id": candidateID}, nil
}

func newSelfRegService(t *testing.T) (*Service, *fakeRoles, *fakeApplier) {
	t.Helper()
	_, db := newService(t)
	roles := &fakeRoles{set: map[uuid.UUID][]string{}}
	valid := func(k tenants.Kind, r string) bool { return k.IsInstitution() && r == RoleCandidate }
	ident := identity.NewService(db, nil, roles, nil, valid, slog.New(slog.NewTextHandler(io.Discard, nil)))
	app := &fakeApplier{}
	svc := NewService(db, Deps{Tenants: directory.NewService(db, nil), Accounts: ident, Applier: app})
	return svc, roles, app
}

func registration(n int, username string) Registration {
	in := validInput(n)
	return Registration{Username: username, Password: "correct horse battery", Input: in}
}

func TestSelfRegisterCreatesCandidateLoginAndApplication(t *testing.T) {
	svc, roles, app := newSelfRegService(t)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	batch := uuid.New()
	r := registration(10_000, "zhangsan")
	r.Name = "𠀀𪚥明"
	res, err := svc.SelfRegister(context.Background(), org.Slug, batch, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.TenantID != org.TenantID || res.Application == nil || len(app.batches) != 1 || app.batches[0] != batch || !app.linked {
		t.Fatalf("result %+v, applier %+v", res, app)
	}
	if got := roles.set[res.UserID]; len(got) != 1 || got[0] != RoleCandidate {
		t.Fatalf("roles applied %v", got)
	}
	ctx := ctxOf(org)
	c, err := svc.Get(ctx, res.CandidateID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "𠀀𪚥明" || c.UserID == nil || *c.UserID != res.UserID {
		t.Fatalf("candidate %+v", c)
	}
	err = tenants.ReadTx(ctx, svc.db, func(ctx context.Context, tx bun.Tx) error {
		mine, err := svc.ByUserTx(ctx, tx, res.UserID)
		if err == nil && mine.ID != c.ID {
			t.Fatalf("ByUserTx returned %s", mine.ID)
		}
		if _, err := svc.ByUserTx(ctx, tx, uuid.New()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ByUserTx of a stranger: %v", err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same person again: their document now has a login.
	_, err = svc.SelfRegister(context.Background(), org.Slug, batch, registration(10_000, "zhangsan2"))
	mustFail(t, err, platform.KindConflict, CodeRegistrationNotAccepted)
}

func TestSelfRegisterLinksExistingRecordOnlyWithTheSameName(t *testing.T) {
	svc, _, _ := newSelfRegService(t)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	ctx := ctxOf(org)
	staff := validInput(10_100)
	staff.Name = "阿卜杜·热合曼"
	existing, err := svc.Create(ctx, staff)
	if err != nil {
		t.Fatal(err)
	}
	// Someone who knows the number but not the name cannot claim the record.
	r := registration(10_100, "intruder")
	r.Name = "别人"
	_, err = svc.SelfRegister(context.Background(), org.Slug, uuid.New(), r)
	mustFail(t, err, platform.KindConflict, CodeRegistrationNotAccepted)
	// The person, typing their name without the dot, gets the staff-entered record linked.
	r = registration(10_100, "abudu")
	r.Name = "阿卜杜热合曼"
	r.Phone = "13700137000"
	res, err := svc.SelfRegister(context.Background(), org.Slug, uuid.New(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.CandidateID != existing.ID {
		t.Fatalf("a new candidate %s was made instead of linking %s", res.CandidateID, existing.ID)
	}
	c, _ := svc.Get(ctx, existing.ID)
	if c.UserID == nil || c.Name != "阿卜杜·热合曼" || c.Phone != "13800138000" {
		t.Fatalf("linked record %+v: staff data must be kept", c)
	}
}

func TestSelfRegisterRollsBackOnRefusal(t *testing.T) {
	svc, roles, app := newSelfRegService(t)
	org := newTenant(t, svc.db, tenants.KindSocialOrg)
	app.err = platform.Unprocessable("deadline_passed", "applications closed")
	_, err := svc.SelfRegister(context.Background(), org.Slug, uuid.New(), registration(10_200, "late"))
	mustFail(t, err, platform.KindUnprocessable, "deadline_passed")
	if n := countCandidates(t, svc.db, org.TenantID); n != 0 {
		t.Fatalf("%d candidates left by a refused registration", n)
	}
	users, err := svc.db.NewSelect().Table("users").Where("tenant_id = ?", org.TenantID).Count(context.Background())
	if err != nil || users != 0 || len(roles.set) != 0 {
		t.Fatalf("%d users, roles %v left by a refused registration (%v)", users, roles.set, err)
	}
}

func TestSelfRegisterRefusals(t *testing.T) {
	svc, _, _ := newSelfRegService(t)
	social := newTenant(t, svc.db, tenants.KindSocialOrg)
	enterprise := newTenant(t, svc.db, tenants.KindEnterprise)
	school := newTenant(t, svc.db, tenants.KindSchool)
	regulator := newTenant(t, svc.db, tenants.KindRegulator)
	badID := registration(10_300, "bad")
	badID.IDNumber = badCheck(badID.IDNumber)
	weak := registration(10_301, "weak")
	weak.Password = "short"
	tests := []struct {
		name string
		slug string
		r    Registration
		kind platform.Kind
		code string
	}{
		{"unknown institution", "no-such-org", registration(10_302, "a"), platform.KindNotFound, "not_found"},
		{"regulator", regulator.Slug, registration(10_303, "b"), platform.KindNotFound, "not_found"},
		{"enterprise", enterprise.Slug, registration(10_304, "c"), platform.KindUnprocessable, "self_registration_unavailable"},
		{"school", school.Slug, registration(10_305, "d"), platform.KindUnprocessable, "self_registration_unavailable"},
		{"bad id number", social.Slug, badID, platform.KindUnprocessable, "validation_failed"},
		{"weak password", social.Slug, weak, platform.KindUnprocessable, "validation_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.SelfRegister(context.Background(), tt.slug, uuid.New(), tt.r)
			mustFail(t, err, tt.kind, tt.code)
		})
	}
	// A taken username is refused like a registered document, and nothing of the registration stays.
	if _, err := svc.SelfRegister(context.Background(), social.Slug, uuid.New(), registration(10_306, "taken")); err != nil {
		t.Fatal(err)
	}
	_, err := svc.SelfRegister(context.Background(), social.Slug, uuid.New(), registration(10_307, "taken"))
	mustFail(t, err, platform.KindConflict, CodeRegistrationNotAccepted)
	if n := countCandidates(t, svc.db, social.TenantID); n != 1 {
		t.Fatalf("%d candidates", n)
	}
	// Without an applier wired the endpoint is unavailable rather than half-working.
	svc = NewService(svc.db, Deps{Tenants: svc.deps.Tenants, Accounts: svc.deps.Accounts})
	_, err = svc.SelfRegister(context.Background(), social.Slug, uuid.New(), registration(10_308, "e"))
	mustFail(t, err, platform.KindUnavailable, "unavailable")
}
