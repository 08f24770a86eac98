package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Oversight holds the services of regulator oversight: jurisdiction reads, reports delivery, statistics, supervision, decisions (issue: oversight).
type Oversight struct{}

// wireOversight builds those services and mounts their routes.
func (s *Server) wireOversight(ctx context.Context, api *httpx.Router) error {
	return nil
}

// jobsOversight registers those modules' task handlers and schedules.
func (s *Server) jobsOversight(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
