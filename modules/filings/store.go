package filings

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
)

type filingRow struct {
	bun.BaseModel `bun:"table:filings,alias:f"`

	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID      uuid.UUID  `bun:"tenant_id,type:uuid"`
	Status        string     `bun:"status"`
	RegionCode    string     `bun:"region_code"`
	RenewalOf     *uuid.UUID `bun:"renewal_of,type:uuid"`
	EvaluatorCode string     `bun:"evaluator_code"`
	ProvinceCode  string     `bun:"province_code"`
	SiteSerial    string     `bun:"site_serial"`
	ValidFrom     *time.Time `bun:"valid_from,type:date"`
	ValidUntil    *time.Time `bun:"valid_until,type:date"`
	DecisionNote  string     `bun:"decision_note"`
	DecidedAt     *time.Time `bun:"decided_at"`
	DecidedBy     *uuid.UUID `bun:"decided_by,type:uuid"`
	SubmittedBy   *uuid.UUID `bun:"submitted_by,type:uuid"`
	SubmittedAt   time.Time  `bun:"submitted_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`

	InstitutionName string `bun:"institution_name,scanonly"`
	InstitutionSlug string `bun:"institution_slug,scanonly"`
}

func (r *filingRow) filing() Filing {
	f := Filing{ID: r.ID, TenantID: r.TenantID, Status: Status(r.Status), RegionCode: r.RegionCode,
		EvaluatorCode: r.EvaluatorCode, ProvinceCode: r.ProvinceCode, SiteSerial: r.SiteSerial,
		DecisionNote: r.DecisionNote, SubmittedAt: r.SubmittedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		InstitutionName: r.InstitutionName, InstitutionSlug: r.InstitutionSlug, Scope: []ScopeItem{}}
	if r.RenewalOf != nil {
		f.RenewalOf = *r.RenewalOf
	}
	if r.ValidFrom != nil {
		f.ValidFrom = dateOf(*r.ValidFrom)
	}
	if r.ValidUntil != nil {
		f.ValidUntil = dateOf(*r.ValidUntil)
	}
	if r.DecidedAt != nil {
		f.DecidedAt = r.DecidedAt.UTC()
	}
	if r.DecidedBy != nil {
		f.DecidedBy = *r.DecidedBy
	}
	if r.SubmittedBy != nil {
		f.SubmittedBy = *r.SubmittedBy
	}
	return f
}

type scopeRow struct {
	bun.BaseModel `bun:"table:filing_scope,alias:fs"`

	TenantID       uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	FilingID       uuid.UUID  `bun:"filing_id,pk,type:uuid"`
	OccupationCode string     `bun:"occupation_code,pk"`
	Level          int        `bun:"level,pk"`
	NormID         *uuid.UUID `bun:"norm_id,type:uuid"`

	OccupationName string `bun:"occupation_name,scanonly"`
}

type decisionRow struct {
	bun.BaseModel `bun:"table:filing_decisions"`

	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	TenantID      uuid.UUID  `bun:"tenant_id,type:uuid"`
	FilingID      uuid.UUID  `bun:"filing_id,type:uuid"`
	InstitutionID uuid.UUID  `bun:"institution_id,type:uuid"`
	Decision      string     `bun:"decision"`
	EvaluatorCode string     `bun:"evaluator_code"`
	ProvinceCode  string     `bun:"province_code"`
	SiteSerial    string     `bun:"site_serial"`
	ValidFrom     *time.Time `bun:"valid_from,type:date"`
	ValidUntil    *time.Time `bun:"valid_until,type:date"`
	Note          string     `bun:"note"`
	DecidedBy     *uuid.UUID `bun:"decided_by,type:uuid"`
	DecidedAt     time.Time  `bun:"decided_at"`
}

