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

// CreateInspection plans an inspection of an institution in jurisdiction.
func (s *Service) CreateInspection(ctx context.Context, in InspectionInput) (Inspection, error) {
	if err := in.Validate(); err != nil {
		return Inspection{}, err
	}
	var out Inspection
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if err := j.Require(in.InstitutionID); err != nil {
			return err
		}
		ids := dedupe(in.InspectorIDs)
		if err := checkInspectors(ctx, tx, j.Regulator.TenantID, ids); err != nil {
			return err
		}
		now := s.base.Now()
		row := &inspectionRow{TenantID: j.Regulator.TenantID, ID: uuid.New(), InstitutionID: in.InstitutionID, Kind: in.Kind,
			Status: InspectionPlanned, Title: in.Title, ScheduledOn: in.ScheduledOn, InspectorIDs: ids, CreatedBy: core.ActorID(ctx),
			CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.inspection()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.inspection.create", TargetType: "inspection", TargetID: row.ID.String(), After: out})
	})
	return out, err
}

// Inspection returns one of the regulator's inspections with its findings.
func (s *Service) Inspection(ctx context.Context, id uuid.UUID) (Inspection, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return Inspection{}, err
	}
	var out Inspection
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		row, err := getInspection(ctx, tx, scope.TenantID, id)
		if err != nil {
			return err
		}
		out = row.inspection()
		fs, err := findingsOf(ctx, tx, scope.TenantID, []uuid.UUID{id})
		if fs[id] != nil {
			out.Findings = fs[id]
		}
		return err
	})
	return out, err
}

// Inspections pages the regulator's inspections, newest first, with their findings.
func (s *Service) Inspections(ctx context.Context, f InspectionFilter, req platform.PageRequest) (platform.Page[Inspection], error) {
	var out []Inspection
	err := s.base.ReadPage(ctx, req.Cursor, tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []inspectionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if err := newestFirst.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		fs, err := findingsOf(ctx, tx, tenantID, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			in := rows[i].inspection()
			if fs[in.ID] != nil {
				in.Findings = fs[in.ID]
			}
			out = append(out, in)
		}
		return nil
	})
	return platform.CutPage(out, req, func(i Inspection) string { return platform.EncodeCursor(i.CreatedAt, i.ID) }), err
}

// UpdateInspection changes an inspection. A closed inspection can be reopened (its closing time is
// cleared) but its history stays in the audit log.
func (s *Service) UpdateInspection(ctx context.Context, id uuid.UUID, p InspectionPatch) (Inspection, error) {
	if err := p.Validate(); err != nil {
		return Inspection{}, err
	}
	var out Inspection
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row, err := getInspection(ctx, tx, j.Regulator.TenantID, id)
		if err != nil {
			return err
		}
		before := row.inspection()
		now := s.base.Now()
		if p.Status != nil && *p.Status != row.Status {
			row.Status = *p.Status
			if row.Status == InspectionClosed {
				row.ClosedAt = &now
			} else {
				row.ClosedAt = nil
			}
		}
		if p.Title != nil {
			row.Title = *p.Title
		}
		if p.Conclusion != nil {
			row.Conclusion = *p.Conclusion
		}
		if p.ScheduledOn != nil {
			row.ScheduledOn = p.ScheduledOn
		}
		if p.InspectorIDs != nil {
			ids := dedupe(*p.InspectorIDs)
			if err := checkInspectors(ctx, tx, j.Regulator.TenantID, ids); err != nil {
				return err
			}
			row.InspectorIDs = ids
		}
		row.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.inspection()
		fs, err := findingsOf(ctx, tx, j.Regulator.TenantID, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if fs[id] != nil {
			out.Findings = fs[id]
		}
		before.Findings = nil
		after := out
		after.Findings = nil
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.inspection.update", TargetType: "inspection", TargetID: id.String(),
			Before: before, After: after})
	})
	return out, err
}

// DeleteInspection removes a planned inspection without findings; anything further along is a
// record to keep (close it instead).
func (s *Service) DeleteInspection(ctx context.Context, id uuid.UUID) error {
	return s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row, err := getInspection(ctx, tx, j.Regulator.TenantID, id)
		if err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*findingRow)(nil)).Where("tenant_id = ?", j.Regulator.TenantID).Where("inspection_id = ?", id).Count(ctx)
		if err != nil {
			return err
		}
		if row.Status != InspectionPlanned || n > 0 || row.SamplingID != nil {
			return platform.Conflict("invalid_state", "only a planned inspection without findings, not drawn by sampling, can be deleted; close it instead")
		}
		if _, err := tx.NewDelete().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.inspection.delete", TargetType: "inspection", TargetID: id.String(),
			Before: row.inspection()})
	})
}

// AddFinding records a finding of an inspection.
func (s *Service) AddFinding(ctx context.Context, inspectionID uuid.UUID, in FindingInput) (Finding, error) {
	if err := in.Validate(); err != nil {
		return Finding{}, err
	}
	var out Finding
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if _, err := getInspection(ctx, tx, j.Regulator.TenantID, inspectionID); err != nil {
			return err
		}
		now := s.base.Now()
		row := &findingRow{TenantID: j.Regulator.TenantID, ID: uuid.New(), InspectionID: inspectionID, Severity: in.Severity,
			Description: in.Description, Requirement: in.Requirement, Deadline: in.Deadline, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.finding()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.finding.create", TargetType: "finding", TargetID: row.ID.String(), After: out})
	})
	return out, err
}

// UpdateFinding changes a finding (Resolved true marks it fixed, false reopens it).
func (s *Service) UpdateFinding(ctx context.Context, inspectionID, id uuid.UUID, p FindingPatch) (Finding, error) {
	if err := p.Validate(); err != nil {
		return Finding{}, err
	}
	var out Finding
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row, err := getFinding(ctx, tx, j.Regulator.TenantID, inspectionID, id)
		if err != nil {
			return err
		}
		before := row.finding()
		now := s.base.Now()
		if p.Severity != nil {
			row.Severity = *p.Severity
		}
		if p.Description != nil {
			row.Description = *p.Description
		}
		if p.Requirement != nil {
			row.Requirement = *p.Requirement
		}
		if p.Deadline != nil {
			row.Deadline = p.Deadline
		}
		if p.Resolved != nil {
			switch {
			case *p.Resolved && row.ResolvedAt == nil:
				row.ResolvedAt = &now
			case !*p.Resolved:
				row.ResolvedAt = nil
			}
		}
		row.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.finding()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.finding.update", TargetType: "finding", TargetID: id.String(), Before: before, After: out})
	})
	return out, err
}

// DeleteFinding removes a finding recorded by mistake.
func (s *Service) DeleteFinding(ctx context.Context, inspectionID, id uuid.UUID) error {
	return s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		row, err := getFinding(ctx, tx, j.Regulator.TenantID, inspectionID, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.finding.delete", TargetType: "finding", TargetID: id.String(), Before: row.finding()})
	})
}
