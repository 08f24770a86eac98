package batches

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// ErrInstitutionNotFound is the 404 of a public page for an unknown slug (or a tenant that is not an
// institution).
var ErrInstitutionNotFound = platform.NotFound("institution")

// publicActor is who acts for writes the public makes without logging in (objections).
var publicActor = tenants.Actor{Name: "public"}

func scopeOfTenant(t tenants.Tenant) tenants.Scope {
	return tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug}
}

// institutionBySlug resolves the institution of a public page.
func (s *Service) institutionBySlug(ctx context.Context, slug string) (tenants.Tenant, error) {
	t, err := s.deps.Tenants.BySlug(ctx, slug)
	if err != nil {
		if platform.KindOf(err) == platform.KindNotFound {
			return t, ErrInstitutionNotFound
		}
		return t, err
	}
	if !t.Kind.IsInstitution() || t.Status == tenants.StatusDisabled {
		return t, ErrInstitutionNotFound
	}
	return t, nil
}

// tenantOfBatch finds which institution a batch named in a public URL belongs to: a read across
// tenants of one id, before any tenant is known.
func (s *Service) tenantOfBatch(ctx context.Context, batchID uuid.UUID) (tenants.Tenant, error) {
	var tenantID uuid.UUID
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*batchRow)(nil)).Column("tenant_id").Where("id = ?", batchID).Scan(ctx, &tenantID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return tenants.Tenant{}, ErrBatchNotFound
	}
	if err != nil {
		return tenants.Tenant{}, err
	}
	t, err := s.deps.Tenants.ByID(ctx, tenantID)
	if err != nil {
		return t, err
	}
	if t.Status == tenants.StatusDisabled {
		return t, ErrBatchNotFound
	}
	return t, nil
}

// PublicBatches returns a page of an institution's open batches (announcements) for anyone, by exam
// start, soonest first (SortExamStart ascending only).
func (s *Service) PublicBatches(ctx context.Context, slug string, req platform.PageRequest) (tenants.Tenant, platform.Page[Batch], error) {
	if req.Desc {
		return tenants.Tenant{}, platform.Page[Batch]{}, ErrAnnouncementOrder
	}
	req.Sort = SortExamStart
	q, err := batchQueryOf(req, StatusOpen)
	if err != nil {
		return tenants.Tenant{}, platform.Page[Batch]{}, err
	}
	t, err := s.institutionBySlug(ctx, slug)
	if err != nil {
		return t, platform.Page[Batch]{}, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var bs []Batch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		bs, err = listBatches(ctx, tx, t.ID, q)
		return err
	})
	if err != nil {
		return t, platform.Page[Batch]{}, err
	}
	return t, platform.CutPage(bs, req, batchCursor(SortExamStart)), nil
}

// PublicResult is one line of a batch's published results: masked (candidates.MaskName,
// candidates.MaskIDNumber), as the public sees it.
type PublicResult struct {
	ApplicationID  uuid.UUID
	MaskedName     string
	MaskedIDNumber string
	Result         Result
	Held           bool
	CreatedAt      time.Time
}

// PublicResults returns a page of the passed applications of a batch during its publicity, in
// application order (SortCreatedAt ascending only), names and id numbers masked. A batch not in
// publicity is not found: only publicity makes results public.
func (s *Service) PublicResults(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (Batch, platform.Page[PublicResult], error) {
	if req.Desc {
		return Batch{}, platform.Page[PublicResult]{}, ErrResultOrder
	}
	var after *appKey
	var cur appKey
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return Batch{}, platform.Page[PublicResult]{}, err
	} else if ok {
		after = &cur
	}
	t, err := s.tenantOfBatch(ctx, batchID)
	if err != nil {
		return Batch{}, platform.Page[PublicResult]{}, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var (
		b   Batch
		out []PublicResult
	)
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if b, err = getBatch(ctx, tx, t.ID, batchID, false); err != nil {
			return err
		}
		if b.Status != StatusPublicity {
			return ErrBatchNotFound
		}
		out, err = listPublicResults(ctx, tx, t.ID, batchID, after, req.Fetch())
		return err
	})
	if err != nil {
		return Batch{}, platform.Page[PublicResult]{}, err
	}
	return b, platform.CutPage(out, req, func(r PublicResult) string { return platform.EncodeCursor(r.CreatedAt, r.ApplicationID) }), nil
}

