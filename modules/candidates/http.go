package candidates

import (
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
	"github.com/skillcert/skillcert/tenants"
)

// Handler serves the candidates API.
type Handler struct {
	svc     *Service
	limiter *ratelimit.Limiter // public self-registration per client address; nil or off = no limit
}

// NewHandler returns the candidates HTTP handler; limiter bounds the public self-registration per
// client address and may be nil (no limit).
func NewHandler(svc *Service, limiter *ratelimit.Limiter) *Handler {
	return &Handler{svc: svc, limiter: limiter}
}

// XLSXType is the media type of XLSX workbooks.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// candidateRequest is the body that creates a candidate (and the candidate part of a registration).
type candidateRequest struct {
	Name                    string   `json:"name" required:"true" description:"stored exactly as given"`
	IDType                  string   `json:"id_type" enum:"resident_id,passport,hk_macao_permit,taiwan_permit,foreign_permanent_resident" description:"default resident_id"`
	IDNumber                string   `json:"id_number" required:"true"`
	Phone                   string   `json:"phone"`
	Education               string   `json:"education" required:"true" enum:"primary,junior_high,senior_high,technical_school,secondary_vocational,senior_technical_school,technician_college,preparatory_technician,vocational_college,college,bachelor,master,doctorate"`
	OccupationYears         int      `json:"occupation_years" minimum:"0" maximum:"70"`
	CurrentLevel            int      `json:"current_level" description:"0 none, 5..1, 7 特级技师, 8 首席技师"`
	CurrentLevelObtainedOn  string   `json:"current_level_obtained_on" format:"date"`
	TitleLevel              string   `json:"title_level" enum:",junior,assistant,intermediate,deputy_senior,full_senior"`
	ApprenticeshipCompleted bool     `json:"apprenticeship_completed"`
	RelatedDiploma          bool     `json:"related_diploma"`
	Awards                  []string `json:"awards"`
	StudentNo               string   `json:"student_no" description:"schools: required"`
}

func (r candidateRequest) input() (Input, error) {
	in := Input{Name: r.Name, IDType: r.IDType, IDNumber: r.IDNumber, Phone: r.Phone, Education: r.Education,
		OccupationYears: r.OccupationYears, CurrentLevel: r.CurrentLevel, TitleLevel: r.TitleLevel,
		ApprenticeshipCompleted: r.ApprenticeshipCompleted, RelatedDiploma: r.RelatedDiploma, Awards: r.Awards,
		StudentNo: r.StudentNo}
	if strings.TrimSpace(r.CurrentLevelObtainedOn) != "" {
		d, err := parseDateField(r.CurrentLevelObtainedOn)
		if err != nil {
			return in, err
		}
		in.CurrentLevelObtainedOn = &d
	}
	return in, nil
}

func parseDateField(s string) (time.Time, error) {
	d, err := ParseDate(s)
	if err != nil {
		var v platform.Validation
		v.Add(fLevelOn, "format", "a date YYYY-MM-DD is expected")
		return d, v.Err()
	}
	return d, nil
}

// patchRequest changes some fields; absent (or null) fields keep their values. current_level_obtained_on
// "" clears the date; setting current_level to 0 clears it too.
type patchRequest struct {
	Name                    *string   `json:"name"`
	IDType                  *string   `json:"id_type"`
	IDNumber                *string   `json:"id_number"`
	Phone                   *string   `json:"phone"`
	Education               *string   `json:"education"`
	OccupationYears         *int      `json:"occupation_years"`
	CurrentLevel            *int      `json:"current_level"`
	CurrentLevelObtainedOn  *string   `json:"current_level_obtained_on"`
	TitleLevel              *string   `json:"title_level"`
	ApprenticeshipCompleted *bool     `json:"apprenticeship_completed"`
	RelatedDiploma          *bool     `json:"related_diploma"`
	Awards                  *[]string `json:"awards"`
	StudentNo               *string   `json:"student_no"`
}

func (p patchRequest) apply(in *Input) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Name, p.Name)
	set(&in.IDType, p.IDType)
	set(&in.IDNumber, p.IDNumber)
	set(&in.Phone, p.Phone)
	set(&in.Education, p.Education)
	set(&in.TitleLevel, p.TitleLevel)
	set(&in.StudentNo, p.StudentNo)
	if p.OccupationYears != nil {
		in.OccupationYears = *p.OccupationYears
	}
	if p.CurrentLevel != nil {
		in.CurrentLevel = *p.CurrentLevel
		if in.CurrentLevel == 0 && p.CurrentLevelObtainedOn == nil {
			in.CurrentLevelObtainedOn = nil
		}
	}
	if p.CurrentLevelObtainedOn != nil {
		if strings.TrimSpace(*p.CurrentLevelObtainedOn) == "" {
			in.CurrentLevelObtainedOn = nil
		} else {
			d, err := parseDateField(*p.CurrentLevelObtainedOn)
			if err != nil {
				return err
			}
			in.CurrentLevelObtainedOn = &d
		}
	}
	if p.ApprenticeshipCompleted != nil {
		in.ApprenticeshipCompleted = *p.ApprenticeshipCompleted
	}
	if p.RelatedDiploma != nil {
		in.RelatedDiploma = *p.RelatedDiploma
	}
	if p.Awards != nil {
		in.Awards = *p.Awards
	}
	return nil
}

