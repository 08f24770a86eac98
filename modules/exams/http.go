package exams

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the exams API.
type Handler struct{ svc *Service }

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// siteList is the sites list: by creation, either way.
var siteList = &httpx.List{Sorts: []string{"created_at"}}

// Routes mounts the exams API on r (paths relative to /api/v1).
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "Exam administration"
	r.Post("/exam-sites", httpx.Op{Summary: "Create an exam site with its rooms (1–500 seats each)", Tag: tag, Permission: PermSiteWrite,
		Request: new(siteRequest), Response: new(SiteView), Status: fiber.StatusCreated}, h.createSite)
	r.Get("/exam-sites", httpx.Op{Summary: "List exam sites", Tag: tag, Permission: PermSiteRead, List: siteList,
		Response: new(platform.Page[SiteView])}, h.listSites)
	r.Get("/exam-sites/:id", httpx.Op{Summary: "Get an exam site", Tag: tag, Permission: PermSiteRead, Response: new(SiteView)}, h.getSite)
	r.Put("/exam-sites/:id", httpx.Op{Summary: "Replace an exam site (rooms with id kept, without added, left out removed; 409 room_in_use)", Tag: tag,
		Permission: PermSiteWrite, Request: new(siteRequest), Response: new(SiteView)}, h.replaceSite)

	r.Post("/batches/:id/sessions", httpx.Op{Summary: "Add a session (409 session_overlap, room_busy, tickets_issued)", Tag: tag,
		Permission: PermSessionWrite, Request: new(sessionRequest), Response: new(SessionView), Status: fiber.StatusCreated}, h.createSession)
	r.Get("/batches/:id/sessions", httpx.Op{Summary: "A batch's sessions by start", Tag: tag, Permission: PermSessionRead,
		Response: new(SessionsView)}, h.listSessions)
	r.Put("/batches/:id/sessions/:session_id", httpx.Op{Summary: "Replace a session (until tickets exist)", Tag: tag,
		Permission: PermSessionWrite, Request: new(sessionRequest), Response: new(SessionView)}, h.replaceSession)
	r.Delete("/batches/:id/sessions/:session_id", httpx.Op{Summary: "Delete a session (until tickets exist)", Tag: tag,
		Permission: PermSessionWrite, Status: fiber.StatusNoContent}, h.deleteSession)

	r.Post("/batches/:id/arrangement", httpx.Op{Summary: "Arrange seats of a closed batch (sequential, or shuffled with a seed)", Tag: tag,
		Permission: PermArrange, Request: new(arrangeRequest), Response: new(ArrangementView)}, h.arrange)
	r.Get("/batches/:id/arrangement", httpx.Op{Summary: "A batch's arrangement", Tag: tag, Permission: PermArrangementRead,
		Response: new(ArrangementView)}, h.arrangement)
	r.Put("/batches/:id/arrangement/seats/:application_id", httpx.Op{Summary: "Move one candidate to another seat of a session (audited)", Tag: tag,
		Permission: PermArrange, Request: new(moveRequest), Response: new(SeatView)}, h.moveSeat)
	r.Delete("/batches/:id/tickets", httpx.Op{Summary: "Delete a batch's admission tickets (un-freezes the arrangement)", Tag: tag,
		Permission: PermTicketWrite, Status: fiber.StatusNoContent}, h.deleteTickets)

	r.Post("/batches/:id/check-ins", httpx.Op{Summary: "Check a candidate in by ticket token or id number (201 first, 200 again)", Tag: tag,
		Permission: PermCheckIn, Request: new(checkInRequest), Response: new(CheckInView), Status: fiber.StatusCreated}, h.checkIn)
	r.Get("/batches/:id/attendance", httpx.Op{Summary: "A session's attendance (?session_id=)", Tag: tag, Permission: PermAttendanceRead,
		Response: new(AttendanceView)}, h.attendance)

	const oTag = "Oversight"
	r.Get("/oversight/institutions/:tenant_id/batches/:id/arrangement", httpx.Op{Summary: "An institution's batch arrangement", Tag: oTag,
		Permission: PermOverseeExams, Response: new(ArrangementView)}, h.overseeArrangement)
	r.Get("/oversight/institutions/:tenant_id/batches/:id/attendance", httpx.Op{Summary: "An institution's session attendance (?session_id=)", Tag: oTag,
		Permission: PermOverseeExams, Response: new(AttendanceView)}, h.overseeAttendance)
}

type roomRequest struct {
	ID    *uuid.UUID `json:"id,omitempty" description:"an existing room's id (PUT keeps it); omit for a new room"`
	Name  string     `json:"name"`
	Kind  string     `json:"kind" enum:"theory,computer,practical"`
	Seats int        `json:"seats" minimum:"1" maximum:"500"`
}

type siteRequest struct {
	Name    string        `json:"name"`
	Address string        `json:"address"`
	Rooms   []roomRequest `json:"rooms"`
}

func (r siteRequest) input() SiteInput {
	in := SiteInput{Name: r.Name, Address: r.Address, Rooms: make([]RoomInput, len(r.Rooms))}
	for i, rr := range r.Rooms {
		in.Rooms[i] = RoomInput{Name: rr.Name, Kind: RoomKind(rr.Kind), Seats: rr.Seats}
		if rr.ID != nil {
			in.Rooms[i].ID = *rr.ID
		}
	}
	return in
}

