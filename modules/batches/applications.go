package batches

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Apply applies a candidate of the tenant to a batch and decides eligibility at once. The batch must be
// open (409 invalid_state), the deadline not passed (422 deadline_passed) and a place left (422
// capacity_full); a candidate applies once per batch (409 duplicate). The application records the fee
// of the batch and the full eligibility decision.
func (s *Service) Apply(ctx context.Context, batchID uuid.UUID, in NewApplication) (Application, error) {
	var a Application
	err := tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var err error
		a, err = s.apply(ctx, tx, batchID, in)
		return err
	})
	return a, err
}

// ApplyTx implements candidates.Applier for public self-registration: inside the caller's transaction
// (which has just created the candidate), it applies the candidate to the batch and returns the
// application as its API view for the 201 body.
func (s *Service) ApplyTx(ctx context.Context, tx bun.IDB, batchID, candidateID uuid.UUID) (any, error) {
	a, err := s.apply(ctx, tx, batchID, NewApplication{CandidateID: candidateID})
	if err != nil {
		return nil, err
	}
	return NewApplicationView(a, true), nil
}

func (s *Service) apply(ctx context.Context, tx bun.IDB, batchID uuid.UUID, in NewApplication) (Application, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Application{}, err
	}
	var v platform.Validation
	v.Check(in.CandidateID != uuid.Nil, "candidate_id", "required", "the candidate is required")
	v.Check(in.Route == "" || in.Route == eligibility.RouteNormal || in.Route == eligibility.RouteDirectRecognition ||
		in.Route == eligibility.RouteFastTrack, "route", "invalid", "route is normal, direct_recognition or fast_track")
	v.Check(len(in.EvidenceFileIDs) <= 50, "evidence_file_ids", "too_many", "at most 50 evidence files")
	for i, id := range in.EvidenceFileIDs {
		v.Check(strings.TrimSpace(id) != "" && len(id) <= 200, fmt.Sprintf("evidence_file_ids[%d]", i), "invalid", "an evidence file id is 1 to 200 characters")
	}
	if err := v.Err(); err != nil {
		return Application{}, err
	}
	if in.Route == "" {
		in.Route = eligibility.RouteNormal
	}

	// The batch row lock serialises applications to one batch, so the capacity check holds under
	// concurrency.
	b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
	if err != nil {
		return Application{}, err
	}
	if b.Status != StatusOpen {
		return Application{}, invalidState(b.Status, "accept applications")
	}
	now := s.now()
	if now.After(b.ApplicationDeadline) {
		return Application{}, ErrDeadlinePassed
	}
	c, err := s.deps.Candidates.CandidateTx(ctx, tx, in.CandidateID)
	if err != nil {
		if platform.KindOf(err) == platform.KindNotFound {
			var v platform.Validation
			v.Add("candidate_id", "not_found", "no such candidate in this institution")
			return Application{}, v.Err()
		}
		return Application{}, err
	}
	exists, err := tx.NewSelect().Model((*applicationRow)(nil)).
		Where("tenant_id = ? AND batch_id = ? AND candidate_id = ?", sc.TenantID, batchID, c.ID).Exists(ctx)
	if err != nil {
		return Application{}, err
	}
	if exists {
		return Application{}, ErrDuplicate
	}
	taken, err := seatsTaken(ctx, tx, sc.TenantID, batchID)
	if err != nil {
		return Application{}, err
	}
	if taken >= b.Capacity {
		return Application{}, ErrCapacityFull
	}
	d, err := s.decide(b, c, in.Route, in.EvidenceFileIDs, now)
	if err != nil {
		return Application{}, err
	}
	a := Application{
		ID: uuid.New(), TenantID: sc.TenantID, BatchID: b.ID, CandidateID: c.ID, CandidateUserID: c.UserID,
		CandidateName: c.Name, IDType: c.IDType, IDNumber: c.IDNumber, Status: statusFor(d), Route: in.Route,
		EvidenceFileIDs: in.EvidenceFileIDs, Decision: d, FeeFen: b.FeeFen, Scores: map[Method]float64{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := insertApplication(ctx, tx, &a, actorID(ctx)); err != nil {
		return Application{}, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "application.create", TargetType: "application",
		TargetID: a.ID.String(), After: NewApplicationView(a, false)}); err != nil {
		return Application{}, err
	}
	return a, nil
}

