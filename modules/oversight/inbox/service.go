package inbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/facts"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Tenants resolves a tenant of the register (satisfied by *directory.Service).
type Tenants interface {
	// ByID resolves a tenant; an unknown one is a not_found error.
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
}

// Outbound queues stored copies for a regulator's external system (satisfied by *delivery.Service).
type Outbound interface {
	// Queue queues reports, just stored for the regulator in tx (scoped to it), when the regulator
	// has an external system, and reports whether it has one.
	Queue(ctx context.Context, tx bun.IDB, regulatorID uuid.UUID, reports []Report, now time.Time) (bool, error)
}

// Kicker starts a regulator's deliveries soon instead of at the next tick (the job queue).
type Kicker interface {
	KickDelivery(ctx context.Context, regulatorID uuid.UUID)
}

// Deps are what the inbox calls.
type Deps struct {
	Tenants  Tenants       // required
	Facts    *facts.Keeper // required
	Outbound Outbound      // nil: copies are stored, never queued for external systems
	Kicker   Kicker        // nil: deliveries wait for the periodic tick
}

// Service dispatches reports and serves the regulators' report stores.
type Service struct {
	base core.Base
	deps Deps
}

// New returns the service.
func New(base core.Base, deps Deps) *Service { return &Service{base: base, deps: deps} }

// Dispatch moves every pending outbox event into the report stores of the regulators covering its
// institution, institution by institution and in order, and asks for delivery to their external
// systems. It is safe to run concurrently (an institution being dispatched elsewhere is skipped) and
// to re-run after a crash (nothing is marked dispatched unless stored in the same transaction).
func (s *Service) Dispatch(ctx context.Context) (DispatchResult, error) {
	var res DispatchResult
	var ids []uuid.UUID
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model((*reports.Event)(nil)).ColumnExpr("DISTINCT tenant_id").
			Where("dispatched_at IS NULL").Limit(1000).Scan(ctx, &ids)
	})
	if err != nil {
		return res, fmt.Errorf("oversight: finding pending reports: %w", err)
	}
	kick := map[uuid.UUID]bool{}
	var errs []error
	for _, id := range ids {
		for {
			r, err := s.dispatchInstitution(ctx, id, kick)
			if err != nil {
				errs = append(errs, fmt.Errorf("oversight: dispatching reports of %s: %w", id, err))
				break
			}
			res.add(r)
			if r.Events < dispatchBatch || ctx.Err() != nil {
				break
			}
		}
	}
	if s.deps.Kicker != nil {
		for id := range kick {
			s.deps.Kicker.KickDelivery(ctx, id)
		}
	}
	return res, errors.Join(errs...)
}

