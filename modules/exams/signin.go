package exams

import (
	"context"
	"io"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/exams/ticketpdf"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// ErrNoSessions is the answer for sign-in sheets of a batch without sessions.
var ErrNoSessions = platform.Conflict("no_sessions", "the batch has no sessions with rooms; add sessions first")

// WriteSignInSheets writes the batch's sign-in sheets (签到表) as one PDF to w: a sheet per (session,
// room), in session order and the session's room order, at least one page each — a room nobody is
// seated in gets its empty page — with every seat's number, photo, name, masked ID number (the one
// mask rule, candidates.MaskIDNumber), ticket number and a column to sign. 404 for an unknown batch,
// 409 no_sessions without sessions.
func (d *Documents) WriteSignInSheets(ctx context.Context, batchID uuid.UUID, w io.Writer) error {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	rend, err := d.renderer()
	if err != nil {
		return err
	}
	var sheets []ticketpdf.Sheet
	err = tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		sheets, err = d.signInSheets(ctx, tx, scope.TenantID, batchID)
		return err
	})
	if err != nil {
		return err
	}
	return rend.SignInSheets(w, sheets)
}

// signInSheets reads what the sign-in sheets of a batch print.
func (d *Documents) signInSheets(ctx context.Context, tx bun.IDB, tenantID, batchID uuid.UUID) ([]ticketpdf.Sheet, error) {
	b, err := ticketBatchOf(ctx, tx, tenantID, batchID)
	if err != nil {
		return nil, err
	}
	sessions, err := sessionsOf(ctx, tx, tenantID, &batchID, nil)
	if err != nil {
		return nil, err
	}
	seats, err := BatchSeats(ctx, tx, tenantID, batchID)
	if err != nil {
		return nil, err
	}
	type key struct{ session, room uuid.UUID }
	at := map[key]int{}
	var sheets []ticketpdf.Sheet
	for _, s := range sessions {
		for _, r := range s.Rooms {
			at[key{s.ID, r.ID}] = len(sheets)
			sheets = append(sheets, ticketpdf.Sheet{Institution: b.Institution, Batch: b.Title, Method: string(s.Method),
				StartsAt: s.StartsAt, EndsAt: s.EndsAt, Site: r.SiteName, Address: r.SiteAddress, Room: r.Name})
		}
	}
	if len(sheets) == 0 {
		return nil, ErrNoSessions
	}
	photos := map[uuid.UUID][]byte{}
	for _, st := range seats {
		i, ok := at[key{st.SessionID, st.RoomID}]
		if !ok {
			continue
		}
		photo, seen := photos[st.CandidateID]
		if !seen && d.cfg.Photos != nil {
			p, err := d.cfg.Photos.PhotoTx(ctx, tx, st.CandidateID)
			switch {
			case err == nil:
				photo = p.Data
			case platform.KindOf(err) != platform.KindNotFound:
				return nil, err
			}
			photos[st.CandidateID] = photo
		}
		sheets[i].Rows = append(sheets[i].Rows, ticketpdf.SheetRow{Seat: st.Seat, Name: st.CandidateName,
			MaskedID: maskedID(st.IDNumber), TicketNumber: st.TicketNumber, Photo: photo})
	}
	return sheets, nil
}
