package candidates

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// TenantResolver finds an institution by slug for the public self-registration (the directory).
type TenantResolver interface {
	BySlug(ctx context.Context, slug string) (tenants.Tenant, error)
}

// Accounts creates the login of a self-registering candidate (identity.Service): CreateUserTx inside
// the registration's transaction, ApplyRoles after it commits.
type Accounts interface {
	CreateUserTx(ctx context.Context, tx bun.IDB, kind tenants.Kind, in identity.NewUser) (identity.User, error)
	ApplyRoles(ctx context.Context, kind tenants.Kind, tenantID uuid.UUID, u identity.User) error
}

// Deps are what a Service is built from. Each may be nil: without Tenants and Accounts the public
// self-registration answers 503, without an Applier too; without Changes nobody hears of changes.
type Deps struct {
	// Tenants finds the institution of a public self-registration (the directory).
	Tenants TenantResolver
	// Accounts creates self-registered candidates' logins (identity).
	Accounts Accounts
	// Changes hears of every change of a candidate's data, in its transaction (batches).
	Changes ChangeListener
	// Applier applies a self-registered candidate to a batch (batches).
	Applier Applier
	// Evaluations tells which candidates an evaluator-only reader may see (batches); nil: none.
	Evaluations EvaluatorScope
	// Limits bound what an import accepts and the memory imports may hold (nil: DefaultImportLimits).
	Limits *ImportLimits
}

// Service is the candidates module's logic: the HTTP API and the web console both call it.
type Service struct {
	db   *bun.DB
	deps Deps
	now  func() time.Time

	// Limits bound what an import accepts; DefaultImportLimits unless changed before use.
	Limits ImportLimits

	forceBatched bool // tests: take the portable import path on PostgreSQL too
}

// NewService returns the candidates service on db with its collaborators.
func NewService(db *bun.DB, d Deps) *Service {
	s := &Service{db: db, deps: d, now: time.Now, Limits: DefaultImportLimits}
	if d.Limits != nil {
		s.Limits = *d.Limits
	}
	return s
}

// clock returns now in UTC at the microsecond precision both databases keep.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create adds a candidate to the institution in ctx. The ID number is normalized (full-width digits,
// lower-case x) and checked for its type; the name is stored exactly as given. 409 duplicate when the
// tenant has a candidate with this document (or, in a school, this student number).
func (s *Service) Create(ctx context.Context, in Input) (Candidate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Candidate{}, err
	}
	in.Normalize()
	now := s.clock()
	if err := in.Validate(scope.Kind, now); err != nil {
		return Candidate{}, err
	}
	var c Candidate
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		c, err = s.CreateTx(ctx, tx, in)
		return err
	})
	return c, err
}

// CreateTx is Create inside the caller's transaction, for a normalized and validated input.
func (s *Service) CreateTx(ctx context.Context, tx bun.IDB, in Input) (Candidate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Candidate{}, err
	}
	row := rowOf(uuid.New(), scope.TenantID, in, s.clock())
	if err := insertCandidate(ctx, tx, row); err != nil {
		return Candidate{}, err
	}
	c := row.candidate()
	if err := audit.Record(ctx, tx, audit.Event{Action: "candidate.create", TargetType: "candidate",
		TargetID: c.ID.String(), After: c.audit()}); err != nil {
		return Candidate{}, err
	}
	return c, nil
}

// Get returns a candidate of the institution in ctx; another tenant's is not found. An evaluator-only
// reader (ReadsAsEvaluator) gets only a candidate they evaluate, with the ID number masked.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Candidate, error) {
	var c Candidate
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkEvaluates(ctx, tx, id); err != nil {
			return err
		}
		var err error
		c, err = s.GetTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return Candidate{}, err
	}
	if ReadsAsEvaluator(tenants.ActorFrom(ctx)) {
		c = masked(c)
	}
	return c, nil
}

// checkEvaluates is ErrNotFound when an evaluator-only reader does not evaluate candidate id.
func (s *Service) checkEvaluates(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	ids, narrowed, err := s.evaluatorView(ctx, tx)
	if err != nil {
		return err
	}
	if narrowed && !slices.Contains(ids, id) {
		return ErrNotFound
	}
	return nil
}

