package certificates

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Handler serves the certificates API, the public verification endpoints and pages.
type Handler struct {
	svc   *Service
	limit *ratelimit.Limiter // public look-ups; nil or a zero limit: unlimited
	log   *slog.Logger
}

// NewHandler returns the HTTP handler of svc; limit guards the public look-ups against enumeration.
func NewHandler(svc *Service, limit *ratelimit.Limiter, log *slog.Logger) *Handler {
	if limit == nil {
		limit = ratelimit.New(nil, "off", 0, time.Minute, log)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Handler{svc: svc, limit: limit, log: log}
}

type revokeRequest struct {
	Reason string `json:"reason" required:"true" maxLength:"500"`
}

type reissueRequest struct {
	HolderName string  `json:"holder_name,omitempty"`
	IDType     string  `json:"id_type,omitempty"`
	IDNumber   string  `json:"id_number,omitempty"`
	Subtype    *string `json:"subtype,omitempty"`
	Post       string  `json:"post,omitempty"`
}

type postRequest struct {
	CertificateID uuid.UUID `json:"certificate_id" required:"true" description:"the issued skill level certificate of the same passed application"`
	Post          string    `json:"post" required:"true"`
	Title         string    `json:"title,omitempty"`
}

// ListQuery is the query of GET /certificates (sorts and filters), which the console's list reads too.
var ListQuery = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{
	{Name: "batch_id", Description: "only the certificates of this batch", Format: "uuid"},
	listStatusFilter,
}}

// myCertificatesList is the query of GET /me/certificates.
var myCertificatesList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{statusFilter}}

var statusFilter = httpx.Filter{Name: "status", Description: "only certificates in this status",
	Enum: []string{string(StatusPending), string(StatusIssued), string(StatusRevoked)}}

// listStatusFilter is the status filter of GET /certificates, which also takes "failed": pending
// certificates whose last issuance attempt failed.
var listStatusFilter = httpx.Filter{Name: "status", Description: "only certificates in this status (failed: pending after a failed attempt)",
	Enum: []string{string(StatusPending), string(StatusIssued), string(StatusRevoked), FilterFailed}}

