package exams

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/exams/archive"
	"github.com/skillcert/skillcert/modules/exams/ticketpdf"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Ticket statuses.
const (
	TicketPending = "pending"
	TicketReady   = "ready"
	TicketFailed  = "failed"
)

// Ticket is an admission ticket (准考证) of an application: its number, how far its rendering is, and
// the signed token its QR code carries.
type Ticket struct {
	BatchID       uuid.UUID
	ApplicationID uuid.UUID
	TicketNumber  string
	Status        string
	Token         string
	Error         string // why rendering failed
	UpdatedAt     time.Time
	Sessions      []SeatDetail // the candidate's own tickets only
}

// More errors of the document side.
var (
	ErrTicketNotFound = platform.NotFound("ticket")
	ErrNotArranged    = platform.Conflict("not_arranged", "the batch has no seat arrangement; arrange it first")
	ErrTicketNotReady = platform.Conflict("ticket_not_ready", "the admission ticket is not rendered yet")
	ErrArchived       = batches.ErrBatchArchived
	// ErrTicketsNotClosed: tickets are issued between the close of applications and the results.
	ErrTicketsNotClosed = platform.Conflict("invalid_state", "admission tickets are issued for a closed batch")
)

// TicketChunkSize is how many tickets one rendering task renders, in one transaction.
const TicketChunkSize = 50

// Task types of the document side.
const (
	// TaskRenderTickets renders one chunk of pending tickets (payload ticketChunkPayload, per tenant).
	TaskRenderTickets = "exams:render_tickets"
	// TaskReconcileTickets re-enqueues ticket chunks left pending (platform-wide, every 10 seconds).
	TaskReconcileTickets = "exams:reconcile_tickets"
)

// Timing of the ticket pipeline (as certificates' issuance: see certificates/tasks.go).
const (
	ticketLease             = 15 * time.Second
	ticketMaxRetry          = 10
	ticketReconcileBatch    = 500
	DefaultTicketRetryAfter = 2 * time.Minute
	// TicketReconcileSchedule is how often the ticket reconciler runs.
	TicketReconcileSchedule = "@every 10s"
)

// PhotoSource reads a candidate's photo inside the caller's transaction (candidates.Service.PhotoTx);
// candidates.ErrPhotoNotFound when there is none.
type PhotoSource interface {
	PhotoTx(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) (candidates.Photo, error)
}

// CandidateOf finds the candidate whose login is userID in the tenant of ctx (candidates.Service.ByUserTx).
type CandidateOf func(ctx context.Context, tx bun.IDB, userID uuid.UUID) (uuid.UUID, error)

// DocumentsConfig is what a Documents service is built from.
type DocumentsConfig struct {
	DB    *bun.DB
	Jobs  jobs.Enqueuer   // nil: chunks are rendered only by the reconciler (tests)
	Queue jobs.TaskLookup // tells the reconciler whether a chunk's task is still queued; nil: Jobs if it can
	// Photos reads candidates' photos (candidates.Service).
	Photos PhotoSource
	// Candidate finds a logged-in candidate's record, for their own tickets.
	Candidate CandidateOf
	// Renderer loads the fonts on first use (render.New), shared with certificates.
	Renderer func() (*render.Renderer, error)
	// TicketKey signs ticket tokens (exams.TicketKey of the platform secret).
	TicketKey []byte
	// Signer signs archive manifests with the institution's key (certificates.Service.SignDetached).
	Signer     archive.Signer
	Log        *slog.Logger
	RetryAfter time.Duration // DefaultTicketRetryAfter when zero
	Now        func() time.Time
}

// Documents is the paper side of exam administration: admission tickets (rendered by a job, chunked
// and leased like certificates' issuance), sign-in sheets and the batch archive.
type Documents struct {
	cfg DocumentsConfig
	db  *bun.DB
	log *slog.Logger
	now func() time.Time

	rendOnce sync.Once
	rend     *ticketpdf.Renderer
	rendErr  error

	// renderHook, when set (tests), is called before each ticket of a chunk is rendered.
	renderHook func(appID uuid.UUID) error
}