// GetTx returns a candidate of the tenant in ctx inside the caller's transaction (404 not_found).
func (s *Service) GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID) (Candidate, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return Candidate{}, tenants.ErrNoScope
	}
	return candidateByID(ctx, tx, scope.TenantID, id, false)
}

// ByUserTx returns the candidate whose login is userID in the tenant of ctx (404 not_found): what a
// logged-in candidate's own views (me/applications, me/certificates) start from.
func (s *Service) ByUserTx(ctx context.Context, tx bun.IDB, userID uuid.UUID) (Candidate, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return Candidate{}, tenants.ErrNoScope
	}
	return candidateByUser(ctx, tx, scope.TenantID, userID)
}

// Update changes a candidate: change edits the current values, which are then normalized and validated
// like a new candidate's. When anything changed, the row is written, audited with the names of the
// changed fields, and the ChangeListener is called in the same transaction (batches re-evaluates the
// candidate's open applications). An update that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, id uuid.UUID, change func(*Input) error) (Candidate, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Candidate{}, err
	}
	var c Candidate
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		before, err := candidateByID(ctx, tx, scope.TenantID, id, true)
		if err != nil {
			return err
		}
		in := before.Input()
		if err := change(&in); err != nil {
			return err
		}
		in.Normalize()
		now := s.clock()
		if err := in.Validate(scope.Kind, now); err != nil {
			return err
		}
		changed := changedFields(before.Input(), in)
		if len(changed) == 0 {
			c = before
			return nil
		}
		row := rowOf(before.ID, scope.TenantID, in, now)
		row.UserID, row.HasPhoto, row.CreatedAt = before.UserID, before.HasPhoto, before.CreatedAt
		if err := updateCandidate(ctx, tx, row); err != nil {
			return err
		}
		c = row.candidate()
		after := struct {
			auditView
			Changed []string `json:"changed"`
		}{c.audit(), changed}
		if err := audit.Record(ctx, tx, audit.Event{Action: "candidate.update", TargetType: "candidate",
			TargetID: c.ID.String(), Before: before.audit(), After: after}); err != nil {
			return err
		}
		if l := s.deps.Changes; l != nil {
			return l.CandidateChanged(ctx, tx, c.ID)
		}
		return nil
	})
	return c, err
}

// changedFields names the fields whose values differ between a and b (both normalized).
func changedFields(a, b Input) []string {
	var out []string
	add := func(diff bool, name string) {
		if diff {
			out = append(out, name)
		}
	}
	add(a.Name != b.Name, "name")
	add(a.IDType != b.IDType, "id_type")
	add(a.IDNumber != b.IDNumber, "id_number")
	add(a.Phone != b.Phone, "phone")
	add(a.Education != b.Education, "education")
	add(a.OccupationYears != b.OccupationYears, "occupation_years")
	add(a.CurrentLevel != b.CurrentLevel, "current_level")
	add(!sameDate(a.CurrentLevelObtainedOn, b.CurrentLevelObtainedOn), "current_level_obtained_on")
	add(a.TitleLevel != b.TitleLevel, "title_level")
	add(a.ApprenticeshipCompleted != b.ApprenticeshipCompleted, "apprenticeship_completed")
	add(a.RelatedDiploma != b.RelatedDiploma, "related_diploma")
	add(!slices.Equal(a.Awards, b.Awards), "awards")
	add(a.StudentNo != b.StudentNo, "student_no")
	return out
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// List returns a page of the institution's candidates, by creation time (SortCreatedAt) or name
// (SortName), either way, narrowed by f; an evaluator-only reader sees only the candidates they evaluate,
// with ID numbers masked.
func (s *Service) List(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Candidate], error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Candidate]{}, err
	}
	var after *listCursor
	var cur listCursor
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.NameKey, &cur.ID); err != nil {
		return platform.Page[Candidate]{}, err
	} else if ok {
		after = &cur
	}
	var rows []Candidate
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		within, narrowed, err := s.evaluatorView(ctx, tx)
		if err != nil {
			return err
		}
		if narrowed {
			f.within = &within
		}
		rows, err = listCandidates(ctx, tx, scope.TenantID, f, req, after)
		return err
	})
	if err != nil {
		return platform.Page[Candidate]{}, err
	}
	if f.within != nil {
		for i := range rows {
			rows[i] = masked(rows[i])
		}
	}
	return platform.CutPage(rows, req, func(c Candidate) string {
		return platform.EncodeCursor(c.CreatedAt, c.NameKey, c.ID)
	}), nil
}

