package exams

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/exams/archive"
	"github.com/skillcert/skillcert/modules/exams/ticketpdf"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// ErrNotFinalized is the answer for the archive of a batch that is not finalized.
var ErrNotFinalized = platform.Conflict("invalid_state", "only a finalized batch has an archive")

// ArchiveFiles are the files of a batch archive, in the order they are written (manifest.json and
// manifest.json.jws follow them).
var ArchiveFiles = []string{"announcement.json", "candidates.csv", "arrangement.csv", "attendance.csv",
	"sign-in-sheets.pdf", "scores.csv", "publicity.json", "objections.json", "certificates.csv"}

// archiveData is everything an archive holds, read in one transaction.
type archiveData struct {
	batch        archiveBatch
	apps         []archiveApp
	seats        []SeatDetail
	arrangement  *arrangementRow
	checkIns     map[[2]uuid.UUID]checkInRow // by session, application
	sessionEnds  map[uuid.UUID]time.Time
	sheets       []ticketpdf.Sheet
	objections   []archiveObjection
	certificates []archiveCertificate
}

type archiveBatch struct {
	ID                  uuid.UUID       `bun:"id,type:uuid" json:"id"`
	Title               string          `bun:"title" json:"title"`
	OccupationCode      string          `bun:"occupation_code" json:"occupation_code"`
	OccupationName      string          `bun:"occupation_name" json:"occupation_name"`
	Subtype             string          `bun:"subtype" json:"subtype"`
	Level               int             `bun:"level" json:"level"`
	Methods             json.RawMessage `bun:"methods,type:jsonb" json:"methods"`
	PassMarks           json.RawMessage `bun:"pass_marks,type:jsonb" json:"pass_marks"`
	ExamStart           time.Time       `bun:"exam_start" json:"exam_start"`
	ExamEnd             *time.Time      `bun:"exam_end" json:"exam_end"`
	ApplicationDeadline time.Time       `bun:"application_deadline" json:"application_deadline"`
	Venue               string          `bun:"venue" json:"venue"`
	FeeFen              int64           `bun:"fee_fen" json:"fee_fen"`
	Capacity            int             `bun:"capacity" json:"capacity"`
	PublicityDays       int             `bun:"publicity_days" json:"publicity_days"`
	Status              string          `bun:"status" json:"status"`
	PublishedAt         *time.Time      `bun:"published_at" json:"published_at"`
	ClosedAt            *time.Time      `bun:"closed_at" json:"closed_at"`
	ResultsPublishedAt  *time.Time      `bun:"results_published_at" json:"results_published_at"`
	PublicityEndsAt     *time.Time      `bun:"publicity_ends_at" json:"publicity_ends_at"`
	FinalizedAt         *time.Time      `bun:"finalized_at" json:"finalized_at"`
	ArchivedAt          *time.Time      `bun:"archived_at" json:"-"`
	Institution         string          `bun:"institution" json:"institution"`
}

type archiveApp struct {
	ID              uuid.UUID          `bun:"id,type:uuid"`
	CandidateID     uuid.UUID          `bun:"candidate_id,type:uuid"`
	Name            string             `bun:"candidate_name"`
	IDType          string             `bun:"id_type"`
	IDNumber        string             `bun:"id_number"`
	Status          string             `bun:"status"`
	EligibilityRule string             `bun:"eligibility_rule"`
	TheoryExempt    bool               `bun:"theory_exempt"`
	Scores          map[string]float64 `bun:"scores,type:jsonb"`
	Result          string             `bun:"result"`
	Held            bool               `bun:"held"`
	CreatedAt       time.Time          `bun:"created_at"`
	TicketNumber    string             `bun:"ticket_number"`
}

