package oversight_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestInspectionsAndFindings(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "460100", "inspector", "viewer")
	inst := k.Tenant(t, tenants.KindEnterprise, "460106")
	far := k.Tenant(t, tenants.KindEnterprise, "110105")
	insp := reg.Users["inspector"]
	body := map[string]any{"institution_id": inst.Tenant.ID, "kind": "annual", "title": "2026年度评估", "scheduled_on": "2026-12-01",
		"inspector_ids": []uuid.UUID{insp.ID}}
	k.Do(t, "POST", "/api/v1/oversight/inspections", reg.Tokens["viewer"], body).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/inspections", reg.Tokens["inspector"], map[string]any{"institution_id": far.Tenant.ID,
		"kind": "annual", "title": "x"}).WantProblem(t, http.StatusNotFound, "not_found")
	for name, bad := range map[string]map[string]any{
		"kind":      {"institution_id": inst.Tenant.ID, "kind": "surprise", "title": "x"},
		"inspector": {"institution_id": inst.Tenant.ID, "kind": "routine", "title": "x", "inspector_ids": []uuid.UUID{inst.Users["admin"].ID, uuid.New()}},
		"date":      {"institution_id": inst.Tenant.ID, "kind": "routine", "title": "x", "scheduled_on": "12/01/2026"},
	} {
		t.Run(name, func(t *testing.T) {
			k.Do(t, "POST", "/api/v1/oversight/inspections", reg.Admin, bad).WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
		})
	}
	var in supervision.Inspection
	k.Do(t, "POST", "/api/v1/oversight/inspections", reg.Tokens["inspector"], body).Want(t, http.StatusCreated).Decode(t, &in)
	if in.Status != "planned" || in.Kind != "annual" || len(in.InspectorIDs) != 1 || in.ScheduledOn == nil {
		t.Fatalf("inspection = %+v", in)
	}
	path := "/api/v1/oversight/inspections/" + in.ID.String()
	var f supervision.Finding
	k.Do(t, "POST", path+"/findings", reg.Tokens["inspector"], map[string]any{"severity": "major", "description": "考评员无证上岗",
		"requirement": "更换考评员", "deadline": "2027-01-15"}).Want(t, http.StatusCreated).Decode(t, &f)
	k.Do(t, "POST", path+"/findings", reg.Admin, map[string]any{"severity": "fatal", "description": "x"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	var fixed supervision.Finding
	k.Do(t, "PATCH", path+"/findings/"+f.ID.String(), reg.Admin, map[string]any{"resolved": true}).Want(t, http.StatusOK).Decode(t, &fixed)
	if fixed.ResolvedAt == nil || fixed.Description != f.Description {
		t.Fatalf("resolved finding = %+v", fixed)
	}
	k.Do(t, "DELETE", path, reg.Admin, nil).WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "PATCH", path, reg.Tokens["inspector"], map[string]any{"status": "closed", "conclusion": "基本合格"}).Want(t, http.StatusOK).Decode(t, &in)
	if in.Status != "closed" || in.ClosedAt == nil || in.Conclusion != "基本合格" || len(in.Findings) != 1 {
		t.Fatalf("closed inspection = %+v", in)
	}
	k.Do(t, "DELETE", path+"/findings/"+f.ID.String(), reg.Admin, nil).Want(t, http.StatusNoContent)
	k.Do(t, "GET", path, reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &in)
	if len(in.Findings) != 0 {
		t.Fatalf("deleted finding still listed: %+v", in.Findings)
	}
	// A planned inspection without findings can be deleted; another regulator's is 404.
	var planned supervision.Inspection
	k.Do(t, "POST", "/api/v1/oversight/inspections", reg.Admin, map[string]any{"institution_id": inst.Tenant.ID, "kind": "special",
		"title": "专项检查"}).Want(t, http.StatusCreated).Decode(t, &planned)
	other := k.Tenant(t, tenants.KindRegulator, "460000")
	k.Do(t, "GET", "/api/v1/oversight/inspections/"+planned.ID.String(), other.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "DELETE", "/api/v1/oversight/inspections/"+planned.ID.String(), reg.Admin, nil).Want(t, http.StatusNoContent)
	var list struct {
		Items []supervision.Inspection `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/inspections?institution_id="+inst.Tenant.ID.String(), reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != in.ID {
		t.Fatalf("inspections = %+v", list.Items)
	}
	if auditActions(t, k, reg.Admin)["oversight.inspection.update"] == 0 {
		t.Fatal("inspection changes are not audited")
	}
}

// TestDoubleRandomSampling: the draw follows the published algorithm from the recorded seed, so
// anyone can repeat it; the draw and its results are public.
func TestDoubleRandomSampling(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "460107", "inspector", "viewer")
	for i := 0; i < 3; i++ {
		k.User(t, reg, "inspector-"+testkit.Slug("i"), "inspector")
	}
	for i := 0; i < 5; i++ {
		k.Tenant(t, tenants.KindEnterprise, "460107")
	}
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Tokens["viewer"], map[string]any{"institutions": 1, "inspectors": 1}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Admin, map[string]any{"institutions": 6, "inspectors": 1}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	var s supervision.Sampling
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Tokens["inspector"], map[string]any{"institutions": 2, "inspectors": 3, "seed": "2026-11-23 公开摇号"}).
		Want(t, http.StatusCreated).Decode(t, &s)
	if len(s.InstitutionPopulation) != 5 || len(s.InspectorPopulation) != 4 || len(s.Institutions) != 2 || len(s.Inspectors) != 3 ||
		s.Algorithm != supervision.SamplingAlgorithm || len(s.Assignments) != 2 {
		t.Fatalf("draw = %+v", s)
	}
	// Re-draw from the published seed and populations, as an outsider would.
	strip := func(ms []supervision.SamplingMember) []supervision.SamplingMember {
		out := make([]supervision.SamplingMember, len(ms))
		for i, m := range ms {
			out[i] = supervision.SamplingMember{ID: m.ID, Name: m.Name}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	_, inst := supervision.Draw(s.Seed, "institution", strip(s.InstitutionPopulation), 2)
	_, insp := supervision.Draw(s.Seed, "inspector", strip(s.InspectorPopulation), 3)
	for i := range inst {
		if inst[i].ID != s.Institutions[i].ID || inst[i].Key != s.Institutions[i].Key {
			t.Fatalf("re-drawn institutions %+v, published %+v", inst, s.Institutions)
		}
	}
	for i := range insp {
		if insp[i].ID != s.Inspectors[i].ID {
			t.Fatalf("re-drawn inspectors %+v, published %+v", insp, s.Inspectors)
		}
	}
	// Institution 0 gets inspectors 0 and 2 (k mod M, and j mod N = k); institution 1 gets inspector 1.
	if a := s.Assignments; len(a[0].InspectorIDs) != 2 || a[0].InspectorIDs[0] != s.Inspectors[0].ID || a[0].InspectorIDs[1] != s.Inspectors[2].ID ||
		len(a[1].InspectorIDs) != 1 || a[1].InspectorIDs[0] != s.Inspectors[1].ID {
		t.Fatalf("assignments %+v", s.Assignments)
	}
	// The same seed draws the same again; the draw planned one inspection per institution.
	var again supervision.Sampling
	k.Do(t, "POST", "/api/v1/oversight/sampling", reg.Admin, map[string]any{"institutions": 2, "inspectors": 3, "seed": s.Seed}).
		Want(t, http.StatusCreated).Decode(t, &again)
	if again.Institutions[0].ID != s.Institutions[0].ID || again.Institutions[1].ID != s.Institutions[1].ID {
		t.Fatal("the same seed drew differently")
	}
	k.Do(t, "PATCH", "/api/v1/oversight/inspections/"+s.Assignments[0].InspectionID.String(), reg.Admin,
		map[string]any{"status": "closed", "conclusion": "合格"}).Want(t, http.StatusOK)

	var pub supervision.Sampling
	k.Do(t, "GET", "/api/v1/public/sampling/"+s.ID.String(), "", nil).Want(t, http.StatusOK).Decode(t, &pub)
	if pub.Seed != s.Seed || pub.RegulatorName != reg.Tenant.Name || pub.Assignments[0].Status != "closed" ||
		pub.Assignments[0].Conclusion != "合格" || pub.Assignments[1].Status != "planned" {
		t.Fatalf("published draw = %+v", pub)
	}
	k.Do(t, "GET", "/api/v1/public/sampling/"+uuid.NewString(), "", nil).WantProblem(t, http.StatusNotFound, "not_found")
}

func TestComplaintsAndScores(t *testing.T) {
	k := testkit.New(t)
	province := k.Tenant(t, tenants.KindRegulator, "460000")
	district := k.Tenant(t, tenants.KindRegulator, "460108", "inspector", "viewer")
	elsewhere := k.Tenant(t, tenants.KindRegulator, "460105")
	inst := k.Tenant(t, tenants.KindSocialOrg, "460108")

	var rec supervision.ComplaintReceipt
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": inst.Tenant.Slug,
		"content": "考试现场有人代考，监考人员未制止。", "contact": "138****0000"}).Want(t, http.StatusCreated).Decode(t, &rec)
	if rec.Regulators < 2 {
		t.Fatalf("receipt %+v: routed to fewer than the province and the district", rec)
	}
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": "no-such-place", "content": "一二三四五六七八九十"}).
		WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": district.Tenant.Slug, "content": "一二三四五六七八九十"}).
		WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/public/complaints", "", map[string]any{"institution_slug": inst.Tenant.Slug, "content": "短"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	q := "/api/v1/oversight/complaints?institution_id=" + inst.Tenant.ID.String()
	var list struct {
		Items []supervision.Complaint `json:"items"`
	}
	for _, reg := range []*testkit.Org{province, district} {
		k.Do(t, "GET", q, reg.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].Ref != rec.Ref || list.Items[0].Contact != "138****0000" {
			t.Fatalf("%s complaints = %+v", reg.Tenant.RegionCode, list.Items)
		}
	}
	k.Do(t, "GET", q, elsewhere.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 0 {
		t.Fatal("a regulator of another district received the complaint")
	}
	k.Do(t, "GET", q, district.Admin, nil).Want(t, http.StatusOK).Decode(t, &list)
	id := list.Items[0].ID
	k.Do(t, "PATCH", "/api/v1/oversight/complaints/"+id.String(), district.Tokens["viewer"], map[string]any{"status": "closed"}).
		WantProblem(t, http.StatusForbidden, "forbidden")
	var c supervision.Complaint
	k.Do(t, "PATCH", "/api/v1/oversight/complaints/"+id.String(), district.Tokens["inspector"], map[string]any{"status": "investigating", "note": "已立案"}).
		Want(t, http.StatusOK).Decode(t, &c)
	if c.Status != "investigating" || c.Note != "已立案" {
		t.Fatalf("complaint = %+v", c)
	}

	// The score explains itself: one complaint and two late results.
	for i := 0; i < 2; i++ {
		emit(t, k, inst, reports.ResultsPublished, "b", map[string]any{"batch_id": uuid.NewString(), "occupation_code": electrician,
			"level": 4, "admitted": 5, "passed": 4, "results_late": true})
	}
	dispatch(t, k.Server.Oversight.Oversight)
	var sc supervision.Score
	k.Do(t, "GET", "/api/v1/oversight/institutions/"+inst.Tenant.ID.String()+"/score", district.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &sc)
	signals := map[string]supervision.Signal{}
	for _, s := range sc.Signals {
		signals[s.Name] = s
	}
	if sc.Score != 87 || sc.Stars != 4 || signals["complaints"].Penalty != 3 || signals["late_results"].Count != 2 ||
		signals["late_results"].Penalty != 10 || len(sc.Signals) != 5 || !strings.Contains(sc.Explanation, "late_results") {
		t.Fatalf("score = %+v", sc)
	}
	var scores struct {
		Items []supervision.Score `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/oversight/scores", district.Admin, nil).Want(t, http.StatusOK).Decode(t, &scores)
	if len(scores.Items) == 0 || scores.Items[0].InstitutionID != inst.Tenant.ID {
		t.Fatalf("scores, worst first = %+v", scores.Items)
	}
}
