package console

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/exams/archive"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// ExamDesk is what the exam pages need of exam administration (exams.Service).
type ExamDesk interface {
	ListSessions(ctx context.Context, batchID uuid.UUID) ([]exams.Session, error)
	CheckIn(ctx context.Context, batchID uuid.UUID, in exams.CheckInInput) (exams.CheckIn, error)
	CreateSite(ctx context.Context, in exams.SiteInput) (exams.Site, error)
	GetSite(ctx context.Context, id uuid.UUID) (exams.Site, error)
	ListSites(ctx context.Context, req platform.PageRequest) (platform.Page[exams.Site], error)
	ReplaceSite(ctx context.Context, id uuid.UUID, in exams.SiteInput) (exams.Site, error)
	CreateSession(ctx context.Context, batchID uuid.UUID, in exams.SessionInput) (exams.Session, error)
	ReplaceSession(ctx context.Context, batchID, id uuid.UUID, in exams.SessionInput) (exams.Session, error)
	DeleteSession(ctx context.Context, batchID, id uuid.UUID) error
	Arrange(ctx context.Context, batchID uuid.UUID, in exams.ArrangeInput) (exams.Arrangement, error)
	Arrangement(ctx context.Context, batchID uuid.UUID) (exams.Arrangement, error)
	MoveSeat(ctx context.Context, batchID, applicationID uuid.UUID, mv exams.SeatMove) (exams.Seat, error)
	DeleteTickets(ctx context.Context, batchID uuid.UUID) error
	Attendance(ctx context.Context, batchID, sessionID uuid.UUID) (exams.Attendance, error)
}