type archiveObjection struct {
	ID            uuid.UUID  `bun:"id,type:uuid" json:"id"`
	ApplicationID uuid.UUID  `bun:"application_id,type:uuid" json:"application_id"`
	Reason        string     `bun:"reason" json:"reason"`
	Status        string     `bun:"status" json:"status"`
	Note          string     `bun:"note" json:"note"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	ResolvedAt    *time.Time `bun:"resolved_at" json:"resolved_at"`
}

type archiveCertificate struct {
	Number        *string    `bun:"number"`
	Status        string     `bun:"status"`
	ApplicationID uuid.UUID  `bun:"application_id,type:uuid"`
	HolderName    string     `bun:"holder_name"`
	IDType        string     `bun:"id_type"`
	IDNumber      string     `bun:"id_number"`
	Level         int        `bun:"level"`
	IssuedOn      *time.Time `bun:"issued_on"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokeReason  string     `bun:"revoke_reason"`
}

// WriteArchive writes the archive (考务档案) of a finalized batch to w as a ZIP: the files of
// ArchiveFiles and the manifest signed with the institution's key (package archive). The first archive
// marks the batch archived: from then on every writer of the batch refuses it (409 archived), so every
// later archive holds the same records. 409 invalid_state unless the batch is finalized; audited as
// batch.archive when it is first made.
func (d *Documents) WriteArchive(ctx context.Context, batchID uuid.UUID, w io.Writer) (archive.Manifest, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return archive.Manifest{}, err
	}
	if d.cfg.Signer == nil {
		return archive.Manifest{}, platform.E(platform.KindUnavailable, "unavailable", "archive signing is not configured")
	}
	if err := d.markArchived(ctx, scope.TenantID, batchID); err != nil {
		return archive.Manifest{}, err
	}
	rend, err := d.renderer()
	if err != nil {
		return archive.Manifest{}, err
	}
	var data archiveData
	err = tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		data, err = d.readArchive(ctx, tx, scope.TenantID, batchID)
		return err
	})
	if err != nil {
		return archive.Manifest{}, err
	}
	aw := archive.NewWriter(w, batchID, d.clock())
	now := d.clock()
	writers := map[string]func(io.Writer) error{
		"announcement.json":  func(w io.Writer) error { return writeJSON(w, data.batch) },
		"candidates.csv":     data.candidatesCSV,
		"arrangement.csv":    data.arrangementCSV,
		"attendance.csv":     func(w io.Writer) error { return data.attendanceCSV(w, now) },
		"sign-in-sheets.pdf": func(w io.Writer) error { return rend.SignInSheets(w, data.sheets) },
		"scores.csv":         data.scoresCSV,
		"publicity.json":     data.publicityJSON,
		"objections.json":    func(w io.Writer) error { return writeJSON(w, data.objections) },
		"certificates.csv":   data.certificatesCSV,
	}
	for _, name := range ArchiveFiles {
		if err := aw.Add(name, writers[name]); err != nil {
			return archive.Manifest{}, err
		}
	}
	return aw.Close(ctx, d.cfg.Signer)
}

// markArchived checks that the batch is finalized and marks it archived the first time (audited).
func (d *Documents) markArchived(ctx context.Context, tenantID, batchID uuid.UUID) error {
	return tenants.WithTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getBatch(ctx, tx, tenantID, batchID, true); err != nil {
			return err
		}
		b, err := ticketBatchOf(ctx, tx, tenantID, batchID)
		if err != nil {
			return err
		}
		if b.Status != string(batches.StatusFinalized) {
			return ErrNotFinalized
		}
		if b.ArchivedAt != nil {
			return nil
		}
		now := d.clock()
		if _, err := tx.NewUpdate().Table("batches").Set("archived_at = ?", now).
			Where("tenant_id = ? AND id = ? AND archived_at IS NULL", tenantID, batchID).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "batch.archive", TargetType: "batch", TargetID: batchID.String(),
			After: map[string]any{"archived_at": now}})
	})
}