// Routes mounts the API operations under /api/v1.
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "certificates"
	r.Get("/certificates", httpx.Op{Summary: "List certificates (?batch_id=, ?status=; sort created_at)", Tag: tag,
		Permission: PermCertificateList, List: ListQuery, Response: new(platform.Page[CertificateView])}, h.list)
	r.Get("/certificates/settings", httpx.Op{Summary: "Post certificate settings (一岗双证)", Tag: tag,
		Permission: PermCertificateList, Response: new(SettingsView)}, h.getSettings)
	r.Put("/certificates/settings", httpx.Op{Summary: "Set the post certificate prefix and title (enterprises)", Tag: tag,
		Permission: PermCertificateConfigure, Request: new(SettingsView), Response: new(SettingsView)}, h.putSettings)
	r.Get("/certificates/keys", httpx.Op{Summary: "The institution's signing keys", Tag: tag,
		Permission: PermCertificateList, Response: new([]KeyView)}, h.keys)
	r.Post("/certificates/keys/rotate", httpx.Op{Summary: "Rotate the signing key (old keys keep verifying)", Tag: tag,
		Permission: PermCertificateRotateKey, Response: new(KeyView), Status: fiber.StatusCreated}, h.rotate)
	r.Get("/certificates/:id", httpx.Op{Summary: "A certificate", Tag: tag,
		Permission: PermCertificateRead, Response: new(CertificateView)}, h.get)
	r.Get("/certificates/:id/pdf", httpx.Op{Summary: "The certificate as a one-page A4 PDF", Tag: tag,
		Permission: PermCertificateRead, Produces: "application/pdf"}, h.pdf)
	r.Get("/certificates/:id/credential", httpx.Op{Summary: "The signed Open Badges 3.0 verifiable credential", Tag: tag,
		Permission: PermCertificateRead, Produces: "application/json"}, h.credential)
	r.Post("/certificates/:id/revoke", httpx.Op{Summary: "Revoke an issued certificate", Tag: tag,
		Permission: PermCertificateRevoke, Request: new(revokeRequest), Response: new(CertificateView)}, h.revoke)
	r.Post("/certificates/:id/reissue", httpx.Op{Summary: "Reissue with corrected holder data (new number; old revoked as reissued)", Tag: tag,
		Permission: PermCertificateReissue, Request: new(reissueRequest), Response: new(CertificateView), Status: fiber.StatusCreated}, h.reissue)
	r.Post("/post-certificates", httpx.Op{Summary: "Issue the enterprise's own post certificate (一岗双证)", Tag: tag,
		Permission: PermCertificateIssuePost, Request: new(postRequest), Response: new(CertificateView), Status: fiber.StatusCreated}, h.issuePost)
	r.Get("/batches/:id/certificates.zip", httpx.Op{Summary: "A batch's certificate PDFs as one ZIP (streamed)", Tag: tag,
		Permission: PermCertificateExport, Produces: "application/zip"}, h.zip)
	r.Get("/batches/:id/certificates/progress", httpx.Op{Summary: "Issuance progress of a batch's certificates (counts, failures with reasons)", Tag: tag,
		Permission: PermCertificateList, Response: new(ProgressView)}, h.progress)
	r.Get("/me/certificates", httpx.Op{Summary: "The calling candidate's own certificates", Tag: tag,
		Permission: PermCertificateListOwn, List: myCertificatesList, Response: new(platform.Page[CertificateView])}, h.mine)
	r.Get("/me/certificates/:id/pdf", httpx.Op{Summary: "One of the calling candidate's certificates as PDF", Tag: tag,
		Permission: PermCertificateListOwn, Produces: "application/pdf"}, h.myPDF)
	r.Get("/me/certificates/:id/credential", httpx.Op{Summary: "One of the calling candidate's signed credentials", Tag: tag,
		Permission: PermCertificateListOwn, Produces: "application/json"}, h.myCredential)

	r.Get("/public/certificates/:number", httpx.Op{Summary: "Verify a certificate number (?name= confirms the holder); rate-limited", Tag: tag,
		Access: httpx.Public, Response: new(LookupView)}, h.limit.Wrap(h.lookup))
	r.Post("/public/credentials/verify", httpx.Op{Summary: "Verify a signed credential: proof, issuer key and status list; rate-limited", Tag: tag,
		Access: httpx.Public, Request: new(map[string]any), Response: new(credential.Result)}, h.limit.Wrap(h.verify))
	r.Get("/public/status-lists/:id", httpx.Op{Summary: "An institution's signed revocation status list (Bitstring Status List)", Tag: tag,
		Access: httpx.Public, Produces: "application/json"}, h.statusList)
}

// Pages mounts the public non-API documents on the app: the JWKS and the issuer ids
// (page_issuer.go). The verification page (/verify/{number}) is the web console's, in its design, over
// the same service and limiter (modules/console/page_public.go).
func (h *Handler) Pages(app fiber.Router) {
	app.Get("/.well-known/skillcert/keys", h.jwks)
	h.issuerPages(app)
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := ListQuery.Parse(c)
	if err != nil {
		return err
	}
	f, err := ParseListFilter(c.Query("status"), c.Query("batch_id"))
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(p, NewCertificateView))
}

func (h *Handler) mine(c *fiber.Ctx) error {
	req, err := myCertificatesList.Parse(c)
	if err != nil {
		return err
	}
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Mine(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(p, NewCertificateView))
}

// listFilter reads the ?status= both certificate lists take.
func listFilter(c *fiber.Ctx) (ListFilter, error) {
	st, err := ParseStatus(c.Query("status"))
	return ListFilter{Status: st}, err
}

// ParseListFilter reads the filters of GET /certificates: ?status= and ?batch_id= (400 when either
// is malformed).
func ParseListFilter(status, batchID string) (ListFilter, error) {
	var f ListFilter
	if status == FilterFailed {
		f.Status, f.Failed = StatusPending, true
	} else {
		st, err := ParseStatus(status)
		if err != nil {
			return ListFilter{}, err
		}
		f.Status = st
	}
	if batchID != "" {
		id, err := uuid.Parse(batchID)
		if err != nil {
			return ListFilter{}, badParam("batch_id", "must be a UUID")
		}
		f.BatchID = &id
	}
	return f, nil
}

