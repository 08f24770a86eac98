package oversight

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
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
		ScheduledOn: utcPtr(r.ScheduledOn), InspectorIDs: ids, Conclusion: r.Conclusion, SamplingID: r.SamplingID,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ClosedAt: utcPtr(r.ClosedAt), Findings: []Finding{}}
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
		Deadline: utcPtr(r.Deadline), ResolvedAt: utcPtr(r.ResolvedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func actorID(ctx context.Context) *uuid.UUID {
	a := tenants.ActorFrom(ctx)
	if a.UserID == uuid.Nil {
		return nil
	}
	id := a.UserID
	return &id
}

// regulatorWrite runs fn in a read-write transaction of the regulator in ctx, with its jurisdiction
// (for checking that an institution named in the input is one it oversees).
func (s *Service) regulatorWrite(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, j jurisdiction) error) error {
	j, err := s.jurisdictionOf(ctx)
	if err != nil {
		return err
	}
	return tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx, j) })
}

// checkInspectors refuses inspector ids that are not active users of the regulator.
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

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// CreateInspection plans an inspection of an institution in jurisdiction.
func (s *Service) CreateInspection(ctx context.Context, in InspectionInput) (Inspection, error) {
	if err := in.Validate(); err != nil {
		return Inspection{}, err
	}
	var out Inspection
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		if err := j.require(in.InstitutionID); err != nil {
			return err
		}
		ids := dedupe(in.InspectorIDs)
		if err := checkInspectors(ctx, tx, j.regulator.TenantID, ids); err != nil {
			return err
		}
		now := s.now()
		row := &inspectionRow{TenantID: j.regulator.TenantID, ID: uuid.New(), InstitutionID: in.InstitutionID, Kind: in.Kind,
			Status: InspectionPlanned, Title: in.Title, ScheduledOn: in.ScheduledOn, InspectorIDs: ids, CreatedBy: actorID(ctx),
			CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.inspection()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.inspection.create", TargetType: "inspection", TargetID: row.ID.String(), After: out})
	})
	return out, err
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

// Inspection returns one of the regulator's inspections with its findings.
func (s *Service) Inspection(ctx context.Context, id uuid.UUID) (Inspection, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return Inspection{}, err
	}
	var out Inspection
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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

// InspectionFilter narrows the inspection listing.
type InspectionFilter struct {
	InstitutionID uuid.UUID
	Status        string
	Kind          string
}

// Inspections pages the regulator's inspections, newest first, with their findings.
func (s *Service) Inspections(ctx context.Context, f InspectionFilter, req platform.PageRequest) (platform.Page[Inspection], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Inspection]{}, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return platform.Page[Inspection]{}, err
	}
	var out []Inspection
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var rows []inspectionRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if after.id != uuid.Nil {
			q = q.Where("(created_at, id) < (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		fs, err := findingsOf(ctx, tx, scope.TenantID, ids)
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
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row, err := getInspection(ctx, tx, j.regulator.TenantID, id)
		if err != nil {
			return err
		}
		before := row.inspection()
		now := s.now()
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
			if err := checkInspectors(ctx, tx, j.regulator.TenantID, ids); err != nil {
				return err
			}
			row.InspectorIDs = ids
		}
		row.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.inspection()
		fs, err := findingsOf(ctx, tx, j.regulator.TenantID, []uuid.UUID{id})
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
	return s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row, err := getInspection(ctx, tx, j.regulator.TenantID, id)
		if err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*findingRow)(nil)).Where("tenant_id = ?", j.regulator.TenantID).Where("inspection_id = ?", id).Count(ctx)
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
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		if _, err := getInspection(ctx, tx, j.regulator.TenantID, inspectionID); err != nil {
			return err
		}
		now := s.now()
		row := &findingRow{TenantID: j.regulator.TenantID, ID: uuid.New(), InspectionID: inspectionID, Severity: in.Severity,
			Description: in.Description, Requirement: in.Requirement, Deadline: in.Deadline, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.finding()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.finding.create", TargetType: "finding", TargetID: row.ID.String(), After: out})
	})
	return out, err
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

