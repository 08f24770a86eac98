package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// filingsParts holds the filings services (fields are promoted into Lifecycle).
type filingsParts struct{}

func (s *Server) wireFilings(ctx context.Context, api *httpx.Router) error {
	return nil
}

func (s *Server) jobsFilings(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
