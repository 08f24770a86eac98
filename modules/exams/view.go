package exams

import (
	"time"

	"github.com/google/uuid"
)

// View models of exams, shared by the API and the console. Times are RFC 3339 UTC.

// RoomView is a room in API form.
type RoomView struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	Kind  string    `json:"kind" enum:"theory,computer,practical"`
	Seats int       `json:"seats"`
}

// SiteView is an exam site in API form.
type SiteView struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	Address   string     `json:"address"`
	Rooms     []RoomView `json:"rooms"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// NewRoomView converts a room.
func NewRoomView(r Room) RoomView {
	return RoomView{ID: r.ID, Name: r.Name, Kind: string(r.Kind), Seats: r.Seats}
}

// NewSiteView converts a site.
func NewSiteView(s Site) SiteView {
	v := SiteView{ID: s.ID, Name: s.Name, Address: s.Address, Rooms: make([]RoomView, len(s.Rooms)), CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	for i, r := range s.Rooms {
		v.Rooms[i] = NewRoomView(r)
	}
	return v
}

// SessionRoomView is a room of a session, with its site.
type SessionRoomView struct {
	RoomView
	SiteID      uuid.UUID `json:"site_id"`
	SiteName    string    `json:"site_name"`
	SiteAddress string    `json:"site_address"`
}

// SessionView is a session in API form.
type SessionView struct {
	ID       uuid.UUID         `json:"id"`
	BatchID  uuid.UUID         `json:"batch_id"`
	Method   string            `json:"method"`
	StartsAt time.Time         `json:"starts_at"`
	EndsAt   time.Time         `json:"ends_at"`
	Rooms    []SessionRoomView `json:"rooms"`
	Seats    int               `json:"seats" description:"the seats of its rooms"`
}

// NewSessionView converts a session.
func NewSessionView(s Session) SessionView {
	v := SessionView{ID: s.ID, BatchID: s.BatchID, Method: string(s.Method), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		Rooms: make([]SessionRoomView, len(s.Rooms)), Seats: s.Seats()}
	for i, r := range s.Rooms {
		v.Rooms[i] = SessionRoomView{RoomView: NewRoomView(r.Room), SiteID: r.SiteID, SiteName: r.SiteName, SiteAddress: r.SiteAddress}
	}
	return v
}

// SessionsView is a batch's sessions.
type SessionsView struct {
	Items []SessionView `json:"items"`
}

// SeatView is one seat in API form.
type SeatView struct {
	ApplicationID uuid.UUID `json:"application_id"`
	SessionID     uuid.UUID `json:"session_id"`
	RoomID        uuid.UUID `json:"room_id"`
	Seat          int       `json:"seat"`
	TicketNumber  string    `json:"ticket_number"`
}

// NewSeatView converts a seat.
func NewSeatView(s Seat) SeatView {
	return SeatView{ApplicationID: s.ApplicationID, SessionID: s.SessionID, RoomID: s.RoomID, Seat: s.Seat, TicketNumber: s.TicketNumber}
}

// ArrangementView is an arrangement in API form.
type ArrangementView struct {
	BatchID    uuid.UUID  `json:"batch_id"`
	Mode       string     `json:"mode" enum:"sequential,shuffled"`
	Seed       string     `json:"seed" description:"the seed of a shuffled arrangement: the same seed and applications give the same seats"`
	ArrangedAt time.Time  `json:"arranged_at"`
	Seats      []SeatView `json:"seats"`
}

// NewArrangementView converts an arrangement.
func NewArrangementView(a Arrangement) ArrangementView {
	v := ArrangementView{BatchID: a.BatchID, Mode: string(a.Mode), Seed: a.Seed, ArrangedAt: a.ArrangedAt, Seats: make([]SeatView, len(a.Seats))}
	for i, s := range a.Seats {
		v.Seats[i] = NewSeatView(s)
	}
	return v
}

// CheckInRoomView names the room of a check-in.
type CheckInRoomView struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// CheckInView is a check-in in API form.
type CheckInView struct {
	ApplicationID uuid.UUID       `json:"application_id"`
	SessionID     uuid.UUID       `json:"session_id"`
	Name          string          `json:"name"`
	Seat          int             `json:"seat"`
	Room          CheckInRoomView `json:"room"`
	CheckedInAt   time.Time       `json:"checked_in_at"`
	Via           string          `json:"via" enum:"ticket,id_number"`
}

// NewCheckInView converts a check-in.
func NewCheckInView(c CheckIn) CheckInView {
	return CheckInView{ApplicationID: c.ApplicationID, SessionID: c.SessionID, Name: c.Name, Seat: c.Seat,
		Room: CheckInRoomView{ID: c.RoomID, Name: c.RoomName}, CheckedInAt: c.CheckedInAt, Via: string(c.Via)}
}

// AttendanceItemView is one seat of an attendance.
type AttendanceItemView struct {
	ApplicationID uuid.UUID  `json:"application_id"`
	Name          string     `json:"name"`
	Seat          int        `json:"seat"`
	RoomID        uuid.UUID  `json:"room_id"`
	Status        string     `json:"status" enum:"present,absent,expected"`
	CheckedInAt   *time.Time `json:"checked_in_at"`
}

// AttendanceView is a session's attendance in API form.
type AttendanceView struct {
	SessionID uuid.UUID            `json:"session_id"`
	Ended     bool                 `json:"ended"`
	Items     []AttendanceItemView `json:"items"`
}

// NewAttendanceView converts an attendance.
func NewAttendanceView(a Attendance) AttendanceView {
	v := AttendanceView{SessionID: a.SessionID, Ended: a.Ended, Items: make([]AttendanceItemView, len(a.Items))}
	for i, it := range a.Items {
		v.Items[i] = AttendanceItemView{ApplicationID: it.ApplicationID, Name: it.Name, Seat: it.Seat, RoomID: it.RoomID,
			Status: string(it.Status), CheckedInAt: it.CheckedInAt}
	}
	return v
}
