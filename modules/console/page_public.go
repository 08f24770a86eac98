package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/tenants"
)

// The public pages: no login, indexable, light. An institution's page with its open batch
// announcements (/i/{slug}), one announcement with the link to self-registration, the publicity list
// during 公示 with the objection form, the complaint form, and certificate verification by number
// (/verify, /verify/{number}, showing the evidence behind the certificate) and by credential. They
// call the same services as the public API, under the same rate limits.

// PublicBatches is what the public pages need of the batches module.
type PublicBatches interface {
	PublicInstitution(ctx context.Context, slug string) (tenants.Tenant, error)
	PublicAnnouncements(ctx context.Context, slug string, req platform.PageRequest) (tenants.Tenant, platform.Page[batches.Batch], map[uuid.UUID]int, error)
	PublicAnnouncement(ctx context.Context, slug string, id uuid.UUID) (tenants.Tenant, batches.Batch, int, error)
	PublicResults(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (batches.Batch, platform.Page[batches.PublicResult], error)
	RaiseObjection(ctx context.Context, batchID uuid.UUID, in batches.NewObjection) (batches.Objection, error)
	PublicBatchEvidence(ctx context.Context, tenantID, batchID uuid.UUID) (batches.BatchEvidence, error)
}

// PublicFilings gives the verification page the filing behind a certificate.
type PublicFilings interface {
	PublicFiling(ctx context.Context, tenantID, id uuid.UUID) (filings.Filing, error)
}

// PublicCertificates is what verification needs of the certificates module.
type PublicCertificates interface {
	LookupNumber(ctx context.Context, number, name string) (certificates.Lookup, error)
	Evidence(ctx context.Context, number string) (certificates.Evidence, error)
	VerifyCredential(ctx context.Context, cred []byte) credential.Result
}

// PublicComplaints takes the public's complaints about an institution (oversight's supervision).
type PublicComplaints interface {
	Complain(ctx context.Context, in supervision.ComplaintInput) (supervision.ComplaintReceipt, error)
}

// Public are the public pages' dependencies; the limiters are the public API's own (nil: unlimited),
// so a page and its API twin share one budget per address.
type Public struct {
	Batches      PublicBatches
	Filings      PublicFilings
	Certificates PublicCertificates
	Complaints   PublicComplaints
	Lookups      *ratelimit.Limiter // certificate look-ups and credential checks
	Objections   *ratelimit.Limiter
	ComplaintsRL *ratelimit.Limiter
}

// Var _ checks: the modules' services serve the public pages.
var (
	_ PublicBatches      = (*batches.Service)(nil)
	_ PublicFilings      = (*filings.Service)(nil)
	_ PublicCertificates = (*certificates.Service)(nil)
	_ PublicComplaints   = (*supervision.Service)(nil)
)

// SelfRegistrationPath is the candidate self-registration page of an open batch (the candidate
// portal's), which an announcement links to.
func SelfRegistrationPath(slug string, batchID uuid.UUID) string {
	return "/i/" + url.PathEscape(slug) + "/batches/" + batchID.String() + "/apply"
}

func init() {
	funcs["applyPath"] = SelfRegistrationPath
	funcs["yuanOf"] = yuan
}

func (c *Console) publicPages(r *router) {
	if c.d.Public.Batches == nil || c.d.Public.Certificates == nil {
		return
	}
	c.public = &publicCaches{evidence: newTTLCache[*evidence](evidenceTTL, evidenceMax), pages: newTTLCache[[][]byte](evidenceTTL, pageMax)}
	pub := access{Public: true}
	r.get("/i/:slug", pub, c.publicInstitution)
	r.get("/i/:slug/batches/:id", pub, c.publicAnnouncement)
	r.get("/i/:slug/batches/:id/publicity", pub, c.publicPublicity)
	r.post("/i/:slug/batches/:id/publicity", pub, c.publicObject)
	r.get("/complaints", pub, c.publicComplaintForm)
	r.post("/complaints", pub, c.publicComplain)
	r.get("/verify", pub, c.publicVerifyForm)
	r.post("/verify/credential", pub, c.publicVerifyCredential)
	r.get("/verify/:number", pub, c.publicVerify)
}

// renderPublic renders a public page: the layout without the staff menu or banners, whoever visits.
func (c *Console) renderPublic(fc *fiber.Ctx, name string, page any) error {
	return c.executePublic(fc, name, page, c.csrfToken(fc), func(b []byte) { fc.Response().SetBody(b) })
}

// executePublic renders a public page with the given CSRF token and hands the bytes (valid during the
// call only) to out.
func (c *Console) executePublic(fc *fiber.Ctx, name string, page any, csrf string, out func([]byte)) error {
	set, ok := c.tmpl.pages[name]
	if !ok {
		return fmt.Errorf("console: no template %q", name)
	}
	v := view{L: c.i18n.localizer(requestLanguage(fc)), CSRF: csrf, Path: fc.Path(), Page: page}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer renderBuffers.Put(buf)
	buf.Reset()
	if err := set.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("console: rendering %s: %w", name, err)
	}
	fc.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	out(buf.Bytes())
	return nil
}

