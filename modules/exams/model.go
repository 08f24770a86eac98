// Package exams runs exam administration (考务) between the close of a batch's applications and its
// scores: exam sites (考点) with rooms (考场) and seats, sessions (场次) of a batch per method with their
// rooms, the seat arrangement (考场编排) with one ticket number (准考证号) per application, admission
// tickets (准考证, their signed QR token here; the PDFs are rendered by a job), check-in at the door
// (签到) and attendance — absence (缺考) is what batches asks through its Attendance interface.
//
// Rules (docs in ../shared/API.md, "Exam administration"):
//   - a room has 1–500 seats; a room a session uses cannot be removed (409 room_in_use);
//   - sessions are [starts_at, ends_at): a batch's sessions of one method never overlap (409
//     session_overlap) and a room is never in two overlapping sessions of the tenant (409 room_busy) —
//     PostgreSQL enforces both with exclusion constraints, so concurrent writers cannot double-book;
//   - an arrangement is made for a closed batch only (409 invalid_state); it seats every admitted
//     application once in every session of a method it takes (theory-exempt applications get no theory
//     seat), or fails whole with 422 insufficient_seats; once tickets exist it is frozen (409
//     tickets_issued) until they are deleted;
//   - ticket numbers are <year><batch code><serial>: four digits of the exam's year (China time), four
//     of the batch's code in the tenant and that year (0001, 0002, … in order of first arrangement), and
//     a five-digit serial within the batch in application order (00001, …; a sixth digit only beyond
//     99,999), e.g. 2026000300042. An application keeps its number for good; a serial is never reused;
//   - a check-in is idempotent (the first time is kept) and open from 60 minutes before a session starts
//     until it ends; after the end, a seated application without a check-in is absent for the method.
package exams

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// RoomKind is what a room is equipped for.
type RoomKind string

// Room kinds.
const (
	RoomTheory    RoomKind = "theory"    // paper exam
	RoomComputer  RoomKind = "computer"  // computer-based exam (机考)
	RoomPractical RoomKind = "practical" // practical operation
)

// Valid reports whether k is a known room kind.
func (k RoomKind) Valid() bool { return k == RoomTheory || k == RoomComputer || k == RoomPractical }

// Bounds of sites, rooms and sessions.
const (
	MinSeats       = 1
	MaxSeats       = 500
	MaxRoomsOfSite = 200
	maxNameLen     = 100
	maxAddressLen  = 500
	maxSeedLen     = 100
	// CheckInOpensBefore is how long before a session starts check-in opens.
	CheckInOpensBefore = 60 * time.Minute
)

// Site is an exam site (考点) of an institution with its rooms in their order.
type Site struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Name      string
	Address   string
	Rooms     []Room
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Room is an exam room (考场) of a site.
type Room struct {
	ID     uuid.UUID
	SiteID uuid.UUID
	Name   string
	Kind   RoomKind
	Seats  int
}

// SiteInput creates or replaces a site. A room with an ID keeps it (it must be one of the site's); one
// without is added; on replace, a room left out is removed.
type SiteInput struct {
	Name    string
	Address string
	Rooms   []RoomInput
}

// RoomInput is one room of a SiteInput.
type RoomInput struct {
	ID    uuid.UUID // uuid.Nil: a new room
	Name  string
	Kind  RoomKind
	Seats int
}