type fileUpload struct {
	File *multipart.FileHeader `formData:"file" required:"true" description:"the file (.xlsx or .csv for imports; JPEG or PNG for photos)"`
}

type registrationRequest struct {
	Username string `json:"username" required:"true"`
	Password string `json:"password" required:"true"`
	candidateRequest
}

// ListSpec is the candidate list's query (sorts, ?q= and filters), shared with the console.
var ListSpec = &httpx.List{
	Sorts:  []string{SortCreatedAt, SortName},
	Search: "the name (any part, ignoring width, case, spaces and ·) or, exactly, an ID number",
	Filters: []httpx.Filter{
		{Name: "education", Description: "one education code", Enum: Educations()},
		{Name: "has_photo", Description: "with (true) or without (false) a certificate photo", Format: "boolean"},
	},
}

// Routes registers the candidates operations.
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "candidates"
	r.Post("/candidates", httpx.Op{Summary: "Add a candidate", Tag: tag, Permission: PermCandidateCreate,
		Request: new(candidateRequest), Response: new(CandidateView), Status: fiber.StatusCreated}, h.create)
	r.Get("/candidates", httpx.Op{Summary: "List candidates (q: name or ID number; filters: education, has_photo; sort: created_at, name)", Tag: tag,
		Permission: PermCandidateList, List: ListSpec, Response: new(platform.Page[CandidateView])}, h.list)
	r.Get("/candidates/import/template.xlsx", httpx.Op{Summary: "The XLSX template of the candidate import", Tag: tag,
		Permission: PermCandidateImport, Produces: XLSXType}, h.template)
	r.Post("/candidates/import", httpx.Op{Summary: "Import candidates from an XLSX or CSV file (multipart field file)", Tag: tag,
		Permission: PermCandidateImport, Request: new(fileUpload), Response: new(ImportView)}, h.importFile)
	r.Post("/candidates/photos", httpx.Op{Summary: "Upload candidates' photos in bulk: a ZIP of JPEGs named 姓名_身份证号.jpg or 身份证号.jpg (multipart field file)",
		Tag: tag, Permission: PermCandidateImport, Request: new(fileUpload), Response: new(PhotosView)}, h.importPhotos)
	r.Get("/candidates/:id", httpx.Op{Summary: "A candidate", Tag: tag, Permission: PermCandidateRead,
		Response: new(CandidateView)}, h.get)
	r.Patch("/candidates/:id", httpx.Op{Summary: "Change a candidate (re-evaluates open applications)", Tag: tag,
		Permission: PermCandidateUpdate, Request: new(patchRequest), Response: new(CandidateView)}, h.update)
	r.Put("/candidates/:id/photo", httpx.Op{Summary: "Upload the certificate photo (JPEG or PNG, at most 2 MiB; multipart field file)",
		Tag: tag, Permission: PermCandidateUpdate, Request: new(fileUpload), Response: new(PhotoView)}, h.putPhoto)
	r.Get("/candidates/:id/photo", httpx.Op{Summary: "The certificate photo", Tag: tag, Permission: PermCandidateRead,
		Produces: "image/jpeg"}, h.getPhoto)
	r.Put("/me/photo", httpx.Op{Summary: "Upload your own certificate photo (candidates; JPEG or PNG, at most 2 MiB; multipart field file)",
		Tag: tag, Permission: PermCandidatePhotoOwn, Request: new(fileUpload), Response: new(PhotoView)}, h.putOwnPhoto)
	r.Get("/me/photo", httpx.Op{Summary: "Your own certificate photo (candidates)", Tag: tag, Permission: PermCandidatePhotoOwn,
		Produces: "image/jpeg"}, h.getOwnPhoto)
	r.Post("/public/institutions/:slug/batches/:id/applications", httpx.Op{
		Summary: "Self-registration: apply to an open batch of a social organisation and get a candidate login",
		Tag:     tag, Access: httpx.Public, Request: new(registrationRequest), Response: new(RegistrationView),
		Status: fiber.StatusCreated}, h.limiter.Wrap(h.selfRegister))
}

func (h *Handler) create(c *fiber.Ctx) error {
	var req candidateRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	cand, err := h.svc.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewCandidateView(cand))
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := ListSpec.Parse(c)
	if err != nil {
		return err
	}
	f, err := ParseListFilter(strings.Clone(c.Query("q")), strings.Clone(c.Query("education")), c.Query("has_photo"))
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewCandidateView))
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cand, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewCandidateView(cand))
}

