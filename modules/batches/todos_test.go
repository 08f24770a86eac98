package batches_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestTodos: the 工作台's counts of batches, for staff and for an evaluator who sees only the batches
// they are assigned to, with publicity counted as running or over by the service's clock.
func TestTodos(t *testing.T) {
	k := testkit.New(t)
	org := institution(t, k, tenants.KindEnterprise, 4)
	other := institution(t, k, tenants.KindEnterprise, 4)
	staff := org.Tokens["staff"]
	// Batch a goes through the real steps to closed, with the evaluator assigned; batch b is closed
	// without them; a draft and another tenant's closed batch count for nothing.
	a := createBatch(t, k, staff, nil)
	staffBatch(t, k, org, a.ID)
	step(t, k, staff, a.ID, "publish")
	step(t, k, staff, a.ID, "close")
	b := createBatch(t, k, staff, nil)
	createBatch(t, k, staff, nil)
	setStatus := func(o *testkit.Org, id uuid.UUID, status string, ends *time.Time) {
		t.Helper()
		err := tenants.WithTx(o.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.NewUpdate().Table("batches").Set("status = ?, publicity_ends_at = ?", status, ends).
				Where("tenant_id = ? AND id = ?", o.Tenant.ID, id).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setStatus(org, b.ID, "closed", nil)
	setStatus(other, createBatch(t, k, other.Tokens["staff"], nil).ID, "closed", nil)

	staffCtx := org.Ctx(context.Background())
	eva := org.Users["evaluator"]
	evaCtx := tenants.WithActor(staffCtx, tenants.Actor{UserID: eva.ID, Name: eva.Username, Roles: []string{"evaluator"}})
	now := time.Now().UTC()
	counts := func(ctx context.Context, at time.Time) [3]int {
		t.Helper()
		td, err := k.Server.Lifecycle.Batches.WithClock(func() time.Time { return at }).Todos(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return [3]int{td.Scoring, td.InPublicity, td.PublicityOver}
	}
	tests := []struct {
		name string
		ctx  context.Context
		at   time.Time
		want [3]int // scoring, in publicity, publicity over
	}{
		{"staff: both closed batches", staffCtx, now, [3]int{2, 0, 0}},
		{"evaluator: the assigned one", evaCtx, now, [3]int{1, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, counts(tc.ctx, tc.at)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Batch a's results are published with the period ending tomorrow: in publicity today, over after.
	ends := now.Add(24 * time.Hour)
	setStatus(org, a.ID, "publicity", &ends)
	for _, tc := range []struct {
		name string
		at   time.Time
		want [3]int
	}{
		{"publicity running", now, [3]int{1, 1, 0}},
		{"publicity over", now.Add(48 * time.Hour), [3]int{1, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, counts(staffCtx, tc.at)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