// NewDocuments returns the document service.
func NewDocuments(cfg DocumentsConfig) *Documents {
	d := &Documents{cfg: cfg, db: cfg.DB, log: cfg.Log, now: cfg.Now}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.cfg.RetryAfter == 0 {
		d.cfg.RetryAfter = DefaultTicketRetryAfter
	}
	if d.cfg.Queue == nil {
		if l, ok := cfg.Jobs.(jobs.TaskLookup); ok {
			d.cfg.Queue = l
		}
	}
	return d
}

func (d *Documents) clock() time.Time { return d.now().UTC().Truncate(time.Microsecond) }

// renderer returns the ticket renderer, loading the fonts on first use.
func (d *Documents) renderer() (*ticketpdf.Renderer, error) {
	d.rendOnce.Do(func() {
		if d.cfg.Renderer == nil {
			d.rendErr = platform.E(platform.KindUnavailable, "renderer_unavailable", "no PDF renderer is configured")
			return
		}
		r, err := d.cfg.Renderer()
		if err != nil {
			d.rendErr = err
			return
		}
		d.rend = ticketpdf.New(r)
	})
	return d.rend, d.rendErr
}

// IssueTickets queues the admission tickets of an arranged batch: one ticket per seated application
// (its ticket number, its signed token), rendered by TaskRenderTickets in chunks of TicketChunkSize.
// Calling it again queues only what is missing and retries failed tickets; ready ones stay. From the
// first ticket on, the arrangement and the sessions are frozen (409 tickets_issued) until
// DeleteTickets. 409 invalid_state unless the batch is closed, 409 not_arranged without seats, 409
// archived for an archived batch. Audited.
func (d *Documents) IssueTickets(ctx context.Context, batchID uuid.UUID) (queued int, err error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return 0, err
	}
	var chunks []uuid.UUID
	err = tenants.WithTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, scope.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if err := checkNotArchived(ctx, tx, scope.TenantID, batchID); err != nil {
			return err
		}
		if batches.Status(b.Status) != batches.StatusClosed {
			return ErrTicketsNotClosed
		}
		targets, err := ticketTargets(ctx, tx, scope.TenantID, batchID)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			return ErrNotArranged
		}
		have, err := existingTickets(ctx, tx, scope.TenantID, batchID)
		if err != nil {
			return err
		}
		now := d.clock()
		var fresh []ticketRow
		var retry []uuid.UUID
		for _, t := range targets {
			switch have[t.ApplicationID] {
			case "":
				fresh = append(fresh, ticketRow{TenantID: scope.TenantID, ApplicationID: t.ApplicationID, BatchID: batchID,
					TicketNumber: t.TicketNumber, Status: TicketPending, CreatedAt: now, UpdatedAt: now,
					Token: SignTicket(d.cfg.TicketKey, TicketClaims{TenantID: scope.TenantID, BatchID: batchID,
						ApplicationID: t.ApplicationID, TicketNumber: t.TicketNumber})})
			case TicketFailed:
				retry = append(retry, t.ApplicationID)
			}
		}
		newChunk := func() (uuid.UUID, error) {
			c := &ticketChunkRow{ID: uuid.New(), TenantID: scope.TenantID, BatchID: batchID, RetryAt: now.Add(d.cfg.RetryAfter), CreatedAt: now}
			chunks = append(chunks, c.ID)
			return c.ID, insertTicketChunk(ctx, tx, c)
		}
		for start := 0; start < len(fresh); start += TicketChunkSize {
			id, err := newChunk()
			if err != nil {
				return err
			}
			part := fresh[start:min(start+TicketChunkSize, len(fresh))]
			for i := range part {
				part[i].ChunkID = &id
			}
		}
		if err := insertTickets(ctx, tx, fresh); err != nil {
			return err
		}
		for start := 0; start < len(retry); start += TicketChunkSize {
			id, err := newChunk()
			if err != nil {
				return err
			}
			if err := retryFailedTickets(ctx, tx, scope.TenantID, batchID, retry[start:min(start+TicketChunkSize, len(retry))], id, now); err != nil {
				return err
			}
		}
		queued = len(fresh) + len(retry)
		return audit.Record(ctx, tx, audit.Event{Action: "ticket.issue", TargetType: "batch", TargetID: batchID.String(),
			After: map[string]any{"queued": len(fresh), "retried": len(retry), "tickets": len(targets), "chunks": len(chunks)}})
	})
	if err != nil {
		return 0, err
	}
	for _, id := range chunks {
		d.enqueueChunk(ctx, scope.TenantID, id, 0)
	}
	return queued, nil
}