func (d *Documents) readArchive(ctx context.Context, tx bun.IDB, tenantID, batchID uuid.UUID) (archiveData, error) {
	var a archiveData
	err := tx.NewSelect().TableExpr("batches AS b").ColumnExpr("b.id, b.title, b.occupation_code, b.occupation_name, b.subtype, b.level, b.methods, b.pass_marks").
		ColumnExpr("b.exam_start, b.exam_end, b.application_deadline, b.venue, b.fee_fen, b.capacity, b.publicity_days, b.status").
		ColumnExpr("b.published_at, b.closed_at, b.results_published_at, b.publicity_ends_at, b.finalized_at, b.archived_at").
		ColumnExpr("t.name AS institution").
		Join("JOIN tenants AS t ON t.id = b.tenant_id").Where("b.tenant_id = ? AND b.id = ?", tenantID, batchID).
		Scan(ctx, &a.batch)
	if err != nil {
		return a, err
	}
	if err := tx.NewSelect().TableExpr("applications AS a").
		ColumnExpr("a.id, a.candidate_id, a.candidate_name, a.id_type, a.id_number, a.status, a.eligibility_rule").
		ColumnExpr("a.theory_exempt, a.scores, a.result, a.held, a.created_at, coalesce(tn.ticket_number, '') AS ticket_number").
		Join("LEFT JOIN exam_ticket_numbers AS tn ON tn.tenant_id = a.tenant_id AND tn.application_id = a.id").
		Where("a.tenant_id = ? AND a.batch_id = ?", tenantID, batchID).OrderExpr("a.created_at, a.id").Scan(ctx, &a.apps); err != nil {
		return a, err
	}
	if a.seats, err = BatchSeats(ctx, tx, tenantID, batchID); err != nil {
		return a, err
	}
	if r, err := getArrangementRow(ctx, tx, tenantID, batchID); err == nil {
		a.arrangement = r
	} else if platform.KindOf(err) != platform.KindNotFound {
		return a, err
	}
	var checks []checkInRow
	if err := tx.NewSelect().Model(&checks).Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).Scan(ctx); err != nil {
		return a, err
	}
	a.checkIns = map[[2]uuid.UUID]checkInRow{}
	for _, c := range checks {
		a.checkIns[[2]uuid.UUID{c.SessionID, c.ApplicationID}] = c
	}
	sessions, err := sessionsOf(ctx, tx, tenantID, &batchID, nil)
	if err != nil {
		return a, err
	}
	a.sessionEnds = map[uuid.UUID]time.Time{}
	for _, s := range sessions {
		a.sessionEnds[s.ID] = s.EndsAt
	}
	a.sheets, err = d.signInSheets(ctx, tx, tenantID, batchID)
	if platform.CodeOf(err) == ErrNoSessions.Code {
		// No exam was arranged for the batch: the file says so on its one page.
		a.sheets, err = []ticketpdf.Sheet{{Institution: a.batch.Institution, Batch: a.batch.Title, Room: "（本批次未编排考场）"}}, nil
	}
	if err != nil {
		return a, err
	}
	if err := tx.NewSelect().TableExpr("objections").ColumnExpr("id, application_id, reason, status, note, created_at, resolved_at").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).OrderExpr("created_at, id").Scan(ctx, &a.objections); err != nil {
		return a, err
	}
	if a.objections == nil {
		a.objections = []archiveObjection{}
	}
	err = tx.NewSelect().TableExpr("certificates").
		ColumnExpr("number, status, application_id, holder_name, id_type, id_number, level, issued_on, revoked_at, revoke_reason").
		Where("tenant_id = ? AND batch_id = ?", tenantID, batchID).OrderExpr("number, application_id").Scan(ctx, &a.certificates)
	return a, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeCSV writes a UTF-8 CSV with the byte-order mark Excel needs to read it as UTF-8.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	if _, err := w.Write([]byte{0xEF, 0xBB, 0xBF}); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func ts(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (a archiveData) candidatesCSV(w io.Writer) error {
	rows := make([][]string, 0, len(a.apps))
	for _, p := range a.apps {
		rows = append(rows, []string{p.ID.String(), p.CandidateID.String(), p.TicketNumber, p.Name, p.IDType, p.IDNumber,
			p.Status, p.EligibilityRule, strconv.FormatBool(p.TheoryExempt), ts(&p.CreatedAt)})
	}
	return writeCSV(w, []string{"application_id", "candidate_id", "ticket_number", "name", "id_type", "id_number",
		"status", "eligibility_rule", "theory_exempt", "applied_at"}, rows)
}

func (a archiveData) arrangementCSV(w io.Writer) error {
	mode, seed := "", ""
	if a.arrangement != nil {
		mode, seed = a.arrangement.Mode, a.arrangement.Seed
	}
	rows := make([][]string, 0, len(a.seats))
	for _, s := range a.seats {
		rows = append(rows, []string{s.SessionID.String(), string(s.Method), ts(&s.StartsAt), ts(&s.EndsAt), s.SiteName,
			s.SiteAddress, s.RoomID.String(), s.RoomName, strconv.Itoa(s.Seat), s.TicketNumber, s.ApplicationID.String(),
			s.CandidateName, mode, seed})
	}
	return writeCSV(w, []string{"session_id", "method", "starts_at", "ends_at", "site", "address", "room_id", "room",
		"seat", "ticket_number", "application_id", "name", "mode", "seed"}, rows)
}

func (a archiveData) attendanceCSV(w io.Writer, now time.Time) error {
	rows := make([][]string, 0, len(a.seats))
	for _, s := range a.seats {
		status, at, via := string(Expected), "", ""
		if c, ok := a.checkIns[[2]uuid.UUID{s.SessionID, s.ApplicationID}]; ok {
			status, at, via = string(Present), ts(&c.CheckedInAt), c.Via
		} else if end, ok := a.sessionEnds[s.SessionID]; ok && !now.Before(end) {
			status = string(Absent)
		}
		rows = append(rows, []string{s.SessionID.String(), string(s.Method), s.ApplicationID.String(), s.TicketNumber,
			s.CandidateName, s.RoomName, strconv.Itoa(s.Seat), status, at, via})
	}
	return writeCSV(w, []string{"session_id", "method", "application_id", "ticket_number", "name", "room", "seat",
		"status", "checked_in_at", "via"}, rows)
}

// methods are the batch's methods, in its order.
func (a archiveData) methods() []string {
	var ms []string
	_ = json.Unmarshal(a.batch.Methods, &ms)
	return ms
}

func (a archiveData) scoresCSV(w io.Writer) error {
	ms := a.methods()
	header := append([]string{"application_id", "ticket_number", "name", "id_number", "status", "theory_exempt"}, ms...)
	header = append(header, "result", "held")
	rows := make([][]string, 0, len(a.apps))
	for _, p := range a.apps {
		row := []string{p.ID.String(), p.TicketNumber, p.Name, p.IDNumber, p.Status, strconv.FormatBool(p.TheoryExempt)}
		for _, m := range ms {
			v, ok := p.Scores[m]
			if ok {
				row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, append(row, p.Result, strconv.FormatBool(p.Held)))
	}
	return writeCSV(w, header, rows)
}

// publicityJSON is the publicity record: when results were published and for how long, and the list
// as the public saw it (names and ID numbers masked).
func (a archiveData) publicityJSON(w io.Writer) error {
	type item struct {
		Name     string `json:"name"`
		IDNumber string `json:"id_number"`
		Result   string `json:"result"`
	}
	out := struct {
		ResultsPublishedAt *time.Time `json:"results_published_at"`
		PublicityEndsAt    *time.Time `json:"publicity_ends_at"`
		PublicityDays      int        `json:"publicity_days"`
		Results            []item     `json:"results"`
	}{a.batch.ResultsPublishedAt, a.batch.PublicityEndsAt, a.batch.PublicityDays, []item{}}
	for _, p := range a.apps {
		if p.Result == "" {
			continue
		}
		out.Results = append(out.Results, item{Name: candidates.MaskName(p.Name), IDNumber: candidates.MaskIDNumber(p.IDNumber), Result: p.Result})
	}
	return writeJSON(w, out)
}

func (a archiveData) certificatesCSV(w io.Writer) error {
	rows := make([][]string, 0, len(a.certificates))
	for _, c := range a.certificates {
		number := ""
		if c.Number != nil {
			number = *c.Number
		}
		rows = append(rows, []string{number, c.Status, c.ApplicationID.String(), c.HolderName, c.IDType, c.IDNumber,
			strconv.Itoa(c.Level), date(c.IssuedOn), ts(c.RevokedAt), c.RevokeReason})
	}
	return writeCSV(w, []string{"number", "status", "application_id", "holder_name", "id_type", "id_number", "level",
		"issued_on", "revoked_at", "revoke_reason"}, rows)
}
