package certificates

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/skillcert/skillcert/jobs"
	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/certificates/credential"
	"github.com/skillcert/skillcert/modules/certificates/render"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// ChunkSize is how many certificates one issuance task issues, in one transaction. A task costs
// about 0.1 ms of queue overhead and a transaction a few round trips, against 2–3 ms to render and
// sign each certificate: 50 makes the overhead negligible while a chunk still commits in a fraction
// of a second, holding the institution's serial counter only that long.
const ChunkSize = 50

// DefaultRetryAfter is how long the reconciler leaves a pending chunk after enqueueing it (or after
// finding its task still waiting in the queue) before it looks at it again. When it looks, it asks the
// queue whether the chunk's task still exists (Config.Queue), so a chunk waiting in a busy queue is
// left alone while a task lost with the queue (Redis flushed or restarted empty) is replaced: with
// the reconciler every 10 s, issuance resumes within about 30 s of the loss. Without a task lookup
// the reconciler cannot tell and enqueues the chunk again each time.
const DefaultRetryAfter = 20 * time.Second

// Config builds a Service.
type Config struct {
	DB   *bun.DB
	Jobs jobs.Enqueuer // nil: chunks are only picked up by the reconciler (tests)
	// Queue tells the reconciler whether a chunk's task is still in the queue. When nil, Jobs serves
	// if it can look tasks up (a *jobs.Client does); without either, the reconciler enqueues every
	// pending chunk again each RetryAfter.
	Queue        jobs.TaskLookup
	Institutions Institutions // the tenant directory, required
	Filings      Filings      // the approved scope of an institution; required to issue skill level certificates
	Candidates   Candidates   // for GET /me/certificates; without it own certificates are unavailable
	Photos       Photos       // holders' photos; optional
	// Renderer returns the PDF renderer; it is called on first use and its result kept, so a
	// process that never renders never loads fonts.
	Renderer func() (*render.Renderer, error)
	// MasterKey loads the key sealing signing keys, on first use (see credential.LoadMasterKey).
	MasterKey func() (*credential.MasterKey, error)
	// PublicURL is SKILLCERT_PUBLIC_URL: the base of QR codes, credential ids and status lists.
	PublicURL string
	// RetryAfter is the reconciler's patience with a pending chunk (DefaultRetryAfter when zero).
	RetryAfter time.Duration
	Log        *slog.Logger
	Now        func() time.Time // nil: time.Now
	// Reads routes the public verification and status lists to read replicas (nil: the primary).
	Reads *platform.Reads
}

// Service issues, serves, verifies and revokes certificates.
type Service struct {
	db           *bun.DB
	enq          jobs.Enqueuer
	lookup       jobs.TaskLookup
	institutions Institutions
	publicURL    string
	retryAfter   time.Duration
	log          *slog.Logger
	now          func() time.Time
	filings      Filings
	candidates   Candidates
	photos       Photos

	renderOnce sync.Mutex
	renderer   *render.Renderer
	loadRender func() (*render.Renderer, error)

	masterKeyState
	reads *platform.Reads // lag-tolerant public reads (nil: the primary)
}

// NewService returns the certificates service.
func NewService(c Config) *Service {
	s := &Service{
		db: c.DB, enq: c.Jobs, institutions: c.Institutions, filings: c.Filings, candidates: c.Candidates,
		photos: c.Photos, publicURL: strings.TrimRight(c.PublicURL, "/"), retryAfter: c.RetryAfter,
		log: c.Log, now: c.Now, loadRender: c.Renderer, lookup: c.Queue,
	}
	s.reads = c.Reads
	if l, ok := c.Jobs.(jobs.TaskLookup); ok && s.lookup == nil {
		s.lookup = l
	}
	s.loadMK = c.MasterKey
	if s.retryAfter <= 0 {
		s.retryAfter = DefaultRetryAfter
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// PublicURL returns the base URL certificates point to.
func (s *Service) PublicURL() string { return s.publicURL }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// errRendererUnavailable wraps why the renderer could not be made (no CJK font, most likely).
func (s *Service) pdfRenderer() (*render.Renderer, error) {
	s.renderOnce.Lock()
	defer s.renderOnce.Unlock()
	if s.renderer != nil {
		return s.renderer, nil
	}
	if s.loadRender == nil {
		return nil, platform.E(platform.KindUnavailable, "renderer_unavailable", "no certificate renderer is configured")
	}
	r, err := s.loadRender()
	if err != nil {
		return nil, platform.Wrap(platform.KindUnavailable, "renderer_unavailable", "certificates cannot be rendered: "+err.Error(), err)
	}
	s.renderer = r
	return r, nil
}

// OnFinalized queues the certificates of a finalized batch, inside finalize's transaction tx: one
// pending certificate per passed application (an application that already has one is skipped, so a
// repeated call adds nothing), grouped in chunks of ChunkSize, each chunk row being the outbox entry
// of one issuance task. The tasks are enqueued at once; one that runs before tx commits finds no
// chunk and is retried, and the reconciler enqueues any chunk whose task was lost.
func (s *Service) OnFinalized(ctx context.Context, tx bun.Tx, b FinalizedBatch) error {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return tenants.ErrNoScope
	}
	if b.TenantID != uuid.Nil && b.TenantID != scope.TenantID {
		return platform.E(platform.KindInternal, "tenant_mismatch", "finalized batch belongs to another tenant than the transaction")
	}
	if err := b.Validate(); err != nil {
		return err
	}
	now := s.clock()
	subtype := strings.TrimSpace(b.Subtype)
	if subtype == render.Placeholder {
		subtype = ""
	}
	passed := append([]PassedApplication(nil), b.Passed...)
	sort.Slice(passed, func(i, j int) bool { return passed[i].ApplicationID.String() < passed[j].ApplicationID.String() })
	var chunks []uuid.UUID
	queued := 0
	for start := 0; start < len(passed); start += ChunkSize {
		part := passed[start:min(start+ChunkSize, len(passed))]
		chunk := &chunkRow{ID: uuid.New(), TenantID: scope.TenantID, Source: "batch:" + b.BatchID.String(),
			RetryAt: now.Add(s.retryAfter), CreatedAt: now}
		if err := insertChunk(ctx, tx, chunk); err != nil {
			return err
		}
		rows := make([]certRow, len(part))
		batchID := b.BatchID
		for i, p := range part {
			rows[i] = certRow{
				ID: uuid.New(), TenantID: scope.TenantID, Kind: string(KindSkillLevel),
				IssueKey: "application:" + p.ApplicationID.String(), Status: string(StatusPending),
				BatchID: &batchID, ApplicationID: p.ApplicationID, CandidateID: p.CandidateID,
				HolderName: strings.TrimSpace(p.HolderName), IDType: p.IDType, IDNumber: p.IDNumber,
				OccupationCode: b.OccupationCode, OccupationName: b.OccupationName, Subtype: subtype, Level: b.Level,
				Title: render.DefaultTitle, ChunkID: &chunk.ID, CreatedAt: now.Add(time.Duration(start+i) * time.Microsecond),
				UpdatedAt: now,
			}
		}
		ids, err := insertPending(ctx, tx, rows)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			// Every application of this part already has its certificate: nothing to issue.
			if err := finishChunk(ctx, tx, scope.TenantID, chunk.ID, now); err != nil {
				return err
			}
			continue
		}
		queued += len(ids)
		chunks = append(chunks, chunk.ID)
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "certificate.queue", TargetType: "batch", TargetID: b.BatchID.String(),
		After: map[string]any{"queued": queued, "passed": len(b.Passed), "chunks": len(chunks)}}); err != nil {
		return err
	}
	for _, id := range chunks {
		s.enqueueChunk(ctx, scope.TenantID, id, 0)
	}
	return nil
}

