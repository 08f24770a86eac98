package platform_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/dbtest"
	"github.com/skillcert/skillcert/tenants"
)

// TestReadsOnStreamingReplica runs a real streaming replica (pg_basebackup -R of the tests' server on
// a free port) and checks the routing of lag-tolerant reads: to the replica while it keeps up, with
// row-level security as on the primary; to the primary for a request that wrote, while the replica
// lags past the bound (replay paused), and while it is down; back to the replica when it recovers.
func TestReadsOnStreamingReplica(t *testing.T) {
	primary, _ := dbtest.Fresh(t)
	ctx := context.Background()
	// A tenant table of the test's own, under the same kind of policy as the application's.
	for _, q := range []string{
		"CREATE TABLE replica_probe (tenant_id uuid NOT NULL, v text NOT NULL)",
		"ALTER TABLE replica_probe ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY tenant_isolation ON replica_probe USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)",
		"GRANT SELECT ON replica_probe TO " + tenants.AppRole,
	} {
		if _, err := primary.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	a, b := uuid.New(), uuid.New()
	if _, err := primary.ExecContext(ctx, "INSERT INTO replica_probe VALUES (?, 'a'), (?, 'b')", a, b); err != nil {
		t.Fatal(err)
	}

	rep := dbtest.StartStreamingReplica(t)
	var name string
	if err := primary.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reads := platform.OpenReads(ctx, primary, []string{rep.URL(name)}, time.Second, log)
	defer reads.Close()
	reads.Start()

	// onReplica reports whether db is the standby. A replica that just went down is still handed out
	// until the next check (at most one check period, here 0.5 s): its error counts as "the replica".
	onReplica := func(db *bun.DB) bool {
		t.Helper()
		var standby bool
		if err := db.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
			if db == primary {
				t.Fatal(err)
			}
			return true
		}
		return standby
	}
	waitRouting := func(what string, want bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for onReplica(reads.DB(ctx, primary)) != want {
			if time.Now().After(deadline) {
				t.Fatalf("reads never went to the %s; replicas: %+v", what, reads.Status())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitRouting("replica", true)

	// Row-level security holds on the replica, through the same scoped transaction as on the primary.
	sc := tenants.WithScope(ctx, tenants.Scope{TenantID: a, Kind: tenants.KindEnterprise})
	var seen []string
	err := tenants.ReadTx(sc, reads.DB(sc, primary), func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("replica_probe").Column("v").Scan(ctx, &seen)
	})
	if err != nil || len(seen) != 1 || seen[0] != "a" {
		t.Fatalf("tenant a on the replica sees %v (%v), want [a]", seen, err)
	}

	// A request that wrote reads from the primary.
	req := platform.TrackWrites(sc)
	if !onReplica(reads.DB(req, primary)) {
		t.Fatal("a request that has not written reads from the primary")
	}
	platform.NoteWrite(req)
	if reads.DB(req, primary) != primary {
		t.Fatal("a request that wrote reads from a replica")
	}
	if err := tenants.WithTx(platform.TrackWrites(sc), primary, func(context.Context, bun.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}

	// Lagging past the bound: replay paused while the primary writes on.
	rep.PauseReplay(t)
	stop := make(chan struct{})
	go func() { // keep the primary writing, as production would
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_, _ = primary.ExecContext(ctx, "INSERT INTO replica_probe VALUES (?, 'later')", a)
			}
		}
	}()
	waitRouting("primary while the replica lags", false)
	rep.ResumeReplay(t)
	waitRouting("replica once it caught up", true)
	close(stop)

	// Down: reads fall back to the primary, and return once it is back.
	rep.Stop(t)
	waitRouting("primary while the replica is down", false)
	rep.Start(t)
	waitRouting("replica once it is back", true)
}
