package console

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// ExamDesk is what the exam pages need of exam administration (exams.Service).
type ExamDesk interface {
	ListSessions(ctx context.Context, batchID uuid.UUID) ([]exams.Session, error)
	CheckIn(ctx context.Context, batchID uuid.UUID, in exams.CheckInInput) (exams.CheckIn, error)
}

// examPages registers the pages of 考务: exam sites and rooms, sessions, arrangement, tickets and check-in.
func (c *Console) examPages(r *router) {
	r.get("/batches/:id/check-in", access{Permission: exams.PermCheckIn}, c.checkInPage)
	r.post("/batches/:id/check-in", access{Permission: exams.PermCheckIn}, c.checkIn)
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