// UpdateFinding changes a finding (Resolved true marks it fixed, false reopens it).
func (s *Service) UpdateFinding(ctx context.Context, inspectionID, id uuid.UUID, p FindingPatch) (Finding, error) {
	if err := p.Validate(); err != nil {
		return Finding{}, err
	}
	var out Finding
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row, err := getFinding(ctx, tx, j.regulator.TenantID, inspectionID, id)
		if err != nil {
			return err
		}
		before := row.finding()
		now := s.now()
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
	return s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		row, err := getFinding(ctx, tx, j.regulator.TenantID, inspectionID, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.finding.delete", TargetType: "finding", TargetID: id.String(), Before: row.finding()})
	})
}

// SamplingAlgorithm documents the draw so that anyone can repeat it from the published seed and
// populations.
const SamplingAlgorithm = "double-random/hmac-sha256/v1: " +
	"every member of a population gets the key hex(HMAC-SHA256(key = the seed's UTF-8 bytes, message = \"institution:\" or \"inspector:\" followed by the member's id in lower-case canonical UUID form)); " +
	"members are sorted by key (ties by id) and the first N institutions and first M inspectors are drawn. " +
	"The institution population is every institution in the regulator's jurisdiction that is not disabled at the time of the draw; " +
	"the inspector population is every active user of the regulator holding the role inspector. " +
	"Drawn institution k (0-based, in key order) is assigned drawn inspector k mod M and every drawn inspector j with j mod N = k."

// drawKey is a member's key in a draw.
func drawKey(seed, kind string, id uuid.UUID) string {
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte(kind + ":" + id.String()))
	return hex.EncodeToString(m.Sum(nil))
}

// Draw orders a population by draw key (SamplingAlgorithm) and returns it with the first n.
func Draw(seed, kind string, members []SamplingMember, n int) (keyed, drawn []SamplingMember) {
	keyed = make([]SamplingMember, len(members))
	for i, m := range members {
		m.Key = drawKey(seed, kind, m.ID)
		keyed[i] = m
	}
	sort.Slice(keyed, func(i, j int) bool {
		if keyed[i].Key != keyed[j].Key {
			return keyed[i].Key < keyed[j].Key
		}
		return keyed[i].ID.String() < keyed[j].ID.String()
	})
	return keyed, append([]SamplingMember(nil), keyed[:min(n, len(keyed))]...)
}

// assign gives drawn institution k inspector k mod M and every inspector j with j mod N = k.
func assign(nInst, nInsp int) [][]int {
	out := make([][]int, nInst)
	for k := 0; k < nInst; k++ {
		set := map[int]bool{k % nInsp: true}
		for j := k; j < nInsp; j += nInst {
			set[j] = true
		}
		for j := range set {
			out[k] = append(out[k], j)
		}
		sort.Ints(out[k])
	}
	return out
}

type samplingRow struct {
	bun.BaseModel `bun:"table:oversight_samplings"`

	TenantID              uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID                    uuid.UUID       `bun:"id,pk,type:uuid"`
	Seed                  string          `bun:"seed"`
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
	out := Sampling{ID: r.ID, RegulatorID: r.TenantID, Seed: r.Seed, Algorithm: r.Algorithm, InstitutionsRequested: r.InstitutionsRequested,
		InspectorsRequested: r.InspectorsRequested, CreatedAt: r.CreatedAt.UTC()}
	_ = json.Unmarshal(r.InstitutionPopulation, &out.InstitutionPopulation)
	_ = json.Unmarshal(r.InspectorPopulation, &out.InspectorPopulation)
	var res samplingResult
	_ = json.Unmarshal(r.Result, &res)
	out.Institutions, out.Inspectors, out.Assignments = res.Institutions, res.Inspectors, res.Assignments
	return out
}