// MaxOpenObjectionsPerDay is how many objections raised in the last 24 hours may be open on one
// application at once; more are refused with ErrTooManyObjections.
const MaxOpenObjectionsPerDay = 5

// ErrTooManyObjections is the 429 for an objection to an application that already has
// MaxOpenObjectionsPerDay open objections raised in the last 24 hours.
var ErrTooManyObjections = platform.E(platform.KindRateLimited, "rate_limited",
	"this result already has several open objections; staff review them before more are taken")

// RaiseObjection records a public objection to a published result and holds the application until
// staff resolve it. Only during publicity (a batch without public results is not found; after the
// period 422 publicity_over). The application is named by id, or by the masked name and id number
// shown in the public results when exactly one passed application matches. At most
// MaxOpenObjectionsPerDay recent objections stay open per application (429 rate_limited beyond).
func (s *Service) RaiseObjection(ctx context.Context, batchID uuid.UUID, in NewObjection) (Objection, error) {
	in.Reason, in.Contact = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Contact)
	in.MaskedName, in.MaskedIDNumber = strings.TrimSpace(in.MaskedName), strings.TrimSpace(in.MaskedIDNumber)
	var v platform.Validation
	rn := len([]rune(in.Reason))
	v.Check(rn > 0 && rn <= maxReasonLen, "reason", "invalid", "a reason of 1 to 2000 characters is required")
	cn := len([]rune(in.Contact))
	v.Check(cn > 0 && cn <= 200, "contact", "invalid", "a contact (phone or e-mail, at most 200 characters) is required")
	if in.ApplicationID == uuid.Nil {
		v.Check(in.MaskedName != "" && in.MaskedIDNumber != "", "application_id", "required",
			"name the application by application_id, or by masked_name and masked_id_number as published")
	}
	if err := v.Err(); err != nil {
		return Objection{}, err
	}
	t, err := s.tenantOfBatch(ctx, batchID)
	if err != nil {
		return Objection{}, err
	}
	ctx = tenants.WithActor(tenants.WithScope(ctx, scopeOfTenant(t)), publicActor)
	var o Objection
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, t.ID, batchID, true)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case b.Status == StatusFinalized:
			return ErrPublicityOver
		case b.Status != StatusPublicity:
			return ErrBatchNotFound
		case b.PublicityEndsAt != nil && !now.Before(*b.PublicityEndsAt):
			return ErrPublicityOver
		}
		a, err := s.objectedApplication(ctx, tx, b, in)
		if err != nil {
			return err
		}
		// However many addresses they come from, the public keeps at most a few objections a day open on
		// one application: each holds the certificate and costs staff a review.
		recent, err := tx.NewSelect().Model((*objectionRow)(nil)).
			Where("tenant_id = ? AND application_id = ? AND status = ? AND created_at > ?",
				t.ID, a.ID, string(ObjectionOpen), now.Add(-24*time.Hour)).Count(ctx)
		if err != nil {
			return err
		}
		if recent >= MaxOpenObjectionsPerDay {
			return ErrTooManyObjections
		}
		o = Objection{ID: uuid.New(), TenantID: t.ID, BatchID: b.ID, ApplicationID: a.ID, Reason: in.Reason,
			Contact: in.Contact, Status: ObjectionOpen, CreatedAt: now}
		if _, err := tx.NewInsert().Model(objectionRowOf(&o)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*applicationRow)(nil)).Set("held = ?, updated_at = ?", true, now).
			Where("tenant_id = ? AND id = ?", t.ID, a.ID).Exec(ctx); err != nil {
			return err
		}
		// The contact is personal data of the objector: the audit trail keeps that an objection was made.
		return audit.Record(ctx, tx, audit.Event{Action: "objection.create", TargetType: "application", TargetID: a.ID.String(),
			Before: map[string]any{"held": a.Held}, After: map[string]any{"held": true, "objection_id": o.ID}})
	})
	return o, err
}