// SetPhoto stores a candidate's certificate photo, replacing any earlier one (see ValidatePhoto).
func (s *Service) SetPhoto(ctx context.Context, id uuid.UUID, data []byte) (Photo, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Photo{}, err
	}
	ctype, w, h, err := s.Limits.Photo.Validate(data)
	if err != nil {
		return Photo{}, err
	}
	p := Photo{CandidateID: id, ContentType: ctype, Data: data, SHA256: sha256Hex(data), Width: w, Height: h, UpdatedAt: s.clock()}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := candidateByID(ctx, tx, scope.TenantID, id, true); err != nil {
			return err
		}
		return storePhotoTx(ctx, tx, scope.TenantID, p)
	})
	if err != nil {
		return Photo{}, err
	}
	return p, nil
}

// storePhotoTx stores a checked photo of a candidate of tenantID (replacing any earlier one) and audits
// it as candidate.photo, with the earlier photo's digest as before.
func storePhotoTx(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, p Photo) error {
	var before any
	if old, err := photoOf(ctx, tx, tenantID, p.CandidateID); err == nil {
		before = map[string]any{"sha256": old.SHA256, "bytes": len(old.Data)}
	} else if !errors.Is(err, ErrPhotoNotFound) {
		return err
	}
	if err := upsertPhoto(ctx, tx, &photoRow{TenantID: tenantID, CandidateID: p.CandidateID, ContentType: p.ContentType,
		Data: p.Data, SHA256: p.SHA256, Width: p.Width, Height: p.Height, UpdatedAt: p.UpdatedAt}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "candidate.photo", TargetType: "candidate", TargetID: p.CandidateID.String(),
		Before: before, After: map[string]any{"sha256": p.SHA256, "bytes": len(p.Data), "content_type": p.ContentType,
			"width": p.Width, "height": p.Height}})
}

// Photo returns a candidate's photo (404 when the candidate or the photo is unknown, or the candidate
// is not one an evaluator-only reader evaluates).
func (s *Service) Photo(ctx context.Context, id uuid.UUID) (Photo, error) {
	var p Photo
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkEvaluates(ctx, tx, id); err != nil {
			return err
		}
		var err error
		p, err = s.PhotoTx(ctx, tx, id)
		return err
	})
	return p, err
}

// PhotoTx returns a candidate's photo inside the caller's transaction, e.g. for rendering a certificate.
func (s *Service) PhotoTx(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) (Photo, error) {
	scope, ok := tenants.FromContext(ctx)
	if !ok {
		return Photo{}, tenants.ErrNoScope
	}
	if _, err := candidateByID(ctx, tx, scope.TenantID, candidateID, false); err != nil {
		return Photo{}, err
	}
	return photoOf(ctx, tx, scope.TenantID, candidateID)
}

// notifyChanged tells the listener about candidates an import changed, in one call when it can.
func (s *Service) notifyChanged(ctx context.Context, tx bun.IDB, ids []uuid.UUID) error {
	l := s.deps.Changes
	if l == nil || len(ids) == 0 {
		return nil
	}
	if bl, ok := l.(BulkChangeListener); ok {
		return bl.CandidatesChanged(ctx, tx, ids)
	}
	for _, id := range ids {
		if err := l.CandidateChanged(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// errUnavailable is the answer when a collaborator the operation needs is not wired.
func errUnavailable(what string) error {
	return platform.E(platform.KindUnavailable, "unavailable", what+" is not available")
}
