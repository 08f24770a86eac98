package filings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/reports"
	"github.com/skillcert/skillcert/tenants"
)

// Occupations is what filings needs of the catalog: an occupation as the tenant in ctx sees it
// (with its filed evaluation norm), inside the caller's transaction.
type Occupations interface {
	OccupationTx(ctx context.Context, tx bun.IDB, code string) (catalog.Occupation, error)
}

// Directory is what filings needs of the tenant register.
type Directory interface {
	// Jurisdiction lists the institutions a regulator oversees.
	Jurisdiction(ctx context.Context, regulator tenants.Scope) ([]uuid.UUID, error)
	// ByID returns a tenant.
	ByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
}

// Service runs filings.
type Service struct {
	db  *bun.DB
	occ Occupations
	dir Directory
	now func() time.Time
}

// NewService returns the filings service.
func NewService(db *bun.DB, occ Occupations, dir Directory) *Service {
	return &Service{db: db, occ: occ, dir: dir, now: time.Now}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// maxScopeItems bounds one filing: the classification's skill occupations number about 1,500, and no
// institution files for more than a few hundred.
const maxScopeItems = 500

// Submit files the scope for the institution in ctx: each occupation must be in the catalog and
// evaluable by the institution (a national standard, or its own filed evaluation norm), each level
// one the standard (or norm) sets. The filing is submitted to the regulator of the institution's
// region, audited and reported (filing.submitted).
func (s *Service) Submit(ctx context.Context, scope []ScopeRequest) (Filing, error) {
	return s.submit(ctx, scope, uuid.Nil)
}

func (s *Service) submit(ctx context.Context, reqs []ScopeRequest, renewalOf uuid.UUID) (Filing, error) {
	sc, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Filing{}, err
	}
	var out Filing
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if renewalOf != uuid.Nil {
			orig, err := getFiling(ctx, tx, sc.TenantID, renewalOf, true)
			if err != nil {
				return err
			}
			if err := s.checkRenewable(ctx, tx, orig); err != nil {
				return err
			}
			if reqs == nil {
				for _, it := range orig.Scope {
					reqs = append(reqs, ScopeRequest{OccupationCode: it.OccupationCode, Levels: it.Levels})
				}
			}
		}
		_, region, err := tenantState(ctx, tx, sc.TenantID)
		if err != nil {
			return err
		}
		at := s.stamp()
		row := &filingRow{ID: uuid.New(), TenantID: sc.TenantID, Status: string(StatusSubmitted), RegionCode: region,
			SubmittedAt: at, UpdatedAt: at}
		if renewalOf != uuid.Nil {
			row.RenewalOf = &renewalOf
		}
		if a := tenants.ActorFrom(ctx); a.UserID != uuid.Nil {
			row.SubmittedBy = &a.UserID
		}
		items, err := s.validateScope(ctx, tx, row, reqs)
		if err != nil {
			return err
		}
		if err := insertFiling(ctx, tx, row, items); err != nil {
			return err
		}
		if out, err = getFiling(ctx, tx, sc.TenantID, row.ID, false); err != nil {
			return err
		}
		action := "filing.submit"
		if renewalOf != uuid.Nil {
			action = "filing.renew"
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "filing", TargetID: out.ID.String(),
			After: reportOf(out)}); err != nil {
			return err
		}
		_, err = reports.Emit(ctx, tx, reports.FilingSubmitted, "filing", out.ID.String(), reportOf(out))
		return err
	})
	return out, err
}

