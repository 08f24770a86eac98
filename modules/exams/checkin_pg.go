package exams

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// A check-in on PostgreSQL is one round trip (tenants.WritePG): the tenant scope, the commit setting and
// the statement below are pipelined behind one Sync and run as one implicit transaction under row-level
// security. The statement reads the door (the session of the batch and the person's seat in it, joins
// by primary key), inserts the check-in only when the person has a seat and the window is open
// (ON CONFLICT DO NOTHING: the primary key keeps it idempotent and race-free), appends the audit entry
// in SQL for the row it inserted (audit.AppendFunc: the same chain, hash and row lock as audit.Record),
// and returns the door with the first check-in if one was there before. Go then decides the answer
// from that row exactly as the transaction path (checkInTx) does; only when a concurrent first scan of
// the same person committed while this one ran does it read that check-in in a second round trip.

// checkInDoorByApp and checkInDoorByIDNumber are the door CTE for a ticket (its application, $4) and
// for an id number ($5), as atTheDoor reads it.
const (
	checkInDoorByApp = `SELECT s.starts_at, s.ends_at, st.application_id, a.candidate_name, st.room_id, r.name AS room_name, st.seat
	FROM exam_sessions AS s
	LEFT JOIN exam_seats AS st ON st.tenant_id = s.tenant_id AND st.session_id = s.id AND st.application_id = $4::uuid
	LEFT JOIN applications AS a ON a.tenant_id = st.tenant_id AND a.id = st.application_id
	LEFT JOIN exam_rooms AS r ON r.tenant_id = st.tenant_id AND r.id = st.room_id
	WHERE s.tenant_id = $1 AND s.batch_id = $2 AND s.id = $3 AND $5::text IS NULL
	ORDER BY st.application_id NULLS LAST LIMIT 1`
	checkInDoorByIDNumber = `SELECT s.starts_at, s.ends_at, st.application_id, a.candidate_name, st.room_id, r.name AS room_name, st.seat
	FROM exam_sessions AS s
	LEFT JOIN applications AS a ON a.tenant_id = s.tenant_id AND a.batch_id = s.batch_id AND a.id_number = $5::text
	LEFT JOIN exam_seats AS st ON st.tenant_id = s.tenant_id AND st.session_id = s.id AND st.application_id = a.id
	LEFT JOIN exam_rooms AS r ON r.tenant_id = st.tenant_id AND r.id = st.room_id
	WHERE s.tenant_id = $1 AND s.batch_id = $2 AND s.id = $3 AND $4::uuid IS NULL
	ORDER BY st.application_id NULLS LAST LIMIT 1`
)

// checkInStatement is the statement with a door CTE. Parameters: $1 tenant, $2 batch, $3 session, $4
// application (ticket) or $5 id number, $6 now, $7 now + CheckInOpensBefore, $8 via, $9 operator,
// $10 audit entry id, $11 operator's name, $12 request id, $13 now as the audit entry writes times.
func checkInStatement(door string) string {
	return `WITH door AS (` + door + `),
ins AS (
	INSERT INTO exam_check_ins (tenant_id, batch_id, session_id, application_id, via, checked_in_by, checked_in_at)
	SELECT $1, $2, $3, d.application_id, $8::text, $9::uuid, $6::timestamptz FROM door AS d
	WHERE d.application_id IS NOT NULL AND d.seat IS NOT NULL AND d.starts_at <= $7::timestamptz AND $6::timestamptz < d.ends_at
	ON CONFLICT (tenant_id, session_id, application_id) DO NOTHING
	RETURNING application_id
),
aud AS (
	SELECT ` + audit.AppendFunc + `($1, $10::uuid, $6::timestamptz, $9::uuid, $11::text, 'exam.check_in', 'ok', 'application',
		i.application_id::text, NULL, jsonb_build_object('batch_id', $2::uuid, 'session_id', $3::uuid, 'via', $8::text,
			'checked_in_at', $13::text, 'room_id', d.room_id, 'seat', d.seat), $12::text) AS seq
	FROM ins AS i, door AS d
)
SELECT d.starts_at, d.ends_at, d.application_id, d.candidate_name, d.room_id, d.room_name, d.seat,
	aud.seq IS NOT NULL, c.checked_in_at, c.via
FROM door AS d
LEFT JOIN aud ON true
LEFT JOIN exam_check_ins AS c ON c.tenant_id = $1 AND c.session_id = $3 AND c.application_id = d.application_id`
}