// Validate trims and checks the input, collecting every bad field in one 422 validation_failed.
func (in *SiteInput) Validate() error {
	var v platform.Validation
	in.Name, in.Address = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address)
	v.Check(in.Name != "" && utf8.RuneCountInString(in.Name) <= maxNameLen, "name", "invalid",
		fmt.Sprintf("a name of 1 to %d characters is required", maxNameLen))
	v.Check(in.Address != "" && utf8.RuneCountInString(in.Address) <= maxAddressLen, "address", "invalid",
		fmt.Sprintf("an address of 1 to %d characters is required", maxAddressLen))
	v.Check(len(in.Rooms) <= MaxRoomsOfSite, "rooms", "too_many", fmt.Sprintf("at most %d rooms per site", MaxRoomsOfSite))
	seen := map[uuid.UUID]bool{}
	for i := range in.Rooms {
		r := &in.Rooms[i]
		f := fmt.Sprintf("rooms[%d].", i)
		r.Name = strings.TrimSpace(r.Name)
		v.Check(r.Name != "" && utf8.RuneCountInString(r.Name) <= maxNameLen, f+"name", "invalid",
			fmt.Sprintf("a name of 1 to %d characters is required", maxNameLen))
		v.Check(r.Kind.Valid(), f+"kind", "invalid", "kind is theory, computer or practical")
		v.Check(r.Seats >= MinSeats && r.Seats <= MaxSeats, f+"seats", "out_of_range",
			fmt.Sprintf("a room has %d to %d seats", MinSeats, MaxSeats))
		if r.ID != uuid.Nil {
			v.Check(!seen[r.ID], f+"id", "duplicate", "a room is listed twice")
			seen[r.ID] = true
		}
	}
	return v.Err()
}

// Session is a sitting (场次) of one method of a batch, in [StartsAt, EndsAt), in its rooms.
type Session struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	BatchID   uuid.UUID
	Method    batches.Method
	StartsAt  time.Time
	EndsAt    time.Time
	Rooms     []SessionRoom // in seating order
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Seats is the session's capacity: the seats of its rooms.
func (s Session) Seats() int {
	n := 0
	for _, r := range s.Rooms {
		n += r.Seats
	}
	return n
}

// Ended reports whether the session is over at now.
func (s Session) Ended(now time.Time) bool { return !now.Before(s.EndsAt) }

// CheckInOpen reports whether check-in is open at now: from CheckInOpensBefore the start until the end.
func (s Session) CheckInOpen(now time.Time) bool {
	return !now.Before(s.StartsAt.Add(-CheckInOpensBefore)) && now.Before(s.EndsAt)
}

// SessionRoom is a room used by a session, with its site.
type SessionRoom struct {
	Room
	SiteName    string
	SiteAddress string
}

// SessionInput creates or replaces a session.
type SessionInput struct {
	Method   batches.Method
	StartsAt time.Time
	EndsAt   time.Time
	RoomIDs  []uuid.UUID
}

// Validate checks the input's shape; the batch's methods and the rooms are the service's.
func (in *SessionInput) Validate() error {
	var v platform.Validation
	v.Check(in.Method.Valid(), "method", "invalid", "an assessment method of the batch is required")
	v.Check(!in.StartsAt.IsZero(), "starts_at", "required", "the start is required")
	v.Check(!in.EndsAt.IsZero(), "ends_at", "required", "the end is required")
	if !in.StartsAt.IsZero() && !in.EndsAt.IsZero() {
		v.Check(in.EndsAt.After(in.StartsAt), "ends_at", "before_start", "a session ends after it starts")
		v.Check(in.EndsAt.Sub(in.StartsAt) <= 7*24*time.Hour, "ends_at", "too_long", "a session lasts at most 7 days")
	}
	v.Check(len(in.RoomIDs) > 0, "room_ids", "required", "at least one room is required")
	v.Check(len(in.RoomIDs) <= 1000, "room_ids", "too_many", "at most 1000 rooms per session")
	seen := map[uuid.UUID]bool{}
	for i, id := range in.RoomIDs {
		f := fmt.Sprintf("room_ids[%d]", i)
		if v.Check(id != uuid.Nil, f, "invalid", "a room id is required") {
			v.Check(!seen[id], f, "duplicate", "a room is listed twice")
			seen[id] = true
		}
	}
	in.StartsAt, in.EndsAt = in.StartsAt.UTC().Truncate(time.Microsecond), in.EndsAt.UTC().Truncate(time.Microsecond)
	return v.Err()
}