// validateScope checks the requested scope against the catalog as the tenant sees it and returns the
// rows to store; every problem is reported at once, by item.
func (s *Service) validateScope(ctx context.Context, tx bun.IDB, f *filingRow, reqs []ScopeRequest) ([]scopeRow, error) {
	var v platform.Validation
	if !v.Check(len(reqs) > 0, "scope", "required", "at least one occupation with its levels") ||
		!v.Check(len(reqs) <= maxScopeItems, "scope", "too_many", fmt.Sprintf("at most %d occupations in one filing", maxScopeItems)) {
		return nil, v.Err()
	}
	seen := map[string]int{}
	var rows []scopeRow
	for i, req := range reqs {
		codeField := fmt.Sprintf("scope[%d].occupation_code", i)
		levelsField := fmt.Sprintf("scope[%d].levels", i)
		code := strings.TrimSpace(req.OccupationCode)
		if !v.Check(catalog.ValidCode(code), codeField, "format", "occupation_code must look like 6-31-01-03") {
			continue
		}
		if first, dup := seen[code]; dup {
			v.Add(codeField, "duplicate", fmt.Sprintf("occupation %s is already scope[%d]", code, first))
			continue
		}
		seen[code] = i
		occ, err := s.occ.OccupationTx(ctx, tx, code)
		if errors.Is(err, catalog.ErrOccupationNotFound) {
			v.Add(codeField, "unknown", "no occupation "+code+" in the catalog")
			continue
		}
		if err != nil {
			return nil, err
		}
		if !occ.Evaluable() {
			v.Add(codeField, "no_standard", occ.Name+" has no national skill standard; an enterprise must first file an evaluation norm for it")
			continue
		}
		if !v.Check(len(req.Levels) > 0, levelsField, "required", "at least one level") {
			continue
		}
		levelSeen := map[int]bool{}
		for _, l := range req.Levels {
			switch {
			case levelSeen[l]:
				v.Add(levelsField, "duplicate", fmt.Sprintf("level %d appears twice", l))
			case !occ.AllowsLevel(l):
				v.Add(levelsField, "level_not_allowed", fmt.Sprintf("%s is evaluated at levels %v, not %d", occ.Name, occ.Levels, l))
			default:
				levelSeen[l] = true
				r := scopeRow{TenantID: f.TenantID, FilingID: f.ID, OccupationCode: code, Level: l}
				if occ.NormFiled {
					id := occ.NormID
					r.NormID = &id
				}
				rows = append(rows, r)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// Renew applies for the renewal of an approved filing of the institution in ctx: a new submitted
// filing linked to it, with the given scope or, when scope is nil, the same scope. Only in the last
// three months before valid_until (422 renewal_window otherwise; also once it has run out), not for a
// filing that is not approved (409 invalid_state), and once (409 duplicate while a renewal is
// submitted or approved).
func (s *Service) Renew(ctx context.Context, id uuid.UUID, scope []ScopeRequest) (Filing, error) {
	return s.submit(ctx, scope, id)
}

func (s *Service) checkRenewable(ctx context.Context, tx bun.IDB, f Filing) error {
	today := Day(s.now())
	switch f.Status {
	case StatusApproved:
	case StatusExpired:
		return ErrRenewalWindow
	default:
		return ErrInvalidState
	}
	if today.Before(RenewalOpens(f.ValidUntil)) || !today.Before(f.ValidUntil) {
		return ErrRenewalWindow
	}
	exists, err := renewalExists(ctx, tx, f.TenantID, f.ID)
	if err != nil {
		return err
	}
	if exists {
		return ErrRenewalPending
	}
	return nil
}

// Get returns a filing of the institution in ctx (404 for another tenant's).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Filing, error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return Filing{}, tenants.ErrNoScope
	}
	var out Filing
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = getFiling(ctx, tx, sc.TenantID, id, false)
		return err
	})
	return out, err
}

// List returns a page of the filings of the institution in ctx by submission time (SortSubmittedAt,
// either way), narrowed by f.
func (s *Service) List(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Filing], error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[Filing]{}, tenants.ErrNoScope
	}
	lf, err := filingQuery(req, f, []uuid.UUID{sc.TenantID})
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	var out []Filing
	err = tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = listFilings(ctx, tx, lf, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	return platform.CutPage(out, req, filingCursor), nil
}