type noticeRow struct {
	bun.BaseModel `bun:"table:filing_notices"`

	ID         uuid.UUID `bun:"id,pk,type:uuid"`
	TenantID   uuid.UUID `bun:"tenant_id,type:uuid"`
	FilingID   uuid.UUID `bun:"filing_id,type:uuid"`
	Kind       string    `bun:"kind"`
	DaysBefore int       `bun:"days_before"`
	ValidUntil time.Time `bun:"valid_until,type:date"`
	CreatedAt  time.Time `bun:"created_at"`
}

type annualRow struct {
	bun.BaseModel `bun:"table:filing_annual_reports"`

	TenantID  uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Year      int       `bun:"year,pk"`
	Plan      string    `bun:"plan"`
	Summary   string    `bun:"summary"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func (r *annualRow) report() AnnualReport {
	return AnnualReport{Year: r.Year, Plan: r.Plan, Summary: r.Summary, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func insertFiling(ctx context.Context, db bun.IDB, r *filingRow, items []scopeRow) error {
	if _, err := db.NewInsert().Model(r).Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewInsert().Model(&items).Exec(ctx)
	return err
}

// getFiling reads one filing of tenantID (with its scope); forUpdate locks it in PostgreSQL (SQLite's
// immediate transactions already serialise writers).
func getFiling(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, forUpdate bool) (Filing, error) {
	var r filingRow
	q := db.NewSelect().Model(&r).Where("f.tenant_id = ? AND f.id = ?", tenantID, id)
	if forUpdate && platform.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return Filing{}, ErrNotFound
	} else if err != nil {
		return Filing{}, err
	}
	fs := []Filing{r.filing()}
	if err := attachScopes(ctx, db, fs); err != nil {
		return Filing{}, err
	}
	return fs[0], nil
}

// attachScopes loads the scope items of fs (filings of any tenants readable in db) in one query.
func attachScopes(ctx context.Context, db bun.IDB, fs []Filing) error {
	if len(fs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(fs))
	tids := make([]uuid.UUID, 0, 1)
	for i, f := range fs {
		ids[i] = f.ID
		if !slices.Contains(tids, f.TenantID) {
			tids = append(tids, f.TenantID)
		}
	}
	var rows []scopeRow
	err := db.NewSelect().Model(&rows).ColumnExpr("fs.*").ColumnExpr("o.name AS occupation_name").
		Join("JOIN occupations AS o ON o.code = fs.occupation_code").
		Where("fs.tenant_id IN (?) AND fs.filing_id IN (?)", bun.In(tids), bun.In(ids)).
		OrderExpr("fs.filing_id, fs.occupation_code, fs.level DESC").Scan(ctx)
	if err != nil {
		return err
	}
	byFiling := map[uuid.UUID]int{}
	for i := range fs {
		byFiling[fs[i].ID] = i
	}
	for _, r := range rows {
		f := &fs[byFiling[r.FilingID]]
		n := len(f.Scope)
		if n == 0 || f.Scope[n-1].OccupationCode != r.OccupationCode {
			it := ScopeItem{OccupationCode: r.OccupationCode, OccupationName: r.OccupationName}
			if r.NormID != nil {
				it.NormID = *r.NormID
			}
			f.Scope = append(f.Scope, it)
			n++
		}
		f.Scope[n-1].Levels = append(f.Scope[n-1].Levels, r.Level)
	}
	return nil
}

// submittedCursor is the keyset position of a filing list.
type submittedCursor struct {
	SubmittedAt time.Time
	ID          uuid.UUID
}

// listFilter selects filings for a list page.
type listFilter struct {
	Tenants    []uuid.UUID // the institutions to read (one for an institution, a jurisdiction for a regulator)
	Status     Status
	After      *submittedCursor
	Desc       bool
	WithTenant bool // join the institution's name (regulators' view)
}

// listFilings reads up to limit filings by (submitted_at, id), after the cursor when given.
func listFilings(ctx context.Context, db bun.IDB, f listFilter, limit int) ([]Filing, error) {
	if len(f.Tenants) == 0 {
		return nil, nil
	}
	var rows []filingRow
	q := db.NewSelect().Model(&rows).ColumnExpr("f.*")
	if f.WithTenant {
		q = q.ColumnExpr("t.name AS institution_name, t.slug AS institution_slug").Join("JOIN tenants AS t ON t.id = f.tenant_id")
	}
	if len(f.Tenants) == 1 {
		q = q.Where("f.tenant_id = ?", f.Tenants[0])
	} else {
		q = q.Where("f.tenant_id IN (?)", bun.In(f.Tenants))
	}
	if f.Status != "" {
		q = q.Where("f.status = ?", string(f.Status))
	}
	if f.After != nil {
		op := ">"
		if f.Desc {
			op = "<"
		}
		q = q.Where("(f.submitted_at, f.id) "+op+" (?, ?)", f.After.SubmittedAt, f.After.ID)
	}
	if f.Desc {
		q = q.OrderExpr("f.submitted_at DESC, f.id DESC")
	} else {
		q = q.OrderExpr("f.submitted_at ASC, f.id ASC")
	}
	if err := q.Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Filing, len(rows))
	for i := range rows {
		out[i] = rows[i].filing()
	}
	return out, attachScopes(ctx, db, out)
}

// filingTenant returns the institution a filing belongs to, among the tenants readable in db.
func filingTenant(ctx context.Context, db bun.IDB, tenantIDs []uuid.UUID, id uuid.UUID) (uuid.UUID, error) {
	if len(tenantIDs) == 0 {
		return uuid.Nil, ErrNotFound
	}
	var tid uuid.UUID
	err := db.NewSelect().Model((*filingRow)(nil)).Column("tenant_id").
		Where("f.id = ? AND f.tenant_id IN (?)", id, bun.In(tenantIDs)).Scan(ctx, &tid)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, ErrNotFound
	}
	return tid, err
}

func updateDecision(ctx context.Context, db bun.IDB, r *filingRow) error {
	_, err := db.NewUpdate().Model(r).
		Column("status", "region_code", "evaluator_code", "province_code", "site_serial", "valid_from", "valid_until",
			"decision_note", "decided_at", "decided_by", "updated_at").
		Where("tenant_id = ? AND id = ?", r.TenantID, r.ID).Exec(ctx)
	return err
}

func setStatus(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID, status Status, at time.Time) error {
	_, err := db.NewUpdate().Model((*filingRow)(nil)).Set("status = ?, updated_at = ?", string(status), at).
		Where("tenant_id = ? AND id = ?", tenantID, id).Exec(ctx)
	return err
}

// renewalExists reports whether a renewal of id is submitted or approved.
func renewalExists(ctx context.Context, db bun.IDB, tenantID, id uuid.UUID) (bool, error) {
	return db.NewSelect().Model((*filingRow)(nil)).
		Where("f.tenant_id = ? AND f.renewal_of = ? AND f.status IN (?)", tenantID, id,
			bun.In([]string{string(StatusSubmitted), string(StatusApproved)})).Exists(ctx)
}

// coveringRow is a filing whose scope includes the occupation × level being checked.
type coveringRow struct {
	ID            uuid.UUID  `bun:"id,type:uuid"`
	Status        string     `bun:"status"`
	RegionCode    string     `bun:"region_code"`
	EvaluatorCode string     `bun:"evaluator_code"`
	ProvinceCode  string     `bun:"province_code"`
	SiteSerial    string     `bun:"site_serial"`
	ValidFrom     *time.Time `bun:"valid_from"`
	ValidUntil    *time.Time `bun:"valid_until"`
}

func coveringFilings(ctx context.Context, db bun.IDB, tenantID uuid.UUID, code string, level int) ([]coveringRow, error) {
	var rows []coveringRow
	err := db.NewSelect().TableExpr("filing_scope AS fs").
		ColumnExpr("f.id, f.status, f.region_code, f.evaluator_code, f.province_code, f.site_serial, f.valid_from, f.valid_until").
		Join("JOIN filings AS f ON f.tenant_id = fs.tenant_id AND f.id = fs.filing_id").
		Where("fs.tenant_id = ? AND fs.occupation_code = ? AND fs.level = ?", tenantID, code, level).
		Scan(ctx, &rows)
	return rows, err
}

func occupationFiled(ctx context.Context, db bun.IDB, tenantID uuid.UUID, code string) (bool, error) {
	return db.NewSelect().TableExpr("filing_scope AS fs").
		Where("fs.tenant_id = ? AND fs.occupation_code = ?", tenantID, code).Exists(ctx)
}

// tenantState is the institution's current status and region, read from the tenant register.
func tenantState(ctx context.Context, db bun.IDB, tenantID uuid.UUID) (status, region string, err error) {
	err = db.NewSelect().TableExpr("tenants").ColumnExpr("status, region_code").
		Where("id = ?", tenantID).Scan(ctx, &status, &region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	return status, region, err
}

// dueRow is an approved filing that ends within the warning horizon (read across tenants).
type dueRow struct {
	ID         uuid.UUID `bun:"id,type:uuid"`
	TenantID   uuid.UUID `bun:"tenant_id,type:uuid"`
	ValidUntil time.Time `bun:"valid_until"`
}

func dueFilings(ctx context.Context, db bun.IDB, horizon time.Time) ([]dueRow, error) {
	var rows []dueRow
	err := db.NewSelect().Model((*filingRow)(nil)).Column("id", "tenant_id", "valid_until").
		Where("f.status = ? AND f.valid_until <= ?", string(StatusApproved), horizon).
		OrderExpr("f.tenant_id, f.valid_until, f.id").Scan(ctx, &rows)
	return rows, err
}

// insertNotice adds a notice unless the filing has one of that kind and threshold; it reports
// whether it inserted.
func insertNotice(ctx context.Context, db bun.IDB, r *noticeRow) (bool, error) {
	res, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id, filing_id, kind, days_before) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// noticeCursor is the keyset position of a notice list.
type noticeCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// listNotices reads up to limit notices of the tenant, newest first, after the cursor when given.
func listNotices(ctx context.Context, db bun.IDB, tenantID uuid.UUID, after *noticeCursor, limit int) ([]Notice, error) {
	var rows []noticeRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	if after != nil {
		q = q.Where("(created_at, id) < (?, ?)", after.CreatedAt, after.ID)
	}
	if err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Notice, len(rows))
	for i, r := range rows {
		out[i] = Notice{ID: r.ID, FilingID: r.FilingID, Kind: r.Kind, DaysBefore: r.DaysBefore,
			ValidUntil: dateOf(r.ValidUntil), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

func getAnnual(ctx context.Context, db bun.IDB, tenantID uuid.UUID, year int) (annualRow, bool, error) {
	var r annualRow
	err := db.NewSelect().Model(&r).Where("tenant_id = ? AND year = ?", tenantID, year).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

func upsertAnnual(ctx context.Context, db bun.IDB, r *annualRow) error {
	_, err := db.NewInsert().Model(r).On("CONFLICT (tenant_id, year) DO UPDATE").
		Set("plan = EXCLUDED.plan, summary = EXCLUDED.summary, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return err
}

// listAnnual reads up to limit annual reports of the tenant by year, after the year after when given.
func listAnnual(ctx context.Context, db bun.IDB, tenantID uuid.UUID, after *int, desc bool, limit int) ([]AnnualReport, error) {
	var rows []annualRow
	q := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID)
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != nil {
		q = q.Where("year "+op+" ?", *after)
	}
	if err := q.OrderExpr("year " + dir).Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]AnnualReport, len(rows))
	for i := range rows {
		out[i] = rows[i].report()
	}
	return out, nil
}