// Mode is how an arrangement seats applications.
type Mode string

// Arrangement modes.
const (
	ModeSequential Mode = "sequential" // in application order, room by room, seat by seat
	ModeShuffled   Mode = "shuffled"   // a reproducible draw from a seed
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeSequential || m == ModeShuffled }

// Arrangement is a batch's seat arrangement (考场编排): how it was drawn and every seat.
type Arrangement struct {
	BatchID    uuid.UUID
	Mode       Mode
	Seed       string // "" for sequential
	Seats      []Seat // by session start, room order, seat
	ArrangedAt time.Time
	ArrangedBy *uuid.UUID
}

// Seat is one application's seat in one session.
type Seat struct {
	ApplicationID uuid.UUID
	SessionID     uuid.UUID
	RoomID        uuid.UUID
	Seat          int
	TicketNumber  string
}

// ArrangeInput asks for an arrangement: the mode and, for shuffled, an optional seed (drawn when empty).
type ArrangeInput struct {
	Mode Mode
	Seed string
}

// Validate checks the input.
func (in *ArrangeInput) Validate() error {
	var v platform.Validation
	in.Seed = strings.TrimSpace(in.Seed)
	v.Check(in.Mode.Valid(), "mode", "invalid", "mode is sequential or shuffled")
	v.Check(utf8.RuneCountInString(in.Seed) <= maxSeedLen, "seed", "too_long", fmt.Sprintf("a seed has at most %d characters", maxSeedLen))
	if in.Mode == ModeSequential {
		in.Seed = "" // a sequential arrangement draws nothing
	}
	return v.Err()
}

// SeatMove moves one application to another seat of a session (an audited edit of the arrangement).
type SeatMove struct {
	SessionID uuid.UUID
	RoomID    uuid.UUID
	Seat      int
}

// SeatDetail is one application's seat with everything a ticket or a sign-in sheet prints: the
// session's method and times, the site and room, and the candidate's identity from the application.
type SeatDetail struct {
	BatchID       uuid.UUID
	ApplicationID uuid.UUID
	CandidateID   uuid.UUID
	CandidateName string
	IDType        string
	IDNumber      string
	TicketNumber  string
	SessionID     uuid.UUID
	Method        batches.Method
	StartsAt      time.Time
	EndsAt        time.Time
	SiteID        uuid.UUID
	SiteName      string
	SiteAddress   string
	RoomID        uuid.UUID
	RoomName      string
	RoomKind      RoomKind
	Seat          int
}

// Via is how a candidate was checked in.
type Via string

// Check-in ways.
const (
	ViaTicket   Via = "ticket"    // the ticket's QR token, scanned or typed
	ViaIDNumber Via = "id_number" // the id number, typed
)

// CheckInInput is one check-in at the door: a session and either a ticket token or an id number.
type CheckInInput struct {
	SessionID uuid.UUID
	Ticket    string
	IDNumber  string
}

// Validate checks that exactly one of ticket and id number is given.
func (in *CheckInInput) Validate() error {
	var v platform.Validation
	in.Ticket, in.IDNumber = strings.TrimSpace(in.Ticket), strings.ToUpper(strings.TrimSpace(in.IDNumber))
	v.Check(in.SessionID != uuid.Nil, "session_id", "required", "the session is required")
	switch {
	case in.Ticket == "" && in.IDNumber == "":
		v.Add("ticket", "required", "a ticket token or an id number is required")
	case in.Ticket != "" && in.IDNumber != "":
		v.Add("ticket", "ambiguous", "give a ticket token or an id number, not both")
	}
	v.Check(len(in.Ticket) <= 200, "ticket", "too_long", "a ticket token has at most 200 characters")
	v.Check(len(in.IDNumber) <= 40, "id_number", "too_long", "an id number has at most 40 characters")
	return v.Err()
}

