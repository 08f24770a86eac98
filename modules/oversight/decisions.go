package oversight

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

type decisionRow struct {
	bun.BaseModel `bun:"table:oversight_decisions"`

	TenantID          uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	InstitutionID     uuid.UUID  `bun:"institution_id,type:uuid"`
	Kind              string     `bun:"kind"`
	CertificateNumber string     `bun:"certificate_number"`
	Facts             string     `bun:"facts"`
	Reason            string     `bun:"reason"`
	Deadline          *time.Time `bun:"deadline"`
	ReviewOutcome     string     `bun:"review_outcome"`
	ReviewNote        string     `bun:"review_note"`
	ReviewedAt        *time.Time `bun:"reviewed_at"`
	DecidedBy         *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedByName     string     `bun:"decided_by_name"`
	DecidedAt         time.Time  `bun:"decided_at"`
}

// institutionDecisionRow is the institution's copy of a decision (tenant_id is the institution).
type institutionDecisionRow struct {
	bun.BaseModel `bun:"table:institution_decisions"`

	TenantID          uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID                uuid.UUID  `bun:"id,pk,type:uuid"`
	RegulatorID       uuid.UUID  `bun:"regulator_id,type:uuid"`
	RegulatorName     string     `bun:"regulator_name"`
	Kind              string     `bun:"kind"`
	CertificateNumber string     `bun:"certificate_number"`
	Facts             string     `bun:"facts"`
	Reason            string     `bun:"reason"`
	Deadline          *time.Time `bun:"deadline"`
	DecidedAt         time.Time  `bun:"decided_at"`
	Statement         string     `bun:"statement"`
	StatementAt       *time.Time `bun:"statement_at"`
	ReviewReason      string     `bun:"review_reason"`
	ReviewRequestedAt *time.Time `bun:"review_requested_at"`
	ReviewOutcome     string     `bun:"review_outcome"`
	ReviewNote        string     `bun:"review_note"`
	ReviewedAt        *time.Time `bun:"reviewed_at"`
}

func (r *institutionDecisionRow) decision() Decision {
	return Decision{ID: r.ID, RegulatorID: r.RegulatorID, RegulatorName: r.RegulatorName, InstitutionID: r.TenantID,
		Kind: DecisionKind(r.Kind), CertificateNumber: r.CertificateNumber, Facts: r.Facts, Reason: r.Reason, Deadline: utcPtr(r.Deadline),
		DecidedAt: r.DecidedAt.UTC(), Statement: r.Statement, StatementAt: utcPtr(r.StatementAt), ReviewReason: r.ReviewReason,
		ReviewRequestedAt: utcPtr(r.ReviewRequestedAt), ReviewOutcome: r.ReviewOutcome, ReviewNote: r.ReviewNote, ReviewedAt: utcPtr(r.ReviewedAt)}
}

// regulatorView is the regulator's own record completed with the institution's answer (read in the
// oversight transaction; absent when the institution is no longer in jurisdiction).
func regulatorView(r *decisionRow, copy *institutionDecisionRow) Decision {
	d := Decision{ID: r.ID, RegulatorID: r.TenantID, InstitutionID: r.InstitutionID, Kind: DecisionKind(r.Kind),
		CertificateNumber: r.CertificateNumber, Facts: r.Facts, Reason: r.Reason, Deadline: utcPtr(r.Deadline), DecidedAt: r.DecidedAt.UTC(),
		DecidedBy: r.DecidedByName, ReviewOutcome: r.ReviewOutcome, ReviewNote: r.ReviewNote, ReviewedAt: utcPtr(r.ReviewedAt)}
	if copy != nil {
		d.RegulatorName = copy.RegulatorName
		d.Statement, d.StatementAt = copy.Statement, utcPtr(copy.StatementAt)
		d.ReviewReason, d.ReviewRequestedAt = copy.ReviewReason, utcPtr(copy.ReviewRequestedAt)
	}
	return d
}

// decisionReport is what a decision report carries to the regulators (the decider included) and
// their external systems.
type decisionReport struct {
	Event             string     `json:"event"` // "decided" or "reviewed"
	ID                uuid.UUID  `json:"id"`
	RegulatorID       uuid.UUID  `json:"regulator_id"`
	RegulatorName     string     `json:"regulator_name"`
	InstitutionID     uuid.UUID  `json:"institution_id"`
	Kind              string     `json:"kind"`
	CertificateNumber string     `json:"certificate_number,omitempty"`
	Facts             string     `json:"facts,omitempty"`
	Reason            string     `json:"reason"`
	Deadline          string     `json:"deadline,omitempty"`
	DecidedAt         time.Time  `json:"decided_at"`
	ReviewOutcome     string     `json:"review_outcome,omitempty"`
	ReviewedAt        *time.Time `json:"reviewed_at,omitempty"`
}

