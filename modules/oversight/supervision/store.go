package supervision

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

type inspectionRow struct {
	bun.BaseModel `bun:"table:oversight_inspections"`

	TenantID      uuid.UUID   `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID   `bun:"id,pk,type:uuid"`
	InstitutionID uuid.UUID   `bun:"institution_id,type:uuid"`
	Kind          string      `bun:"kind"`
	Status        string      `bun:"status"`
	Title         string      `bun:"title"`
	ScheduledOn   *time.Time  `bun:"scheduled_on"`
	InspectorIDs  []uuid.UUID `bun:"inspector_ids,type:jsonb"`
	Conclusion    string      `bun:"conclusion"`
	SamplingID    *uuid.UUID  `bun:"sampling_id,type:uuid"`
	CreatedBy     *uuid.UUID  `bun:"created_by,type:uuid"`
	CreatedAt     time.Time   `bun:"created_at"`
	UpdatedAt     time.Time   `bun:"updated_at"`
	ClosedAt      *time.Time  `bun:"closed_at"`
}

func (r *inspectionRow) inspection() Inspection {
	ids := r.InspectorIDs
	if ids == nil {
		ids = []uuid.UUID{}
	}
	return Inspection{ID: r.ID, InstitutionID: r.InstitutionID, Kind: r.Kind, Status: r.Status, Title: r.Title,
		ScheduledOn: core.UTCPtr(r.ScheduledOn), InspectorIDs: ids, Conclusion: r.Conclusion, SamplingID: r.SamplingID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ClosedAt: core.UTCPtr(r.ClosedAt), Findings: []Finding{}}
}

type findingRow struct {
	bun.BaseModel `bun:"table:oversight_findings"`

	TenantID     uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID           uuid.UUID  `bun:"id,pk,type:uuid"`
	InspectionID uuid.UUID  `bun:"inspection_id,type:uuid"`
	Severity     string     `bun:"severity"`
	Description  string     `bun:"description"`
	Requirement  string     `bun:"requirement"`
	Deadline     *time.Time `bun:"deadline"`
	ResolvedAt   *time.Time `bun:"resolved_at"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

func (r *findingRow) finding() Finding {
	return Finding{ID: r.ID, InspectionID: r.InspectionID, Severity: r.Severity, Description: r.Description, Requirement: r.Requirement,
		Deadline: core.UTCPtr(r.Deadline), ResolvedAt: core.UTCPtr(r.ResolvedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type samplingRow struct {
	bun.BaseModel `bun:"table:oversight_samplings"`

	TenantID              uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID                    uuid.UUID       `bun:"id,pk,type:uuid"`
	Seed                  string          `bun:"seed"`
	Method                string          `bun:"method"`
	Parameters            json.RawMessage `bun:"parameters,type:jsonb,nullzero"`
	Algorithm             string          `bun:"algorithm"`
	InstitutionsRequested int             `bun:"institutions_requested"`
	InspectorsRequested   int             `bun:"inspectors_requested"`
	InstitutionPopulation json.RawMessage `bun:"institution_population,type:jsonb"`
	InspectorPopulation   json.RawMessage `bun:"inspector_population,type:jsonb"`
	Result                json.RawMessage `bun:"result,type:jsonb"`
	CreatedBy             *uuid.UUID      `bun:"created_by,type:uuid"`
	CreatedAt             time.Time       `bun:"created_at"`
}

type samplingResult struct {
	Institutions []SamplingMember     `json:"institutions"`
	Inspectors   []SamplingMember     `json:"inspectors"`
	Assignments  []SamplingAssignment `json:"assignments"`
}

func (r *samplingRow) sampling() Sampling {
	out := Sampling{ID: r.ID, RegulatorID: r.TenantID, Seed: r.Seed, Method: r.Method, Algorithm: r.Algorithm, InstitutionsRequested: r.InstitutionsRequested,
		InspectorsRequested: r.InspectorsRequested, CreatedAt: r.CreatedAt.UTC()}
	if out.Method == "" {
		out.Method = MethodRandom
	}
	if len(r.Parameters) > 0 && string(r.Parameters) != "null" {
		out.Parameters = new(RiskParameters)
		_ = json.Unmarshal(r.Parameters, out.Parameters)
	}
	_ = json.Unmarshal(r.InstitutionPopulation, &out.InstitutionPopulation)
	_ = json.Unmarshal(r.InspectorPopulation, &out.InspectorPopulation)
	var res samplingResult
	_ = json.Unmarshal(r.Result, &res)
	out.Institutions, out.Inspectors, out.Assignments = res.Institutions, res.Inspectors, res.Assignments
	return out
}

type complaintRow struct {
	bun.BaseModel `bun:"table:oversight_complaints"`

	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	Ref           uuid.UUID `bun:"ref,type:uuid"`
	InstitutionID uuid.UUID `bun:"institution_id,type:uuid"`
	Content       string    `bun:"content"`
	Contact       string    `bun:"contact"`
	Status        string    `bun:"status"`
	Note          string    `bun:"note"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r *complaintRow) complaint() Complaint {
	return Complaint{ID: r.ID, Ref: r.Ref, InstitutionID: r.InstitutionID, Content: r.Content, Contact: r.Contact, Status: r.Status,
		Note: r.Note, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func getInspection(ctx context.Context, tx bun.IDB, regID, id uuid.UUID) (*inspectionRow, error) {
	row := new(inspectionRow)
	if err := tx.NewSelect().Model(row).Where("tenant_id = ?", regID).Where("id = ?", id).Scan(ctx); err != nil {
		if tenants.IsNoRows(err) {
			return nil, ErrInspectionNotFound
		}
		return nil, err
	}
	return row, nil
}

func findingsOf(ctx context.Context, tx bun.IDB, regID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]Finding, error) {
	out := map[uuid.UUID][]Finding{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []findingRow
	if err := tx.NewSelect().Model(&rows).Where("tenant_id = ?", regID).Where("inspection_id IN (?)", bun.In(ids)).
		OrderExpr("created_at ASC, id ASC").Scan(ctx); err != nil {
		return nil, err
	}
	for i := range rows {
		out[rows[i].InspectionID] = append(out[rows[i].InspectionID], rows[i].finding())
	}
	return out, nil
}

func getFinding(ctx context.Context, tx bun.IDB, regID, inspectionID, id uuid.UUID) (*findingRow, error) {
	row := new(findingRow)
	if err := tx.NewSelect().Model(row).Where("tenant_id = ?", regID).Where("inspection_id = ?", inspectionID).Where("id = ?", id).Scan(ctx); err != nil {
		if tenants.IsNoRows(err) {
			return nil, ErrFindingNotFound
		}
		return nil, err
	}
	return row, nil
}

// checkInspectors refuses inspector ids that are not active users of the regulator (identity's
// users table, pinned by schema_pin_test.go).
func checkInspectors(ctx context.Context, tx bun.IDB, regID uuid.UUID, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := tx.NewSelect().TableExpr("users").Where("tenant_id = ?", regID).Where("id IN (?)", bun.In(ids)).
		Where("status = 'active'").Count(ctx)
	if err != nil {
		return err
	}
	if n != int64(len(dedupe(ids))) {
		var v platform.Validation
		v.Add("inspector_ids", "unknown_user", "every inspector must be an active user of your bureau")
		return v.Err()
	}
	return nil
}

// inspectors is the population of a draw: the regulator's active users holding the role inspector
// (identity's users and user_roles tables, pinned by schema_pin_test.go).
func inspectors(ctx context.Context, tx bun.IDB, regID uuid.UUID) ([]SamplingMember, error) {
	var out []SamplingMember
	err := tx.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.display_name AS name").
		Where("u.tenant_id = ?", regID).Where("u.status = 'active'").
		Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id AND r.role = 'inspector')").
		Scan(ctx, &out)
	return out, err
}

// newestFirst is the order of the lists: latest created first.
var newestFirst = core.Keyset{Column: "created_at", Desc: true}
