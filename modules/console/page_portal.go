package console

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/tenants"
)

// The candidates' portal (考生服务): the pages of the people who apply, on a phone first. A person
// registers to an open batch of a social organisation (/i/{slug}/batches/{id}/apply, linked from the
// public announcement), is signed in at once and lands on 我的报名; a candidate login's home and menu
// are the portal's: 我的报名 (status, eligibility reasons in plain words, scores and result once
// published), 我的准考证 (page_exams.go), 我的证书 (PDF, QR code, signed credential, share link) and
// 我的照片. Every page shows the caller's own records only: the services look them up by the login.

// Portal is what the portal needs of the modules, wired by modules/server.
type Portal struct {
	// Candidates registers people (self-registration) and keeps their own photo (candidates.Service).
	Candidates PortalCandidates
	// Batches finds the batch of the apply page and lists the caller's applications (batches.Service).
	Batches PortalBatches
	// Certificates lists and serves the caller's certificates (certificates.Service).
	Certificates PortalCertificates
	// Limiter bounds registrations per client address, counted with the API's (nil: no limit).
	Limiter *ratelimit.Limiter
}

// PortalCandidates is the candidates service as the portal uses it.
type PortalCandidates interface {
	SelfRegister(ctx context.Context, slug string, batchID uuid.UUID, r candidates.Registration) (candidates.Registered, error)
	OwnPhoto(ctx context.Context) (candidates.Photo, error)
	SetOwnPhoto(ctx context.Context, data []byte) (candidates.Photo, error)
}

// PortalBatches is the batches service as the portal uses it.
type PortalBatches interface {
	ApplyTarget(ctx context.Context, slug string, id uuid.UUID) (tenants.Tenant, batches.Batch, error)
	MyApplications(ctx context.Context, req platform.PageRequest, f batches.ApplicationFilter) (platform.Page[batches.Application], error)
	Get(ctx context.Context, id uuid.UUID) (batches.Batch, error)
}

// PortalCertificates is the certificates service as the portal uses it.
type PortalCertificates interface {
	Mine(ctx context.Context, req platform.PageRequest, f certificates.ListFilter) (platform.Page[certificates.Certificate], error)
	MyPDF(ctx context.Context, id uuid.UUID) ([]byte, certificates.Certificate, error)
	MyCredential(ctx context.Context, id uuid.UUID) ([]byte, certificates.Certificate, error)
	PublicURL() string
}

var (
	_ PortalCandidates   = (*candidates.Service)(nil)
	_ PortalBatches      = (*batches.Service)(nil)
	_ PortalCertificates = (*certificates.Service)(nil)
)

// portalPages registers the portal. Each route declares the permission of its API twin: the public
// self-registration, GET /me/applications, GET /me/certificates (and its PDF and credential), GET and
// PUT /me/photo.
func (c *Console) portalPages(r *router) {
	register := c.portalRegister
	if l := c.d.Portal.Limiter; l.Enabled() {
		register = l.Wrap(register)
	}
	r.get("/i/:slug/batches/:id/apply", access{Public: true}, c.portalApplyPage)
	r.post("/i/:slug/batches/:id/apply", access{Public: true}, register) // POST /api/v1/public/institutions/{slug}/batches/{id}/applications
	r.get("/my/applications", access{Permission: batches.PermApplicationListOwn}, c.portalApplications)
	r.get("/my/applications/:id", access{Permission: batches.PermApplicationListOwn}, c.portalApplication)
	r.get("/my/certificates", access{Permission: certificates.PermCertificateListOwn}, c.portalCertificates)
	r.get("/my/certificates/:id/pdf", access{Permission: certificates.PermCertificateListOwn}, c.portalCertificatePDF)
	r.get("/my/certificates/:id/credential", access{Permission: certificates.PermCertificateListOwn}, c.portalCredential)
	r.get("/my/certificates/:id/qr.svg", access{Permission: certificates.PermCertificateListOwn}, c.portalQR)
	r.get("/my/photo", access{Permission: candidates.PermCandidatePhotoOwn}, c.portalPhotoPage)
	r.get("/my/photo/image", access{Permission: candidates.PermCandidatePhotoOwn}, c.portalPhotoImage)
	r.post("/my/photo", access{Permission: candidates.PermCandidatePhotoOwn}, c.portalUploadPhoto)
}