// checkNotArchived is ErrArchived once the batch's archive was made.
func checkNotArchived(ctx context.Context, tx bun.IDB, tenantID, batchID uuid.UUID) error {
	b, err := ticketBatchOf(ctx, tx, tenantID, batchID)
	if err != nil {
		return err
	}
	if b.ArchivedAt != nil {
		return ErrArchived
	}
	return nil
}

// Tickets lists a page of the batch's tickets by ticket number (sort ticket_number, either way).
func (d *Documents) Tickets(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (platform.Page[Ticket], error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Ticket]{}, err
	}
	var after string
	if _, err := platform.DecodeCursor(req.Cursor, &after); err != nil {
		return platform.Page[Ticket]{}, err
	}
	var rows []ticketRow
	err = tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getBatch(ctx, tx, scope.TenantID, batchID, false); err != nil {
			return err
		}
		var err error
		rows, err = listTickets(ctx, tx, scope.TenantID, batchID, req, after)
		return err
	})
	if err != nil {
		return platform.Page[Ticket]{}, err
	}
	out := make([]Ticket, len(rows))
	for i, r := range rows {
		out[i] = r.ticket()
	}
	return platform.CutPage(out, req, func(t Ticket) string { return platform.EncodeCursor(t.TicketNumber) }), nil
}

func (r ticketRow) ticket() Ticket {
	return Ticket{BatchID: r.BatchID, ApplicationID: r.ApplicationID, TicketNumber: r.TicketNumber, Status: r.Status,
		Token: r.Token, Error: r.Error, UpdatedAt: r.UpdatedAt.UTC()}
}

// CheckBatch is ErrBatchNotFound unless the batch is the institution's (what a streamed answer checks
// before it sends its status).
func (d *Documents) CheckBatch(ctx context.Context, batchID uuid.UUID) error {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	return tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		_, err := getBatch(ctx, tx, scope.TenantID, batchID, false)
		return err
	})
}

// ticketZipPage is how many PDFs the tickets ZIP reads per query: a short transaction each, so that a
// slow download never holds a database connection for long.
const ticketZipPage = 20

// WriteTicketsZip writes the batch's ready tickets as a ZIP of <ticket number>.pdf to w, reading them
// a page at a time. A batch without ready tickets gives an empty ZIP.
func (d *Documents) WriteTicketsZip(ctx context.Context, batchID uuid.UUID, w io.Writer) error {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	after := ""
	for {
		var rows []ticketRow
		if err := tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
			var err error
			rows, err = readyTicketPDFs(ctx, tx, scope.TenantID, batchID, after, ticketZipPage)
			return err
		}); err != nil {
			return err
		}
		for _, r := range rows {
			// PDFs are compressed already: stored, not deflated again.
			f, err := zw.CreateHeader(&zip.FileHeader{Name: r.TicketNumber + ".pdf", Method: zip.Store, Modified: d.clock()})
			if err != nil {
				return err
			}
			if _, err := f.Write(r.PDF); err != nil {
				return err
			}
		}
		if f, ok := w.(interface{ Flush() error }); ok {
			if err := f.Flush(); err != nil {
				return err
			}
		}
		if len(rows) < ticketZipPage {
			return zw.Close()
		}
		after = rows[len(rows)-1].TicketNumber
	}
}

