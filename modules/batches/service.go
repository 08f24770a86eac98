package batches

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/candidates"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Deps are what a Service is built from. Scope, Occupations, Candidates, Users and Tenants are
// required; Finalize is optional (finalize then hands the passed applications to nobody); Rules
// defaults to eligibility.Defaults() and Now to time.Now.
type Deps struct {
	Scope       ScopeChecker
	Occupations OccupationSource
	Candidates  CandidateSource
	Users       UserDirectory
	Tenants     TenantDirectory
	// Finalize is told inside finalize's transaction which applications passed (certificate issuance).
	Finalize FinalizeHook
	// Attendance tells who was absent (缺考) from which method (exam administration); optional.
	Attendance Attendance
	Rules      *eligibility.Registry
	Now        func() time.Time
}

// Service runs batches, applications, assessment and publicity. It is what the HTTP layer, jobs and a
// future web console call.
type Service struct {
	db   *bun.DB
	deps Deps
}

// NewService builds the service on db.
func NewService(db *bun.DB, d Deps) (*Service, error) {
	if d.Scope == nil || d.Occupations == nil || d.Candidates == nil || d.Users == nil || d.Tenants == nil {
		return nil, fmt.Errorf("batches: scope checker, occupations, candidates, users and tenants are required")
	}
	if d.Rules == nil {
		r, err := eligibility.Defaults()
		if err != nil {
			return nil, err
		}
		d.Rules = r
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{db: db, deps: d}, nil
}

// WithClock returns a service that shares everything with s but reads the time from now: for tests and
// for replaying what a step would have done at another moment.
func (s *Service) WithClock(now func() time.Time) *Service {
	d := s.deps
	d.Now = now
	return &Service{db: s.db, deps: d}
}

// now is the service clock, UTC at the microsecond precision both databases keep.
func (s *Service) now() time.Time { return s.deps.Now().UTC().Truncate(time.Microsecond) }

func scopeFrom(ctx context.Context) (tenants.Scope, error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return sc, tenants.ErrNoScope
	}
	return sc, nil
}

// actorID is the acting user's id, nil for system work.
func actorID(ctx context.Context) *uuid.UUID {
	a := tenants.ActorFrom(ctx)
	if a.UserID == uuid.Nil {
		return nil
	}
	id := a.UserID
	return &id
}

// Create makes a draft batch for the tenant in ctx. The occupation must be in the catalog and evaluated
// at the level, and the tenant's approved, unexpired filing must cover occupation × level (422
// out_of_scope otherwise, also when the filing expires before the exam). The eligibility rule set is
// the one named, or the default for the occupation's standard edition.
func (s *Service) Create(ctx context.Context, in NewBatch) (Batch, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Batch{}, err
	}
	if err := in.Validate(); err != nil {
		return Batch{}, err
	}
	occ, err := s.deps.Occupations.Occupation(ctx, in.OccupationCode)
	if err != nil {
		if platform.KindOf(err) == platform.KindNotFound {
			var v platform.Validation
			v.Add("occupation_code", "unknown", "no occupation "+in.OccupationCode+" in the catalog")
			return Batch{}, v.Err()
		}
		return Batch{}, err
	}
	var v platform.Validation
	v.Check(len(occ.Levels) == 0 || slices.Contains(occ.Levels, in.Level), "level", "not_offered",
		fmt.Sprintf("occupation %s is not evaluated at level %d", occ.Code, in.Level))
	if in.Subtype != "--" {
		v.Check(slices.Contains(occ.Subtypes, in.Subtype), "subtype", "unknown",
			"the occupation has no sub-type "+in.Subtype)
	}
	var rs *eligibility.RuleSet
	if in.RuleSet != "" {
		if rs, err = s.deps.Rules.Get(in.RuleSet); err != nil {
			v.Add("rule_set", "unknown", "no eligibility rule set "+in.RuleSet)
		}
	} else {
		rs = s.deps.Rules.ForStandardYear(occ.StandardYear)
	}
	if rs != nil {
		v.Check(slices.Contains(rs.LevelsCovered(), catalog.Level(in.Level)), "rule_set", "level_not_covered",
			fmt.Sprintf("rule set %s has no application conditions for level %d", rs.ID, in.Level))
	}
	if err := v.Err(); err != nil {
		return Batch{}, err
	}

	now := s.now()
	b := Batch{
		ID: uuid.New(), TenantID: sc.TenantID, OccupationCode: occ.Code, OccupationName: occ.Name,
		Subtype: in.Subtype, Level: catalog.Level(in.Level), Title: in.Title, Methods: in.Methods,
		PassMarks: in.PassMarks, ExamStart: in.ExamStart.UTC().Truncate(time.Microsecond),
		ApplicationDeadline: in.ApplicationDeadline.UTC().Truncate(time.Microsecond), Venue: in.Venue,
		FeeFen: in.FeeFen, Capacity: in.Capacity, PublicityDays: *in.PublicityDays, MinEvaluators: *in.MinEvaluators,
		RuleSet: rs.ID, Status: StatusDraft, CreatedBy: actorID(ctx), CreatedAt: now, UpdatedAt: now,
	}
	if in.ExamEnd != nil {
		e := in.ExamEnd.UTC().Truncate(time.Microsecond)
		b.ExamEnd = &e
	}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		filing, err := s.checkScope(ctx, tx, b, now)
		if err != nil {
			return err
		}
		b.FilingID = &filing
		if err := insertBatch(ctx, tx, &b); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "batch.create", TargetType: "batch", TargetID: b.ID.String(),
			After: NewBatchView(b)})
	})
	if err != nil {
		return Batch{}, err
	}
	return b, nil
}