// rowError says which certificate of a chunk could not be issued.
type rowError struct {
	id  uuid.UUID
	err error
}

func (e *rowError) Error() string { return fmt.Sprintf("certificate %s: %v", e.id, e.err) }
func (e *rowError) Unwrap() error { return e.err }

// institution loads the tenant of ctx and refuses issuing for one that is not an active institution.
func (s *Service) institution(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
	inst, err := s.institutions.ByID(ctx, id)
	if err != nil {
		return inst, err
	}
	if !inst.Kind.IsInstitution() {
		return inst, platform.Unprocessable("not_an_institution", "only institutions issue certificates")
	}
	if inst.Status != tenants.StatusActive {
		return inst, ErrSuspended
	}
	return inst, nil
}

// IssueChunk issues the pending certificates of a chunk of the tenant in ctx (the task handler's
// work) and returns how many it issued. Each attempt is one transaction; a certificate that cannot be
// rendered is moved to a chunk of its own, retried later by the reconciler, so it does not hold up the
// others. Running it again, concurrently or after a crash, issues nothing twice.
func (s *Service) IssueChunk(ctx context.Context, chunkID uuid.UUID) (int, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return 0, tenants.ErrNoScope
	}
	inst, err := s.institution(ctx, scope.TenantID)
	if err != nil {
		if errors.Is(err, ErrSuspended) {
			s.deferChunkAlone(ctx, scope, chunkID, 30*time.Minute, err)
		}
		return 0, err
	}
	ctx = tenants.WithScope(ctx, scopeOf(inst))
	issued := 0
	for attempt := 0; attempt <= ChunkSize; attempt++ {
		n := 0
		err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := getChunk(ctx, tx, inst.ID, chunkID); err != nil {
				return err
			}
			rows, err := lockPending(ctx, tx, inst.ID, chunkID)
			if err != nil {
				return err
			}
			ptrs := make([]*certRow, len(rows))
			for i := range rows {
				ptrs[i] = &rows[i]
			}
			now := s.clock()
			if len(ptrs) > 0 {
				if err := s.issueRows(ctx, tx, inst, ptrs, now, nil); err != nil {
					return err
				}
			}
			n = len(ptrs)
			return finishChunk(ctx, tx, inst.ID, chunkID, now)
		})
		var re *rowError
		switch {
		case err == nil:
			return issued + n, nil
		case errors.As(err, &re) && platform.KindOf(re.err) == platform.KindUnprocessable:
			// A certificate the renderer or the credential refuses (a character no font has, a
			// field too long): set it aside with the reason and issue the rest.
			if ierr := s.isolate(ctx, inst, re.id, re.err); ierr != nil {
				return issued, ierr
			}
		case platform.CodeOf(err) == "out_of_scope":
			s.deferChunkAlone(ctx, scopeOf(inst), chunkID, 30*time.Minute, err)
			return issued, err
		default:
			return issued, err
		}
	}
	return issued, fmt.Errorf("certificates: chunk %s kept failing", chunkID)
}

// deferChunkAlone records a chunk-wide failure (scope, suspension) on its certificates and postpones
// the chunk, in a transaction of its own.
func (s *Service) deferChunkAlone(ctx context.Context, scope tenants.Scope, chunkID uuid.UUID, wait time.Duration, cause error) {
	ctx = tenants.WithScope(ctx, scope)
	now := s.clock()
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return deferChunk(ctx, tx, scope.TenantID, chunkID, now.Add(wait), platform.CodeOf(cause)+": "+messageOf(cause), now)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "certificates: recording an issuance failure", "chunk_id", chunkID, "err", err)
	}
}

