package filings_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/modules/testkit"
	"github.com/skillcert/skillcert/tenants"
)

// TestExpiryTaskThroughTheQueue runs the registered expiry task on a real worker (asynq on the test
// Redis): enqueued as the scheduler does, platform-wide, it warns the institution.
func TestExpiryTaskThroughTheQueue(t *testing.T) {
	k := testkit.New(t)
	reg := k.Tenant(t, tenants.KindRegulator, "110000")
	org := k.Tenant(t, tenants.KindEnterprise, "110105")
	f := submit(t, k, org, scope(electrician, 4))
	approve(t, k, reg, f.ID, today().AddDate(-3, 0, 20)) // ends in 20 days: the 30-day warning

	conn, err := jobs.RedisFromURL(dbtest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jobs.NewServer(conn, jobs.Config{Concurrency: 1, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Server.Lifecycle.Filings.Register(js, nil); err != nil {
		t.Fatal(err)
	}
	if err := js.Start(); err != nil {
		t.Fatal(err)
	}
	defer js.Shutdown()
	client := jobs.NewClient(conn)
	defer client.Close()
	if err := client.Enqueue(context.Background(), filings.TaskExpiry, uuid.Nil, struct{}{}, jobs.Queue(jobs.QueueLow)); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		var days []int
		err := tenants.ReadTx(org.Ctx(context.Background()), k.DB, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewSelect().Table("filing_notices").Column("days_before").Where("tenant_id = ? AND filing_id = ?", org.Tenant.ID, f.ID).Scan(ctx, &days)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(days) == 1 && days[0] == 30 {
			return
		}
		if len(days) > 0 || time.Now().After(deadline) {
			t.Fatalf("notices after the task: %v", days)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
