package exams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Deps are what the service needs besides its database.
type Deps struct {
	// Supervisors tells whether a supervisor is assigned to a batch (check-in is open to them).
	Supervisors Supervisors
	// Jurisdictions lists a regulator's institutions (regulators' reads).
	Jurisdictions Jurisdictions
	// TicketKey signs and verifies ticket tokens (TicketKey of the platform secret).
	TicketKey []byte
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// Service runs exam administration. The HTTP layer, the console, jobs and the batches module (through
// its Attendance interface) call it.
type Service struct {
	db   *bun.DB
	deps Deps
}

// NewService builds the service on db.
func NewService(db *bun.DB, d Deps) (*Service, error) {
	if d.Supervisors == nil || d.Jurisdictions == nil || len(d.TicketKey) < 16 {
		return nil, fmt.Errorf("exams: supervisors, jurisdictions and a ticket key are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{db: db, deps: d}, nil
}

// WithClock returns a service sharing everything with s but reading the time from now (tests).
func (s *Service) WithClock(now func() time.Time) *Service {
	d := s.deps
	d.Now = now
	return &Service{db: s.db, deps: d}
}

func (s *Service) now() time.Time { return s.deps.Now().UTC().Truncate(time.Microsecond) }

// SignTicket makes the QR token of an application's admission ticket (SignTicket with the service's key).
func (s *Service) SignTicket(c TicketClaims) string { return SignTicket(s.deps.TicketKey, c) }

// VerifyTicket checks a ticket token for a batch of a tenant (VerifyTicket with the service's key).
func (s *Service) VerifyTicket(tenantID, batchID uuid.UUID, token string) (TicketClaims, error) {
	return VerifyTicket(s.deps.TicketKey, tenantID, batchID, token)
}

func actorID(ctx context.Context) *uuid.UUID {
	a := tenants.ActorFrom(ctx)
	if a.UserID == uuid.Nil {
		return nil
	}
	id := a.UserID
	return &id
}

// ---- Sites and rooms ----

// CreateSite creates an exam site with its rooms.
func (s *Service) CreateSite(ctx context.Context, in SiteInput) (Site, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Site{}, err
	}
	for i := range in.Rooms {
		in.Rooms[i].ID = uuid.Nil // a new site's rooms are all new
	}
	if err := in.Validate(); err != nil {
		return Site{}, err
	}
	var site Site
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		r := &siteRow{ID: uuid.New(), TenantID: sc.TenantID, Name: in.Name, Address: in.Address, CreatedBy: actorID(ctx), CreatedAt: now, UpdatedAt: now}
		if err := insertSite(ctx, tx, r); err != nil {
			return err
		}
		rooms := make([]roomRow, len(in.Rooms))
		for i, ri := range in.Rooms {
			rooms[i] = roomRow{ID: uuid.New(), TenantID: sc.TenantID, SiteID: r.ID, Name: ri.Name, Kind: string(ri.Kind),
				Seats: ri.Seats, Position: i, CreatedAt: now, UpdatedAt: now}
		}
		if err := insertRooms(ctx, tx, rooms); err != nil {
			return err
		}
		if site, err = getSite(ctx, tx, sc.TenantID, r.ID, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_site.create", TargetType: "exam_site", TargetID: r.ID.String(), After: NewSiteView(site)})
	})
	return site, err
}

// GetSite returns a site of the tenant with its rooms.
func (s *Service) GetSite(ctx context.Context, id uuid.UUID) (Site, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Site{}, err
	}
	var site Site
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		site, err = getSite(ctx, tx, sc.TenantID, id, false)
		return err
	})
	return site, err
}

// ListSites returns a page of the tenant's sites by (created_at, id), either way.
func (s *Service) ListSites(ctx context.Context, req platform.PageRequest) (platform.Page[Site], error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Site]{}, err
	}
	var after *siteKey
	var k siteKey
	if ok, err := platform.DecodeCursor(req.Cursor, &k.CreatedAt, &k.ID); err != nil {
		return platform.Page[Site]{}, err
	} else if ok {
		after = &k
	}
	var sites []Site
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		sites, err = listSites(ctx, tx, sc.TenantID, after, req.Desc, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Site]{}, err
	}
	return platform.CutPage(sites, req, func(s Site) string { return platform.EncodeCursor(s.CreatedAt, s.ID) }), nil
}

