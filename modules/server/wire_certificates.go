package server

import (
	"context"

	"github.com/skillcert/skillcert/jobs"

	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Certificates holds the services of certificates: numbering, issuance pipeline, PDF, credentials, verification (issue: certificates).
type Certificates struct{}

// wireCertificates builds those services and mounts their routes.
func (s *Server) wireCertificates(ctx context.Context, api *httpx.Router) error {
	return nil
}

// jobsCertificates registers those modules' task handlers and schedules.
func (s *Server) jobsCertificates(js *jobs.Server, sch *jobs.Scheduler) error {
	return nil
}
