package audit

import (
	"encoding/json"
	"time"

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

// Routes registers the audit operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/audit", httpx.Op{Summary: "Audit entries of your tenant (?since=RFC3339, oldest first)", Tag: "audit",
		Permission: "audit:list", Response: new(httpx.Page[Entry])}, h.list)
	r.Get("/audit/verify", httpx.Op{Summary: "Check your tenant's audit hash chain", Tag: "audit",
		Permission: "audit:verify", Response: new(VerifyResult)}, h.verify)
}

func (h *Handler) list(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "seq")
	if err != nil {
		return err
	}
	if lp.Desc {
		return platform.E(platform.KindInvalid, "invalid_sort", "the audit log lists oldest first (sort=seq)")
	}
	var since time.Time
	if v := c.Query("since"); v != "" {
		since, err = time.Parse(time.RFC3339, v)
		if err != nil {
			return &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: "since must be an RFC 3339 time",
				Fields: []platform.FieldError{{Field: "since", Code: "format", Message: "e.g. 2026-11-01T00:00:00Z"}}}
		}
	}
	var after int64
	if _, err := httpx.DecodeCursor(lp.Cursor, &after); err != nil {
		return err
	}
	entries, err := h.svc.List(c.UserContext(), after, since, lp.Limit+1)
	if err != nil {
		return err
	}
	page := httpx.Page[Entry]{Items: []Entry{}}
	if len(entries) > lp.Limit {
		entries = entries[:lp.Limit]
		page.NextCursor = httpx.EncodeCursor(entries[lp.Limit-1].Seq)
	}
	page.Items = append(page.Items, entries...)
	return c.JSON(page)
}

func (h *Handler) verify(c *fiber.Ctx) error {
	res, err := h.svc.Verify(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(res)
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
