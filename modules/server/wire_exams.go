package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/oversight"
)

// Exams holds exam administration (考务): sites, sessions, arrangement, tickets, check-in.
type Exams struct {
	// Exams is the service; batches asks it who was absent (through lateExams).
	Exams *exams.Service
	// Documents renders and serves admission tickets, sign-in sheets and archives (wire_exam_documents.go).
	Documents *exams.Documents
	// toBatches is batches' Attendance: built before exams, completed by buildExams.
	toBatches *lateExams
}

// platformSecret reads the platform secret once (the database's, or derived from the master key): the
// console's CSRF key, the oversight sync seals and the ticket tokens' key come from it.
func (s *Server) platformSecret(ctx context.Context) ([]byte, error) {
	if s.Oversight.secret != nil {
		return s.Oversight.secret, nil
	}
	secret, err := oversight.PlatformSecret(ctx, s.deps.DB, s.deps.Config.MasterKey)
	if err != nil {
		return nil, err
	}
	s.Oversight.secret = secret
	return secret, nil
}

// buildExams builds exam administration on batches (supervisor assignments) and the directory
// (regulators' jurisdictions), with the ticket key derived from the platform secret, and completes
// batches' way to it (absences).
func (s *Server) buildExams(ctx context.Context) error {
	lc := &s.Lifecycle
	if lc.Batches == nil || s.Exams.toBatches == nil {
		return fmt.Errorf("exams: built before batches")
	}
	secret, err := s.platformSecret(ctx)
	if err != nil {
		return err
	}
	svc, err := exams.NewService(s.deps.DB, exams.Deps{
		Supervisors:   supervisorsOf{lc.Batches},
		Jurisdictions: s.Directory,
		TicketKey:     exams.TicketKey(secret),
	})
	if err != nil {
		return err
	}
	s.Exams.Exams = svc
	s.Exams.toBatches.e = svc
	return nil
}

// supervisorsOf answers exams' question from batches' assignments.
type supervisorsOf struct{ b *batches.Service }

func (a supervisorsOf) IsSupervisor(ctx context.Context, batchID, userID uuid.UUID) (bool, error) {
	as, err := a.b.Assignments(ctx, batchID)
	if err != nil {
		return false, err
	}
	for _, s := range as.Supervisors {
		if s.UserID == userID {
			return true, nil
		}
	}
	return false, nil
}

// lateExams is batches' Attendance. Batches is built before exams (exams reads supervisor assignments
// through it), so buildExams sets e before the server serves; until then a call fails rather than
// reading nobody as absent.
type lateExams struct{ e *exams.Service }

var _ batches.Attendance = (*lateExams)(nil)

var errExamsNotWired = errors.New("server: exams is not wired yet")

// AbsentMethods forwards to exams.Service.AbsentMethods.
func (l *lateExams) AbsentMethods(ctx context.Context, tx bun.IDB, applicationID uuid.UUID) ([]batches.Method, error) {
	if l.e == nil {
		return nil, errExamsNotWired
	}
	return l.e.AbsentMethods(ctx, tx, applicationID)
}

// Absentees forwards to exams.Service.Absentees.
func (l *lateExams) Absentees(ctx context.Context, tx bun.IDB, batchID uuid.UUID) (map[uuid.UUID][]batches.Method, error) {
	if l.e == nil {
		return nil, errExamsNotWired
	}
	return l.e.Absentees(ctx, tx, batchID)
}