// Sample draws institutions and inspectors at random from a recorded seed (双随机), plans one
// inspection per drawn institution with its assigned inspectors, and records the draw; the draw, its
// seed, algorithm, populations and results are public (PublicSampling), so anyone can re-draw.
func (s *Service) Sample(ctx context.Context, in SamplingInput) (Sampling, error) {
	if err := in.Validate(); err != nil {
		return Sampling{}, err
	}
	if in.Seed == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Sampling{}, err
		}
		in.Seed = hex.EncodeToString(b[:])
	}
	var out Sampling
	err := s.regulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j jurisdiction) error {
		names, err := institutionNames(ctx, tx, j.ids)
		if err != nil {
			return err
		}
		var instPop []SamplingMember
		for _, id := range j.ids {
			if t := names[id]; t.Status != string(tenants.StatusDisabled) {
				instPop = append(instPop, SamplingMember{ID: id, Name: t.Name})
			}
		}
		var inspPop []SamplingMember
		if err := tx.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.display_name AS name").
			Where("u.tenant_id = ?", j.regulator.TenantID).Where("u.status = 'active'").
			Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.tenant_id = u.tenant_id AND r.user_id = u.id AND r.role = 'inspector')").
			Scan(ctx, &inspPop); err != nil {
			return err
		}
		var v platform.Validation
		v.Check(in.Institutions <= len(instPop), "institutions", "population_too_small",
			fmt.Sprintf("only %d institutions can be drawn in your jurisdiction", len(instPop)))
		v.Check(in.Inspectors <= len(inspPop), "inspectors", "population_too_small",
			fmt.Sprintf("only %d active inspectors can be drawn", len(inspPop)))
		if err := v.Err(); err != nil {
			return err
		}
		keyedInst, drawnInst := Draw(in.Seed, "institution", instPop, in.Institutions)
		keyedInsp, drawnInsp := Draw(in.Seed, "inspector", inspPop, in.Inspectors)
		now := s.now()
		id := uuid.New()
		title := in.Title
		if title == "" {
			title = "双随机抽查 " + now.In(cst).Format(time.DateOnly)
		}
		res := samplingResult{Institutions: drawnInst, Inspectors: drawnInsp}
		for k, team := range assign(len(drawnInst), len(drawnInsp)) {
			ids := make([]uuid.UUID, len(team))
			for i, jx := range team {
				ids[i] = drawnInsp[jx].ID
			}
			sid := id
			insp := &inspectionRow{TenantID: j.regulator.TenantID, ID: uuid.New(), InstitutionID: drawnInst[k].ID, Kind: in.Kind,
				Status: InspectionPlanned, Title: title, InspectorIDs: ids, SamplingID: &sid, CreatedBy: actorID(ctx), CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(insp).Exec(ctx); err != nil {
				return err
			}
			res.Assignments = append(res.Assignments, SamplingAssignment{InstitutionID: drawnInst[k].ID, InstitutionName: drawnInst[k].Name,
				InspectorIDs: ids, InspectionID: insp.ID})
		}
		ip, _ := json.Marshal(keyedInst)
		sp, _ := json.Marshal(keyedInsp)
		rs, _ := json.Marshal(res)
		row := &samplingRow{TenantID: j.regulator.TenantID, ID: id, Seed: in.Seed, Algorithm: SamplingAlgorithm,
			InstitutionsRequested: in.Institutions, InspectorsRequested: in.Inspectors, InstitutionPopulation: ip,
			InspectorPopulation: sp, Result: rs, CreatedBy: actorID(ctx), CreatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.sampling()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sampling.draw", TargetType: "sampling", TargetID: id.String(),
			After: map[string]any{"seed": in.Seed, "institutions": in.Institutions, "inspectors": in.Inspectors, "result": res}})
	})
	return out, err
}

// Samplings pages the regulator's draws, newest first.
func (s *Service) Samplings(ctx context.Context, req platform.PageRequest) (platform.Page[Sampling], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Sampling]{}, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return platform.Page[Sampling]{}, err
	}
	var out []Sampling
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var rows []samplingRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID)
		if after.id != uuid.Nil {
			q = q.Where("(created_at, id) < (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].sampling())
		}
		return nil
	})
	return platform.CutPage(out, req, func(s Sampling) string { return platform.EncodeCursor(s.CreatedAt, s.ID) }), err
}

