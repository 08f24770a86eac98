package supervision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

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
	// A risk-weighted draw first reads the signals in the oversight transaction (the institutions'
	// records are readable only there); the weights are recorded with the draw, so the draw is
	// reproducible from what is recorded whatever the signals become later.
	var risks map[uuid.UUID]map[string]int
	var params *RiskParameters
	if in.Method == MethodRiskWeighted {
		p := DefaultRiskParameters()
		err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
			risks, p.Window, err = s.riskCounts(ctx, tx, j)
			return err
		})
		if err != nil {
			return Sampling{}, err
		}
		params = &p
	}
	var out Sampling
	err := s.base.RegulatorWrite(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		names, err := core.Tenants(ctx, tx, j.IDs)
		if err != nil {
			return err
		}
		var instPop []SamplingMember
		for _, id := range j.IDs {
			if t := names[id]; t.Status != tenants.StatusDisabled {
				m := SamplingMember{ID: id, Name: t.Name}
				if params != nil {
					m.Weight, m.Signals = RiskWeight(*params, risks[id])
				}
				instPop = append(instPop, m)
			}
		}
		inspPop, err := inspectors(ctx, tx, j.Regulator.TenantID)
		if err != nil {
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
		algorithm := SamplingAlgorithm
		var keyedInst, drawnInst []SamplingMember
		if params != nil {
			algorithm = RiskSamplingAlgorithm
			keyedInst, drawnInst = WeightedDraw(in.Seed, instPop, in.Institutions)
		} else {
			keyedInst, drawnInst = Draw(in.Seed, "institution", instPop, in.Institutions)
		}
		keyedInsp, drawnInsp := Draw(in.Seed, "inspector", inspPop, in.Inspectors)
		now := s.base.Now()
		id := uuid.New()
		title := in.Title
		if title == "" {
			title = "双随机抽查 " + now.In(core.CST).Format(time.DateOnly)
		}
		res := samplingResult{Institutions: drawnInst, Inspectors: drawnInsp}
		for k, team := range assign(len(drawnInst), len(drawnInsp)) {
			ids := make([]uuid.UUID, len(team))
			for i, jx := range team {
				ids[i] = drawnInsp[jx].ID
			}
			sid := id
			insp := &inspectionRow{TenantID: j.Regulator.TenantID, ID: uuid.New(), InstitutionID: drawnInst[k].ID, Kind: in.Kind,
				Status: InspectionPlanned, Title: title, InspectorIDs: ids, SamplingID: &sid, CreatedBy: core.ActorID(ctx), CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(insp).Exec(ctx); err != nil {
				return err
			}
			res.Assignments = append(res.Assignments, SamplingAssignment{InstitutionID: drawnInst[k].ID, InstitutionName: drawnInst[k].Name,
				InspectorIDs: ids, InspectionID: insp.ID})
		}
		ip, _ := json.Marshal(keyedInst)
		sp, _ := json.Marshal(keyedInsp)
		rs, _ := json.Marshal(res)
		var pp json.RawMessage
		if params != nil {
			pp, _ = json.Marshal(params)
		}
		row := &samplingRow{TenantID: j.Regulator.TenantID, ID: id, Seed: in.Seed, Method: in.Method, Parameters: pp, Algorithm: algorithm,
			InstitutionsRequested: in.Institutions, InspectorsRequested: in.Inspectors, InstitutionPopulation: ip,
			InspectorPopulation: sp, Result: rs, CreatedBy: core.ActorID(ctx), CreatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.sampling()
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.sampling.draw", TargetType: "sampling", TargetID: id.String(),
			After: map[string]any{"seed": in.Seed, "method": in.Method, "institutions": in.Institutions, "inspectors": in.Inspectors, "result": res}})
	})
	return out, err
}

// Samplings pages the regulator's draws, newest first.
func (s *Service) Samplings(ctx context.Context, req platform.PageRequest) (platform.Page[Sampling], error) {
	var out []Sampling
	err := s.base.ReadPage(ctx, req.Cursor, tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []samplingRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if err := newestFirst.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
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
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		row := new(samplingRow)
		if err := tx.NewSelect().Model(row).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrSamplingNotFound
			}
			return err
		}
		out = row.sampling()
		// The public sees the weights (enough to repeat the draw), not the signals behind them.
		for _, list := range [][]SamplingMember{out.InstitutionPopulation, out.Institutions} {
			for i := range list {
				list[i].Signals = nil
			}
		}
		reg, err := core.GetTenant(ctx, tx, row.TenantID)
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

// Sampling returns one of the regulator's draws with everything recorded: seed, method, parameters,
// populations (with each institution's weight and signals), results.
func (s *Service) Sampling(ctx context.Context, id uuid.UUID) (Sampling, error) {
	var out Sampling
	err := s.base.ReadPage(ctx, "", tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, _ core.TimeKey) error {
		row := new(samplingRow)
		if err := tx.NewSelect().Model(row).Where("tenant_id = ?", tenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrSamplingNotFound
			}
			return err
		}
		out = row.sampling()
		return nil
	})
	return out, err
}

// Reproduce repeats one of the regulator's draws from what was recorded — seed, method, the
// population with its weights, the numbers asked for — and compares the result with the recorded
// one: anyone holding the published record gets the same.
func (s *Service) Reproduce(ctx context.Context, id uuid.UUID) (Reproduction, error) {
	sm, err := s.Sampling(ctx, id)
	if err != nil {
		return Reproduction{}, err
	}
	return ReproduceDraw(sm), nil
}

// ReproduceDraw repeats a recorded draw from its recorded inputs alone.
func ReproduceDraw(sm Sampling) Reproduction {
	pop := make([]SamplingMember, len(sm.InstitutionPopulation))
	for i, m := range sm.InstitutionPopulation {
		pop[i] = SamplingMember{ID: m.ID, Name: m.Name, Weight: m.Weight, Signals: m.Signals}
	}
	var drawn []SamplingMember
	if sm.Method == MethodRiskWeighted {
		_, drawn = WeightedDraw(sm.Seed, pop, sm.InstitutionsRequested)
	} else {
		_, drawn = Draw(sm.Seed, "institution", pop, sm.InstitutionsRequested)
	}
	insp := make([]SamplingMember, len(sm.InspectorPopulation))
	for i, m := range sm.InspectorPopulation {
		insp[i] = SamplingMember{ID: m.ID, Name: m.Name}
	}
	_, drawnInsp := Draw(sm.Seed, "inspector", insp, sm.InspectorsRequested)
	same := func(a, b []SamplingMember) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i].ID != b[i].ID || a[i].Key != b[i].Key {
				return false
			}
		}
		return true
	}
	return Reproduction{SamplingID: sm.ID, Seed: sm.Seed, Method: sm.Method, Algorithm: sm.Algorithm,
		Identical: same(drawn, sm.Institutions) && same(drawnInsp, sm.Inspectors), Recorded: sm.Institutions, Recomputed: drawn,
		Inspectors: same(drawnInsp, sm.Inspectors)}
}
