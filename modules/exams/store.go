package exams

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/platform"
)

// Stores: bun, private row structs, an explicit tenant condition on every query (RLS backs it in
// PostgreSQL; SQLite has none). Exams reads the batches module's batches and applications tables (read
// only, like oversight does) for a batch's state and the applications to seat.

type siteRow struct {
	bun.BaseModel `bun:"table:exam_sites"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID  uuid.UUID  `bun:"tenant_id,type:uuid"`
	Name      string     `bun:"name"`
	Address   string     `bun:"address"`
	CreatedBy *uuid.UUID `bun:"created_by,type:uuid"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`
}

type roomRow struct {
	bun.BaseModel `bun:"table:exam_rooms"`

	ID        uuid.UUID `bun:"id,pk,type:uuid"`
	TenantID  uuid.UUID `bun:"tenant_id,type:uuid"`
	SiteID    uuid.UUID `bun:"site_id,type:uuid"`
	Name      string    `bun:"name"`
	Kind      string    `bun:"kind"`
	Seats     int       `bun:"seats"`
	Position  int       `bun:"position"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func (r *roomRow) room() Room {
	return Room{ID: r.ID, SiteID: r.SiteID, Name: r.Name, Kind: RoomKind(r.Kind), Seats: r.Seats}
}

type sessionRow struct {
	bun.BaseModel `bun:"table:exam_sessions"`

	ID        uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID  uuid.UUID  `bun:"tenant_id,type:uuid"`
	BatchID   uuid.UUID  `bun:"batch_id,type:uuid"`
	Method    string     `bun:"method"`
	StartsAt  time.Time  `bun:"starts_at"`
	EndsAt    time.Time  `bun:"ends_at"`
	CreatedBy *uuid.UUID `bun:"created_by,type:uuid"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`
}

func (r *sessionRow) session() Session {
	return Session{ID: r.ID, TenantID: r.TenantID, BatchID: r.BatchID, Method: batches.Method(r.Method),
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type sessionRoomRow struct {
	bun.BaseModel `bun:"table:exam_session_rooms"`

	TenantID  uuid.UUID `bun:"tenant_id,type:uuid"`
	SessionID uuid.UUID `bun:"session_id,pk,type:uuid"`
	RoomID    uuid.UUID `bun:"room_id,pk,type:uuid"`
	Position  int       `bun:"position"`
	StartsAt  time.Time `bun:"starts_at"`
	EndsAt    time.Time `bun:"ends_at"`
}

type arrangementRow struct {
	bun.BaseModel `bun:"table:exam_arrangements"`

	TenantID   uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID    uuid.UUID  `bun:"batch_id,pk,type:uuid"`
	Mode       string     `bun:"mode"`
	Seed       string     `bun:"seed"`
	Seats      int        `bun:"seats"`
	ArrangedBy *uuid.UUID `bun:"arranged_by,type:uuid"`
	ArrangedAt time.Time  `bun:"arranged_at"`
}

type seatRow struct {
	bun.BaseModel `bun:"table:exam_seats"`

	TenantID      uuid.UUID `bun:"tenant_id,type:uuid"`
	BatchID       uuid.UUID `bun:"batch_id,type:uuid"`
	SessionID     uuid.UUID `bun:"session_id,pk,type:uuid"`
	RoomID        uuid.UUID `bun:"room_id,type:uuid"`
	ApplicationID uuid.UUID `bun:"application_id,pk,type:uuid"`
	Seat          int       `bun:"seat"`
}

type batchCodeRow struct {
	bun.BaseModel `bun:"table:exam_batch_codes"`

	TenantID uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	BatchID  uuid.UUID `bun:"batch_id,pk,type:uuid"`
	Year     int       `bun:"year"`
	Code     int       `bun:"code"`
	NextSeq  int       `bun:"next_seq"`
}

type ticketNumberRow struct {
	bun.BaseModel `bun:"table:exam_ticket_numbers"`

	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ApplicationID uuid.UUID `bun:"application_id,pk,type:uuid"`
	BatchID       uuid.UUID `bun:"batch_id,type:uuid"`
	TicketNumber  string    `bun:"ticket_number"`
	CreatedAt     time.Time `bun:"created_at"`
}

type checkInRow struct {
	bun.BaseModel `bun:"table:exam_check_ins"`

	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	BatchID       uuid.UUID  `bun:"batch_id,type:uuid"`
	SessionID     uuid.UUID  `bun:"session_id,pk,type:uuid"`
	ApplicationID uuid.UUID  `bun:"application_id,pk,type:uuid"`
	Via           string     `bun:"via"`
	CheckedInBy   *uuid.UUID `bun:"checked_in_by,type:uuid"`
	CheckedInAt   time.Time  `bun:"checked_in_at"`
}

// lockRow adds FOR UPDATE in PostgreSQL (SQLite serialises writers anyway and has no row locks).
func lockRow(db bun.IDB, q *bun.SelectQuery, lock bool) *bun.SelectQuery {
	if lock && platform.IsPostgres(db) {
		return q.For("UPDATE")
	}
	return q
}

// isExclusion reports whether err is PostgreSQL's exclusion violation (23P01) of the named constraint.
func isExclusion(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23P01" && pgErr.ConstraintName == constraint
}

// isForeignKey reports whether err is a foreign key violation (PostgreSQL 23503, SQLite 787).
func isForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code() == 787
}

// ---- Sites and rooms ----

func insertSite(ctx context.Context, db bun.IDB, r *siteRow) error {
	_, err := db.NewInsert().Model(r).Exec(ctx)
	return err
}

func insertRooms(ctx context.Context, db bun.IDB, rows []roomRow) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// getSite reads a site of the tenant with its rooms; lock takes the site's row lock.
func getSite(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (Site, error) {
	r := new(siteRow)
	err := lockRow(db, db.NewSelect().Model(r).Where("tenant_id = ? AND id = ?", tenantID, id), lock).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Site{}, ErrSiteNotFound
	}
	if err != nil {
		return Site{}, err
	}
	sites, err := withRooms(ctx, db, tenantID, []siteRow{*r})
	if err != nil {
		return Site{}, err
	}
	return sites[0], nil
}

// listSites reads a page of the tenant's sites by (created_at, id).
func listSites(ctx context.Context, db bun.IDB, tenantID uuid.UUID, after *siteKey, desc bool, limit int) ([]Site, error) {
	var rows []siteRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != nil {
		q = q.Where("(created_at, id) "+op+" (?, ?)", after.CreatedAt, after.ID)
	}
	if err := q.OrderExpr("created_at " + dir + ", id " + dir).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	return withRooms(ctx, db, tenantID, rows)
}

type siteKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

func withRooms(ctx context.Context, db bun.IDB, tenantID uuid.UUID, rows []siteRow) ([]Site, error) {
	out := make([]Site, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	idx := map[uuid.UUID]int{}
	for i, r := range rows {
		ids[i], idx[r.ID] = r.ID, i
		out[i] = Site{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Address: r.Address, Rooms: []Room{},
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	var rooms []roomRow
	if err := db.NewSelect().Model(&rooms).Where("tenant_id = ? AND site_id IN (?)", tenantID, bun.In(ids)).
		OrderExpr("site_id, position").Scan(ctx); err != nil {
		return nil, err
	}
	for i := range rooms {
		s := &out[idx[rooms[i].SiteID]]
		s.Rooms = append(s.Rooms, rooms[i].room())
	}
	return out, nil
}

// roomsInUse lists which of the rooms some session uses.
func roomsInUse(ctx context.Context, db bun.IDB, tenantID uuid.UUID, roomIDs []uuid.UUID) ([]uuid.UUID, error) {
	var used []uuid.UUID
	if len(roomIDs) == 0 {
		return nil, nil
	}
	err := db.NewSelect().TableExpr("exam_session_rooms").ColumnExpr("DISTINCT room_id").
		Where("tenant_id = ? AND room_id IN (?)", tenantID, bun.In(roomIDs)).Scan(ctx, &used)
	return used, err
}

// ---- Sessions ----

// roomsByID reads rooms of the tenant with their sites; missing ones are simply absent from the map.
func roomsByID(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]SessionRoom, error) {
	out := map[uuid.UUID]SessionRoom{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		roomRow
		SiteName    string `bun:"site_name"`
		SiteAddress string `bun:"site_address"`
	}
	err := db.NewSelect().TableExpr("exam_rooms AS r").
		ColumnExpr("r.id, r.tenant_id, r.site_id, r.name, r.kind, r.seats, r.position, s.name AS site_name, s.address AS site_address").
		Join("JOIN exam_sites AS s ON s.tenant_id = r.tenant_id AND s.id = r.site_id").
		Where("r.tenant_id = ? AND r.id IN (?)", tenantID, bun.In(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].ID] = SessionRoom{Room: rows[i].room(), SiteName: rows[i].SiteName, SiteAddress: rows[i].SiteAddress}
	}
	return out, nil
}

func insertSession(ctx context.Context, db bun.IDB, r *sessionRow, rooms []uuid.UUID) error {
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		return sessionErr(err)
	}
	return insertSessionRooms(ctx, db, r, rooms)
}

func insertSessionRooms(ctx context.Context, db bun.IDB, r *sessionRow, rooms []uuid.UUID) error {
	rows := make([]sessionRoomRow, len(rooms))
	for i, id := range rooms {
		rows[i] = sessionRoomRow{TenantID: r.TenantID, SessionID: r.ID, RoomID: id, Position: i, StartsAt: r.StartsAt, EndsAt: r.EndsAt}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return sessionErr(err)
}

// sessionErr turns the exclusion constraints' violations into the API's conflicts.
func sessionErr(err error) error {
	switch {
	case err == nil:
		return nil
	case isExclusion(err, "exam_sessions_no_overlap"):
		return ErrSessionOverlap
	case isExclusion(err, "exam_session_rooms_room_busy"):
		return ErrRoomBusy
	}
	return err
}

// overlapsSQL is the [starts_at, ends_at) overlap of a row with (?, ?).
const overlapsSQL = "starts_at < ? AND ends_at > ?"

// methodOverlap reports whether the batch has another session of method overlapping [from, to). The
// exclusion constraint decides in PostgreSQL; this gives SQLite (and a clear answer first) the same.
func methodOverlap(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, method batches.Method, from, to time.Time, except uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*sessionRow)(nil)).
		Where("tenant_id = ? AND batch_id = ? AND method = ? AND id <> ?", tenantID, batchID, string(method), except).
		Where(overlapsSQL, to, from).Exists(ctx)
}

// roomBusy reports whether one of the rooms is in another session of the tenant overlapping [from, to).
func roomBusy(ctx context.Context, db bun.IDB, tenantID uuid.UUID, rooms []uuid.UUID, from, to time.Time, except uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*sessionRoomRow)(nil)).
		Where("tenant_id = ? AND room_id IN (?) AND session_id <> ?", tenantID, bun.In(rooms), except).
		Where(overlapsSQL, to, from).Exists(ctx)
}

