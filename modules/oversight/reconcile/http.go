package reconcile

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the differences found.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

var diffList = &httpx.List{Sorts: []string{"first_seen_at"}, Filters: []httpx.Filter{
	{Name: "institution_id", Description: "only this institution's differences", Format: "uuid"},
	{Name: "open", Description: "only unresolved differences", Format: "boolean"}}}

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/reconciliation", httpx.Op{Summary: "Differences between holdings and reports (?institution_id=&open=true)",
		Tag: core.Tag, Permission: core.PermRead, List: diffList, Response: new(Page)}, h.differences)
}

func (h *Handler) differences(c *fiber.Ctx) error {
	req, err := diffList.Parse(c)
	if err != nil {
		return err
	}
	inst, err := core.QueryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	p, last, err := h.svc.Differences(c.UserContext(), Filter{InstitutionID: inst, Open: core.QueryBool(c, "open")}, req)
	if err != nil {
		return err
	}
	return c.JSON(Page{Items: p.Items, NextCursor: p.NextCursor, LastRun: last})
}
