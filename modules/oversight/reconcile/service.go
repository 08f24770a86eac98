package reconcile

import (
	"context"
	"encoding/json"
	"log/slog"
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

// Holdings reads what an institution holds (satisfied by institutions.Records).
type Holdings interface {
	// Holdings lists the certificates an institution holds (issued or revoked), in tx.
	Holdings(ctx context.Context, tx bun.IDB, institutionID uuid.UUID) ([]institutions.Holding, error)
}

// Deps are what reconciliation calls.
type Deps struct {
	Holdings Holdings // required
	// Dispatch moves the reports still in the outbox into the regulators' stores, so that only real
	// differences remain (inbox.Service.Dispatch); nil: compare with what was dispatched already.
	Dispatch func(ctx context.Context) error
	Log      *slog.Logger // default slog.Default()
}

// Service reconciles holdings with reports and serves the differences found.
type Service struct {
	base core.Base
	deps Deps
}

// New returns the service.
func New(base core.Base, deps Deps) *Service {
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Service{base: base, deps: deps}
}

// Run compares, for every institution in the jurisdiction of the regulator in ctx and every
// day, the certificates the institution holds with those it reported (count and hash of number and
// status): a day that differs is flagged (or its flag updated), a flagged day that agrees again is
// resolved. Holdings are read in the oversight transaction; the flags are the regulator's records.
// Reports still in the outbox are dispatched first, so that only real differences remain (a
// certificate changed in the moments of the run itself can show once and resolve at the next run).
func (s *Service) Run(ctx context.Context) (Result, error) {
	if s.deps.Dispatch != nil {
		if err := s.deps.Dispatch(ctx); err != nil {
			s.deps.Log.Warn("oversight: dispatch before reconciliation failed", "err", err)
		}
	}
	j, err := s.base.JurisdictionOf(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: uuid.New(), StartedAt: s.base.Now(), Institutions: len(j.IDs)}
	type found struct {
		inst uuid.UUID
		day  string
		held dayDigest
		rep  dayDigest
		det  DiffDetails
	}
	var diffs []found
	for _, inst := range j.IDs {
		var held []institutions.Holding
		var reported []facts.ReportedCert
		err := tenants.OversightTx(ctx, s.base.DB, j.IDs, func(ctx context.Context, tx bun.Tx) (err error) {
			if held, err = s.deps.Holdings.Holdings(ctx, tx, inst); err != nil {
				return err
			}
			return tx.NewSelect().Model(&reported).Where("tenant_id = ?", j.Regulator.TenantID).
				Where("institution_id = ?", inst).Scan(ctx)
		})
		if err != nil {
			return res, err
		}
		h := byDay(held, func(x institutions.Holding) time.Time { return x.IssuedOn }, func(x institutions.Holding) (string, string) { return x.Number, x.Status })
		r := byDay(reported, func(x facts.ReportedCert) time.Time { return x.IssuedOn.UTC() },
			func(x facts.ReportedCert) (string, string) { return x.Number, x.Status })
		days := map[string]bool{}
		for d := range h {
			days[d] = true
		}
		for d := range r {
			days[d] = true
		}
		res.Days += len(days)
		for d := range days {
			hd, rd := digest(h[d]), digest(r[d])
			if hd.count == rd.count && hd.hash == rd.hash {
				continue
			}
			diffs = append(diffs, found{inst: inst, day: d, held: hd, rep: rd, det: compareDay(h[d], r[d])})
		}
	}
	res.Differences = len(diffs)
	err = tenants.WithTx(core.SystemCtx(ctx, j.Regulator, "reconcile"), s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		now := s.base.Now()
		var open []diffRow
		if err := tx.NewSelect().Model(&open).Where("tenant_id = ?", j.Regulator.TenantID).Where("resolved_at IS NULL").Scan(ctx); err != nil {
			return err
		}
		openBy := map[string]*diffRow{}
		for i := range open {
			openBy[open[i].InstitutionID.String()+"/"+open[i].Day.UTC().Format(time.DateOnly)] = &open[i]
		}
		seen := map[string]bool{}
		for _, f := range diffs {
			key := f.inst.String() + "/" + f.day
			seen[key] = true
			det, _ := json.Marshal(f.det)
			day, _ := time.Parse(time.DateOnly, f.day)
			row := &diffRow{TenantID: j.Regulator.TenantID, ID: uuid.New(), InstitutionID: f.inst, Day: day, HeldCount: f.held.count,
				ReportedCount: f.rep.count, HeldHash: f.held.hash, ReportedHash: f.rep.hash, Details: det, FirstSeenAt: now, LastSeenAt: now}
			if prev, ok := openBy[key]; ok {
				row.ID, row.FirstSeenAt = prev.ID, prev.FirstSeenAt
				if _, err := tx.NewUpdate().Model(row).WherePK().ExcludeColumn("resolved_at").Exec(ctx); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return err
			}
		}
		for key, r := range openBy {
			if !seen[key] && j.Has(r.InstitutionID) {
				if _, err := tx.NewUpdate().Model((*diffRow)(nil)).Set("resolved_at = ?", now).
					Where("tenant_id = ?", r.TenantID).Where("id = ?", r.ID).Exec(ctx); err != nil {
					return err
				}
			}
		}
		res.FinishedAt = now
		run := &runRow{TenantID: j.Regulator.TenantID, ID: res.ID, StartedAt: res.StartedAt, FinishedAt: now,
			Institutions: res.Institutions, Days: res.Days, Differences: res.Differences}
		if _, err := tx.NewInsert().Model(run).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.reconcile", TargetType: "reconciliation", TargetID: res.ID.String(),
			After: res})
	})
	return res, err
}

// Differences pages the differences found for the regulator in ctx, oldest first, with the
// latest run.
func (s *Service) Differences(ctx context.Context, f Filter, req platform.PageRequest) (platform.Page[Diff], *Result, error) {
	var out []Diff
	var last *Result
	err := s.base.ReadPage(ctx, req.Cursor, tenants.RegulatorScope, func(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, after core.TimeKey) error {
		var rows []diffRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Open {
			q = q.Where("resolved_at IS NULL")
		}
		if err := firstSeen.Page(q, after, req.Fetch()).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].diff())
		}
		run := new(runRow)
		err := tx.NewSelect().Model(run).Where("tenant_id = ?", tenantID).OrderExpr("started_at DESC").Limit(1).Scan(ctx)
		if err == nil {
			last = &Result{ID: run.ID, StartedAt: run.StartedAt.UTC(), FinishedAt: run.FinishedAt.UTC(),
				Institutions: run.Institutions, Days: run.Days, Differences: run.Differences}
		} else if !tenants.IsNoRows(err) {
			return err
		}
		return nil
	})
	return platform.CutPage(out, req, func(d Diff) string { return platform.EncodeCursor(d.FirstSeenAt, d.ID) }), last, err
}
