package server

import (
	"context"
	"time"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/migrations"
	"github.com/skillcert/skillcert/modules/console"
)

// consoleRegulator gives the regulator's work pages the oversight and filings services.
func (s *Server) consoleRegulator() console.Regulator {
	o := s.Oversight.Oversight
	return console.Regulator{Filings: s.Lifecycle.Filings, Supervision: o.Supervision, Decisions: o.Decisions, Sync: o.Delivery,
		Reconcile: o.Reconcile, CrossCheck: o.CrossCheck, Reports: o.Inbox, Institutions: o.Institutions}
}

// consoleOperator gives the operator's console the register and the platform's health.
func (s *Server) consoleOperator() console.Operator {
	return console.Operator{Tenants: s.Directory, Health: s}
}

// PlatformHealth reads the platform's health for the operator: the job queues and their lag (asynq's
// inspector on the server's Redis), every regulator's sync delivery, whether certificates can be
// rendered (a CJK font), and the migrations applied and pending. A part that cannot be read says so
// and the others are still shown.
func (s *Server) PlatformHealth(ctx context.Context) console.HealthReport {
	r := console.HealthReport{CheckedAt: time.Now()}
	if s.deps.Redis != nil {
		insp := jobs.NewInspector(jobs.RedisOf(s.deps.Redis))
		stats, err := insp.Stats()
		_ = insp.Close()
		if err != nil {
			r.QueueError = err.Error()
		}
		for _, q := range stats {
			r.Queues = append(r.Queues, console.QueueHealth{Name: q.Queue, Pending: q.Pending, Active: q.Active, Scheduled: q.Scheduled,
				Retry: q.Retry, Archived: q.Archived, Completed: q.Completed, Latency: q.Latency})
		}
	}
	if ov, err := s.Oversight.Oversight.Delivery.Overview(ctx); err != nil {
		r.SyncError = err.Error()
	} else {
		for _, e := range ov {
			r.Sync = append(r.Sync, console.SyncHealth{Regulator: e.Regulator, Host: e.Host, Paused: e.Paused, Pending: e.Pending,
				DeadLetters: e.DeadLetters, Delivered: e.Delivered, Failures: e.Failures, LastError: e.LastError, LastSuccessAt: e.LastSuccessAt})
		}
	}
	if err := s.FontProblem(); err != nil {
		r.FontProblem = err.Error()
	}
	applied, pending, err := migrations.Status(ctx, s.deps.DB)
	if err != nil {
		r.MigrationError = err.Error()
	}
	r.Applied, r.Pending = applied, pending
	return r
}