// isolate moves a certificate that failed to its own chunk, retried after a backoff growing with its
// attempts (a font installed or the holder's data corrected later lets it through).
func (s *Service) isolate(ctx context.Context, inst tenants.Tenant, certID uuid.UUID, cause error) error {
	now := s.clock()
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r, err := getCert(ctx, tx, inst.ID, certID)
		if err != nil {
			return err
		}
		wait := min(time.Minute<<min(r.Attempts, 10), 24*time.Hour)
		chunk := &chunkRow{ID: uuid.New(), TenantID: inst.ID, Source: "retry:" + certID.String(), RetryAt: now.Add(wait), CreatedAt: now}
		if err := insertChunk(ctx, tx, chunk); err != nil {
			return err
		}
		if err := moveToChunk(ctx, tx, inst.ID, certID, chunk.ID); err != nil {
			return err
		}
		s.log.WarnContext(ctx, "certificates: a certificate cannot be issued; set aside", "certificate_id", certID, "err", cause)
		return deferChunk(ctx, tx, inst.ID, chunk.ID, now.Add(wait), platform.CodeOf(cause)+": "+messageOf(cause), now)
	})
}

func messageOf(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		msg := pe.Message
		for _, f := range pe.Fields {
			msg += "; " + f.Field + ": " + f.Message
		}
		return msg
	}
	return err.Error()
}

// issueRows issues pending certificates inside tx, for institution inst: scope check, numbers, status
// list entries, PDFs, credentials, the conditional pending → issued update, documents, the public
// lookup rows, audit entries and reports. The caller holds the rows (locked or just inserted).
// revoke lists status list entries to set in the same update of the list (a reissue's old
// certificate).
func (s *Service) issueRows(ctx context.Context, tx bun.Tx, inst tenants.Tenant, rows []*certRow, now time.Time, revoke []int) error {
	rend, err := s.pdfRenderer()
	if err != nil {
		return err
	}
	scopes := map[string]ApprovedScope{}
	var settings settingsRow
	for _, r := range rows {
		switch Kind(r.Kind) {
		case KindSkillLevel:
			key := r.OccupationCode + "|" + strconv.Itoa(r.Level)
			if _, done := scopes[key]; done {
				continue
			}
			if s.filings == nil {
				return platform.E(platform.KindUnavailable, "filings_unavailable", "the approved scope cannot be checked")
			}
			sc, err := s.filings.CheckScope(ctx, tx, r.OccupationCode, r.Level, now)
			if err != nil {
				return err
			}
			scopes[key] = sc
		case KindPost:
			if settings.PostPrefix == "" {
				if settings, err = s.settingsTx(ctx, tx, inst, now); err != nil {
					return err
				}
			}
		}
	}
	letter, err := IssuerLetter(inst.Kind)
	if err != nil {
		return err
	}
	ring, kid, err := s.signingRing(ctx, tx, inst.ID, now)
	if err != nil {
		return err
	}
	firstIndex, err := s.updateStatusList(ctx, tx, inst.ID, ring, now, revoke, len(rows))
	if err != nil {
		return err
	}
	cst := now.In(chinaTime)
	issuedOn := time.Date(cst.Year(), cst.Month(), cst.Day(), 0, 0, 0, 0, time.UTC)

	// Serials: one block per counter (series, level), in the rows' order.
	type counter struct {
		series string
		level  int
	}
	need := map[counter]int{}
	var order []counter
	for _, r := range rows {
		c := counter{seriesNational, r.Level}
		if Kind(r.Kind) == KindPost {
			c = counter{seriesPost, 0}
		}
		if need[c] == 0 {
			order = append(order, c)
		}
		need[c]++
	}
	next := map[counter]int{}
	for _, c := range order {
		year := cst.Year() % 100
		if c.series == seriesPost {
			year = cst.Year()
		}
		first, err := allocSerials(ctx, tx, inst.ID, c.series, year, c.level, need[c])
		if err != nil {
			return err
		}
		if first+need[c]-1 > MaxSerial {
			return ErrSerialExceeded
		}
		next[c] = first
	}

	docs := make([]docRow, 0, len(rows))
	lookups := make([]lookupRow, 0, len(rows))
	trail := make([]map[string]any, 0, len(rows))
	for i, r := range rows {
		var number string
		if Kind(r.Kind) == KindPost {
			c := counter{seriesPost, 0}
			number = PostNumber(settings.PostPrefix, cst.Year(), next[c])
			next[c]++
		} else {
			c := counter{seriesNational, r.Level}
			sc := scopes[r.OccupationCode+"|"+strconv.Itoa(r.Level)]
			n := Number{Issuer: letter, EvaluatorCode: sc.EvaluatorCode, ProvinceCode: sc.ProvinceCode, SiteSerial: sc.SiteSerial,
				Year: cst.Year() % 100, Level: r.Level, Serial: next[c]}
			next[c]++
			if err := n.Validate(); err != nil {
				return platform.Wrap(platform.KindInternal, "bad_filing_codes", "the approved filing's codes do not make a valid number", err)
			}
			number = n.String()
		}
		index := firstIndex + i
		var photo []byte
		if s.photos != nil {
			if p, err := s.photos.PhotoTx(ctx, tx, r.CandidateID); err == nil {
				photo = p
			} else if platform.KindOf(err) != platform.KindNotFound {
				return err
			}
		}
		pdf, err := s.renderPDF(rend, inst, r, number, issuedOn, photo)
		if err != nil {
			return &rowError{id: r.ID, err: err}
		}
		cred, err := s.signCredential(ring, inst, r, number, issuedOn, index, now)
		if err != nil {
			return &rowError{id: r.ID, err: err}
		}
		issuedAt := now
		r.Status, r.Number, r.IssuedAt, r.IssuedOn = string(StatusIssued), &number, &issuedAt, &issuedOn
		r.StatusListIndex, r.KeyID, r.LastError, r.UpdatedAt = &index, kid, "", now
		docs = append(docs, docRow{CertificateID: r.ID, TenantID: inst.ID, PDF: pdf, Credential: cred, CreatedAt: now})
		lookups = append(lookups, lookupRow{
			Number: number, InstitutionID: inst.ID, CertificateID: r.ID, Kind: r.Kind, Title: r.Title, Status: lookupValid,
			HolderMasked: candidates.MaskName(r.HolderName), NameHash: nameHash(number, r.HolderName),
			OccupationCode: r.OccupationCode, OccupationName: r.OccupationName, Subtype: r.Subtype, Level: r.Level,
			Post: r.Post, Institution: inst.Name, IssuedOn: issuedOn, UpdatedAt: now,
		})
		trail = append(trail, map[string]any{"id": r.ID, "number": number, "status_list_index": index})
		if _, err := reports.Emit(ctx, tx, reports.CertificateIssued, "certificate", r.ID.String(), reportOf(r, inst)); err != nil {
			return err
		}
	}
	if err := markIssued(ctx, tx, inst.ID, rows); err != nil {
		return err
	}
	if err := insertDocuments(ctx, tx, docs); err != nil {
		return err
	}
	if err := insertLookups(ctx, tx, lookups); err != nil {
		return err
	}
	// One audit entry per issuing transaction, naming every certificate and number it issued: the
	// trace is complete, and a chunk of 50 costs 3 statements instead of 150.
	ev := audit.Event{Action: "certificate.issue", TargetType: "certificate", TargetID: rows[0].ID.String(),
		Before: map[string]any{"status": StatusPending}, After: map[string]any{"status": StatusIssued, "kid": kid, "issued": trail}}
	if len(rows) > 1 && rows[0].ChunkID != nil {
		ev.TargetType, ev.TargetID = "certificate_chunk", rows[0].ChunkID.String()
	}
	return audit.Record(ctx, tx, ev)
}

