package oversight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// maxDiffItems caps the certificate numbers a difference lists per category.
const maxDiffItems = 100

type diffRow struct {
	bun.BaseModel `bun:"table:oversight_reconciliation_diffs"`

	TenantID      uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	InstitutionID uuid.UUID       `bun:"institution_id,type:uuid"`
	Day           time.Time       `bun:"day"`
	HeldCount     int             `bun:"held_count"`
	ReportedCount int             `bun:"reported_count"`
	HeldHash      string          `bun:"held_hash"`
	ReportedHash  string          `bun:"reported_hash"`
	Details       json.RawMessage `bun:"details,type:jsonb"`
	FirstSeenAt   time.Time       `bun:"first_seen_at"`
	LastSeenAt    time.Time       `bun:"last_seen_at"`
	ResolvedAt    *time.Time      `bun:"resolved_at"`
}

func (r *diffRow) diff() ReconciliationDiff {
	d := ReconciliationDiff{ID: r.ID, InstitutionID: r.InstitutionID, Day: r.Day.UTC().Format(time.DateOnly), HeldCount: r.HeldCount,
		ReportedCount: r.ReportedCount, HeldHash: r.HeldHash, ReportedHash: r.ReportedHash, FirstSeenAt: r.FirstSeenAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(), ResolvedAt: utcPtr(r.ResolvedAt)}
	_ = json.Unmarshal(r.Details, &d.Details)
	return d
}

type runRow struct {
	bun.BaseModel `bun:"table:oversight_reconciliation_runs"`

	TenantID     uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	StartedAt    time.Time `bun:"started_at"`
	FinishedAt   time.Time `bun:"finished_at"`
	Institutions int       `bun:"institutions"`
	Days         int       `bun:"days"`
	Differences  int       `bun:"differences"`
}

// ReconcileResult summarises one reconciliation run.
type ReconcileResult struct {
	ID           uuid.UUID `json:"id"`
	StartedAt    time.Time `json:"started_at"`
	FinishedAt   time.Time `json:"finished_at"`
	Institutions int       `json:"institutions"`
	Days         int       `json:"days"`
	Differences  int       `json:"differences"`
}

// dayDigest is one institution-day of certificates: their count and the SHA-256 of the sorted
// "number|status" lines.
type dayDigest struct {
	count  int
	hash   string
	status map[string]string
}

func digest(status map[string]string) dayDigest {
	nums := make([]string, 0, len(status))
	for n := range status {
		nums = append(nums, n)
	}
	sort.Strings(nums)
	h := sha256.New()
	for _, n := range nums {
		h.Write([]byte(n + "|" + status[n] + "\n"))
	}
	return dayDigest{count: len(nums), hash: hex.EncodeToString(h.Sum(nil)), status: status}
}

func byDay[T any](items []T, day func(T) time.Time, num func(T) (string, string)) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, it := range items {
		k := day(it).Format(time.DateOnly)
		if out[k] == nil {
			out[k] = map[string]string{}
		}
		n, st := num(it)
		out[k][n] = st
	}
	return out
}

// compareDay lists what differs between held and reported certificates of one day.
func compareDay(held, reported map[string]string) DiffDetails {
	d := DiffDetails{NotReported: []string{}, NotHeld: []string{}, StatusMismatch: []StatusChange{}}
	for n, st := range held {
		rst, ok := reported[n]
		switch {
		case !ok:
			d.NotReported = append(d.NotReported, n)
		case rst != st:
			d.StatusMismatch = append(d.StatusMismatch, StatusChange{Number: n, Held: st, Reported: rst})
		}
	}
	for n := range reported {
		if _, ok := held[n]; !ok {
			d.NotHeld = append(d.NotHeld, n)
		}
	}
	sort.Strings(d.NotReported)
	sort.Strings(d.NotHeld)
	sort.Slice(d.StatusMismatch, func(i, j int) bool { return d.StatusMismatch[i].Number < d.StatusMismatch[j].Number })
	d.NotReported = d.NotReported[:min(len(d.NotReported), maxDiffItems)]
	d.NotHeld = d.NotHeld[:min(len(d.NotHeld), maxDiffItems)]
	d.StatusMismatch = d.StatusMismatch[:min(len(d.StatusMismatch), maxDiffItems)]
	return d
}