// decide evaluates a candidate for the batch's level under the batch's rule set.
func (s *Service) decide(b Batch, c Candidate, route eligibility.Route, evidence []string, asOf time.Time) (eligibility.Decision, error) {
	rs, err := s.deps.Rules.Get(b.RuleSet)
	if err != nil {
		return eligibility.Decision{}, platform.Wrap(platform.KindInternal, "internal", "the batch's rule set is not loaded", err)
	}
	d, err := rs.Evaluate(b.Level, c.Applicant(route, evidence), asOf)
	if err != nil {
		return eligibility.Decision{}, fieldsPrefixed(err, "candidate.")
	}
	return d, nil
}

// fieldsPrefixed marks field errors as being about the candidate's record, not the request body.
func fieldsPrefixed(err error, prefix string) error {
	pe, ok := err.(*platform.Error)
	if !ok || len(pe.Fields) == 0 {
		return err
	}
	cp := *pe
	cp.Message = "the candidate's record does not allow a decision: " + pe.Message
	cp.Fields = make([]platform.FieldError, len(pe.Fields))
	for i, f := range pe.Fields {
		f.Field = prefix + f.Field
		cp.Fields[i] = f
	}
	return &cp
}

// statusFor maps an eligibility outcome to an application status.
func statusFor(d eligibility.Decision) ApplicationStatus {
	switch d.Outcome {
	case eligibility.OutcomeEligible:
		return AppEligible
	case eligibility.OutcomePendingReview:
		return AppPendingReview
	}
	return AppIneligible
}

// GetApplication returns an application of the tenant with its full eligibility decision; for an
// evaluator-only reader, only one of a batch they evaluate, with the ID number masked (access.go).
func (s *Service) GetApplication(ctx context.Context, id uuid.UUID) (Application, error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return Application{}, err
	}
	var a Application
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		a, err = getApplication(ctx, tx, sc.TenantID, id, false)
		if err != nil {
			return err
		}
		if err := checkEvaluates(ctx, tx, sc.TenantID, a.BatchID, ErrApplicationNotFound); err != nil {
			return err
		}
		absent, err := s.absentMethods(ctx, tx, a.ID)
		if len(absent) > 0 {
			a.Result = ResultAbsent
		}
		return err
	})
	if err != nil {
		return Application{}, err
	}
	return forReader(ctx, a), nil
}

// ListApplications returns a page of a batch's applications by (created_at, id) (SortCreatedAt, either
// way), narrowed by f; of a batch an evaluator-only reader evaluates only, with ID numbers masked. Items
// carry the eligibility summary (outcome, rule, theory exemption), not every
// clause: GetApplication has those.
func (s *Service) ListApplications(ctx context.Context, batchID uuid.UUID, req platform.PageRequest, f ApplicationFilter) (platform.Page[Application], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	pq, err := applicationQueryOf(sc.TenantID, req, f)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	pq.Batch = &batchID
	if _, only := evaluatorOnly(ctx); only {
		err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			return checkEvaluates(ctx, tx, sc.TenantID, batchID, ErrBatchNotFound)
		})
		if err != nil {
			return platform.Page[Application]{}, err
		}
	}
	apps, err := s.pageOfApplications(ctx, pq)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	if len(apps) == 0 {
		// Only an empty page asks whether the batch exists (404 for an unknown or another tenant's):
		// a page with rows proves it, and a round trip less is much of a page's cost.
		err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			ok, err := tx.NewSelect().Model((*batchRow)(nil)).Where("tenant_id = ? AND id = ?", sc.TenantID, batchID).Exists(ctx)
			if err == nil && !ok {
				err = ErrBatchNotFound
			}
			return err
		})
		if err != nil {
			return platform.Page[Application]{}, err
		}
	}
	if len(apps) > 0 && s.deps.Attendance != nil {
		err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error { return s.markAbsent(ctx, tx, apps) })
		if err != nil {
			return platform.Page[Application]{}, err
		}
	}
	if _, only := evaluatorOnly(ctx); only {
		for i := range apps {
			apps[i] = forReader(ctx, apps[i])
		}
	}
	return platform.CutPage(apps, req, applicationCursor), nil
}

// absentMethods lists the methods an application is absent from (none without Attendance).
func (s *Service) absentMethods(ctx context.Context, tx bun.IDB, applicationID uuid.UUID) ([]Method, error) {
	if s.deps.Attendance == nil {
		return nil, nil
	}
	return s.deps.Attendance.AbsentMethods(ctx, tx, applicationID)
}