// OwnTickets lists the tickets of the candidate logged in, each with its sessions.
func (d *Documents) OwnTickets(ctx context.Context) ([]Ticket, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	err = tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		cid, err := d.ownCandidate(ctx, tx)
		if errors.Is(err, ErrTicketNotFound) {
			return nil // a login with no candidate record yet has no tickets: an empty list, not a 404
		}
		if err != nil {
			return err
		}
		rows, err := ownTickets(ctx, tx, scope.TenantID, cid)
		if err != nil {
			return err
		}
		for _, r := range rows {
			t := r.ticket()
			if t.Sessions, err = ApplicationSeats(ctx, tx, scope.TenantID, r.ApplicationID); err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// ownCandidate is the candidate of the user logged in; 404 when the user is no candidate.
func (d *Documents) ownCandidate(ctx context.Context, tx bun.IDB) (uuid.UUID, error) {
	actor := tenants.ActorFrom(ctx)
	if d.cfg.Candidate == nil || actor.UserID == uuid.Nil {
		return uuid.Nil, ErrTicketNotFound
	}
	id, err := d.cfg.Candidate(ctx, tx, actor.UserID)
	if platform.KindOf(err) == platform.KindNotFound {
		return uuid.Nil, ErrTicketNotFound
	}
	return id, err
}

// OwnTicketPDF returns the PDF of the logged-in candidate's ticket of batchID: 404 when they have
// none there, 409 ticket_not_ready while it renders.
func (d *Documents) OwnTicketPDF(ctx context.Context, batchID uuid.UUID) (Ticket, []byte, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Ticket{}, nil, err
	}
	var t ticketRow
	err = tenants.ReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		cid, err := d.ownCandidate(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := ownTickets(ctx, tx, scope.TenantID, cid)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.BatchID == batchID {
				t, err = ticketOf(ctx, tx, scope.TenantID, batchID, r.ApplicationID, true)
				return err
			}
		}
		return ErrTicketNotFound
	})
	if err != nil {
		return Ticket{}, nil, err
	}
	if t.Status != TicketReady {
		return t.ticket(), nil, ErrTicketNotReady
	}
	return t.ticket(), t.PDF, nil
}

// RenderChunk renders the pending tickets of a chunk of the tenant in ctx (the task's work), in one
// transaction, and returns how many it rendered. A ticket is rendered once: its row changes only from
// pending, and two tasks on one chunk skip each other's locked rows. A ticket the renderer refuses (a
// character no font has, an unreadable photo) is failed with why; anything else fails the chunk, which
// rolls back whole and is retried.
func (d *Documents) RenderChunk(ctx context.Context, chunkID uuid.UUID) (int, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return 0, tenants.ErrNoScope
	}
	rend, err := d.renderer()
	if err != nil {
		return 0, err
	}
	rendered := 0
	err = tenants.WithTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		rendered = 0
		chunk, err := getTicketChunk(ctx, tx, scope.TenantID, chunkID)
		if err != nil {
			return err
		}
		rows, err := lockPendingTickets(ctx, tx, scope.TenantID, chunkID)
		if err != nil {
			return err
		}
		now := d.clock()
		if len(rows) > 0 {
			b, err := ticketBatchOf(ctx, tx, scope.TenantID, chunk.BatchID)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if d.renderHook != nil {
					if err := d.renderHook(r.ApplicationID); err != nil {
						return err
					}
				}
				pdf, failure, err := d.renderTicket(ctx, tx, rend, scope.TenantID, b, r)
				if err != nil {
					return err
				}
				ok, err := settleTicket(ctx, tx, scope.TenantID, r.ApplicationID, pdf, failure, now)
				if err != nil {
					return err
				}
				if ok && failure == "" {
					rendered++
				}
			}
		}
		return finishTicketChunk(ctx, tx, scope.TenantID, chunkID, now)
	})
	return rendered, err
}

// renderTicket renders one ticket; failure says why the renderer refused it.
func (d *Documents) renderTicket(ctx context.Context, tx bun.IDB, rend *ticketpdf.Renderer, tenantID uuid.UUID, b ticketBatch, r ticketRow) (pdf []byte, failure string, err error) {
	seats, err := ApplicationSeats(ctx, tx, tenantID, r.ApplicationID)
	if err != nil {
		return nil, "", err
	}
	if len(seats) == 0 {
		return nil, "the application has no seat", nil
	}
	t := ticketContent(b, seats, r.TicketNumber, r.Token, d.clock())
	if d.cfg.Photos != nil {
		p, err := d.cfg.Photos.PhotoTx(ctx, tx, seats[0].CandidateID)
		switch {
		case err == nil:
			t.Photo = p.Data
		case platform.KindOf(err) != platform.KindNotFound:
			return nil, "", err
		}
	}
	var buf bytes.Buffer
	if err := rend.Render(&buf, t); err != nil {
		if k := platform.KindOf(err); k == platform.KindUnprocessable {
			return nil, platform.CodeOf(err) + ": " + err.Error(), nil
		}
		return nil, "", err
	}
	return buf.Bytes(), "", nil
}

