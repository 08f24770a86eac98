package inbox

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the regulator's report store.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

var reportList = &httpx.List{Sorts: []string{"seq"}, Filters: []httpx.Filter{
	{Name: "since", Description: "only reports received at or after this time (RFC 3339)", Format: "date-time"},
	{Name: "institution_id", Description: "only this institution's reports", Format: "uuid"},
	{Name: "kind", Description: "only reports of this kind, e.g. certificate.issued"}}}

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/reports", httpx.Op{Summary: "Reports received (?since=RFC3339&institution_id=&kind=), oldest first: immutable copies",
		Tag: core.Tag, Permission: core.PermRead, List: reportList, Response: new(platform.Page[Report])}, h.list)
	r.Get("/oversight/reports/verify", httpx.Op{Summary: "Check your report store's hash chain", Tag: core.Tag, Permission: core.PermRead,
		Response: new(ChainCheck)}, h.verify)
	r.Get("/oversight/reports/:id", httpx.Op{Summary: "One report as received", Tag: core.Tag, Permission: core.PermRead,
		Response: new(Report)}, h.get)
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := reportList.Parse(c)
	if err != nil {
		return err
	}
	since, err := core.QuerySince(c)
	if err != nil {
		return err
	}
	inst, err := core.QueryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, err := h.svc.Reports(c.UserContext(), Filter{Since: since, InstitutionID: inst, Kind: c.Query("kind")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.Report(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *Handler) verify(c *fiber.Ctx) error {
	res, err := h.svc.Verify(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(res)
}
