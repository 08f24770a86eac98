package crosscheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/facts"
	"github.com/skillcert/skillcert/modules/oversight/institutions"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// Applications reads the applications still in play across institutions (satisfied by
// institutions.Records).
type Applications interface {
	// OpenApplications calls fn for every application still in play that tx can read.
	OpenApplications(ctx context.Context, tx bun.IDB, fn func(institutions.ApplicationFact) error) error
}

// Deps are what the checks call.
type Deps struct {
	Facts        *facts.Keeper // person keys of applicants
	Applications Applications
}

// Service runs the checks and serves their findings.
type Service struct {
	base core.Base
	deps Deps
}

// New returns the service.
func New(base core.Base, deps Deps) *Service { return &Service{base: base, deps: deps} }

// Run runs the checks the national system makes, over every institution: one person holding
// valid certificates of the same occupation and level from two or more institutions (一人多证), and
// repeat testing (重复考证) — obtaining the same occupation and level again from an institution while
// a certificate of it is still valid, or applying for a level already held. The person is identified
// by the keyed hash of the id type and number only. Each finding is written to every regulator whose
// jurisdiction covers one of the institutions involved, listing only that regulator's own
// institutions' items and counting the others; findings no longer true are resolved. Institutions
// see none of it.
func (s *Service) Run(ctx context.Context) (Result, error) {
	var res Result
	started := s.base.Now()
	var rows []facts.PersonCert
	var apps []institutions.ApplicationFact
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		// Only groups with more than one valid certificate can break the certificate rules; the
		// index on (person_key, occupation_code, level) serves the grouping.
		dup := tx.NewSelect().Model((*facts.PersonCert)(nil)).Column("person_key", "occupation_code", "level").
			Where("person_key <> ''").Where("status = 'issued'").
			GroupExpr("person_key, occupation_code, level").Having("count(*) > 1")
		if err := tx.NewSelect().Model(&rows).
			Where("status = 'issued'").
			Where("(person_key, occupation_code, level) IN (?)", dup).
			OrderExpr("person_key, occupation_code, level, issued_on, number").Scan(ctx); err != nil {
			return err
		}
		return s.deps.Applications.OpenApplications(ctx, tx, func(a institutions.ApplicationFact) error {
			apps = append(apps, a)
			return nil
		})
	})
	if err != nil {
		return res, fmt.Errorf("oversight: cross-check: %w", err)
	}
	var findings []finding
	repeat := map[groupKey]*finding{}
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].PersonKey == rows[i].PersonKey && rows[j].OccupationCode == rows[i].OccupationCode && rows[j].Level == rows[i].Level {
			j++
		}
		group := rows[i:j]
		res.People++
		insts := map[uuid.UUID]int{}
		for _, r := range group {
			insts[r.TenantID]++
		}
		if len(insts) > 1 {
			findings = append(findings, finding{kind: FlagMultipleCertificates, personKey: group[0].PersonKey,
				occupation: group[0].OccupationCode, level: group[0].Level, items: certItems(group)})
			res.MultipleCertificates++
		}
		var again []facts.PersonCert
		for _, r := range group {
			if insts[r.TenantID] > 1 {
				again = append(again, r)
			}
		}
		if len(again) > 0 {
			k := groupKey{group[0].PersonKey, group[0].OccupationCode, group[0].Level}
			repeat[k] = &finding{kind: FlagRepeatTesting, personKey: k.person, occupation: k.occupation, level: k.level, items: certItems(again)}
		}
		i = j
	}
	if err := s.applicationRepeats(ctx, apps, repeat); err != nil {
		return res, err
	}
	for _, f := range repeat {
		findings = append(findings, *f)
		res.RepeatTesting++
	}
	n, err := s.writeFlags(ctx, findings, started)
	res.FlagsWritten = n
	return res, err
}

// applicationRepeats adds to repeat the applications of people for an occupation and level they
// already hold a valid certificate of (issued before they applied).
func (s *Service) applicationRepeats(ctx context.Context, apps []institutions.ApplicationFact, repeat map[groupKey]*finding) error {
	byKey := map[groupKey][]institutions.ApplicationFact{}
	var persons []string
	for _, a := range apps {
		k := groupKey{s.deps.Facts.PersonKey(a.IDType, a.IDNumber), a.OccupationCode, a.Level}
		if k.person == "" {
			continue
		}
		if _, ok := byKey[k]; !ok {
			persons = append(persons, k.person)
		}
		byKey[k] = append(byKey[k], a)
	}
	for len(persons) > 0 {
		chunk := persons[:min(len(persons), 1000)]
		persons = persons[len(chunk):]
		var held []facts.PersonCert
		err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewSelect().Model(&held).Where("person_key IN (?)", bun.In(chunk)).Where("status = 'issued'").
				OrderExpr("issued_on, number").Scan(ctx)
		})
		if err != nil {
			return err
		}
		for _, c := range held {
			k := groupKey{c.PersonKey, c.OccupationCode, c.Level}
			for _, a := range byKey[k] {
				if core.DayOf(a.CreatedAt).Before(c.IssuedOn) {
					continue // applied before obtaining it: not a repeat
				}
				f := repeat[k]
				if f == nil {
					f = &finding{kind: FlagRepeatTesting, personKey: k.person, occupation: k.occupation, level: k.level}
					repeat[k] = f
				}
				f.addItem(findingItem{institution: c.TenantID, FlagItem: FlagItem{InstitutionID: c.TenantID, CertificateNumber: c.Number,
					Status: c.Status, Date: c.IssuedOn.UTC().Format(time.DateOnly)}})
				f.addItem(findingItem{institution: a.InstitutionID, FlagItem: FlagItem{InstitutionID: a.InstitutionID,
					ApplicationID: a.ApplicationID.String(), Status: a.Status, Date: core.DayOf(a.CreatedAt).Format(time.DateOnly)}})
			}
		}
	}
	return nil
}