// ReplaceSite replaces a site: a room sent with its id keeps it (and is updated), one without is added,
// one left out is removed — 409 room_in_use when a session uses it, or when a room would lose seats
// an arrangement has given.
func (s *Service) ReplaceSite(ctx context.Context, id uuid.UUID, in SiteInput) (Site, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Site{}, err
	}
	if err := in.Validate(); err != nil {
		return Site{}, err
	}
	var site Site
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		before, err := getSite(ctx, tx, sc.TenantID, id, true)
		if err != nil {
			return err
		}
		old := map[uuid.UUID]Room{}
		for _, r := range before.Rooms {
			old[r.ID] = r
		}
		var v platform.Validation
		kept := map[uuid.UUID]bool{}
		for i, r := range in.Rooms {
			if r.ID == uuid.Nil {
				continue
			}
			if _, ok := old[r.ID]; !ok {
				v.Add(fmt.Sprintf("rooms[%d].id", i), "not_found", "no such room in this site")
			}
			kept[r.ID] = true
		}
		if err := v.Err(); err != nil {
			return err
		}
		var removed []uuid.UUID
		for _, r := range before.Rooms {
			if !kept[r.ID] {
				removed = append(removed, r.ID)
			}
		}
		used, err := roomsInUse(ctx, tx, sc.TenantID, removed)
		if err != nil {
			return err
		}
		if len(used) > 0 {
			return ErrRoomInUse
		}
		now := s.now()
		for i, r := range in.Rooms {
			if r.ID == uuid.Nil {
				continue
			}
			if r.Seats < old[r.ID].Seats {
				var top int
				if err := tx.NewSelect().Model((*seatRow)(nil)).ColumnExpr("coalesce(max(seat), 0)").
					Where("tenant_id = ? AND room_id = ?", sc.TenantID, r.ID).Scan(ctx, &top); err != nil {
					return err
				}
				if top > r.Seats {
					return platform.Conflict("room_in_use", fmt.Sprintf("room %s has seat %d arranged; it cannot shrink to %d seats", r.Name, top, r.Seats))
				}
			}
			if _, err := tx.NewUpdate().Model((*roomRow)(nil)).
				Set("name = ?, kind = ?, seats = ?, position = ?, updated_at = ?", r.Name, string(r.Kind), r.Seats, i, now).
				Where("tenant_id = ? AND id = ?", sc.TenantID, r.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if len(removed) > 0 {
			if _, err := tx.NewDelete().Model((*roomRow)(nil)).Where("tenant_id = ? AND id IN (?)", sc.TenantID, bun.In(removed)).Exec(ctx); err != nil {
				if isForeignKey(err) {
					return ErrRoomInUse
				}
				return err
			}
		}
		var added []roomRow
		for i, r := range in.Rooms {
			if r.ID == uuid.Nil {
				added = append(added, roomRow{ID: uuid.New(), TenantID: sc.TenantID, SiteID: id, Name: r.Name, Kind: string(r.Kind),
					Seats: r.Seats, Position: i, CreatedAt: now, UpdatedAt: now})
			}
		}
		if err := insertRooms(ctx, tx, added); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*siteRow)(nil)).Set("name = ?, address = ?, updated_at = ?", in.Name, in.Address, now).
			Where("tenant_id = ? AND id = ?", sc.TenantID, id).Exec(ctx); err != nil {
			return err
		}
		if site, err = getSite(ctx, tx, sc.TenantID, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_site.replace", TargetType: "exam_site", TargetID: id.String(),
			Before: NewSiteView(before), After: NewSiteView(site)})
	})
	return site, err
}

// ---- Sessions ----

// sessionWritable checks that a batch's sessions may change: the batch running (not in publicity,
// finalized or cancelled: 409 invalid_state) and no tickets issued (409 tickets_issued).
func sessionWritable(ctx context.Context, tx bun.IDB, b batchInfo) error {
	switch batches.Status(b.Status) {
	case batches.StatusDraft, batches.StatusOpen, batches.StatusClosed:
	default:
		return platform.Conflict("invalid_state", "the batch is "+b.Status+": its sessions cannot change")
	}
	issued, err := HasTickets(ctx, tx, b.TenantID, b.ID)
	if err != nil {
		return err
	}
	if issued {
		return ErrTicketsIssued
	}
	return nil
}