func (s *Service) renderPDF(rend *render.Renderer, inst tenants.Tenant, r *certRow, number string, issuedOn time.Time, photo []byte) ([]byte, error) {
	verify := credential.CredentialURL(s.publicURL, number)
	rc := render.Certificate{
		Institution: inst.Name,
		IssueDate:   time.Date(issuedOn.Year(), issuedOn.Month(), issuedOn.Day(), 0, 0, 0, 0, chinaTime),
		HolderName:  r.HolderName, IDType: IDTypeName(r.IDType), IDNumber: r.IDNumber,
		Occupation: r.OccupationName, OccupationCode: r.OccupationCode, SubType: r.Subtype,
		Level: credential.LevelName(r.Level), Number: number, Photo: photo, VerifyURL: verify,
		QueryAddresses: []string{s.publicURL + "/verify", render.NationalQueryURL},
	}
	if Kind(r.Kind) == KindPost {
		rc.Template = render.PostTemplate(r.Title)
		rc.Extra = map[string]string{render.FieldPost: r.Post}
		rc.QueryAddresses = []string{s.publicURL + "/verify"} // the national query knows only national certificates
	}
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := rend.Render(&buf, rc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Service) signCredential(ring *credential.KeyRing, inst tenants.Tenant, r *certRow, number string, issuedOn time.Time, index int, now time.Time) ([]byte, error) {
	c := credential.Certificate{
		Number:      number,
		Holder:      credential.Holder{Name: r.HolderName, IDNumber: r.IDNumber},
		Occupation:  credential.Occupation{Code: r.OccupationCode, Name: r.OccupationName, Subtype: r.Subtype},
		Level:       r.Level,
		Institution: credential.Institution{ID: inst.ID.String(), Name: inst.Name},
		IssuedOn:    time.Date(issuedOn.Year(), issuedOn.Month(), issuedOn.Day(), 0, 0, 0, 0, chinaTime),
		// The credential takes effect when it is issued, not at the start of the day.
		ValidFrom:       now,
		StatusListIndex: index,
	}
	var doc []byte
	var err error
	if Kind(r.Kind) == KindPost {
		doc, err = buildPostCredential(s.publicURL, c, r.Title, r.Post)
	} else {
		doc, err = credential.BuildOpenBadge(s.publicURL, c)
	}
	if err != nil {
		return nil, err
	}
	return ring.Sign(doc, now)
}

// reportOf is the record of a certificate as reported to the regulator: everything the national
// system needs, the ID number included (the regulator is entitled to it).
func reportOf(r *certRow, inst tenants.Tenant) map[string]any {
	m := map[string]any{
		"certificate_id": r.ID, "kind": r.Kind, "title": r.Title, "status": r.Status, "institution_id": inst.ID,
		"institution": inst.Name, "holder_name": r.HolderName, "id_type": r.IDType, "id_number": r.IDNumber,
		"occupation_code": r.OccupationCode, "occupation_name": r.OccupationName, "subtype": orPlaceholder(r.Subtype),
		"level": r.Level, "batch_id": r.BatchID, "application_id": r.ApplicationID, "candidate_id": r.CandidateID,
	}
	if r.Number != nil {
		m["number"] = *r.Number
	}
	if r.IssuedOn != nil {
		m["issued_on"] = r.IssuedOn.Format(time.DateOnly)
	}
	if r.Post != "" {
		m["post"] = r.Post
	}
	return m
}

func orPlaceholder(s string) string {
	if s == "" {
		return render.Placeholder
	}
	return s
}

// nameHash is what the lookup table keeps of the holder's name: SHA-256 over the number and the
// name in Unicode NFC, so ?name= can be confirmed without the table holding names in clear.
func nameHash(number, name string) []byte {
	sum := sha256.Sum256([]byte(number + "\x00" + norm.NFC.String(strings.TrimSpace(name))))
	return sum[:]
}

// updateStatusList applies revocations (set bits) to the institution's status list, allocates n new
// entries and returns the first; it creates the list on first use and re-signs it whenever what a
// verifier reads changes (bits or length). The list row stays locked until the transaction ends.
func (s *Service) updateStatusList(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, ring *credential.KeyRing, now time.Time, revoke []int, n int) (int, error) {
	row, err := lockStatusList(ctx, tx, tenantID)
	if errors.Is(err, ErrNotFound) {
		// First use: create the empty list. Concurrent first issuers meet on the primary key; the
		// loser's insert waits for the winner and does nothing, and both go on with the winner's row.
		empty := credential.NewStatusList(credential.MinStatusListSize)
		signed, serr := s.signStatusList(ring, tenantID, empty, now)
		if serr != nil {
			return 0, serr
		}
		if _, err := tx.NewInsert().Model(&statusListRow{TenantID: tenantID, Encoded: empty.Encode(), Credential: signed, UpdatedAt: now}).
			On("CONFLICT (tenant_id) DO NOTHING").Exec(ctx); err != nil {
			return 0, fmt.Errorf("creating status list: %w", err)
		}
		row, err = lockStatusList(ctx, tx, tenantID)
	}
	if err != nil {
		return 0, fmt.Errorf("loading status list: %w", err)
	}
	list, err := credential.DecodeStatusList(row.Encoded)
	if err != nil {
		return 0, fmt.Errorf("decoding stored status list: %w", err)
	}
	changed := false
	for _, i := range revoke {
		if err := list.Set(i, true); err != nil {
			return 0, err
		}
		changed = true
	}
	first := row.NextIndex
	if first+n > list.Len() {
		grown := credential.NewStatusList(max(2*list.Len(), first+n))
		for i := 0; i < list.Len(); i++ {
			if on, _ := list.Get(i); on {
				_ = grown.Set(i, true)
			}
		}
		list, changed = grown, true
	}
	row.NextIndex, row.UpdatedAt = first+n, now
	cols := []string{"next_index", "updated_at"}
	if changed {
		row.Encoded = list.Encode()
		if row.Credential, err = s.signStatusList(ring, tenantID, list, now); err != nil {
			return 0, err
		}
		cols = append(cols, "encoded", "credential")
	}
	if _, err := tx.NewUpdate().Model(&row).Column(cols...).Where("tenant_id = ?", tenantID).Exec(ctx); err != nil {
		return 0, fmt.Errorf("storing status list: %w", err)
	}
	return first, nil
}

func (s *Service) signStatusList(ring *credential.KeyRing, tenantID uuid.UUID, list *credential.StatusList, now time.Time) ([]byte, error) {
	doc, err := credential.BuildStatusListCredential(credential.StatusListMeta{
		URL: credential.StatusListURL(s.publicURL, tenantID.String()), Issuer: ring.Issuer(), ValidFrom: now,
	}, list)
	if err != nil {
		return nil, err
	}
	return ring.Sign(doc, now)
}

// resignStatusList signs the institution's list again (after a key rotation), if it has one.
func (s *Service) resignStatusList(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, ring *credential.KeyRing, now time.Time) error {
	row, err := lockStatusList(ctx, tx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	list, err := credential.DecodeStatusList(row.Encoded)
	if err != nil {
		return err
	}
	if row.Credential, err = s.signStatusList(ring, tenantID, list, now); err != nil {
		return err
	}
	row.UpdatedAt = now
	_, err = tx.NewUpdate().Model(&row).Column("credential", "updated_at").Where("tenant_id = ?", tenantID).Exec(ctx)
	return err
}

// StatusList returns the signed revocation status list of an institution, as served publicly.
func (s *Service) StatusList(ctx context.Context, institutionID uuid.UUID) ([]byte, error) {
	var b []byte
	// A status list may lag by the replicas' bound: a verifier caches it for longer anyway.
	err := tenants.SystemReadTx(ctx, s.reads.DB(ctx, s.db), func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*statusListRow)(nil)).Column("credential").Where("tenant_id = ?", institutionID).Scan(ctx, &b)
	})
	if err != nil {
		return nil, notFoundAs(err, platform.NotFound("status list"))
	}
	return b, nil
}

