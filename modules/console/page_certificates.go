package console

import (
	"bufio"
	"context"
	"errors"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/certificates"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// Certificates is what the 证书 pages need of the certificates module (certificates.Service).
type Certificates interface {
	List(ctx context.Context, req platform.PageRequest, f certificates.ListFilter) (platform.Page[certificates.Certificate], error)
	Get(ctx context.Context, id uuid.UUID) (certificates.Certificate, error)
	PDF(ctx context.Context, id uuid.UUID) ([]byte, certificates.Certificate, error)
	Credential(ctx context.Context, id uuid.UUID) ([]byte, certificates.Certificate, error)
	BatchCertificates(ctx context.Context, batchID uuid.UUID) ([]certificates.BatchEntry, error)
	WriteBatchZIP(ctx context.Context, w *bufio.Writer, entries []certificates.BatchEntry) error
	BatchProgress(ctx context.Context, batchID uuid.UUID) (certificates.Progress, error)
	Revoke(ctx context.Context, id uuid.UUID, reason string) (certificates.Certificate, error)
	Reissue(ctx context.Context, id uuid.UUID, fix certificates.Correction) (certificates.Certificate, error)
	IssuePost(ctx context.Context, in certificates.NewPostCertificate) (certificates.Certificate, error)
	Settings(ctx context.Context) (certificates.Settings, error)
	SetSettings(ctx context.Context, in certificates.Settings) (certificates.Settings, error)
	Keys(ctx context.Context) ([]certificates.KeyInfo, error)
	RotateKey(ctx context.Context) (certificates.KeyInfo, error)
	PublicURL() string
}

var _ Certificates = (*certificates.Service)(nil)

// CertificateBatches names the batches certificates belong to (batches.Service): the batch filter of
// the list and the title on a certificate and on the issuance progress page.
type CertificateBatches interface {
	Get(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	List(ctx context.Context, req platform.PageRequest, f batches.BatchFilter) (platform.Page[batches.Batch], error)
}

var _ CertificateBatches = (*batches.Service)(nil)

// certificatePages registers the pages of 证书: certificates, batch ZIPs, revocation, reissue, settings and keys.
// Static paths come before /certificates/:id so that they are not read as an id.
func (c *Console) certificatePages(r *router) {
	r.get("/certificates", access{Permission: certificates.PermCertificateList}, c.certificatesPage)
	r.get("/certificates/settings", access{Permission: certificates.PermCertificateList}, c.certificateSettingsPage)
	r.post("/certificates/settings", access{Permission: certificates.PermCertificateConfigure}, c.saveCertificateSettings)
	r.get("/certificates/keys", access{Permission: certificates.PermCertificateList}, c.certificateKeysPage)
	r.post("/certificates/keys/rotate", access{Permission: certificates.PermCertificateRotateKey}, c.rotateCertificateKey)
	r.get("/certificates/batches/:id", access{Permission: certificates.PermCertificateList}, c.certificateProgressPage)
	r.get("/certificates/batches/:id/progress", access{Permission: certificates.PermCertificateList}, c.certificateProgress)
	r.get("/certificates/batches/:id/certificates.zip", access{Permission: certificates.PermCertificateExport}, c.certificatesZIP)
	r.post("/post-certificates", access{Permission: certificates.PermCertificateIssuePost}, c.issuePostCertificate)
	r.get("/certificates/:id", access{Permission: certificates.PermCertificateRead}, c.certificatePage)
	r.get("/certificates/:id/pdf", access{Permission: certificates.PermCertificateRead}, c.certificatePDF)
	r.get("/certificates/:id/credential", access{Permission: certificates.PermCertificateRead}, c.certificateCredential)
	r.post("/certificates/:id/revoke", access{Permission: certificates.PermCertificateRevoke}, c.revokeCertificate)
	r.post("/certificates/:id/reissue", access{Permission: certificates.PermCertificateReissue}, c.reissueCertificate)
}

// certRow is one certificate as the pages show it: the API's view plus the message ids of its state
// and level.
type certRow struct {
	certificates.CertificateView
	StatusKey string // certs.status.*: pending, issued, revoked, or failed (pending after a failed attempt)
	LevelKey  string // certs.level.*
	IDTypeKey string // certs.id_type.*, "" for a code we have no name for (shown as stored)
	State     string // pending, issued, revoked or failed, for the status badge's class
	// NumberText and IssuedOnText are the number and issue date, "" while pending.
	NumberText, IssuedOnText string
	IssuedDay                time.Time // the issue date, for the locale's date format (zero while pending)
}

func newCertRow(cert certificates.Certificate) certRow {
	r := certRow{CertificateView: certificates.NewCertificateView(cert), StatusKey: certStatusKey(cert),
		LevelKey: certLevelKey(cert.Level), IDTypeKey: idTypeKey(cert.IDType), NumberText: cert.Number}
	r.State = strings.TrimPrefix(r.StatusKey, "certs.status.")
	if cert.IssuedOn != nil {
		r.IssuedOnText, r.IssuedDay = cert.IssuedOn.Format("2006-01-02"), *cert.IssuedOn
	}
	return r
}

// certStatusKey names a certificate's state; a pending certificate whose last attempt failed is
// "failed" (it waits for a retry).
func certStatusKey(cert certificates.Certificate) string {
	key := "certs.status.pending"
	switch {
	case cert.Status == certificates.StatusIssued:
		key = "certs.status.issued"
	case cert.Status == certificates.StatusRevoked:
		key = "certs.status.revoked"
	case cert.LastError != "":
		key = "certs.status.failed"
	}
	return key
}

// certLevelKey names a level (五级/初级工 … 一级/高级技师).
func certLevelKey(level int) string {
	key := "certs.level.unknown"
	switch level {
	case 5:
		key = "certs.level.5"
	case 4:
		key = "certs.level.4"
	case 3:
		key = "certs.level.3"
	case 2:
		key = "certs.level.2"
	case 1:
		key = "certs.level.1"
	}
	return key
}

// idTypes are the ID types a reissue may correct to, in the order of the form's choice.
var idTypes = []string{"resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident"}

// idTypeKey names an ID type; "" for a code without a name (an institution's own wording).
func idTypeKey(code string) string {
	key := ""
	switch code {
	case "resident_id":
		key = "certs.id_type.resident_id"
	case "passport":
		key = "certs.id_type.passport"
	case "hk_macao_permit":
		key = "certs.id_type.hk_macao_permit"
	case "taiwan_permit":
		key = "certs.id_type.taiwan_permit"
	case "foreign_permanent_resident":
		key = "certs.id_type.foreign_permanent_resident"
	}
	return key
}

// batchOption is one batch of the list's batch filter.
type batchOption struct {
	ID, Title string
}

// certificatesPage is the list of the institution's certificates.
type certificatesPage struct {
	Items     []certRow
	List      listView
	Status    string
	BatchID   string
	Batch     string // the filtered batch's title
	Batches   []batchOption
	Statuses  []string
	CanExport bool // the batch ZIP
}

// certificateColumns are the columns of the certificates export.
func certificateColumns(l *loc) []column[certificates.Certificate] {
	return []column[certificates.Certificate]{
		{Key: "certs.number", Cell: func(c certificates.Certificate) any { return c.Number }},
		{Key: "certs.holder_name", Cell: func(c certificates.Certificate) any { return c.HolderName }},
		{Key: "certs.id_number", Cell: func(c certificates.Certificate) any { return c.IDNumber }},
		{Key: "certs.occupation", Cell: func(c certificates.Certificate) any { return c.OccupationName }},
		{Key: "certs.occupation_code", Cell: func(c certificates.Certificate) any { return c.OccupationCode }},
		{Key: "certs.level", Cell: func(c certificates.Certificate) any { return l.T(certLevelKey(c.Level)) }},
		{Key: "certs.status", Cell: func(c certificates.Certificate) any { return l.T(certStatusKey(c)) }},
		{Key: "certs.issued_on", Cell: func(c certificates.Certificate) any {
			if c.IssuedOn == nil {
				return ""
			}
			return c.IssuedOn.Format("2006-01-02")
		}},
		{Key: "certs.revoke_reason", Cell: func(c certificates.Certificate) any { return c.RevokeReason }},
	}
}

func (c *Console) certificatesPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, certificates.ListQuery)
	if err != nil {
		return err
	}
	f, err := certificates.ParseListFilter(fc.Query("status"), fc.Query("batch_id"))
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[certificates.Certificate], error) {
		return c.d.Certificates.List(ctx, req, f)
	}
	if lv.Exporting() {
		return exportXLSX(fc, c.loc(fc), "certificates", certificateColumns(c.loc(fc)), req, fetch)
	}
	page, err := fetch(ctx, req)
	if err != nil {
		return err
	}
	p := certificatesPage{List: lv.WithNext(page.NextCursor), Status: string(f.Status),
		Statuses:  []string{string(certificates.StatusPending), string(certificates.StatusIssued), string(certificates.StatusRevoked), certificates.FilterFailed},
		CanExport: c.d.Authorizer.Can(ctx, certificates.PermCertificateExport)}
	for _, cert := range page.Items {
		p.Items = append(p.Items, newCertRow(cert))
	}
	p.Batches = c.finalizedBatches(ctx)
	if f.BatchID != nil {
		p.BatchID = f.BatchID.String()
		p.Batch = c.batchTitle(fc, *f.BatchID)
		found := false
		for _, b := range p.Batches {
			found = found || b.ID == p.BatchID
		}
		if !found {
			p.Batches = append(p.Batches, batchOption{ID: p.BatchID, Title: p.Batch})
		}
	}
	return c.render(fc, "certificates", p)
}