// OversightList returns a page of the filings of the institutions in the jurisdiction of the regulator
// in ctx (read-only, through the oversight transaction), like List.
func (s *Service) OversightList(ctx context.Context, req platform.PageRequest, f ListFilter) (platform.Page[Filing], error) {
	_, ids, err := s.jurisdiction(ctx)
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	lf, err := filingQuery(req, f, ids)
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	lf.WithTenant = true
	var out []Filing
	err = tenants.OversightTx(ctx, s.db, ids, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = listFilings(ctx, tx, lf, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	return platform.CutPage(out, req, filingCursor), nil
}

// filingQuery checks a filing list's filter and cursor and makes its store query over tenantIDs.
func filingQuery(req platform.PageRequest, f ListFilter, tenantIDs []uuid.UUID) (listFilter, error) {
	if err := f.Validate(); err != nil {
		return listFilter{}, err
	}
	lf := listFilter{Tenants: tenantIDs, Status: f.Status, Desc: req.Desc}
	var after submittedCursor
	if ok, err := platform.DecodeCursor(req.Cursor, &after.SubmittedAt, &after.ID); err != nil {
		return listFilter{}, err
	} else if ok {
		lf.After = &after
	}
	return lf, nil
}

// filingCursor is the cursor after f in a list by submission time.
func filingCursor(f Filing) string { return platform.EncodeCursor(f.SubmittedAt, f.ID) }

// OversightGet returns one filing of an institution in the regulator's jurisdiction; any other is 404.
func (s *Service) OversightGet(ctx context.Context, id uuid.UUID) (Filing, error) {
	_, ids, err := s.jurisdiction(ctx)
	if err != nil {
		return Filing{}, err
	}
	var out Filing
	err = tenants.OversightTx(ctx, s.db, ids, func(ctx context.Context, tx bun.Tx) error {
		tid, err := filingTenant(ctx, tx, ids, id)
		if err != nil {
			return err
		}
		if out, err = getFiling(ctx, tx, tid, id, false); err != nil {
			return err
		}
		t, err := s.dir.ByID(ctx, tid)
		out.InstitutionName, out.InstitutionSlug = t.Name, t.Slug
		return err
	})
	return out, err
}

func (s *Service) jurisdiction(ctx context.Context) (tenants.Scope, []uuid.UUID, error) {
	sc, err := tenants.RegulatorScope(ctx)
	if err != nil {
		return sc, nil, err
	}
	ids, err := s.dir.Jurisdiction(ctx, sc)
	return sc, ids, err
}

// Decide records the decision of the regulator in ctx on a submitted filing of an institution in its
// jurisdiction (404 for any other) and applies it to the institution's filing, all in one
// transaction: the regulator's own record (filing_decisions) and audit entry, and in the institution's
// tenant the updated filing, its audit entry and the filing.decided report. Approval sets valid_until
// three years on and the province code from the institution's region. 409 invalid_state unless the
// filing is submitted.
func (s *Service) Decide(ctx context.Context, id uuid.UUID, d Decision) (Filing, error) {
	reg, ids, err := s.jurisdiction(ctx)
	if err != nil {
		return Filing{}, err
	}
	if err := d.Validate(Day(s.now())); err != nil {
		return Filing{}, err
	}
	var tid uuid.UUID
	if err := tenants.OversightTx(ctx, s.db, ids, func(ctx context.Context, tx bun.Tx) (err error) {
		tid, err = filingTenant(ctx, tx, ids, id)
		return err
	}); err != nil {
		return Filing{}, err
	}
	inst, err := s.dir.ByID(ctx, tid)
	if err != nil {
		return Filing{}, err
	}
	if !inst.Kind.IsInstitution() || len(inst.RegionCode) != 6 {
		return Filing{}, ErrNotFound
	}
	instScope := tenants.Scope{TenantID: inst.ID, Kind: inst.Kind, RegionCode: inst.RegionCode, Slug: inst.Slug}
	actor := tenants.ActorFrom(ctx)
	var out Filing
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		at := s.stamp()
		rec := &decisionRow{ID: uuid.New(), TenantID: reg.TenantID, FilingID: id, InstitutionID: inst.ID,
			Decision: d.Decision, Note: d.Note, DecidedAt: at}
		if actor.UserID != uuid.Nil {
			rec.DecidedBy = &actor.UserID
		}
		// The institution's side, in its tenant: the regulator's decision applied by the system.
		err := tenants.As(ctx, tx, instScope, func(ctx context.Context) error {
			cur, err := getFiling(ctx, tx, inst.ID, id, true)
			if err != nil {
				return err
			}
			if cur.Status != StatusSubmitted {
				return platform.Conflict("invalid_state", "the filing is "+string(cur.Status)+"; only a submitted filing can be decided")
			}
			row := &filingRow{ID: id, TenantID: inst.ID, RegionCode: inst.RegionCode, DecisionNote: d.Note,
				DecidedAt: &at, DecidedBy: &reg.TenantID, UpdatedAt: at}
			if d.Decision == DecisionApprove {
				from, until := d.ValidFrom, ValidUntil(d.ValidFrom)
				row.Status = string(StatusApproved)
				row.EvaluatorCode, row.SiteSerial, row.ProvinceCode = d.EvaluatorCode, d.SiteSerial, inst.RegionCode[:2]
				row.ValidFrom, row.ValidUntil = &from, &until
				rec.EvaluatorCode, rec.SiteSerial, rec.ProvinceCode = row.EvaluatorCode, row.SiteSerial, row.ProvinceCode
				rec.ValidFrom, rec.ValidUntil = &from, &until
			} else {
				row.Status = string(StatusRejected)
				row.RegionCode = cur.RegionCode
			}
			if err := updateDecision(ctx, tx, row); err != nil {
				return err
			}
			if out, err = getFiling(ctx, tx, inst.ID, id, false); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "filing.decide", TargetType: "filing", TargetID: id.String(),
				Before: map[string]any{"status": cur.Status}, After: decisionAudit(out, reg.TenantID)}); err != nil {
				return err
			}
			_, err = reports.Emit(ctx, tx, reports.FilingDecided, "filing", id.String(), reportOf(out))
			return err
		})
		if err != nil {
			return err
		}
		// The regulator's own record, back in its tenant.
		if _, err := tx.NewInsert().Model(rec).Exec(ctx); err != nil {
			return err
		}
		after := decisionAudit(out, reg.TenantID)
		after["institution_id"] = inst.ID
		return audit.Record(ctx, tx, audit.Event{Action: "oversight.filing_decide", TargetType: "filing", TargetID: id.String(),
			After: after})
	})
	if err != nil {
		return Filing{}, err
	}
	out.InstitutionName, out.InstitutionSlug = inst.Name, inst.Slug
	return out, nil
}