// Decide records a regulator's decision about an institution in its jurisdiction and has the system
// apply it, all in one transaction: suspend or reinstate the institution (tenant status, audited in
// the institution's log), or revoke one of its certificates (publicly revoked), or order
// rectification by a deadline. The decision is the regulator's record (audited in its log); the
// institution gets a copy with the facts and reasons (audited in its log), and the decision is
// reported through the institution's outbox like any reportable event.
func (s *Service) Decide(ctx context.Context, in DecisionInput) (Decision, error) {
	if err := in.Validate(dayOf(s.now())); err != nil {
		return Decision{}, err
	}
	var out Decision
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		if err := j.require(in.InstitutionID); err != nil {
			return err
		}
		inst, err := s.dir.ByID(ctx, in.InstitutionID)
		if err != nil {
			return err
		}
		reg, err := getInstitution(ctx, tx, j.regulator.TenantID)
		if err != nil {
			return err
		}
		applied := ""
		switch in.Kind {
		case DecisionSuspend:
			if inst.Status != tenants.StatusActive {
				return platform.Conflict("invalid_state", "only an active institution can be suspended (it is "+string(inst.Status)+")")
			}
			if err := s.dir.SetStatus(ctx, tx, inst.ID, tenants.StatusSuspended, in.Reason); err != nil {
				return err
			}
			applied = "institution suspended"
		case DecisionReinstate:
			if inst.Status != tenants.StatusSuspended {
				return platform.Conflict("invalid_state", "only a suspended institution can be reinstated (it is "+string(inst.Status)+")")
			}
			if err := s.dir.SetStatus(ctx, tx, inst.ID, tenants.StatusActive, in.Reason); err != nil {
				return err
			}
			applied = "institution reinstated"
		case DecisionInvalidateCertificate:
			if s.revoker == nil {
				return platform.E(platform.KindUnavailable, "unavailable", "certificate revocation is not available")
			}
			if err := s.revoker.RevokeForDecision(ctx, tx, inst.ID, in.CertificateNumber, in.Reason); err != nil {
				return err
			}
			applied = "certificate " + in.CertificateNumber + " revoked"
		case DecisionRectify:
			applied = "rectification ordered by " + in.Deadline.Format(time.DateOnly)
		}
		actor := tenants.ActorFrom(ctx)
		now := s.now()
		row := &decisionRow{TenantID: j.regulator.TenantID, ID: uuid.New(), InstitutionID: inst.ID, Kind: string(in.Kind),
			CertificateNumber: in.CertificateNumber, Facts: in.Facts, Reason: in.Reason, Deadline: in.Deadline,
			DecidedBy: actorID(ctx), DecidedByName: actor.Name, DecidedAt: now}
		if _, err := tx.NewInsert().Model(row).ExcludeColumn("reviewed_at").Exec(ctx); err != nil {
			return err
		}
		cp := &institutionDecisionRow{TenantID: inst.ID, ID: row.ID, RegulatorID: reg.ID, RegulatorName: reg.Name, Kind: row.Kind,
			CertificateNumber: row.CertificateNumber, Facts: row.Facts, Reason: row.Reason, Deadline: row.Deadline, DecidedAt: now}
		out = regulatorView(row, cp)
		out.AppliedDescription = applied
		if err := audit.Record(ctx, tx, audit.Event{Action: "oversight.decision.create", TargetType: "decision", TargetID: row.ID.String(),
			After: out}); err != nil {
			return err
		}
		rep := decisionReport{Event: "decided", ID: row.ID, RegulatorID: reg.ID, RegulatorName: reg.Name, InstitutionID: inst.ID,
			Kind: row.Kind, CertificateNumber: row.CertificateNumber, Facts: row.Facts, Reason: row.Reason, DecidedAt: now}
		if row.Deadline != nil {
			rep.Deadline = row.Deadline.Format(time.DateOnly)
		}
		// The institution's copy, its audit entry and the report are written in the institution's
		// tenant: explicitly switched to, inside the same transaction.
		return tenants.As(ctx, tx, scopeOf(inst), func(ctx context.Context) error {
			if _, err := tx.NewInsert().Model(cp).Exec(ctx); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "decision.receive", TargetType: "decision", TargetID: row.ID.String(),
				After: cp.decision()}); err != nil {
				return err
			}
			_, err := reports.Emit(ctx, tx, reports.DecisionMade, "decision", row.ID.String(), rep)
			return err
		})
	})
	if err == nil {
		if t, err := s.dir.ByID(ctx, out.InstitutionID); err == nil {
			out.InstitutionStatus = string(t.Status)
		}
	}
	return out, err
}

