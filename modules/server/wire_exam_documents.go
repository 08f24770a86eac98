package server

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/exams"
)

// buildExamDocuments builds the paper side of exam administration (admission tickets, sign-in sheets,
// archives) on candidates (photos, candidates' own logins) and certificates (the institution's
// signing key signs archive manifests), with the ticket key of the platform secret.
func (s *Server) buildExamDocuments(ctx context.Context) error {
	lc := &s.Lifecycle
	if lc.Candidates == nil || s.Certificates.Service == nil {
		return fmt.Errorf("exam documents: built before candidates and certificates")
	}
	secret, err := s.platformSecret(ctx)
	if err != nil {
		return err
	}
	var q jobs.TaskLookup
	if l, ok := s.deps.Jobs.(jobs.TaskLookup); ok {
		q = l
	}
	s.Exams.Documents = exams.NewDocuments(exams.DocumentsConfig{
		DB:     s.deps.DB,
		Jobs:   s.deps.Jobs,
		Queue:  q,
		Photos: lc.Candidates,
		Candidate: func(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error) {
			c, err := lc.Candidates.ByUserTx(ctx, tx, userID)
			return c.ID, err
		},
		// Fonts are parsed on first render, so API replicas that never render never load them.
		Renderer:  func() (*render.Renderer, error) { return render.New(render.Options{}) },
		TicketKey: exams.TicketKey(secret),
		Signer:    s.Certificates.Service,
		Log:       s.deps.Log,
	})
	return nil
}

// jobsExamDocuments registers the ticket rendering task and its reconciler (every 10 s, critical queue).
func (s *Server) jobsExamDocuments(js *jobs.Server, sch *jobs.Scheduler) error {
	if s.Exams.Documents == nil {
		return fmt.Errorf("exam documents: jobs registered before the server was built")
	}
	return s.Exams.Documents.RegisterJobs(js, sch)
}