func notFoundAs(err error, nf error) error {
	if errors.Is(notFound(err), ErrNotFound) {
		return nf
	}
	return err
}

// Get returns a certificate of the tenant in ctx.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Certificate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Certificate{}, err
	}
	var c Certificate
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r, err := getCert(ctx, tx, scope.TenantID, id)
		c = r.cert()
		return err
	})
	return c, err
}

// List returns a page of the certificates of the tenant in ctx that f selects, by creation time
// (oldest first, or newest with req.Desc).
func (s *Service) List(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Certificate], error) {
	after, err := decodeCertCursor(req)
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	return s.list(ctx, scope.TenantID, req, after, f)
}

// Mine returns a page of the certificates of the candidate-role user acting in ctx: those of the
// candidate record linked to their user id (f.CandidateID is ignored). A user without one has none.
func (s *Service) Mine(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Certificate], error) {
	after, err := decodeCertCursor(req)
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	candidateID, err := s.ownCandidate(ctx)
	if platform.KindOf(err) == platform.KindNotFound {
		return platform.CutPage[Certificate](nil, req, certCursor), nil
	}
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	f.CandidateID = &candidateID
	return s.list(ctx, scope.TenantID, req, after, f)
}

func (s *Service) list(ctx context.Context, tenantID uuid.UUID, req platform.PageRequest, after *certKey, f ListFilter) (platform.Page[Certificate], error) {
	var out []Certificate
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listCerts(ctx, tx, tenantID, f, after, req.Desc, req.Fetch())
		out = make([]Certificate, len(rows))
		for i := range rows {
			out[i] = rows[i].cert()
		}
		return err
	})
	if err != nil {
		return platform.Page[Certificate]{}, err
	}
	return platform.CutPage(out, req, certCursor), nil
}

// certKey is where a page of certificates starts: after the row with this creation time and id.
type certKey struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// decodeCertCursor reads the cursor of a certificates page (nil for the first page).
func decodeCertCursor(req platform.PageRequest) (*certKey, error) {
	var k certKey
	ok, err := platform.DecodeCursor(req.Cursor, &k.CreatedAt, &k.ID)
	if err != nil || !ok {
		return nil, err
	}
	return &k, nil
}