// ticketContent is what a ticket prints.
func ticketContent(b ticketBatch, seats []SeatDetail, number, token string, now time.Time) ticketpdf.Ticket {
	occupation := b.OccupationName
	if b.Subtype != "" && b.Subtype != "--" {
		occupation += "（" + b.Subtype + "）"
	}
	occupation += " " + b.OccupationCode
	t := ticketpdf.Ticket{Institution: b.Institution, Batch: b.Title, Number: number, Name: seats[0].CandidateName,
		IDType: idTypeName(seats[0].IDType), IDNumber: seats[0].IDNumber, Occupation: occupation,
		Level: catalog.Level(b.Level).Label(), Token: token, IssuedAt: now}
	for _, s := range seats {
		t.Sessions = append(t.Sessions, ticketpdf.Session{Method: string(s.Method), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
			Site: s.SiteName, Address: s.SiteAddress, Room: s.RoomName, Seat: s.Seat})
	}
	return t
}

// idTypeName is the Chinese name of an ID document type.
func idTypeName(t string) string {
	switch t {
	case candidates.IDTypeResident, "":
		return "居民身份证"
	case candidates.IDTypePassport:
		return "护照"
	case candidates.IDTypeHKMacaoPermit:
		return "港澳居民来往内地通行证"
	case candidates.IDTypeTaiwanPermit:
		return "台湾居民来往大陆通行证"
	case candidates.IDTypeForeignPermanentR:
		return "外国人永久居留身份证"
	}
	return t
}

// ---- The job: tasks, leases, reconciliation (the pattern of certificates' issuance) ----

type ticketChunkPayload struct {
	ChunkID uuid.UUID `json:"chunk_id"`
}

func ticketTaskID(chunkID uuid.UUID, gen int) string {
	return fmt.Sprintf("tickets/%s/%d", chunkID, gen)
}

// enqueueChunk queues a chunk's task; a failure is only logged (the chunk row is the durable record
// and the reconciler enqueues it when its retry time comes).
func (d *Documents) enqueueChunk(ctx context.Context, tenantID, chunkID uuid.UUID, gen int) {
	if d.cfg.Jobs == nil {
		return
	}
	err := d.cfg.Jobs.Enqueue(ctx, TaskRenderTickets, tenantID, ticketChunkPayload{ChunkID: chunkID},
		jobs.TaskID(ticketTaskID(chunkID, gen)), jobs.MaxRetry(ticketMaxRetry), jobs.Timeout(5*time.Minute))
	if err != nil {
		d.log.WarnContext(ctx, "exams: enqueueing a ticket task failed; the reconciler will retry", "chunk_id", chunkID, "err", err)
	}
}

// RegisterJobs registers the rendering handler and the reconciler (every 10 s, critical queue).
func (d *Documents) RegisterJobs(js *jobs.Server, sch *jobs.Scheduler) error {
	js.Handle(TaskRenderTickets, d.HandleRenderTickets)
	js.Handle(TaskReconcileTickets, d.HandleReconcileTickets)
	if sch == nil {
		return nil
	}
	return sch.Schedule(TicketReconcileSchedule, TaskReconcileTickets, nil, jobs.MaxRetry(0), jobs.Queue(jobs.QueueCritical))
}