// checkSession checks a session input against its batch and the tenant's rooms and sessions: the method
// one of the batch's (422), the rooms the tenant's (422), no overlapping session of the method (409
// session_overlap) and no room in an overlapping session (409 room_busy). The exclusion constraints
// give the same answers in PostgreSQL when two writers race past these checks.
func checkSession(ctx context.Context, tx bun.IDB, b batchInfo, in SessionInput, except uuid.UUID) error {
	var v platform.Validation
	v.Check(b.hasMethod(in.Method), "method", "unknown_method", "the batch does not assess with "+string(in.Method))
	rooms, err := roomsByID(ctx, tx, b.TenantID, in.RoomIDs)
	if err != nil {
		return err
	}
	for i, id := range in.RoomIDs {
		_, ok := rooms[id]
		v.Check(ok, fmt.Sprintf("room_ids[%d]", i), "not_found", "no such room in this institution")
	}
	if err := v.Err(); err != nil {
		return err
	}
	overlap, err := methodOverlap(ctx, tx, b.TenantID, b.ID, in.Method, in.StartsAt, in.EndsAt, except)
	if err != nil {
		return err
	}
	if overlap {
		return ErrSessionOverlap
	}
	busy, err := roomBusy(ctx, tx, b.TenantID, in.RoomIDs, in.StartsAt, in.EndsAt, except)
	if err != nil {
		return err
	}
	if busy {
		return ErrRoomBusy
	}
	return nil
}

// CreateSession adds a session to a batch. Any change of a batch's sessions forgets its arrangement
// (its seats; ticket numbers stay), which must then be made again.
func (s *Service) CreateSession(ctx context.Context, batchID uuid.UUID, in SessionInput) (Session, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Session{}, err
	}
	if err := in.Validate(); err != nil {
		return Session{}, err
	}
	var out Session
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if err := sessionWritable(ctx, tx, b); err != nil {
			return err
		}
		if err := checkSession(ctx, tx, b, in, uuid.Nil); err != nil {
			return err
		}
		now := s.now()
		r := &sessionRow{ID: uuid.New(), TenantID: sc.TenantID, BatchID: batchID, Method: string(in.Method), StartsAt: in.StartsAt,
			EndsAt: in.EndsAt, CreatedBy: actorID(ctx), CreatedAt: now, UpdatedAt: now}
		if err := insertSession(ctx, tx, r, in.RoomIDs); err != nil {
			return err
		}
		if err := deleteArrangement(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		}
		if out, err = getSession(ctx, tx, sc.TenantID, batchID, r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_session.create", TargetType: "exam_session", TargetID: r.ID.String(), After: NewSessionView(out)})
	})
	return out, err
}

// ListSessions returns a batch's sessions by start.
func (s *Service) ListSessions(ctx context.Context, batchID uuid.UUID) ([]Session, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	var out []Session
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		out, err = sessionsOf(ctx, tx, sc.TenantID, &batchID, nil)
		return err
	})
	return out, err
}

// ReplaceSession replaces a session's method, times and rooms (until tickets exist).
func (s *Service) ReplaceSession(ctx context.Context, batchID, id uuid.UUID, in SessionInput) (Session, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Session{}, err
	}
	if err := in.Validate(); err != nil {
		return Session{}, err
	}
	var out Session
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		r, err := getSessionRow(ctx, tx, sc.TenantID, batchID, id, true)
		if err != nil {
			return err
		}
		if err := sessionWritable(ctx, tx, b); err != nil {
			return err
		}
		before, err := getSession(ctx, tx, sc.TenantID, batchID, id)
		if err != nil {
			return err
		}
		if err := checkSession(ctx, tx, b, in, id); err != nil {
			return err
		}
		if in.Method != batches.Method(r.Method) {
			if has, err := hasCheckIns(ctx, tx, sc.TenantID, id); err != nil {
				return err
			} else if has {
				return ErrCheckedIn
			}
		}
		r.Method, r.StartsAt, r.EndsAt, r.UpdatedAt = string(in.Method), in.StartsAt, in.EndsAt, s.now()
		if _, err := tx.NewUpdate().Model(r).Column("method", "starts_at", "ends_at", "updated_at").WherePK().
			Where("tenant_id = ?", sc.TenantID).Exec(ctx); err != nil {
			return sessionErr(err)
		}
		if err := deleteArrangement(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		}
		if err := deleteSessionRooms(ctx, tx, sc.TenantID, id); err != nil {
			return err
		}
		if err := insertSessionRooms(ctx, tx, r, in.RoomIDs); err != nil {
			return err
		}
		if out, err = getSession(ctx, tx, sc.TenantID, batchID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_session.replace", TargetType: "exam_session", TargetID: id.String(),
			Before: NewSessionView(before), After: NewSessionView(out)})
	})
	return out, err
}