// ExamDocuments is the paper side of 考务 (exams.Documents): admission tickets, sign-in sheets, archive.
type ExamDocuments interface {
	IssueTickets(ctx context.Context, batchID uuid.UUID) (int, error)
	Tickets(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (platform.Page[exams.Ticket], error)
	CheckBatch(ctx context.Context, batchID uuid.UUID) error
	WriteTicketsZip(ctx context.Context, batchID uuid.UUID, w io.Writer) error
	WriteSignInSheets(ctx context.Context, batchID uuid.UUID, w io.Writer) error
	WriteArchive(ctx context.Context, batchID uuid.UUID, w io.Writer) (archive.Manifest, error)
	// A candidate's own admission tickets (GET /api/v1/me/tickets and its PDF).
	OwnTickets(ctx context.Context) ([]exams.Ticket, error)
	OwnTicketPDF(ctx context.Context, batchID uuid.UUID) (exams.Ticket, []byte, error)
}

// examPages registers the pages of 考务: exam sites and rooms, sessions, arrangement, tickets and check-in.
func (c *Console) examPages(r *router) {
	r.get("/batches/:id/check-in", access{Permission: exams.PermCheckIn}, c.checkInPage)
	r.post("/batches/:id/check-in", access{Permission: exams.PermCheckIn}, c.checkIn)
	c.examAdminPages(r)
	r.get("/my/tickets", access{Permission: exams.PermTicketReadOwn}, c.myTickets)
	r.get("/my/tickets/:batch_id/pdf", access{Permission: exams.PermTicketReadOwn}, c.myTicketPDF)
}

// myTicketsPage is 我的准考证: a candidate's admission tickets once the exam is arranged, with every
// session's time, place and seat, and the PDF to print.
type myTicketsPage struct {
	Tickets []exams.Ticket
}

func (c *Console) myTickets(fc *fiber.Ctx) error {
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	ts, err := c.d.ExamDocuments.OwnTickets(fc.UserContext())
	if err != nil {
		return err
	}
	return c.render(fc, "my_tickets", myTicketsPage{Tickets: ts})
}

// myTicketPDF sends the candidate's own ticket of a batch (409 ticket_not_ready until rendered).
func (c *Console) myTicketPDF(fc *fiber.Ctx) error {
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	id, err := httpx.UUIDParam(fc, "batch_id")
	if err != nil {
		return err
	}
	t, pdf, err := c.d.ExamDocuments.OwnTicketPDF(fc.UserContext(), id)
	if err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, "application/pdf")
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="`+t.TicketNumber+`.pdf"`)
	fc.Set(fiber.HeaderCacheControl, "private, no-store")
	return fc.Send(pdf)
}

// checkInPage is 签到: pick the session, then one text field that takes a typed id number or a ticket
// token typed by a USB scanner (keyboard wedge) followed by Enter; the field keeps the focus for the
// next scan. It works on a phone without a camera and without JavaScript.
type checkInPage struct {
	BatchID   uuid.UUID
	Sessions  []exams.SessionView
	SessionID uuid.UUID
	Result    *checkInResult
	Error     string // message id
}

// checkInResult is the person just checked in.
type checkInResult struct {
	Name        string
	RoomName    string
	Seat        int
	CheckedInAt time.Time
	First       bool
}

func (c *Console) checkInPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	sid, _ := uuid.Parse(fc.Query("session_id"))
	return c.renderCheckIn(fc, id, sid, nil, "")
}

func (c *Console) renderCheckIn(fc *fiber.Ctx, batchID, sessionID uuid.UUID, res *checkInResult, msg string) error {
	ss, err := c.d.Exams.ListSessions(fc.UserContext(), batchID)
	if err != nil {
		return err
	}
	p := checkInPage{BatchID: batchID, SessionID: sessionID, Result: res, Error: msg}
	now := c.d.Now()
	for _, s := range ss {
		p.Sessions = append(p.Sessions, exams.NewSessionView(s))
		// Without a choice, the session whose check-in is open now (the first of them).
		if p.SessionID == uuid.Nil && s.CheckInOpen(now) {
			p.SessionID = s.ID
		}
	}
	return c.render(fc, "checkin", p)
}

// checkIn records a check-in: the field "ticket" holds a scanned ticket token ("T1.…") or a typed id
// number, as POST /api/v1/batches/{id}/check-ins takes them.
func (c *Console) checkIn(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	sid, _ := uuid.Parse(strings.TrimSpace(fc.FormValue("session_id")))
	typed := strings.TrimSpace(fc.FormValue("ticket"))
	in := exams.CheckInInput{SessionID: sid}
	if strings.HasPrefix(typed, "T1.") {
		in.Ticket = typed
	} else {
		in.IDNumber = typed
	}
	ci, err := c.d.Exams.CheckIn(fc.UserContext(), id, in)
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable || pe.Kind == platform.KindForbidden {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderCheckIn(fc, id, sid, nil, checkInMessage(pe))
	}
	return c.renderCheckIn(fc, id, sid, &checkInResult{Name: ci.Name, RoomName: ci.RoomName, Seat: ci.Seat,
		CheckedInAt: ci.CheckedInAt, First: ci.Created}, "")
}

// checkInMessage is the catalog id of a refused check-in.
func checkInMessage(pe *platform.Error) string {
	switch pe.Code {
	case "invalid_ticket", "check_in_closed", "not_found":
		return "checkin.error." + pe.Code
	}
	return "checkin.error.invalid"
}

// ---------------------------------------------------------------------------------------------------
// 考点与考场 (exam sites and rooms) and a batch's 考务 page.

// examAdminPages registers sites and rooms and the batch's exam page, each with its API twin's permission.
func (c *Console) examAdminPages(r *router) {
	r.get("/exam-sites", access{Permission: exams.PermSiteRead}, c.sitesPage)
	r.get("/exam-sites/new", access{Permission: exams.PermSiteWrite}, c.newSitePage)
	r.post("/exam-sites", access{Permission: exams.PermSiteWrite}, c.createSite)
	r.get("/exam-sites/:id", access{Permission: exams.PermSiteRead}, c.sitePage)
	r.post("/exam-sites/:id", access{Permission: exams.PermSiteWrite}, c.replaceSite)

	r.get("/batches/:id/exam", access{Permission: exams.PermSessionRead}, c.examPage)
	r.post("/batches/:id/exam/sessions", access{Permission: exams.PermSessionWrite}, c.saveSession)
	r.post("/batches/:id/exam/sessions/:session_id", access{Permission: exams.PermSessionWrite}, c.saveSession)
	r.post("/batches/:id/exam/sessions/:session_id/delete", access{Permission: exams.PermSessionWrite}, c.deleteSession)
	r.post("/batches/:id/exam/arrangement", access{Permission: exams.PermArrange}, c.arrange)
	r.post("/batches/:id/exam/seats", access{Permission: exams.PermArrange}, c.moveSeat)
	r.post("/batches/:id/exam/tickets", access{Permission: exams.PermTicketWrite}, c.issueTickets)
	r.post("/batches/:id/exam/tickets/delete", access{Permission: exams.PermTicketWrite}, c.deleteTickets)
	r.get("/batches/:id/exam/tickets.zip", access{Permission: exams.PermTicketRead}, c.ticketsZIP)
	r.get("/batches/:id/exam/sign-in-sheets.pdf", access{Permission: exams.PermSignInSheetsRead}, c.signInSheets)
	r.get("/batches/:id/exam/archive.zip", access{Permission: exams.PermArchiveRead}, c.archiveZIP)
	c.examSteps = c.examFlowSteps
}

// sitesPageData lists the institution's exam sites.
type sitesPageData struct {
	Sites    []exams.SiteView
	CanWrite bool
	Next     string
}

func (c *Console) sitesPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	page, err := c.d.Exams.ListSites(ctx, platform.PageRequest{Limit: 100, Cursor: fc.Query("cursor")})
	if err != nil {
		return err
	}
	p := sitesPageData{CanWrite: c.d.Authorizer.Can(ctx, exams.PermSiteWrite), Next: page.NextCursor}
	for _, s := range page.Items {
		p.Sites = append(p.Sites, exams.NewSiteView(s))
	}
	return c.render(fc, "exam_sites", p)
}

// siteForm is the site form: existing rooms plus a few blank rows for new ones.
type siteForm struct {
	ID       uuid.UUID
	Name     string
	Address  string
	Rooms    []roomRow
	Fields   map[string]string // field → message id
	Error    string
	CanWrite bool
	Saved    bool
}

type roomRow struct {
	Index int
	ID    string
	Name  string
	Kind  string
	Seats string
}

const blankRooms = 3

// Kinds are the kinds of rooms, in the form's order.
func (siteForm) Kinds() []string { return []string{"theory", "computer", "practical"} }

// IsNew says the form creates a site.
func (f siteForm) IsNew() bool { return f.ID == uuid.Nil }

func (f *siteForm) pad() {
	for i := 0; i < blankRooms; i++ {
		f.Rooms = append(f.Rooms, roomRow{Kind: string(exams.RoomTheory)})
	}
	for i := range f.Rooms {
		f.Rooms[i].Index = i
	}
}

func siteFormOf(s exams.Site) siteForm {
	f := siteForm{ID: s.ID, Name: s.Name, Address: s.Address, Fields: map[string]string{}}
	for _, r := range s.Rooms {
		f.Rooms = append(f.Rooms, roomRow{ID: r.ID.String(), Name: r.Name, Kind: string(r.Kind), Seats: strconv.Itoa(r.Seats)})
	}
	return f
}

func (c *Console) newSitePage(fc *fiber.Ctx) error {
	f := siteForm{Fields: map[string]string{}, CanWrite: true}
	f.pad()
	return c.render(fc, "exam_site", f)
}

func (c *Console) sitePage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	s, err := c.d.Exams.GetSite(fc.UserContext(), id)
	if err != nil {
		return err
	}
	f := siteFormOf(s)
	f.CanWrite = c.d.Authorizer.Can(fc.UserContext(), exams.PermSiteWrite)
	f.Saved = fc.Query("saved") == "1"
	if f.CanWrite {
		f.pad()
	}
	return c.render(fc, "exam_site", f)
}

// readSiteForm reads the posted form (fields named as the API's JSON: name, address, rooms[i].id, …); a
// row without an id whose name is empty is a blank row and ignored.
func readSiteForm(fc *fiber.Ctx) (siteForm, exams.SiteInput) {
	f := siteForm{Name: fc.FormValue("name"), Address: fc.FormValue("address"), Fields: map[string]string{}, CanWrite: true}
	in := exams.SiteInput{Name: f.Name, Address: f.Address}
	for i := 0; i < exams.MaxRoomsOfSite+blankRooms; i++ {
		pre := fmt.Sprintf("rooms[%d].", i)
		row := roomRow{ID: fc.FormValue(pre + "id"), Name: fc.FormValue(pre + "name"), Kind: fc.FormValue(pre + "kind"), Seats: fc.FormValue(pre + "seats")}
		if strings.TrimSpace(row.Name) == "" { // a blank row, or a room removed
			continue
		}
		ri := exams.RoomInput{Name: row.Name, Kind: exams.RoomKind(row.Kind)}
		ri.ID, _ = uuid.Parse(row.ID)
		ri.Seats, _ = strconv.Atoi(strings.TrimSpace(row.Seats))
		in.Rooms = append(in.Rooms, ri)
		f.Rooms = append(f.Rooms, row)
	}
	return f, in
}

// examFieldMessage is the catalog id of a field error of the exam forms.
func examFieldMessage(code string) string {
	switch code {
	case "required", "invalid", "out_of_range", "duplicate", "too_many", "before_start", "too_long", "unknown_method",
		"not_found", "invalid_time":
		return "exam_field." + code
	}
	return fieldMessage(code)
}

// examErrorMessage is the catalog id of a refusal of an exam action.
func examErrorMessage(code string) string {
	switch code {
	case "room_in_use", "session_overlap", "room_busy", "insufficient_seats", "tickets_issued", "invalid_state",
		"not_arranged", "validation_failed", "seat_taken", "not_found", "archived":
		return "exam_error." + code
	}
	return "exam_error.other"
}

// userError is a *platform.Error the page shows (a refusal or field errors); others are the server's.
func userError(err error) (*platform.Error, bool) {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable || pe.Kind == platform.KindForbidden {
		return nil, false
	}
	return pe, true
}

func (c *Console) saveSiteForm(fc *fiber.Ctx, id uuid.UUID) error {
	f, in := readSiteForm(fc)
	f.ID = id
	var s exams.Site
	var err error
	if id == uuid.Nil {
		s, err = c.d.Exams.CreateSite(fc.UserContext(), in)
	} else {
		s, err = c.d.Exams.ReplaceSite(fc.UserContext(), id, in)
	}
	if err != nil {
		pe, ok := userError(err)
		if !ok {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		for _, fe := range pe.Fields {
			// rooms[i].x names the posted row i, which is also row i of the form kept.
			f.Fields[fe.Field] = examFieldMessage(fe.Code)
		}
		if len(pe.Fields) == 0 {
			if pe.Code == "room_in_use" {
				f.Fields["rooms"] = examErrorMessage(pe.Code)
			} else {
				f.Error = examErrorMessage(pe.Code)
			}
		}
		f.pad()
		return c.render(fc, "exam_site", f)
	}
	return fc.Redirect("/exam-sites/"+s.ID.String()+"?saved=1", fiber.StatusSeeOther)
}

func (c *Console) createSite(fc *fiber.Ctx) error { return c.saveSiteForm(fc, uuid.Nil) }

func (c *Console) replaceSite(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	return c.saveSiteForm(fc, id)
}

// examPageData is a batch's 考务 page.
type examPageData struct {
	Batch       batches.Batch
	Methods     []string
	Sessions    []sessionBlock
	Rooms       []siteRooms // the tenant's rooms, by site, for the session form
	New         sessionForm
	Arrangement *exams.ArrangementView
	Tickets     ticketCounts
	Closed      bool
	Finalized   bool
	Can         map[string]bool
	Done        string // message id
	Error       string // message id of a refusal
	ErrorAt     string // which form the refusal belongs to: session id, "new", "arrange", "move", "tickets"
	Seed        string
	Mode        string
	Move        map[string]string
}

// sessionBlock is a session with its form and its seats per room.
type sessionBlock struct {
	exams.SessionView
	Form       sessionForm
	Rooms      []roomSeats
	Present    int
	Absent     int
	Expected   int
	Attendance bool
}

// roomSeats is a room of a session with its seated candidates.
type roomSeats struct {
	Name  string
	Site  string
	Seats []seatLine
}

type seatLine struct {
	Seat          int
	Name          string
	TicketNumber  string
	ApplicationID uuid.UUID
	Status        string
}

// sessionForm is a session's form: method, China-time start and end, rooms.
type sessionForm struct {
	ID       uuid.UUID
	Method   string
	StartsAt string // datetime-local, China time
	EndsAt   string
	RoomIDs  map[string]bool
	Fields   map[string]string
}

type siteRooms struct {
	Name  string
	Rooms []exams.RoomView
}

// ticketCounts is how far the admission tickets are.
type ticketCounts struct {
	Total, Pending, Ready, Failed int
}

const localLayout = "2006-01-02T15:04"

func localTime(t time.Time) string { return t.In(batches.ChinaTime).Format(localLayout) }

func (c *Console) examPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	p, err := c.examData(fc, id)
	if err != nil {
		return err
	}
	p.Done = map[string]string{"issued": "exam_done.issued", "arranged": "exam_done.arranged", "saved": "exam_done.saved",
		"deleted": "exam_done.deleted", "moved": "exam_done.moved", "tickets_deleted": "exam_done.tickets_deleted"}[fc.Query("done")]
	return c.render(fc, "exam", p)
}

// examData loads what the exam page shows, as far as the user may read it.
func (c *Console) examData(fc *fiber.Ctx, id uuid.UUID) (*examPageData, error) {
	ctx := fc.UserContext()
	b, err := c.d.Batches.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	can := func(p string) bool { return c.d.Authorizer.Can(ctx, p) }
	p := &examPageData{Batch: b, Closed: b.Status == batches.StatusClosed, Finalized: b.Status == batches.StatusFinalized,
		Can: map[string]bool{
			"session":    can(exams.PermSessionWrite) && b.Status == batches.StatusClosed,
			"arrange":    can(exams.PermArrange) && b.Status == batches.StatusClosed,
			"arr_read":   can(exams.PermArrangementRead),
			"ticket":     can(exams.PermTicketWrite) && b.Status == batches.StatusClosed && c.d.ExamDocuments != nil,
			"ticket_r":   can(exams.PermTicketRead) && c.d.ExamDocuments != nil,
			"attendance": can(exams.PermAttendanceRead),
			"checkin":    can(exams.PermCheckIn),
			"sheets":     can(exams.PermSignInSheetsRead) && c.d.ExamDocuments != nil,
			"archive":    can(exams.PermArchiveRead) && c.d.ExamDocuments != nil && b.Status == batches.StatusFinalized,
		},
		New: sessionForm{RoomIDs: map[string]bool{}, Fields: map[string]string{}}, Mode: string(exams.ModeShuffled), Move: map[string]string{}}
	for _, m := range b.Methods {
		p.Methods = append(p.Methods, string(m))
	}
	if p.Can["session"] {
		sites, err := c.d.Exams.ListSites(ctx, platform.PageRequest{Limit: platform.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, s := range sites.Items {
			v := exams.NewSiteView(s)
			p.Rooms = append(p.Rooms, siteRooms{Name: v.Name, Rooms: v.Rooms})
		}
	}
	ss, err := c.d.Exams.ListSessions(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Can["arr_read"] {
		a, err := c.d.Exams.Arrangement(ctx, id)
		if err == nil {
			v := exams.NewArrangementView(a)
			p.Arrangement = &v
			p.Seed = a.Seed
		} else if _, ok := userError(err); !ok {
			return nil, err
		}
	}
	numbers := map[uuid.UUID]string{}
	seatsOf := map[uuid.UUID][]exams.SeatView{}
	if p.Arrangement != nil {
		for _, s := range p.Arrangement.Seats {
			numbers[s.ApplicationID] = s.TicketNumber
			seatsOf[s.SessionID] = append(seatsOf[s.SessionID], s)
		}
	}
	for _, s := range ss {
		v := exams.NewSessionView(s)
		blk := sessionBlock{SessionView: v, Form: sessionForm{ID: s.ID, Method: v.Method, StartsAt: localTime(s.StartsAt),
			EndsAt: localTime(s.EndsAt), RoomIDs: map[string]bool{}, Fields: map[string]string{}}}
		byRoom := map[uuid.UUID]int{}
		for _, r := range v.Rooms {
			blk.Form.RoomIDs[r.ID.String()] = true
			byRoom[r.ID] = len(blk.Rooms)
			blk.Rooms = append(blk.Rooms, roomSeats{Name: r.Name, Site: r.SiteName})
		}
		names := map[uuid.UUID]exams.AttendanceItem{}
		if p.Can["attendance"] && p.Arrangement != nil {
			att, err := c.d.Exams.Attendance(ctx, id, s.ID)
			if err != nil {
				return nil, err
			}
			blk.Attendance = true
			for _, it := range att.Items {
				names[it.ApplicationID] = it
				switch it.Status {
				case exams.Present:
					blk.Present++
				case exams.Absent:
					blk.Absent++
				default:
					blk.Expected++
				}
			}
		}
		for _, st := range seatsOf[s.ID] {
			i, ok := byRoom[st.RoomID]
			if !ok {
				continue
			}
			line := seatLine{Seat: st.Seat, TicketNumber: st.TicketNumber, ApplicationID: st.ApplicationID}
			if it, ok := names[st.ApplicationID]; ok {
				line.Name, line.Status = it.Name, string(it.Status)
			}
			blk.Rooms[i].Seats = append(blk.Rooms[i].Seats, line)
		}
		p.Sessions = append(p.Sessions, blk)
	}
	if p.Can["ticket_r"] {
		n, err := c.ticketCounts(ctx, id)
		if err != nil {
			return nil, err
		}
		p.Tickets = n
	}
	return p, nil
}

// ticketCounts counts a batch's tickets by status, a page of 500 at a time.
func (c *Console) ticketCounts(ctx context.Context, id uuid.UUID) (ticketCounts, error) {
	var n ticketCounts
	req := platform.PageRequest{Limit: platform.MaxLimit}
	for {
		page, err := c.d.ExamDocuments.Tickets(ctx, id, req)
		if err != nil {
			if _, ok := userError(err); ok {
				return n, nil
			}
			return n, err
		}
		for _, t := range page.Items {
			n.Total++
			switch t.Status {
			case exams.TicketPending:
				n.Pending++
			case exams.TicketReady:
				n.Ready++
			case exams.TicketFailed:
				n.Failed++
			}
		}
		if page.NextCursor == "" {
			return n, nil
		}
		req.Cursor = page.NextCursor
	}
}

// examRefusal renders the exam page with a refusal next to the form it belongs to.
func (c *Console) examRefusal(fc *fiber.Ctx, id uuid.UUID, err error, at string, adjust func(p *examPageData, pe *platform.Error)) error {
	pe, ok := userError(err)
	if !ok {
		return err
	}
	p, lerr := c.examData(fc, id)
	if lerr != nil {
		return lerr
	}
	p.ErrorAt = at
	if len(pe.Fields) == 0 || pe.Code != "validation_failed" {
		p.Error = examErrorMessage(pe.Code)
	}
	if adjust != nil {
		adjust(p, pe)
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.render(fc, "exam", p)
}

func (c *Console) saveSession(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	sid := uuid.Nil
	if fc.Params("session_id") != "" {
		if sid, err = httpx.UUIDParam(fc, "session_id"); err != nil {
			return err
		}
	}
	form := sessionForm{ID: sid, Method: fc.FormValue("method"), StartsAt: fc.FormValue("starts_at"), EndsAt: fc.FormValue("ends_at"),
		RoomIDs: map[string]bool{}, Fields: map[string]string{}}
	in := exams.SessionInput{Method: batches.Method(form.Method)}
	var bad platform.Validation
	in.StartsAt = parseLocal(&bad, "starts_at", form.StartsAt)
	in.EndsAt = parseLocal(&bad, "ends_at", form.EndsAt)
	for _, v := range fc.Request().PostArgs().PeekMulti("room_ids") {
		rid, perr := uuid.Parse(string(v))
		if perr == nil {
			in.RoomIDs = append(in.RoomIDs, rid)
			form.RoomIDs[rid.String()] = true
		}
	}
	err = bad.Err()
	if err == nil {
		if sid == uuid.Nil {
			_, err = c.d.Exams.CreateSession(fc.UserContext(), id, in)
		} else {
			_, err = c.d.Exams.ReplaceSession(fc.UserContext(), id, sid, in)
		}
	}
	if err != nil {
		at := "new"
		if sid != uuid.Nil {
			at = sid.String()
		}
		return c.examRefusal(fc, id, err, at, func(p *examPageData, pe *platform.Error) {
			for _, fe := range pe.Fields {
				name := fe.Field
				if strings.HasPrefix(name, "room_ids") {
					name = "room_ids"
				}
				form.Fields[name] = examFieldMessage(fe.Code)
			}
			switch pe.Code {
			case "session_overlap":
				form.Fields["starts_at"], p.Error = examErrorMessage(pe.Code), ""
			case "room_busy":
				form.Fields["room_ids"], p.Error = examErrorMessage(pe.Code), ""
			}
			if sid == uuid.Nil {
				p.New = form
				return
			}
			for i := range p.Sessions {
				if p.Sessions[i].ID == sid {
					p.Sessions[i].Form = form
				}
			}
		})
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=saved#sessions", fiber.StatusSeeOther)
}

// parseLocal reads a datetime-local value in China time (or an RFC 3339 time).
func parseLocal(v *platform.Validation, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		v.Add(field, "required", "a time is required")
		return time.Time{}
	}
	for _, layout := range []string{localLayout, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, batches.ChinaTime); err == nil {
			return t.UTC()
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	v.Add(field, "invalid_time", "a date and time is expected")
	return time.Time{}
}

func (c *Console) deleteSession(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	sid, err := httpx.UUIDParam(fc, "session_id")
	if err != nil {
		return err
	}
	if err := c.d.Exams.DeleteSession(fc.UserContext(), id, sid); err != nil {
		return c.examRefusal(fc, id, err, sid.String(), nil)
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=deleted#sessions", fiber.StatusSeeOther)
}

func (c *Console) arrange(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	in := exams.ArrangeInput{Mode: exams.Mode(fc.FormValue("mode")), Seed: strings.TrimSpace(fc.FormValue("seed"))}
	if _, err := c.d.Exams.Arrange(fc.UserContext(), id, in); err != nil {
		return c.examRefusal(fc, id, err, "arrange", func(p *examPageData, pe *platform.Error) {
			p.Mode, p.Seed = string(in.Mode), in.Seed
			for _, fe := range pe.Fields {
				p.Move["arrange."+fe.Field] = examFieldMessage(fe.Code)
			}
		})
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=arranged#arrangement", fiber.StatusSeeOther)
}

func (c *Console) moveSeat(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	var mv exams.SeatMove
	app, _ := uuid.Parse(strings.TrimSpace(fc.FormValue("application_id")))
	mv.SessionID, _ = uuid.Parse(fc.FormValue("session_id"))
	mv.RoomID, _ = uuid.Parse(fc.FormValue("room_id"))
	mv.Seat, _ = strconv.Atoi(strings.TrimSpace(fc.FormValue("seat")))
	if _, err := c.d.Exams.MoveSeat(fc.UserContext(), id, app, mv); err != nil {
		return c.examRefusal(fc, id, err, "move", func(p *examPageData, pe *platform.Error) {
			for _, fe := range pe.Fields {
				p.Move[fe.Field] = examFieldMessage(fe.Code)
			}
		})
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=moved#arrangement", fiber.StatusSeeOther)
}

func (c *Console) issueTickets(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	if _, err := c.d.ExamDocuments.IssueTickets(fc.UserContext(), id); err != nil {
		return c.examRefusal(fc, id, err, "tickets", nil)
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=issued#tickets", fiber.StatusSeeOther)
}

func (c *Console) deleteTickets(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if err := c.d.Exams.DeleteTickets(fc.UserContext(), id); err != nil {
		return c.examRefusal(fc, id, err, "tickets", nil)
	}
	return fc.Redirect("/batches/"+id.String()+"/exam?done=tickets_deleted#tickets", fiber.StatusSeeOther)
}

// streamDoc streams a document of the batch after check (which answers before any byte is sent).
func (c *Console) streamDoc(fc *fiber.Ctx, ctype, name string, check func(ctx context.Context, id uuid.UUID) error,
	write func(ctx context.Context, id uuid.UUID, w io.Writer) error) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	ctx := fc.UserContext()
	if check != nil {
		if err := check(ctx, id); err != nil {
			return err
		}
	}
	fc.Set(fiber.HeaderContentType, ctype)
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+"-"+name+`"`)
	log := c.d.Log
	fc.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := write(ctx, id, w); err != nil {
			log.WarnContext(ctx, "console: exam document download interrupted", "batch_id", id, "doc", name, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}

func (c *Console) ticketsZIP(fc *fiber.Ctx) error {
	return c.streamDoc(fc, "application/zip", "tickets.zip", c.d.ExamDocuments.CheckBatch, c.d.ExamDocuments.WriteTicketsZip)
}

// signInSheets renders the PDF in memory first so a refusal (no arrangement) is an error page, not a
// broken download.
func (c *Console) signInSheets(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	var buf bytes.Buffer
	if err := c.d.ExamDocuments.WriteSignInSheets(fc.UserContext(), id, &buf); err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, "application/pdf")
	fc.Set(fiber.HeaderContentDisposition, `inline; filename="batch-`+id.String()+`-sign-in-sheets.pdf"`)
	return fc.Send(buf.Bytes())
}

// archiveZIP builds the archive in memory first: a refusal (not finalized) is then an error page.
func (c *Console) archiveZIP(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if c.d.ExamDocuments == nil {
		return fiber.ErrNotFound
	}
	var buf bytes.Buffer
	if _, err := c.d.ExamDocuments.WriteArchive(fc.UserContext(), id, &buf); err != nil {
		return err
	}
	fc.Set(fiber.HeaderContentType, "application/zip")
	fc.Set(fiber.HeaderContentDisposition, `attachment; filename="batch-`+id.String()+`-archive.zip"`)
	return fc.Send(buf.Bytes())
}

// examFlowSteps are 考场编排 and 准考证 of a batch's step flow.
func (c *Console) examFlowSteps(fc *fiber.Ctx, f *batchFlow) ([]step, error) {
	b := f.Batch
	if !f.can(exams.PermSessionRead) {
		return nil, nil
	}
	ctx := fc.UserContext()
	link := "/batches/" + b.ID.String() + "/exam"
	arrange := step{Key: "exam_step.arrange", Link: link + "#arrangement", LinkKey: "exam_link.arrange"}
	tickets := step{Key: "exam_step.tickets", Link: link + "#tickets", LinkKey: "exam_link.tickets"}
	after := b.Status == batches.StatusPublicity || b.Status == batches.StatusFinalized
	switch {
	case b.Status == batches.StatusCancelled:
		arrange.State, tickets.State = stepCancelled, stepCancelled
	case b.Status == batches.StatusDraft || b.Status == batches.StatusOpen:
		arrange.State, tickets.State = stepWaiting, stepWaiting
	}
	ss, err := c.d.Exams.ListSessions(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	arranged := false
	if f.can(exams.PermArrangementRead) {
		a, err := c.d.Exams.Arrangement(ctx, b.ID)
		if err == nil {
			arranged = true
			arrange.Notes = append(arrange.Notes, note{Key: "exam_note.arranged", Args: []any{"Seats", len(a.Seats), "Sessions", len(ss)}})
			if a.Seed != "" {
				arrange.Notes = append(arrange.Notes, note{Key: "exam_note.seed", Args: []any{"Seed", a.Seed}})
			}
		} else if _, ok := userError(err); !ok {
			return nil, err
		}
	}
	if len(ss) == 0 {
		arrange.Notes = append(arrange.Notes, note{Key: "exam_note.no_sessions", Warn: b.Status == batches.StatusClosed})
	} else if !arranged {
		arrange.Notes = append(arrange.Notes, note{Key: "exam_note.not_arranged", Args: []any{"Sessions", len(ss)}, Warn: b.Status == batches.StatusClosed})
	}
	var n ticketCounts
	if c.d.ExamDocuments != nil && f.can(exams.PermTicketRead) {
		if n, err = c.ticketCounts(ctx, b.ID); err != nil {
			return nil, err
		}
	}
	switch {
	case n.Total == 0:
		tickets.Notes = append(tickets.Notes, note{Key: "exam_note.no_tickets"})
	default:
		tickets.Notes = append(tickets.Notes, note{Key: "exam_note.tickets_ready", Args: []any{"Ready", n.Ready, "Total", n.Total}})
		if n.Pending > 0 {
			tickets.Notes = append(tickets.Notes, note{Key: "exam_note.tickets_pending", Args: []any{"Count", n.Pending}, Warn: true})
		}
		if n.Failed > 0 {
			tickets.Notes = append(tickets.Notes, note{Key: "exam_note.tickets_failed", Args: []any{"Count", n.Failed}, Warn: true})
		}
	}
	if arrange.State == "" {
		switch {
		case arranged || after:
			arrange.State = stepDone
		default:
			arrange.State = stepCurrent
		}
	}
	if tickets.State == "" {
		switch {
		case after || (n.Total > 0 && n.Ready == n.Total):
			tickets.State = stepDone
		case arranged:
			tickets.State = stepCurrent
		default:
			tickets.State = stepWaiting
		}
	}
	return []step{arrange, tickets}, nil
}