// publicCaches are the verification page's caches (the console's public field).
type publicCaches struct {
	evidence *ttlCache[*evidence]
	// pages keeps the rendered page of a number, by status and language, with csrfSlot where the
	// visitor's CSRF token goes: for a number without a name to check, the page is the same for
	// everyone until the certificate's status changes, and the status is read on every request.
	pages *ttlCache[[][]byte]
}

// csrfSlot stands for the CSRF token in a cached page (a token is base64url: the slot can't occur
// in one, nor does html/template escape it).
const csrfSlot = "CSRF-SLOT-8d1f0c2b"

// publicNotFound answers an unknown institution, batch or page of the public with a 404 page that
// leads back to verification.
func (c *Console) publicNotFound(fc *fiber.Ctx) error {
	fc.Status(fiber.StatusNotFound)
	return c.renderPublic(fc, "public_notfound", nil)
}

func isNotFound(err error) bool { return platform.KindOf(err) == platform.KindNotFound }

// announcement is one batch as the public pages show it.
type announcement struct {
	B         batches.Batch
	SeatsLeft int
	Slug      string
	Open      bool // applications accepted now
	// SelfRegistration: people apply themselves on the public page (social organisations); an
	// enterprise's or a school's batches take applications through the institution.
	SelfRegistration bool
}

func newAnnouncement(t tenants.Tenant, b batches.Batch, left int, now time.Time) announcement {
	return announcement{B: b, SeatsLeft: left, Slug: t.Slug, SelfRegistration: t.Kind == tenants.KindSocialOrg,
		Open: b.Status == batches.StatusOpen && now.Before(b.ApplicationDeadline) && left > 0}
}

type publicInstitutionPage struct {
	Tenant tenants.Tenant
	Items  []announcement
	Next   string
}

func (c *Console) publicInstitution(fc *fiber.Ctx) error {
	slug := strings.Clone(fc.Params("slug"))
	req := platform.PageRequest{Limit: 20, Cursor: fc.Query("cursor")}
	t, page, left, err := c.d.Public.Batches.PublicAnnouncements(fc.UserContext(), slug, req)
	if isNotFound(err) || platform.KindOf(err) == platform.KindInvalid {
		return c.publicNotFound(fc)
	}
	if err != nil {
		return err
	}
	p := publicInstitutionPage{Tenant: t}
	now := c.d.Now()
	for _, b := range page.Items {
		p.Items = append(p.Items, newAnnouncement(t, b, left[b.ID], now))
	}
	if page.NextCursor != "" {
		p.Next = "/i/" + url.PathEscape(t.Slug) + "?cursor=" + url.QueryEscape(page.NextCursor)
	}
	return c.renderPublic(fc, "public_institution", p)
}

type publicAnnouncementPage struct {
	Tenant tenants.Tenant
	A      announcement
}

func (c *Console) publicAnnouncement(fc *fiber.Ctx) error {
	id, err := uuid.Parse(fc.Params("id"))
	if err != nil {
		return c.publicNotFound(fc)
	}
	t, b, left, err := c.d.Public.Batches.PublicAnnouncement(fc.UserContext(), strings.Clone(fc.Params("slug")), id)
	if isNotFound(err) {
		return c.publicNotFound(fc)
	}
	if err != nil {
		return err
	}
	return c.renderPublic(fc, "public_batch", publicAnnouncementPage{Tenant: t, A: newAnnouncement(t, b, left, c.d.Now())})
}