func decisionAudit(f Filing, regulator uuid.UUID) map[string]any {
	m := map[string]any{"status": f.Status, "note": f.DecisionNote, "decided_by": regulator}
	if f.Status == StatusApproved {
		m["evaluator_code"], m["province_code"], m["site_serial"] = f.EvaluatorCode, f.ProvinceCode, f.SiteSerial
		m["valid_from"], m["valid_until"] = f.ValidFrom.Format(time.DateOnly), f.ValidUntil.Format(time.DateOnly)
	}
	return m
}

// reportOf is the filing as reported to the regulator and audited: an immutable copy.
func reportOf(f Filing) map[string]any {
	scope := make([]map[string]any, len(f.Scope))
	for i, it := range f.Scope {
		scope[i] = map[string]any{"occupation_code": it.OccupationCode, "occupation_name": it.OccupationName, "levels": it.Levels}
		if it.NormID != uuid.Nil {
			scope[i]["norm_id"] = it.NormID
		}
	}
	m := map[string]any{"id": f.ID, "institution_id": f.TenantID, "status": f.Status, "region_code": f.RegionCode, "scope": scope}
	if f.RenewalOf != uuid.Nil {
		m["renewal_of"] = f.RenewalOf
	}
	if f.Status == StatusApproved {
		m["evaluator_code"], m["province_code"], m["site_serial"] = f.EvaluatorCode, f.ProvinceCode, f.SiteSerial
		m["valid_from"], m["valid_until"] = f.ValidFrom.Format(time.DateOnly), f.ValidUntil.Format(time.DateOnly)
	}
	if !f.DecidedAt.IsZero() {
		m["decided_at"], m["decision_note"] = f.DecidedAt, f.DecisionNote
	}
	return m
}