// checkScope asks filings whether the batch is inside the tenant's approved scope now, and whether that
// filing is still valid when the exam starts.
func (s *Service) checkScope(ctx context.Context, tx bun.IDB, b Batch, now time.Time) (uuid.UUID, error) {
	scope, err := s.deps.Scope.CheckScope(ctx, tx, b.OccupationCode, int(b.Level), now)
	if err != nil {
		return uuid.Nil, err
	}
	examDay := b.ExamStart.In(ChinaTime).Format(dateLayout)
	if !scope.ValidUntil.IsZero() && examDay >= scope.ValidUntil.UTC().Format(dateLayout) {
		return uuid.Nil, platform.Unprocessable("out_of_scope",
			"the filing covering this occupation and level ends before the exam day "+examDay+" (it covers days before "+scope.ValidUntil.UTC().Format(dateLayout)+")")
	}
	return scope.FilingID, nil
}

// Get returns a batch of the tenant in ctx; another tenant's is not found, and so is one an
// evaluator-only reader is not assigned to (see access.go).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Batch, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Batch{}, err
	}
	if _, only := evaluatorOnly(ctx); !only && tenants.CanQueryPG(ctx, s.db) {
		return getBatchPG(ctx, s.db, sc.TenantID, id) // one round trip (progress.go)
	}
	var b Batch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkEvaluates(ctx, tx, sc.TenantID, id, ErrBatchNotFound); err != nil {
			return err
		}
		b, err = getBatch(ctx, tx, sc.TenantID, id, false)
		return err
	})
	return b, err
}

// List returns a page of the tenant's batches by creation time (SortCreatedAt) or exam start
// (SortExamStart), either way, narrowed by f; an evaluator-only reader sees only the batches they are
// assigned to evaluate.
func (s *Service) List(ctx context.Context, req platform.PageRequest, f BatchFilter) (platform.Page[Batch], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[Batch]{}, err
	}
	if err := f.Validate(); err != nil {
		return platform.Page[Batch]{}, err
	}
	q, err := batchQueryOf(req, f.Status)
	if err != nil {
		return platform.Page[Batch]{}, err
	}
	if user, only := evaluatorOnly(ctx); only {
		q.Evaluator = &user
	}
	var bs []Batch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		bs, err = listBatches(ctx, tx, sc.TenantID, q)
		return err
	})
	if err != nil {
		return platform.Page[Batch]{}, err
	}
	return platform.CutPage(bs, req, batchCursor(req.Sort)), nil
}