// finalizedBatches are the batch filter's choices: the latest finalized batches (those that have
// certificates). Without the batches service, or when it fails, the filter offers none.
func (c *Console) finalizedBatches(ctx context.Context) []batchOption {
	if c.d.CertificateBatches == nil {
		return nil
	}
	page, err := c.d.CertificateBatches.List(ctx, platform.PageRequest{Limit: 100, Sort: batches.SortCreatedAt, Desc: true},
		batches.BatchFilter{Status: batches.StatusFinalized})
	if err != nil {
		c.d.Log.WarnContext(ctx, "console: listing batches for the certificates filter", "err", err)
		return nil
	}
	out := make([]batchOption, len(page.Items))
	for i, b := range page.Items {
		out[i] = batchOption{ID: b.ID.String(), Title: b.Title}
	}
	return out
}

// batchTitle is a batch's title, or "批次 <first 8 characters of its id>" when it can't be read.
func (c *Console) batchTitle(fc *fiber.Ctx, id uuid.UUID) string {
	if c.d.CertificateBatches != nil {
		if b, err := c.d.CertificateBatches.Get(fc.UserContext(), id); err == nil {
			return b.Title
		}
	}
	return c.loc(fc).Tf("certs.batch_unnamed", "ID", id.String()[:8])
}