// DeleteSession removes a session (until tickets exist; never one with check-ins: 409 checked_in).
func (s *Service) DeleteSession(ctx context.Context, batchID, id uuid.UUID) error {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if _, err := getSessionRow(ctx, tx, sc.TenantID, batchID, id, true); err != nil {
			return err
		}
		if err := sessionWritable(ctx, tx, b); err != nil {
			return err
		}
		if has, err := hasCheckIns(ctx, tx, sc.TenantID, id); err != nil {
			return err
		} else if has {
			return ErrCheckedIn
		}
		before, err := getSession(ctx, tx, sc.TenantID, batchID, id)
		if err != nil {
			return err
		}
		if err := deleteArrangement(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		}
		if err := deleteSessionRooms(ctx, tx, sc.TenantID, id); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("tenant_id = ? AND id = ?", sc.TenantID, id).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_session.delete", TargetType: "exam_session", TargetID: id.String(), Before: NewSessionView(before)})
	})
}

// ---- Arrangement ----

// Arrange seats a closed batch's admitted applications in its sessions (see arrange.go) and gives
// every one of them a ticket number (kept if it has one). 409 invalid_state unless the batch is closed,
// 409 tickets_issued once tickets exist, 422 insufficient_seats when a session's rooms are too few,
// 422 no_sessions without sessions. The seats replace any earlier arrangement; the mode and seed are
// audited so the draw can be reproduced.
func (s *Service) Arrange(ctx context.Context, batchID uuid.UUID, in ArrangeInput) (Arrangement, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Arrangement{}, err
	}
	if err := in.Validate(); err != nil {
		return Arrangement{}, err
	}
	if in.Mode == ModeShuffled && in.Seed == "" {
		in.Seed = NewSeed()
	}
	var out Arrangement
	run := func(ctx context.Context, tx bun.Tx, copySeats func(context.Context, []seatRow) error) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if batches.Status(b.Status) != batches.StatusClosed {
			return platform.Conflict("invalid_state", "the batch is "+b.Status+": seats are arranged once applications are closed")
		}
		if issued, err := HasTickets(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		} else if issued {
			return ErrTicketsIssued
		}
		sessions, err := sessionsOf(ctx, tx, sc.TenantID, &batchID, nil)
		if err != nil {
			return err
		}
		if len(sessions) == 0 {
			return platform.Unprocessable("no_sessions", "the batch has no sessions to seat candidates in")
		}
		admitted, err := admittedApplications(ctx, tx, sc.TenantID, batchID)
		if err != nil {
			return err
		}
		seats, err := arrange(arrangeSessionsOf(sessions), arrangeAppsOf(admitted), in.Mode, in.Seed)
		if err != nil {
			var ie *InsufficientError
			if errors.As(err, &ie) {
				return platform.Unprocessable("insufficient_seats", fmt.Sprintf(
					"a session needs %d seats and its rooms have %d: add rooms to session %s", ie.Need, ie.Have, ie.SessionID))
			}
			return err
		}
		numbers, err := s.assignNumbers(ctx, tx, sc.TenantID, b, admitted)
		if err != nil {
			return err
		}
		if err := deleteSeats(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		}
		rows := make([]seatRow, len(seats))
		for i := range seats {
			seats[i].TicketNumber = numbers[seats[i].ApplicationID]
			st := seats[i]
			rows[i] = seatRow{TenantID: sc.TenantID, BatchID: batchID, SessionID: st.SessionID, RoomID: st.RoomID, ApplicationID: st.ApplicationID, Seat: st.Seat}
		}
		if err := copySeats(ctx, rows); err != nil {
			return err
		}
		now := s.now()
		ar := &arrangementRow{TenantID: sc.TenantID, BatchID: batchID, Mode: string(in.Mode), Seed: in.Seed, Seats: len(rows), ArrangedBy: actorID(ctx), ArrangedAt: now}
		if err := upsertArrangement(ctx, tx, ar); err != nil {
			return err
		}
		out = Arrangement{BatchID: batchID, Mode: in.Mode, Seed: in.Seed, Seats: sortSeats(seats, sessions), ArrangedAt: now, ArrangedBy: ar.ArrangedBy}
		ids := make([]uuid.UUID, len(sessions))
		for i, ss := range sessions {
			ids[i] = ss.ID
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_arrangement.arrange", TargetType: "batch", TargetID: batchID.String(),
			After: map[string]any{"mode": in.Mode, "seed": in.Seed, "seats": len(rows), "applications": len(admitted),
				"session_ids": ids, "algorithm": "exams/arrange.go v1: ChaCha8(SHA-256(seed)) Fisher-Yates per session in (starts_at, method, id) order, applications in (created_at, id) order"}})
	}
	if platform.IsPostgres(s.db) {
		err = tenants.WithConnTx(ctx, s.db, func(ctx context.Context, conn bun.Conn, tx bun.Tx) error {
			return run(ctx, tx, func(ctx context.Context, rows []seatRow) error { return copySeatsPG(ctx, conn, tx, rows) })
		})
	} else {
		err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return run(ctx, tx, func(ctx context.Context, rows []seatRow) error { return insertSeats(ctx, tx, rows) })
		})
	}
	if err != nil {
		return Arrangement{}, err
	}
	return out, nil
}