// batchQueryOf is the store query of a page of batches in status (any when "").
func batchQueryOf(req platform.PageRequest, status Status) (batchQuery, error) {
	q := batchQuery{Status: status, Sort: req.Sort, Desc: req.Desc, Limit: req.Fetch()}
	var cur batchKey
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.At, &cur.ID); err != nil {
		return q, err
	} else if ok {
		q.After = &cur
	}
	return q, nil
}

// batchCursor makes the cursor after a batch in a list sorted by sortKey.
func batchCursor(sortKey string) func(Batch) string {
	return func(b Batch) string {
		if sortKey == SortExamStart {
			return platform.EncodeCursor(b.ExamStart, b.ID)
		}
		return platform.EncodeCursor(b.CreatedAt, b.ID)
	}
}

// transition moves a batch to status `to` under its row lock: from a status that does not lead there it
// is 409 invalid_state; fn checks the rules of the step and sets its fields. The change is audited with
// the batch before and after.
func (s *Service) transition(ctx context.Context, id uuid.UUID, action string, to Status,
	fn func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error) (Batch, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Batch{}, err
	}
	var b Batch
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err = getBatch(ctx, tx, sc.TenantID, id, true)
		if err != nil {
			return err
		}
		before := NewBatchView(b)
		if !b.Status.CanBecome(to) {
			return invalidState(b.Status, action)
		}
		now := s.now()
		if fn != nil {
			if err := fn(ctx, tx, &b, now); err != nil {
				return err
			}
		}
		b.Status, b.UpdatedAt = to, now
		if err := updateBatch(ctx, tx, &b); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "batch." + action, TargetType: "batch", TargetID: b.ID.String(),
			Before: before, After: NewBatchView(b)})
	})
	if err != nil {
		return Batch{}, err
	}
	return b, nil
}

// Publish announces a draft batch (→ open): the scope is checked again (a filing may have expired or
// the institution been suspended since the draft), the deadline must still be ahead, and the
// announcement is reported to the regulator.
func (s *Service) Publish(ctx context.Context, id uuid.UUID) (Batch, error) {
	return s.transition(ctx, id, "publish", StatusOpen, func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error {
		if !now.Before(b.ApplicationDeadline) {
			return ErrDeadlinePassed
		}
		filing, err := s.checkScope(ctx, tx, *b, now)
		if err != nil {
			return err
		}
		b.FilingID, b.PublishedAt = &filing, &now
		_, err = reports.Emit(ctx, tx, reports.BatchPublished, "batch", b.ID.String(), NewAnnouncement(*b))
		return err
	})
}

// Close ends applications (→ closed). Every exam is supervised (逢考必督): without an internal quality
// supervisor assigned it is 422 supervisor_required; each method needs the batch's minimum of
// evaluators (422 evaluators_required).
func (s *Service) Close(ctx context.Context, id uuid.UUID) (Batch, error) {
	return s.transition(ctx, id, "close", StatusClosed, func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error {
		if err := checkStaffing(ctx, tx, *b); err != nil {
			return err
		}
		b.ClosedAt = &now
		return nil
	})
}

// Cancel calls a batch off before its results are published.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, reason string) (Batch, error) {
	var v platform.Validation
	v.Check(len([]rune(reason)) <= maxReasonLen, "reason", "too_long", "at most 2000 characters")
	if err := v.Err(); err != nil {
		return Batch{}, err
	}
	return s.transition(ctx, id, "cancel", StatusCancelled, func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error {
		b.CancelledAt, b.CancelReason = &now, reason
		return nil
	})
}

