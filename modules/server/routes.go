package server

import (
	"context"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/directory"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/exams/docshttp"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// mount adds every front end to the app, in one place: the JSON API (each module's route table under
// /api/v1, documented in the OpenAPI document), the public pages outside it (verification, JWKS,
// issuer documents, the audit checkpoint key), health and metrics, and the web console at "/".
// Every front end adapts the services build made; none builds its own.
func (s *Server) mount(ctx context.Context) error {
	identHTTP := identity.NewHandler(s.Identity)
	api := httpx.NewRouter(s.App.Group("/api/v1"), "/api/v1",
		httpx.Guard{Authenticate: identHTTP.Authenticate, Authorize: s.Guard.Require}, s.Spec)
	certs := certificates.NewHandler(s.Certificates.Service, s.Certificates.PublicLimiter, s.deps.Log)
	auditHTTP := audit.NewHandler(s.Audit)
	s.mountAPI(api, identHTTP, auditHTTP, certs)
	// The public addresses outside /api/v1 (docs/public-endpoints.md).
	certs.Pages(s.App)
	auditHTTP.WellKnown(s.App)
	s.mountOps()
	return s.mountConsole(ctx)
}

// mountAPI lists every module's JSON routes.
func (s *Server) mountAPI(api *httpx.Router, ident *identity.Handler, auditHTTP *audit.Handler, certs *certificates.Handler) {
	lc := &s.Lifecycle
	ident.Routes(api)
	directory.NewHandler(s.Directory).Routes(api)
	auditHTTP.Routes(api)
	catalog.NewHandler(lc.Catalog).Routes(api)
	filings.NewHandler(lc.Filings).Routes(api)
	candidates.NewHandler(lc.Candidates, lc.selfRegistrations).Routes(api)
	batches.NewHandler(lc.Batches, lc.objections).Routes(api)
	certs.Routes(api)
	exams.NewHandler(s.Exams.Exams).Routes(api)
	docshttp.NewHandler(s.Exams.Documents, s.deps.Log).Routes(api)
	s.Oversight.Oversight.Routes(api, s.Oversight.complaints)
}
