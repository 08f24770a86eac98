package oversight_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func reportsOf(t *testing.T, k *testkit.Kit, token string, query string) []inbox.Report {
	t.Helper()
	var page struct {
		Items []inbox.Report `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/reports?limit=500&"+query, token, nil).Want(t, http.StatusOK).Decode(t, &page)
	return page.Items
}

func TestReportsReachEveryCoveringRegulatorOnce(t *testing.T) {
	k := testkit.New(t)
	province := k.Tenant(t, tenants.KindRegulator, "360000", "viewer")
	city := k.Tenant(t, tenants.KindRegulator, "360100")
	district := k.Tenant(t, tenants.KindRegulator, "360102")
	neighbour := k.Tenant(t, tenants.KindRegulator, "360103")
	inst := k.Tenant(t, tenants.KindSocialOrg, "360102")
	payloads := []map[string]any{
		{"batch_id": "b-1", "title": "电工 四级", "exam_start": "2026-11-10T01:00:00Z"},
		{"batch_id": "b-1", "admitted": 10, "passed": 8},
		{"number": "S000036000001263000001", "occupation_code": "6-31-01-03", "level": 4, "id_type": "resident_id", "id_number": "11010519491231002X"},
	}
	kinds := []reports.Kind{reports.BatchPublished, reports.ResultsPublished, reports.CertificateIssued}
	var ids []uuid.UUID
	for i, p := range payloads {
		ids = append(ids, emit(t, k, inst, kinds[i], "s", p))
	}
	// Several dispatchers at once, and again afterwards: each report is stored once per regulator.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := k.Server.Oversight.Oversight.Inbox.Dispatch(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	dispatch(t, k.Server.Oversight.Oversight)

	q := "institution_id=" + inst.Tenant.ID.String()
	for _, reg := range []*testkit.Org{province, city, district} {
		got := reportsOf(t, k, reg.Admin, q)
		if len(got) != len(ids) {
			t.Fatalf("%s received %d reports, want %d", reg.Tenant.RegionCode, len(got), len(ids))
		}
		for i, r := range got {
			if r.ID != ids[i] || r.Kind != string(kinds[i]) || r.InstitutionRegion != "360102" {
				t.Fatalf("%s report %d = %+v", reg.Tenant.RegionCode, i, r)
			}
			var p map[string]any
			if err := json.Unmarshal(r.Payload, &p); err != nil || p["batch_id"] != payloads[i]["batch_id"] || p["number"] != payloads[i]["number"] {
				t.Fatalf("payload not kept as reported: %s", r.Payload)
			}
		}
		var check inbox.ChainCheck
		k.Do(t, "GET", "/api/v1/oversight/reports/verify", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &check)
		if !check.OK || check.Entries < int64(len(ids)) {
			t.Fatalf("chain of %s: %+v", reg.Tenant.RegionCode, check)
		}
	}
	if got := reportsOf(t, k, neighbour.Admin, q); len(got) != 0 {
		t.Fatalf("a neighbouring district received %d reports", len(got))
	}
	// Every regulator role reads its reports; institutions do not.
	if got := reportsOf(t, k, province.Tokens["viewer"], q); len(got) != 3 {
		t.Fatalf("viewer sees %d", len(got))
	}
	k.Do(t, "GET", "/api/v1/oversight/reports", inst.Admin, nil).WantProblem(t, http.StatusForbidden, "forbidden")
	future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
	if got := reportsOf(t, k, district.Admin, q+"&since="+future); len(got) != 0 {
		t.Fatalf("?since= in the future returned %d", len(got))
	}
	k.Do(t, "GET", "/api/v1/oversight/reports/"+ids[2].String(), district.Admin, nil).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/oversight/reports/"+ids[2].String(), neighbour.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
}

// TestReportStoreIsAppendOnlyAndTamperEvident: the database refuses to change a stored report, even
// for its owner; and a change made behind its back (trigger disabled) breaks the chain.
func TestReportStoreIsAppendOnlyAndTamperEvident(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "370102")
	inst := k.Tenant(t, tenants.KindEnterprise, "370102")
	for i := 0; i < 3; i++ {
		emit(t, k, inst, reports.BatchPublished, "b", map[string]any{"i": i})
	}
	dispatch(t, k.Server.Oversight.Oversight)
	ctx := context.Background()
	if _, err := k.DB.ExecContext(ctx, "UPDATE oversight_reports SET kind = 'x' WHERE tenant_id = ?", reg.Tenant.ID); err == nil {
		t.Fatal("a stored report was changed")
	}
	if _, err := k.DB.ExecContext(ctx, "DELETE FROM oversight_reports WHERE tenant_id = ?", reg.Tenant.ID); err == nil {
		t.Fatal("a stored report was deleted")
	}
	if _, err := k.DB.ExecContext(ctx, "ALTER TABLE oversight_reports DISABLE TRIGGER oversight_reports_append_only"); err != nil {
		t.Fatal(err)
	}
	_, err := k.DB.ExecContext(ctx, `UPDATE oversight_reports SET payload = '{"i": 99}' WHERE tenant_id = ? AND seq = 2`, reg.Tenant.ID)
	if _, rerr := k.DB.ExecContext(ctx, "ALTER TABLE oversight_reports ENABLE TRIGGER oversight_reports_append_only"); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	var check inbox.ChainCheck
	k.Do(t, "GET", "/api/v1/oversight/reports/verify", reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &check)
	if check.OK || check.FirstBadSeq == nil || *check.FirstBadSeq != 2 {
		t.Fatalf("tampered chain verified as %+v", check)
	}
}