func getSessionRow(ctx context.Context, db bun.IDB, tenantID, batchID, id uuid.UUID, lock bool) (*sessionRow, error) {
	r := new(sessionRow)
	err := lockRow(db, db.NewSelect().Model(r).Where("tenant_id = ? AND batch_id = ? AND id = ?", tenantID, batchID, id), lock).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrSessionNotFound
	}
	return r, err
}

// sessionsOf reads sessions of the tenant (of a batch, or by ids) with their rooms in order, by
// (starts_at, method, id).
func sessionsOf(ctx context.Context, db bun.IDB, tenantID uuid.UUID, batchID *uuid.UUID, ids []uuid.UUID) ([]Session, error) {
	var rows []sessionRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	if batchID != nil {
		q = q.Where("batch_id = ?", *batchID)
	}
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q = q.Where("id IN (?)", bun.In(ids))
	}
	if err := q.OrderExpr("starts_at, method, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Session, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	sids := make([]uuid.UUID, len(rows))
	idx := map[uuid.UUID]int{}
	for i := range rows {
		out[i] = rows[i].session()
		out[i].Rooms = []SessionRoom{}
		sids[i], idx[rows[i].ID] = rows[i].ID, i
	}
	var links []sessionRoomRow
	if err := db.NewSelect().Model(&links).Where("tenant_id = ? AND session_id IN (?)", tenantID, bun.In(sids)).
		OrderExpr("session_id, position").Scan(ctx); err != nil {
		return nil, err
	}
	roomIDs := make([]uuid.UUID, 0, len(links))
	for _, l := range links {
		roomIDs = append(roomIDs, l.RoomID)
	}
	rooms, err := roomsByID(ctx, db, tenantID, roomIDs)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		s := &out[idx[l.SessionID]]
		s.Rooms = append(s.Rooms, rooms[l.RoomID])
	}
	return out, nil
}