// seatColumns are the columns COPY writes.
var seatColumns = []string{"tenant_id", "batch_id", "session_id", "room_id", "application_id", "seat"}

// copySeatsPG writes seats with COPY on the transaction's connection. PostgreSQL refuses COPY into a
// table under row-level security, so the rows are copied into a temporary table and moved into
// exam_seats with one INSERT … SELECT, which the tenant policy checks.
func copySeatsPG(ctx context.Context, conn bun.Conn, tx bun.Tx, rows []seatRow) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE exam_seat_copy (tenant_id uuid NOT NULL, batch_id uuid NOT NULL,
		session_id uuid NOT NULL, room_id uuid NOT NULL, application_id uuid NOT NULL, seat integer NOT NULL) ON COMMIT DROP`); err != nil {
		return err
	}
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("exams: COPY needs the pgx driver, got %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"exam_seat_copy"}, seatColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			return []any{[16]byte(r.TenantID), [16]byte(r.BatchID), [16]byte(r.SessionID), [16]byte(r.RoomID), [16]byte(r.ApplicationID), int32(r.Seat)}, nil
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("exams: copying seats: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO exam_seats (tenant_id, batch_id, session_id, room_id, application_id, seat)
		SELECT tenant_id, batch_id, session_id, room_id, application_id, seat FROM exam_seat_copy`)
	return err
}

// sortSeats orders seats as the store reads them: by session order, room order, seat.
func sortSeats(seats []Seat, sessions []Session) []Seat {
	rank := map[[2]uuid.UUID]int{}
	n := 0
	for _, s := range sessions {
		for _, r := range s.Rooms {
			rank[[2]uuid.UUID{s.ID, r.ID}] = n
			n++
		}
	}
	slices.SortStableFunc(seats, func(a, b Seat) int {
		if d := rank[[2]uuid.UUID{a.SessionID, a.RoomID}] - rank[[2]uuid.UUID{b.SessionID, b.RoomID}]; d != 0 {
			return d
		}
		return a.Seat - b.Seat
	})
	return seats
}

func arrangeSessionsOf(ss []Session) []arrangeSession {
	out := make([]arrangeSession, len(ss))
	for i, s := range ss {
		out[i] = arrangeSession{ID: s.ID, Method: s.Method}
		for _, r := range s.Rooms {
			out[i].Rooms = append(out[i].Rooms, arrangeRoom{ID: r.ID, Seats: r.Seats})
		}
	}
	return out
}

func arrangeAppsOf(as []applicant) []arrangeApp {
	out := make([]arrangeApp, len(as))
	for i, a := range as {
		out[i] = arrangeApp{ID: a.ID, TheoryExempt: a.TheoryExempt}
	}
	return out
}

// assignNumbers gives every admitted application without a ticket number the next serial of the batch
// in application order and returns the numbers of all of them.
func (s *Service) assignNumbers(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, b batchInfo, admitted []applicant) (map[uuid.UUID]string, error) {
	numbers, err := ticketNumbers(ctx, tx, tenantID, b.ID)
	if err != nil {
		return nil, err
	}
	var missing []applicant
	for _, a := range admitted {
		if _, ok := numbers[a.ID]; !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return numbers, nil
	}
	code, err := batchCode(ctx, tx, tenantID, b.ID, b.ExamStart.In(batches.ChinaTime).Year())
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := make([]ticketNumberRow, len(missing))
	for i, a := range missing {
		n := TicketNumber(code.Year, code.Code, code.NextSeq)
		code.NextSeq++
		rows[i] = ticketNumberRow{TenantID: tenantID, ApplicationID: a.ID, BatchID: b.ID, TicketNumber: n, CreatedAt: now}
		numbers[a.ID] = n
	}
	if err := insertTicketNumbers(ctx, tx, rows); err != nil {
		return nil, err
	}
	return numbers, saveBatchCode(ctx, tx, code)
}

