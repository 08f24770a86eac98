package reports_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// institution registers an enterprise tenant in region directly in the register (the outbox
// references it) and returns its scope.
func institution(tb testing.TB, db *bun.DB, region string) tenants.Scope {
	tb.Helper()
	id := uuid.New()
	slug := "r-" + id.String()[:8]
	if _, err := db.ExecContext(context.Background(),
		"INSERT INTO tenants (id, slug, name, kind, region_code) VALUES (?, ?, ?, 'enterprise', ?)", id, slug, "Test "+slug, region); err != nil {
		tb.Fatal(err)
	}
	return tenants.Scope{TenantID: id, Kind: tenants.KindEnterprise, RegionCode: region, Slug: slug}
}

// outbox reads the reports of the tenant in scope, in outbox order, as that tenant.
func outbox(tb testing.TB, db *bun.DB, scope tenants.Scope) []reports.Event {
	tb.Helper()
	var evs []reports.Event
	err := tenants.ReadTx(tenants.WithScope(context.Background(), scope), db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&evs).Where("tenant_id = ?", scope.TenantID).OrderExpr("seq").Scan(ctx)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

var errRollback = errors.New("the change failed")

func TestEmitCommitsWithTheChange(t *testing.T) {
	db := dbtest.DB(t)
	tests := []struct {
		name    string
		fail    error // returned by the transaction after Emit
		payload any
		want    int // reports kept
		wantErr bool
	}{
		{"committed", nil, map[string]any{"batch_id": "b1", "passed": 3}, 1, false},
		{"rolled back with its change", errRollback, map[string]any{"batch_id": "b1"}, 0, true},
		{"payload that does not encode", nil, map[string]any{"bad": make(chan int)}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scope := institution(t, db, "110105")
			ctx := tenants.WithScope(context.Background(), scope)
			var id uuid.UUID
			err := tenants.WithTx(ctx, db, func(ctx context.Context, tx bun.Tx) (err error) {
				id, err = reports.Emit(ctx, tx, reports.ResultsPublished, "batch", "b1", tc.payload)
				if err != nil {
					return err
				}
				return tc.fail
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			got := outbox(t, db, scope)
			if len(got) != tc.want {
				t.Fatalf("%d reports kept, want %d", len(got), tc.want)
			}
			if tc.want == 0 {
				return
			}
			ev := got[0]
			if ev.ID != id || ev.TenantID != scope.TenantID || ev.RegionCode != "110105" || ev.Kind != string(reports.ResultsPublished) ||
				ev.SubjectType != "batch" || ev.SubjectID != "b1" || ev.DispatchedAt != nil || ev.CreatedAt.IsZero() {
				t.Fatalf("stored %+v", ev)
			}
			var payload map[string]any
			if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload["batch_id"] != "b1" || payload["passed"] != 3.0 {
				t.Fatalf("payload %s (%v)", ev.Payload, err)
			}
		})
	}
}

func TestEmitNeedsATenant(t *testing.T) {
	db := dbtest.DB(t)
	_, err := reports.Emit(context.Background(), db, reports.BatchPublished, "batch", "b1", map[string]any{})
	if !errors.Is(err, tenants.ErrNoScope) {
		t.Fatalf("err = %v, want ErrNoScope", err)
	}
}

// TestOutboxOrder: the dispatcher reads each institution's reports by seq, which must be the order in
// which they were emitted — within one transaction and across transactions — and one institution
// never sees another's.
func TestOutboxOrder(t *testing.T) {
	db := dbtest.DB(t)
	a, b := institution(t, db, "110105"), institution(t, db, "310101")
	emit := func(scope tenants.Scope, kinds ...reports.Kind) {
		t.Helper()
		err := tenants.WithTx(tenants.WithScope(context.Background(), scope), db, func(ctx context.Context, tx bun.Tx) error {
			for _, k := range kinds {
				if _, err := reports.Emit(ctx, tx, k, "subject", string(k), map[string]any{"kind": k}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	emit(a, reports.FilingSubmitted, reports.FilingDecided)
	emit(b, reports.BatchPublished)
	emit(a, reports.BatchPublished, reports.ResultsPublished)
	emit(a, reports.CertificateIssued)

	tests := []struct {
		name  string
		scope tenants.Scope
		want  []reports.Kind
	}{
		{"first institution", a, []reports.Kind{reports.FilingSubmitted, reports.FilingDecided, reports.BatchPublished,
			reports.ResultsPublished, reports.CertificateIssued}},
		{"second institution", b, []reports.Kind{reports.BatchPublished}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := outbox(t, db, tc.scope)
			if len(got) != len(tc.want) {
				t.Fatalf("%d reports, want %d", len(got), len(tc.want))
			}
			for i, ev := range got {
				if ev.Kind != string(tc.want[i]) || ev.TenantID != tc.scope.TenantID || ev.RegionCode != tc.scope.RegionCode {
					t.Errorf("report %d: %s of %s in %s, want %s of %s", i, ev.Kind, ev.TenantID, ev.RegionCode, tc.want[i], tc.scope.TenantID)
				}
				if i > 0 && (ev.Seq <= got[i-1].Seq || ev.CreatedAt.Before(got[i-1].CreatedAt)) {
					t.Errorf("report %d (seq %d, %s) is not after report %d (seq %d, %s)", i, ev.Seq, ev.CreatedAt, i-1, got[i-1].Seq, got[i-1].CreatedAt)
				}
			}
		})
	}
	// Row-level security: in b's scope, a's reports do not exist even when asked for by tenant id.
	var n int64
	err := tenants.ReadTx(tenants.WithScope(context.Background(), b), db, func(ctx context.Context, tx bun.Tx) (err error) {
		n, err = tx.NewSelect().Model((*reports.Event)(nil)).Where("tenant_id = ?", a.TenantID).Count(ctx)
		return err
	})
	if err != nil || n != 0 {
		t.Fatalf("b sees %d of a's reports (%v)", n, err)
	}
}