// absentees maps a batch's absent applications to their methods (none without Attendance).
func (s *Service) absentees(ctx context.Context, tx bun.IDB, batchID uuid.UUID) (map[uuid.UUID][]Method, error) {
	if s.deps.Attendance == nil {
		return nil, nil
	}
	return s.deps.Attendance.Absentees(ctx, tx, batchID)
}

// markAbsent makes applications absent from a method read result "absent" (one query per batch).
func (s *Service) markAbsent(ctx context.Context, tx bun.IDB, apps []Application) error {
	byBatch := map[uuid.UUID]map[uuid.UUID][]Method{}
	for i := range apps {
		a := &apps[i]
		m, ok := byBatch[a.BatchID]
		if !ok {
			var err error
			if m, err = s.absentees(ctx, tx, a.BatchID); err != nil {
				return err
			}
			byBatch[a.BatchID] = m
		}
		if len(m[a.ID]) > 0 {
			a.Result = ResultAbsent
		}
	}
	return nil
}

// applicationQueryOf checks an application list's filter and cursor and makes the store query of its
// page in the tenant; the caller names the batch or the candidate.
func applicationQueryOf(tenantID uuid.UUID, req platform.PageRequest, f ApplicationFilter) (applicationPageQuery, error) {
	pq := applicationPageQuery{TenantID: tenantID, Status: f.Status, Search: f.Search, Desc: req.Desc, Limit: req.Fetch()}
	if err := f.Validate(); err != nil {
		return pq, err
	}
	var cur appKey
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return pq, err
	} else if ok {
		pq.After = &cur
	}
	return pq, nil
}

// applicationCursor is the cursor after a in a list by (created_at, id).
func applicationCursor(a Application) string { return platform.EncodeCursor(a.CreatedAt, a.ID) }

// pageOfApplications reads one page: in a single round trip on PostgreSQL outside a transaction (the
// list endpoints), else in a read transaction through bun (dev mode, or nested in a transaction).
func (s *Service) pageOfApplications(ctx context.Context, pq applicationPageQuery) ([]Application, error) {
	if tenants.CanQueryPG(ctx, s.db) {
		return listApplicationsPG(ctx, s.db, pq)
	}
	var apps []Application
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		apps, err = listApplications(ctx, tx, pq)
		return err
	})
	return apps, err
}

// MyApplications returns a page of the applications of the candidate the acting user is (a
// candidate-role user of the tenant), like ListApplications: their own only. A user with no candidate
// record has none.
func (s *Service) MyApplications(ctx context.Context, req platform.PageRequest, f ApplicationFilter) (platform.Page[Application], error) {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	pq, err := applicationQueryOf(sc.TenantID, req, f)
	if err != nil {
		return platform.Page[Application]{}, err
	}
	actor := tenants.ActorFrom(ctx)
	var apps []Application
	if actor.UserID != uuid.Nil {
		err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
			c, err := s.deps.Candidates.CandidateByUserTx(ctx, tx, actor.UserID)
			if platform.KindOf(err) == platform.KindNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			pq.Candidate = &c.ID
			if apps, err = listApplications(ctx, tx, pq); err != nil {
				return err
			}
			return s.markAbsent(ctx, tx, apps)
		})
	}
	if err != nil {
		return platform.Page[Application]{}, err
	}
	return platform.CutPage(apps, req, applicationCursor), nil
}

// Review decides a pending_review application (approve → approved, reject → rejected, a reason
// required for a rejection) while the batch is open or closed. Any other application status is 409
// invalid_state.
func (s *Service) Review(ctx context.Context, id uuid.UUID, decision, reason string) (Application, error) {
	reason = strings.TrimSpace(reason)
	var v platform.Validation
	v.Check(decision == ReviewApprove || decision == ReviewReject, "decision", "invalid", "decision is approve or reject")
	v.Check(decision != ReviewReject || reason != "", "reason", "required", "a rejection needs a reason")
	v.Check(len([]rune(reason)) <= maxReasonLen, "reason", "too_long", "at most 2000 characters")
	if err := v.Err(); err != nil {
		return Application{}, err
	}
	return s.updateApplicationWith(ctx, id, "application.review", func(ctx context.Context, tx bun.Tx, b Batch, a *Application, now time.Time) error {
		if b.Status != StatusOpen && b.Status != StatusClosed {
			return invalidState(b.Status, "review applications")
		}
		if a.Status != AppPendingReview {
			return platform.Conflict("invalid_state", "the application is "+string(a.Status)+"; only pending_review applications are reviewed")
		}
		a.Status = AppApproved
		if decision == ReviewReject {
			a.Status = AppRejected
		}
		a.ReviewDecision, a.ReviewReason, a.ReviewedBy, a.ReviewedAt = decision, reason, actorID(ctx), &now
		return nil
	})
}

