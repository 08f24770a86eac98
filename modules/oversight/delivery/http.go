package delivery

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the regulator's external system settings.
type Handler struct{ svc *Service }

// NewHandler returns the handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Request bodies.
type (
	endpointRequest struct {
		URL    string `json:"url" required:"true"`
		Secret string `json:"secret" required:"true"`
	}
	replayRequest struct {
		Since time.Time `json:"since" required:"true"`
	}
)

// Routes registers the operations.
func (h *Handler) Routes(r *httpx.Router) {
	r.Get("/oversight/sync-endpoint", httpx.Op{Summary: "Delivery state of your external system", Tag: core.Tag, Permission: core.PermRead,
		Response: new(SyncState)}, h.state)
	r.Put("/oversight/sync-endpoint", httpx.Op{Summary: "Set your external system (https URL and HMAC secret)", Tag: core.Tag,
		Permission: core.PermSync, Request: new(endpointRequest), Response: new(SyncState)}, h.setEndpoint)
	r.Delete("/oversight/sync-endpoint", httpx.Op{Summary: "Remove your external system", Tag: core.Tag, Permission: core.PermSync, Status: 204},
		h.deleteEndpoint)
	r.Post("/oversight/sync-endpoint/pause", httpx.Op{Summary: "Pause deliveries", Tag: core.Tag, Permission: core.PermSync,
		Response: new(SyncState)}, h.pause)
	r.Post("/oversight/sync-endpoint/resume", httpx.Op{Summary: "Resume deliveries (and retry dead-lettered reports)", Tag: core.Tag,
		Permission: core.PermSync, Response: new(SyncState)}, h.resume)
	r.Post("/oversight/sync-endpoint/replay", httpx.Op{Summary: "Deliver again every report received since a time", Tag: core.Tag,
		Permission: core.PermSync, Request: new(replayRequest), Response: new(ReplayResponse)}, h.replay)
}

func (h *Handler) state(c *fiber.Ctx) error {
	st, err := h.svc.State(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) setEndpoint(c *fiber.Ctx) error {
	var req endpointRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	st, err := h.svc.SetEndpoint(c.UserContext(), EndpointInput{URL: req.URL, Secret: req.Secret})
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) deleteEndpoint(c *fiber.Ctx) error {
	if err := h.svc.DeleteEndpoint(c.UserContext()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) pause(c *fiber.Ctx) error {
	st, err := h.svc.Pause(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) resume(c *fiber.Ctx) error {
	st, err := h.svc.Resume(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) replay(c *fiber.Ctx) error {
	var req replayRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.svc.Replay(c.UserContext(), req.Since)
	if err != nil {
		return err
	}
	return c.JSON(ReplayResponse{Queued: n})
}
