package oversight_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func auditActions(t *testing.T, k *testkit.Kit, token string) map[string]int {
	t.Helper()
	var page struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/audit?limit=500", token, nil).Want(t, http.StatusOK).Decode(t, &page)
	out := map[string]int{}
	for _, e := range page.Items {
		out[e.Action]++
	}
	return out
}

func TestSuspensionTakesEffectAndIsAnswered(t *testing.T) {
	k := testkit.New(t)
	is := newIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "410000", "inspector", "viewer")
	other := k.Tenant(t, tenants.KindRegulator, "420000")
	inst := k.Tenant(t, tenants.KindSocialOrg, "410102", "staff")
	approveFiling(t, k, inst, reg, 4, 3)
	var draft struct{ ID uuid.UUID }
	k.Do(t, "POST", "/api/v1/batches", inst.Admin, batchBody()).Want(t, http.StatusCreated).Decode(t, &draft)

	body := map[string]any{"institution_id": inst.Tenant.ID, "kind": "suspend", "reason": "考务管理混乱", "facts": "2026-11-10 抽查发现考场无督导"}
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Tokens["viewer"], body).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/decisions", other.Admin, body).WantProblem(t, http.StatusNotFound, "not_found")
	k.Do(t, "POST", "/api/v1/oversight/decisions", inst.Admin, body).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Admin, map[string]any{"institution_id": inst.Tenant.ID, "kind": "rectify", "reason": "x"}).
		WantProblem(t, http.StatusUnprocessableEntity, "validation_failed")

	var d decisions.Decision
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Tokens["inspector"], body).Want(t, http.StatusCreated).Decode(t, &d)
	if d.InstitutionStatus != "suspended" || d.Kind != decisions.KindSuspend || d.Facts == "" {
		t.Fatalf("decision = %+v", d)
	}
	if got, _ := k.Server.Directory.ByID(context.Background(), inst.Tenant.ID); got.Status != tenants.StatusSuspended {
		t.Fatalf("institution status %s after suspension", got.Status)
	}
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Admin, body).WantProblem(t, http.StatusConflict, "invalid_state")

	// Suspended: no new batch, no publication, no certificate.
	k.Do(t, "POST", "/api/v1/batches", inst.Admin, batchBody()).WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")
	k.Do(t, "POST", "/api/v1/batches/"+draft.ID.String()+"/publish", inst.Admin, nil).WantProblem(t, http.StatusUnprocessableEntity, "out_of_scope")
	list, err := is.tryIssue(t, inst, 4, holder{"王芳", residentID(t)})
	if platform.CodeOf(err) != "out_of_scope" || len(list) != 1 || list[0].Status != "pending" || list[0].Number != "" {
		t.Fatalf("a suspended institution issued %+v (%v)", list, err)
	}

	// The institution sees the decision with its facts and reasons, states its case once, and asks
	// for review; staff may read but not answer.
	var mine struct {
		Items []decisions.Decision `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/decisions", inst.Tokens["staff"], nil).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != d.ID || mine.Items[0].Reason != "考务管理混乱" || mine.Items[0].Facts == "" ||
		mine.Items[0].RegulatorName != reg.Tenant.Name {
		t.Fatalf("institution's decisions = %+v", mine.Items)
	}
	path := "/api/v1/decisions/" + d.ID.String()
	k.Do(t, "POST", path+"/statement", inst.Tokens["staff"], map[string]any{"statement": "x"}).WantProblem(t, http.StatusForbidden, "forbidden")
	k.Do(t, "POST", path+"/statement", inst.Admin, map[string]any{"statement": "当日督导员因病缺席，已补派"}).Want(t, http.StatusOK)
	k.Do(t, "POST", path+"/statement", inst.Admin, map[string]any{"statement": "again"}).WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "POST", path+"/review-request", inst.Admin, map[string]any{"reason": "请求复核"}).Want(t, http.StatusOK)
	k.Do(t, "GET", "/api/v1/decisions/"+uuid.NewString(), inst.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")
	// Another institution does not see it.
	stranger := k.Tenant(t, tenants.KindEnterprise, "410102")
	k.Do(t, "GET", path, stranger.Admin, nil).WantProblem(t, http.StatusNotFound, "not_found")

	var seen decisions.Decision
	k.Do(t, "GET", "/api/v1/oversight/decisions/"+d.ID.String(), reg.Tokens["viewer"], nil).Want(t, http.StatusOK).Decode(t, &seen)
	if seen.Statement == "" || seen.ReviewRequestedAt == nil || seen.ReviewReason != "请求复核" {
		t.Fatalf("regulator's view lacks the institution's answer: %+v", seen)
	}
	var reviewed decisions.Decision
	k.Do(t, "POST", "/api/v1/oversight/decisions/"+d.ID.String()+"/review", reg.Admin, map[string]any{"outcome": "withdrawn", "note": "陈述属实"}).
		Want(t, http.StatusOK).Decode(t, &reviewed)
	if got, _ := k.Server.Directory.ByID(context.Background(), inst.Tenant.ID); got.Status != tenants.StatusActive || reviewed.ReviewOutcome != "withdrawn" {
		t.Fatalf("after withdrawal: institution %s, decision %+v", got.Status, reviewed)
	}
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Admin, map[string]any{"institution_id": inst.Tenant.ID, "kind": "reinstate", "reason": "x"}).
		WantProblem(t, http.StatusConflict, "invalid_state")
	k.Do(t, "GET", path, inst.Admin, nil).Want(t, http.StatusOK).Decode(t, &seen)
	if seen.ReviewOutcome != "withdrawn" || seen.ReviewNote != "陈述属实" {
		t.Fatalf("institution not told the review outcome: %+v", seen)
	}

	// Audited on both sides, and reported.
	regAudit, instAudit := auditActions(t, k, reg.Admin), auditActions(t, k, inst.Admin)
	for _, a := range []string{"oversight.decision.create", "oversight.decision.review"} {
		if regAudit[a] == 0 {
			t.Errorf("regulator's audit lacks %s: %v", a, regAudit)
		}
	}
	for _, a := range []string{"decision.receive", "tenant.status", "decision.statement", "decision.review_request", "decision.reviewed"} {
		if instAudit[a] == 0 {
			t.Errorf("institution's audit lacks %s: %v", a, instAudit)
		}
	}
	dispatch(t, k.Server.Oversight.Oversight)
	got := reportsOf(t, k, reg.Admin, "kind="+string(reports.DecisionMade)+"&institution_id="+inst.Tenant.ID.String())
	if len(got) != 2 {
		t.Fatalf("%d decision reports, want 2 (decided, reviewed)", len(got))
	}
}

func TestInvalidatedCertificateIsRevokedPublicly(t *testing.T) {
	k := testkit.New(t)
	is := newIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "410100", "inspector")
	inst := k.Tenant(t, tenants.KindEnterprise, "410105")
	approveFiling(t, k, inst, reg, 4)
	certs := is.issue(t, inst, 4, holder{"李明", residentID(t)})
	if len(certs) != 1 || certs[0].Number == "" {
		t.Fatalf("issued %+v", certs)
	}
	number := certs[0].Number
	k.Do(t, "GET", "/api/v1/public/certificates/"+number, "", nil).Want(t, http.StatusOK)
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Tokens["inspector"], map[string]any{"institution_id": inst.Tenant.ID,
		"kind": "invalidate_certificate", "certificate_number": "Y000041000000000000000", "reason": "x"}).WantProblem(t, http.StatusNotFound, "not_found")
	var d decisions.Decision
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Tokens["inspector"], map[string]any{"institution_id": inst.Tenant.ID,
		"kind": "invalidate_certificate", "certificate_number": number, "reason": "以欺骗手段取得证书"}).Want(t, http.StatusCreated).Decode(t, &d)
	var pub struct {
		Status string `json:"status"`
	}
	k.Do(t, "GET", "/api/v1/public/certificates/"+number, "", nil).Want(t, http.StatusOK).Decode(t, &pub)
	if pub.Status != "revoked" {
		t.Fatalf("public status %q after invalidation", pub.Status)
	}
	// The rectification order carries its deadline to the institution.
	deadline := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	k.Do(t, "POST", "/api/v1/oversight/decisions", reg.Admin, map[string]any{"institution_id": inst.Tenant.ID, "kind": "rectify",
		"reason": "档案不全", "deadline": deadline}).Want(t, http.StatusCreated)
	var mine struct {
		Items []decisions.Decision `json:"items"`
	}
	k.Do(t, "GET", "/api/v1/decisions", inst.Admin, nil).Want(t, http.StatusOK).Decode(t, &mine)
	if len(mine.Items) != 2 || mine.Items[0].Deadline == nil || mine.Items[0].Deadline.Format(time.DateOnly) != deadline ||
		mine.Items[1].CertificateNumber != number {
		t.Fatalf("institution's decisions = %+v", mine.Items)
	}
}