// certCursor is the cursor of the page that follows c.
func certCursor(c Certificate) string { return platform.EncodeCursor(c.CreatedAt, c.ID) }

// ownCandidate returns the candidate record of the user acting in ctx (not found without one).
func (s *Service) ownCandidate(ctx context.Context) (uuid.UUID, error) {
	actor := tenants.ActorFrom(ctx)
	if actor.UserID == uuid.Nil {
		return uuid.Nil, platform.Forbidden("only a user has own certificates")
	}
	if s.candidates == nil {
		return uuid.Nil, platform.E(platform.KindUnavailable, "candidates_unavailable", "candidate records cannot be looked up")
	}
	var candidateID uuid.UUID
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		candidateID, err = s.candidates.CandidateIDByUser(ctx, tx, actor.UserID)
		return err
	})
	return candidateID, err
}

// PDF returns the PDF of an issued (or revoked) certificate of the tenant in ctx.
func (s *Service) PDF(ctx context.Context, id uuid.UUID) ([]byte, Certificate, error) {
	return s.document(ctx, id, "pdf", uuid.Nil)
}

// Credential returns the signed credential of an issued (or revoked) certificate of the tenant in ctx.
func (s *Service) Credential(ctx context.Context, id uuid.UUID) ([]byte, Certificate, error) {
	return s.document(ctx, id, "credential", uuid.Nil)
}

// MyPDF is PDF for the candidate-role user acting in ctx: only their own certificates (others are
// not found).
func (s *Service) MyPDF(ctx context.Context, id uuid.UUID) ([]byte, Certificate, error) {
	candidateID, err := s.ownCandidate(ctx)
	if err != nil {
		return nil, Certificate{}, notFoundAs(err, ErrNotFound)
	}
	return s.document(ctx, id, "pdf", candidateID)
}

// MyCredential is Credential for the candidate-role user acting in ctx: the holder's own credential,
// to keep in a wallet.
func (s *Service) MyCredential(ctx context.Context, id uuid.UUID) ([]byte, Certificate, error) {
	candidateID, err := s.ownCandidate(ctx)
	if err != nil {
		return nil, Certificate{}, notFoundAs(err, ErrNotFound)
	}
	return s.document(ctx, id, "credential", candidateID)
}

// document reads a stored document; with owner set, only of a certificate of that candidate.
func (s *Service) document(ctx context.Context, id uuid.UUID, column string, owner uuid.UUID) ([]byte, Certificate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, Certificate{}, err
	}
	var b []byte
	var c Certificate
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r, err := getCert(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		if owner != uuid.Nil && r.CandidateID != owner {
			return ErrNotFound
		}
		c = r.cert()
		if c.Status == StatusPending {
			return platform.Conflict("not_issued", "the certificate is still being issued")
		}
		b, err = getDocument(ctx, tx, scope.TenantID, id, column)
		return err
	})
	return b, c, err
}

// BatchEntry names one certificate of a batch for its ZIP archive.
type BatchEntry struct {
	ID     uuid.UUID
	Number string
}

// BatchCertificates lists the issued and revoked certificates of a batch of the tenant in ctx, in
// number order; a batch without any (or another tenant's) is not found.
func (s *Service) BatchCertificates(ctx context.Context, batchID uuid.UUID) ([]BatchEntry, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	var out []BatchEntry
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		rows, err := issuedOfBatch(ctx, tx, scope.TenantID, batchID)
		for _, r := range rows {
			out = append(out, BatchEntry{ID: r.ID, Number: *r.Number})
		}
		return err
	})
	if err == nil && len(out) == 0 {
		return nil, platform.NotFound("batch certificates")
	}
	return out, err
}

// PDFs returns the PDFs of certificates of the tenant in ctx, by id (ids of others are absent).
func (s *Service) PDFs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	var out map[uuid.UUID][]byte
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		out, err = pdfsOf(ctx, tx, scope.TenantID, ids)
		return err
	})
	return out, err
}

// Revoke withdraws an issued certificate of the tenant in ctx with a reason: its status list bit is
// set (the list re-signed) and the public lookup shows it revoked, in one transaction. Audited and
// reported.
func (s *Service) Revoke(ctx context.Context, id uuid.UUID, reason string) (Certificate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Certificate{}, err
	}
	reason = strings.TrimSpace(reason)
	var v platform.Validation
	v.Check(reason != "", "reason", "required", "a revocation needs a reason")
	v.Check(len([]rune(reason)) <= 500, "reason", "too_long", "at most 500 characters")
	v.Check(reason != ReasonReissued, "reason", "reserved", `"reissued" is the reason reissues give; use POST …/reissue`)
	if err := v.Err(); err != nil {
		return Certificate{}, err
	}
	var c Certificate
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.revokeTx(ctx, tx, scope.TenantID, id, reason, nil, "certificate.revoke")
		c = r.cert()
		return err
	})
	return c, err
}

// RevokeForDecision revokes the certificate with number of institution institutionID, applying a
// regulator's decision (invalidate_certificate) inside the regulator's transaction tx: the change is
// made in the institution's tenant (tenants.As), audited in the institution's log with the
// regulator's actor, and reported. A certificate already revoked is left as it is (nil error); an
// unknown number is not found. The caller has checked that the institution is in the regulator's
// jurisdiction.
func (s *Service) RevokeForDecision(ctx context.Context, tx bun.Tx, institutionID uuid.UUID, number, reason string) error {
	inst, err := s.institutions.ByID(ctx, institutionID)
	if err != nil {
		return err
	}
	if !inst.Kind.IsInstitution() {
		return platform.NotFound("institution")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return (&platform.Validation{Fields: []platform.FieldError{{Field: "reason", Code: "required", Message: "a decision needs a reason"}}}).Err()
	}
	return tenants.As(ctx, tx, scopeOf(inst), func(ctx context.Context) error {
		r, err := getCertByNumber(ctx, tx, inst.ID, number)
		if err != nil {
			return err
		}
		if Status(r.Status) == StatusRevoked {
			return nil
		}
		_, err = s.revokeTx(ctx, tx, inst.ID, r.ID, "regulator decision: "+reason, nil, "certificate.revoke_by_decision")
		return err
	})
}