// DecisionFilter narrows the regulator's decision listing.
type DecisionFilter struct {
	InstitutionID   uuid.UUID
	Kind            string
	ReviewRequested bool // only decisions whose review was asked for and is not decided yet
}

// Decisions pages the decisions of the regulator in ctx, newest first, with the institutions'
// statements and review requests. ReviewRequested is applied to each page as read (the answer is the
// institution's record), so such a page may hold fewer items than asked for.
func (s *Service) Decisions(ctx context.Context, f DecisionFilter, req platform.PageRequest) (platform.Page[Decision], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Decision]{}, err
	}
	var out []Decision
	err = s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		var rows []decisionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", j.regulator.TenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if after.id != uuid.Nil {
			q = q.Where("(decided_at, id) < (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("decided_at DESC, id DESC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		copies, err := decisionCopies(ctx, tx, rows)
		if err != nil {
			return err
		}
		for i := range rows {
			d := regulatorView(&rows[i], copies[rows[i].ID])
			if f.ReviewRequested && (d.ReviewRequestedAt == nil || d.ReviewOutcome != "") {
				continue
			}
			out = append(out, d)
		}
		return nil
	})
	return platform.CutPage(out, req, decisionCursor), err
}

func decisionCursor(d Decision) string { return platform.EncodeCursor(d.DecidedAt, d.ID) }

// decisionCopies reads the institutions' copies (their answers) of decisions: the oversight
// transaction lets it read them for institutions in jurisdiction only.
func decisionCopies(ctx context.Context, tx bun.IDB, rows []decisionRow) (map[uuid.UUID]*institutionDecisionRow, error) {
	out := map[uuid.UUID]*institutionDecisionRow{}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var copies []institutionDecisionRow
	if err := tx.NewSelect().Model(&copies).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for i := range copies {
		out[copies[i].ID] = &copies[i]
	}
	return out, nil
}

// Decision returns one of the regulator's decisions with the institution's answer.
func (s *Service) Decision(ctx context.Context, id uuid.UUID) (Decision, error) {
	var out Decision
	err := s.oversee(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row := new(decisionRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", j.regulator.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrDecisionNotFound
			}
			return err
		}
		copies, err := decisionCopies(ctx, tx, []decisionRow{*row})
		out = regulatorView(row, copies[id])
		return err
	})
	return out, err
}

// ReviewDecision records the outcome of a review the institution asked for (复核): upheld, or
// withdrawn — a withdrawn suspension reinstates the institution; a withdrawn invalidation is
// recorded, but a revoked certificate stays revoked (the institution reissues it if it should).
func (s *Service) ReviewDecision(ctx context.Context, id uuid.UUID, outcome, note string) (Decision, error) {
	note = strings.TrimSpace(note)
	var v platform.Validation
	v.Check(outcome == "upheld" || outcome == "withdrawn", "outcome", "invalid", "outcome must be upheld or withdrawn")
	v.Check(note != "" && utf8.RuneCountInString(note) <= 5000, "note", "required", "a note of 1–5000 characters is required")
	if err := v.Err(); err != nil {
		return Decision{}, err
	}
	var out Decision
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row := new(decisionRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", j.regulator.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrDecisionNotFound
			}
			return err
		}
		if !j.has(row.InstitutionID) {
			return ErrDecisionNotFound
		}
		inst, err := s.dir.ByID(ctx, row.InstitutionID)
		if err != nil {
			return err
		}
		var cp institutionDecisionRow
		err = tenants.As(ctx, tx, scopeOf(inst), func(ctx context.Context) error {
			return tx.NewSelect().Model(&cp).Where("tenant_id = ?", inst.ID).Where("id = ?", id).Scan(ctx)
		})
		if err != nil {
			return err
		}
		if cp.ReviewRequestedAt == nil {
			return platform.Conflict("invalid_state", "the institution has not asked for a review of this decision")
		}
		if row.ReviewOutcome != "" {
			return platform.Conflict("invalid_state", "this review is already decided")
		}
		now := s.now()
		if outcome == "withdrawn" && DecisionKind(row.Kind) == DecisionSuspend && inst.Status == tenants.StatusSuspended {
			if err := s.dir.SetStatus(ctx, tx, inst.ID, tenants.StatusActive, "suspension withdrawn on review: "+note); err != nil {
				return err
			}
		}
		row.ReviewOutcome, row.ReviewNote, row.ReviewedAt = outcome, note, &now
		if _, err := tx.NewUpdate().Model(row).Column("review_outcome", "review_note", "reviewed_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "oversight.decision.review", TargetType: "decision", TargetID: id.String(),
			After: map[string]any{"outcome": outcome, "note": note}}); err != nil {
			return err
		}
		cp.ReviewOutcome, cp.ReviewNote, cp.ReviewedAt = outcome, note, &now
		out = regulatorView(row, &cp)
		return tenants.As(ctx, tx, scopeOf(inst), func(ctx context.Context) error {
			if _, err := tx.NewUpdate().Model(&cp).Column("review_outcome", "review_note", "reviewed_at").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "decision.reviewed", TargetType: "decision", TargetID: id.String(),
				After: map[string]any{"outcome": outcome, "note": note}}); err != nil {
				return err
			}
			_, err := reports.Emit(ctx, tx, reports.DecisionMade, "decision", id.String(), decisionReport{Event: "reviewed", ID: id,
				RegulatorID: row.TenantID, RegulatorName: cp.RegulatorName, InstitutionID: inst.ID, Kind: row.Kind,
				CertificateNumber: row.CertificateNumber, Reason: row.Reason, DecidedAt: row.DecidedAt.UTC(), ReviewOutcome: outcome, ReviewedAt: &now})
			return err
		})
	})
	return out, err
}

