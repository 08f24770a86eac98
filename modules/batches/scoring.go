package batches

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// The evaluator's side of scoring (评分): the batches one is assigned to score, the score sheet of one
// (a row per admitted application, a column per method one scores) and saving many rows of it in one
// transaction. The rules of a single score are those of SetScores, in scoreApplication.

// EvaluatorBatch is a batch the acting user is assigned to score, with the methods they score.
type EvaluatorBatch struct {
	Batch   Batch
	Methods []Method // in the batch's order
	// Unscored counts, while the batch takes scores, the admitted applications with a cell left for
	// the user to score (not absent, not exempt, not recused).
	Unscored int
}

// ScoreSheet is the grid an evaluator scores a batch on.
type ScoreSheet struct {
	Batch   Batch
	Methods []Method // the methods the acting evaluator scores, in the batch's order
	// Open is whether scores are taken now (the batch is closed); Locked once results are published.
	Open   bool
	Locked bool
	Rows   []ScoreRow
}

// ScoreRow is one admitted application of a score sheet.
type ScoreRow struct {
	Application Application // the ID number masked for an evaluator-only reader
	Absent      []Method    // methods the candidate was absent from (缺考): they take no score
	Recused     bool        // the acting evaluator declared a relation to the candidate (回避)
}

// ScoreItem is one row of a batch's scores to save.
type ScoreItem struct {
	ApplicationID uuid.UUID
	Scores        map[Method]float64
}

// MaxScoreItems bounds the rows of one SetBatchScores call.
const MaxScoreItems = 500

// scoring is what decides whether the acting evaluator may score one application.
type scoring struct {
	assigned map[Method]bool
	recused  bool
	absent   []Method
}

// scoringOpen is nil while a batch takes scores: 409 scores_locked once results are published,
// invalid_state before the batch closes.
func scoringOpen(b Batch) error {
	switch b.Status {
	case StatusClosed:
		return nil
	case StatusPublicity, StatusFinalized:
		return ErrScoresLocked
	default:
		return invalidState(b.Status, "take scores (scores are entered after the batch closes)")
	}
}

// scoreApplication checks scores against the rules of scoring and sets them on a with its result: only
// an assigned evaluator (403 not_assigned), never a recused one (403 recused), 0–100 for the batch's
// methods (field errors), only admitted applications (409 invalid_state), no absent method (422
// absent). An absent application's result is stored as a fail.
func scoreApplication(b Batch, a *Application, sc scoring, scores map[Method]float64) error {
	if len(sc.assigned) == 0 {
		return ErrNotAssigned
	}
	if sc.recused {
		return ErrRecused
	}
	var v platform.Validation
	if len(scores) == 0 {
		v.Add("scores", "required", "at least one method's score is required")
	}
	for m, s := range scores {
		f := string(m)
		if !v.Check(b.HasMethod(m), f, "unknown_method", "the batch does not assess with "+f) {
			continue
		}
		v.Check(s >= 0 && s <= MaxScore, f, "out_of_range", "scores are between 0 and 100")
		v.Check(m != MethodTheory || !a.Decision.TheoryExempt, f, "exempt",
			"the candidate is exempt from the theory exam: "+a.Decision.ExemptReasonEN)
	}
	if err := v.Err(); err != nil {
		return err
	}
	for m := range scores {
		if !sc.assigned[m] {
			return ErrNotAssigned
		}
	}
	if !a.Status.Admitted() {
		return platform.Conflict("invalid_state", "the application is "+string(a.Status)+"; only admitted applications are scored")
	}
	for m := range scores {
		if slices.Contains(sc.absent, m) {
			return ErrAbsent
		}
	}
	next := maps.Clone(a.Scores)
	if next == nil {
		next = map[Method]float64{}
	}
	maps.Copy(next, scores)
	a.Scores = next
	a.Result = ComputeResult(b, a.Decision.TheoryExempt, next, false)
	if len(sc.absent) > 0 {
		a.Result = ResultFail // stored; read as absent
	}
	return nil
}