func getSession(ctx context.Context, db bun.IDB, tenantID, batchID, id uuid.UUID) (Session, error) {
	ss, err := sessionsOf(ctx, db, tenantID, &batchID, []uuid.UUID{id})
	if err != nil {
		return Session{}, err
	}
	if len(ss) == 0 {
		return Session{}, ErrSessionNotFound
	}
	return ss[0], nil
}

// deleteSessionRooms removes a session's rooms (and, in SQLite, what PostgreSQL cascades).
func deleteSessionRooms(ctx context.Context, db bun.IDB, tenantID, sessionID uuid.UUID) error {
	_, err := db.NewDelete().Model((*sessionRoomRow)(nil)).Where("tenant_id = ? AND session_id = ?", tenantID, sessionID).Exec(ctx)
	return err
}

// ---- The batch (read from the batches module's tables) ----

// batchInfo is what exams needs of a batch.
type batchInfo struct {
	ID        uuid.UUID        `bun:"id,type:uuid"`
	TenantID  uuid.UUID        `bun:"tenant_id,type:uuid"`
	Title     string           `bun:"title"`
	Status    string           `bun:"status"`
	Methods   []batches.Method `bun:"methods,type:jsonb"`
	ExamStart time.Time        `bun:"exam_start"`
}

func (b batchInfo) hasMethod(m batches.Method) bool { return slices.Contains(b.Methods, m) }