// checkStaffing enforces supervision and the minimum of evaluators per method.
func checkStaffing(ctx context.Context, tx bun.IDB, b Batch) error {
	as, err := loadAssignments(ctx, tx, b.TenantID, b.ID)
	if err != nil {
		return err
	}
	if len(as.Supervisors) == 0 {
		return ErrSupervisorRequired
	}
	per := map[Method]int{}
	for _, e := range as.Evaluators {
		per[e.Method]++
	}
	var short []string
	for _, m := range b.Methods {
		if per[m] < b.MinEvaluators {
			short = append(short, fmt.Sprintf("%s has %d of %d", m, per[m], b.MinEvaluators))
		}
	}
	if len(short) > 0 {
		return platform.Unprocessable("evaluators_required", fmt.Sprintf("each method needs at least %d evaluator(s): %v",
			b.MinEvaluators, short))
	}
	return nil
}

// PublishResults publishes the results (→ publicity). Pending reviews must be decided first (422
// reviews_pending); every admitted application gets its final result, a missing score counting as
// absent (fail), and so does an absence recorded by exam administration (缺考, Attendance); the report
// to the regulator carries the absentees with the results. The publicity period ends after the batch's publicity days counted in working days;
// results published later than due after the exam mark the batch results_late.
func (s *Service) PublishResults(ctx context.Context, id uuid.UUID) (Batch, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Batch{}, err
	}
	return s.transition(ctx, id, "results_publish", StatusPublicity, func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error {
		if err := checkStaffing(ctx, tx, *b); err != nil {
			return err
		}
		pending, err := tx.NewSelect().Model((*applicationRow)(nil)).
			Where("tenant_id = ? AND batch_id = ? AND status = ?", b.TenantID, b.ID, string(AppPendingReview)).Count(ctx)
		if err != nil {
			return err
		}
		if pending > 0 {
			return platform.Unprocessable("reviews_pending",
				fmt.Sprintf("%d application(s) still wait for qualification review", pending))
		}
		apps, err := applicationsOfBatch(ctx, tx, b.TenantID, b.ID, AppEligible, AppApproved)
		if err != nil {
			return err
		}
		absentees, err := s.absentees(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		passed := 0
		absent := []map[string]any{}
		for i := range apps {
			a := &apps[i]
			r := ComputeResult(*b, a.Decision.TheoryExempt, a.Scores, true)
			if ms := absentees[a.ID]; len(ms) > 0 {
				r = ResultFail // 缺考: stored as a fail, read as absent
				absent = append(absent, map[string]any{"application_id": a.ID, "candidate_id": a.CandidateID, "methods": ms})
			}
			if r == ResultPass {
				passed++
			}
			if r != a.Result {
				if _, err := tx.NewUpdate().Model((*applicationRow)(nil)).Set("result = ?, updated_at = ?", string(r), now).
					Where("tenant_id = ? AND id = ?", a.TenantID, a.ID).Exec(ctx); err != nil {
					return err
				}
			}
		}
		cal, err := s.calendar(ctx, tx, b.ExamDay(), now)
		if err != nil {
			return err
		}
		ends := cal.EndAfterWorkingDays(now, b.PublicityDays)
		due := cal.EndAfterWorkingDays(b.ExamDay(), ResultsDueDays(sc.Kind == tenants.KindSocialOrg))
		if now.After(due) {
			b.ResultsLate = true
		}
		b.ResultsPublishedAt, b.PublicityEndsAt = &now, &ends
		_, err = reports.Emit(ctx, tx, reports.ResultsPublished, "batch", b.ID.String(), map[string]any{
			"batch_id": b.ID, "occupation_code": b.OccupationCode, "level": int(b.Level),
			"admitted": len(apps), "passed": passed, "failed": len(apps) - passed, "absent": len(absent), "absentees": absent,
			"results_published_at": now, "publicity_ends_at": ends, "results_due_at": due, "results_late": b.ResultsLate,
		})
		return err
	})
}