// certificatePage is one certificate with what may be done to it.
type certificatePage struct {
	Cert         certRow
	BatchTitle   string
	VerifyURL    string
	QR           template.HTML
	CanPDF       bool // issued or revoked: the documents exist
	CanRevoke    bool
	CanReissue   bool
	CanIssuePost bool
	IDTypes      []string
	FailureKey   string // what a failed issuance's recorded reason means (certs.failure.*), or ""
	Revoke       revokeForm
	Reissue      reissueForm
	Post         postForm
	Done         string // message id of what was just done
}

// revokeForm mirrors POST /api/v1/certificates/{id}/revoke.
type revokeForm struct {
	Reason string
	Fields map[string]string
	Error  string
}

// reissueForm mirrors POST /api/v1/certificates/{id}/reissue; it starts with the certificate's data
// and only changed fields are sent to the service.
type reissueForm struct {
	HolderName, IDType, IDNumber, Subtype, Post string
	Fields                                      map[string]string
	Error                                       string
}

// postForm mirrors POST /api/v1/post-certificates.
type postForm struct {
	Post, Title string
	Fields      map[string]string
	Error       string
}

func (c *Console) certificatePage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	done := ""
	switch fc.Query("done") {
	case "revoked":
		done = "certs.done.revoked"
	case "reissued":
		done = "certs.done.reissued"
	case "post":
		done = "certs.done.post"
	}
	return c.renderCertificate(fc, id, func(p *certificatePage) { p.Done = done })
}