// MyEvaluations lists the batches the acting user is assigned to score (any status but cancelled),
// soonest exam first, with the methods they score.
func (s *Service) MyEvaluations(ctx context.Context) ([]EvaluatorBatch, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	user := tenants.ActorFrom(ctx).UserID
	var out []EvaluatorBatch
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var evs []evaluatorRow
		if err := tx.NewSelect().Model(&evs).Where("tenant_id = ? AND user_id = ?", sc.TenantID, user).Scan(ctx); err != nil {
			return err
		}
		methods := map[uuid.UUID]map[Method]bool{}
		for _, e := range evs {
			if methods[e.BatchID] == nil {
				methods[e.BatchID] = map[Method]bool{}
			}
			methods[e.BatchID][Method(e.Method)] = true
		}
		if len(methods) == 0 {
			return nil
		}
		bs, err := batchesByID(ctx, tx, sc.TenantID, slices.Collect(maps.Keys(methods)))
		if err != nil {
			return err
		}
		for _, b := range bs {
			if b.Status == StatusCancelled {
				continue
			}
			eb := EvaluatorBatch{Batch: b, Methods: inBatchOrder(b, methods[b.ID])}
			if b.Status == StatusClosed {
				if eb.Unscored, err = s.unscored(ctx, tx, b, user, eb.Methods); err != nil {
					return err
				}
			}
			out = append(out, eb)
		}
		return nil
	})
	return out, err
}

// unscored counts b's admitted applications with a cell of methods that evaluator has yet to score.
func (s *Service) unscored(ctx context.Context, tx bun.IDB, b Batch, evaluator uuid.UUID, methods []Method) (int, error) {
	apps, err := applicationsOfBatch(ctx, tx, b.TenantID, b.ID, AppEligible, AppApproved)
	if err != nil || len(apps) == 0 {
		return 0, err
	}
	absent, err := s.absentees(ctx, tx, b.ID)
	if err != nil {
		return 0, err
	}
	recused, err := recusedCandidates(ctx, tx, b.TenantID, b.ID, evaluator)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range apps {
		if recused[a.CandidateID] {
			continue
		}
		for _, m := range methods {
			_, done := a.Scores[m]
			if !done && !slices.Contains(absent[a.ID], m) && (m != MethodTheory || !a.Decision.TheoryExempt) {
				n++
				break
			}
		}
	}
	return n, nil
}

// inBatchOrder lists the methods of set in the order of b's methods.
func inBatchOrder(b Batch, set map[Method]bool) []Method {
	var out []Method
	for _, m := range b.Methods {
		if set[m] {
			out = append(out, m)
		}
	}
	return out
}

// batchesByID reads the tenant's batches of ids, soonest exam first.
func batchesByID(ctx context.Context, db bun.IDB, tenantID uuid.UUID, ids []uuid.UUID) ([]Batch, error) {
	var rows []batchRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ? AND id IN (?)", tenantID, bun.In(ids)).
		OrderExpr("exam_start, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Batch, len(rows))
	for i := range rows {
		out[i] = rows[i].batch()
	}
	return out, nil
}

// ScoreSheet returns the acting evaluator's score sheet of a batch: every admitted application with
// its scores, absences and the evaluator's recusals. A user not assigned to score the batch gets 404,
// as the batch's application list answers an evaluator who does not evaluate it.
func (s *Service) ScoreSheet(ctx context.Context, batchID uuid.UUID) (ScoreSheet, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return ScoreSheet{}, err
	}
	user := tenants.ActorFrom(ctx).UserID
	var out ScoreSheet
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		assigned, err := evaluatorMethods(ctx, tx, sc.TenantID, batchID, user)
		if err != nil {
			return err
		}
		if len(assigned) == 0 {
			return ErrBatchNotFound
		}
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, false)
		if err != nil {
			return err
		}
		out = ScoreSheet{Batch: b, Methods: inBatchOrder(b, assigned), Open: b.Status == StatusClosed,
			Locked: b.Status == StatusPublicity || b.Status == StatusFinalized}
		apps, err := applicationsOfBatch(ctx, tx, sc.TenantID, batchID, AppEligible, AppApproved)
		if err != nil {
			return err
		}
		absent, err := s.absentees(ctx, tx, batchID)
		if err != nil {
			return err
		}
		recused, err := recusedCandidates(ctx, tx, sc.TenantID, batchID, user)
		if err != nil {
			return err
		}
		out.Rows = make([]ScoreRow, len(apps))
		for i, a := range apps {
			if len(absent[a.ID]) > 0 {
				a.Result = ResultAbsent
			}
			out.Rows[i] = ScoreRow{Application: forReader(ctx, a), Absent: absent[a.ID], Recused: recused[a.CandidateID]}
		}
		return nil
	})
	return out, err
}

