package catalog

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the catalog's HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the catalog's HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// OccupationDTO is an occupation as the API shows it.
type OccupationDTO struct {
	Code                string   `json:"code"`
	Name                string   `json:"name"`
	Subtypes            []string `json:"subtypes"`
	Levels              []int    `json:"levels"`
	HasNationalStandard bool     `json:"has_national_standard"`
	StandardYear        int      `json:"standard_year"`
	MajorCode           string   `json:"major_code"`
	MajorName           string   `json:"major_name"`
	MiddleCode          string   `json:"middle_code"`
	MiddleName          string   `json:"middle_name"`
	MinorCode           string   `json:"minor_code"`
	MinorName           string   `json:"minor_name"`
	IsGreen             bool     `json:"is_green"`
	IsDigital           bool     `json:"is_digital"`
	New                 bool     `json:"new"`
	Note                string   `json:"note"`
}

// ToOccupationDTO converts an occupation for the API.
func ToOccupationDTO(o Occupation) OccupationDTO {
	d := OccupationDTO{Code: o.Code, Name: o.Name, Subtypes: o.Subtypes, Levels: o.Levels,
		HasNationalStandard: o.HasNationalStandard, StandardYear: o.StandardYear, MajorCode: o.MajorCode,
		MajorName: o.MajorName, MiddleCode: o.MiddleCode, MiddleName: o.MiddleName, MinorCode: o.MinorCode,
		MinorName: o.MinorName, IsGreen: o.IsGreen, IsDigital: o.IsDigital, New: o.New, Note: o.Note}
	if d.Subtypes == nil {
		d.Subtypes = []string{}
	}
	if d.Levels == nil {
		d.Levels = []int{}
	}
	return d
}