// dispatchInstitution moves up to dispatchBatch of one institution's pending events, in one
// transaction: facts in the institution's tenant, a copy in each covering regulator's tenant (switched
// to explicitly with tenants.As), and the outbox rows marked.
func (s *Service) dispatchInstitution(ctx context.Context, instID uuid.UUID, kick map[uuid.UUID]bool) (DispatchResult, error) {
	var res DispatchResult
	inst, err := s.deps.Tenants.ByID(ctx, instID)
	if err != nil {
		return res, err
	}
	ictx := core.SystemCtx(ctx, core.ScopeOf(inst), "dispatch")
	regsWithEndpoint := map[uuid.UUID]bool{}
	err = tenants.WithTx(ictx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		ok, err := core.TryLock(ctx, tx, "dispatch/"+instID.String())
		if err != nil {
			return err
		}
		if !ok {
			res.Skipped = 1
			return nil
		}
		var evs []reports.Event
		if err := tx.NewSelect().Model(&evs).Where("tenant_id = ?", instID).Where("dispatched_at IS NULL").
			OrderExpr("seq ASC").Limit(dispatchBatch).Scan(ctx); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		now := s.base.Now()
		for i := range evs {
			if err := s.deps.Facts.Apply(ctx, tx, inst, &evs[i]); err != nil {
				return fmt.Errorf("report facts of %s: %w", evs[i].ID, err)
			}
		}
		// The regulators covering each event's region (the institution's region when it reported).
		byReg := map[uuid.UUID][]*reports.Event{}
		regs := map[uuid.UUID]tenants.Tenant{}
		cache := map[string][]tenants.Tenant{}
		for i := range evs {
			code := evs[i].RegionCode
			if code == "" {
				code = inst.RegionCode
			}
			rs, ok := cache[code]
			if !ok {
				if rs, err = core.RegulatorsCovering(ctx, tx, code); err != nil {
					return err
				}
				cache[code] = rs
			}
			for _, r := range rs {
				byReg[r.ID] = append(byReg[r.ID], &evs[i])
				regs[r.ID] = r
			}
		}
		// Regulators in a fixed order: their chain heads are locked in that order, so two dispatchers
		// (two institutions of one province) can never wait on each other in a cycle.
		order := make([]uuid.UUID, 0, len(regs))
		for id := range regs {
			order = append(order, id)
		}
		sort.Slice(order, func(i, j int) bool { return order[i].String() < order[j].String() })
		for _, rid := range order {
			err := tenants.As(ctx, tx, core.ScopeOf(regs[rid]), func(ctx context.Context) error {
				n, hasEndpoint, err := s.storeReports(ctx, tx, rid, inst, byReg[rid], now)
				res.Copies += n
				if hasEndpoint && n > 0 {
					regsWithEndpoint[rid] = true
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("storing reports for regulator %s: %w", rid, err)
			}
		}
		seqs := make([]int64, len(evs))
		for i := range evs {
			seqs[i] = evs[i].Seq
		}
		if _, err := tx.NewUpdate().Model((*reports.Event)(nil)).Set("dispatched_at = ?", now).
			Where("tenant_id = ?", instID).Where("seq IN (?)", bun.In(seqs)).Exec(ctx); err != nil {
			return err
		}
		res.Events, res.Institutions = len(evs), 1
		return nil
	})
	if err == nil {
		for id := range regsWithEndpoint {
			kick[id] = true
		}
	}
	return res, err
}

// storeReports appends evs to the regulator's chain (the transaction is scoped to it), skipping any
// already stored, keeps the certificates-as-reported record, and queues the new copies for the
// regulator's external system if it has one.
func (s *Service) storeReports(ctx context.Context, tx bun.Tx, regID uuid.UUID, inst tenants.Tenant, evs []*reports.Event, now time.Time) (int, bool, error) {
	head := &headRow{TenantID: regID, Seq: 0, Hash: GenesisHash}
	// The upsert locks the head row until commit: appends to one chain are serialised.
	if err := tx.NewInsert().Model(head).On("CONFLICT (tenant_id) DO UPDATE").Set("seq = ?TableAlias.seq").
		Returning("seq, hash").Scan(ctx, &head.Seq, &head.Hash); err != nil {
		return 0, false, fmt.Errorf("locking the report chain: %w", err)
	}
	ids := make([]uuid.UUID, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	var have []uuid.UUID
	if err := tx.NewSelect().Model((*reportRow)(nil)).Column("id").Where("tenant_id = ?", regID).
		Where("id IN (?)", bun.In(ids)).Scan(ctx, &have); err != nil {
		return 0, false, err
	}
	stored := make(map[uuid.UUID]bool, len(have))
	for _, id := range have {
		stored[id] = true
	}
	rows := make([]reportRow, 0, len(evs))
	for _, ev := range evs {
		if stored[ev.ID] {
			continue
		}
		region := ev.RegionCode
		if region == "" {
			region = inst.RegionCode
		}
		r := reportRow{TenantID: regID, Seq: head.Seq + 1, ID: ev.ID, InstitutionID: ev.TenantID, InstitutionRegion: region,
			Kind: ev.Kind, SubjectType: ev.SubjectType, SubjectID: ev.SubjectID, Payload: canonicalJSON(ev.Payload),
			ReportedAt: ev.CreatedAt.UTC().Truncate(time.Microsecond), ReceivedAt: now, PrevHash: head.Hash}
		r.Hash = reportHash(regID, &r)
		head.Seq, head.Hash = r.Seq, r.Hash
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return 0, false, nil
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return 0, false, fmt.Errorf("appending reports: %w", err)
	}
	if _, err := tx.NewUpdate().Model(head).Column("seq", "hash").WherePK().Exec(ctx); err != nil {
		return 0, false, err
	}
	copies := make([]Report, len(rows))
	for i := range rows {
		r := &rows[i]
		if err := facts.ApplyReported(ctx, tx, regID, facts.Copy{InstitutionID: r.InstitutionID, Seq: r.Seq, Kind: r.Kind,
			Payload: r.Payload, ReportedAt: r.ReportedAt}); err != nil {
			return 0, false, err
		}
		copies[i] = r.withPayload(r.Payload) // made canonical above
	}
	if s.deps.Outbound == nil {
		return len(rows), false, nil
	}
	has, err := s.deps.Outbound.Queue(ctx, tx, regID, copies, now)
	if err != nil {
		return 0, false, err
	}
	return len(rows), has, nil
}

// Reports pages the reports the regulator in ctx received, oldest first (immutable copies).
func (s *Service) Reports(ctx context.Context, f Filter, req platform.PageRequest) (platform.Page[Report], error) {
	if req.Desc {
		return platform.Page[Report]{}, core.BadParam("sort", "reports are listed oldest first")
	}
	var after int64
	if _, err := platform.DecodeCursor(req.Cursor, &after); err != nil {
		return platform.Page[Report]{}, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return platform.Page[Report]{}, err
	}
	var out []Report
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		var rows []reportRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID).Where("seq > ?", after)
		if !f.Since.IsZero() {
			q = q.Where("received_at >= ?", f.Since.UTC())
		}
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if err := q.OrderExpr("seq ASC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].report())
		}
		return nil
	})
	return platform.CutPage(out, req, func(r Report) string { return platform.EncodeCursor(r.Seq) }), err
}