// portalHome is where a candidate login lands: their applications. It reports false for anyone else.
const portalHome = "/my/applications"

// portalCandidateOnly reports whether the signed-in user is a candidate and nothing else: their home
// and menu are the portal's, not the staff 工作台.
func portalCandidateOnly(fc *fiber.Ctx) bool {
	p, ok := principal(fc)
	return ok && len(p.User.Roles) > 0 && !slices.ContainsFunc(p.User.Roles, func(r string) bool { return r != candidates.RoleCandidate })
}

// --- self-registration ---

// portalApplyForm is the registration form: the login, then the candidate record (the candidates
// form's fields, read by readCandidateForm).
type portalApplyForm struct {
	Username string
	candidateForm
}

// portalApplyPage is the apply page: the batch's announcement in short and the form, or why the batch
// takes no applications.
type portalApplyPage struct {
	Institution tenants.Tenant
	Batch       batches.Batch
	Open        bool
	Form        portalApplyForm
	Educations  []string
	IDTypes     []string
	Levels      []int
	MinPassword int
	FeeYuan     string
}

func (c *Console) portalTarget(fc *fiber.Ctx) (tenants.Tenant, batches.Batch, error) {
	if c.d.Portal.Batches == nil || c.d.Portal.Candidates == nil {
		return tenants.Tenant{}, batches.Batch{}, fiber.ErrNotFound
	}
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return tenants.Tenant{}, batches.Batch{}, platform.NotFound("batch")
	}
	return c.d.Portal.Batches.ApplyTarget(fc.UserContext(), strings.Clone(fc.Params("slug")), id)
}

func (c *Console) portalApplyView(t tenants.Tenant, b batches.Batch, f portalApplyForm) portalApplyPage {
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	return portalApplyPage{Institution: t, Batch: b, Open: b.AcceptsApplications(c.d.Now()), Form: f,
		Educations: candidates.Educations(), IDTypes: candidates.IDTypes(), Levels: []int{0, 5, 4, 3, 2, 1},
		MinPassword: identity.MinPasswordLen, FeeYuan: yuan(b.FeeFen)}
}

func (c *Console) portalApplyPage(fc *fiber.Ctx) error {
	t, b, err := c.portalTarget(fc)
	if err != nil {
		return err
	}
	f := portalApplyForm{candidateForm: candidateForm{IDType: candidates.IDTypeResident, CurrentLevel: "0"}}
	return c.render(fc, "portal_apply", c.portalApplyView(t, b, f))
}