// getBatch reads a batch of the tenant; lock takes its row lock (in PostgreSQL FOR SHARE would do for
// readers, but every exams writer of a batch serialises on it, like the batches module's own writers).
func getBatch(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, lock bool) (batchInfo, error) {
	var b batchInfo
	err := lockRow(db, db.NewSelect().TableExpr("batches").ColumnExpr("id, tenant_id, title, status, methods, exam_start").
		Where("tenant_id = ? AND id = ?", tenantID, id), lock).Scan(ctx, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrBatchNotFound
	}
	b.ExamStart = b.ExamStart.UTC()
	return b, err
}

// applicant is an admitted application as an arrangement sees it, in application order.
type applicant struct {
	ID           uuid.UUID `bun:"id,type:uuid"`
	CreatedAt    time.Time `bun:"created_at"`
	TheoryExempt bool      `bun:"theory_exempt"`
}

// admittedApplications reads the batch's eligible and approved applications by (created_at, id).
func admittedApplications(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]applicant, error) {
	var out []applicant
	err := db.NewSelect().TableExpr("applications").ColumnExpr("id, created_at, theory_exempt").
		Where("tenant_id = ? AND batch_id = ? AND status IN (?)", tenantID, batchID,
			bun.In([]string{string(batches.AppEligible), string(batches.AppApproved)})).
		OrderExpr("created_at, id").Scan(ctx, &out)
	return out, err
}

// ---- Arrangement, ticket numbers, tickets ----

// HasTickets reports whether the batch has admission tickets (any status): its arrangement and
// sessions are frozen while it does.
func HasTickets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (bool, error) {
	return db.NewSelect().TableExpr("exam_tickets").Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Exists(ctx)
}

