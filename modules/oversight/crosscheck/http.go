package crosscheck

import (
	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the findings of the checks.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

var flagList = &httpx.List{Sorts: []string{"first_seen_at"}, Filters: []httpx.Filter{
	{Name: "kind", Description: "only flags of this kind", Enum: []string{FlagMultipleCertificates, FlagRepeatTesting}},
	{Name: "open", Description: "only unresolved flags", Format: "boolean"}}}

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/flags", httpx.Op{Summary: "Cross-institution findings: one person, several certificates; repeat testing (?kind=&open=true)",
		Tag: core.Tag, Permission: core.PermRead, List: flagList, Response: new(platform.Page[Flag])}, h.flags)
}

func (h *Handler) flags(c *fiber.Ctx) error {
	req, err := flagList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Flags(c.UserContext(), Filter{Kind: c.Query("kind"), Open: core.QueryBool(c, "open")}, req)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