// Reconcile compares, for every institution in the jurisdiction of the regulator in ctx and every
// day, the certificates the institution holds with those it reported (count and hash of number and
// status): a day that differs is flagged (or its flag updated), a flagged day that agrees again is
// resolved. Holdings are read in the oversight transaction; the flags are the regulator's records.
// Reports still in the outbox are dispatched first, so that only real differences remain (a
// certificate changed in the moments of the run itself can show once and resolve at the next run).
func (s *Service) Reconcile(ctx context.Context) (ReconcileResult, error) {
	if _, err := s.Dispatch(ctx); err != nil {
		s.opts.Log.Warn("oversight: dispatch before reconciliation failed", "err", err)
	}
	j, err := s.jurisdictionOf(ctx)
	if err != nil {
		return ReconcileResult{}, err
	}
	res := ReconcileResult{ID: uuid.New(), StartedAt: s.now(), Institutions: len(j.ids)}
	type found struct {
		inst uuid.UUID
		day  string
		held dayDigest
		rep  dayDigest
		det  DiffDetails
	}
	var diffs []found
	for _, inst := range j.ids {
		var held []Holding
		var reported []reportedCertRow
		err := tenants.OversightTx(ctx, s.db, j.ids, func(ctx context.Context, tx bun.Tx) (err error) {
			if held, err = s.records.Holdings(ctx, tx, inst); err != nil {
				return err
			}
			return tx.NewSelect().Model(&reported).Where("tenant_id = ?", j.regulator.TenantID).
				Where("institution_id = ?", inst).Scan(ctx)
		})
		if err != nil {
			return res, err
		}
		h := byDay(held, func(x Holding) time.Time { return x.IssuedOn }, func(x Holding) (string, string) { return x.Number, x.Status })
		r := byDay(reported, func(x reportedCertRow) time.Time { return x.IssuedOn.UTC() },
			func(x reportedCertRow) (string, string) { return x.Number, x.Status })
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
	err = tenants.WithTx(systemCtx(ctx, j.regulator, "reconcile"), s.db, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		var open []diffRow
		if err := tx.NewSelect().Model(&open).Where("tenant_id = ?", j.regulator.TenantID).Where("resolved_at IS NULL").Scan(ctx); err != nil {
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
			row := &diffRow{TenantID: j.regulator.TenantID, ID: uuid.New(), InstitutionID: f.inst, Day: day, HeldCount: f.held.count,
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
			if !seen[key] && j.has(r.InstitutionID) {
				if _, err := tx.NewUpdate().Model((*diffRow)(nil)).Set("resolved_at = ?", now).
					Where("tenant_id = ?", r.TenantID).Where("id = ?", r.ID).Exec(ctx); err != nil {
					return err
				}
			}
		}
		res.FinishedAt = now
		run := &runRow{TenantID: j.regulator.TenantID, ID: res.ID, StartedAt: res.StartedAt, FinishedAt: now,
			Institutions: res.Institutions, Days: res.Days, Differences: res.Differences}
		if _, err := tx.NewInsert().Model(run).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.reconcile", TargetType: "reconciliation", TargetID: res.ID.String(),
			After: res})
	})
	return res, err
}

// DiffFilter narrows the reconciliation listing.
type DiffFilter struct {
	InstitutionID uuid.UUID
	Open          bool // only unresolved differences
}

// Reconciliation pages the differences found for the regulator in ctx, oldest first, with the
// latest run.
func (s *Service) Reconciliation(ctx context.Context, f DiffFilter, req platform.PageRequest) (platform.Page[ReconciliationDiff], *ReconcileResult, error) {
	after, err := decodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[ReconciliationDiff]{}, nil, err
	}
	scope, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return platform.Page[ReconciliationDiff]{}, nil, err
	}
	var out []ReconciliationDiff
	var last *ReconcileResult
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var rows []diffRow
		q := tx.NewSelect().Model(&rows).Where("tenant_id = ?", scope.TenantID)
		if f.InstitutionID != uuid.Nil {
			q = q.Where("institution_id = ?", f.InstitutionID)
		}
		if f.Open {
			q = q.Where("resolved_at IS NULL")
		}
		if after.id != uuid.Nil {
			q = q.Where("(first_seen_at, id) > (?, ?)", after.at, after.id)
		}
		if err := q.OrderExpr("first_seen_at ASC, id ASC").Limit(int64(req.Fetch())).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			out = append(out, rows[i].diff())
		}
		run := new(runRow)
		err := tx.NewSelect().Model(run).Where("tenant_id = ?", scope.TenantID).OrderExpr("started_at DESC").Limit(1).Scan(ctx)
		if err == nil {
			last = &ReconcileResult{ID: run.ID, StartedAt: run.StartedAt.UTC(), FinishedAt: run.FinishedAt.UTC(),
				Institutions: run.Institutions, Days: run.Days, Differences: run.Differences}
		} else if !tenants.IsNoRows(err) {
			return err
		}
		return nil
	})
	return platform.CutPage(out, req, func(d ReconciliationDiff) string { return platform.EncodeCursor(d.FirstSeenAt, d.ID) }), last, err
}