// writeFlags distributes findings to the regulators concerned and resolves their older flags that
// this run did not confirm.
func (s *Service) writeFlags(ctx context.Context, findings []finding, started time.Time) (int, error) {
	regionOf := map[uuid.UUID]string{}
	regsOf := map[string][]tenants.Tenant{}
	regByID := map[uuid.UUID]tenants.Tenant{}
	perReg := map[uuid.UUID][]flagRow{}
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		ids := map[uuid.UUID]bool{}
		for _, f := range findings {
			for _, it := range f.items {
				ids[it.institution] = true
			}
		}
		list := make([]uuid.UUID, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		names, err := core.Tenants(ctx, tx, list)
		if err != nil {
			return err
		}
		for id, t := range names {
			regionOf[id] = t.RegionCode
			if _, ok := regsOf[t.RegionCode]; !ok {
				rs, err := core.RegulatorsCovering(ctx, tx, t.RegionCode)
				if err != nil {
					return err
				}
				regsOf[t.RegionCode] = rs
				for _, r := range rs {
					regByID[r.ID] = r
				}
			}
		}
		// Regulators with open flags get a run too, so that flags no longer true are resolved.
		var open []uuid.UUID
		if err := tx.NewSelect().Model((*flagRow)(nil)).ColumnExpr("DISTINCT tenant_id").Where("resolved_at IS NULL").Scan(ctx, &open); err != nil {
			return err
		}
		if len(open) > 0 {
			rs, err := core.Tenants(ctx, tx, open)
			if err != nil {
				return err
			}
			for id, r := range rs {
				regByID[id] = r
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, f := range findings {
		fp := sha256.Sum256([]byte(f.kind + "|" + f.personKey + "|" + f.occupation + "|" + strconv.Itoa(f.level)))
		mine := map[uuid.UUID][]FlagItem{}
		involved := map[uuid.UUID]bool{}
		for _, it := range f.items {
			involved[it.institution] = true
			for _, r := range regsOf[regionOf[it.institution]] {
				mine[r.ID] = append(mine[r.ID], it.FlagItem)
			}
		}
		for regID, items := range mine {
			own := map[uuid.UUID]bool{}
			for _, it := range items {
				own[it.InstitutionID] = true
			}
			b, _ := json.Marshal(items)
			perReg[regID] = append(perReg[regID], flagRow{TenantID: regID, ID: uuid.New(), Kind: f.kind,
				Fingerprint: hex.EncodeToString(fp[:16]), PersonRef: "P-" + f.personKey[:16], OccupationCode: f.occupation,
				Level: f.level, Items: b, OutsideCount: len(involved) - len(own), FirstSeenAt: started, LastSeenAt: started})
		}
	}
	written := 0
	var errs []error
	for regID, reg := range regByID {
		flags := perReg[regID]
		err := tenants.WithTx(core.SystemCtx(ctx, core.ScopeOf(reg), "crosscheck"), s.base.DB, func(ctx context.Context, tx bun.Tx) error {
			for i := range flags {
				if _, err := tx.NewInsert().Model(&flags[i]).On("CONFLICT (tenant_id, fingerprint) DO UPDATE").
					Set("items = EXCLUDED.items, outside_count = EXCLUDED.outside_count, person_ref = EXCLUDED.person_ref").
					Set("last_seen_at = EXCLUDED.last_seen_at, resolved_at = NULL").Exec(ctx); err != nil {
					return err
				}
			}
			r, err := tx.NewUpdate().Model((*flagRow)(nil)).Set("resolved_at = ?", started).
				Where("tenant_id = ?", regID).Where("resolved_at IS NULL").Where("last_seen_at < ?", started).Exec(ctx)
			if err != nil {
				return err
			}
			resolved, _ := r.RowsAffected()
			if len(flags) == 0 && resolved == 0 {
				return nil
			}
			return audit.Record(ctx, tx, audit.Event{Action: "oversight.crosscheck", TargetType: "flags", TargetID: regID.String(),
				After: map[string]any{"flags": len(flags), "resolved": resolved}})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("oversight: writing flags of regulator %s: %w", regID, err))
			continue
		}
		written += len(flags)
	}
	return written, errors.Join(errs...)
}

// Flags pages the cross-institution findings of the regulator in ctx, oldest first.
func (s *Service) Flags(ctx context.Context, f Filter, req platform.PageRequest) (platform.Page[Flag], error) {
	var out []Flag
	err := s.base.ReadPage(ctx, req.Cursor, tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []flagRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.Open {
			q = q.Where("resolved_at IS NULL")
		}
		if err := firstSeen.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].flag())
		}
		return nil
	})
	return platform.CutPage(out, req, func(f Flag) string { return platform.EncodeCursor(f.FirstSeenAt, f.ID) }), err
}
