package catalog

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the catalog's HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the catalog's HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

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

// occupationList is the public occupation list's query: keyset by code, a search and one filter.
var occupationList = &httpx.List{
	Sorts:  []string{SortCode},
	Search: "a code prefix (6-31) or a substring of the name (电工)",
	Filters: []httpx.Filter{{Name: "has_national_standard", Format: "boolean",
		Description: "only occupations with (true) or without (false) a national skill standard"}},
}

// normList is the list of the enterprise's evaluation norms.
var normList = &httpx.List{Sorts: []string{SortCreatedAt}}

// Routes registers the catalog's operations. The occupation list is public reference data (the
// national classification), so announcement pages and self-registration can show it without a login.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/occupations", httpx.Op{Summary: "List the occupation catalog (?q= code prefix or name substring; keyset by code)",
		Tag: "catalog", Access: httpx.Public, List: occupationList, Response: new(platform.Page[OccupationView])}, h.list)
	r.Get("/occupations/export", httpx.Op{Summary: "Download the catalog as CSV (the format import reads)", Tag: "catalog",
		Permission: PermOccupationExport, Produces: "text/csv"}, h.export)
	r.Post("/occupations/import", httpx.Op{Summary: "Load or update the catalog from a CSV upload (multipart field file)", Tag: "catalog",
		Permission: PermOccupationImport, Response: new(ImportReportView)}, h.importCSV)
	r.Get("/occupations/:code", httpx.Op{Summary: "One occupation of the catalog", Tag: "catalog", Access: httpx.Public,
		Response: new(OccupationView)}, h.get)

	r.Post("/evaluation-norms", httpx.Op{Summary: "Add an enterprise evaluation norm (企业评价规范) for an occupation without a national standard",
		Tag: "catalog", Permission: PermNormCreate, Request: new(createNormRequest), Response: new(NormView), Status: 201}, h.createNorm)
	r.Get("/evaluation-norms", httpx.Op{Summary: "List the enterprise's evaluation norms", Tag: "catalog", Permission: PermNormList,
		List: normList, Response: new(platform.Page[NormView])}, h.listNorms)
	r.Get("/evaluation-norms/:id", httpx.Op{Summary: "One evaluation norm", Tag: "catalog", Permission: PermNormList,
		Response: new(NormView)}, h.getNorm)
	r.Post("/evaluation-norms/:id/file", httpx.Op{Summary: "Record the ministry's filing of a norm; it becomes evaluable",
		Tag: "catalog", Permission: PermNormFile, Request: new(fileNormRequest), Response: new(NormView)}, h.fileNorm)
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := occupationList.Parse(c)
	if err != nil {
		return err
	}
	f := ListFilter{Query: strings.Clone(c.Query("q"))}
	if v := c.Query("has_national_standard"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return platform.E(platform.KindInvalid, "invalid_parameter", "has_national_standard must be true or false")
		}
		f.HasNationalStandard = &b
	}
	page, err := h.svc.List(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewOccupationView))
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
	return c.JSON(NewOccupationView(o))
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
	return c.JSON(NewImportReportView(rep))
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
	return c.Status(fiber.StatusCreated).JSON(NewNormView(n))
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
	return c.JSON(NewNormView(n))
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
	return c.JSON(NewNormView(n))
}

func (h *Handler) listNorms(c *fiber.Ctx) error {
	req, err := normList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.Norms(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewNormView))
}