// NormDTO is an evaluation norm as the API shows it.
type NormDTO struct {
	ID             uuid.UUID `json:"id"`
	OccupationCode string    `json:"occupation_code"`
	OccupationName string    `json:"occupation_name"`
	Title          string    `json:"title"`
	Subtypes       []string  `json:"subtypes"`
	Levels         []int     `json:"levels"`
	DocumentRef    string    `json:"document_ref"`
	Status         string    `json:"status" enum:"draft,filed"`
	FilingRef      string    `json:"filing_ref,omitempty"`
	FiledOn        string    `json:"filed_on,omitempty" format:"date"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ToNormDTO converts a norm for the API.
func ToNormDTO(n Norm) NormDTO {
	d := NormDTO{ID: n.ID, OccupationCode: n.OccupationCode, OccupationName: n.OccupationName, Title: n.Title,
		Subtypes: n.Subtypes, Levels: n.Levels, DocumentRef: n.DocumentRef, Status: string(n.Status),
		FilingRef: n.FilingRef, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
	if !n.FiledOn.IsZero() {
		d.FiledOn = n.FiledOn.Format(time.DateOnly)
	}
	if d.Subtypes == nil {
		d.Subtypes = []string{}
	}
	return d
}

type createNormRequest struct {
	OccupationCode string   `json:"occupation_code" required:"true"`
	Title          string   `json:"title" required:"true"`
	Subtypes       []string `json:"subtypes"`
	Levels         []int    `json:"levels" required:"true"`
	DocumentRef    string   `json:"document_ref"`
}

type fileNormRequest struct {
	FilingRef string `json:"filing_ref" required:"true" description:"the ministry's filing reference (备案号)"`
	FiledOn   string `json:"filed_on" required:"true" format:"date"`
}

type listOccupationsQuery struct {
	Q                   string `query:"q" description:"code prefix (6-31) or name substring (电工)"`
	HasNationalStandard string `query:"has_national_standard" enum:"true,false"`
	Limit               int    `query:"limit"`
	Cursor              string `query:"cursor"`
}

// Routes registers the catalog's operations. The occupation list is public reference data (the
// national classification), so announcement pages and self-registration can show it without a login.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/occupations", httpx.Op{Summary: "List the occupation catalog (?q= code prefix or name substring; keyset by code)",
		Tag: "catalog", Access: httpx.Public, Request: new(listOccupationsQuery), Response: new(httpx.Page[OccupationDTO])}, h.list)
	r.Get("/occupations/export", httpx.Op{Summary: "Download the catalog as CSV (the format import reads)", Tag: "catalog",
		Permission: "occupation:export", Produces: "text/csv"}, h.export)
	r.Post("/occupations/import", httpx.Op{Summary: "Load or update the catalog from a CSV upload (multipart field file)", Tag: "catalog",
		Permission: "occupation:import", Response: new(ImportReport)}, h.importCSV)
	r.Get("/occupations/:code", httpx.Op{Summary: "One occupation of the catalog", Tag: "catalog", Access: httpx.Public,
		Response: new(OccupationDTO)}, h.get)

	r.Post("/evaluation-norms", httpx.Op{Summary: "Add an enterprise evaluation norm (企业评价规范) for an occupation without a national standard",
		Tag: "catalog", Permission: "norm:create", Request: new(createNormRequest), Response: new(NormDTO), Status: 201}, h.createNorm)
	r.Get("/evaluation-norms", httpx.Op{Summary: "List the enterprise's evaluation norms", Tag: "catalog", Permission: "norm:list",
		Response: new(httpx.Page[NormDTO])}, h.listNorms)
	r.Get("/evaluation-norms/:id", httpx.Op{Summary: "One evaluation norm", Tag: "catalog", Permission: "norm:list",
		Response: new(NormDTO)}, h.getNorm)
	r.Post("/evaluation-norms/:id/file", httpx.Op{Summary: "Record the ministry's filing of a norm; it becomes evaluable",
		Tag: "catalog", Permission: "norm:file", Request: new(fileNormRequest), Response: new(NormDTO)}, h.fileNorm)
}

func (h *Handler) list(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "code")
	if err != nil {
		return err
	}
	if lp.Desc {
		return platform.E(platform.KindInvalid, "invalid_sort", "the catalog is listed by code ascending only")
	}
	f := ListFilter{Query: strings.Clone(c.Query("q"))}
	if _, err := httpx.DecodeCursor(lp.Cursor, &f.After); err != nil {
		return err
	}
	if v := c.Query("has_national_standard"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return platform.E(platform.KindInvalid, "invalid_parameter", "has_national_standard must be true or false")
		}
		f.HasNationalStandard = &b
	}
	occs, err := h.svc.List(c.UserContext(), f, lp.Limit+1)
	if err != nil {
		return err
	}
	page := httpx.Page[OccupationDTO]{Items: []OccupationDTO{}}
	for i, o := range occs {
		if i == lp.Limit {
			page.NextCursor = httpx.EncodeCursor(occs[i-1].Code)
			break
		}
		page.Items = append(page.Items, ToOccupationDTO(o))
	}
	return c.JSON(page)
}

func (h *Handler) get(c *fiber.Ctx) error {
	code := c.Params("code")
	if !ValidCode(code) {
		return ErrOccupationNotFound
	}
	o, err := h.svc.Occupation(c.UserContext(), strings.Clone(code))
	if err != nil {
		return err
	}
	return c.JSON(ToOccupationDTO(o))
}

func (h *Handler) export(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := h.svc.Export(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="occupations.csv"`)
	return c.Send(buf.Bytes())
}

func (h *Handler) importCSV(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return platform.E(platform.KindInvalid, "missing_file", "upload the CSV as multipart/form-data field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := h.svc.Import(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

func (h *Handler) createNorm(c *fiber.Ctx) error {
	var req createNormRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.svc.CreateNorm(c.UserContext(), NewNorm{OccupationCode: req.OccupationCode, Title: req.Title,
		Subtypes: req.Subtypes, Levels: req.Levels, DocumentRef: req.DocumentRef})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToNormDTO(n))
}

func (h *Handler) fileNorm(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req fileNormRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in := NormFiling{FilingRef: req.FilingRef}
	var v platform.Validation
	if d := httpx.DateField(&v, "filed_on", req.FiledOn); d != nil {
		in.FiledOn = *d
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := h.svc.FileNorm(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(ToNormDTO(n))
}

func (h *Handler) getNorm(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	n, err := h.svc.Norm(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ToNormDTO(n))
}

func (h *Handler) listNorms(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	var after time.Time
	var afterID uuid.UUID
	if _, err := httpx.DecodeCursor(lp.Cursor, &after, &afterID); err != nil {
		return err
	}
	ns, err := h.svc.Norms(c.UserContext(), after, afterID, lp.Limit+1)
	if err != nil {
		return err
	}
	page := httpx.Page[NormDTO]{Items: []NormDTO{}}
	for i, n := range ns {
		if i == lp.Limit {
			page.NextCursor = httpx.EncodeCursor(ns[i-1].CreatedAt, ns[i-1].ID)
			break
		}
		page.Items = append(page.Items, ToNormDTO(n))
	}
	return c.JSON(page)
}