// portalRegister registers the person with the service behind the public API, signs them in with the
// password they chose and sends them to 我的报名. Every problem of the form is shown next to its field
// in one round trip: the login and the record are checked as the service checks them before it is
// called, and the service's own refusals are mapped back to the fields.
func (c *Console) portalRegister(fc *fiber.Ctx) error {
	t, b, err := c.portalTarget(fc)
	if err != nil {
		return err
	}
	cf, in, v := readCandidateForm(fc)
	cf.Name = strings.TrimSpace(cf.Name)
	in.Name = cf.Name
	f := portalApplyForm{Username: strings.TrimSpace(fc.FormValue("username")), candidateForm: cf}
	password := fc.FormValue("password")
	if !b.AcceptsApplications(c.d.Now()) {
		f.Error = "portal.apply.closed"
		fc.Status(fiber.StatusConflict)
		return c.render(fc, "portal_apply", c.portalApplyView(t, b, f))
	}
	// The checks the service makes, all at once (it repeats them; nothing is decided here).
	if f.Username == "" {
		f.Fields["username"] = "form.required"
	}
	if password == "" {
		f.Fields["password"] = "form.required"
	}
	login := identity.NewUser{Username: f.Username, Password: password, Roles: []string{candidates.RoleCandidate}}
	norm := in
	norm.Normalize()
	for _, e := range []error{v.Err(), login.Validate(t.Kind, t.Slug, func(tenants.Kind, string) bool { return true }),
		norm.Validate(t.Kind, c.d.Now())} {
		portalFieldErrors(f.Fields, e)
	}
	if len(f.Fields) > 0 {
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.render(fc, "portal_apply", c.portalApplyView(t, b, f))
	}
	_, err = c.d.Portal.Candidates.SelfRegister(fc.UserContext(), t.Slug, b.ID,
		candidates.Registration{Username: f.Username, Password: password, Input: in})
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
			pe.Kind == platform.KindRateLimited {
			return err
		}
		portalFieldErrors(f.Fields, err)
		if len(pe.Fields) == 0 {
			f.Error = portalRegistrationMessage(pe.Code)
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.render(fc, "portal_apply", c.portalApplyView(t, b, f))
	}
	// Signed in at once with what they just chose. Should that fail (the login throttle, or the role
	// not yet applied), the login page takes over with the institution filled in.
	res, err := c.d.Identity.Login(fc.UserContext(), identity.LoginInput{Tenant: t.Slug, Username: f.Username,
		Password: password, ClientIP: fc.IP()})
	if err != nil {
		c.d.Log.WarnContext(fc.UserContext(), "console: sign-in after self-registration failed", "tenant", t.Slug, "err", err)
		return fc.Redirect("/login?registered=1&tenant="+t.Slug+"&next="+portalHome, fiber.StatusSeeOther)
	}
	c.setCookie(fc, sessionCookie, res.Token, res.ExpiresAt)
	return fc.Redirect(portalHome+"?registered=1", fiber.StatusSeeOther)
}

// portalFieldErrors puts the field errors of err on the form's fields (the first per field wins).
func portalFieldErrors(fields map[string]string, err error) {
	for _, fe := range candFieldsOf(err) {
		name := candFieldName(fe.Field)
		if _, done := fields[name]; done {
			continue
		}
		switch name {
		case "username", "password":
			if fe.Code == "length" {
				fields[name] = "portal.err.password_length"
			} else {
				fields[name] = fieldMessage(fe.Code)
			}
		default:
			fields[name] = candidateFieldMessage(fe.Code)
		}
	}
}

// portalRegistrationMessage is the message of a refusal that names no field.
func portalRegistrationMessage(code string) string {
	switch code {
	case candidates.CodeRegistrationNotAccepted:
		return "portal.apply.not_accepted"
	case "self_registration_unavailable":
		return "portal.apply.unavailable"
	case "deadline_passed", "invalid_state":
		return "portal.apply.closed"
	case "capacity_full":
		return "portal.apply.full"
	}
	return "portal.apply.failed"
}

// --- 我的报名 ---

// portalApp is one of the caller's applications with its batch.
type portalApp struct {
	App   batches.ApplicationView
	Batch batches.Batch
	// Published: results are out (公示 or final), so scores and result are shown.
	Published bool
	Reasons   []string // the eligibility reasons in the page's language
	Methods   []portalScore
	FeeYuan   string
	Result    string // pass, fail, absent; "" while scores are incomplete
}

// portalScore is one method's score beside its pass mark.
type portalScore struct {
	Method   batches.Method
	Score    float64
	Has      bool
	PassMark float64
}

type portalAppsPage struct {
	Apps       []portalApp
	Registered bool
}

// portalOwnApplications lists all of the caller's applications (a person has a handful), newest first.
func (c *Console) portalOwnApplications(fc *fiber.Ctx) ([]batches.Application, error) {
	return allPages(fc.UserContext(), platform.PageRequest{Limit: platform.MaxLimit, Desc: true},
		func(ctx context.Context, req platform.PageRequest) (platform.Page[batches.Application], error) {
			return c.d.Portal.Batches.MyApplications(ctx, req, batches.ApplicationFilter{})
		})
}