// Arrangement returns a batch's arrangement (404 not_found before one is made).
func (s *Service) Arrangement(ctx context.Context, batchID uuid.UUID) (Arrangement, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Arrangement{}, err
	}
	var out Arrangement
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		out, err = readArrangement(ctx, tx, sc.TenantID, batchID)
		return err
	})
	return out, err
}

func readArrangement(ctx context.Context, tx bun.IDB, tenantID, batchID uuid.UUID) (Arrangement, error) {
	if _, err := getBatch(ctx, tx, tenantID, batchID, false); err != nil {
		return Arrangement{}, err
	}
	ar, err := getArrangementRow(ctx, tx, tenantID, batchID)
	if err != nil {
		return Arrangement{}, err
	}
	seats, err := seatsOfBatch(ctx, tx, tenantID, batchID)
	if err != nil {
		return Arrangement{}, err
	}
	return Arrangement{BatchID: batchID, Mode: Mode(ar.Mode), Seed: ar.Seed, Seats: seats, ArrangedAt: ar.ArrangedAt.UTC(), ArrangedBy: ar.ArrangedBy}, nil
}

// MoveSeat moves an application to another seat of one of its sessions (an audited edit): the seat
// must exist in a room of the session and be free (409 seat_taken). Refused once tickets exist (409
// tickets_issued) and unless the batch is closed (409 invalid_state).
func (s *Service) MoveSeat(ctx context.Context, batchID, applicationID uuid.UUID, mv SeatMove) (Seat, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Seat{}, err
	}
	var v platform.Validation
	v.Check(mv.SessionID != uuid.Nil, "session_id", "required", "the session is required")
	v.Check(mv.RoomID != uuid.Nil, "room_id", "required", "the room is required")
	v.Check(mv.Seat >= 1 && mv.Seat <= MaxSeats, "seat", "out_of_range", "a seat number is 1 to 500")
	if err := v.Err(); err != nil {
		return Seat{}, err
	}
	var out Seat
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if batches.Status(b.Status) != batches.StatusClosed {
			return platform.Conflict("invalid_state", "the batch is "+b.Status+": its arrangement cannot change")
		}
		if issued, err := HasTickets(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		} else if issued {
			return ErrTicketsIssued
		}
		sess, err := getSession(ctx, tx, sc.TenantID, batchID, mv.SessionID)
		if err != nil {
			return err
		}
		cur := new(seatRow)
		if err := tx.NewSelect().Model(cur).Where("tenant_id = ? AND session_id = ? AND application_id = ?", sc.TenantID, sess.ID, applicationID).
			Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrApplicationNF
			}
			return err
		}
		var room *SessionRoom
		for i := range sess.Rooms {
			if sess.Rooms[i].ID == mv.RoomID {
				room = &sess.Rooms[i]
			}
		}
		var fv platform.Validation
		if room == nil {
			fv.Add("room_id", "not_found", "the room is not one of the session's")
		} else {
			fv.Check(mv.Seat <= room.Seats, "seat", "out_of_range", fmt.Sprintf("the room has %d seats", room.Seats))
		}
		if err := fv.Err(); err != nil {
			return err
		}
		if cur.RoomID == mv.RoomID && cur.Seat == mv.Seat {
			out = Seat{ApplicationID: applicationID, SessionID: sess.ID, RoomID: cur.RoomID, Seat: cur.Seat}
			return nil
		}
		taken, err := tx.NewSelect().Model((*seatRow)(nil)).Where("tenant_id = ? AND session_id = ? AND room_id = ? AND seat = ?",
			sc.TenantID, sess.ID, mv.RoomID, mv.Seat).Exists(ctx)
		if err != nil {
			return err
		}
		if taken {
			return ErrSeatTaken
		}
		before := Seat{ApplicationID: applicationID, SessionID: sess.ID, RoomID: cur.RoomID, Seat: cur.Seat}
		if _, err := tx.NewUpdate().Model((*seatRow)(nil)).Set("room_id = ?, seat = ?", mv.RoomID, mv.Seat).
			Where("tenant_id = ? AND session_id = ? AND application_id = ?", sc.TenantID, sess.ID, applicationID).Exec(ctx); err != nil {
			if platform.IsUniqueViolation(err) {
				return ErrSeatTaken
			}
			return err
		}
		numbers, err := ticketNumbers(ctx, tx, sc.TenantID, batchID)
		if err != nil {
			return err
		}
		out = Seat{ApplicationID: applicationID, SessionID: sess.ID, RoomID: mv.RoomID, Seat: mv.Seat, TicketNumber: numbers[applicationID]}
		before.TicketNumber = out.TicketNumber
		return audit.Record(ctx, tx, audit.Event{Action: "exam_arrangement.move_seat", TargetType: "application", TargetID: applicationID.String(),
			Before: NewSeatView(before), After: NewSeatView(out)})
	})
	return out, err
}