// CheckIn is a recorded check-in with what the door shows: who, where they sit, and when they came
// first. Created is false when the person had already been checked in (the first time is kept).
type CheckIn struct {
	ApplicationID uuid.UUID
	SessionID     uuid.UUID
	Name          string
	Seat          int
	RoomID        uuid.UUID
	RoomName      string
	CheckedInAt   time.Time
	Via           Via
	Created       bool
}

// AttendanceStatus is a seated application's standing in a session.
type AttendanceStatus string

// Attendance statuses; absent only once the session has ended.
const (
	Present  AttendanceStatus = "present"
	Absent   AttendanceStatus = "absent"
	Expected AttendanceStatus = "expected"
)

// Attendance is a session's attendance: every seat with its standing.
type Attendance struct {
	SessionID uuid.UUID
	Ended     bool
	Items     []AttendanceItem
}

// AttendanceItem is one seated application.
type AttendanceItem struct {
	ApplicationID uuid.UUID
	Name          string
	Seat          int
	RoomID        uuid.UUID
	Status        AttendanceStatus
	CheckedInAt   *time.Time
}

// Absentee is an application absent (缺考) from some methods.
type Absentee struct {
	ApplicationID uuid.UUID
	Methods       []batches.Method
}

// ---- The ticket token (the QR payload of an admission ticket) ----

// TicketClaims is what a ticket token binds: the tenant, the batch, the application and its ticket
// number.
type TicketClaims struct {
	TenantID      uuid.UUID
	BatchID       uuid.UUID
	ApplicationID uuid.UUID
	TicketNumber  string
}

// tokenPrefix starts every ticket token and names its version.
const tokenPrefix = "T1."

// TicketKeyPurpose is the label the ticket key is derived under from the platform secret.
const TicketKeyPurpose = "skillcert/exams/ticket-token/v1"

// TicketKey derives the key that signs ticket tokens from the platform secret (the same on every
// replica): HMAC-SHA256(secret, TicketKeyPurpose).
func TicketKey(platformSecret []byte) []byte {
	m := hmac.New(sha256.New, platformSecret)
	m.Write([]byte(TicketKeyPurpose))
	return m.Sum(nil)
}

// SignTicket makes the token of a ticket: "T1.<ticket number>.<application id>.<mac>", the id and the
// MAC base64url without padding, the MAC the first 16 bytes of HMAC-SHA256 over tenant, batch,
// application and ticket number — about 62 characters, short enough for a small QR code, and
// unforgeable and bound to its tenant and batch without carrying them.
func SignTicket(key []byte, c TicketClaims) string {
	return tokenPrefix + c.TicketNumber + "." + tokenEncoding.EncodeToString(c.ApplicationID[:]) + "." +
		tokenEncoding.EncodeToString(ticketMAC(key, c))
}

func ticketMAC(key []byte, c TicketClaims) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(c.TenantID[:])
	m.Write(c.BatchID[:])
	m.Write(c.ApplicationID[:])
	m.Write([]byte(c.TicketNumber))
	return m.Sum(nil)[:16]
}

// VerifyTicket checks a token against the tenant and batch it must belong to and returns its claims;
// anything else — malformed, forged, another tenant's or batch's — is ErrInvalidTicket.
func VerifyTicket(key []byte, tenantID, batchID uuid.UUID, token string) (TicketClaims, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(token), tokenPrefix)
	if !ok {
		return TicketClaims{}, ErrInvalidTicket
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || parts[0] == "" || len(parts[0]) > 20 {
		return TicketClaims{}, ErrInvalidTicket
	}
	// Strict: a token differing only in a last character's unused bits must not decode to the same
	// bytes (one token, one spelling).
	app, err1 := tokenEncoding.DecodeString(parts[1])
	mac, err2 := tokenEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(app) != 16 || len(mac) != 16 {
		return TicketClaims{}, ErrInvalidTicket
	}
	c := TicketClaims{TenantID: tenantID, BatchID: batchID, ApplicationID: uuid.UUID(app), TicketNumber: parts[0]}
	if !hmac.Equal(mac, ticketMAC(key, c)) {
		return TicketClaims{}, ErrInvalidTicket
	}
	return c, nil
}