// MarkPaid records that the application's fee was paid (staff confirm it). Marking twice is 409
// already_paid.
func (s *Service) MarkPaid(ctx context.Context, id uuid.UUID) (Application, error) {
	return s.updateApplicationWith(ctx, id, "application.mark_paid", func(ctx context.Context, tx bun.Tx, b Batch, a *Application, now time.Time) error {
		if a.PaidAt != nil {
			return platform.Conflict("already_paid", "the fee is already marked paid")
		}
		a.PaidAt, a.PaidBy = &now, actorID(ctx)
		return nil
	})
}

// updateApplicationWith locks an application and its batch, lets fn change it, stores and audits it.
func (s *Service) updateApplicationWith(ctx context.Context, id uuid.UUID, action string,
	fn func(ctx context.Context, tx bun.Tx, b Batch, a *Application, now time.Time) error) (Application, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Application{}, err
	}
	var a Application
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		// Lock order batch → application everywhere, so concurrent writers never deadlock.
		a0, err := getApplication(ctx, tx, sc.TenantID, id, false)
		if err != nil {
			return err
		}
		b, err := getBatch(ctx, tx, sc.TenantID, a0.BatchID, true)
		if err != nil {
			return err
		}
		if a, err = getApplication(ctx, tx, sc.TenantID, id, true); err != nil {
			return err
		}
		before := NewApplicationView(a, false)
		now := s.now()
		if err := fn(ctx, tx, b, &a, now); err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := updateApplication(ctx, tx, &a); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "application", TargetID: a.ID.String(),
			Before: before, After: NewApplicationView(a, false)})
	})
	if err != nil {
		return Application{}, err
	}
	return a, nil
}

// SetScores records scores (0–100) for some of the batch's methods of an admitted application and
// recomputes its result against the batch's pass marks. Only an evaluator assigned to the batch for
// each method given may score (403 not_assigned), never one who declared a relation to the candidate
// (403 recused). Scores are taken while the batch is closed (the exam follows the close); once results
// are published they are locked (409 scores_locked). Every change is audited with the previous scores.
// An evaluator-only scorer gets the application back with the ID number masked.
//
// A method the candidate was absent from (缺考: seated in a session of it that ended without a check-in)
// takes no score (422 absent), and the application reads result "absent" (stored as a fail).
func (s *Service) SetScores(ctx context.Context, id uuid.UUID, scores map[Method]float64) (Application, error) {
	a, err := s.setScores(ctx, id, scores)
	if err != nil {
		return Application{}, err
	}
	return forReader(ctx, a), nil
}

