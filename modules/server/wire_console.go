package server

import (
	"context"
	"fmt"

	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/console"
	"github.com/skillcert/skillcert/policies"
	"github.com/skillcert/skillcert/tenants"
)

// mountConsole builds the web console over the same services as the API and mounts it at "/".
func (s *Server) mountConsole(ctx context.Context) error {
	// The CSRF key must be the same on every serve replica: derive it from the platform secret.
	c, err := console.New(console.Deps{
		Identity:              s.Identity,
		Users:                 s.Identity,
		Audit:                 s.Audit,
		Filings:               s.Lifecycle.Filings,
		Catalog:               s.Lifecycle.Catalog,
		Batches:               s.Lifecycle.Batches,
		FilingScope:           s.Lifecycle.Filings,
		Candidates:            s.Lifecycle.Candidates,
		CandidateApplications: s.Lifecycle.Batches,
		Certificates:          s.Certificates.Service,
		CertificateBatches:    s.Lifecycle.Batches,
		RolesFor:              policies.RolesFor,
		Authorizer:            consoleAuthorizer{guard: s.Guard, authz: s.Authorizer},
		Health:                s,
		Exams:                 s.Exams.Exams,
		ExamDocuments:         s.Exams.Documents,
		Scoring:               s.Lifecycle.Batches, // 评分 (page_scoring.go)
		ExamSupervision:       s.Lifecycle.Batches, // 督导 (page_supervision.go)
		Log:                   s.deps.Log,
		PublicURL:             s.deps.Config.PublicURL,
		Secret:                s.Oversight.secret,
		// The 工作台's counts come from the modules that keep the records.
		Todos: console.Todos{Batches: s.Lifecycle.Batches, Certificates: s.Certificates.Service,
			Filings: s.Lifecycle.Filings, Decisions: s.Oversight.Oversight.Decisions},
		Decisions: s.Oversight.Oversight.Decisions,
		Regulator: s.consoleRegulator(),
		Operator:  s.consoleOperator(),
		// The public pages share the public API's services and limiters.
		Public: console.Public{Batches: s.Lifecycle.Batches, Filings: s.Lifecycle.Filings, Certificates: s.Certificates.Service,
			Complaints: s.Oversight.Oversight.Supervision, Lookups: s.Certificates.PublicLimiter,
			Objections: s.Lifecycle.objections, ComplaintsRL: s.Oversight.complaints},
		Portal: console.Portal{Candidates: s.Lifecycle.Candidates, Batches: s.Lifecycle.Batches,
			Certificates: s.Certificates.Service, Limiter: s.Lifecycle.selfRegistrations},
		OversightView: regulatorView(s),
	})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c.Mount(s.App)
	s.Console = c
	return nil
}

// consoleAuthorizer gives the console the API's permission check (Check, which records denials) and a
// silent question for menus and buttons (Can).
type consoleAuthorizer struct {
	guard policies.Guard
	authz *policies.Authorizer
}

func (a consoleAuthorizer) Check(ctx context.Context, permission string) error {
	return a.guard.Check(ctx, permission)
}

func (a consoleAuthorizer) Can(ctx context.Context, permission string) bool {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return false
	}
	allowed, err := a.authz.Allowed(scope.TenantID, tenants.ActorFrom(ctx).UserID, permission)
	return err == nil && allowed
}

// Problems lists the platform conditions admins must see: today, a missing CJK font.
func (s *Server) Problems(ctx context.Context) []console.Problem {
	if err := s.FontProblem(); err != nil {
		return []console.Problem{{Key: "health.no_cjk_font", Args: map[string]any{"Hint": "apt-get install " + render.FontPackage}}}
	}
	return nil
}

// FontProblem reports why certificates can't be rendered here, or nil when a CJK font is found.
func (s *Server) FontProblem() error {
	if _, err := render.FindFonts(s.deps.Config.Getenv); err != nil {
		return fmt.Errorf("no CJK font for certificate PDFs (apt-get install %s, or set %s): %w", render.FontPackage, render.EnvFontPath, err)
	}
	return nil
}

// regulatorView gives the console the regulator's 工作台 counts, dashboard and drill-down.
func regulatorView(s *Server) console.OversightView {
	o := s.Oversight.Oversight
	v := console.OversightView{Stats: o.Stats, Institutions: o.Institutions, Filings: s.Lifecycle.Filings}
	if s.Exams.Exams != nil {
		v.Exams = s.Exams.Exams
	}
	v.Todos = console.RegulatorTodos{FilingsToDecide: s.Lifecycle.Filings.CountToDecide, OpenComplaints: o.Supervision.CountOpenComplaints,
		FailingSync: o.Delivery.CountFailing, OpenDifferences: o.Reconcile.CountOpen, OpenFlags: o.CrossCheck.CountOpen,
		DecisionsUnderReview: o.Decisions.CountUnderReview}
	return v
}