func deleteTickets(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (int64, error) {
	res, err := db.NewDelete().TableExpr("exam_tickets").Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func deleteSeats(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) error {
	_, err := db.NewDelete().Model((*seatRow)(nil)).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Exec(ctx)
	return err
}

// deleteArrangement forgets a batch's arrangement (its seats and how they were drawn); ticket numbers
// stay with their applications.
func deleteArrangement(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) error {
	if err := deleteSeats(ctx, db, tenantID, batchID); err != nil {
		return err
	}
	_, err := db.NewDelete().Model((*arrangementRow)(nil)).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Exec(ctx)
	return err
}

func upsertArrangement(ctx context.Context, db bun.IDB, r *arrangementRow) error {
	_, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id, batch_id) DO UPDATE").
		Set("mode = EXCLUDED.mode, seed = EXCLUDED.seed, seats = EXCLUDED.seats, arranged_by = EXCLUDED.arranged_by, arranged_at = EXCLUDED.arranged_at").
		Exec(ctx)
	return err
}

// insertSeats writes seats with multi-row inserts (the PostgreSQL path COPYs instead, service.go).
func insertSeats(ctx context.Context, db bun.IDB, rows []seatRow) error {
	return platform.InsertInChunks(ctx, db, rows, 2000)
}

// ticketNumbers reads the ticket numbers of a batch's applications.
func ticketNumbers(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (map[uuid.UUID]string, error) {
	var rows []ticketNumberRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		out[r.ApplicationID] = r.TicketNumber
	}
	return out, nil
}

// batchCode returns the batch's code row, allocating the next free code of the tenant in year on first
// use. PostgreSQL serialises allocations per tenant with a transaction advisory lock.
func batchCode(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID, year int) (*batchCodeRow, error) {
	r := new(batchCodeRow)
	err := lockRow(db, db.NewSelect().Model(r).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID), true).Scan(ctx)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if platform.IsPostgres(db) {
		if _, err := db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "exams/batch-code/"+tenantID.String()); err != nil {
			return nil, err
		}
	}
	var maxCode sql.NullInt64
	if err := db.NewSelect().Model((*batchCodeRow)(nil)).ColumnExpr("max(code)").
		Where("tenant_id = ? AND year = ?", tenantID, year).Scan(ctx, &maxCode); err != nil {
		return nil, err
	}
	code := int(maxCode.Int64) + 1
	if code > 9999 {
		return nil, platform.Unprocessable("batch_codes_exhausted", "the institution arranged 9,999 batches this year")
	}
	r = &batchCodeRow{TenantID: tenantID, BatchID: batchID, Year: year, Code: code, NextSeq: 1}
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func saveBatchCode(ctx context.Context, db bun.IDB, r *batchCodeRow) error {
	_, err := db.NewUpdate().Model(r).Column("next_seq").WherePK().Exec(ctx)
	return err
}

func insertTicketNumbers(ctx context.Context, db bun.IDB, rows []ticketNumberRow) error {
	return platform.InsertInChunks(ctx, db, rows, 2000)
}

func getArrangementRow(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) (*arrangementRow, error) {
	r := new(arrangementRow)
	err := db.NewSelect().Model(r).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoArrangement
	}
	return r, err
}

// seatsOfBatch reads a batch's seats with ticket numbers, by session start, room order and seat.
func seatsOfBatch(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]Seat, error) {
	var rows []struct {
		ApplicationID uuid.UUID `bun:"application_id,type:uuid"`
		SessionID     uuid.UUID `bun:"session_id,type:uuid"`
		RoomID        uuid.UUID `bun:"room_id,type:uuid"`
		Seat          int       `bun:"seat"`
		TicketNumber  string    `bun:"ticket_number"`
	}
	err := db.NewSelect().TableExpr("exam_seats AS st").
		ColumnExpr("st.application_id, st.session_id, st.room_id, st.seat, coalesce(tn.ticket_number, '') AS ticket_number").
		Join("JOIN exam_sessions AS s ON s.tenant_id = st.tenant_id AND s.id = st.session_id").
		Join("JOIN exam_session_rooms AS sr ON sr.tenant_id = st.tenant_id AND sr.session_id = st.session_id AND sr.room_id = st.room_id").
		Join("LEFT JOIN exam_ticket_numbers AS tn ON tn.tenant_id = st.tenant_id AND tn.application_id = st.application_id").
		Where("st.tenant_id = ? AND st.batch_id = ?", tenantID, batchID).
		OrderExpr("s.starts_at, s.method, s.id, sr.position, st.seat").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]Seat, len(rows))
	for i, r := range rows {
		out[i] = Seat{ApplicationID: r.ApplicationID, SessionID: r.SessionID, RoomID: r.RoomID, Seat: r.Seat, TicketNumber: r.TicketNumber}
	}
	return out, nil
}

