package decisions

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Tenants resolves institutions and changes their status (satisfied by *directory.Service).
type Tenants interface {
	// ByID resolves a tenant; an unknown one is a not_found error.
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
	// SetStatus changes an institution's status inside tx (suspend/reinstate), audited in its log.
	SetStatus(ctx context.Context, tx bun.Tx, id uuid.UUID, status tenants.Status, reason string) error
}

// Revoker revokes an institution's certificate on a regulator's decision, inside the regulator's
// transaction (satisfied by certificates.Service.RevokeForDecision).
type Revoker interface {
	RevokeForDecision(ctx context.Context, tx bun.Tx, institutionID uuid.UUID, number, reason string) error
}

// Deps are what decisions call.
type Deps struct {
	Tenants Tenants // required
	Revoker Revoker // nil: invalidate_certificate decisions answer 503
}

// Service records and applies decisions, and the institutions' answers.
type Service struct {
	base core.Base
	deps Deps
}

// New returns the service.
func New(base core.Base, deps Deps) *Service { return &Service{base: base, deps: deps} }

// Decide records a regulator's decision about an institution in its jurisdiction and has the system
// apply it, all in one transaction: suspend or reinstate the institution (tenant status, audited in
// the institution's log), or revoke one of its certificates (publicly revoked), or order
// rectification by a deadline. The decision is the regulator's record (audited in its log); the
// institution gets a copy with the facts and reasons (audited in its log), and the decision is
// reported through the institution's outbox like any reportable event.
func (s *Service) Decide(ctx context.Context, in Input) (Decision, error) {
	if err := in.Validate(core.DayOf(s.base.Now())); err != nil {
		return Decision{}, err
	}
	var out Decision
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if err := j.Require(in.InstitutionID); err != nil {
			return err
		}
		inst, err := s.deps.Tenants.ByID(ctx, in.InstitutionID)
		if err != nil {
			return err
		}
		reg, err := core.GetTenant(ctx, tx, j.Regulator.TenantID)
		if err != nil {
			return err
		}
		applied := ""
		switch in.Kind {
		case KindSuspend:
			if inst.Status != tenants.StatusActive {
				return platform.Conflict("invalid_state", "only an active institution can be suspended (it is "+string(inst.Status)+")")
			}
			if err := s.deps.Tenants.SetStatus(ctx, tx, inst.ID, tenants.StatusSuspended, in.Reason); err != nil {
				return err
			}
			applied = "institution suspended"
		case KindReinstate:
			if inst.Status != tenants.StatusSuspended {
				return platform.Conflict("invalid_state", "only a suspended institution can be reinstated (it is "+string(inst.Status)+")")
			}
			if err := s.deps.Tenants.SetStatus(ctx, tx, inst.ID, tenants.StatusActive, in.Reason); err != nil {
				return err
			}
			applied = "institution reinstated"
		case KindInvalidateCertificate:
			if s.deps.Revoker == nil {
				return platform.E(platform.KindUnavailable, "unavailable", "certificate revocation is not available")
			}
			if err := s.deps.Revoker.RevokeForDecision(ctx, tx, inst.ID, in.CertificateNumber, in.Reason); err != nil {
				return err
			}
			applied = "certificate " + in.CertificateNumber + " revoked"
		case KindRectify:
			applied = "rectification ordered by " + in.Deadline.Format(time.DateOnly)
		}
		actor := tenants.ActorFrom(ctx)
		now := s.base.Now()
		row := &decisionRow{TenantID: j.Regulator.TenantID, ID: uuid.New(), InstitutionID: inst.ID, Kind: string(in.Kind),
			CertificateNumber: in.CertificateNumber, Facts: in.Facts, Reason: in.Reason, Deadline: in.Deadline,
			DecidedBy: core.ActorID(ctx), DecidedByName: actor.Name, DecidedAt: now}
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
		return tenants.As(ctx, tx, core.ScopeOf(inst), func(ctx context.Context) error {
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
		if t, err := s.deps.Tenants.ByID(ctx, out.InstitutionID); err == nil {
			out.InstitutionStatus = string(t.Status)
		}
	}
	return out, err
}

// List pages the decisions of the regulator in ctx, newest first, with the institutions'
// statements and review requests. ReviewRequested is applied to each page as read (the answer is the
// institution's record), so such a page may hold fewer items than asked for.
func (s *Service) List(ctx context.Context, f Filter, req platform.PageRequest) (platform.Page[Decision], error) {
	after, err := core.DecodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Decision]{}, err
	}
	var out []Decision
	err = s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		var rows []decisionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", j.Regulator.TenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if err := newestFirst.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
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

// Get returns one of the regulator's decisions with the institution's answer.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Decision, error) {
	var out Decision
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row := new(decisionRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", j.Regulator.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
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

// Review records the outcome of a review the institution asked for (复核): upheld, or
// withdrawn — a withdrawn suspension reinstates the institution; a withdrawn invalidation is
// recorded, but a revoked certificate stays revoked (the institution reissues it if it should).
func (s *Service) Review(ctx context.Context, id uuid.UUID, outcome, note string) (Decision, error) {
	note = strings.TrimSpace(note)
	var v platform.Validation
	v.Check(outcome == "upheld" || outcome == "withdrawn", "outcome", "invalid", "outcome must be upheld or withdrawn")
	v.Check(note != "" && utf8.RuneCountInString(note) <= 5000, "note", "required", "a note of 1–5000 characters is required")
	if err := v.Err(); err != nil {
		return Decision{}, err
	}
	var out Decision
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row := new(decisionRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", j.Regulator.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrDecisionNotFound
			}
			return err
		}
		if !j.Has(row.InstitutionID) {
			return ErrDecisionNotFound
		}
		inst, err := s.deps.Tenants.ByID(ctx, row.InstitutionID)
		if err != nil {
			return err
		}
		var cp institutionDecisionRow
		err = tenants.As(ctx, tx, core.ScopeOf(inst), func(ctx context.Context) error {
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
		now := s.base.Now()
		if outcome == "withdrawn" && Kind(row.Kind) == KindSuspend && inst.Status == tenants.StatusSuspended {
			if err := s.deps.Tenants.SetStatus(ctx, tx, inst.ID, tenants.StatusActive, "suspension withdrawn on review: "+note); err != nil {
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
		return tenants.As(ctx, tx, core.ScopeOf(inst), func(ctx context.Context) error {
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

// ForInstitution pages the decisions regulators made about the institution in ctx, newest
// first, with their facts and reasons.
func (s *Service) ForInstitution(ctx context.Context, req platform.PageRequest) (platform.Page[Decision], error) {
	var out []Decision
	err := s.base.ReadPage(ctx, req.Cursor, tenants.InstitutionScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []institutionDecisionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if err := newestFirst.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].decision())
		}
		return nil
	})
	return platform.CutPage(out, req, decisionCursor), err
}

// GetForInstitution returns one decision about the institution in ctx.
func (s *Service) GetForInstitution(ctx context.Context, id uuid.UUID) (Decision, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Decision{}, err
	}
	var out Decision
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		row, err := getCopy(ctx, tx, scope.TenantID, id)
		if err == nil {
			out = row.decision()
		}
		return err
	})
	return out, err
}

// Answer records the institution's statement or its request for review of a decision, once
// each: its record, audited in its log; the regulator reads it in oversight.
func (s *Service) Answer(ctx context.Context, id uuid.UUID, kind Answer, text string) (Decision, error) {
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
	err = tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		row, err := getCopy(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		now := s.base.Now()
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