// renderCertificate shows a certificate; edit adjusts the page (a form's errors and typed values).
func (c *Console) renderCertificate(fc *fiber.Ctx, id uuid.UUID, edit func(*certificatePage)) error {
	ctx := fc.UserContext()
	cert, err := c.d.Certificates.Get(ctx, id)
	if err != nil {
		return err
	}
	issued := cert.Status == certificates.StatusIssued
	p := certificatePage{Cert: newCertRow(cert), IDTypes: idTypes,
		CanPDF:     cert.Status != certificates.StatusPending,
		CanRevoke:  issued && c.d.Authorizer.Can(ctx, certificates.PermCertificateRevoke),
		CanReissue: issued && c.d.Authorizer.Can(ctx, certificates.PermCertificateReissue),
		CanIssuePost: issued && cert.Kind == certificates.KindSkillLevel && actorKind(ctx) == tenants.KindEnterprise &&
			c.d.Authorizer.Can(ctx, certificates.PermCertificateIssuePost),
		FailureKey: failureKey(cert.LastError),
		Reissue:    reissueForm{HolderName: cert.HolderName, IDType: cert.IDType, IDNumber: cert.IDNumber, Subtype: cert.Subtype, Post: cert.Post},
	}
	if cert.BatchID != nil {
		p.BatchTitle = c.batchTitle(fc, *cert.BatchID)
	}
	if cert.Number != "" {
		p.VerifyURL = c.d.Certificates.PublicURL() + "/verify/" + url.PathEscape(cert.Number)
		if svg, err := render.QRSVG(p.VerifyURL); err == nil {
			p.QR = template.HTML(svg) // numbers only, built by render.QRSVG
		}
	}
	if edit != nil {
		edit(&p)
	}
	return c.render(fc, "certificates_show", p)
}

func actorKind(ctx context.Context) tenants.Kind {
	s, _ := tenants.FromContext(ctx)
	return s.Kind
}

// formError reads a service's refusal of a form: field errors as message ids by field, or a
// form-level message id. ok is false for errors that are not the user's to fix (shown as an error
// page).
func formError(err error) (fields map[string]string, form string, status int, ok bool) {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
		pe.Kind == platform.KindNotFound || pe.Kind == platform.KindForbidden || pe.Kind == platform.KindUnauthenticated {
		return nil, "", 0, false
	}
	fields = map[string]string{}
	for _, f := range pe.Fields {
		fields[f.Field] = certFieldMessage(f.Code)
	}
	if len(pe.Fields) == 0 {
		form = certFormMessage(pe.Code)
	}
	return fields, form, httpx.ProblemFor(err).Status, true
}

// certFieldMessage is the message id of a field error code of the certificates forms.
func certFieldMessage(code string) string {
	key := fieldMessage(code)
	switch code {
	case "reserved":
		key = "certs.field.reserved"
	case "not_applicable":
		key = "certs.field.not_applicable"
	}
	return key
}

// certFormMessage is the message id of a form-level refusal by its code.
func certFormMessage(code string) string {
	key := "certs.error.generic"
	switch code {
	case "invalid_state":
		key = "certs.error.invalid_state"
	case "duplicate":
		key = "certs.error.duplicate"
	case "not_enterprise":
		key = "certs.error.not_enterprise"
	case "out_of_scope":
		key = "certs.error.out_of_scope"
	case "serial_exhausted":
		key = "certs.error.serial_exhausted"
	}
	return key
}

func (c *Console) revokeCertificate(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	form := revokeForm{Reason: strings.TrimSpace(fc.FormValue("reason"))}
	if _, err := c.d.Certificates.Revoke(fc.UserContext(), id, form.Reason); err != nil {
		fields, msg, status, ok := formError(err)
		if !ok {
			return err
		}
		form.Fields, form.Error = fields, msg
		fc.Status(status)
		return c.renderCertificate(fc, id, func(p *certificatePage) { p.Revoke = form })
	}
	return fc.Redirect("/certificates/"+id.String()+"?done=revoked", fiber.StatusSeeOther)
}

