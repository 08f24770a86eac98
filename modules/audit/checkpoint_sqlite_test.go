package audit_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// TestAnchoringOnSQLite runs anchoring on the embedded dev database: the outbox trigger marks the
// reporting institution, the checkpoint reaches the regulator's store, and verify is anchored to it.
func TestAnchoringOnSQLite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	mk := func(kind tenants.Kind, region string) tenants.Tenant {
		tn := tenants.Tenant{ID: uuid.New(), Slug: "t-" + uuid.NewString()[:8], Kind: kind, RegionCode: region}
		if _, err := db.ExecContext(ctx, "INSERT INTO tenants (id, slug, name, kind, region_code, status) VALUES (?, ?, 'T', ?, ?, 'active')",
			tn.ID, tn.Slug, string(kind), region); err != nil {
			t.Fatal(err)
		}
		return tn
	}
	reg, inst := mk(tenants.KindRegulator, "110000"), mk(tenants.KindSchool, "110105")
	ictx := tenants.WithActor(tenants.WithScope(ctx, tenants.Scope{TenantID: inst.ID, Kind: inst.Kind, RegionCode: inst.RegionCode, Slug: inst.Slug}),
		tenants.Actor{Name: "system:test"})
	dir := directory.NewService(db, nil)
	svc := audit.NewService(db, audit.Deps{Directory: dir, MasterKey: func() ([]byte, error) { return bytes.Repeat([]byte{7}, 32), nil }})
	err := tenants.WithTx(ictx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := audit.Record(ctx, tx, audit.Event{Action: "batch.publish", TargetType: "batch", TargetID: "b1"}); err != nil {
			return err
		}
		_, err := reports.Emit(ctx, tx, reports.BatchPublished, "batch", "b1", map[string]any{"id": "b1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.CheckpointReported(ctx); err != nil || n != 1 {
		t.Fatalf("checkpoints after the report: %d, %v", n, err)
	}
	ov, err := oversight.New(db, oversight.Deps{Directory: dir}, oversight.Options{Secret: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ov.Inbox.Dispatch(ctx); err != nil || r.Events != 2 {
		t.Fatalf("dispatch = %+v, %v", r, err)
	}
	for name, check := range map[string]func() (audit.VerifyResult, error){
		"tenant":  func() (audit.VerifyResult, error) { return svc.Verify(ictx) },
		"command": func() (audit.VerifyResult, error) { return svc.VerifyTenant(ctx, inst.ID) },
	} {
		res, err := check()
		if err != nil || !res.OK || res.Anchor == nil || res.Anchor.Seq != 1 || res.Anchor.Source != "regulator:"+reg.Slug {
			t.Fatalf("%s verify: %+v anchor %+v, %v", name, res, res.Anchor, err)
		}
	}
}
