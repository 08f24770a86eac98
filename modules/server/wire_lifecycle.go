package server

import (
	"context"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Lifecycle holds the services of catalog, filings, candidates, batches and applications (issue: evaluation lifecycle).
type Lifecycle struct{}

// wireLifecycle builds those services and mounts their routes.
func (s *Server) wireLifecycle(ctx context.Context, api *httpx.Router) error {
	return nil
}