// Finalize ends publicity (→ finalized): 422 publicity_not_over before publicity_ends_at. In the same
// transaction it records one row per passed application not held by an objection, hands them to the
// FinalizeHook (certificate issuance) and reports the batch finalized.
func (s *Service) Finalize(ctx context.Context, id uuid.UUID) (Batch, error) {
	return s.transition(ctx, id, "finalize", StatusFinalized, func(ctx context.Context, tx bun.Tx, b *Batch, now time.Time) error {
		if b.PublicityEndsAt == nil || now.Before(*b.PublicityEndsAt) {
			return ErrPublicityNotOver
		}
		apps, err := applicationsOfBatch(ctx, tx, b.TenantID, b.ID, AppEligible, AppApproved)
		if err != nil {
			return err
		}
		fb := FinalizedBatch{BatchID: b.ID, TenantID: b.TenantID, OccupationCode: b.OccupationCode,
			OccupationName: b.OccupationName, Subtype: b.Subtype, Level: int(b.Level), FinalizedAt: now}
		absentees, err := s.absentees(ctx, tx, b.ID)
		if err != nil {
			return err
		}
		var rows []passRow
		held := 0
		for _, a := range apps {
			if a.Result != ResultPass || len(absentees[a.ID]) > 0 {
				continue
			}
			if a.Held {
				held++
				continue
			}
			fb.Passed = append(fb.Passed, PassedApplication{ApplicationID: a.ID, CandidateID: a.CandidateID,
				HolderName: a.CandidateName, IDType: a.IDType, IDNumber: a.IDNumber})
			rows = append(rows, passRow{TenantID: b.TenantID, ApplicationID: a.ID, BatchID: b.ID, CandidateID: a.CandidateID,
				HolderName: a.CandidateName, IDType: a.IDType, IDNumber: a.IDNumber, OccupationCode: b.OccupationCode,
				OccupationName: b.OccupationName, Subtype: b.Subtype, Level: int(b.Level), FinalizedAt: now})
		}
		if err := insertPasses(ctx, tx, rows); err != nil {
			return err
		}
		if h := s.deps.Finalize; h != nil {
			if err := h.OnFinalized(ctx, tx, fb); err != nil {
				return err
			}
		}
		ids := make([]uuid.UUID, len(fb.Passed))
		for i, p := range fb.Passed {
			ids[i] = p.ApplicationID
		}
		b.FinalizedAt = &now
		_, err = reports.Emit(ctx, tx, reports.BatchFinalized, "batch", b.ID.String(), map[string]any{
			"batch_id": b.ID, "occupation_code": b.OccupationCode, "occupation_name": b.OccupationName,
			"subtype": b.Subtype, "level": int(b.Level), "finalized_at": now, "passed": len(ids), "held": held, "absent": len(absentees),
			"passed_application_ids": ids,
		})
		return err
	})
}

// Passes returns a page of the passed, unheld applications recorded when the batch was finalized
// (none before), by application id (SortApplicationID), either way.
func (s *Service) Passes(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (platform.Page[PassedApplication], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[PassedApplication]{}, err
	}
	var after *uuid.UUID
	var cur uuid.UUID
	if ok, err := platform.DecodeCursor(req.Cursor, &cur); err != nil {
		return platform.Page[PassedApplication]{}, err
	} else if ok {
		after = &cur
	}
	var out []PassedApplication
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkEvaluates(ctx, tx, sc.TenantID, batchID, ErrBatchNotFound); err != nil {
			return err
		}
		if _, err := getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		out, err = listPasses(ctx, tx, sc.TenantID, batchID, after, req.Desc, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[PassedApplication]{}, err
	}
	if _, only := evaluatorOnly(ctx); only {
		for i := range out {
			out[i].IDNumber = candidates.MaskIDNumber(out[i].IDNumber)
		}
	}
	return platform.CutPage(out, req, func(p PassedApplication) string { return platform.EncodeCursor(p.ApplicationID) }), nil
}

