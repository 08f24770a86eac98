// Package docshttp serves the paper side of exam administration over the JSON API: admission tickets
// (issue, list, ZIP, the candidate's own), sign-in sheets and the batch archive — a thin adapter over
// exams.Documents, beside the exams module's own routes (modules/exams/http.go).
package docshttp

import (
	"bufio"
	"bytes"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Handler serves the paper side of exam administration: admission tickets, sign-in sheets and
// the batch archive.
type Handler struct {
	d   *exams.Documents
	log *slog.Logger
}

// NewHandler returns the documents' HTTP handler.
func NewHandler(d *exams.Documents, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d, log: log}
}

// ticketList is the list of a batch's tickets: by ticket number, either way.
var ticketList = &httpx.List{Sorts: []string{"ticket_number"}}

// TicketView is one admission ticket of a batch.
type TicketView struct {
	ApplicationID uuid.UUID `json:"application_id"`
	TicketNumber  string    `json:"ticket_number"`
	Status        string    `json:"status" enum:"pending,ready,failed"`
	Token         string    `json:"token" description:"the QR code's payload, the signed ticket token"`
	Error         string    `json:"error,omitempty" description:"why rendering failed"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// NewTicketView converts a ticket.
func NewTicketView(t exams.Ticket) TicketView {
	return TicketView{ApplicationID: t.ApplicationID, TicketNumber: t.TicketNumber, Status: t.Status, Token: t.Token,
		Error: t.Error, UpdatedAt: t.UpdatedAt}
}

// TicketsQueuedView is the answer to issuing a batch's tickets.
type TicketsQueuedView struct {
	Queued int `json:"queued" description:"tickets queued for rendering (new ones and failed ones retried)"`
}

// OwnSessionView is one sitting on a candidate's own ticket.
type OwnSessionView struct {
	SessionID   uuid.UUID `json:"session_id"`
	Method      string    `json:"method"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	SiteName    string    `json:"site_name"`
	SiteAddress string    `json:"site_address"`
	Room        struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"room"`
	Seat int `json:"seat"`
}

// OwnTicketView is one of a candidate's own tickets.
type OwnTicketView struct {
	BatchID       uuid.UUID        `json:"batch_id"`
	ApplicationID uuid.UUID        `json:"application_id"`
	TicketNumber  string           `json:"ticket_number"`
	Status        string           `json:"status" enum:"pending,ready,failed"`
	Sessions      []OwnSessionView `json:"sessions"`
}

// NewOwnTicketView converts a candidate's ticket.
func NewOwnTicketView(t exams.Ticket) OwnTicketView {
	v := OwnTicketView{BatchID: t.BatchID, ApplicationID: t.ApplicationID, TicketNumber: t.TicketNumber, Status: t.Status,
		Sessions: make([]OwnSessionView, 0, len(t.Sessions))}
	for _, s := range t.Sessions {
		sv := OwnSessionView{SessionID: s.SessionID, Method: string(s.Method), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
			SiteName: s.SiteName, SiteAddress: s.SiteAddress, Seat: s.Seat}
		sv.Room.ID, sv.Room.Name = s.RoomID, s.RoomName
		v.Sessions = append(v.Sessions, sv)
	}
	return v
}

// OwnTicketsView lists a candidate's tickets.
type OwnTicketsView struct {
	Items []OwnTicketView `json:"items"`
}

// Routes mounts the documents' API on r (paths relative to /api/v1).
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "Exam administration"
	r.Post("/batches/:id/tickets", httpx.Op{Summary: "Issue a batch's admission tickets: rendered by a job (202); again retries failed ones", Tag: tag,
		Permission: exams.PermTicketWrite, Response: new(TicketsQueuedView), Status: fiber.StatusAccepted}, h.issue)
	r.Get("/batches/:id/tickets", httpx.Op{Summary: "A batch's admission tickets (sort: ticket_number)", Tag: tag,
		Permission: exams.PermTicketRead, List: ticketList, Response: new(platform.Page[TicketView])}, h.list)
	r.Get("/batches/:id/tickets.zip", httpx.Op{Summary: "A batch's ready admission tickets as one ZIP of PDFs (streamed)", Tag: tag,
		Permission: exams.PermTicketRead, Produces: "application/zip"}, h.zip)
	r.Get("/me/tickets", httpx.Op{Summary: "The calling candidate's admission tickets with their sessions", Tag: tag,
		Permission: exams.PermTicketReadOwn, Response: new(OwnTicketsView)}, h.own)
	r.Get("/me/tickets/:batch_id/pdf", httpx.Op{Summary: "The calling candidate's admission ticket of a batch as PDF (409 ticket_not_ready)", Tag: tag,
		Permission: exams.PermTicketReadOwn, Produces: "application/pdf"}, h.ownPDF)
	r.Get("/batches/:id/sign-in-sheets.pdf", httpx.Op{Summary: "A batch's sign-in sheets: a page or more per session and room", Tag: tag,
		Permission: exams.PermSignInSheetsRead, Produces: "application/pdf"}, h.signIn)
	r.Get("/batches/:id/archive.zip", httpx.Op{Summary: "A finalized batch's archive (考务档案) with its signed manifest; archives the batch (409 invalid_state unless finalized)", Tag: tag,
		Permission: exams.PermArchiveRead, Produces: "application/zip"}, h.archive)
}

func (h *Handler) issue(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	n, err := h.d.IssueTickets(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(TicketsQueuedView{Queued: n})
}

func (h *Handler) list(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, err := ticketList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.d.Tickets(c.UserContext(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewTicketView))
}

func (h *Handler) zip(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext() // a context value, safe to keep after the handler returns
	if err := h.d.CheckBatch(ctx, id); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+`-tickets.zip"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := h.d.WriteTicketsZip(ctx, id, w); err != nil {
			// The status is sent already: stop without the central directory, so the client sees a
			// broken archive rather than a silently incomplete one.
			h.log.ErrorContext(ctx, "exams: streaming the tickets ZIP", "batch_id", id, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}

func (h *Handler) own(c *fiber.Ctx) error {
	ts, err := h.d.OwnTickets(c.UserContext())
	if err != nil {
		return err
	}
	v := OwnTicketsView{Items: make([]OwnTicketView, 0, len(ts))}
	for _, t := range ts {
		v.Items = append(v.Items, NewOwnTicketView(t))
	}
	return c.JSON(v)
}

func (h *Handler) ownPDF(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "batch_id")
	if err != nil {
		return err
	}
	t, pdf, err := h.d.OwnTicketPDF(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+t.TicketNumber+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(pdf)
}

func (h *Handler) signIn(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.d.WriteSignInSheets(c.UserContext(), id, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="batch-`+id.String()+`-sign-in-sheets.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

func (h *Handler) archive(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	// Built whole before the status is sent: a failure (not finalized, signing) is still a clean
	// problem answer, and the archive is small beside its PDFs' photos.
	var buf bytes.Buffer
	if _, err := h.d.WriteArchive(c.UserContext(), id, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+`-archive.zip"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}