// objectionForm is the publicity page's objection form; its fields are named as the API's body.
type objectionForm struct {
	ApplicationID  string
	MaskedName     string
	MaskedIDNumber string
	Reason         string
	Contact        string
	Error          string            // message id of a form-level error
	Fields         map[string]string // field → message id
}

type publicityPage struct {
	Tenant tenants.Tenant
	B      batches.Batch
	Items  []batches.PublicResult
	Next   string
	Form   objectionForm
	Done   bool
	Over   bool // the publicity period has ended: objections are no longer taken
}

// publicityOf reads the batch in publicity of the institution named in the address, with a page of
// its masked results; a batch of another institution or not in publicity is not found.
func (c *Console) publicityOf(fc *fiber.Ctx) (publicityPage, error) {
	id, err := uuid.Parse(fc.Params("id"))
	if err != nil {
		return publicityPage{}, batches.ErrBatchNotFound
	}
	ctx := fc.UserContext()
	t, err := c.d.Public.Batches.PublicInstitution(ctx, strings.Clone(fc.Params("slug")))
	if err != nil {
		return publicityPage{}, err
	}
	b, page, err := c.d.Public.Batches.PublicResults(ctx, id, platform.PageRequest{Limit: 100, Cursor: fc.Query("cursor")})
	if err != nil {
		return publicityPage{}, err
	}
	if b.TenantID != t.ID {
		return publicityPage{}, batches.ErrBatchNotFound
	}
	p := publicityPage{Tenant: t, B: b, Items: page.Items, Form: objectionForm{Fields: map[string]string{}}}
	p.Over = b.PublicityEndsAt != nil && !c.d.Now().Before(*b.PublicityEndsAt)
	if page.NextCursor != "" {
		p.Next = fc.Path() + "?cursor=" + url.QueryEscape(page.NextCursor)
	}
	return p, nil
}

func (c *Console) publicPublicity(fc *fiber.Ctx) error {
	p, err := c.publicityOf(fc)
	if isNotFound(err) || platform.KindOf(err) == platform.KindInvalid {
		return c.publicNotFound(fc)
	}
	if err != nil {
		return err
	}
	p.Done = fc.Query("done") == "objection"
	p.Form.ApplicationID = fc.Query("application")
	return c.renderPublic(fc, "public_publicity", p)
}

// publicObject raises an objection through batches' RaiseObjection (the service of POST
// /api/v1/public/batches/{id}/objections), limited as the API is.
func (c *Console) publicObject(fc *fiber.Ctx) error {
	p, err := c.publicityOf(fc)
	if isNotFound(err) || platform.KindOf(err) == platform.KindInvalid {
		return c.publicNotFound(fc)
	}
	if err != nil {
		return err
	}
	f := objectionForm{ApplicationID: strings.TrimSpace(fc.FormValue("application_id")),
		MaskedName: strings.TrimSpace(fc.FormValue("masked_name")), MaskedIDNumber: strings.TrimSpace(fc.FormValue("masked_id_number")),
		Reason: strings.TrimSpace(fc.FormValue("reason")), Contact: strings.TrimSpace(fc.FormValue("contact")), Fields: map[string]string{}}
	p.Form = f
	in := batches.NewObjection{MaskedName: f.MaskedName, MaskedIDNumber: f.MaskedIDNumber, Reason: f.Reason, Contact: f.Contact}
	if f.ApplicationID != "" {
		id, err := uuid.Parse(f.ApplicationID)
		if err != nil {
			p.Form.Fields["application_id"] = "public.objection.pick"
		}
		in.ApplicationID = id
	}
	if f.Reason == "" {
		p.Form.Fields["reason"] = "form.required"
	}
	if f.Contact == "" {
		p.Form.Fields["contact"] = "form.required"
	}
	if f.ApplicationID == "" && (f.MaskedName == "" || f.MaskedIDNumber == "") {
		p.Form.Fields["application_id"] = "public.objection.pick"
	}
	if len(p.Form.Fields) == 0 {
		if err := c.d.Public.Objections.Check(fc); err != nil {
			p.Form.Error = "error.rate_limited"
			fc.Status(fiber.StatusTooManyRequests)
			return c.renderPublic(fc, "public_publicity", p)
		}
		_, err = c.d.Public.Batches.RaiseObjection(fc.UserContext(), p.B.ID, in)
		if err == nil {
			return fc.Redirect(fc.Path()+"?done=objection#objection", fiber.StatusSeeOther)
		}
		if !c.objectionErrors(&p.Form, err) {
			return err
		}
	}
	fc.Status(fiber.StatusUnprocessableEntity)
	if p.Form.Error == "public.objection.too_many" {
		fc.Status(fiber.StatusTooManyRequests)
	}
	return c.renderPublic(fc, "public_publicity", p)
}