// AssignEvaluators assigns users holding the evaluator role to score the given methods of a batch (all
// its methods when none are given). Assigning again is harmless. Allowed until results are published.
func (s *Service) AssignEvaluators(ctx context.Context, batchID uuid.UUID, userIDs []uuid.UUID, methods []Method) (Assignments, error) {
	return s.assign(ctx, batchID, "assign_evaluators", userIDs, "evaluator", func(ctx context.Context, tx bun.Tx, b Batch, ids []uuid.UUID, now time.Time) error {
		ms := methods
		if len(ms) == 0 {
			ms = b.Methods
		}
		var v platform.Validation
		for i, m := range ms {
			v.Check(b.HasMethod(m), fmt.Sprintf("methods[%d]", i), "unknown_method", "the batch does not assess with "+string(m))
		}
		if err := v.Err(); err != nil {
			return err
		}
		rows := make([]evaluatorRow, 0, len(ids)*len(ms))
		for _, u := range ids {
			for _, m := range ms {
				rows = append(rows, evaluatorRow{TenantID: b.TenantID, BatchID: b.ID, UserID: u, Method: string(m),
					AssignedBy: actorID(ctx), AssignedAt: now})
			}
		}
		return insertEvaluators(ctx, tx, rows)
	})
}

// AssignSupervisors assigns users holding the supervisor role as the batch's internal quality
// supervisors (内部质量督导员).
func (s *Service) AssignSupervisors(ctx context.Context, batchID uuid.UUID, userIDs []uuid.UUID) (Assignments, error) {
	return s.assign(ctx, batchID, "assign_supervisors", userIDs, "supervisor", func(ctx context.Context, tx bun.Tx, b Batch, ids []uuid.UUID, now time.Time) error {
		rows := make([]supervisorRow, len(ids))
		for i, u := range ids {
			rows[i] = supervisorRow{TenantID: b.TenantID, BatchID: b.ID, UserID: u, AssignedBy: actorID(ctx), AssignedAt: now}
		}
		return insertSupervisors(ctx, tx, rows)
	})
}

// assign checks the batch's status and that every user holds role, then runs insert and audits.
func (s *Service) assign(ctx context.Context, batchID uuid.UUID, action string, userIDs []uuid.UUID, role string,
	insert func(ctx context.Context, tx bun.Tx, b Batch, ids []uuid.UUID, now time.Time) error) (Assignments, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Assignments{}, err
	}
	var out Assignments
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if b.Status != StatusDraft && b.Status != StatusOpen && b.Status != StatusClosed {
			return invalidState(b.Status, "assign staff")
		}
		ids, err := s.checkRole(ctx, "user_ids", userIDs, role)
		if err != nil {
			return err
		}
		before, err := loadAssignments(ctx, tx, sc.TenantID, batchID)
		if err != nil {
			return err
		}
		if err := insert(ctx, tx, b, ids, s.now()); err != nil {
			return err
		}
		if out, err = loadAssignments(ctx, tx, sc.TenantID, batchID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "batch." + action, TargetType: "batch", TargetID: b.ID.String(),
			Before: NewAssignmentsView(before), After: NewAssignmentsView(out)})
	})
	return out, err
}

// checkRole verifies that each user exists in the tenant and holds role, collecting field errors.
func (s *Service) checkRole(ctx context.Context, field string, ids []uuid.UUID, role string) ([]uuid.UUID, error) {
	var v platform.Validation
	if len(ids) == 0 {
		v.Add(field, "required", "at least one user is required")
	}
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if seen[id] {
			continue
		}
		seen[id] = true
		roles, err := s.deps.Users.UserRoles(ctx, id)
		if err != nil {
			if platform.KindOf(err) == platform.KindNotFound {
				v.Add(f, "not_found", "no such user in this institution")
				continue
			}
			return nil, err
		}
		if v.Check(slices.Contains(roles, role), f, "not_"+role, "the user does not hold the "+role+" role") {
			out = append(out, id)
		}
	}
	return out, v.Err()
}

// Assignments returns a batch's evaluators, supervisors and recusals.
func (s *Service) Assignments(ctx context.Context, batchID uuid.UUID) (Assignments, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Assignments{}, err
	}
	var out Assignments
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkEvaluates(ctx, tx, sc.TenantID, batchID, ErrBatchNotFound); err != nil {
			return err
		}
		if _, err := getBatch(ctx, tx, sc.TenantID, batchID, false); err != nil {
			return err
		}
		out, err = loadAssignments(ctx, tx, sc.TenantID, batchID)
		return err
	})
	return out, err
}