func (h *Handler) update(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req patchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	cand, err := h.svc.Update(c.UserContext(), id, req.apply)
	if err != nil {
		return err
	}
	return c.JSON(NewCandidateView(cand))
}

// upload reads the multipart file field (named field, or "photo"/"file" alternatives) in full, at most
// limit bytes (413 beyond).
func upload(c *fiber.Ctx, limit int64, tooLarge error, fields ...string) (string, []byte, error) {
	var fh *multipart.FileHeader
	for _, f := range fields {
		if v, err := c.FormFile(f); err == nil {
			fh = v
			break
		}
	}
	if fh == nil {
		var v platform.Validation
		v.Add(fields[0], "required", "a multipart/form-data body with a file in field "+fields[0]+" is expected")
		return "", nil, v.Err()
	}
	if fh.Size > limit {
		return "", nil, tooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(data)) > limit {
		return "", nil, tooLarge
	}
	return strings.Clone(fh.Filename), data, nil
}

func (h *Handler) importFile(c *fiber.Ctx) error {
	name, data, err := upload(c, httpx.UploadBodyLimit,
		platform.E(platform.KindTooLarge, "body_too_large", "uploads are limited to 32 MiB"), "file")
	if err != nil {
		return err
	}
	res, err := h.svc.Import(c.UserContext(), name, data)
	if err != nil {
		return err
	}
	return c.JSON(NewImportView(res))
}

func (h *Handler) importPhotos(c *fiber.Ctx) error {
	_, data, err := upload(c, httpx.UploadBodyLimit,
		platform.E(platform.KindTooLarge, "body_too_large", "uploads are limited to 32 MiB"), "file")
	if err != nil {
		return err
	}
	res, err := h.svc.ImportPhotos(c.UserContext(), data)
	if err != nil {
		return err
	}
	return c.JSON(NewPhotosView(res))
}

func (h *Handler) template(c *fiber.Ctx) error {
	scope, ok := tenants.FromContext(c.UserContext())
	if !ok {
		return tenants.ErrNoScope
	}
	b, err := ImportTemplate(scope.Kind)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, XLSXType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="candidates-template.xlsx"; filename*=UTF-8''%E8%80%83%E7%94%9F%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx`)
	return c.Send(b)
}

func (h *Handler) putPhoto(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	data, err := h.photoBody(c)
	if err != nil {
		return err
	}
	p, err := h.svc.SetPhoto(c.UserContext(), id, data)
	if err != nil {
		return err
	}
	return c.JSON(NewPhotoView(p))
}

// photoBody reads an uploaded photo: the multipart field file (or photo), or a raw image body.
func (h *Handler) photoBody(c *fiber.Ctx) ([]byte, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		rule := h.svc.Limits.Photo
		tooLarge := error(ErrPhotoTooLarge)
		if rule.MaxBytes != MaxPhotoBytes {
			tooLarge = platform.E(platform.KindTooLarge, ErrPhotoTooLarge.Code, fmt.Sprintf("a photo is at most %d KiB", rule.MaxBytes>>10))
		}
		_, data, err := upload(c, int64(rule.MaxBytes), tooLarge, "file", "photo")
		return data, err
	}
	// A raw image body (Content-Type image/jpeg or image/png), within the 1 MiB of non-multipart bodies.
	return append([]byte(nil), c.Body()...), nil
}

// putOwnPhoto is PUT /me/photo: a candidate replaces their own certificate photo.
func (h *Handler) putOwnPhoto(c *fiber.Ctx) error {
	data, err := h.photoBody(c)
	if err != nil {
		return err
	}
	p, err := h.svc.SetOwnPhoto(c.UserContext(), data)
	if err != nil {
		return err
	}
	return c.JSON(NewPhotoView(p))
}

// getOwnPhoto is GET /me/photo: a candidate's own certificate photo.
func (h *Handler) getOwnPhoto(c *fiber.Ctx) error {
	p, err := h.svc.OwnPhoto(c.UserContext())
	if err != nil {
		return err
	}
	return sendPhoto(c, p)
}

func (h *Handler) getPhoto(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	p, err := h.svc.Photo(c.UserContext(), id)
	if err != nil {
		return err
	}
	return sendPhoto(c, p)
}

// sendPhoto answers with a photo, revalidated by its digest.
func sendPhoto(c *fiber.Ctx, p Photo) error {
	etag := `"` + p.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, p.ContentType)
	return c.Send(p.Data)
}

func (h *Handler) selfRegister(c *fiber.Ctx) error {
	ctx := c.UserContext()
	batchID, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req registrationRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	res, err := h.svc.SelfRegister(ctx, strings.Clone(c.Params("slug")), batchID,
		Registration{Username: req.Username, Password: req.Password, Input: in})
	if err != nil {
		if res.CandidateID == uuid.Nil {
			return err
		}
		// Committed, but the role did not reach the authorizer; the next policy reload applies it.
		c.Set("Warning", `199 - "login may be delayed"`)
	}
	return c.Status(fiber.StatusCreated).JSON(NewRegistrationView(res))
}
