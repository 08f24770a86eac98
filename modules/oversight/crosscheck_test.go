package oversight_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/crosscheck"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func flagsOf(t *testing.T, k *testkit.Kit, token, query string) []crosscheck.Flag {
	t.Helper()
	var page struct {
		Items []crosscheck.Flag `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/flags?limit=500&"+query, token, nil).Want(t, http.StatusOK).Decode(t, &page)
	return page.Items
}

// flagFor finds the open flag of kind naming the certificate or application ref.
func flagFor(flags []crosscheck.Flag, kind, ref string) *crosscheck.Flag {
	for i, f := range flags {
		if f.Kind != kind || f.ResolvedAt != nil {
			continue
		}
		for _, it := range f.Items {
			if it.CertificateNumber == ref || it.ApplicationID == ref {
				return &flags[i]
			}
		}
	}
	return nil
}

func TestCrossInstitutionChecks(t *testing.T) {
	k := testkit.New(t)
	is := newIssuer(t, k)
	sichuan := k.Tenant(t, tenants.KindRegulator, "510000")
	yunnan := k.Tenant(t, tenants.KindRegulator, "530000")
	chengdu := k.Tenant(t, tenants.KindEnterprise, "510104", "staff")
	kunming := k.Tenant(t, tenants.KindSocialOrg, "530102")
	school := k.Tenant(t, tenants.KindSchool, "510104")
	approveFiling(t, k, chengdu, sichuan, 4)
	approveFiling(t, k, kunming, yunnan, 4)
	approveFiling(t, k, school, sichuan, 4)

	p, q, r := residentID(t), residentID(t), residentID(t)
	inChengdu := is.issue(t, chengdu, 4, holder{"张伟", p}, holder{"王敏", r})
	inKunming := is.issue(t, kunming, 4, holder{"张伟", p})
	q1 := is.issue(t, school, 4, holder{"刘洋", q})
	q2 := is.issue(t, school, 4, holder{"刘洋", q})

	// r, who holds level 4 from Chengdu, applies for level 4 again at the school.
	var batch struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/batches", school.Admin, batchBody()).Want(t, http.StatusCreated).Decode(t, &batch)
	k.Do(t, "POST", "/api/v1/batches/"+batch.ID.String()+"/publish", school.Admin, nil).Want(t, http.StatusOK)
	cand := k.Do(t, "POST", "/api/v1/candidates", school.Admin, map[string]any{"name": "王敏", "id_type": "resident_id", "id_number": r,
		"education": "senior_high", "occupation_years": 8, "student_no": "S" + r[10:]}).Want(t, http.StatusCreated).ID(t)
	var app struct {
		ID     uuid.UUID `json:"id"`
		Status string    `json:"status"`
	}
	k.Do(t, "POST", "/api/v1/batches/"+batch.ID.String()+"/applications", school.Admin, map[string]any{"candidate_id": cand}).
		Want(t, http.StatusCreated).Decode(t, &app)
	if app.Status == "ineligible" {
		t.Fatalf("application %+v", app)
	}

	svc := k.Server.Oversight.Oversight
	dispatch(t, svc)
	res, err := svc.CrossCheck.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.MultipleCertificates < 1 || res.RepeatTesting < 2 {
		t.Fatalf("cross-check = %+v", res)
	}

	// 一人多证: each province sees its own institution's certificate and counts the other.
	var pInChengdu string
	for _, c := range inChengdu {
		if c.IDNumber == p {
			pInChengdu = c.Number
		}
	}
	sc := flagFor(flagsOf(t, k, sichuan.Admin, "kind=multiple_certificates&open=true"), crosscheck.FlagMultipleCertificates, pInChengdu)
	yn := flagFor(flagsOf(t, k, yunnan.Admin, "kind=multiple_certificates&open=true"), crosscheck.FlagMultipleCertificates, inKunming[0].Number)
	if sc == nil || yn == nil {
		t.Fatalf("一人多证 not flagged to both provinces: %v %v", sc, yn)
	}
	for _, f := range []*crosscheck.Flag{sc, yn} {
		if len(f.Items) != 1 || f.OutsideCount != 1 || f.OccupationCode != electrician || f.Level != 4 {
			t.Fatalf("flag shows another jurisdiction's data or miscounts: %+v", f)
		}
		if !strings.HasPrefix(f.PersonRef, "P-") || strings.Contains(f.PersonRef, p) {
			t.Fatalf("person ref %q", f.PersonRef)
		}
	}
	if sc.PersonRef != yn.PersonRef {
		t.Fatal("one person has two refs")
	}
	if sc.Items[0].InstitutionID != chengdu.Tenant.ID || yn.Items[0].InstitutionID != kunming.Tenant.ID {
		t.Fatalf("items: %+v / %+v", sc.Items, yn.Items)
	}

	// 重复考证: twice from the school; and an application for a level already held.
	repeats := flagsOf(t, k, sichuan.Admin, "kind=repeat_testing&open=true")
	if f := flagFor(repeats, crosscheck.FlagRepeatTesting, q1[0].Number); f == nil || flagFor(repeats, crosscheck.FlagRepeatTesting, q2[0].Number) != f {
		t.Fatalf("repeat certificate not flagged: %+v", repeats)
	}
	f := flagFor(repeats, crosscheck.FlagRepeatTesting, app.ID.String())
	if f == nil || len(f.Items) != 2 {
		t.Fatalf("repeat application not flagged with the certificate held: %+v", f)
	}
	if got := flagsOf(t, k, yunnan.Admin, "kind=repeat_testing&open=true"); flagFor(got, crosscheck.FlagRepeatTesting, q1[0].Number) != nil {
		t.Fatal("Yunnan sees a Sichuan-only finding")
	}
	// Institutions see no flags.
	k.Do(t, "GET", "/api/v1/oversight/flags", chengdu.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")

	// Revoking one of the duplicates resolves the finding at the next run.
	if _, err := is.svc.Revoke(kunming.Ctx(context.Background()), inKunming[0].ID, "duplicate"); err != nil {
		t.Fatal(err)
	}
	dispatch(t, svc)
	if _, err := svc.CrossCheck.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f := flagFor(flagsOf(t, k, sichuan.Admin, "kind=multiple_certificates&open=true"), crosscheck.FlagMultipleCertificates, pInChengdu); f != nil {
		t.Fatalf("resolved finding still open: %+v", f)
	}
}
