package oversight_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/oversight/stats"
	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// TestDevModeSQLite runs the module on the embedded dev database: reports dispatched, stored,
// chained and delivered; statistics; reconciliation; cross-checks; supervision records; decisions.
func TestDevModeSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	mk := func(kind tenants.Kind, region string) tenants.Tenant {
		tn := tenants.Tenant{ID: uuid.New(), Slug: "t-" + uuid.NewString()[:8], Name: "T " + region, Kind: kind, RegionCode: region, Status: tenants.StatusActive}
		if _, err := db.ExecContext(ctx, "INSERT INTO tenants (id, slug, name, kind, region_code, status) VALUES (?, ?, ?, ?, ?, 'active')",
			tn.ID, tn.Slug, tn.Name, string(kind), region); err != nil {
			t.Fatal(err)
		}
		return tn
	}
	reg, inst := mk(tenants.KindRegulator, "110000"), mk(tenants.KindSocialOrg, "110105")
	dir := directory.NewService(db, nil)
	secret, err := oversight.PlatformSecret(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := oversight.PlatformSecret(ctx, db, "")
	if string(again) != string(secret) {
		t.Fatal("the dev platform secret changed between calls")
	}
	svc, err := oversight.New(db, oversight.Deps{Directory: dir}, oversight.Options{AllowPrivate: true, Secret: secret,
		Backoff: oversight.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	scope := func(tn tenants.Tenant) context.Context {
		return tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: tn.ID, Kind: tn.Kind, RegionCode: tn.RegionCode, Slug: tn.Slug}),
			tenants.Actor{Name: "system:test"})
	}
	rctx, ictx := scope(reg), scope(inst)
	snk := &sink{secret: []byte(sinkSecret), fail: 1}
	srv := httptest.NewServer(snk)
	defer srv.Close()
	if _, err := svc.Delivery.SetEndpoint(rctx, delivery.EndpointInput{URL: srv.URL, Secret: sinkSecret}); err != nil {
		t.Fatal(err)
	}
	err = tenants.WithTx(ictx, db, func(ctx context.Context, tx bun.Tx) error {
		for _, e := range []struct {
			kind reports.Kind
			p    map[string]any
		}{
			{reports.BatchPublished, map[string]any{"id": "b1", "occupation_code": electrician, "level": 4, "exam_start": "2026-11-02T01:00:00Z"}},
			{reports.ResultsPublished, map[string]any{"batch_id": "b1", "admitted": 4, "passed": 3, "results_late": true}},
			{reports.CertificateIssued, map[string]any{"number": "S000011000001263000001", "occupation_code": electrician, "level": 4,
				"issued_on": "2026-11-20", "id_type": "resident_id", "id_number": "11010519491231002X"}},
		} {
			if _, err := reports.Emit(ctx, tx, e.kind, "test", "x", e.p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Inbox.Dispatch(ctx); err != nil || r.Events != 3 || r.Copies != 3 {
		t.Fatalf("dispatch = %+v, %v", r, err)
	}
	list, err := svc.Inbox.Reports(rctx, inbox.Filter{}, platform.PageRequest{Limit: 10})
	if err != nil || len(list.Items) != 3 {
		t.Fatalf("reports = %v, %v", list, err)
	}
	if c, err := svc.Inbox.Verify(rctx); err != nil || !c.OK || c.Entries != 3 {
		t.Fatalf("chain = %+v, %v", c, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(snk.accepted()) < 3 && time.Now().Before(deadline) {
		if _, err := svc.Delivery.Deliver(rctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(snk.accepted()) != 3 {
		t.Fatalf("delivered %d", len(snk.accepted()))
	}
	if n, err := svc.Delivery.Replay(rctx, time.Now().Add(-time.Hour)); err != nil || n != 3 {
		t.Fatalf("replay = %d, %v", n, err)
	}
	st, err := svc.Stats.Compute(rctx, stats.Filter{}, true)
	if err != nil || st.Total.Issued != 1 || len(st.Rows) != 1 || st.LateResults != 1 || len(st.PassRates) != 1 {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	if res, err := svc.Reconcile.Run(rctx); err != nil || res.Differences != 1 {
		t.Fatalf("reconcile (reported, not held) = %+v, %v", res, err)
	}
	if _, err := svc.CrossCheck.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Supervision.CreateInspection(rctx, supervision.InspectionInput{InstitutionID: inst.ID, Kind: "routine", Title: "日常检查"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Supervision.Complain(ctx, supervision.ComplaintInput{InstitutionSlug: inst.Slug, Content: "收费未公示，且多收考务费。"}); err != nil {
		t.Fatal(err)
	}
	deadlineDay := time.Now().AddDate(0, 0, 30)
	if _, err := svc.Decisions.Decide(rctx, decisions.Input{InstitutionID: inst.ID, Kind: decisions.KindRectify, Reason: "收费未公示",
		Deadline: &deadlineDay}); err != nil {
		t.Fatal(err)
	}
	if ds, err := svc.Decisions.ForInstitution(ictx, platform.PageRequest{Limit: 10}); err != nil || len(ds.Items) != 1 {
		t.Fatalf("institution's decisions = %v, %v", ds, err)
	}
	sc, err := svc.Supervision.Score(rctx, inst.ID)
	if err != nil || sc.Score >= 100 {
		t.Fatalf("score = %+v, %v", sc, err)
	}
}
