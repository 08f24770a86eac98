package certificates_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/tenants"
)

// TestBatchProgress: a batch's issuance counts move from pending to issued; certificates that fail
// are counted apart with their reasons; the API answers the same, and only within the tenant.
func TestBatchProgress(t *testing.T) {
	e := setup(t)
	org, _ := e.institution(t, tenants.KindEnterprise)
	svc, rec := e.service(t, quiet)
	ctx := org.Ctx(context.Background())

	b := finalize(t, e, svc, org, 3, 4)
	p, err := svc.BatchProgress(ctx, b.BatchID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 3 || p.Pending != 3 || p.Issued != 0 || p.Done() {
		t.Fatalf("before issuing: %+v", p)
	}
	run(t, svc, rec.take())
	list := certs(t, svc, org, b.BatchID)
	if _, err := svc.Revoke(ctx, list[0].ID, "测试"); err != nil {
		t.Fatal(err)
	}
	p, err = svc.BatchProgress(ctx, b.BatchID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 3 || p.Issued != 3 || p.Revoked != 1 || p.Pending != 0 || p.Failed != 0 || !p.Done() {
		t.Fatalf("after issuing: %+v", p)
	}

	// Level 2 is outside the filing: every certificate fails and says why.
	bad := finalize(t, e, svc, org, 2, 2)
	for _, task := range rec.take() {
		_ = svc.HandleIssueChunk(taskCtx(task.TenantID), jobs.Task{Type: task.Type, TenantID: task.TenantID, Payload: task.Payload, MaxRetry: 10})
	}
	var view certificates.ProgressView
	e.k.Do(t, "GET", "/api/v1/batches/"+bad.BatchID.String()+"/certificates/progress", org.Admin, nil).Want(t, http.StatusOK).Decode(t, &view)
	if view.Total != 2 || view.Failed != 2 || view.Pending != 0 || !view.Done || len(view.Failures) != 2 ||
		!strings.HasPrefix(view.Failures[0].Reason, "out_of_scope") || view.Failures[0].Attempts != 1 {
		t.Fatalf("failed batch: %+v", view)
	}

	// Another tenant sees nothing of the batch.
	other, _ := e.institution(t, tenants.KindEnterprise)
	e.k.Do(t, "GET", "/api/v1/batches/"+b.BatchID.String()+"/certificates/progress", other.Admin, nil).Want(t, http.StatusOK).Decode(t, &view)
	if view.Total != 0 || !view.Done {
		t.Fatalf("another tenant's batch: %+v", view)
	}
	e.k.Do(t, "GET", "/api/v1/batches/"+uuid.NewString()+"/certificates/progress", "", nil).Want(t, http.StatusUnauthorized)
}