func badParam(field, msg string) error {
	return &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: field + " " + msg,
		Fields: []platform.FieldError{{Field: field, Code: "invalid", Message: msg}}}
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cert, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewCertificateView(cert))
}

func (h *Handler) pdf(c *fiber.Ctx) error {
	return h.sendDocument(c, h.svc.PDF, "application/pdf", ".pdf")
}

func (h *Handler) credential(c *fiber.Ctx) error {
	return h.sendDocument(c, h.svc.Credential, fiber.MIMEApplicationJSONCharsetUTF8, ".json")
}

func (h *Handler) myPDF(c *fiber.Ctx) error {
	return h.sendDocument(c, h.svc.MyPDF, "application/pdf", ".pdf")
}

func (h *Handler) myCredential(c *fiber.Ctx) error {
	return h.sendDocument(c, h.svc.MyCredential, fiber.MIMEApplicationJSONCharsetUTF8, ".json")
}

func (h *Handler) sendDocument(c *fiber.Ctx, get func(context.Context, uuid.UUID) ([]byte, Certificate, error), contentType, ext string) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	b, cert, err := get(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+cert.Number+ext+`"`)
	return c.Send(b)
}

func (h *Handler) revoke(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req revokeRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	cert, err := h.svc.Revoke(c.UserContext(), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(NewCertificateView(cert))
}

func (h *Handler) reissue(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req reissueRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	cert, err := h.svc.Reissue(c.UserContext(), id, Correction(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewCertificateView(cert))
}

func (h *Handler) issuePost(c *fiber.Ctx) error {
	var req postRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	cert, err := h.svc.IssuePost(c.UserContext(), NewPostCertificate(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewCertificateView(cert))
}

func (h *Handler) getSettings(c *fiber.Ctx) error {
	s, err := h.svc.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(NewSettingsView(s))
}

func (h *Handler) putSettings(c *fiber.Ctx) error {
	var req SettingsView
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.SetSettings(c.UserContext(), req.Settings())
	if err != nil {
		return err
	}
	return c.JSON(NewSettingsView(s))
}

func (h *Handler) keys(c *fiber.Ctx) error {
	keys, err := h.svc.Keys(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]KeyView, len(keys))
	for i, k := range keys {
		out[i] = NewKeyView(k)
	}
	return c.JSON(out)
}

func (h *Handler) rotate(c *fiber.Ctx) error {
	k, err := h.svc.RotateKey(c.UserContext())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewKeyView(k))
}

func (h *Handler) zip(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext() // a context value, safe to keep after the handler returns
	entries, err := h.svc.BatchCertificates(ctx, id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+`-certificates.zip"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := h.svc.WriteBatchZIP(ctx, w, entries); err != nil {
			h.log.WarnContext(ctx, "certificates: batch ZIP download interrupted", "batch_id", id, "err", err)
		}
	})
	return nil
}

func (h *Handler) progress(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	p, err := h.svc.BatchProgress(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewProgressView(p))
}

func (h *Handler) lookup(c *fiber.Ctx) error {
	l, err := h.svc.LookupNumber(c.UserContext(), c.Params("number"), c.Query("name"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(NewLookupView(l))
}

func (h *Handler) verify(c *fiber.Ctx) error {
	body := c.Body()
	if !json.Valid(body) {
		return platform.E(platform.KindInvalid, "malformed_json", "the body must be a credential (JSON)")
	}
	res := h.svc.VerifyCredential(c.UserContext(), append([]byte(nil), body...))
	if res.Reasons == nil {
		res.Reasons = []credential.Reason{}
	}
	return c.JSON(res)
}

func (h *Handler) statusList(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	b, err := h.svc.StatusList(c.UserContext(), id)
	if err != nil {
		return err
	}
	// Revocations must show at once: caches revalidate every time.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

func (h *Handler) jwks(c *fiber.Ctx) error {
	set, err := h.svc.JWKS(c.UserContext())
	if err != nil {
		return err
	}
	// New keys appear on rotation; a short cache keeps verifiers current.
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return c.Send(b)
}