// revokeTx is the revocation inside tx for the tenant in ctx.
func (s *Service) revokeTx(ctx context.Context, tx bun.Tx, tenantID, id uuid.UUID, reason string, replacedBy *uuid.UUID, action string) (certRow, error) {
	now := s.clock()
	if _, err := getCert(ctx, tx, tenantID, id); err != nil {
		return certRow{}, err
	}
	r, err := revokeRow(ctx, tx, tenantID, id, reason, replacedBy, now)
	if err != nil {
		return r, err
	}
	ring, _, err := s.signingRing(ctx, tx, tenantID, now)
	if err != nil {
		return r, err
	}
	if _, err := s.updateStatusList(ctx, tx, tenantID, ring, now, []int{*r.StatusListIndex}, 0); err != nil {
		return r, err
	}
	if err := setLookupStatus(ctx, tx, tenantID, *r.Number, lookupRevoked, now); err != nil {
		return r, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "certificate", TargetID: id.String(),
		Before: map[string]any{"status": StatusIssued, "number": *r.Number},
		After:  map[string]any{"status": StatusRevoked, "reason": reason, "replaced_by": replacedBy}}); err != nil {
		return r, err
	}
	if replacedBy == nil {
		payload := map[string]any{"certificate_id": id, "number": *r.Number, "reason": reason, "revoked_at": now}
		if _, err := reports.Emit(ctx, tx, reports.CertificateRevoked, "certificate", id.String(), payload); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Reissue corrects a holder's data: a new certificate with a new number is issued at once, in the
// same transaction that revokes the old one with reason "reissued"; the two are linked (replaces /
// replaced_by). Returns the new certificate.
func (s *Service) Reissue(ctx context.Context, id uuid.UUID, fix Correction) (Certificate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Certificate{}, err
	}
	if err := fix.Validate(); err != nil {
		return Certificate{}, err
	}
	inst, err := s.institution(ctx, scope.TenantID)
	if err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.clock()
		old, err := getCert(ctx, tx, inst.ID, id)
		if err != nil {
			return err
		}
		if Status(old.Status) != StatusIssued {
			return ErrNotIssued
		}
		fresh := old
		fresh.ID, fresh.IssueKey, fresh.Status, fresh.Number = uuid.New(), "reissue:"+old.ID.String(), string(StatusPending), nil
		fresh.ChunkID, fresh.IssuedAt, fresh.IssuedOn, fresh.StatusListIndex, fresh.KeyID = nil, nil, nil, nil, ""
		fresh.RevokedAt, fresh.RevokeReason, fresh.ReplacedBy, fresh.Attempts, fresh.LastError = nil, "", nil, 0, ""
		fresh.Replaces, fresh.CreatedAt, fresh.UpdatedAt = &old.ID, now, now
		if fix.HolderName != "" {
			fresh.HolderName = strings.TrimSpace(fix.HolderName)
		}
		if fix.IDType != "" {
			fresh.IDType = fix.IDType
		}
		if fix.IDNumber != "" {
			fresh.IDNumber = strings.TrimSpace(fix.IDNumber)
		}
		if fix.Subtype != nil {
			fresh.Subtype = strings.TrimSpace(*fix.Subtype)
		}
		if fix.Post != "" {
			if Kind(old.Kind) != KindPost {
				return (&platform.Validation{Fields: []platform.FieldError{{Field: "post", Code: "not_applicable", Message: "only post certificates have a post"}}}).Err()
			}
			fresh.Post = strings.TrimSpace(fix.Post)
		}
		if ids, err := insertPending(ctx, tx, []certRow{fresh}); err != nil {
			return err
		} else if len(ids) == 0 {
			return ErrNotIssued // reissued already
		}
		// The old certificate is revoked in the same status list update that gives the new one its
		// entry; revokeRow's condition makes a concurrent second reissue fail.
		revoked, err := revokeRow(ctx, tx, inst.ID, old.ID, ReasonReissued, &fresh.ID, now)
		if err != nil {
			return err
		}
		if err := s.issueRows(ctx, tx, inst, []*certRow{&fresh}, now, []int{*revoked.StatusListIndex}); err != nil {
			var re *rowError
			if errors.As(err, &re) {
				return re.err
			}
			return err
		}
		if err := setLookupStatus(ctx, tx, inst.ID, *revoked.Number, lookupRevoked, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "certificate.reissue", TargetType: "certificate", TargetID: old.ID.String(),
			Before: map[string]any{"status": StatusIssued, "number": *old.Number, "holder_name": old.HolderName, "id_type": old.IDType,
				"id_number": old.IDNumber, "subtype": old.Subtype, "post": old.Post},
			After: map[string]any{"status": StatusRevoked, "reason": ReasonReissued, "replaced_by": fresh.ID, "new_number": *fresh.Number,
				"holder_name": fresh.HolderName, "id_type": fresh.IDType, "id_number": fresh.IDNumber, "subtype": fresh.Subtype, "post": fresh.Post},
		}); err != nil {
			return err
		}
		payload := map[string]any{"certificate_id": old.ID, "number": *old.Number, "reason": ReasonReissued,
			"replaced_by": fresh.ID, "new_number": *fresh.Number}
		if _, err := reports.Emit(ctx, tx, reports.CertificateReissued, "certificate", old.ID.String(), payload); err != nil {
			return err
		}
		out = fresh.cert()
		return nil
	})
	return out, err
}