// seatDetailQuery selects SeatDetail rows: seats joined with their session, room, site, application and
// ticket number.
func seatDetailQuery(db bun.IDB, tenantID uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().TableExpr("exam_seats AS st").
		ColumnExpr("st.batch_id, st.application_id, a.candidate_id, a.candidate_name, a.id_type, a.id_number").
		ColumnExpr("coalesce(tn.ticket_number, '') AS ticket_number, st.session_id, s.method, s.starts_at, s.ends_at").
		ColumnExpr("site.id AS site_id, site.name AS site_name, site.address AS site_address").
		ColumnExpr("r.id AS room_id, r.name AS room_name, r.kind AS room_kind, st.seat").
		Join("JOIN exam_sessions AS s ON s.tenant_id = st.tenant_id AND s.id = st.session_id").
		Join("JOIN exam_session_rooms AS sr ON sr.tenant_id = st.tenant_id AND sr.session_id = st.session_id AND sr.room_id = st.room_id").
		Join("JOIN exam_rooms AS r ON r.tenant_id = st.tenant_id AND r.id = st.room_id").
		Join("JOIN exam_sites AS site ON site.tenant_id = r.tenant_id AND site.id = r.site_id").
		Join("JOIN applications AS a ON a.tenant_id = st.tenant_id AND a.id = st.application_id").
		Join("LEFT JOIN exam_ticket_numbers AS tn ON tn.tenant_id = st.tenant_id AND tn.application_id = st.application_id").
		Where("st.tenant_id = ?", tenantID)
}

type seatDetailRow struct {
	BatchID       uuid.UUID `bun:"batch_id,type:uuid"`
	ApplicationID uuid.UUID `bun:"application_id,type:uuid"`
	CandidateID   uuid.UUID `bun:"candidate_id,type:uuid"`
	CandidateName string    `bun:"candidate_name"`
	IDType        string    `bun:"id_type"`
	IDNumber      string    `bun:"id_number"`
	TicketNumber  string    `bun:"ticket_number"`
	SessionID     uuid.UUID `bun:"session_id,type:uuid"`
	Method        string    `bun:"method"`
	StartsAt      time.Time `bun:"starts_at"`
	EndsAt        time.Time `bun:"ends_at"`
	SiteID        uuid.UUID `bun:"site_id,type:uuid"`
	SiteName      string    `bun:"site_name"`
	SiteAddress   string    `bun:"site_address"`
	RoomID        uuid.UUID `bun:"room_id,type:uuid"`
	RoomName      string    `bun:"room_name"`
	RoomKind      string    `bun:"room_kind"`
	Seat          int       `bun:"seat"`
}

func (r seatDetailRow) detail() SeatDetail {
	return SeatDetail{BatchID: r.BatchID, ApplicationID: r.ApplicationID, CandidateID: r.CandidateID,
		CandidateName: r.CandidateName, IDType: r.IDType, IDNumber: r.IDNumber, TicketNumber: r.TicketNumber,
		SessionID: r.SessionID, Method: batches.Method(r.Method), StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		SiteID: r.SiteID, SiteName: r.SiteName, SiteAddress: r.SiteAddress, RoomID: r.RoomID, RoomName: r.RoomName,
		RoomKind: RoomKind(r.RoomKind), Seat: r.Seat}
}