// objectionErrors turns the service's refusal into messages next to the fields; false when the error
// is not the form's (the page shows it as an error page).
func (c *Console) objectionErrors(f *objectionForm, err error) bool {
	var pe *platform.Error
	switch {
	case errors.Is(err, batches.ErrTooManyObjections):
		f.Error = "public.objection.too_many"
	case errors.Is(err, batches.ErrPublicityOver):
		f.Error = "public.objection.over"
	case errors.As(err, &pe) && len(pe.Fields) > 0:
		for _, fe := range pe.Fields {
			switch fe.Field {
			case "reason":
				f.Fields["reason"] = "public.objection.reason_invalid"
			case "contact":
				f.Fields["contact"] = "public.objection.contact_invalid"
			default:
				f.Fields["application_id"] = "public.objection.pick"
			}
		}
	case isNotFound(err) || platform.KindOf(err) == platform.KindInvalid:
		f.Fields["application_id"] = "public.objection.pick"
	default:
		return false
	}
	return true
}

// complaintForm is the complaint form; fields as POST /api/v1/public/complaints's body.
type complaintForm struct {
	Institution string
	Content     string
	Contact     string
	Done        bool
	Ref         string
	Error       string
	Fields      map[string]string
}

func (c *Console) publicComplaintForm(fc *fiber.Ctx) error {
	f := complaintForm{Institution: fc.Query("institution"), Done: fc.Query("done") != "", Ref: fc.Query("ref"), Fields: map[string]string{}}
	return c.renderPublic(fc, "public_complaint", f)
}

// publicComplain files a complaint through oversight's Complain (the service of POST
// /api/v1/public/complaints), limited as the API is.
func (c *Console) publicComplain(fc *fiber.Ctx) error {
	f := complaintForm{Institution: strings.TrimSpace(fc.FormValue("institution")), Content: strings.TrimSpace(fc.FormValue("content")),
		Contact: strings.TrimSpace(fc.FormValue("contact")), Fields: map[string]string{}}
	if f.Institution == "" {
		f.Fields["institution"] = "form.required"
	}
	if f.Content == "" {
		f.Fields["content"] = "form.required"
	}
	if len(f.Fields) == 0 && c.d.Public.Complaints != nil {
		if err := c.d.Public.ComplaintsRL.Check(fc); err != nil {
			f.Error = "error.rate_limited"
			fc.Status(fiber.StatusTooManyRequests)
			return c.renderPublic(fc, "public_complaint", f)
		}
		rec, err := c.d.Public.Complaints.Complain(fc.UserContext(), supervision.ComplaintInput{InstitutionSlug: f.Institution,
			Content: f.Content, Contact: f.Contact})
		if err == nil {
			return fc.Redirect("/complaints?done=1&ref="+rec.Ref.String(), fiber.StatusSeeOther)
		}
		var pe *platform.Error
		switch {
		case isNotFound(err):
			f.Fields["institution"] = "public.complaint.no_institution"
		case errors.Is(err, supervision.ErrNoRegulator):
			f.Error = "public.complaint.no_regulator"
		case errors.As(err, &pe) && len(pe.Fields) > 0:
			for _, fe := range pe.Fields {
				switch fe.Field {
				case "content":
					f.Fields["content"] = "public.complaint.content_invalid"
				case "contact":
					f.Fields["contact"] = "public.complaint.contact_invalid"
				default:
					f.Fields["institution"] = "public.complaint.no_institution"
				}
			}
		default:
			return err
		}
	}
	fc.Status(fiber.StatusUnprocessableEntity)
	return c.renderPublic(fc, "public_complaint", f)
}

// Verification.

// verifyPage is /verify and /verify/{number}: the form, and the evidence once a number is given.
type verifyPage struct {
	Number      string
	Name        string
	Limited     bool
	Missing     bool // a number was given and no certificate has it
	Found       bool
	Valid       bool
	NameChecked bool // a name was given
	NameOK      bool // and it is the holder's
	L           certificates.LookupView
	Ev          *evidence
	// The credential form.
	Cred       string
	CredResult *credential.Result
	CredNumber string // the certificate the checked credential names, linking to its page
	CredError  string
}