// PublicSampling returns a draw as published (一公开): seed, algorithm, populations, the drawn
// institutions and inspectors, and each inspection's progress, conclusion and number of findings.
func (s *Service) PublicSampling(ctx context.Context, id uuid.UUID) (Sampling, error) {
	var out Sampling
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row := new(samplingRow)
		if err := tx.NewSelect().Model(row).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrSamplingNotFound
			}
			return err
		}
		out = row.sampling()
		reg, err := getInstitution(ctx, tx, row.TenantID)
		if err != nil {
			return err
		}
		out.RegulatorName = reg.Name
		var insps []inspectionRow
		if err := tx.NewSelect().Model(&insps).Where("tenant_id = ?", row.TenantID).Where("sampling_id = ?", id).Scan(ctx); err != nil {
			return err
		}
		byID := map[uuid.UUID]*inspectionRow{}
		ids := make([]uuid.UUID, len(insps))
		for i := range insps {
			byID[insps[i].ID] = &insps[i]
			ids[i] = insps[i].ID
		}
		fs, err := findingsOf(ctx, tx, row.TenantID, ids)
		if err != nil {
			return err
		}
		for i, a := range out.Assignments {
			if in, ok := byID[a.InspectionID]; ok {
				out.Assignments[i].Status = in.Status
				out.Assignments[i].Findings = len(fs[in.ID])
				if in.Status == InspectionClosed {
					out.Assignments[i].Conclusion = in.Conclusion
				}
			}
		}
		return nil
	})
	return out, err
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

// Complain files a public complaint about an institution with every regulator whose jurisdiction
// covers the institution's region (each gets its own copy, in its own tenant, under one reference).
func (s *Service) Complain(ctx context.Context, in ComplaintInput) (ComplaintReceipt, error) {
	if err := in.Validate(); err != nil {
		return ComplaintReceipt{}, err
	}
	inst, err := s.dir.BySlug(ctx, in.InstitutionSlug)
	if err != nil || !inst.Kind.IsInstitution() {
		return ComplaintReceipt{}, ErrInstitutionNotFound
	}
	var regs []tenantRow
	if err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		regs, err = regulatorsCovering(ctx, tx, inst.RegionCode)
		return err
	}); err != nil {
		return ComplaintReceipt{}, err
	}
	if len(regs) == 0 {
		return ComplaintReceipt{}, ErrNoRegulator
	}
	now := s.now()
	rec := ComplaintReceipt{Ref: uuid.New(), ReceivedAt: now, Regulators: len(regs)}
	actx := tenants.WithActor(tenants.WithScope(ctx, regs[0].scope()), tenants.Actor{Name: "public:complaint"})
	err = tenants.WithTx(actx, s.db, func(ctx context.Context, tx bun.Tx) error {
		for _, r := range regs {
			err := tenants.As(ctx, tx, r.scope(), func(ctx context.Context) error {
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

// ComplaintFilter narrows the complaint listing.
type ComplaintFilter struct {
	InstitutionID uuid.UUID
	Status        string
}

// Complaints pages the complaints the regulator in ctx received, newest first.
func (s *Service) Complaints(ctx context.Context, f ComplaintFilter, req platform.PageRequest) (platform.Page[Complaint], error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[Complaint]{}, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return platform.Page[Complaint]{}, err
	}
	var out []Complaint
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var rows []complaintRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if after.id != uuid.Nil {
			q = q.Where("(created_at, id) < (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
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
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row := new(complaintRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", scope.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrComplaintNotFound
			}
			return err
		}
		before := map[string]any{"status": row.Status, "note": row.Note}
		row.Status, row.Note, row.UpdatedAt = status, note, s.now()
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.complaint()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.complaint.update", TargetType: "complaint", TargetID: id.String(),
			Before: before, After: map[string]any{"status": status, "note": note}})
	})
	return out, err
}
