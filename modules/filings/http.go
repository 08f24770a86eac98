package filings

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the filings HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the filings HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

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

type annualReportRequest struct {
	Plan    string `json:"plan"`
	Summary string `json:"summary"`
}

// filingList is the query of the filing lists (the institution's, and a regulator's jurisdiction's).
var filingList = &httpx.List{
	Sorts: []string{SortSubmittedAt},
	Filters: []httpx.Filter{{Name: "status", Description: "only filings in this state",
		Enum: []string{string(StatusSubmitted), string(StatusApproved), string(StatusRejected), string(StatusExpired)}}},
}

// noticeList lists expiry notices, newest first: no sort means -created_at.
var noticeList = &httpx.List{Sorts: []string{SortCreatedAt}}

// annualReportList lists annual reports, newest year first unless sort=year.
var annualReportList = &httpx.List{Sorts: []string{SortYear}}

// Routes registers the filing operations (institutions) and the regulators' filing oversight.
func (h *Handler) Routes(r *httpx.Router) {
	r.Post("/filings", httpx.Op{Summary: "Apply for a filing of occupations × levels (备案)", Tag: "filings",
		Permission: PermFilingCreate, Request: new(submitRequest), Response: new(FilingView), Status: 201}, h.submit)
	r.Get("/filings", httpx.Op{Summary: "List the institution's filings (?status=)", Tag: "filings",
		Permission: PermFilingList, List: filingList, Response: new(platform.Page[FilingView])}, h.list)
	// Fixed paths before /filings/:id, which would otherwise take them.
	r.Get("/filings/notices", httpx.Op{Summary: "List expiry warnings and expiries of the institution's filings, newest first (sort=-created_at)",
		Tag: "filings", Permission: PermFilingList, List: noticeList, Response: new(platform.Page[NoticeView])}, h.notices)
	r.Get("/filings/annual-reports", httpx.Op{Summary: "List the enterprise's annual plans and summaries, newest year first unless sort=year",
		Tag: "filings", Permission: PermAnnualReportList, List: annualReportList, Response: new(platform.Page[AnnualReportView])}, h.annualReports)
	r.Put("/filings/annual-reports/:year", httpx.Op{Summary: "Record the enterprise's plan for a year and its summary of the year before",
		Tag: "filings", Permission: PermAnnualReportWrite, Request: new(annualReportRequest), Response: new(AnnualReportView)}, h.putAnnualReport)
	r.Get("/filings/:id", httpx.Op{Summary: "One filing of the institution", Tag: "filings",
		Permission: PermFilingRead, Response: new(FilingView)}, h.get)
	r.Post("/filings/:id/renew", httpx.Op{Summary: "Apply for the renewal of an approved filing (last three months only)", Tag: "filings",
		Permission: PermFilingRenew, Request: new(renewRequest), Response: new(FilingView), Status: 201}, h.renew)

	r.Get("/oversight/filings", httpx.Op{Summary: "Filings of the institutions in the regulator's jurisdiction (?status=)", Tag: "oversight",
		Permission: PermOversightFilingList, List: filingList, Response: new(platform.Page[FilingView])}, h.oversightList)
	r.Get("/oversight/filings/:id", httpx.Op{Summary: "One filing of an institution in the regulator's jurisdiction", Tag: "oversight",
		Permission: PermOversightFilingList, Response: new(FilingView)}, h.oversightGet)
	r.Post("/oversight/filings/:id/decision", httpx.Op{Summary: "Approve or reject a submitted filing", Tag: "oversight",
		Permission: PermOversightFilingDecide, Request: new(decisionRequest), Response: new(FilingView)}, h.decide)
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
	return c.Status(fiber.StatusCreated).JSON(NewFilingView(f))
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
	return c.Status(fiber.StatusCreated).JSON(NewFilingView(f))
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
	return c.JSON(NewFilingView(f))
}

// parseFilingList reads a filing list's page and filter.
func parseFilingList(c *fiber.Ctx) (platform.PageRequest, ListFilter, error) {
	req, err := filingList.Parse(c)
	return req, ListFilter{Status: Status(strings.Clone(c.Query("status")))}, err
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, f, err := parseFilingList(c)
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewFilingView))
}

func (h *Handler) oversightList(c *fiber.Ctx) error {
	req, f, err := parseFilingList(c)
	if err != nil {
		return err
	}
	page, err := h.svc.OversightList(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewFilingView))
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
	return c.JSON(NewFilingView(f))
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
	return c.JSON(NewFilingView(f))
}

// newestFirst reads a list whose order, without ?sort=, is its key descending.
func newestFirst(c *fiber.Ctx, l *httpx.List) (platform.PageRequest, error) {
	req, err := l.Parse(c)
	if c.Query("sort") == "" {
		req.Desc = true
	}
	return req, err
}

func (h *Handler) notices(c *fiber.Ctx) error {
	req, err := newestFirst(c, noticeList)
	if err != nil {
		return err
	}
	page, err := h.svc.Notices(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewNoticeView))
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
	return c.JSON(NewAnnualReportView(r))
}

func (h *Handler) annualReports(c *fiber.Ctx) error {
	req, err := newestFirst(c, annualReportList)
	if err != nil {
		return err
	}
	page, err := h.svc.AnnualReports(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewAnnualReportView))
}