func scanDetails(ctx context.Context, q *bun.SelectQuery) ([]SeatDetail, error) {
	var rows []seatDetailRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]SeatDetail, len(rows))
	for i, r := range rows {
		out[i] = r.detail()
	}
	return out, nil
}

// ApplicationSeats reads an application's seats with session times, site (name, address), room and
// seat, and the candidate's identity, by session start: what an admission ticket prints. Call it in a
// transaction of the tenant (tenants.WithTx / ReadTx). An application without seats has none (an
// empty slice, no error).
func ApplicationSeats(ctx context.Context, db bun.IDB, tenantID, applicationID uuid.UUID) ([]SeatDetail, error) {
	return scanDetails(ctx, seatDetailQuery(db, tenantID).Where("st.application_id = ?", applicationID).
		OrderExpr("s.starts_at, s.method, s.id"))
}

// BatchSeats reads every seat of a batch as ApplicationSeats does, by session start, room order and
// seat: what sign-in sheets (one page per session and room) and the archive's arrangement print.
func BatchSeats(ctx context.Context, db bun.IDB, tenantID, batchID uuid.UUID) ([]SeatDetail, error) {
	return scanDetails(ctx, seatDetailQuery(db, tenantID).Where("st.batch_id = ?", batchID).
		OrderExpr("s.starts_at, s.method, s.id, sr.position, st.seat"))
}

// ---- Check-ins and attendance ----

// doorRow is what a check-in reads in one round trip: the session's interval and, when the person has
// a seat in it, the seat with the name and ticket number to show.
type doorRow struct {
	StartsAt      time.Time  `bun:"starts_at"`
	EndsAt        time.Time  `bun:"ends_at"`
	ApplicationID *uuid.UUID `bun:"application_id,type:uuid"`
	CandidateName *string    `bun:"candidate_name"`
	RoomID        *uuid.UUID `bun:"room_id,type:uuid"`
	RoomName      *string    `bun:"room_name"`
	Seat          *int       `bun:"seat"`
}

// atTheDoor reads a session of the batch and the seat in it of the application (by id, or by the
// candidate's id number), every join by primary key, in one statement. ErrSessionNotFound when the
// session is not the batch's; a row without ApplicationID when the person has no seat in it.
func atTheDoor(ctx context.Context, db bun.IDB, tenantID, batchID, sessionID uuid.UUID, applicationID *uuid.UUID, idNumber string) (doorRow, error) {
	q := db.NewSelect().TableExpr("exam_sessions AS s").
		ColumnExpr("s.starts_at, s.ends_at, st.application_id, a.candidate_name, st.room_id, r.name AS room_name, st.seat")
	if applicationID != nil {
		q = q.Join("LEFT JOIN exam_seats AS st ON st.tenant_id = s.tenant_id AND st.session_id = s.id AND st.application_id = ?", *applicationID).
			Join("LEFT JOIN applications AS a ON a.tenant_id = st.tenant_id AND a.id = st.application_id")
	} else {
		q = q.Join("LEFT JOIN applications AS a ON a.tenant_id = s.tenant_id AND a.batch_id = s.batch_id AND a.id_number = ?", idNumber).
			Join("LEFT JOIN exam_seats AS st ON st.tenant_id = s.tenant_id AND st.session_id = s.id AND st.application_id = a.id")
	}
	q = q.Join("LEFT JOIN exam_rooms AS r ON r.tenant_id = st.tenant_id AND r.id = st.room_id").
		Where("s.tenant_id = ? AND s.batch_id = ? AND s.id = ?", tenantID, batchID, sessionID).
		OrderExpr("st.application_id NULLS LAST").Limit(1)
	var rows []doorRow
	if err := q.Scan(ctx, &rows); err != nil {
		return doorRow{}, err
	}
	if len(rows) == 0 {
		return doorRow{}, ErrSessionNotFound
	}
	r := rows[0]
	r.StartsAt, r.EndsAt = r.StartsAt.UTC(), r.EndsAt.UTC()
	return r, nil
}