// NewRecusal declares an evaluator's relation to a candidate.
type NewRecusal struct {
	EvaluatorID uuid.UUID
	CandidateID uuid.UUID
	Relation    string // e.g. relative, trainer, colleague
}

// DeclareRecusal records that an evaluator must not score a candidate of the batch (回避). An evaluator
// declares for themselves; staff and admins for anyone. Allowed until results are published.
func (s *Service) DeclareRecusal(ctx context.Context, batchID uuid.UUID, in NewRecusal) (Recusal, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Recusal{}, err
	}
	actor := tenants.ActorFrom(ctx)
	if !actor.HasRole("admin") && !actor.HasRole("staff") && actor.UserID != in.EvaluatorID {
		return Recusal{}, platform.Forbidden("an evaluator declares recusals for themselves only")
	}
	var v platform.Validation
	n := len([]rune(in.Relation))
	v.Check(n > 0 && n <= 200, "relation", "invalid", "the relation (1 to 200 characters) is required")
	v.Check(in.CandidateID != uuid.Nil, "candidate_id", "required", "the candidate is required")
	if err := v.Err(); err != nil {
		return Recusal{}, err
	}
	var r Recusal
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, false)
		if err != nil {
			return err
		}
		if b.Status != StatusDraft && b.Status != StatusOpen && b.Status != StatusClosed {
			return invalidState(b.Status, "declare recusals")
		}
		if _, err := s.checkRole(ctx, "evaluator_id", []uuid.UUID{in.EvaluatorID}, "evaluator"); err != nil {
			return fieldsRenamed(err, "evaluator_id[0]", "evaluator_id")
		}
		if _, err := s.deps.Candidates.CandidateTx(ctx, tx, in.CandidateID); err != nil {
			if platform.KindOf(err) == platform.KindNotFound {
				var v platform.Validation
				v.Add("candidate_id", "not_found", "no such candidate in this institution")
				return v.Err()
			}
			return err
		}
		row := &recusalRow{ID: uuid.New(), TenantID: sc.TenantID, BatchID: batchID, EvaluatorID: in.EvaluatorID,
			CandidateID: in.CandidateID, Relation: in.Relation, DeclaredBy: actorID(ctx), CreatedAt: s.now()}
		if err := insertRecusal(ctx, tx, row); err != nil {
			return err
		}
		r = row.recusal()
		return audit.Record(ctx, tx, audit.Event{Action: "batch.recusal", TargetType: "batch", TargetID: batchID.String(),
			After: NewRecusalView(r)})
	})
	return r, err
}

// fieldsRenamed renames a field in a validation error (a one-element list checked as a list).
func fieldsRenamed(err error, from, to string) error {
	pe, ok := err.(*platform.Error)
	if !ok {
		return err
	}
	cp := *pe
	cp.Fields = append([]platform.FieldError(nil), pe.Fields...)
	for i := range cp.Fields {
		if cp.Fields[i].Field == from {
			cp.Fields[i].Field = to
		}
	}
	return &cp
}

// calendar loads the working-day calendar covering the dates from..to (and the year after, which a
// period starting late in December runs into).
func (s *Service) calendar(ctx context.Context, db bun.IDB, from, to time.Time) (Calendar, error) {
	rows, err := loadCalendar(ctx, db, from.In(ChinaTime).Year(), to.In(ChinaTime).Year()+1)
	if err != nil {
		return Calendar{}, err
	}
	var hol, work []string
	for _, r := range rows {
		if r.Kind == "holiday" {
			hol = append(hol, r.Day)
		} else {
			work = append(work, r.Day)
		}
	}
	return NewCalendar(hol, work), nil
}

// PublicityEnds computes when a publicity of days working days, published at from, ends on the
// platform's calendar.
func (s *Service) PublicityEnds(ctx context.Context, from time.Time, days int) (time.Time, error) {
	cal, err := s.calendar(ctx, s.db, from, from)
	if err != nil {
		return time.Time{}, err
	}
	return cal.EndAfterWorkingDays(from, days), nil
}