// evidence is what the page shows behind a certificate: cached, since for one number and status
// it no longer changes (a batch's publicity and objections are over once it is finalized, a
// revocation is final).
type evidence struct {
	InstitutionSlug string
	Filing          *filings.Filing
	FilingRef       string // province · evaluator code · site serial
	Batch           *batches.BatchEvidence
	PublicityOver   bool
	IssuedAt        *time.Time
	RevokedAt       *time.Time
	RevokeReason    string
	Reissued        bool
	ReplacedBy      string
	SignatureOK     bool
	CredStatus      string
	Reasons         []credential.Reason
}

func (c *Console) publicVerifyForm(fc *fiber.Ctx) error {
	if n := strings.TrimSpace(fc.Query("number")); n != "" {
		target := "/verify/" + url.PathEscape(strings.ToUpper(n))
		if name := strings.TrimSpace(fc.Query("name")); name != "" {
			target += "?name=" + url.QueryEscape(name)
		}
		return fc.Redirect(target, fiber.StatusSeeOther)
	}
	return c.renderPublic(fc, "public_verify", verifyPage{})
}

// publicVerify is the verification page of a number: the live lookup (one primary-key read, as the
// JSON lookup) and the cached evidence.
func (c *Console) publicVerify(fc *fiber.Ctx) error {
	p := verifyPage{Number: strings.Clone(fc.Params("number")), Name: strings.TrimSpace(fc.Query("name"))}
	if err := c.d.Public.Lookups.Check(fc); err != nil {
		p.Limited = true
		fc.Status(fiber.StatusTooManyRequests)
		return c.renderPublic(fc, "public_verify", p)
	}
	ctx := fc.UserContext()
	l, err := c.d.Public.Certificates.LookupNumber(ctx, p.Number, p.Name)
	if isNotFound(err) {
		p.Missing = true
		fc.Status(fiber.StatusNotFound)
		return c.renderPublic(fc, "public_verify", p)
	}
	if err != nil {
		return err
	}
	p.Found, p.Valid, p.L, p.Number = true, l.Valid, certificates.NewLookupView(l), l.Number
	if l.NameMatches != nil {
		p.NameChecked, p.NameOK = true, *l.NameMatches
	}
	if p.Name != "" {
		p.Ev = c.evidenceOrNil(ctx, l)
		return c.renderPublic(fc, "public_verify", p)
	}
	key := l.Number + "|" + strconv.FormatBool(l.Valid) + "|" + requestLanguage(fc).String() + "|" + fc.Path()
	token := c.csrfToken(fc)
	if parts, ok := c.public.pages.get(key, c.d.Now()); ok {
		fc.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		writeWithToken(fc, parts, token)
		return nil
	}
	p.Ev = c.evidenceOrNil(ctx, l)
	return c.executePublic(fc, "public_verify", p, csrfSlot, func(b []byte) {
		parts := bytes.Split(bytes.Clone(b), []byte(csrfSlot))
		if p.Ev != nil { // a page without its evidence (unavailable for now) is not kept
			c.public.pages.put(key, parts, c.d.Now())
		}
		writeWithToken(fc, parts, token)
	})
}

// writeWithToken writes a cached page's parts with the token between them into the response's
// (pooled) body buffer.
func writeWithToken(fc *fiber.Ctx, parts [][]byte, token string) {
	res := fc.Response()
	res.ResetBody()
	for i, part := range parts {
		if i > 0 {
			res.AppendBodyString(token)
		}
		res.AppendBody(part)
	}
}

// evidenceOrNil is the evidence of a certificate, or nil (logged) when it can't be read now: the
// page still shows the live lookup.
func (c *Console) evidenceOrNil(ctx context.Context, l certificates.Lookup) *evidence {
	ev, err := c.evidenceOf(ctx, l.Number, l.Valid)
	if err != nil {
		c.d.Log.WarnContext(ctx, "console: certificate evidence unavailable", "number", l.Number, "err", err)
	}
	return ev
}