// insertCheckIn records a check-in unless one exists (the primary key decides, race-free), and reports
// whether this one was recorded.
func insertCheckIn(ctx context.Context, db bun.IDB, r *checkInRow) (bool, error) {
	res, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id, session_id, application_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func getCheckIn(ctx context.Context, db bun.IDB, tenantID, sessionID, applicationID uuid.UUID) (*checkInRow, error) {
	r := new(checkInRow)
	err := db.NewSelect().Model(r).Where("tenant_id = ? AND session_id = ? AND application_id = ?", tenantID, sessionID, applicationID).Scan(ctx)
	return r, err
}

func hasCheckIns(ctx context.Context, db bun.IDB, tenantID, sessionID uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*checkInRow)(nil)).Where("tenant_id = ? AND session_id = ?", tenantID, sessionID).Exists(ctx)
}

// attendanceRows reads a session's seats with names and check-in times, by room order and seat.
func attendanceRows(ctx context.Context, db bun.IDB, tenantID, sessionID uuid.UUID) ([]AttendanceItem, error) {
	var rows []struct {
		ApplicationID uuid.UUID  `bun:"application_id,type:uuid"`
		Name          string     `bun:"candidate_name"`
		Seat          int        `bun:"seat"`
		RoomID        uuid.UUID  `bun:"room_id,type:uuid"`
		CheckedInAt   *time.Time `bun:"checked_in_at"`
	}
	err := db.NewSelect().TableExpr("exam_seats AS st").
		ColumnExpr("st.application_id, a.candidate_name, st.seat, st.room_id, c.checked_in_at").
		Join("JOIN exam_session_rooms AS sr ON sr.tenant_id = st.tenant_id AND sr.session_id = st.session_id AND sr.room_id = st.room_id").
		Join("JOIN applications AS a ON a.tenant_id = st.tenant_id AND a.id = st.application_id").
		Join("LEFT JOIN exam_check_ins AS c ON c.tenant_id = st.tenant_id AND c.session_id = st.session_id AND c.application_id = st.application_id").
		Where("st.tenant_id = ? AND st.session_id = ?", tenantID, sessionID).
		OrderExpr("sr.position, st.seat").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]AttendanceItem, len(rows))
	for i, r := range rows {
		out[i] = AttendanceItem{ApplicationID: r.ApplicationID, Name: r.Name, Seat: r.Seat, RoomID: r.RoomID}
		if r.CheckedInAt != nil {
			t := r.CheckedInAt.UTC()
			out[i].CheckedInAt = &t
		}
	}
	return out, nil
}

// absentSeats reads the (application, method) pairs of seats in sessions ended by now that have no
// check-in: of one application, or of a whole batch.
func absentSeats(ctx context.Context, db bun.IDB, tenantID uuid.UUID, batchID, applicationID *uuid.UUID, now time.Time) ([]Absentee, error) {
	var rows []struct {
		ApplicationID uuid.UUID `bun:"application_id,type:uuid"`
		Method        string    `bun:"method"`
	}
	q := db.NewSelect().TableExpr("exam_seats AS st").ColumnExpr("DISTINCT st.application_id, s.method").
		Join("JOIN exam_sessions AS s ON s.tenant_id = st.tenant_id AND s.id = st.session_id").
		Where("st.tenant_id = ? AND s.ends_at <= ?", tenantID, now).
		Where("NOT EXISTS (SELECT 1 FROM exam_check_ins AS c WHERE c.tenant_id = st.tenant_id AND c.session_id = st.session_id AND c.application_id = st.application_id)")
	if batchID != nil {
		q = q.Where("st.batch_id = ?", *batchID)
	}
	if applicationID != nil {
		q = q.Where("st.application_id = ?", *applicationID)
	}
	if err := q.OrderExpr("st.application_id, s.method").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	var out []Absentee
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1].ApplicationID == r.ApplicationID {
			out[n-1].Methods = append(out[n-1].Methods, batches.Method(r.Method))
			continue
		}
		out = append(out, Absentee{ApplicationID: r.ApplicationID, Methods: []batches.Method{batches.Method(r.Method)}})
	}
	return out, nil
}
