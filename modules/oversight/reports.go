package oversight

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// GenesisHash is the previous hash of a regulator's first report.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// dispatchBatch is how many outbox events of one institution one transaction moves.
const dispatchBatch = 500

type reportRow struct {
	bun.BaseModel `bun:"table:oversight_reports,alias:r"`

	TenantID          uuid.UUID       `bun:"tenant_id,type:uuid"`
	Seq               int64           `bun:"seq"`
	ID                uuid.UUID       `bun:"id,type:uuid"`
	InstitutionID     uuid.UUID       `bun:"institution_id,type:uuid"`
	InstitutionRegion string          `bun:"institution_region"`
	Kind              string          `bun:"kind"`
	SubjectType       string          `bun:"subject_type"`
	SubjectID         string          `bun:"subject_id"`
	Payload           json.RawMessage `bun:"payload,type:jsonb"`
	ReportedAt        time.Time       `bun:"reported_at"`
	ReceivedAt        time.Time       `bun:"received_at"`
	PrevHash          string          `bun:"prev_hash"`
	Hash              string          `bun:"hash"`
}

func (r *reportRow) report() Report {
	return Report{ID: r.ID, Seq: r.Seq, InstitutionID: r.InstitutionID, InstitutionRegion: r.InstitutionRegion, Kind: r.Kind,
		SubjectType: r.SubjectType, SubjectID: r.SubjectID, Payload: canonicalJSON(r.Payload), ReportedAt: r.ReportedAt.UTC(),
		ReceivedAt: r.ReceivedAt.UTC(), PrevHash: r.PrevHash, Hash: r.Hash}
}

type headRow struct {
	bun.BaseModel `bun:"table:oversight_report_heads"`

	TenantID uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Seq      int64     `bun:"seq"`
	Hash     string    `bun:"hash"`
}

// reportHash is SHA-256 over the previous hash and the copy's content, each field length-prefixed
// so that the encoding is unambiguous. The payload is hashed in canonical form (sorted keys), since
// PostgreSQL's jsonb does not keep the bytes it was given.
func reportHash(regulatorID uuid.UUID, r *reportRow) string {
	h := sha256.New()
	for _, f := range []string{
		r.PrevHash, regulatorID.String(), strconv.FormatInt(r.Seq, 10), r.ID.String(), r.InstitutionID.String(),
		r.InstitutionRegion, r.Kind, r.SubjectType, r.SubjectID, string(canonicalJSON(r.Payload)),
		r.ReportedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		r.ReceivedAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes JSON with sorted object keys and numbers as written.
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// DispatchResult counts what a dispatch pass moved.
type DispatchResult struct {
	Institutions int // institutions whose events were dispatched
	Events       int // outbox events dispatched
	Copies       int // report copies stored, one per covering regulator
	Skipped      int // institutions another dispatcher was working on
}

func (r *DispatchResult) add(o DispatchResult) {
	r.Institutions += o.Institutions
	r.Events += o.Events
	r.Copies += o.Copies
	r.Skipped += o.Skipped
}

// Dispatch moves every pending outbox event into the report stores of the regulators covering its
// institution, institution by institution and in order, and asks for delivery to their external
// systems. It is safe to run concurrently (an institution being dispatched elsewhere is skipped) and
// to re-run after a crash (nothing is marked dispatched unless stored in the same transaction).
func (s *Service) Dispatch(ctx context.Context) (DispatchResult, error) {
	var res DispatchResult
	var ids []uuid.UUID
	err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
	s.kick(ctx, kick)
	return res, errors.Join(errs...)
}

func (s *Service) kick(ctx context.Context, regs map[uuid.UUID]bool) {
	if s.kicker == nil {
		return
	}
	for id := range regs {
		s.kicker.KickDelivery(ctx, id)
	}
}

// dispatchInstitution moves up to dispatchBatch of one institution's pending events, in one
// transaction: facts in the institution's tenant, a copy in each covering regulator's tenant (switched
// to explicitly with tenants.As), and the outbox rows marked.
func (s *Service) dispatchInstitution(ctx context.Context, instID uuid.UUID, kick map[uuid.UUID]bool) (DispatchResult, error) {
	var res DispatchResult
	inst, err := s.dir.ByID(ctx, instID)
	if err != nil {
		return res, err
	}
	ictx := systemCtx(ctx, scopeOf(inst), "dispatch")
	regsWithEndpoint := map[uuid.UUID]bool{}
	err = tenants.WithTx(ictx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ok, err := tryLock(ctx, tx, "dispatch/"+instID.String())
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
		now := s.now()
		for i := range evs {
			if err := s.applyFacts(ctx, tx, inst, &evs[i]); err != nil {
				return fmt.Errorf("report facts of %s: %w", evs[i].ID, err)
			}
		}
		// The regulators covering each event's region (the institution's region when it reported).
		byReg := map[uuid.UUID][]*reports.Event{}
		regs := map[uuid.UUID]tenantRow{}
		cache := map[string][]tenantRow{}
		for i := range evs {
			code := evs[i].RegionCode
			if code == "" {
				code = inst.RegionCode
			}
			rs, ok := cache[code]
			if !ok {
				if rs, err = regulatorsCovering(ctx, tx, code); err != nil {
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
			r := regs[rid]
			err := tenants.As(ctx, tx, r.scope(), func(ctx context.Context) error {
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
	for i := range rows {
		if err := applyReported(ctx, tx, regID, &rows[i]); err != nil {
			return 0, false, err
		}
	}
	has, err := tx.NewSelect().Model((*endpointRow)(nil)).Where("tenant_id = ?", regID).Exists(ctx)
	if err != nil || !has {
		return len(rows), false, err
	}
	if err := queueDeliveries(ctx, tx, regID, rows, now); err != nil {
		return 0, false, err
	}
	return len(rows), true, nil
}

// ReportFilter narrows a report listing.
type ReportFilter struct {
	Since         time.Time // received at or after
	InstitutionID uuid.UUID
	Kind          string
}

// Reports pages the reports the regulator in ctx received, oldest first (immutable copies).
func (s *Service) Reports(ctx context.Context, f ReportFilter, req platform.PageRequest) (platform.Page[Report], error) {
	if req.Desc {
		return platform.Page[Report]{}, badParam("sort", "reports are listed oldest first")
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
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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

// VerifyReports walks the regulator's report chain and names the first copy that does not fit.
func (s *Service) VerifyReports(ctx context.Context) (ChainCheck, error) {
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return ChainCheck{}, err
	}
	res := ChainCheck{OK: true, Head: GenesisHash}
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
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
