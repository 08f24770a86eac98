package oversight_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/reconcile"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

func TestReconciliationFlagsChangesAfterReporting(t *testing.T) {
	k := testkit.New(t)
	is := newIssuer(t, k)
	reg := k.Tenant(t, tenants.KindRegulator, "450000", "viewer")
	inst := k.Tenant(t, tenants.KindEnterprise, "450103")
	approveFiling(t, k, inst, reg, 4)
	certs := is.issue(t, inst, 4, holder{"赵伟", residentID(t)}, holder{"钱芳", residentID(t)}, holder{"孙强", residentID(t)})
	svc := k.Server.Oversight.Oversight
	ctx := reg.Ctx(context.Background())
	dispatch(t, svc)
	res, err := svc.Reconcile.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Differences != 0 || res.Days == 0 {
		t.Fatalf("holdings as reported, yet %+v", res)
	}

	// A certificate changed behind the reports' back (no report written).
	changed := certs[1].Number
	if _, err := k.DB.ExecContext(context.Background(),
		"UPDATE certificates SET status = 'revoked', revoked_at = now(), revoke_reason = 'silently' WHERE number = ?", changed); err != nil {
		t.Fatal(err)
	}
	// And one issued whose report never left the institution.
	extra := is.issue(t, inst, 4, holder{"李娜", residentID(t)})[0].Number
	if _, err := k.DB.ExecContext(context.Background(), "DELETE FROM report_outbox WHERE tenant_id = ? AND dispatched_at IS NULL", inst.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	if res, err = svc.Reconcile.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if res.Differences != 1 {
		t.Fatalf("reconciliation = %+v, want one differing day", res)
	}
	var page struct {
		Items   []reconcile.Diff  `json:"items"`
		LastRun *reconcile.Result `json:"last_run"`
	}
	k.Do(t, "GET", "/api/v1/oversight/reconciliation?open=true&institution_id="+inst.Tenant.ID.String(), reg.Tokens["viewer"], nil).
		Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || page.LastRun == nil || page.LastRun.ID != res.ID {
		t.Fatalf("reconciliation listing = %+v", page)
	}
	d := page.Items[0]
	if d.HeldCount != 4 || d.ReportedCount != 3 || d.HeldHash == d.ReportedHash ||
		len(d.Details.StatusMismatch) != 1 || d.Details.StatusMismatch[0].Number != changed ||
		d.Details.StatusMismatch[0].Held != "revoked" || d.Details.StatusMismatch[0].Reported != "issued" ||
		len(d.Details.NotReported) != 1 || d.Details.NotReported[0] != extra || len(d.Details.NotHeld) != 0 {
		t.Fatalf("difference = %+v", d)
	}

	// Once reported, the day agrees again and its flag is resolved.
	err = tenants.WithTx(inst.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := reports.Emit(ctx, tx, reports.CertificateRevoked, "certificate", certs[1].ID.String(), map[string]any{"number": changed}); err != nil {
			return err
		}
		_, err := reports.Emit(ctx, tx, reports.CertificateIssued, "certificate", "x", map[string]any{"number": extra,
			"occupation_code": electrician, "level": 4, "issued_on": d.Day})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err = svc.Reconcile.Run(ctx); err != nil || res.Differences != 0 {
		t.Fatalf("after reporting: %+v, %v", res, err)
	}
	k.Do(t, "GET", "/api/v1/oversight/reconciliation?open=true&institution_id="+inst.Tenant.ID.String(), reg.Admin, nil).
		Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("open differences after reporting: %+v", page.Items)
	}
	k.Do(t, "GET", "/api/v1/oversight/reconciliation?institution_id="+inst.Tenant.ID.String(), reg.Admin, nil).
		Want(t, http.StatusOK).Decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].ResolvedAt == nil {
		t.Fatalf("resolved difference = %+v", page.Items)
	}
}