// CheckScope answers, for the tenant in ctx and inside the caller's transaction tx, whether it may
// evaluate occupationCode at level on the day of asOf (China's calendar): it returns the approved,
// unexpired filing covering them (the latest-ending one when several do), or a 422 out_of_scope whose
// Reason says why not — the tenant is suspended or disabled, no filing names the occupation or level,
// the covering filing is submitted, rejected, expired or not yet valid, or it was approved for a region
// the institution has since left.
func (s *Service) CheckScope(ctx context.Context, tx bun.IDB, occupationCode string, level int, asOf time.Time) (ApprovedScope, error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return ApprovedScope{}, tenants.ErrNoScope
	}
	status, region, err := tenantState(ctx, tx, sc.TenantID)
	if err != nil {
		return ApprovedScope{}, err
	}
	switch tenants.Status(status) {
	case tenants.StatusSuspended:
		return ApprovedScope{}, outOfScope(ReasonSuspended, "the institution is suspended by its regulator and may not evaluate")
	case tenants.StatusDisabled:
		return ApprovedScope{}, outOfScope(ReasonDisabled, "the institution is disabled")
	}
	rows, err := coveringFilings(ctx, tx, sc.TenantID, occupationCode, level)
	if err != nil {
		return ApprovedScope{}, err
	}
	day := Day(asOf)
	var best *coveringRow
	reasons := map[string]bool{}
	filedRegion := ""
	for i := range rows {
		r := &rows[i]
		switch Status(r.Status) {
		case StatusSubmitted:
			reasons[ReasonNotApproved] = true
		case StatusRejected:
			reasons[ReasonRejected] = true
		case StatusExpired:
			reasons[ReasonExpired] = true
		case StatusApproved:
			if r.ValidFrom == nil || r.ValidUntil == nil {
				continue
			}
			from, until := dateOf(*r.ValidFrom), dateOf(*r.ValidUntil)
			switch {
			case !day.Before(until):
				reasons[ReasonExpired] = true
			case day.Before(from):
				reasons[ReasonNotYetValid] = true
			case r.RegionCode != region:
				reasons[ReasonRegionMismatch] = true
				filedRegion = r.RegionCode
			case best == nil || until.After(dateOf(*best.ValidUntil)):
				best = r
			}
		}
	}
	if best != nil {
		return ApprovedScope{FilingID: best.ID, EvaluatorCode: best.EvaluatorCode, ProvinceCode: best.ProvinceCode,
			SiteSerial: best.SiteSerial, ValidFrom: dateOf(*best.ValidFrom), ValidUntil: dateOf(*best.ValidUntil)}, nil
	}
	what := fmt.Sprintf("%s level %d", occupationCode, level)
	// The most telling reason first: what the institution would have to fix.
	for _, r := range []struct{ reason, msg string }{
		{ReasonRegionMismatch, "the filing covering " + what + " was approved for region " + filedRegion +
			"; the institution is now registered in " + region + " and may not evaluate across regions"},
		{ReasonExpired, "the filing covering " + what + " has expired"},
		{ReasonNotYetValid, "the filing covering " + what + " is not valid yet"},
		{ReasonNotApproved, "the filing covering " + what + " is not approved yet"},
		{ReasonRejected, "the filing covering " + what + " was rejected"},
	} {
		if reasons[r.reason] {
			return ApprovedScope{}, outOfScope(r.reason, r.msg)
		}
	}
	filed, err := occupationFiled(ctx, tx, sc.TenantID, occupationCode)
	if err != nil {
		return ApprovedScope{}, err
	}
	if filed {
		return ApprovedScope{}, outOfScope(ReasonLevelNotFiled, "no filing covers "+occupationCode+" at level "+fmt.Sprint(level))
	}
	return ApprovedScope{}, outOfScope(ReasonNoFiling, "no filing covers occupation "+occupationCode)
}

