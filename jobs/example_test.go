package jobs_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/tenants"
)

// renderRequest is a module's task payload.
type renderRequest struct {
	CertificateID uuid.UUID `json:"certificate_id"`
}

// Example shows the wiring of `skillcert worker`: one Server with every module's handlers and one
// Scheduler, both stopped when ctx ends; services get the Client as their Enqueuer.
func Example() {
	ctx, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	redis, err := jobs.RedisFromURL("redis://127.0.0.1:6379/0")
	if err != nil {
		slog.Error("config", "err", err)
		return
	}
	client := jobs.NewClient(redis)
	defer client.Close()

	srv, err := jobs.NewServer(redis, jobs.Config{Registerer: prometheus.NewRegistry()})
	if err != nil {
		slog.Error("jobs", "err", err)
		return
	}
	// A module's tasks.go registers its handlers; the ctx carries the task's tenant, so the
	// handler's service opens tenants.WithTx as it would for a request.
	srv.Handle("certificates:render", func(ctx context.Context, t jobs.Task) error {
		var req renderRequest
		if err := t.Decode(&req); err != nil {
			return err // Permanent: a payload that does not decode is never retried
		}
		scope, _ := tenants.FromContext(ctx)
		slog.InfoContext(ctx, "rendering", "tenant", scope.TenantID, "certificate", req.CertificateID)
		return nil
	})

	sched, err := jobs.NewScheduler(client, jobs.SchedulerConfig{Location: time.FixedZone("CST", 8*3600)})
	if err != nil {
		slog.Error("jobs", "err", err)
		return
	}
	// Platform-wide and daily at 02:00 Beijing time; the handler fans out per tenant.
	if err := sched.Schedule("0 2 * * *", "certificates:expire", nil, jobs.Queue(jobs.QueueLow)); err != nil {
		slog.Error("jobs", "err", err)
		return
	}

	// A service enqueues with a business key, so a retried request queues the work once.
	var enq jobs.Enqueuer = client
	certID := uuid.New()
	_ = enq.Enqueue(ctx, "certificates:render", uuid.New(), renderRequest{CertificateID: certID},
		jobs.TaskID("certificate/"+certID.String()+"/render"), jobs.Queue(jobs.QueueCritical))

	sched.Start()
	defer sched.Shutdown()
	_ = srv.Run(ctx)
}