// HandleRenderTickets is the TaskRenderTickets handler: it holds the chunk's lease while it renders.
func (d *Documents) HandleRenderTickets(ctx context.Context, t jobs.Task) error {
	var p ticketChunkPayload
	if err := t.Decode(&p); err != nil {
		return err
	}
	release := d.holdLease(ctx, p.ChunkID)
	defer release()
	n, err := d.RenderChunk(ctx, p.ChunkID)
	switch {
	case err == nil:
		if n > 0 {
			d.log.InfoContext(ctx, "exams: tickets rendered", "chunk_id", p.ChunkID, "rendered", n)
		}
		return nil
	case errors.Is(err, errTicketChunkNotVisible):
		if t.Retried >= 3 {
			return jobs.Permanent(err)
		}
		return err
	}
	return err
}

// HandleReconcileTickets is the TaskReconcileTickets handler.
func (d *Documents) HandleReconcileTickets(ctx context.Context, _ jobs.Task) error {
	n, err := d.ReconcileTickets(ctx)
	if n > 0 {
		d.log.InfoContext(ctx, "exams: re-enqueued pending ticket chunks", "chunks", n)
	}
	return err
}

func (d *Documents) holdLease(ctx context.Context, chunkID uuid.UUID) (release func()) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return func() {}
	}
	return platform.HoldLease(ctx, ticketLease, d.clock, func(wctx context.Context, until *time.Time) {
		err := tenants.WithTx(wctx, d.db, func(ctx context.Context, tx bun.Tx) error {
			return leaseTicketChunk(ctx, tx, scope.TenantID, chunkID, until)
		})
		if err != nil {
			d.log.WarnContext(ctx, "exams: writing a ticket chunk lease", "chunk_id", chunkID, "err", err)
		}
	})
}

// ReconcileTickets takes up ticket chunks left pending, as certificates.Service.Reconcile does for
// issuance: a chunk whose lease expired (its worker died mid-chunk), or whose retry time came while
// no task is queued for it, gets a new generation and its task is enqueued again; one whose task is
// still queued is postponed. Without a queue it renders the chunks itself. It returns how many
// chunks it took up.
func (d *Documents) ReconcileTickets(ctx context.Context) (int, error) {
	now := d.clock()
	var due []dueTicketChunk
	err := tenants.SystemReadTx(ctx, d.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		due, err = dueTicketChunks(ctx, tx, now, ticketReconcileBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	taken := 0
	var errs []error
	waiting := map[uuid.UUID][]uuid.UUID{}
	for _, c := range due {
		if c.LeaseUntil == nil && d.cfg.Jobs != nil && d.cfg.Queue != nil {
			state, err := d.cfg.Queue.TaskState(ctx, jobs.QueueDefault, TaskRenderTickets, c.TenantID, ticketTaskID(c.ID, c.Gen))
			if err != nil {
				errs = append(errs, fmt.Errorf("ticket chunk %s: %w", c.ID, err))
				continue
			}
			if state == jobs.TaskPending || state == jobs.TaskScheduled || state == jobs.TaskRetry {
				waiting[c.TenantID] = append(waiting[c.TenantID], c.ID)
				continue
			}
		}
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: c.TenantID})
		var gen int
		var ok bool
		err := tenants.WithTx(tctx, d.db, func(ctx context.Context, tx bun.Tx) error {
			var err error
			gen, ok, err = claimDueTicketChunk(ctx, tx, c.TenantID, c.ID, c.Gen, now, now.Add(d.cfg.RetryAfter))
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("ticket chunk %s: %w", c.ID, err))
			continue
		}
		if !ok {
			continue
		}
		taken++
		if d.cfg.Jobs != nil {
			d.enqueueChunk(tctx, c.TenantID, c.ID, gen)
			continue
		}
		if _, err := d.RenderChunk(tctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("ticket chunk %s: %w", c.ID, err))
		}
	}
	for tenantID, ids := range waiting {
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: tenantID})
		if err := tenants.WithTx(tctx, d.db, func(ctx context.Context, tx bun.Tx) error {
			return postponeTicketChunks(ctx, tx, tenantID, ids, now.Add(d.cfg.RetryAfter))
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return taken, errors.Join(errs...)
}

// maskedID is the one mask rule for ID numbers on lists (candidates.MaskIDNumber).
func maskedID(s string) string { return candidates.MaskIDNumber(strings.TrimSpace(s)) }