// objectedApplication finds the published (passed) application an objection is about.
func (s *Service) objectedApplication(ctx context.Context, tx bun.Tx, b Batch, in NewObjection) (Application, error) {
	notFound := func(msg string) error {
		var v platform.Validation
		v.Add("application_id", "not_found", msg)
		return v.Err()
	}
	if in.ApplicationID != uuid.Nil {
		a, err := getApplication(ctx, tx, b.TenantID, in.ApplicationID, true)
		if platform.KindOf(err) == platform.KindNotFound || (err == nil && (a.BatchID != b.ID || a.Result != ResultPass)) {
			return Application{}, notFound("no published result of this batch has that application id")
		}
		return a, err
	}
	apps, err := applicationsOfBatch(ctx, tx, b.TenantID, b.ID, AppEligible, AppApproved)
	if err != nil {
		return Application{}, err
	}
	var match []Application
	for _, a := range apps {
		if a.Result == ResultPass && candidates.MaskName(a.CandidateName) == in.MaskedName &&
			candidates.MaskIDNumber(a.IDNumber) == in.MaskedIDNumber {
			match = append(match, a)
		}
	}
	switch len(match) {
	case 0:
		return Application{}, notFound("no published result matches that masked name and id number")
	case 1:
		return match[0], nil
	}
	var v platform.Validation
	v.Add("application_id", "ambiguous", "several published results match; give the application_id")
	return Application{}, v.Err()
}

// ResolveObjection decides an open objection while the batch is in publicity: upheld keeps the
// application held (finalize leaves it out), dismissed releases it unless another objection still holds
// it.
func (s *Service) ResolveObjection(ctx context.Context, id uuid.UUID, outcome ObjectionStatus, note string) (Objection, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Objection{}, err
	}
	note = strings.TrimSpace(note)
	var v platform.Validation
	v.Check(outcome == ObjectionUpheld || outcome == ObjectionDismissed, "outcome", "invalid", "outcome is upheld or dismissed")
	v.Check(len([]rune(note)) <= maxReasonLen, "note", "too_long", "at most 2000 characters")
	if err := v.Err(); err != nil {
		return Objection{}, err
	}
	var o Objection
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		o0, err := getObjection(ctx, tx, sc.TenantID, id, false)
		if err != nil {
			return err
		}
		b, err := getBatch(ctx, tx, sc.TenantID, o0.BatchID, true)
		if err != nil {
			return err
		}
		if o, err = getObjection(ctx, tx, sc.TenantID, id, true); err != nil {
			return err
		}
		if b.Status != StatusPublicity {
			return invalidState(b.Status, "resolve objections")
		}
		if o.Status != ObjectionOpen {
			return platform.Conflict("invalid_state", "the objection is already "+string(o.Status))
		}
		before := NewObjectionView(o)
		now := s.now()
		o.Status, o.Note, o.ResolvedAt, o.ResolvedBy = outcome, note, &now, actorID(ctx)
		if _, err := tx.NewUpdate().Model(objectionRowOf(&o)).WherePK().Where("tenant_id = ?", sc.TenantID).Exec(ctx); err != nil {
			return err
		}
		holding, err := tx.NewSelect().Model((*objectionRow)(nil)).
			Where("tenant_id = ? AND application_id = ? AND status IN (?)", sc.TenantID, o.ApplicationID,
				bun.In([]string{string(ObjectionOpen), string(ObjectionUpheld)})).Count(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*applicationRow)(nil)).Set("held = ?, updated_at = ?", holding > 0, now).
			Where("tenant_id = ? AND id = ?", sc.TenantID, o.ApplicationID).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "objection.resolve", TargetType: "objection", TargetID: o.ID.String(),
			Before: before, After: NewObjectionView(o)})
	})
	return o, err
}