// RunExpiry is the daily job: for every approved filing ending within 90 days of asOf's date it
// records the warning of the tightest threshold reached (90, 30 or 7 days ahead), and it moves filings
// whose valid_until has come to expired (with an expired notice). It finds due filings with a
// cross-tenant read, then writes each institution's changes in that institution's own transaction,
// audited. Running it again for the same day changes nothing (one notice per filing and threshold).
// Errors of one institution do not stop the others; they are returned together.
func (s *Service) RunExpiry(ctx context.Context, asOf time.Time) (ExpiryResult, error) {
	day := Day(asOf)
	horizon := day.AddDate(0, 0, WarningDays[0])
	var due []dueRow
	if err := tenants.SystemReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		due, err = dueFilings(ctx, tx, horizon)
		return err
	}); err != nil {
		return ExpiryResult{}, err
	}
	var res ExpiryResult
	var errs []error
	for start := 0; start < len(due); {
		end := start
		for end < len(due) && due[end].TenantID == due[start].TenantID {
			end++
		}
		r, err := s.expireTenant(ctx, due[start].TenantID, due[start:end], day)
		if err != nil {
			errs = append(errs, fmt.Errorf("filings of tenant %s: %w", due[start].TenantID, err))
		}
		res.Checked += r.Checked
		res.Expired += r.Expired
		res.Warned += r.Warned
		start = end
	}
	return res, errors.Join(errs...)
}

func (s *Service) expireTenant(ctx context.Context, tenantID uuid.UUID, due []dueRow, day time.Time) (ExpiryResult, error) {
	t, err := s.dir.ByID(ctx, tenantID)
	if err != nil {
		return ExpiryResult{}, err
	}
	ctx = tenants.WithScope(ctx, tenants.Scope{TenantID: t.ID, Kind: t.Kind, RegionCode: t.RegionCode, Slug: t.Slug})
	ctx = tenants.WithActor(ctx, tenants.Actor{Name: "system:filings:expiry"})
	var res ExpiryResult
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		res = ExpiryResult{}
		for _, d := range due {
			f, err := getFiling(ctx, tx, tenantID, d.ID, true)
			if err != nil {
				return err
			}
			if f.Status != StatusApproved {
				continue // decided otherwise since the scan
			}
			res.Checked++
			at := s.stamp()
			days := int(f.ValidUntil.Sub(day).Hours() / 24)
			if days <= 0 {
				if err := setStatus(ctx, tx, tenantID, f.ID, StatusExpired, at); err != nil {
					return err
				}
				if _, err := insertNotice(ctx, tx, &noticeRow{ID: uuid.New(), TenantID: tenantID, FilingID: f.ID,
					Kind: NoticeExpired, ValidUntil: f.ValidUntil, CreatedAt: at}); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, audit.Event{Action: "filing.expire", TargetType: "filing", TargetID: f.ID.String(),
					Before: map[string]any{"status": f.Status}, After: map[string]any{"status": StatusExpired,
						"valid_until": f.ValidUntil.Format(time.DateOnly)}}); err != nil {
					return err
				}
				res.Expired++
				continue
			}
			threshold := 0
			for _, w := range WarningDays { // 90, 30, 7: keep the tightest one reached
				if days <= w {
					threshold = w
				}
			}
			if threshold == 0 {
				continue
			}
			inserted, err := insertNotice(ctx, tx, &noticeRow{ID: uuid.New(), TenantID: tenantID, FilingID: f.ID,
				Kind: NoticeExpiryWarning, DaysBefore: threshold, ValidUntil: f.ValidUntil, CreatedAt: at})
			if err != nil {
				return err
			}
			if !inserted {
				continue
			}
			res.Warned++
			if err := audit.Record(ctx, tx, audit.Event{Action: "filing.expiry_warning", TargetType: "filing", TargetID: f.ID.String(),
				After: map[string]any{"days_before": threshold, "valid_until": f.ValidUntil.Format(time.DateOnly)}}); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// Notices returns a page of the expiry notices of the institution in ctx, newest first: req must be
// descending (400 invalid_sort otherwise).
func (s *Service) Notices(ctx context.Context, req platform.PageRequest) (platform.Page[Notice], error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[Notice]{}, tenants.ErrNoScope
	}
	if !req.Desc {
		return platform.Page[Notice]{}, ErrNoticeOrder
	}
	var after *noticeCursor
	var cur noticeCursor
	if ok, err := platform.DecodeCursor(req.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return platform.Page[Notice]{}, err
	} else if ok {
		after = &cur
	}
	var out []Notice
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = listNotices(ctx, tx, sc.TenantID, after, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Notice]{}, err
	}
	return platform.CutPage(out, req, func(n Notice) string { return platform.EncodeCursor(n.CreatedAt, n.ID) }), nil
}