// IssuePost issues an enterprise's own post certificate (一岗双证) for the passed application of an
// issued skill level certificate: its own title and numbering (Settings), the same signing and
// verification. At most one per application; it is issued in the request's transaction.
func (s *Service) IssuePost(ctx context.Context, in NewPostCertificate) (Certificate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Certificate{}, err
	}
	if scope.Kind != tenants.KindEnterprise {
		return Certificate{}, ErrNotEnterprise
	}
	if err := in.Validate(); err != nil {
		return Certificate{}, err
	}
	inst, err := s.institution(ctx, scope.TenantID)
	if err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.clock()
		base, err := getCert(ctx, tx, inst.ID, in.CertificateID)
		if err != nil {
			return err
		}
		if Kind(base.Kind) != KindSkillLevel || Status(base.Status) != StatusIssued {
			return platform.Conflict("invalid_state", "a post certificate needs an issued skill level certificate of the same application")
		}
		settings, err := s.settingsTx(ctx, tx, inst, now)
		if err != nil {
			return err
		}
		title := strings.TrimSpace(in.Title)
		if title == "" {
			title = settings.PostTitle
		}
		row := certRow{
			ID: uuid.New(), TenantID: inst.ID, Kind: string(KindPost), IssueKey: "post:" + base.ApplicationID.String(),
			Status: string(StatusPending), BatchID: base.BatchID, ApplicationID: base.ApplicationID, CandidateID: base.CandidateID,
			HolderName: base.HolderName, IDType: base.IDType, IDNumber: base.IDNumber, OccupationCode: base.OccupationCode,
			OccupationName: base.OccupationName, Subtype: base.Subtype, Level: base.Level, Title: title,
			Post: strings.TrimSpace(in.Post), CreatedAt: now, UpdatedAt: now,
		}
		ids, err := insertPending(ctx, tx, []certRow{row})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return platform.Conflict("duplicate", "this application already has a post certificate")
		}
		if err := s.issueRows(ctx, tx, inst, []*certRow{&row}, now, nil); err != nil {
			var re *rowError
			if errors.As(err, &re) {
				return re.err
			}
			return err
		}
		out = row.cert()
		return nil
	})
	return out, err
}

// settingsTx returns the tenant's post certificate settings, creating the defaults on first use.
func (s *Service) settingsTx(ctx context.Context, tx bun.IDB, inst tenants.Tenant, now time.Time) (settingsRow, error) {
	r, err := getSettings(ctx, tx, inst.ID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return r, err
	}
	r = settingsRow{TenantID: inst.ID, PostPrefix: DefaultPostPrefix(inst.ID), PostTitle: render.DefaultPostTitle, UpdatedAt: now}
	if err := upsertSettings(ctx, tx, &r); err != nil {
		return r, err
	}
	return r, audit.Record(ctx, tx, audit.Event{Action: "certificate.settings", TargetType: "certificate_settings",
		TargetID: inst.ID.String(), After: map[string]any{"post_prefix": r.PostPrefix, "post_title": r.PostTitle, "default": true}})
}

// Settings returns the post certificate settings of the enterprise in ctx (defaults until set).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r, err := getSettings(ctx, tx, scope.TenantID)
		if errors.Is(err, ErrNotFound) {
			out = Settings{PostPrefix: DefaultPostPrefix(scope.TenantID), PostTitle: render.DefaultPostTitle}
			return nil
		}
		out = Settings{PostPrefix: r.PostPrefix, PostTitle: r.PostTitle}
		return err
	})
	return out, err
}

// SetSettings sets the post certificate prefix and title of the enterprise in ctx. A prefix another
// institution uses is 409 duplicate. Numbers already issued keep their prefix. Audited.
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Settings{}, err
	}
	if scope.Kind != tenants.KindEnterprise {
		return Settings{}, ErrNotEnterprise
	}
	in.PostTitle = strings.TrimSpace(in.PostTitle)
	if err := in.Validate(); err != nil {
		return Settings{}, err
	}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		before, _ := getSettings(ctx, tx, scope.TenantID)
		r := settingsRow{TenantID: scope.TenantID, PostPrefix: in.PostPrefix, PostTitle: in.PostTitle, UpdatedAt: s.clock()}
		if err := upsertSettings(ctx, tx, &r); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "certificate.settings", TargetType: "certificate_settings",
			TargetID: scope.TenantID.String(), Before: map[string]any{"post_prefix": before.PostPrefix, "post_title": before.PostTitle},
			After: map[string]any{"post_prefix": in.PostPrefix, "post_title": in.PostTitle}})
	})
	if err != nil {
		return Settings{}, err
	}
	return in, nil
}

// LookupNumber is the public lookup by number (one primary-key SELECT). name, when given, is compared
// with the holder's full name (after Unicode normalisation): a match returns the full name, as the
// national query confirms number and name together. An unknown or malformed number is not found.
func (s *Service) LookupNumber(ctx context.Context, number, name string) (Lookup, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !ValidNumber(number) {
		if _, _, _, err := ParsePostNumber(number); err != nil {
			return Lookup{}, ErrNotFound
		}
	}
	r, err := getLookup(ctx, s.reads.DB(ctx, s.db), number) // a replica within the lag bound, or the primary
	if err != nil {
		return Lookup{}, err
	}
	l := Lookup{
		Number: r.Number, Kind: Kind(r.Kind), Title: r.Title, Valid: r.Status == lookupValid, HolderMasked: r.HolderMasked,
		OccupationCode: r.OccupationCode, OccupationName: r.OccupationName, Subtype: r.Subtype, Level: r.Level,
		Institution: r.Institution, IssuedOn: civilDate(r.IssuedOn), Post: r.Post,
	}
	if name = strings.TrimSpace(name); name != "" {
		match := subtle.ConstantTimeCompare(nameHash(r.Number, name), r.NameHash) == 1
		l.NameMatches = &match
		if match {
			l.HolderName = norm.NFC.String(name)
		}
	}
	return l, nil
}

// VerifyCredential checks a credential against this platform's keys and status lists.
func (s *Service) VerifyCredential(ctx context.Context, cred []byte) credential.Result {
	return credential.Verify(ctx, cred, resolver{s})
}