// ListObjections returns a page of a batch's objections (staff), oldest first (SortCreatedAt ascending
// only).
func (s *Service) ListObjections(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (platform.Page[Objection], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[Objection]{}, err
	}
	if req.Desc {
		return platform.Page[Objection]{}, ErrObjectionOrder
	}
	var after *objectionKey
	var cur objectionKey
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return platform.Page[Objection]{}, err
	} else if ok {
		after = &cur
	}
	var out []Objection
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		out, err = listObjections(ctx, tx, sc.TenantID, batchID, after, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Objection]{}, err
	}
	return platform.CutPage(out, req, func(o Objection) string { return platform.EncodeCursor(o.CreatedAt, o.ID) }), nil
}

// SetHolidays replaces one year of the working-day calendar (platform administrators).
func (s *Service) SetHolidays(ctx context.Context, h Holidays) (Holidays, error) {
	if _, err := tenants.RequireKind(ctx, tenants.KindPlatform); err != nil {
		if platform.KindOf(err) == platform.KindForbidden {
			err = ErrCalendarPlatformOnly
		}
		return Holidays{}, err
	}
	if err := h.Validate(); err != nil {
		return Holidays{}, err
	}
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		before, err := holidaysOf(ctx, tx, h.Year)
		if err != nil {
			return err
		}
		if err := replaceCalendarYear(ctx, tx, h); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "calendar.set", TargetType: "calendar_year",
			TargetID: before.yearString(), Before: NewHolidaysView(before), After: NewHolidaysView(h)})
	})
	return h, err
}

// Holidays returns one year of the working-day calendar (empty lists when none was loaded: weekends
// only).
func (s *Service) Holidays(ctx context.Context, year int) (Holidays, error) {
	return holidaysOf(ctx, s.db, year)
}

func holidaysOf(ctx context.Context, db bun.IDB, year int) (Holidays, error) {
	rows, err := loadCalendar(ctx, db, year, year)
	h := Holidays{Year: year, Holidays: []string{}, Workdays: []string{}}
	for _, r := range rows {
		if r.Kind == "holiday" {
			h.Holidays = append(h.Holidays, r.Day)
		} else {
			h.Workdays = append(h.Workdays, r.Day)
		}
	}
	return h, err
}

func (h Holidays) yearString() string {
	return time.Date(h.Year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")
}

// FlagLateResults marks open and closed batches whose results are overdue — not published within 5
// working days (social orgs) or 10 (employers, schools) after the exam — as results_late, which the
// oversight module counts. It looks across tenants and writes each flag in the batch's own tenant;
// running it again flags nothing twice. It returns how many batches it flagged.
func (s *Service) FlagLateResults(ctx context.Context, asOf time.Time) (int, error) {
	asOf = asOf.UTC()
	var due []lateCandidate
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		due, err = batchesAwaitingResults(ctx, tx, asOf.AddDate(0, 0, -ResultsDueDays(true)))
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	earliest := due[0].ExamStart
	for _, c := range due {
		if c.ExamStart.Before(earliest) {
			earliest = c.ExamStart
		}
	}
	cal, err := s.calendar(ctx, s.db, earliest, asOf)
	if err != nil {
		return 0, err
	}
	flagged := 0
	for _, c := range due {
		exam := c.ExamStart
		if c.ExamEnd != nil {
			exam = *c.ExamEnd
		}
		kind := tenants.Kind(c.Kind)
		if !asOf.After(cal.EndAfterWorkingDays(exam, ResultsDueDays(kind == tenants.KindSocialOrg))) {
			continue
		}
		tctx := tenants.WithScope(ctx, tenants.Scope{TenantID: c.TenantID, Kind: kind, RegionCode: c.RegionCode, Slug: c.Slug})
		err := tenants.WithTx(tctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			b, err := getBatch(ctx, tx, c.TenantID, c.ID, true)
			if err != nil {
				return err
			}
			if b.ResultsLate || (b.Status != StatusOpen && b.Status != StatusClosed) {
				return nil
			}
			before := NewBatchView(b)
			b.ResultsLate, b.UpdatedAt = true, s.now()
			if err := updateBatch(ctx, tx, &b); err != nil {
				return err
			}
			flagged++
			return audit.Record(ctx, tx, audit.Event{Action: "batch.results_late", TargetType: "batch", TargetID: b.ID.String(),
				Before: before, After: NewBatchView(b)})
		})
		if err != nil {
			return flagged, err
		}
	}
	return flagged, nil
}
