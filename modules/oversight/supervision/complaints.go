package supervision

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Complain files a public complaint about an institution with every regulator whose jurisdiction
// covers the institution's region (each gets its own copy, in its own tenant, under one reference).
func (s *Service) Complain(ctx context.Context, in ComplaintInput) (ComplaintReceipt, error) {
	if err := in.Validate(); err != nil {
		return ComplaintReceipt{}, err
	}
	inst, err := s.deps.Tenants.BySlug(ctx, in.InstitutionSlug)
	if err != nil || !inst.Kind.IsInstitution() {
		return ComplaintReceipt{}, core.ErrInstitutionNotFound
	}
	var regs []tenants.Tenant
	if err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) (err error) {
		regs, err = core.RegulatorsCovering(ctx, tx, inst.RegionCode)
		return err
	}); err != nil {
		return ComplaintReceipt{}, err
	}
	if len(regs) == 0 {
		return ComplaintReceipt{}, ErrNoRegulator
	}
	now := s.base.Now()
	rec := ComplaintReceipt{Ref: uuid.New(), ReceivedAt: now, Regulators: len(regs)}
	actx := tenants.WithActor(tenants.WithScope(ctx, core.ScopeOf(regs[0])), tenants.Actor{Name: "public:complaint"})
	err = tenants.WithTx(actx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		for _, r := range regs {
			err := tenants.As(ctx, tx, core.ScopeOf(r), func(ctx context.Context) error {
				row := &complaintRow{TenantID: r.ID, ID: uuid.New(), Ref: rec.Ref, InstitutionID: inst.ID, Content: in.Content,
					Contact: in.Contact, Status: ComplaintReceived, CreatedAt: now, UpdatedAt: now}
				if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
					return err
				}
				return audit.Record(ctx, tx, audit.Event{Action: "oversight.complaint.receive", TargetType: "complaint", TargetID: row.ID.String(),
					After: map[string]any{"ref": rec.Ref, "institution_id": inst.ID}})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return rec, err
}

// Complaints pages the complaints the regulator in ctx received, newest first.
func (s *Service) Complaints(ctx context.Context, f ComplaintFilter, req platform.PageRequest) (platform.Page[Complaint], error) {
	var out []Complaint
	err := s.base.ReadPage(ctx, req.Cursor, tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []complaintRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if err := newestFirst.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].complaint())
		}
		return nil
	})
	return platform.CutPage(out, req, func(x Complaint) string { return platform.EncodeCursor(x.CreatedAt, x.ID) }), err
}

// UpdateComplaint moves a complaint along (received → investigating → closed) with a note.
func (s *Service) UpdateComplaint(ctx context.Context, id uuid.UUID, status, note string) (Complaint, error) {
	var v platform.Validation
	v.Check(status == ComplaintReceived || status == ComplaintInvestigating || status == ComplaintClosed, "status", "invalid",
		"status must be received, investigating or closed")
	v.Check(len([]rune(note)) <= 5000, "note", "too_long", "at most 5000 characters")
	if err := v.Err(); err != nil {
		return Complaint{}, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return Complaint{}, err
	}
	var out Complaint
	err = tenants.WithTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		row := new(complaintRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", scope.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrComplaintNotFound
			}
			return err
		}
		before := map[string]any{"status": row.Status, "note": row.Note}
		row.Status, row.Note, row.UpdatedAt = status, note, s.base.Now()
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.complaint()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.complaint.update", TargetType: "complaint", TargetID: id.String(),
			Before: before, After: map[string]any{"status": status, "note": note}})
	})
	return out, err
}
