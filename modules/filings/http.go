package filings

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the filings HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the filings HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// ScopeItemDTO is one occupation of a filing's scope.
type ScopeItemDTO struct {
	OccupationCode string     `json:"occupation_code" required:"true"`
	OccupationName string     `json:"occupation_name,omitempty"`
	Levels         []int      `json:"levels" required:"true"`
	NormID         *uuid.UUID `json:"norm_id,omitempty"`
}

// FilingDTO is a filing as the API shows it. Dates are YYYY-MM-DD; valid_until is exclusive (three
// years after valid_from).
type FilingDTO struct {
	ID              uuid.UUID      `json:"id"`
	InstitutionID   uuid.UUID      `json:"institution_id"`
	InstitutionName string         `json:"institution_name,omitempty"`
	InstitutionSlug string         `json:"institution_slug,omitempty"`
	Status          string         `json:"status" enum:"submitted,approved,rejected,expired"`
	Scope           []ScopeItemDTO `json:"scope"`
	RegionCode      string         `json:"region_code"`
	RenewalOf       *uuid.UUID     `json:"renewal_of,omitempty"`
	EvaluatorCode   string         `json:"evaluator_code,omitempty"`
	ProvinceCode    string         `json:"province_code,omitempty"`
	SiteSerial      string         `json:"site_serial,omitempty"`
	ValidFrom       string         `json:"valid_from,omitempty" format:"date"`
	ValidUntil      string         `json:"valid_until,omitempty" format:"date"`
	DecisionNote    string         `json:"decision_note,omitempty"`
	DecidedAt       *time.Time     `json:"decided_at,omitempty"`
	SubmittedAt     time.Time      `json:"submitted_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// ToDTO converts a filing for the API.
func ToDTO(f Filing) FilingDTO {
	d := FilingDTO{ID: f.ID, InstitutionID: f.TenantID, InstitutionName: f.InstitutionName, InstitutionSlug: f.InstitutionSlug,
		Status: string(f.Status), Scope: make([]ScopeItemDTO, len(f.Scope)), RegionCode: f.RegionCode,
		EvaluatorCode: f.EvaluatorCode, ProvinceCode: f.ProvinceCode, SiteSerial: f.SiteSerial,
		DecisionNote: f.DecisionNote, SubmittedAt: f.SubmittedAt, UpdatedAt: f.UpdatedAt}
	for i, it := range f.Scope {
		d.Scope[i] = ScopeItemDTO{OccupationCode: it.OccupationCode, OccupationName: it.OccupationName, Levels: it.Levels}
		if it.NormID != uuid.Nil {
			id := it.NormID
			d.Scope[i].NormID = &id
		}
	}
	if f.RenewalOf != uuid.Nil {
		id := f.RenewalOf
		d.RenewalOf = &id
	}
	if !f.ValidFrom.IsZero() {
		d.ValidFrom, d.ValidUntil = f.ValidFrom.Format(time.DateOnly), f.ValidUntil.Format(time.DateOnly)
	}
	if !f.DecidedAt.IsZero() {
		at := f.DecidedAt
		d.DecidedAt = &at
	}
	return d
}

type scopeRequestDTO struct {
	OccupationCode string `json:"occupation_code" required:"true"`
	Levels         []int  `json:"levels" required:"true"`
}

type submitRequest struct {
	Scope []scopeRequestDTO `json:"scope" required:"true"`
}

type renewRequest struct {
	Scope []scopeRequestDTO `json:"scope,omitempty" description:"the scope to renew; omitted: the same scope"`
}

type decisionRequest struct {
	Decision      string `json:"decision" required:"true" enum:"approve,reject"`
	EvaluatorCode string `json:"evaluator_code,omitempty" pattern:"^[0-9]{4}$"`
	SiteSerial    string `json:"site_serial,omitempty" pattern:"^[0-9]{6}$"`
	ValidFrom     string `json:"valid_from,omitempty" format:"date"`
	Note          string `json:"note,omitempty"`
}

// NoticeDTO is an expiry notice.
type NoticeDTO struct {
	ID         uuid.UUID `json:"id"`
	FilingID   uuid.UUID `json:"filing_id"`
	Kind       string    `json:"kind" enum:"expiry_warning,expired"`
	DaysBefore int       `json:"days_before"`
	ValidUntil string    `json:"valid_until" format:"date"`
	CreatedAt  time.Time `json:"created_at"`
}

type annualReportRequest struct {
	Plan    string `json:"plan"`
	Summary string `json:"summary"`
}

// AnnualReportDTO is an enterprise's annual plan and summary.
type AnnualReportDTO struct {
	Year      int       `json:"year"`
	Plan      string    `json:"plan"`
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type listFilingsQuery struct {
	Status string `query:"status" enum:"submitted,approved,rejected,expired"`
	Limit  int    `query:"limit"`
	Cursor string `query:"cursor"`
	Sort   string `query:"sort" enum:"submitted_at,-submitted_at"`
}

// Routes registers the filing operations (institutions) and the regulators' filing oversight.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/filings", httpx.Op{Summary: "Apply for a filing of occupations × levels (备案)", Tag: "filings",
		Permission: "filing:create", Request: new(submitRequest), Response: new(FilingDTO), Status: 201}, h.submit)
	r.Get("/filings", httpx.Op{Summary: "List the institution's filings (?status=)", Tag: "filings",
		Permission: "filing:list", Request: new(listFilingsQuery), Response: new(httpx.Page[FilingDTO])}, h.list)
	// Fixed paths before /filings/:id, which would otherwise take them.
	r.Get("/filings/notices", httpx.Op{Summary: "List expiry warnings and expiries of the institution's filings", Tag: "filings",
		Permission: "filing:list", Response: new(httpx.Page[NoticeDTO])}, h.notices)
	r.Get("/filings/annual-reports", httpx.Op{Summary: "List the enterprise's annual plans and summaries", Tag: "filings",
		Permission: "annual_report:list", Response: new(httpx.Page[AnnualReportDTO])}, h.annualReports)
	r.Put("/filings/annual-reports/:year", httpx.Op{Summary: "Record the enterprise's plan for a year and its summary of the year before",
		Tag: "filings", Permission: "annual_report:write", Request: new(annualReportRequest), Response: new(AnnualReportDTO)}, h.putAnnualReport)
	r.Get("/filings/:id", httpx.Op{Summary: "One filing of the institution", Tag: "filings",
		Permission: "filing:read", Response: new(FilingDTO)}, h.get)
	r.Post("/filings/:id/renew", httpx.Op{Summary: "Apply for the renewal of an approved filing (last three months only)", Tag: "filings",
		Permission: "filing:renew", Request: new(renewRequest), Response: new(FilingDTO), Status: 201}, h.renew)

	r.Get("/oversight/filings", httpx.Op{Summary: "Filings of the institutions in the regulator's jurisdiction (?status=)", Tag: "oversight",
		Permission: "oversight:filing_list", Request: new(listFilingsQuery), Response: new(httpx.Page[FilingDTO])}, h.oversightList)
	r.Get("/oversight/filings/:id", httpx.Op{Summary: "One filing of an institution in the regulator's jurisdiction", Tag: "oversight",
		Permission: "oversight:filing_list", Response: new(FilingDTO)}, h.oversightGet)
	r.Post("/oversight/filings/:id/decision", httpx.Op{Summary: "Approve or reject a submitted filing", Tag: "oversight",
		Permission: "oversight:filing_decide", Request: new(decisionRequest), Response: new(FilingDTO)}, h.decide)
}

func scopeRequests(in []scopeRequestDTO) []ScopeRequest {
	if in == nil {
		return nil
	}
	out := make([]ScopeRequest, len(in))
	for i, it := range in {
		out[i] = ScopeRequest{OccupationCode: it.OccupationCode, Levels: it.Levels}
	}
	return out
}

func (h *Handler) submit(c *fiber.Ctx) error {
	var req submitRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	scope := scopeRequests(req.Scope)
	if scope == nil {
		scope = []ScopeRequest{}
	}
	f, err := h.svc.Submit(c.UserContext(), scope)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToDTO(f))
}

func (h *Handler) renew(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req renewRequest
	if len(c.Body()) > 0 {
		if err := httpx.Bind(c, &req); err != nil {
			return err
		}
	}
	f, err := h.svc.Renew(c.UserContext(), id, scopeRequests(req.Scope))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToDTO(f))
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	f, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ToDTO(f))
}

func listOptions(c *fiber.Ctx) (ListOptions, error) {
	lp, err := httpx.ParseList(c, "submitted_at")
	if err != nil {
		return ListOptions{}, err
	}
	o := ListOptions{Status: Status(c.Query("status")), Desc: lp.Desc, Limit: lp.Limit + 1}
	if _, err := httpx.DecodeCursor(lp.Cursor, &o.AfterSubmitted, &o.AfterID); err != nil {
		return ListOptions{}, err
	}
	return o, nil
}

func page(fs []Filing, limit int) httpx.Page[FilingDTO] {
	p := httpx.Page[FilingDTO]{Items: []FilingDTO{}}
	for i, f := range fs {
		if i == limit {
			last := fs[i-1]
			p.NextCursor = httpx.EncodeCursor(last.SubmittedAt, last.ID)
			break
		}
		p.Items = append(p.Items, ToDTO(f))
	}
	return p
}

func (h *Handler) list(c *fiber.Ctx) error {
	o, err := listOptions(c)
	if err != nil {
		return err
	}
	fs, err := h.svc.List(c.UserContext(), o)
	if err != nil {
		return err
	}
	return c.JSON(page(fs, o.Limit-1))
}

func (h *Handler) oversightList(c *fiber.Ctx) error {
	o, err := listOptions(c)
	if err != nil {
		return err
	}
	fs, err := h.svc.OversightList(c.UserContext(), o)
	if err != nil {
		return err
	}
	return c.JSON(page(fs, o.Limit-1))
}

func (h *Handler) oversightGet(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	f, err := h.svc.OversightGet(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ToDTO(f))
}

func (h *Handler) decide(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req decisionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d := Decision{Decision: req.Decision, EvaluatorCode: req.EvaluatorCode, SiteSerial: req.SiteSerial, Note: req.Note}
	var v platform.Validation
	if from := httpx.DateField(&v, "valid_from", req.ValidFrom); from != nil {
		d.ValidFrom = *from
	}
	if err := v.Err(); err != nil {
		return err
	}
	f, err := h.svc.Decide(c.UserContext(), id, d)
	if err != nil {
		return err
	}
	return c.JSON(ToDTO(f))
}

func (h *Handler) notices(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	if !lp.Desc && c.Query("sort") != "" {
		return platform.E(platform.KindInvalid, "invalid_sort", "notices are listed newest first (sort=-created_at)")
	}
	var after time.Time
	var afterID uuid.UUID
	if _, err := httpx.DecodeCursor(lp.Cursor, &after, &afterID); err != nil {
		return err
	}
	ns, err := h.svc.Notices(c.UserContext(), after, afterID, lp.Limit+1)
	if err != nil {
		return err
	}
	p := httpx.Page[NoticeDTO]{Items: []NoticeDTO{}}
	for i, n := range ns {
		if i == lp.Limit {
			p.NextCursor = httpx.EncodeCursor(ns[i-1].CreatedAt, ns[i-1].ID)
			break
		}
		p.Items = append(p.Items, NoticeDTO{ID: n.ID, FilingID: n.FilingID, Kind: n.Kind, DaysBefore: n.DaysBefore,
			ValidUntil: n.ValidUntil.Format(time.DateOnly), CreatedAt: n.CreatedAt})
	}
	return c.JSON(p)
}

func toAnnualDTO(r AnnualReport) AnnualReportDTO {
	return AnnualReportDTO{Year: r.Year, Plan: r.Plan, Summary: r.Summary, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (h *Handler) putAnnualReport(c *fiber.Ctx) error {
	year, err := strconv.Atoi(c.Params("year"))
	if err != nil {
		return platform.NotFound("annual report")
	}
	var req annualReportRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.PutAnnualReport(c.UserContext(), year, req.Plan, req.Summary)
	if err != nil {
		return err
	}
	return c.JSON(toAnnualDTO(r))
}

func (h *Handler) annualReports(c *fiber.Ctx) error {
	rs, err := h.svc.AnnualReports(c.UserContext())
	if err != nil {
		return err
	}
	p := httpx.Page[AnnualReportDTO]{Items: []AnnualReportDTO{}}
	for _, r := range rs {
		p.Items = append(p.Items, toAnnualDTO(r))
	}
	return c.JSON(p)
}