// DeleteTickets deletes a batch's admission tickets, which un-freezes its arrangement and sessions.
func (s *Service) DeleteTickets(ctx context.Context, batchID uuid.UUID) error {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if batches.Status(b.Status) == batches.StatusFinalized {
			return platform.Conflict("invalid_state", "the batch is finalized: its tickets are part of its record")
		}
		n, err := deleteTickets(ctx, tx, sc.TenantID, batchID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam_tickets.delete", TargetType: "batch", TargetID: batchID.String(),
			Before: map[string]any{"tickets": n}})
	})
}

// ---- Check-in and attendance ----

// mayCheckIn: admins and staff check in at any batch of the tenant; a supervisor only at batches they
// are assigned to (403 otherwise).
func (s *Service) mayCheckIn(ctx context.Context, batchID uuid.UUID) error {
	a := tenants.ActorFrom(ctx)
	if a.HasRole("admin") || a.HasRole("staff") {
		return nil
	}
	if a.HasRole("supervisor") && a.UserID != uuid.Nil {
		ok, err := s.deps.Supervisors.IsSupervisor(ctx, batchID, a.UserID)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return ErrNotSupervisor
}

// CheckIn checks a candidate in to a session at the door, by ticket token or id number: the first
// check-in is recorded (Created) and audited with the operator and the time; the same person again
// gets the first time back. A token of another batch or tenant, a forged one, or a person with no seat
// in the session is 422 invalid_ticket; outside [starts_at-60min, ends_at) 422 check_in_closed.
func (s *Service) CheckIn(ctx context.Context, batchID uuid.UUID, in CheckInInput) (CheckIn, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return CheckIn{}, err
	}
	if err := in.Validate(); err != nil {
		return CheckIn{}, err
	}
	if err := s.mayCheckIn(ctx, batchID); err != nil {
		return CheckIn{}, err
	}
	var appID *uuid.UUID
	var ticketErr error // reported once the session is known to be the tenant's (404 first)
	via := ViaIDNumber
	if in.Ticket != "" {
		via = ViaTicket
		claims, err := s.VerifyTicket(sc.TenantID, batchID, in.Ticket)
		ticketErr = err
		appID = &claims.ApplicationID // uuid.Nil when invalid: no seat matches
	}
	if tenants.CanQueryPG(ctx, s.db) {
		return s.checkInPG(ctx, sc.TenantID, batchID, in, appID, ticketErr, via)
	}
	return s.checkInTx(ctx, sc.TenantID, batchID, in, appID, ticketErr, via)
}

// checkInTx is CheckIn in a transaction of bun's (SQLite in dev mode, a check-in inside an open
// transaction, or the rare race checkInPG hands back): the same reads, rules and writes as checkInPG,
// statement by statement, with audit.Record.
func (s *Service) checkInTx(ctx context.Context, tenantID, batchID uuid.UUID, in CheckInInput, appID *uuid.UUID, ticketErr error, via Via) (CheckIn, error) {
	var out CheckIn
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if platform.IsPostgres(tx) {
			// A check-in commits without waiting for the WAL flush (its fsync is most of a write's
			// latency at the door). PostgreSQL keeps it atomic with its audit entry and in order; a
			// database crash can lose at most the last ~0.6 s of check-ins (3 × wal_writer_delay), and
			// scanning those people again records them (check-in is idempotent).
			if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
		}
		door, err := atTheDoor(ctx, tx, tenantID, batchID, in.SessionID, appID, in.IDNumber)
		if err != nil {
			return err
		}
		if ticketErr != nil {
			return ticketErr
		}
		now := s.now()
		if !(Session{StartsAt: door.StartsAt, EndsAt: door.EndsAt}).CheckInOpen(now) {
			return ErrCheckInClosed
		}
		// A token's ticket number is bound by its MAC to the application, whose number never changes.
		if door.ApplicationID == nil || door.Seat == nil {
			return ErrInvalidTicket
		}
		r := &checkInRow{TenantID: tenantID, BatchID: batchID, SessionID: in.SessionID, ApplicationID: *door.ApplicationID,
			Via: string(via), CheckedInBy: actorID(ctx), CheckedInAt: now}
		created, err := insertCheckIn(ctx, tx, r)
		if err != nil {
			return err
		}
		if !created {
			if r, err = getCheckIn(ctx, tx, tenantID, in.SessionID, *door.ApplicationID); err != nil {
				return err
			}
		}
		out = CheckIn{ApplicationID: *door.ApplicationID, SessionID: in.SessionID, Name: deref(door.CandidateName), Seat: *door.Seat,
			RoomID: *door.RoomID, RoomName: deref(door.RoomName), CheckedInAt: r.CheckedInAt.UTC(), Via: Via(r.Via), Created: created}
		if !created {
			return nil
		}
		return audit.Record(ctx, tx, audit.Event{Action: "exam.check_in", TargetType: "application", TargetID: out.ApplicationID.String(),
			After: map[string]any{"batch_id": batchID, "session_id": in.SessionID, "via": via, "checked_in_at": now,
				"room_id": out.RoomID, "seat": out.Seat}})
	})
	return out, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Attendance returns a session's attendance: every seat, present when checked in, absent when not and