// TicketNumber formats a ticket number: the exam year, the batch's code in the tenant and year, and the
// serial within the batch (see the package comment).
func TicketNumber(year, batchCode, serial int) string {
	return fmt.Sprintf("%04d%04d%05d", year, batchCode, serial)
}

// ---- What exams consumes from other modules, as interfaces it owns (wired in modules/server) ----

// Supervisors tells whether a user is a supervisor assigned to a batch (check-in is open to them).
type Supervisors interface {
	IsSupervisor(ctx context.Context, batchID, userID uuid.UUID) (bool, error)
}

// Jurisdictions lists the institutions a regulator oversees (directory.Service).
type Jurisdictions interface {
	Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error)
}

// Permissions of exams, as routes, the console and policies/roles/exams.csv name them.
const (
	PermSiteWrite        = "exam_site:write"      // create and replace exam sites
	PermSiteRead         = "exam_site:read"       // list and read exam sites
	PermSessionWrite     = "exam_session:write"   // create, replace, delete sessions
	PermSessionRead      = "exam_session:read"    // list a batch's sessions
	PermArrange          = "arrangement:write"    // arrange seats, move a seat
	PermArrangementRead  = "arrangement:read"     // read the arrangement
	PermTicketWrite      = "ticket:write"         // issue and delete a batch's tickets
	PermTicketRead       = "ticket:read"          // list a batch's tickets, download them
	PermTicketReadOwn    = "ticket:read_own"      // a candidate's own tickets
	PermCheckIn          = "check_in:write"       // check candidates in (supervisors: batches assigned)
	PermAttendanceRead   = "attendance:read"      // a session's attendance
	PermOverseeExams     = "oversight:exam_read"  // regulators read arrangement and attendance
	PermPhotoBulkImport  = "candidate_photo:bulk" // bulk photos
	PermArchiveRead      = "exam_archive:read"    // the batch archive
	PermSignInSheetsRead = "sign_in_sheet:read"   // sign-in sheets
)

// Errors of exams, with stable codes.
var (
	ErrSiteNotFound    = platform.NotFound("exam site")
	ErrSessionNotFound = platform.NotFound("session")
	ErrBatchNotFound   = platform.NotFound("batch")
	ErrApplicationNF   = platform.NotFound("application")
	ErrNoArrangement   = platform.NotFound("arrangement")
	ErrRoomInUse       = platform.Conflict("room_in_use", "a session uses the room; it cannot be removed")
	ErrSessionOverlap  = platform.Conflict("session_overlap", "the batch has an overlapping session of this method")
	ErrRoomBusy        = platform.Conflict("room_busy", "a room is in an overlapping session of the institution")
	ErrTicketsIssued   = platform.Conflict("tickets_issued", "admission tickets are issued; delete them first")
	ErrInsufficient    = platform.Unprocessable("insufficient_seats", "the session's rooms have too few seats")
	ErrInvalidTicket   = platform.Unprocessable("invalid_ticket", "the ticket is not valid for this session")
	ErrCheckInClosed   = platform.Unprocessable("check_in_closed", "check-in is open from 60 minutes before the start until the end")
	ErrSeatTaken       = platform.Conflict("seat_taken", "the seat is taken")
	ErrCheckedIn       = platform.Conflict("checked_in", "candidates are checked in to the session")
	ErrNotSupervisor   = platform.Forbidden("only supervisors assigned to the batch may check candidates in")
)

// tokenEncoding is base64url without padding, decoding strictly.
var tokenEncoding = base64.RawURLEncoding.Strict()