var (
	checkInByAppSQL      = checkInStatement(checkInDoorByApp)
	checkInByIDNumberSQL = checkInStatement(checkInDoorByIDNumber)
)

// checkInSettingsSQL sets two things for the check-in's implicit transaction only: it commits without
// waiting for the WAL flush (see checkInTx), and the statement runs on its generic plan from the first
// use on a connection. Every condition of the statement is an equality on a key, so the generic plan is
// the plan; PostgreSQL's default would plan it afresh for the first five runs of each connection and
// then whenever it judges a custom plan cheaper — planning this five-table statement under row-level
// security costs ten times running it.
const checkInSettingsSQL = "SELECT set_config('synchronous_commit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)"

// existingCheckInSQL reads a check-in that a concurrent first scan committed.
const existingCheckInSQL = `SELECT checked_in_at, via FROM exam_check_ins
	WHERE tenant_id = $1 AND session_id = $2 AND application_id = $3`

// checkInPG is CheckIn's one-round-trip path (PostgreSQL, no open transaction). appID is the ticket's
// application (uuid.Nil for an invalid ticket), nil for a check-in by id number.
func (s *Service) checkInPG(ctx context.Context, tenantID, batchID uuid.UUID, in CheckInInput, appID *uuid.UUID, ticketErr error, via Via) (CheckIn, error) {
	now := s.now()
	entry, err := audit.NewSQLEntry(ctx, now)
	if err != nil {
		return CheckIn{}, err
	}
	stmt := checkInByAppSQL
	var idNumber *string
	if appID == nil {
		stmt = checkInByIDNumberSQL
		idNumber = &in.IDNumber
	}
	var (
		door               doorRow
		found, created     bool
		firstAt            *time.Time
		firstVia           *string
		roomID, appIDFound *uuid.UUID
	)
	err = tenants.WritePG(ctx, s.db,
		tenants.PGQuery{SQL: checkInSettingsSQL},
		tenants.PGQuery{SQL: stmt, Args: []any{tenantID, batchID, in.SessionID, appID, idNumber, now, now.Add(CheckInOpensBefore),
			string(via), entry.ActorID, entry.ID, entry.ActorName, entry.RequestID, now.Format(time.RFC3339Nano)},
			Scan: func(r pgx.Rows) error {
				found = true
				return r.Scan(&door.StartsAt, &door.EndsAt, platform.NullUUIDDest{P: &appIDFound}, &door.CandidateName,
					platform.NullUUIDDest{P: &roomID}, &door.RoomName, &door.Seat, &created, &firstAt, &firstVia)
			}})
	if err != nil {
		return CheckIn{}, err
	}
	if !found {
		return CheckIn{}, ErrSessionNotFound
	}
	door.ApplicationID, door.RoomID = appIDFound, roomID
	if ticketErr != nil {
		return CheckIn{}, ticketErr
	}
	if !(Session{StartsAt: door.StartsAt, EndsAt: door.EndsAt}).CheckInOpen(now) {
		return CheckIn{}, ErrCheckInClosed
	}
	if door.ApplicationID == nil || door.Seat == nil {
		return CheckIn{}, ErrInvalidTicket
	}
	out := CheckIn{ApplicationID: *door.ApplicationID, SessionID: in.SessionID, Name: deref(door.CandidateName), Seat: *door.Seat,
		RoomID: *door.RoomID, RoomName: deref(door.RoomName), CheckedInAt: now, Via: via, Created: created}
	switch {
	case created:
	case firstAt != nil:
		out.CheckedInAt, out.Via = firstAt.UTC(), Via(deref(firstVia))
	default:
		// A concurrent first scan of the same person committed after this statement's snapshot (the
		// insert waited for it, then did nothing): the transaction path reads it back.
		return s.checkInTx(ctx, tenantID, batchID, in, appID, ticketErr, via)
	}
	return out, nil
}
