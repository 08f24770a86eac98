package filings_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/catalog/seed"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const electrician = "6-31-01-03" // 电工, five levels, national standard

type scopeJSON struct {
	OccupationCode string     `json:"occupation_code"`
	OccupationName string     `json:"occupation_name,omitempty"`
	Levels         []int      `json:"levels"`
	NormID         *uuid.UUID `json:"norm_id,omitempty"`
}

type filingJSON struct {
	ID              uuid.UUID   `json:"id"`
	InstitutionID   uuid.UUID   `json:"institution_id"`
	InstitutionName string      `json:"institution_name"`
	Status          string      `json:"status"`
	Scope           []scopeJSON `json:"scope"`
	RegionCode      string      `json:"region_code"`
	RenewalOf       *uuid.UUID  `json:"renewal_of"`
	EvaluatorCode   string      `json:"evaluator_code"`
	ProvinceCode    string      `json:"province_code"`
	SiteSerial      string      `json:"site_serial"`
	ValidFrom       string      `json:"valid_from"`
	ValidUntil      string      `json:"valid_until"`
	DecisionNote    string      `json:"decision_note"`
}

type filingPage struct {
	Items      []filingJSON `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

func scope(code string, levels ...int) map[string]any {
	return map[string]any{"occupation_code": code, "levels": levels}
}

func submit(t *testing.T, k *testkit.Kit, org *testkit.Org, items ...map[string]any) filingJSON {
	t.Helper()
	var f filingJSON
	k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{"scope": items}).Want(t, http.StatusCreated).Decode(t, &f)
	return f
}

func approve(t *testing.T, k *testkit.Kit, reg *testkit.Org, id uuid.UUID, validFrom time.Time) filingJSON {
	t.Helper()
	var f filingJSON
	k.Do(t, "POST", "/api/v1/oversight/filings/"+id.String()+"/decision", reg.Admin, map[string]any{
		"decision": "approve", "evaluator_code": "0000", "site_serial": "000123", "valid_from": validFrom.Format(time.DateOnly), "note": "ok",
	}).Want(t, http.StatusOK).Decode(t, &f)
	return f
}

func today() time.Time { return filings.Day(time.Now()) }

func TestSubmitListAndGet(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "evaluator")
	other := k.Tenant(t, tenants.KindEnterprise, "110105")

	f := submit(t, k, org, scope(electrician, 4, 3))
	want := []scopeJSON{{OccupationCode: electrician, OccupationName: "电工", Levels: []int{4, 3}}}
	if f.Status != "submitted" || f.RegionCode != "110105" || f.InstitutionID != org.Tenant.ID {
		t.Fatalf("submitted filing = %+v", f)
	}
	if diff := cmp.Diff(want, f.Scope); diff != "" {
		t.Fatalf("scope (-want +got):\n%s", diff)
	}

	var p filingPage
	k.Do(t, "GET", "/api/v1/filings", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 1 || p.Items[0].ID != f.ID || !slices.Equal(p.Items[0].Scope[0].Levels, []int{4, 3}) {
		t.Fatalf("list = %+v", p.Items)
	}
	k.Do(t, "GET", "/api/v1/filings?status=approved", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 0 {
		t.Fatalf("approved list = %+v", p.Items)
	}
	k.Do(t, "GET", "/api/v1/filings?status=bogus", org.Admin, nil).Want(t, http.StatusBadRequest)
	k.Do(t, "GET", "/api/v1/filings/"+f.ID.String(), org.Admin, nil).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/filings/"+f.ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "GET", "/api/v1/filings", org.Tokens["evaluator"], nil).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/filings", org.Tokens["staff"], map[string]any{"scope": []any{scope(electrician, 5)}}).
		WantProblem(t, http.StatusForbidden, "forbidden")

	// Keyset paging over several filings.
	submit(t, k, org, scope(electrician, 5))
	submit(t, k, org, scope(electrician, 2))
	var seen []uuid.UUID
	cursor := ""
	for range 10 {
		k.Do(t, "GET", "/api/v1/filings?limit=2&cursor="+cursor, org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 3 || seen[0] != f.ID {
		t.Fatalf("paged %v", seen)
	}

	// Submitting is reported to the regulator in the same transaction.
	kinds := reportKinds(t, k, org, f.ID)
	if !slices.Contains(kinds, string(reports.FilingSubmitted)) {
		t.Fatalf("reports for %s: %v", f.ID, kinds)
	}
}

func reportKinds(t *testing.T, k *testkit.Kit, org *testkit.Org, id uuid.UUID) []string {
	t.Helper()
	var kinds []string
	err := tenants.ReadTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*reports.Event)(nil)).Column("kind").
			Where("tenant_id = ? AND subject_id = ?", org.Tenant.ID, id.String()).Order("seq").Scan(ctx, &kinds)
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

func auditActions(t *testing.T, k *testkit.Kit, org *testkit.Org, target uuid.UUID) []string {
	t.Helper()
	entries, err := k.Server.Audit.List(org.Ctx(context.Background()), platform.PageRequest{Limit: 1000}, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries.Items {
		if e.TargetID == target.String() && e.Outcome == audit.OutcomeOK {
			out = append(out, e.Action)
		}
	}
	return out
}

// occupationWithout returns a seeded occupation with a national standard that lacks level, and one
// without a standard.
func occupations(t *testing.T) (withoutLevel1, noStandard seed.Occupation) {
	t.Helper()
	occs, err := seed.Occupations()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range occs {
		if o.HasNationalStandard && !slices.Contains(o.Levels, 1) && withoutLevel1.Code == "" {
			withoutLevel1 = o
		}
		if !o.HasNationalStandard && noStandard.Code == "" {
			noStandard = o
		}
	}
	if withoutLevel1.Code == "" || noStandard.Code == "" {
		t.Fatal("seed lacks the occupations this test needs")
	}
	return withoutLevel1, noStandard
}

func TestSubmitValidation(t *testing.T) {
	k := testkit.New(t)
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")
	partial, none := occupations(t)
	cases := []struct {
		name  string
		scope []any
		field string
		code  string
	}{
		{"empty scope", []any{}, "scope", "required"},
		{"unknown occupation", []any{scope("6-99-99-99", 5)}, "scope[0].occupation_code", "unknown"},
		{"malformed code", []any{scope("631013", 5)}, "scope[0].occupation_code", "format"},
		{"level the standard lacks", []any{scope(partial.Code, 1)}, "scope[0].levels", "level_not_allowed"},
		{"not a national level", []any{scope(electrician, 6)}, "scope[0].levels", "level_not_allowed"},
		{"no levels", []any{scope(electrician)}, "scope[0].levels", "required"},
		{"repeated level", []any{scope(electrician, 4, 4)}, "scope[0].levels", "duplicate"},
		{"repeated occupation", []any{scope(electrician, 4), scope(electrician, 3)}, "scope[1].occupation_code", "duplicate"},
		{"no standard and no filed norm", []any{scope(none.Code, 5)}, "scope[0].occupation_code", "no_standard"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := k.Do(t, "POST", "/api/v1/filings", org.Admin, map[string]any{"scope": c.scope})
			res.WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			var p struct {
				Errors []struct{ Field, Code string }
			}
			res.Decode(t, &p)
			if !slices.ContainsFunc(p.Errors, func(e struct{ Field, Code string }) bool { return e.Field == c.field && e.Code == c.code }) {
				t.Fatalf("errors %+v, want %s %s", p.Errors, c.field, c.code)
			}
		})
	}
	var p filingPage
	k.Do(t, "GET", "/api/v1/filings", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 0 {
		t.Fatalf("refused filings were stored: %+v", p.Items)
	}
}

func TestRegulatorsCannotFile(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000", "viewer", "inspector")
	for _, tok := range []string{reg.Admin, reg.Tokens["inspector"], reg.Tokens["viewer"]} {
		k.Do(t, "POST", "/api/v1/filings", tok, map[string]any{"scope": []any{scope(electrician, 4)}}).
			WantProblem(t, http.StatusForbidden, "forbidden")
		k.Do(t, "GET", "/api/v1/filings", tok, nil).WantProblem(t, http.StatusForbidden, "forbidden")
	}
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	f := submit(t, k, org, scope(electrician, 4))
	// A viewer reads but does not decide; an institution does not decide its own filing.
	k.Do(t, "GET", "/api/v1/oversight/filings/"+f.ID.String(), reg.Tokens["viewer"], nil).Want(t, http.StatusOK)
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", reg.Tokens["viewer"], map[string]any{"decision": "reject", "note": "x"}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/filings/"+f.ID.String()+"/decision", org.Admin, map[string]any{"decision": "reject", "note": "x"}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "GET", "/api/v1/oversight/filings", org.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")
}

func TestDecisionInJurisdiction(t *testing.T) {
	k := testkit.New(t)
	inst := k.Tenant(t, tenants.KindSchool, "110105")
	beijing := k.Tenant(t, tenants.KindRegulator, "110000", "inspector")
	shanghai := k.Tenant(t, tenants.KindRegulator, "310000")
	f := submit(t, k, inst, scope(electrician, 4, 3))
	path := "/api/v1/oversight/filings/" + f.ID.String()

	var p filingPage
	k.Do(t, "GET", "/api/v1/oversight/filings?status=submitted&limit=500", beijing.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if !slices.ContainsFunc(p.Items, func(it filingJSON) bool { return it.ID == f.ID && it.InstitutionName == inst.Tenant.Name }) {
		t.Fatalf("Beijing's list lacks the 110105 filing: %+v", p.Items)
	}
	k.Do(t, "GET", "/api/v1/oversight/filings?limit=500", shanghai.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if slices.ContainsFunc(p.Items, func(it filingJSON) bool { return it.ID == f.ID }) {
		t.Fatal("Shanghai sees a Beijing filing")
	}
	k.Do(t, "GET", path, shanghai.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	approveBody := map[string]any{"decision": "approve", "evaluator_code": "0000", "site_serial": "000123", "valid_from": "2026-11-01", "note": "符合条件"}
	k.Do(t, "POST", path+"/decision", shanghai.Admin, approveBody).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/oversight/filings/"+uuid.NewString()+"/decision", beijing.Admin, approveBody).WantProblem(t, http.StatusNotFound, "not_found")

	t.Run("decision validation", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"evaluator code of 3":   {"decision": "approve", "evaluator_code": "000", "site_serial": "000123", "valid_from": "2026-11-01"},
			"evaluator code letter": {"decision": "approve", "evaluator_code": "00A0", "site_serial": "000123", "valid_from": "2026-11-01"},
			"site serial of 5":      {"decision": "approve", "evaluator_code": "0000", "site_serial": "00123", "valid_from": "2026-11-01"},
			"no valid_from":         {"decision": "approve", "evaluator_code": "0000", "site_serial": "000123"},
			"long expired":          {"decision": "approve", "evaluator_code": "0000", "site_serial": "000123", "valid_from": "2001-01-01"},
			"reject without note":   {"decision": "reject"},
			"unknown decision":      {"decision": "maybe", "note": "x"},
		} {
			t.Run(name, func(t *testing.T) {
				k.Do(t, "POST", path+"/decision", beijing.Admin, body).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			})
		}
	})

	var got filingJSON
	k.Do(t, "POST", path+"/decision", beijing.Tokens["inspector"], approveBody).Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "approved" || got.EvaluatorCode != "0000" || got.SiteSerial != "000123" || got.ProvinceCode != "11" ||
		got.ValidFrom != "2026-11-01" || got.ValidUntil != "2029-11-01" || got.DecisionNote != "符合条件" {
		t.Fatalf("approved filing = %+v", got)
	}
	k.Do(t, "POST", path+"/decision", beijing.Admin, approveBody).WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "POST", path+"/decision", beijing.Admin, map[string]any{"decision": "reject", "note": "no"}).WantProblem(t, http.StatusConflict, "invalid_state")

	// The institution sees the decision applied to its filing.
	k.Do(t, "GET", "/api/v1/filings/"+f.ID.String(), inst.Admin, nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "approved" || got.ValidUntil != "2029-11-01" {
		t.Fatalf("institution's view = %+v", got)
	}
	// Audited on both sides, reported in the institution's scope, recorded in the regulator's tenant.
	if a := auditActions(t, k, inst, f.ID); !slices.Contains(a, "filing.submit") || !slices.Contains(a, "filing.decide") {
		t.Fatalf("institution audit: %v", a)
	}
	if a := auditActions(t, k, beijing, f.ID); !slices.Equal(a, []string{"oversight.filing_decide"}) {
		t.Fatalf("regulator audit: %v", a)
	}
	if kinds := reportKinds(t, k, inst, f.ID); !slices.Equal(kinds, []string{string(reports.FilingSubmitted), string(reports.FilingDecided)}) {
		t.Fatalf("reports: %v", kinds)
	}
	var n int64
	err := tenants.ReadTx(beijing.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		n, err = tx.NewSelect().Table("filing_decisions").Where("tenant_id = ? AND filing_id = ? AND decision = 'approve'", beijing.Tenant.ID, f.ID).Count(ctx)
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("regulator's decision records: %d, %v", n, err)
	}

	// Rejection.
	r := submit(t, k, inst, scope(electrician, 5))
	got = filingJSON{}
	k.Do(t, "POST", "/api/v1/oversight/filings/"+r.ID.String()+"/decision", beijing.Admin, map[string]any{"decision": "reject", "note": "材料不全"}).
		Want(t, http.StatusOK).Decode(t, &got)
	if got.Status != "rejected" || got.DecisionNote != "材料不全" || got.ValidUntil != "" {
		t.Fatalf("rejected filing = %+v", got)
	}

	// A district regulator sees only its own district.
	district := k.Tenant(t, tenants.KindRegulator, "110108")
	k.Do(t, "GET", path, district.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
}

func TestValidUntilIsThreeYearsOn(t *testing.T) {
	cases := []struct{ from, until string }{
		{"2026-11-01", "2029-11-01"},
		{"2027-01-01", "2030-01-01"},
		{"2028-02-29", "2031-03-01"}, // no 29 February in 2031: the day after 28 February
		{"2026-12-31", "2029-12-31"},
	}
	for _, c := range cases {
		from, _ := time.Parse(time.DateOnly, c.from)
		if got := filings.ValidUntil(from).Format(time.DateOnly); got != c.until {
			t.Errorf("ValidUntil(%s) = %s, want %s", c.from, got, c.until)
		}
	}
}

func checkScope(t *testing.T, k *testkit.Kit, org *testkit.Org, code string, level int, asOf time.Time) (filings.ApprovedScope, error) {
	t.Helper()
	var as filings.ApprovedScope
	err := tenants.ReadTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		as, err = k.Server.Lifecycle.Filings.CheckScope(ctx, tx, code, level, asOf)
		return err
	})
	return as, err
}

func TestCheckScope(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	suspended := k.Tenant(t, tenants.KindEnterprise, "110105")
	moved := k.Tenant(t, tenants.KindEnterprise, "110105")
	empty := k.Tenant(t, tenants.KindEnterprise, "110105")
	partial, _ := occupations(t)
	const welder = "6-18-02-04"

	from := today().AddDate(0, 0, -10)
	approved := submit(t, k, org, scope(electrician, 4, 3))
	approve(t, k, reg, approved.ID, from)
	submit(t, k, org, scope(welder, 4))
	rejected := submit(t, k, org, scope(partial.Code, 5))
	k.Do(t, "POST", "/api/v1/oversight/filings/"+rejected.ID.String()+"/decision", reg.Admin, map[string]any{"decision": "reject", "note": "no"}).Want(t, http.StatusOK)
	future := submit(t, k, org, scope("6-18-01-01", 5)) // 车工
	approve(t, k, reg, future.ID, today().AddDate(0, 1, 0))
	for _, o := range []*testkit.Org{suspended, moved} {
		f := submit(t, k, o, scope(electrician, 4))
		approve(t, k, reg, f.ID, from)
	}
	// A regulator's suspension, and an institution that moved to another district since approval.
	err := tenants.WithTx(reg.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		return k.Server.Directory.SetStatus(ctx, tx, suspended.Tenant.ID, tenants.StatusSuspended, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.DB.NewRaw("UPDATE tenants SET region_code = '110108' WHERE id = ?", moved.Tenant.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	until := filings.ValidUntil(from)
	cases := []struct {
		name   string
		org    *testkit.Org
		code   string
		level  int
		asOf   time.Time
		reason string
	}{
		{"approved and valid", org, electrician, 4, now, ""},
		{"other approved level", org, electrician, 3, now, ""},
		{"first day", org, electrician, 3, from, ""},
		{"last day", org, electrician, 3, until.Add(-9 * time.Hour), ""},                                // 23:00 in China the day before valid_until
		{"valid_until in China", org, electrician, 3, until.Add(-8 * time.Hour), filings.ReasonExpired}, // 00:00 in China
		{"level not filed", org, electrician, 2, now, filings.ReasonLevelNotFiled},
		{"other occupation", org, "6-18-01-02", 4, now, filings.ReasonNoFiling},
		{"no filing at all", empty, electrician, 4, now, filings.ReasonNoFiling},
		{"submitted only", org, welder, 4, now, filings.ReasonNotApproved},
		{"rejected", org, partial.Code, 5, now, filings.ReasonRejected},
		{"expired by date", org, electrician, 4, until, filings.ReasonExpired},
		{"before valid_from", org, electrician, 4, from.AddDate(0, 0, -1), filings.ReasonNotYetValid},
		{"approved for later", org, "6-18-01-01", 5, now, filings.ReasonNotYetValid},
		{"suspended", suspended, electrician, 4, now, filings.ReasonSuspended},
		{"region changed", moved, electrician, 4, now, filings.ReasonRegionMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as, err := checkScope(t, k, c.org, c.code, c.level, c.asOf)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("CheckScope: %v", err)
				}
				want := filings.ApprovedScope{FilingID: approved.ID, EvaluatorCode: "0000", ProvinceCode: "11", SiteSerial: "000123",
					ValidFrom: from, ValidUntil: until}
				if diff := cmp.Diff(want, as); diff != "" {
					t.Fatalf("scope (-want +got):\n%s", diff)
				}
				return
			}
			if got := filings.Reason(err); got != c.reason {
				t.Fatalf("reason %q (err %v), want %q", got, err, c.reason)
			}
		})
	}

	t.Run("expired by the job", func(t *testing.T) {
		if _, err := k.Server.Lifecycle.Filings.RunExpiry(context.Background(), until); err != nil {
			t.Fatal(err)
		}
		var f filingJSON
		k.Do(t, "GET", "/api/v1/filings/"+approved.ID.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &f)
		if f.Status != "expired" {
			t.Fatalf("status %s after the job, want expired", f.Status)
		}
		if _, err := checkScope(t, k, org, electrician, 4, now); filings.Reason(err) != filings.ReasonExpired {
			t.Fatalf("after expiry: %v", err)
		}
	})
}

func TestRenewalWindow(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindSocialOrg, "110105")

	// Ends in two months: inside the last three.
	ending := submit(t, k, org, scope(electrician, 4, 3))
	approve(t, k, reg, ending.ID, today().AddDate(-3, 2, 0))
	// Ends in three years.
	fresh := submit(t, k, org, scope(electrician, 5))
	approve(t, k, reg, fresh.ID, today())
	pending := submit(t, k, org, scope(electrician, 2))

	var renewal filingJSON
	k.Do(t, "POST", "/api/v1/filings/"+ending.ID.String()+"/renew", org.Admin, nil).Want(t, http.StatusCreated).Decode(t, &renewal)
	if renewal.Status != "submitted" || renewal.RenewalOf == nil || *renewal.RenewalOf != ending.ID || renewal.ID == ending.ID ||
		!slices.Equal(renewal.Scope[0].Levels, []int{4, 3}) {
		t.Fatalf("renewal = %+v", renewal)
	}
	k.Do(t, "POST", "/api/v1/filings/"+ending.ID.String()+"/renew", org.Admin, nil).WantProblem(t, http.StatusConflict, "duplicate")
	k.Do(t, "POST", "/api/v1/filings/"+fresh.ID.String()+"/renew", org.Admin, nil).WantProblem(t, http.StatusUnprocessableEntity, "renewal_window")
	k.Do(t, "POST", "/api/v1/filings/"+pending.ID.String()+"/renew", org.Admin, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	other := k.Tenant(t, tenants.KindSocialOrg, "110105")
	k.Do(t, "POST", "/api/v1/filings/"+fresh.ID.String()+"/renew", other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")

	// A renewal may change the scope. The window's first day: renewal opens three months before
	// valid_until (month ends make the exact day arithmetic, so the expectation is computed).
	edge := submit(t, k, org, scope(electrician, 1))
	edgeFrom := today().AddDate(-3, 3, 0)
	approve(t, k, reg, edge.ID, edgeFrom)
	res := k.Do(t, "POST", "/api/v1/filings/"+edge.ID.String()+"/renew", org.Admin, map[string]any{"scope": []any{scope(electrician, 1, 2)}})
	if opens := filings.RenewalOpens(filings.ValidUntil(edgeFrom)); opens.After(today()) {
		res.WantProblem(t, http.StatusUnprocessableEntity, "renewal_window")
	} else {
		res.Want(t, http.StatusCreated).Decode(t, &renewal)
		if !slices.Equal(renewal.Scope[0].Levels, []int{2, 1}) {
			t.Fatalf("renewal with a new scope = %+v", renewal)
		}
		if kinds := reportKinds(t, k, org, renewal.ID); !slices.Equal(kinds, []string{string(reports.FilingSubmitted)}) {
			t.Fatalf("renewal reports: %v", kinds)
		}
	}
	// One day before the window opens.
	early := submit(t, k, org, scope(electrician, 3))
	approve(t, k, reg, early.ID, today().AddDate(-3, 3, 1))
	k.Do(t, "POST", "/api/v1/filings/"+early.ID.String()+"/renew", org.Admin, nil).WantProblem(t, http.StatusUnprocessableEntity, "renewal_window")
}

func TestExpiryJobAndNotices(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105", "staff")
	svc := k.Server.Lifecycle.Filings
	day := today()
	endsIn := func(days int) filingJSON {
		f := submit(t, k, org, scope(electrician, 4))
		return approve(t, k, reg, f.ID, day.AddDate(0, 0, days).AddDate(-3, 0, 0))
	}
	soon, month, later := endsIn(5), endsIn(25), endsIn(120)

	type noticeJSON struct {
		FilingID   uuid.UUID `json:"filing_id"`
		Kind       string    `json:"kind"`
		DaysBefore int       `json:"days_before"`
	}
	notices := func(t *testing.T) map[uuid.UUID][]string {
		t.Helper()
		var p struct{ Items []noticeJSON }
		k.Do(t, "GET", "/api/v1/filings/notices?limit=500", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
		out := map[uuid.UUID][]string{}
		for _, n := range p.Items {
			out[n.FilingID] = append(out[n.FilingID], n.Kind+":"+time.Duration(n.DaysBefore).String())
		}
		for id := range out {
			slices.Sort(out[id])
		}
		return out
	}
	run := func(t *testing.T, asOf time.Time) {
		t.Helper()
		// Through the task handler, as the scheduler runs it for its period (00:00 UTC = 08:00 in China).
		if err := svc.ExpiryHandler()(context.Background(), jobTask(asOf)); err != nil {
			t.Fatal(err)
		}
	}
	w := func(d int) string { return "expiry_warning:" + time.Duration(d).String() }

	run(t, day)
	run(t, day) // idempotent
	want := map[uuid.UUID][]string{soon.ID: {w(7)}, month.ID: {w(30)}}
	if diff := cmp.Diff(want, notices(t)); diff != "" {
		t.Fatalf("notices today (-want +got):\n%s", diff)
	}

	run(t, day.AddDate(0, 0, 20))
	run(t, day.AddDate(0, 0, 20))
	want = map[uuid.UUID][]string{soon.ID: {"expired:0s", w(7)}, month.ID: {w(30), w(7)}}
	if diff := cmp.Diff(want, notices(t)); diff != "" {
		t.Fatalf("notices in 20 days (-want +got):\n%s", diff)
	}
	// Newest first only; pages follow one another without gaps.
	k.Do(t, "GET", "/api/v1/filings/notices?sort=created_at", org.Tokens["staff"], nil).WantProblem(t, http.StatusBadRequest, "invalid_sort")
	var all, paged []string
	var p struct {
		Items []struct{ ID string }
		Next  string `json:"next_cursor"`
	}
	k.Do(t, "GET", "/api/v1/filings/notices?sort=-created_at", org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
	for _, n := range p.Items {
		all = append(all, n.ID)
	}
	for cursor := ""; ; cursor = p.Next {
		p.Next = ""
		k.Do(t, "GET", "/api/v1/filings/notices?limit=1&cursor="+cursor, org.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &p)
		for _, n := range p.Items {
			paged = append(paged, n.ID)
		}
		if p.Next == "" {
			break
		}
	}
	if len(all) != 4 || !slices.Equal(all, paged) {
		t.Fatalf("notices %v, paged %v", all, paged)
	}
	status := func(id uuid.UUID) string {
		var f filingJSON
		k.Do(t, "GET", "/api/v1/filings/"+id.String(), org.Admin, nil).Want(t, http.StatusOK).Decode(t, &f)
		return f.Status
	}
	if s := status(soon.ID); s != "expired" {
		t.Fatalf("ended filing is %s", s)
	}
	if s, s2 := status(month.ID), status(later.ID); s != "approved" || s2 != "approved" {
		t.Fatalf("running filings are %s, %s", s, s2)
	}
	if a := auditActions(t, k, org, soon.ID); !slices.Contains(a, "filing.expire") || !slices.Contains(a, "filing.expiry_warning") {
		t.Fatalf("expiry audit: %v", a)
	}
	// An expired filing is not decided again, nor renewed.
	k.Do(t, "POST", "/api/v1/oversight/filings/"+soon.ID.String()+"/decision", reg.Admin, map[string]any{"decision": "reject", "note": "x"}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "POST", "/api/v1/filings/"+soon.ID.String()+"/renew", org.Admin, nil).WantProblem(t, http.StatusUnprocessableEntity, "renewal_window")
}

func TestAnnualReports(t *testing.T) {
	k := testkit.New(t)
	ent := k.Tenant(t, tenants.KindEnterprise, "110105", "staff", "supervisor")
	soc := k.Tenant(t, tenants.KindSocialOrg, "110105")
	year := today().Year()
	path := "/api/v1/filings/annual-reports/"

	k.Do(t, "PUT", path+itoa(year), soc.Admin, map[string]any{"plan": "p"}).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "PUT", path+itoa(year), ent.Tokens["staff"], map[string]any{"plan": "p"}).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "PUT", path+"1999", ent.Admin, map[string]any{"plan": "p"}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "PUT", path+itoa(year+2), ent.Admin, map[string]any{"plan": "p"}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	k.Do(t, "PUT", path+itoa(year), ent.Admin, map[string]any{}).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	k.Do(t, "PUT", path+itoa(year), ent.Admin, map[string]any{"plan": "计划开展电工四级认定 2 批", "summary": "上年度认定 120 人"}).Want(t, http.StatusOK)
	k.Do(t, "PUT", path+itoa(year), ent.Admin, map[string]any{"plan": "计划开展电工四级认定 3 批", "summary": "上年度认定 120 人"}).Want(t, http.StatusOK)
	k.Do(t, "PUT", path+itoa(year-1), ent.Admin, map[string]any{"plan": "旧计划"}).Want(t, http.StatusOK)

	var p struct {
		Items []struct {
			Year    int
			Plan    string
			Summary string
		}
	}
	k.Do(t, "GET", "/api/v1/filings/annual-reports", ent.Tokens["supervisor"], nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 2 || p.Items[0].Year != year || p.Items[0].Plan != "计划开展电工四级认定 3 批" || p.Items[1].Year != year-1 {
		t.Fatalf("annual reports = %+v", p.Items)
	}
	// Oldest first on request, one year a page.
	var page struct {
		Items []struct{ Year int }
		Next  string `json:"next_cursor"`
	}
	k.Do(t, "GET", "/api/v1/filings/annual-reports?sort=year&limit=1", ent.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Year != year-1 || page.Next == "" {
		t.Fatalf("first page oldest first = %+v", page)
	}
	k.Do(t, "GET", "/api/v1/filings/annual-reports?sort=year&limit=1&cursor="+page.Next, ent.Admin, nil).Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Year != year || page.Next != "" {
		t.Fatalf("second page oldest first = %+v", page)
	}
	k.Do(t, "GET", "/api/v1/filings/annual-reports", soc.Admin, nil).Want(t, http.StatusOK).Decode(t, &p)
	if len(p.Items) != 0 {
		t.Fatalf("another tenant sees %+v", p.Items)
	}
}