func (s *Service) setScores(ctx context.Context, id uuid.UUID, scores map[Method]float64) (Application, error) {
	actor := tenants.ActorFrom(ctx)
	var absent []Method
	a, err := s.updateApplicationWith(ctx, id, "application.scores", func(ctx context.Context, tx bun.Tx, b Batch, a *Application, now time.Time) error {
		if err := scoringOpen(b); err != nil {
			return err
		}
		assigned, err := evaluatorMethods(ctx, tx, a.TenantID, b.ID, actor.UserID)
		if err != nil {
			return err
		}
		recused, err := isRecused(ctx, tx, a.TenantID, b.ID, actor.UserID, a.CandidateID)
		if err != nil {
			return err
		}
		if len(assigned) > 0 && !recused && a.Status.Admitted() {
			if absent, err = s.absentMethods(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		return scoreApplication(b, a, scoring{assigned: assigned, recused: recused, absent: absent}, scores)
	})
	if err == nil && len(absent) > 0 {
		a.Result = ResultAbsent
	}
	return a, err
}

// CandidateChanged implements candidates.ChangeListener: inside the candidate update's transaction it
// refreshes the candidate's name and identity on applications of batches not yet finalized, and
// re-decides eligibility of their applications to batches still open (not those a reviewer already
// approved or rejected). A re-decided application that would take a place in a full batch stays
// ineligible, with a clause saying so.
func (s *Service) CandidateChanged(ctx context.Context, tx bun.IDB, candidateID uuid.UUID) error {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return err
	}
	if !sc.Kind.IsInstitution() {
		return nil
	}
	apps, statuses, err := applicationsOfCandidate(ctx, tx, sc.TenantID, candidateID)
	if err != nil || len(apps) == 0 {
		return err
	}
	c, err := s.deps.Candidates.CandidateTx(ctx, tx, candidateID)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range apps {
		a := apps[i]
		if statuses[i] == StatusFinalized || statuses[i] == StatusCancelled {
			continue
		}
		before := NewApplicationView(a, false)
		changed := a.CandidateName != c.Name || a.IDType != c.IDType || a.IDNumber != c.IDNumber ||
			!sameUser(a.CandidateUserID, c.UserID)
		a.CandidateName, a.IDType, a.IDNumber, a.CandidateUserID = c.Name, c.IDType, c.IDNumber, c.UserID
		action := "application.candidate_refresh"
		if statuses[i] == StatusOpen && a.Status.reevaluable() {
			b, err := getBatch(ctx, tx, sc.TenantID, a.BatchID, true)
			if err != nil {
				return err
			}
			d, err := s.decide(b, c, a.Route, a.EvidenceFileIDs, now)
			if err != nil {
				d = undecidable(b, err, now)
			}
			st := statusFor(d)
			if st.TakesSeat() && !a.Status.TakesSeat() {
				taken, err := seatsTaken(ctx, tx, sc.TenantID, b.ID)
				if err != nil {
					return err
				}
				if taken >= b.Capacity {
					d.Outcome, st = eligibility.OutcomeIneligible, AppIneligible
					d.Clauses = append(d.Clauses, eligibility.Clause{ID: "batch.capacity", Passed: false,
						ReasonZH: "本批次名额已满", ReasonEN: "the batch has no places left"})
				}
			}
			a.Decision, a.Status = d, st
			changed = true
			action = "application.reevaluate"
		}
		if !changed {
			continue
		}
		a.UpdatedAt = now
		if err := updateApplication(ctx, tx, &a); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "application", TargetID: a.ID.String(),
			Before: before, After: NewApplicationView(a, false)}); err != nil {
			return err
		}
	}
	return nil
}

func sameUser(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// undecidable is the decision for a candidate record the engine cannot evaluate (e.g. a level without
// the date it was obtained): ineligible, saying why, until the record is fixed.
func undecidable(b Batch, err error, asOf time.Time) eligibility.Decision {
	zh, en := "考生信息不完整，无法审核："+platform.CodeOf(err), "the candidate's record cannot be evaluated: "+err.Error()
	if pe, ok := err.(*platform.Error); ok && len(pe.Fields) > 0 {
		var parts []string
		for _, f := range pe.Fields {
			parts = append(parts, f.Field+" ("+f.Message+")")
		}
		zh = "考生信息不完整，无法审核：" + strings.Join(parts, "；")
		en = "the candidate's record cannot be evaluated: " + strings.Join(parts, "; ")
	}
	y, m, d := asOf.Date()
	return eligibility.Decision{Outcome: eligibility.OutcomeIneligible, RuleSet: b.RuleSet, Level: b.Level,
		Route: eligibility.RouteNormal, AsOf: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		Clauses: []eligibility.Clause{{ID: "candidate.record", Passed: false, ReasonZH: zh, ReasonEN: en}}}
}

// CandidatesChanged implements candidates.BulkChangeListener for imports: one query finds which of the
// changed candidates have applications in running batches, and only those are looked at one by one.
func (s *Service) CandidatesChanged(ctx context.Context, tx bun.IDB, candidateIDs []uuid.UUID) error {
	sc, err := scopeFrom(ctx)
	if err != nil {
		return err
	}
	if !sc.Kind.IsInstitution() {
		return nil
	}
	for len(candidateIDs) > 0 {
		n := min(len(candidateIDs), 1000)
		var affected []uuid.UUID
		err := tx.NewSelect().TableExpr("applications AS a").ColumnExpr("DISTINCT a.candidate_id").
			Join("JOIN batches AS b ON b.id = a.batch_id AND b.tenant_id = a.tenant_id").
			Where("a.tenant_id = ? AND a.candidate_id IN (?)", sc.TenantID, bun.In(candidateIDs[:n])).
			Where("b.status IN (?)", bun.In([]string{string(StatusDraft), string(StatusOpen), string(StatusClosed), string(StatusPublicity)})).
			Scan(ctx, &affected)
		if err != nil {
			return err
		}
		for _, id := range affected {
			if err := s.CandidateChanged(ctx, tx, id); err != nil {
				return err
			}
		}
		candidateIDs = candidateIDs[n:]
	}
	return nil
}