func (c *Console) portalAppOf(fc *fiber.Ctx, a batches.Application, cache map[uuid.UUID]batches.Batch) (portalApp, error) {
	b, ok := cache[a.BatchID]
	if !ok {
		var err error
		if b, err = c.d.Portal.Batches.Get(fc.UserContext(), a.BatchID); err != nil {
			return portalApp{}, err
		}
		cache[a.BatchID] = b
	}
	v := batches.NewApplicationView(a, false)
	pa := portalApp{App: v, Batch: b, Reasons: v.Eligibility.Reasons, FeeYuan: yuan(a.FeeFen),
		Published: b.Status == batches.StatusPublicity || b.Status == batches.StatusFinalized}
	if v.Result != nil {
		pa.Result = string(*v.Result)
	}
	if requestLanguage(fc) == langEN {
		pa.Reasons = v.Eligibility.ReasonsEN
	}
	for _, m := range b.Methods {
		s, has := a.Scores[m]
		pa.Methods = append(pa.Methods, portalScore{Method: m, Score: s, Has: has, PassMark: b.PassMarks[m]})
	}
	return pa, nil
}

func (c *Console) portalApplications(fc *fiber.Ctx) error {
	if c.d.Portal.Batches == nil {
		return fiber.ErrNotFound
	}
	apps, err := c.portalOwnApplications(fc)
	if err != nil {
		return err
	}
	p := portalAppsPage{Registered: fc.Query("registered") == "1"}
	cache := map[uuid.UUID]batches.Batch{}
	for _, a := range apps {
		pa, err := c.portalAppOf(fc, a, cache)
		if err != nil {
			return err
		}
		p.Apps = append(p.Apps, pa)
	}
	return c.render(fc, "portal_applications", p)
}

// portalApplication is one application of the caller's (404 for anyone else's: it is looked up among
// their own).
func (c *Console) portalApplication(fc *fiber.Ctx) error {
	if c.d.Portal.Batches == nil {
		return fiber.ErrNotFound
	}
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	apps, err := c.portalOwnApplications(fc)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(apps, func(a batches.Application) bool { return a.ID == id })
	if i < 0 {
		return batches.ErrApplicationNotFound
	}
	pa, err := c.portalAppOf(fc, apps[i], map[uuid.UUID]batches.Batch{})
	if err != nil {
		return err
	}
	return c.render(fc, "portal_application", pa)
}

// --- 我的证书 ---

// portalCert is one of the caller's certificates with its public verification address.
type portalCert struct {
	Cert      certificates.Certificate
	VerifyURL string
}

type portalCertsPage struct {
	Certs []portalCert
}

func (c *Console) portalOwnCertificates(fc *fiber.Ctx) ([]certificates.Certificate, error) {
	return allPages(fc.UserContext(), platform.PageRequest{Limit: platform.MaxLimit, Desc: true},
		func(ctx context.Context, req platform.PageRequest) (platform.Page[certificates.Certificate], error) {
			return c.d.Portal.Certificates.Mine(ctx, req, certificates.ListFilter{})
		})
}

func (c *Console) portalCertificates(fc *fiber.Ctx) error {
	if c.d.Portal.Certificates == nil {
		return fiber.ErrNotFound
	}
	certs, err := c.portalOwnCertificates(fc)
	if err != nil {
		return err
	}
	var p portalCertsPage
	for _, ct := range certs {
		pc := portalCert{Cert: ct}
		if ct.Number != "" {
			pc.VerifyURL = credential.CredentialURL(c.d.Portal.Certificates.PublicURL(), ct.Number)
		}
		p.Certs = append(p.Certs, pc)
	}
	return c.render(fc, "portal_certificates", p)
}