// Report returns one received report by its id.
func (s *Service) Report(ctx context.Context, id uuid.UUID) (Report, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return Report{}, err
	}
	var out Report
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		r := new(reportRow)
		if err := tx.NewSelect().Model(r).Where("tenant_id = ?", scope.TenantID).Where("id = ?", id).Scan(ctx); err != nil {
			if tenants.IsNoRows(err) {
				return ErrReportNotFound
			}
			return err
		}
		out = r.report()
		return nil
	})
	return out, err
}

// Verify walks the regulator's report chain and names the first copy that does not fit.
func (s *Service) Verify(ctx context.Context) (ChainCheck, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return ChainCheck{}, err
	}
	res := ChainCheck{OK: true, Head: GenesisHash}
	err = tenants.ReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		prev, last := GenesisHash, int64(0)
		fail := func(seq int64, reason string) {
			if res.OK {
				res.OK, res.Reason, res.FirstBadSeq = false, reason, &seq
			}
		}
		for {
			var rows []reportRow
			if err := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID).Where("seq > ?", last).
				OrderExpr("seq ASC").Limit(1000).Scan(ctx); err != nil {
				return err
			}
			for i := range rows {
				r := &rows[i]
				res.Entries++
				switch {
				case r.Seq != last+1:
					fail(last+1, fmt.Sprintf("report %d is missing", last+1))
				case r.PrevHash != prev:
					fail(r.Seq, "prev_hash does not link to the previous report")
				case reportHash(scope.TenantID, r) != r.Hash:
					fail(r.Seq, "content does not match its hash")
				}
				prev, last = r.Hash, r.Seq
			}
			if len(rows) < 1000 {
				break
			}
		}
		res.Head = prev
		head := new(headRow)
		err := tx.NewSelect().Model(head).Where("tenant_id = ?", scope.TenantID).Scan(ctx)
		switch {
		case tenants.IsNoRows(err):
			if last != 0 {
				fail(last, "the chain has no head")
			}
		case err != nil:
			return err
		case head.Seq != last || head.Hash != prev:
			fail(head.Seq, "the head does not match the last report (reports removed from the end)")
		}
		return nil
	})
	return res, err
}