// evidenceOf returns the evidence of a certificate from the cache, reading it on a miss.
func (c *Console) evidenceOf(ctx context.Context, number string, valid bool) (*evidence, error) {
	key := number + "|" + strconv.FormatBool(valid)
	if ev, ok := c.public.evidence.get(key, c.d.Now()); ok {
		return ev, nil
	}
	e, err := c.d.Public.Certificates.Evidence(ctx, number)
	if err != nil {
		return nil, err
	}
	ev := &evidence{IssuedAt: e.IssuedAt, RevokedAt: e.RevokedAt, RevokeReason: e.RevokeReason, ReplacedBy: e.ReplacedBy,
		Reissued: e.RevokeReason == certificates.ReasonReissued, SignatureOK: e.SignatureChecked(),
		CredStatus: e.Credential.Status, Reasons: e.Credential.Reasons}
	if e.BatchID != nil {
		be, err := c.d.Public.Batches.PublicBatchEvidence(ctx, e.InstitutionID, *e.BatchID)
		switch {
		case err == nil:
			ev.Batch, ev.PublicityOver = &be, be.PublicityOver(c.d.Now())
			ev.InstitutionSlug = be.Institution.Slug
			if be.Batch.FilingID != nil && c.d.Public.Filings != nil {
				f, err := c.d.Public.Filings.PublicFiling(ctx, e.InstitutionID, *be.Batch.FilingID)
				if err != nil && !isNotFound(err) {
					return nil, err
				}
				if err == nil {
					ev.Filing = &f
					ev.FilingRef = f.ProvinceCode + "-" + f.EvaluatorCode + "-" + f.SiteSerial
				}
			}
		case !isNotFound(err):
			return nil, err
		}
	}
	c.public.evidence.put(key, ev, c.d.Now())
	return ev, nil
}

// maxCredential bounds a pasted or uploaded credential (a signed credential is a few kilobytes).
const maxCredential = 64 << 10

// publicVerifyCredential checks a pasted or uploaded credential with the service of POST
// /api/v1/public/credentials/verify, under the same limit as look-ups.
func (c *Console) publicVerifyCredential(fc *fiber.Ctx) error {
	p := verifyPage{Cred: fc.FormValue("credential")}
	if fh, err := fc.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxCredential {
			p.CredError = "public.verify.cred_too_large"
		} else if f, err := fh.Open(); err == nil {
			b, err := io.ReadAll(io.LimitReader(f, maxCredential))
			_ = f.Close()
			if err == nil {
				p.Cred = string(b)
			}
		}
	}
	raw := []byte(strings.TrimSpace(p.Cred))
	switch {
	case p.CredError != "":
	case len(raw) == 0:
		p.CredError = "public.verify.cred_required"
	case len(raw) > maxCredential:
		p.CredError = "public.verify.cred_too_large"
	case !json.Valid(raw):
		p.CredError = "public.verify.cred_not_json"
	}
	if p.CredError != "" {
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderPublic(fc, "public_verify", p)
	}
	if err := c.d.Public.Lookups.Check(fc); err != nil {
		p.Limited = true
		fc.Status(fiber.StatusTooManyRequests)
		return c.renderPublic(fc, "public_verify", p)
	}
	res := c.d.Public.Certificates.VerifyCredential(fc.UserContext(), raw)
	p.CredResult = &res
	// A credential's id is its verification page (/verify/{number}): link to it.
	var doc struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &doc) == nil {
		if i := strings.LastIndex(doc.ID, "/verify/"); i >= 0 {
			n := doc.ID[i+len("/verify/"):]
			if certificates.ValidNumber(n) {
				p.CredNumber = n
			}
		}
	}
	return c.renderPublic(fc, "public_verify", p)
}

// The caches of the verification page: bounded, with a time to live so that what could still change
// (a filing's validity) shows within minutes.

const (
	evidenceTTL = 5 * time.Minute
	evidenceMax = 10_000
	// pageMax bounds the rendered pages kept (about 10 KB each).
	pageMax = 2_000
)

type ttlCache[V any] struct {
	mu  sync.RWMutex
	m   map[string]ttlEntry[V]
	ttl time.Duration
	max int
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{m: map[string]ttlEntry[V]{}, ttl: ttl, max: max}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(key string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Full: drop the expired entries, or everything if none has expired (a cache refills).
		for k, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[key] = ttlEntry[V]{v: v, expires: now.Add(c.ttl)}
}
