package oversight_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/skillcert/skillcert/modules/oversight/stats"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestStatistics(t *testing.T) {
	k := testkit.New(t)
	is := newIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "430000", "viewer")
	a := k.Tenant(t, tenants.KindSocialOrg, "430102")
	b := k.Tenant(t, tenants.KindEnterprise, "430102")
	approveFiling(t, k, a, reg, 4, 3)
	approveFiling(t, k, b, reg, 4, 3)
	ca := is.issue(t, a, 4, holder{"甲", residentID(t)}, holder{"乙", residentID(t)}, holder{"丙", residentID(t)})
	is.issue(t, b, 3, holder{"丁", residentID(t)})
	if _, err := is.svc.Revoke(a.Ctx(context.Background()), ca[0].ID, "错误颁发"); err != nil {
		t.Fatal(err)
	}
	// Results as the batches module reports them: one on time, one late.
	emit(t, k, a, reports.ResultsPublished, "b1", map[string]any{"batch_id": "b1", "occupation_code": electrician, "level": 4,
		"admitted": 10, "passed": 7, "results_late": false, "results_due_at": time.Now().Add(48 * time.Hour)})
	emit(t, k, b, reports.ResultsPublished, "b2", map[string]any{"batch_id": "b2", "occupation_code": electrician, "level": 3,
		"admitted": 10, "passed": 3, "results_late": true, "results_due_at": time.Now().Add(-72 * time.Hour)})
	dispatch(t, k.Server.Oversight.Oversight)

	var st stats.Stats
	k.Do(t, "GET", "/api/v1/oversight/stats", reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Total != (stats.CertCount{Issued: 4, Revoked: 1, Valid: 3}) {
		t.Fatalf("total = %+v", st.Total)
	}
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	if len(st.ByMonth) != 1 || st.ByMonth[0].Month != month || len(st.ByOccupation) != 1 || st.ByOccupation[0].OccupationCode != electrician {
		t.Fatalf("by month %+v, by occupation %+v", st.ByMonth, st.ByOccupation)
	}
	levels := map[int]stats.CertCount{}
	for _, l := range st.ByLevel {
		levels[l.Level] = l.CertCount
	}
	if levels[4] != (stats.CertCount{Issued: 3, Revoked: 1, Valid: 2}) || levels[3].Issued != 1 {
		t.Fatalf("by level = %+v", st.ByLevel)
	}
	insts := map[string]int64{}
	for _, in := range st.ByInstitution {
		insts[in.Name] = in.Issued
	}
	if insts[a.Tenant.Name] != 3 || insts[b.Tenant.Name] != 1 {
		t.Fatalf("by institution = %+v", st.ByInstitution)
	}
	if st.ResultsBatches != 2 || st.LateResults != 1 || len(st.Late) != 1 || st.Late[0].InstitutionID != b.Tenant.ID {
		t.Fatalf("results: %d batches, %d late %+v", st.ResultsBatches, st.LateResults, st.Late)
	}
	rates := map[int]float64{}
	for _, r := range st.PassRates {
		rates[r.Level] = r.Rate
	}
	if rates[4] != 0.7 || rates[3] != 0.3 {
		t.Fatalf("pass rates = %+v", st.PassRates)
	}

	// Filters.
	k.Do(t, "GET", "/api/v1/oversight/stats?level=3", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Total.Issued != 1 {
		t.Fatalf("level 3: %+v", st.Total)
	}
	next := time.Now().AddDate(0, 2, 0).Format("2006-01")
	k.Do(t, "GET", "/api/v1/oversight/stats?from="+next, reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Total.Issued != 0 {
		t.Fatalf("from a future month: %+v", st.Total)
	}
	empty := k.Tenant(t, tenants.KindRegulator, "630000")
	k.Do(t, "GET", "/api/v1/oversight/stats", empty.Admin, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Total.Issued != 0 || len(st.ByInstitution) != 0 {
		t.Fatalf("a jurisdiction without certificates: %+v", st)
	}
	k.Do(t, "GET", "/api/v1/oversight/stats?level=9", reg.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_parameter")
	k.Do(t, "GET", "/api/v1/oversight/stats?format=pdf", reg.Admin, nil).WantProblem(t, http.StatusBadRequest, "invalid_parameter")
	k.Do(t, "GET", "/api/v1/oversight/stats", a.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")

	// CSV: one row per institution, occupation, level and month.
	res := k.Do(t, "GET", "/api/v1/oversight/stats?format=csv", reg.Admin, nil).Want(t, http.StatusOK)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(res.Body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "institution_id" {
		t.Fatalf("csv = %q", rows)
	}
	for _, r := range rows[1:] {
		if r[0] == a.Tenant.ID.String() && (r[3] != "4" || r[4] != month || r[5] != "3" || r[6] != "1" || r[7] != "2") {
			t.Fatalf("csv row %q", r)
		}
	}
	res = k.Do(t, "GET", "/api/v1/oversight/stats?format=csv&table=late_results", reg.Admin, nil).Want(t, http.StatusOK)
	if !strings.Contains(string(res.Body), "b2") {
		t.Fatalf("late results csv: %s", res.Body)
	}

	// XLSX: a sheet per table.
	res = k.Do(t, "GET", "/api/v1/oversight/stats?format=xlsx", reg.Admin, nil).Want(t, http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "certificates,pass_rates,late_results" {
		t.Fatalf("sheets %v", got)
	}
	xrows, err := f.GetRows("pass_rates")
	if err != nil || len(xrows) != 3 {
		t.Fatalf("pass_rates sheet %v, %v", xrows, err)
	}
}
