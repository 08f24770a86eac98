package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// batchesParts holds the batches services (fields are promoted into Lifecycle).
type batchesParts struct{}

func (s *Server) wireBatches(ctx context.Context, api *httpx.Router) error {
	return nil
}

func (s *Server) jobsBatches(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
