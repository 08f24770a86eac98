package audit

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the audit log's HTTP API.
type Handler struct {
	svc *Service
}

// NewHandler returns the audit HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// entryList is GET /audit's query: its route documents it, its handler parses with it.
var entryList = &httpx.List{Sorts: []string{SortSeq}, Filters: []httpx.Filter{
	{Name: "since", Description: "only entries at or after this time (RFC 3339)", Format: "date-time"},
}}

// Routes registers the audit operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/audit", httpx.Op{Summary: "Audit entries of your tenant, oldest first", Tag: "audit",
		Permission: PermAuditList, List: entryList, Response: new(platform.Page[EntryView])}, h.list)
	r.Get("/audit/verify", httpx.Op{Summary: "Check your tenant's audit hash chain", Tag: "audit",
		Permission: PermAuditVerify, Response: new(VerifyView)}, h.verify)
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := entryList.Parse(c)
	if err != nil {
		return err
	}
	since, err := ParseSince(c.Query("since"))
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), req, Filter{Since: since})
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewEntryView))
}

func (h *Handler) verify(c *fiber.Ctx) error {
	res, err := h.svc.Verify(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(NewVerifyView(res))
}

// WellKnown mounts the public key that signs audit checkpoints, as a JWK set, so that a regulator
// (or anyone holding a checkpoint) verifies it offline: GET /.well-known/skillcert/audit-keys.
func (h *Handler) WellKnown(app fiber.Router) {
	app.Get("/.well-known/skillcert/audit-keys", h.auditKeys)
}

func (h *Handler) auditKeys(c *fiber.Ctx) error {
	k, err := h.svc.CheckpointKey()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	b, err := json.Marshal(k.JWKS())
	if err != nil {
		return err
	}
	return c.Send(b)
}