func (c *Console) reissueCertificate(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext()
	old, err := c.d.Certificates.Get(ctx, id)
	if err != nil {
		return err
	}
	form := reissueForm{HolderName: strings.TrimSpace(fc.FormValue("holder_name")), IDType: strings.TrimSpace(fc.FormValue("id_type")),
		IDNumber: strings.TrimSpace(fc.FormValue("id_number")), Subtype: strings.TrimSpace(fc.FormValue("subtype")),
		Post: strings.TrimSpace(fc.FormValue("post"))}
	// The form starts with the certificate's data: only what was changed is a correction (an empty
	// correction is refused by the service as "nothing to correct").
	var fix certificates.Correction
	if form.HolderName != old.HolderName {
		fix.HolderName = form.HolderName
	}
	if form.IDType != old.IDType {
		fix.IDType = form.IDType
	}
	if form.IDNumber != old.IDNumber {
		fix.IDNumber = form.IDNumber
	}
	if form.Subtype != old.Subtype {
		st := form.Subtype
		fix.Subtype = &st
	}
	if old.Kind == certificates.KindPost && form.Post != old.Post {
		fix.Post = form.Post
	}
	fields := map[string]string{}
	// A cleared field would keep its old value silently: say it is required instead.
	for name, v := range map[string]string{"holder_name": form.HolderName, "id_type": form.IDType, "id_number": form.IDNumber} {
		if v == "" {
			fields[name] = "field.required"
		}
	}
	if old.Kind == certificates.KindPost && form.Post == "" {
		fields["post"] = "field.required"
	}
	var fresh certificates.Certificate
	if len(fields) == 0 {
		fresh, err = c.d.Certificates.Reissue(ctx, id, fix)
		if err == nil {
			return fc.Redirect("/certificates/"+fresh.ID.String()+"?done=reissued", fiber.StatusSeeOther)
		}
		var msg string
		var status int
		var ok bool
		if fields, msg, status, ok = formError(err); !ok {
			return err
		}
		if fix == (certificates.Correction{}) && fields["holder_name"] == "field.required" {
			fields = map[string]string{}
			msg = "certs.reissue_unchanged"
		}
		form.Error = msg
		fc.Status(status)
	} else {
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	form.Fields = fields
	return c.renderCertificate(fc, id, func(p *certificatePage) { p.Reissue = form })
}

func (c *Console) issuePostCertificate(fc *fiber.Ctx) error {
	id, err := uuid.Parse(fc.FormValue("certificate_id"))
	if err != nil {
		return platform.NotFound("certificate")
	}
	form := postForm{Post: strings.TrimSpace(fc.FormValue("post")), Title: strings.TrimSpace(fc.FormValue("title"))}
	cert, err := c.d.Certificates.IssuePost(fc.UserContext(), certificates.NewPostCertificate{CertificateID: id, Post: form.Post, Title: form.Title})
	if err != nil {
		fields, msg, status, ok := formError(err)
		if !ok {
			return err
		}
		form.Fields, form.Error = fields, msg
		fc.Status(status)
		return c.renderCertificate(fc, id, func(p *certificatePage) { p.Post = form })
	}
	return fc.Redirect("/certificates/"+cert.ID.String()+"?done=post", fiber.StatusSeeOther)
}

// sendCertificateDocument sends a certificate's PDF or credential with a filename people recognise
// (number and holder, e.g. "Y000011000001264000001-张伟.pdf") as RFC 6266 filename* in UTF-8, and the
// ASCII number alone as filename for clients that don't read filename*.
func sendCertificateDocument(fc *fiber.Ctx, b []byte, cert certificates.Certificate, contentType, ext, disposition string) error {
	ascii := cert.Number + ext
	full := cert.Number + "-" + cert.HolderName + ext
	fc.Set(fiber.HeaderContentType, contentType)
	fc.Set(fiber.HeaderContentDisposition, disposition+`; filename="`+ascii+`"; filename*=UTF-8''`+url.PathEscape(full))
	return fc.Send(b)
}

func (c *Console) certificatePDF(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	b, cert, err := c.d.Certificates.PDF(fc.UserContext(), id)
	if err != nil {
		return err
	}
	return sendCertificateDocument(fc, b, cert, "application/pdf", ".pdf", "inline")
}

func (c *Console) certificateCredential(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	b, cert, err := c.d.Certificates.Credential(fc.UserContext(), id)
	if err != nil {
		return err
	}
	return sendCertificateDocument(fc, b, cert, "application/json", ".json", "attachment")
}

// certificatesZIP streams a batch's PDFs as one ZIP, as GET /api/v1/batches/{id}/certificates.zip
// does, named after the batch's title.
func (c *Console) certificatesZIP(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext() // a context value, safe to keep after the handler returns
	entries, err := c.d.Certificates.BatchCertificates(ctx, id)
	if err != nil {
		return err
	}
	name := c.loc(fc).Tf("certs.zip_name", "Batch", c.batchTitle(fc, id)) + ".zip"
	fc.Set(fiber.HeaderContentType, "application/zip")
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+`-certificates.zip"; filename*=UTF-8''`+url.PathEscape(name))
	log := c.d.Log
	fc.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := c.d.Certificates.WriteBatchZIP(ctx, w, entries); err != nil {
			log.WarnContext(ctx, "console: batch ZIP download interrupted", "batch_id", id, "err", err)
		}
	})
	return nil
}

// progressPage is a batch's issuance: counts, a bar, failures with their reasons.
type progressPage struct {
	BatchID    string
	BatchTitle string
	P          certificates.ProgressView
	Failures   []failureRow
	Percent    int
	CanExport  bool // the ZIP link, hidden until a certificate is issued
}

