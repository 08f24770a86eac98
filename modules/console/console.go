// Package console is SkillCert's web console: server-rendered HTML pages for every role, served by
// the same binary beside the JSON API (gitea's routers/web beside routers/api). Its handlers read the
// form, call the modules' services directly — never the JSON API — and render html/template pages
// with the modules' view models. Strings come from message catalogs (zh-CN first, en); assets are
// our own CSS and a small script, embedded; pages work without JavaScript and load nothing from
// another host.
//
// Every page declares its permission the way API routes do (Page.Permission, checked by the same
// policies before the handler runs), and the route-walk test in modules/server walks both tables.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Identity is what the console needs of the identity module: sessions (the same server-side sessions
// as bearer tokens, with the same throttling, expiry and revocation).
type Identity interface {
	Login(ctx context.Context, in identity.LoginInput) (identity.LoginResult, error)
	Authenticate(ctx context.Context, token string) (identity.Principal, error)
	Logout(ctx context.Context, token string) error
	// ChangePassword changes the signed-in person's own password (我的账户).
	ChangePassword(ctx context.Context, in identity.PasswordChange) error
}

// Users is what the users and roles pages need of the identity module.
type Users interface {
	ListUsers(ctx context.Context, req platform.PageRequest) (platform.Page[identity.User], error)
	CreateUser(ctx context.Context, in identity.NewUser) (identity.User, error)
	DisableUser(ctx context.Context, id uuid.UUID) error
	GetUser(ctx context.Context, id uuid.UUID) (identity.User, error)
	SetUserRoles(ctx context.Context, id uuid.UUID, roles []string) (identity.User, error)
	SetUserPassword(ctx context.Context, id uuid.UUID, password string) error
	EnableUser(ctx context.Context, id uuid.UUID) error
}

// AuditLog is what the audit page needs of the audit module.
type AuditLog interface {
	List(ctx context.Context, req platform.PageRequest, f audit.Filter) (platform.Page[audit.Entry], error)
	Verify(ctx context.Context) (audit.VerifyResult, error)
}

// Authorizer answers whether the actor in ctx holds a permission. Check refuses (and records the
// denial, as the API's guard does); Can only asks, to decide which menu entries and buttons to show.
type Authorizer interface {
	Check(ctx context.Context, permission string) error
	Can(ctx context.Context, permission string) bool
}

// Health tells the console about conditions admins must see (a missing CJK font: certificates can't
// be rendered). Problems returns message keys of the catalog with their arguments.
type Health interface {
	Problems(ctx context.Context) []Problem
}

// Problem is one platform condition shown to admins as a banner.
type Problem struct {
	Key  string         // message id in the catalogs
	Args map[string]any // template data of the message
}

// Deps are the console's dependencies, wired by modules/server.
type Deps struct {
	Identity   Identity
	Users      Users
	Audit      AuditLog
	Filings    Filings // 备案 pages (page_filings.go)
	Catalog    Catalog // the filings' scope picker and evaluation norms
	Authorizer Authorizer
	// Candidates serves the 考生 pages (candidates.Service; page_candidates.go).
	Candidates Candidates
	// CandidateApplications lists a candidate's applications on their page (batches.Service); nil:
	// the page shows none.
	CandidateApplications CandidateApplications
	Todos                 Todos     // the 工作台's counts (page_home_todos.go)
	Decisions             Decisions // regulators' decisions about the institution (page_decisions.go)
	// Batches runs the 批次 pages (page_batches.go); FilingScope gives the new-batch form the approved
	// filing scope (nil: the form offers no choices and the service still checks the scope).
	Batches     Batches
	FilingScope FilingScope
	// RolesFor lists the roles a tenant of a kind may hand out (policies.RolesFor).
	RolesFor func(tenants.Kind) []string
	Health   Health // nil: no banner
	// Certificates serves the 证书 pages; CertificateBatches names their batches (nil: ids shown).
	Certificates       Certificates
	CertificateBatches CertificateBatches
	// Exams is exam administration (check-in at the door).
	Exams ExamDesk
	// ExamDocuments renders tickets, sign-in sheets and the archive (nil: those links are not shown).
	ExamDocuments ExamDocuments
	// OversightView is what a regulator's 工作台, dashboard and drill-down read (page_oversight_dash.go).
	OversightView OversightView
	Log           *slog.Logger
	// Portal serves the candidates' portal: self-registration, 我的报名, 我的证书, 我的照片 (page_portal.go).
	Portal Portal

	// Scoring serves the evaluator's 评分 pages and ExamSupervision the supervisor's 督导 pages
	// (batches.Service; page_scoring.go, page_supervision.go); nil: those pages answer 404.
	Scoring         Scoring
	ExamSupervision ExamSupervision

	// PublicURL is the platform's public address; an https one makes the cookies Secure.
	PublicURL string
	// Secret keys the CSRF tokens (HMAC). It must be the same on every replica (the server derives it
	// from the platform secret kept in the database).
	Secret []byte
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Regulator serves the regulator's work pages (page_regulator.go); Operator the platform
	// operator's console (page_operator.go).
	Regulator Regulator
	Operator  Operator

	// Public serves the public pages (page_public.go); without its Batches and Certificates they are
	// not mounted.
	Public Public
}

// Console is the mounted web console.
type Console struct {
	d       Deps
	secure  bool
	csrfKey []byte
	tmpl    *templates
	i18n    *catalog
	routes  []Route
	// examSteps inserts the exam administration steps (考场编排, 准考证) into a batch's flow; set by
	// examPages (page_exams.go), nil until then.
	examSteps stepSource
	// appRows caches the applications table's rendered rows by their whole input (page_batches_rows.go).
	appRows *appRowCache
	// public holds the public verification page's caches (page_public.go).
	public *publicCaches
}

// New builds the console: parses its templates and message catalogs (failing on any error, so a
// broken template never reaches a user).
func New(d Deps) (*Console, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	t, err := parseTemplates(cat)
	if err != nil {
		return nil, err
	}
	c := &Console{d: d, tmpl: t, i18n: cat}
	c.appRows = newAppRowCache()
	if u, err := url.Parse(d.PublicURL); err == nil && u.Scheme == "https" {
		c.secure = true
	}
	mac := hmac.New(sha256.New, d.Secret)
	mac.Write([]byte("skillcert console csrf v1"))
	c.csrfKey = mac.Sum(nil)
	return c, nil
}

// Mount adds the console's pages and assets to app at "/". Call it after the API is mounted: the
// console's catch-all 404 page answers only what nothing else did.
func (c *Console) Mount(app *fiber.App) {
	app.Get("/assets/:name", c.asset)
	r := &router{c: c, app: app}
	c.pages(r)
	c.routes = r.routes
}

// Routes lists the console's pages with their permissions, for the route-walk test.
func (c *Console) Routes() []Route { return append([]Route(nil), c.routes...) }

// actorIsInstitution reports whether the signed-in tenant is an institution.
func actorIsInstitution(ctx context.Context) bool {
	s, ok := tenants.FromContext(ctx)
	return ok && s.Kind.IsInstitution()
}