// the session has ended, expected before that.
func (s *Service) Attendance(ctx context.Context, batchID, sessionID uuid.UUID) (Attendance, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Attendance{}, err
	}
	var out Attendance
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		out, err = s.attendance(ctx, tx, sc.TenantID, batchID, sessionID)
		return err
	})
	return out, err
}

func (s *Service) attendance(ctx context.Context, tx bun.IDB, tenantID, batchID, sessionID uuid.UUID) (Attendance, error) {
	if _, err := getBatch(ctx, tx, tenantID, batchID, false); err != nil {
		return Attendance{}, err
	}
	sess, err := getSessionRow(ctx, tx, tenantID, batchID, sessionID, false)
	if err != nil {
		return Attendance{}, err
	}
	items, err := attendanceRows(ctx, tx, tenantID, sessionID)
	if err != nil {
		return Attendance{}, err
	}
	ended := sess.session().Ended(s.now())
	for i := range items {
		switch {
		case items[i].CheckedInAt != nil:
			items[i].Status = Present
		case ended:
			items[i].Status = Absent
		default:
			items[i].Status = Expected
		}
	}
	return Attendance{SessionID: sessionID, Ended: ended, Items: items}, nil
}

// AbsentMethods lists the methods an application is absent (缺考) from: it was seated in a session of
// the method that has ended and has no check-in for it. It implements batches.Attendance, in the
// caller's transaction.
func (s *Service) AbsentMethods(ctx context.Context, tx bun.IDB, applicationID uuid.UUID) ([]batches.Method, error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, tenants.ErrNoScope
	}
	as, err := absentSeats(ctx, tx, sc.TenantID, nil, &applicationID, s.now())
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0].Methods, nil
}

// Absentees lists a batch's applications absent from some method, with the methods (batches.Attendance).
func (s *Service) Absentees(ctx context.Context, tx bun.IDB, batchID uuid.UUID) (map[uuid.UUID][]batches.Method, error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return nil, tenants.ErrNoScope
	}
	as, err := absentSeats(ctx, tx, sc.TenantID, &batchID, nil, s.now())
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]batches.Method, len(as))
	for _, a := range as {
		out[a.ApplicationID] = a.Methods
	}
	return out, nil
}

// ---- Regulators ----

// oversee runs fn in the regulator's oversight transaction for an institution in its jurisdiction
// (404 for any other, never saying whether it exists).
func (s *Service) oversee(ctx context.Context, institutionID uuid.UUID, fn func(ctx context.Context, tx bun.Tx) error) error {
	sc, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return err
	}
	ids, err := s.deps.Jurisdictions.Jurisdiction(ctx, sc)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, institutionID) {
		return platform.NotFound("institution")
	}
	return tenants.OversightTx(ctx, s.db, []uuid.UUID{institutionID}, fn)
}

// OverseeArrangement is a batch's arrangement for a regulator overseeing the institution (read only).
func (s *Service) OverseeArrangement(ctx context.Context, institutionID, batchID uuid.UUID) (Arrangement, error) {
	var out Arrangement
	err := s.oversee(ctx, institutionID, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = readArrangement(ctx, tx, institutionID, batchID)
		return err
	})
	return out, err
}

// OverseeAttendance is a session's attendance for a regulator overseeing the institution (read only).
func (s *Service) OverseeAttendance(ctx context.Context, institutionID, batchID, sessionID uuid.UUID) (Attendance, error) {
	var out Attendance
	err := s.oversee(ctx, institutionID, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = s.attendance(ctx, tx, institutionID, batchID, sessionID)
		return err
	})
	return out, err
}