func (h *Handler) createSite(c *fiber.Ctx) error {
	var req siteRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.CreateSite(c.UserContext(), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewSiteView(s))
}

func (h *Handler) listSites(c *fiber.Ctx) error {
	req, err := siteList.Parse(c)
	if err != nil {
		return err
	}
	p, err := h.svc.ListSites(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(p, NewSiteView))
}

func (h *Handler) getSite(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.GetSite(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewSiteView(s))
}

func (h *Handler) replaceSite(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req siteRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.ReplaceSite(c.UserContext(), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(NewSiteView(s))
}

type sessionRequest struct {
	Method   string      `json:"method"`
	StartsAt string      `json:"starts_at" description:"RFC 3339"`
	EndsAt   string      `json:"ends_at" description:"RFC 3339; the session is [starts_at, ends_at)"`
	RoomIDs  []uuid.UUID `json:"room_ids"`
}

func (r sessionRequest) input() (SessionInput, error) {
	var v platform.Validation
	in := SessionInput{Method: batches.Method(r.Method), RoomIDs: r.RoomIDs}
	in.StartsAt = batches.ParseInstant(&v, "starts_at", r.StartsAt, false)
	in.EndsAt = batches.ParseInstant(&v, "ends_at", r.EndsAt, false)
	return in, v.Err()
}

func (h *Handler) createSession(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req sessionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	s, err := h.svc.CreateSession(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewSessionView(s))
}

func (h *Handler) listSessions(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	ss, err := h.svc.ListSessions(c.UserContext(), id)
	if err != nil {
		return err
	}
	v := SessionsView{Items: make([]SessionView, len(ss))}
	for i, s := range ss {
		v.Items[i] = NewSessionView(s)
	}
	return c.JSON(v)
}

func (h *Handler) replaceSession(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := httpx.UUIDParam(c, "session_id")
	if err != nil {
		return err
	}
	var req sessionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	s, err := h.svc.ReplaceSession(c.UserContext(), id, sid, in)
	if err != nil {
		return err
	}
	return c.JSON(NewSessionView(s))
}

func (h *Handler) deleteSession(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := httpx.UUIDParam(c, "session_id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSession(c.UserContext(), id, sid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type arrangeRequest struct {
	Mode string `json:"mode" enum:"sequential,shuffled"`
	Seed string `json:"seed,omitempty" description:"shuffled only; drawn and returned when absent"`
}

func (h *Handler) arrange(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req arrangeRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.Arrange(c.UserContext(), id, ArrangeInput{Mode: Mode(req.Mode), Seed: req.Seed})
	if err != nil {
		return err
	}
	return c.JSON(NewArrangementView(a))
}

func (h *Handler) arrangement(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.Arrangement(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewArrangementView(a))
}

type moveRequest struct {
	SessionID uuid.UUID `json:"session_id"`
	RoomID    uuid.UUID `json:"room_id"`
	Seat      int       `json:"seat"`
}

func (h *Handler) moveSeat(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	app, err := httpx.UUIDParam(c, "application_id")
	if err != nil {
		return err
	}
	var req moveRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.MoveSeat(c.UserContext(), id, app, SeatMove{SessionID: req.SessionID, RoomID: req.RoomID, Seat: req.Seat})
	if err != nil {
		return err
	}
	return c.JSON(NewSeatView(s))
}

func (h *Handler) deleteTickets(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTickets(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type checkInRequest struct {
	SessionID uuid.UUID `json:"session_id"`
	Ticket    string    `json:"ticket,omitempty" description:"the ticket's QR token"`
	IDNumber  string    `json:"id_number,omitempty"`
}

func (h *Handler) checkIn(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req checkInRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	ci, err := h.svc.CheckIn(c.UserContext(), id, CheckInInput{SessionID: req.SessionID, Ticket: req.Ticket, IDNumber: req.IDNumber})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if ci.Created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(NewCheckInView(ci))
}

// sessionQuery reads the required ?session_id=.
func sessionQuery(c *fiber.Ctx) (uuid.UUID, error) {
	s := strings.TrimSpace(c.Query("session_id"))
	if s == "" {
		return uuid.Nil, platform.E(platform.KindInvalid, "invalid_parameter", "session_id is required")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, platform.E(platform.KindInvalid, "invalid_parameter", "session_id must be a UUID")
	}
	return id, nil
}

func (h *Handler) attendance(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := sessionQuery(c)
	if err != nil {
		return err
	}
	a, err := h.svc.Attendance(c.UserContext(), id, sid)
	if err != nil {
		return err
	}
	return c.JSON(NewAttendanceView(a))
}

func (h *Handler) overseeArrangement(c *fiber.Ctx) error {
	tid, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.OverseeArrangement(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	return c.JSON(NewArrangementView(a))
}

func (h *Handler) overseeAttendance(c *fiber.Ctx) error {
	tid, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := sessionQuery(c)
	if err != nil {
		return err
	}
	a, err := h.svc.OverseeAttendance(c.UserContext(), tid, id, sid)
	if err != nil {
		return err
	}
	return c.JSON(NewAttendanceView(a))
}