// failureRow is a certificate that failed to issue, with what its recorded reason means to a clerk.
type failureRow struct {
	certificates.FailureView
	ReasonKey string // certs.failure.*, "" when the code has no explanation (the recorded text is shown)
}

// failureKey explains a recorded issuance failure ("code: detail") by its code.
func failureKey(reason string) string {
	code, _, _ := strings.Cut(reason, ":")
	key := ""
	switch code {
	case "out_of_scope":
		key = "certs.failure.out_of_scope"
	case "missing_glyphs":
		key = "certs.failure.missing_glyphs"
	case "renderer_unavailable", "cjk_font_not_found", "cjk_font_unusable":
		key = "certs.failure.no_font"
	case "qr_failed":
		key = "certs.failure.qr_failed"
	}
	return key
}

func (c *Console) certificateProgressPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext()
	p, err := c.d.Certificates.BatchProgress(ctx, id)
	if err != nil {
		return err
	}
	v := certificates.NewProgressView(p)
	page := progressPage{BatchID: id.String(), BatchTitle: c.batchTitle(fc, id), P: v,
		CanExport: c.d.Authorizer.Can(ctx, certificates.PermCertificateExport)}
	if v.Total > 0 {
		page.Percent = v.Issued * 100 / v.Total
	}
	for _, f := range v.Failures {
		page.Failures = append(page.Failures, failureRow{FailureView: f, ReasonKey: failureKey(f.Reason)})
	}
	return c.render(fc, "certificates_progress", page)
}

// certificateProgress is the progress page's live update: the API's progress view as JSON, polled
// by app.js every 2 s while certificates are pending.
func (c *Console) certificateProgress(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	p, err := c.d.Certificates.BatchProgress(fc.UserContext(), id)
	if err != nil {
		return err
	}
	return fc.JSON(certificates.NewProgressView(p))
}

// settingsPage is the post certificate settings (一岗双证) of an enterprise.
type settingsPage struct {
	Enterprise   bool
	CanConfigure bool
	PostPrefix   string
	PostTitle    string
	Fields       map[string]string
	Error        string
	Saved        bool
}

func (c *Console) certificateSettingsPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	s, err := c.d.Certificates.Settings(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "certificates_settings", settingsPage{Enterprise: actorKind(ctx) == tenants.KindEnterprise,
		CanConfigure: c.d.Authorizer.Can(ctx, certificates.PermCertificateConfigure), PostPrefix: s.PostPrefix, PostTitle: s.PostTitle,
		Saved: fc.Query("saved") != ""})
}

func (c *Console) saveCertificateSettings(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	in := certificates.Settings{PostPrefix: strings.ToUpper(strings.TrimSpace(fc.FormValue("post_prefix"))),
		PostTitle: strings.TrimSpace(fc.FormValue("post_title"))}
	if _, err := c.d.Certificates.SetSettings(ctx, in); err != nil {
		fields, msg, status, ok := formError(err)
		if !ok {
			return err
		}
		fc.Status(status)
		if fields["post_prefix"] == "field.invalid" {
			fields["post_prefix"] = "certs.settings.prefix_invalid"
		}
		if msg == "certs.error.duplicate" {
			fields["post_prefix"], msg = "certs.settings.prefix_taken", ""
		}
		return c.render(fc, "certificates_settings", settingsPage{Enterprise: actorKind(ctx) == tenants.KindEnterprise, CanConfigure: true,
			PostPrefix: in.PostPrefix, PostTitle: in.PostTitle, Fields: fields, Error: msg})
	}
	return fc.Redirect("/certificates/settings?saved=1", fiber.StatusSeeOther)
}

// keysPage lists the institution's signing keys.
type keysPage struct {
	Keys      []certificates.KeyView
	CanRotate bool
	Rotated   string // kid of a key just made
}

func (c *Console) certificateKeysPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	keys, err := c.d.Certificates.Keys(ctx)
	if err != nil {
		return err
	}
	p := keysPage{CanRotate: c.d.Authorizer.Can(ctx, certificates.PermCertificateRotateKey), Rotated: fc.Query("rotated")}
	for _, k := range keys {
		p.Keys = append(p.Keys, certificates.NewKeyView(k))
	}
	return c.render(fc, "certificates_keys", p)
}

func (c *Console) rotateCertificateKey(fc *fiber.Ctx) error {
	k, err := c.d.Certificates.RotateKey(fc.UserContext())
	if err != nil {
		return err
	}
	return fc.Redirect("/certificates/keys?rotated="+url.QueryEscape(k.KID), fiber.StatusSeeOther)
}