func (c *Console) portalCertificatePDF(fc *fiber.Ctx) error {
	return c.portalDocument(fc, c.d.Portal.Certificates.MyPDF, "application/pdf", ".pdf")
}

func (c *Console) portalCredential(fc *fiber.Ctx) error {
	return c.portalDocument(fc, c.d.Portal.Certificates.MyCredential, "application/json", ".credential.json")
}

// portalDocument sends one of the caller's certificate documents as a download (404 for another's).
func (c *Console) portalDocument(fc *fiber.Ctx, get func(context.Context, uuid.UUID) ([]byte, certificates.Certificate, error),
	ctype, suffix string) error {
	if c.d.Portal.Certificates == nil {
		return fiber.ErrNotFound
	}
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	b, ct, err := get(fc.UserContext(), id)
	if err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, ctype)
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="`+ct.Number+suffix+`"`)
	fc.Set(fiber.HeaderCacheControl, "private, no-store")
	return fc.Send(b)
}

// portalQR is the QR code of a certificate's verification address, as SVG (the caller's own only).
func (c *Console) portalQR(fc *fiber.Ctx) error {
	if c.d.Portal.Certificates == nil {
		return fiber.ErrNotFound
	}
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	certs, err := c.portalOwnCertificates(fc)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(certs, func(ct certificates.Certificate) bool { return ct.ID == id && ct.Number != "" })
	if i < 0 {
		return certificates.ErrNotFound
	}
	svg, err := render.QRSVG(credential.CredentialURL(c.d.Portal.Certificates.PublicURL(), certs[i].Number))
	if err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, "image/svg+xml")
	fc.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return fc.SendString(svg)
}

// --- 我的照片 ---

type portalPhotoPage struct {
	Has     bool
	Version string // the photo's digest, so a new one is fetched after an upload
	Saved   bool
	Error   string // message id of the upload's problem
}

func (c *Console) portalPhotoPage(fc *fiber.Ctx) error {
	return c.renderPortalPhoto(fc, portalPhotoPage{Saved: fc.Query("saved") == "1"})
}

func (c *Console) renderPortalPhoto(fc *fiber.Ctx, p portalPhotoPage) error {
	if c.d.Portal.Candidates == nil {
		return fiber.ErrNotFound
	}
	ph, err := c.d.Portal.Candidates.OwnPhoto(fc.UserContext())
	switch {
	case err == nil:
		p.Has, p.Version = true, ph.SHA256[:12]
	case platform.KindOf(err) != platform.KindNotFound:
		return err
	}
	return c.render(fc, "portal_photo", p)
}

func (c *Console) portalPhotoImage(fc *fiber.Ctx) error {
	if c.d.Portal.Candidates == nil {
		return fiber.ErrNotFound
	}
	p, err := c.d.Portal.Candidates.OwnPhoto(fc.UserContext())
	if err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, p.ContentType)
	fc.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return fc.Send(p.Data)
}

func (c *Console) portalUploadPhoto(fc *fiber.Ctx) error {
	if c.d.Portal.Candidates == nil {
		return fiber.ErrNotFound
	}
	_, data, err := candUpload(fc, candidates.MaxPhotoBytes, candidates.ErrPhotoTooLarge)
	if err == nil {
		_, err = c.d.Portal.Candidates.SetOwnPhoto(fc.UserContext(), data)
	}
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
			pe.Kind == platform.KindNotFound {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderPortalPhoto(fc, portalPhotoPage{Error: portalPhotoMessage(pe)})
	}
	return fc.Redirect("/my/photo?saved=1", fiber.StatusSeeOther)
}

// portalPhotoMessage is the message of a refused photo.
func portalPhotoMessage(pe *platform.Error) string {
	if pe.Kind == platform.KindTooLarge {
		return "portal.photo.too_large"
	}
	if len(pe.Fields) > 0 && pe.Fields[0].Code == "required" {
		return "portal.photo.required"
	}
	return "portal.photo.invalid"
}