// recusedCandidates are the candidates an evaluator declared a relation to in a batch.
func recusedCandidates(ctx context.Context, db bun.IDB, tenantID, batchID, evaluatorID uuid.UUID) (map[uuid.UUID]bool, error) {
	var ids []uuid.UUID
	err := db.NewSelect().Model((*recusalRow)(nil)).Column("candidate_id").
		Where("tenant_id = ? AND batch_id = ? AND evaluator_id = ?", tenantID, batchID, evaluatorID).Scan(ctx, &ids)
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// SetBatchScores saves many rows of a batch's scores in one transaction, each under the rules of
// SetScores: either every row is saved (and audited, as SetScores does) or none. Field errors name the
// row: items[3].theory (out_of_range, unknown_method, exempt, absent), items[3].application_id
// (not_found, duplicate), items[3].scores (required); every row is checked before any is refused, so a
// form shows all its errors at once. A user not assigned to the batch gets 403 not_assigned, a row
// of a recused candidate 403 recused, and a batch whose results are published 409 scores_locked.
func (s *Service) SetBatchScores(ctx context.Context, batchID uuid.UUID, items []ScoreItem) ([]Application, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return nil, err
	}
	if len(items) > MaxScoreItems {
		return nil, platform.Unprocessable("too_many_items", fmt.Sprintf("at most %d rows at once", MaxScoreItems))
	}
	user := tenants.ActorFrom(ctx).UserID
	var out []Application
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBatch(ctx, tx, sc.TenantID, batchID, true)
		if err != nil {
			return err
		}
		if err := scoringOpen(b); err != nil {
			return err
		}
		assigned, err := evaluatorMethods(ctx, tx, sc.TenantID, batchID, user)
		if err != nil {
			return err
		}
		if len(assigned) == 0 {
			return ErrNotAssigned
		}
		recused, err := recusedCandidates(ctx, tx, sc.TenantID, batchID, user)
		if err != nil {
			return err
		}
		absent, err := s.absentees(ctx, tx, batchID)
		if err != nil {
			return err
		}
		var v platform.Validation
		seen := map[uuid.UUID]bool{}
		now := s.now()
		type change struct {
			a      Application
			before ApplicationView
		}
		var changes []change
		for i, it := range items {
			prefix := fmt.Sprintf("items[%d].", i)
			if !v.Check(!seen[it.ApplicationID], prefix+"application_id", "duplicate", "each application once") {
				continue
			}
			seen[it.ApplicationID] = true
			a, err := getApplication(ctx, tx, sc.TenantID, it.ApplicationID, true)
			if platform.KindOf(err) == platform.KindNotFound || (err == nil && a.BatchID != batchID) {
				v.Add(prefix+"application_id", "not_found", "no such application in this batch")
				continue
			}
			if err != nil {
				return err
			}
			before := NewApplicationView(a, false)
			err = scoreApplication(b, &a, scoring{assigned: assigned, recused: recused[a.CandidateID], absent: absent[a.ID]}, it.Scores)
			if err != nil {
				if pe, ok := err.(*platform.Error); ok && len(pe.Fields) > 0 {
					for _, f := range pe.Fields {
						v.Add(prefix+f.Field, f.Code, f.Message)
					}
					continue
				}
				if errors.Is(err, ErrAbsent) {
					for m := range it.Scores {
						if slices.Contains(absent[a.ID], m) {
							v.Add(prefix+string(m), "absent", "the candidate was absent (缺考) from this method")
						}
					}
					continue
				}
				return err
			}
			a.UpdatedAt = now
			changes = append(changes, change{a: a, before: before})
		}
		if err := v.Err(); err != nil {
			return err
		}
		for _, ch := range changes {
			a := ch.a
			if err := updateApplication(ctx, tx, &a); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "application.scores", TargetType: "application", TargetID: a.ID.String(),
				Before: ch.before, After: NewApplicationView(a, false)}); err != nil {
				return err
			}
			if len(absent[a.ID]) > 0 {
				a.Result = ResultAbsent
			}
			out = append(out, forReader(ctx, a))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
