package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// candidatesParts holds the candidates services (fields are promoted into Lifecycle).
type candidatesParts struct{}

func (s *Server) wireCandidates(ctx context.Context, api *httpx.Router) error {
	return nil
}

func (s *Server) jobsCandidates(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