// maxReportText bounds a plan or summary (a few pages of text).
const maxReportText = 20000

// PutAnnualReport records (or replaces) the enterprise's plan for year and its summary of the year
// before. Enterprises only (403 otherwise); year from 2000 to next year.
func (s *Service) PutAnnualReport(ctx context.Context, year int, plan, summary string) (AnnualReport, error) {
	sc, err := tenants.RequireKind(ctx, tenants.KindEnterprise)
	if err != nil {
		if platform.KindOf(err) == platform.KindForbidden {
			err = ErrEnterpriseOnly
		}
		return AnnualReport{}, err
	}
	plan, summary = strings.TrimSpace(plan), strings.TrimSpace(summary)
	var v platform.Validation
	v.Check(year >= 2000 && year <= Day(s.now()).Year()+1, "year", "out_of_range", "a year from 2000 to next year")
	v.Check(plan != "" || summary != "", "plan", "required", "a plan or a summary is required")
	v.Check(utf8.RuneCountInString(plan) <= maxReportText, "plan", "too_long", fmt.Sprintf("at most %d characters", maxReportText))
	v.Check(utf8.RuneCountInString(summary) <= maxReportText, "summary", "too_long", fmt.Sprintf("at most %d characters", maxReportText))
	if err := v.Err(); err != nil {
		return AnnualReport{}, err
	}
	var out AnnualReport
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		old, existed, err := getAnnual(ctx, tx, sc.TenantID, year)
		if err != nil {
			return err
		}
		at := s.stamp()
		row := &annualRow{TenantID: sc.TenantID, Year: year, Plan: plan, Summary: summary, CreatedAt: at, UpdatedAt: at}
		if existed {
			row.CreatedAt = old.CreatedAt
		}
		if err := upsertAnnual(ctx, tx, row); err != nil {
			return err
		}
		out = row.report()
		ev := audit.Event{Action: "filing.annual_report", TargetType: "annual_report", TargetID: fmt.Sprint(year),
			After: map[string]any{"year": year, "plan": plan, "summary": summary}}
		if existed {
			ev.Before = map[string]any{"year": year, "plan": old.Plan, "summary": old.Summary}
		}
		return audit.Record(ctx, tx, ev)
	})
	return out, err
}

// AnnualReports returns a page of the annual reports of the tenant in ctx by year (SortYear, either
// way).
func (s *Service) AnnualReports(ctx context.Context, req platform.PageRequest) (platform.Page[AnnualReport], error) {
	sc, ok := tenants.FromContext(ctx)
	if !ok {
		return platform.Page[AnnualReport]{}, tenants.ErrNoScope
	}
	var after *int
	var year int
	if ok, err := platform.DecodeCursor(req.Cursor, &year); err != nil {
		return platform.Page[AnnualReport]{}, err
	} else if ok {
		after = &year
	}
	var out []AnnualReport
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = listAnnual(ctx, tx, sc.TenantID, after, req.Desc, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[AnnualReport]{}, err
	}
	return platform.CutPage(out, req, func(r AnnualReport) string { return platform.EncodeCursor(r.Year) }), nil
}