// InstitutionDecisions pages the decisions regulators made about the institution in ctx, newest
// first, with their facts and reasons.
func (s *Service) InstitutionDecisions(ctx context.Context, req platform.PageRequest) (platform.Page[Decision], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Decision]{}, err
	}
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return platform.Page[Decision]{}, err
	}
	var out []Decision
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var rows []institutionDecisionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID)
		if after.id != uuid.Nil {
			q = q.Where("(decided_at, id) < (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("decided_at DESC, id DESC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].decision())
		}
		return nil
	})
	return platform.CutPage(out, req, decisionCursor), err
}

func getCopy(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID) (*institutionDecisionRow, error) {
	row := new(institutionDecisionRow)
	if err := tx.NewSelect().Model(row).Where("tenant_id = ?", tenantID).Where("id = ?", id).Scan(ctx); err != nil {
		if tenants.IsNoRows(err) {
			return nil, ErrDecisionNotFound
		}
		return nil, err
	}
	return row, nil
}

// InstitutionDecision returns one decision about the institution in ctx.
func (s *Service) InstitutionDecision(ctx context.Context, id uuid.UUID) (Decision, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Decision{}, err
	}
	var out Decision
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := getCopy(ctx, tx, scope.TenantID, id)
		if err == nil {
			out = row.decision()
		}
		return err
	})
	return out, err
}

// Answer is an institution's statement (陈述申辩) or review request (复核) on a decision.
type Answer string

// Answers.
const (
	AnswerStatement     Answer = "statement"
	AnswerReviewRequest Answer = "review_request"
)

// AnswerDecision records the institution's statement or its request for review of a decision, once
// each: its record, audited in its log; the regulator reads it in oversight.
func (s *Service) AnswerDecision(ctx context.Context, id uuid.UUID, kind Answer, text string) (Decision, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Decision{}, err
	}
	text = strings.TrimSpace(text)
	var v platform.Validation
	field := "statement"
	if kind == AnswerReviewRequest {
		field = "reason"
	}
	v.Check(text != "" && utf8.RuneCountInString(text) <= 10000, field, "required", "a text of 1–10000 characters is required")
	if err := v.Err(); err != nil {
		return Decision{}, err
	}
	var out Decision
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := getCopy(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		now := s.now()
		switch kind {
		case AnswerStatement:
			if row.StatementAt != nil {
				return platform.Conflict("invalid_state", "a statement on this decision was already made")
			}
			if row.ReviewOutcome != "" {
				return platform.Conflict("invalid_state", "the decision's review is already decided")
			}
			row.Statement, row.StatementAt = text, &now
			_, err = tx.NewUpdate().Model(row).Column("statement", "statement_at").WherePK().Exec(ctx)
		case AnswerReviewRequest:
			if row.ReviewRequestedAt != nil {
				return platform.Conflict("invalid_state", "a review of this decision was already requested")
			}
			row.ReviewReason, row.ReviewRequestedAt = text, &now
			_, err = tx.NewUpdate().Model(row).Column("review_reason", "review_requested_at").WherePK().Exec(ctx)
		default:
			return platform.E(platform.KindInternal, "internal", "unknown answer kind")
		}
		if err != nil {
			return err
		}
		out = row.decision()
		return audit.Record(ctx, tx, audit.Event{Action: "decision." + string(kind), TargetType: "decision", TargetID: id.String(),
			After: map[string]any{field: text}})
	})
	return out, err
}
