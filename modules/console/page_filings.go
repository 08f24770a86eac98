package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	cat "github.com/skillcert/skillcert/modules/catalog"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/tenants"
)

// 备案 (filings): an institution's filings with the regulator, the scope picker that submits and
// renews them, the regulator's decisions and expiry notices, enterprises' annual reports, and
// enterprises' evaluation norms (企业评价规范). Every page calls the filings and catalog services the
// API calls, with the API's permission.

// Filings is what the filing pages need of the filings module.
type Filings interface {
	Submit(ctx context.Context, scope []filings.ScopeRequest) (filings.Filing, error)
	Renew(ctx context.Context, id uuid.UUID, scope []filings.ScopeRequest) (filings.Filing, error)
	Get(ctx context.Context, id uuid.UUID) (filings.Filing, error)
	List(ctx context.Context, req platform.PageRequest, f filings.ListFilter) (platform.Page[filings.Filing], error)
	Notices(ctx context.Context, req platform.PageRequest) (platform.Page[filings.Notice], error)
	PutAnnualReport(ctx context.Context, year int, plan, summary string) (filings.AnnualReport, error)
	AnnualReports(ctx context.Context, req platform.PageRequest) (platform.Page[filings.AnnualReport], error)
}

// Catalog is what the scope picker and the evaluation norm pages need of the catalog module.
type Catalog interface {
	List(ctx context.Context, req platform.PageRequest, f cat.ListFilter) (platform.Page[cat.Occupation], error)
	Occupation(ctx context.Context, code string) (cat.Occupation, error)
	CreateNorm(ctx context.Context, in cat.NewNorm) (cat.Norm, error)
	FileNorm(ctx context.Context, id uuid.UUID, in cat.NormFiling) (cat.Norm, error)
	Norms(ctx context.Context, req platform.PageRequest) (platform.Page[cat.Norm], error)
}

// filingPages registers the pages of 备案: filings, annual reports, evaluation norms. Fixed paths come
// before /filings/:id, which would otherwise take them.
func (c *Console) filingPages(r *router) {
	r.get("/filings", access{Permission: filings.PermFilingList}, c.filingsPage)
	r.get("/filings/new", access{Permission: filings.PermFilingCreate}, c.newFilingPage)
	r.post("/filings", access{Permission: filings.PermFilingCreate}, c.submitFiling)
	r.get("/filings/annual-reports", access{Permission: filings.PermAnnualReportList}, c.annualReportsPage)
	r.post("/filings/annual-reports", access{Permission: filings.PermAnnualReportWrite}, c.putAnnualReport)
	r.get("/filings/:id", access{Permission: filings.PermFilingRead}, c.filingPage)
	r.get("/filings/:id/renew", access{Permission: filings.PermFilingRenew}, c.renewFilingPage)
	r.post("/filings/:id/renew", access{Permission: filings.PermFilingRenew}, c.renewFiling)
	r.get("/evaluation-norms", access{Permission: cat.PermNormList}, c.normsPage)
	r.post("/evaluation-norms", access{Permission: cat.PermNormCreate}, c.createNorm)
	r.post("/evaluation-norms/:id/file", access{Permission: cat.PermNormFile}, c.fileNorm)
}

// isEnterprise reports whether the signed-in tenant is an enterprise (用人单位): only enterprises
// report annual plans and keep evaluation norms.
func isEnterprise(ctx context.Context) bool {
	s, ok := tenants.FromContext(ctx)
	return ok && s.Kind == tenants.KindEnterprise
}

// levelLabel names a national level as people in the locale write it: 三级/高级工, "Level 3 (senior
// worker)".
func levelLabel(l *loc, level int) string {
	lv := cat.Level(level)
	if !lv.Valid() {
		return strconv.Itoa(level)
	}
	if l.Lang() == "en" {
		if lv.IsNational() {
			return fmt.Sprintf("Level %d (%s)", level, lv.LabelEN())
		}
		en := lv.LabelEN()
		return strings.ToUpper(en[:1]) + en[1:]
	}
	return lv.Label()
}

// expiryHorizon is how close to its end an approved filing is flagged as near expiry: the first
// warning the daily job sends (90 days).
var expiryHorizon = filings.WarningDays[0]

// filingRow is one filing as the list and the filing page show it.
type filingRow struct {
	filings.FilingView
	Levels       []scopeLine // the scope with level names
	From         time.Time   // valid_from, zero until approved
	Through      time.Time   // the last day it is valid (valid_until is exclusive)
	DaysLeft     int         // days until valid_until, for approved filings
	NearExpiry   bool        // approved and within the warning horizon
	RenewalOpens time.Time   // first day a renewal may be applied for
	InWindow     bool        // a renewal may be applied for today
	Decided      time.Time   // when the regulator decided, zero before
}

// scopeLine is one occupation of a scope with its levels named.
type scopeLine struct {
	Code, Name string
	Levels     []string
	LevelsText string // the levels as one phrase
	NormFiled  bool
}

// joinList writes items as a list in the locale: 甲、乙 or "a, b".
func joinList(l *loc, items []string) string {
	if l.Lang() == "en" {
		return strings.Join(items, ", ")
	}
	return strings.Join(items, "、")
}

func (c *Console) filingRowOf(l *loc, f filings.Filing) filingRow {
	r := filingRow{FilingView: filings.NewFilingView(f), Decided: f.DecidedAt}
	for _, it := range f.Scope {
		line := scopeLine{Code: it.OccupationCode, Name: it.OccupationName, NormFiled: it.NormID != uuid.Nil}
		for _, lv := range it.Levels {
			line.Levels = append(line.Levels, levelLabel(l, lv))
		}
		line.LevelsText = joinList(l, line.Levels)
		r.Levels = append(r.Levels, line)
	}
	if !f.ValidFrom.IsZero() {
		r.From, r.Through = f.ValidFrom, f.ValidUntil.AddDate(0, 0, -1)
		r.RenewalOpens = filings.RenewalOpens(f.ValidUntil)
	}
	if f.Status == filings.StatusApproved {
		today := filings.Day(c.d.Now())
		r.DaysLeft = int(f.ValidUntil.Sub(today).Hours() / 24)
		r.NearExpiry = r.DaysLeft <= expiryHorizon
		r.InWindow = !today.Before(r.RenewalOpens) && today.Before(f.ValidUntil)
	}
	return r
}

// ScopeSummary is the scope in one line, for the list and the export: 电工（三级/高级工、四级/中级工）.
func (r filingRow) ScopeSummary() string {
	parts := make([]string, len(r.Levels))
	for i, s := range r.Levels {
		parts[i] = s.Name + "（" + s.LevelsText + "）"
	}
	return strings.Join(parts, "；")
}

// ---- the list ----

// filingList is the API's list of filings (GET /api/v1/filings): the same sort and status filter.
// Without ?sort= the console shows the newest first.
var filingList = &httpx.List{
	Sorts: []string{filings.SortSubmittedAt},
	Filters: []httpx.Filter{{Name: "status", Description: "only filings in this state",
		Enum: []string{string(filings.StatusSubmitted), string(filings.StatusApproved), string(filings.StatusRejected), string(filings.StatusExpired)}}},
}

// filingStatuses are the states offered by the list's filter, in lifecycle order.
var filingStatuses = []string{string(filings.StatusSubmitted), string(filings.StatusApproved), string(filings.StatusRejected), string(filings.StatusExpired)}

// filingsListPage is 备案管理: expiry notices, the filings, and (enterprises) the latest annual reports.
type filingsListPage struct {
	Filings    []filingRow
	List       listView
	Statuses   []string
	Notices    []noticeRow
	Reports    []filings.AnnualReportView
	ShowReport bool // the tenant reports annual plans and the role may read them
	ShowNorms  bool
	CanCreate  bool
}

// noticeRow is an expiry notice with the last day of its filing.
type noticeRow struct {
	filings.NoticeView
	Through time.Time
	At      time.Time
}

func newNoticeRow(n filings.Notice) noticeRow {
	return noticeRow{NoticeView: filings.NewNoticeView(n), Through: n.ValidUntil.AddDate(0, 0, -1), At: n.CreatedAt}
}

func (c *Console) filingsPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	l := c.loc(fc)
	req, lv, err := c.parseList(fc, filingList)
	if err != nil {
		return err
	}
	if fc.Query("sort") == "" {
		req.Desc, lv.Desc = true, true
	}
	filter := filings.ListFilter{Status: filings.Status(lv.Value("status"))}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[filingRow], error) {
		p, err := c.d.Filings.List(ctx, req, filter)
		if err != nil {
			return platform.Page[filingRow]{}, err
		}
		return platform.MapPage(p, func(f filings.Filing) filingRow { return c.filingRowOf(l, f) }), nil
	}
	if lv.Exporting() {
		return exportXLSX(fc, l, "filings", filingColumns(l), req, fetch)
	}
	page, err := fetch(ctx, req)
	if err != nil {
		return err
	}
	p := filingsListPage{Filings: page.Items, List: lv.WithNext(page.NextCursor), Statuses: filingStatuses,
		CanCreate: c.d.Authorizer.Can(ctx, filings.PermFilingCreate),
		ShowNorms: isEnterprise(ctx) && c.d.Authorizer.Can(ctx, cat.PermNormList)}
	notices, err := c.d.Filings.Notices(ctx, platform.PageRequest{Limit: 5, Desc: true})
	if err != nil {
		return err
	}
	for _, n := range notices.Items {
		p.Notices = append(p.Notices, newNoticeRow(n))
	}
	if isEnterprise(ctx) && c.d.Authorizer.Can(ctx, filings.PermAnnualReportList) {
		p.ShowReport = true
		reps, err := c.d.Filings.AnnualReports(ctx, platform.PageRequest{Limit: 3, Desc: true})
		if err != nil {
			return err
		}
		p.Reports = platform.MapPage(reps, filings.NewAnnualReportView).Items
	}
	return c.render(fc, "filings", p)
}

// filingColumns are the columns of the filings export.
func filingColumns(l *loc) []column[filingRow] {
	day := func(t time.Time) any {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	return []column[filingRow]{
		{Key: "filings.submitted_at", Cell: func(r filingRow) any { return r.SubmittedAt }},
		{Key: "filings.status", Cell: func(r filingRow) any { return l.T("filings.status." + r.Status) }},
		{Key: "filings.scope", Cell: func(r filingRow) any { return r.ScopeSummary() }},
		{Key: "filings.region", Cell: func(r filingRow) any { return r.RegionCode }},
		{Key: "filings.evaluator_code", Cell: func(r filingRow) any { return r.EvaluatorCode }},
		{Key: "filings.site_serial", Cell: func(r filingRow) any { return r.SiteSerial }},
		{Key: "filings.valid_from", Cell: func(r filingRow) any { return day(r.From) }},
		{Key: "filings.valid_through", Cell: func(r filingRow) any { return day(r.Through) }},
		{Key: "filings.decision_note", Cell: func(r filingRow) any { return r.DecisionNote }},
	}
}

// ---- one filing ----

// filingDetailPage is one filing: its scope, status, the regulator's decision, validity, notices and
// renewals.
type filingDetailPage struct {
	F         filingRow
	Notices   []noticeRow
	Renewals  []filingRow // filings that renew this one
	CanRenew  bool        // the role may renew and the window is open and no renewal is pending
	Submitted bool        // just submitted (the page after the form)
}

func (c *Console) filingPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	f, err := c.d.Filings.Get(ctx, id)
	if err != nil {
		return err
	}
	l := c.loc(fc)
	p := filingDetailPage{F: c.filingRowOf(l, f), Submitted: fc.Query("submitted") != ""}
	renewals, err := c.renewalsOf(ctx, id)
	if err != nil {
		return err
	}
	pending := false
	for _, r := range renewals {
		p.Renewals = append(p.Renewals, c.filingRowOf(l, r))
		if r.Status == filings.StatusSubmitted || r.Status == filings.StatusApproved {
			pending = true
		}
	}
	p.CanRenew = p.F.InWindow && !pending && c.d.Authorizer.Can(ctx, filings.PermFilingRenew)
	if p.Notices, err = c.noticesOf(ctx, id); err != nil {
		return err
	}
	return c.render(fc, "filing", p)
}

// scanLimit bounds how many rows a page reads to find a filing's renewals and notices: an institution
// has a handful of filings and at most four notices per filing.
const scanLimit = 1000

// renewalsOf finds the filings that renew id, newest first.
func (c *Console) renewalsOf(ctx context.Context, id uuid.UUID) ([]filings.Filing, error) {
	var out []filings.Filing
	req := platform.PageRequest{Limit: platform.MaxLimit, Desc: true}
	for read := 0; read < scanLimit; read += req.Limit {
		p, err := c.d.Filings.List(ctx, req, filings.ListFilter{})
		if err != nil {
			return nil, err
		}
		for _, f := range p.Items {
			if f.RenewalOf == id {
				out = append(out, f)
			}
		}
		if p.NextCursor == "" {
			break
		}
		req.Cursor = p.NextCursor
	}
	return out, nil
}

// noticesOf finds the expiry notices of one filing, newest first.
func (c *Console) noticesOf(ctx context.Context, id uuid.UUID) ([]noticeRow, error) {
	var out []noticeRow
	req := platform.PageRequest{Limit: platform.MaxLimit, Desc: true}
	for read := 0; read < scanLimit; read += req.Limit {
		p, err := c.d.Filings.Notices(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, n := range p.Items {
			if n.FilingID == id {
				out = append(out, newNoticeRow(n))
			}
		}
		if p.NextCursor == "" {
			break
		}
		req.Cursor = p.NextCursor
	}
	return out, nil
}

// ---- the scope picker: submission and renewal ----

// pickerPage is the submission (or renewal) form: the chosen occupations × levels, and a catalog
// search whose matches can be added. Without JavaScript the search is a GET of this page that carries
// the chosen rows along; the submit button alone posts (and alone carries the CSRF token, so that a
// search never puts it in an address).
type pickerPage struct {
	Renewing   *filingRow // the filing renewed, nil for a new filing
	Action     string     // this page (the search's GET)
	Submit     string     // where the form posts
	Q          string
	Chosen     []pickRow
	Results    []pickRow
	NextCursor string // the search's next page
	Searched   bool
	ScopeErr   string // message id of an error about the whole scope
	FormErr    string // message id of a form-level refusal
}

// pickRow is one occupation of the picker with its level checkboxes; its fields are named
// scope[Index].occupation_code and scope[Index].levels, as the API's body.
type pickRow struct {
	Index     int
	Code      string
	Name      string
	Known     bool // in the catalog
	Evaluable bool // a national standard, or the enterprise's filed norm
	NormFiled bool
	NormDraft bool // the enterprise's norm for it is not filed yet
	Levels    []levelOpt
	CodeErr   string // message ids of the row's field errors
	LevelsErr string
}

// levelOpt is one level checkbox.
type levelOpt struct {
	Value   int
	Label   string
	Checked bool
	Offered bool // a level the occupation is evaluated at
}

// scopeField matches the picker's field names.
var scopeField = regexp.MustCompile(`^scope\[(\d{1,3})\]\.(occupation_code|levels)$`)

// scopeInput is one row of the scope as the form sent it.
type scopeInput struct {
	Code   string
	Levels []int
}

// parseScope reads the picker's rows in index order. A row without levels is an occupation the user
// did not pick (a search match left alone, or a chosen row whose levels were all unticked) and is
// dropped; a level that is not a number becomes 0, which the service refuses as not offered.
func parseScope(vals url.Values) []scopeInput {
	rows := map[int]*scopeInput{}
	for k, vs := range vals {
		m := scopeField.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		r := rows[i]
		if r == nil {
			r = &scopeInput{}
			rows[i] = r
		}
		if m[2] == "occupation_code" {
			r.Code = strings.TrimSpace(vs[0])
			continue
		}
		for _, v := range vs {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				n = 0
			}
			r.Levels = append(r.Levels, n)
		}
	}
	idx := make([]int, 0, len(rows))
	for i := range rows {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]scopeInput, 0, len(idx))
	for _, i := range idx {
		if r := rows[i]; len(r.Levels) > 0 {
			out = append(out, *r)
		}
	}
	return out
}

// requestValues is the request's form: the query of a GET, the body of a POST.
func requestValues(fc *fiber.Ctx) url.Values {
	vals := url.Values{}
	args := fc.Context().QueryArgs()
	if fc.Method() == fiber.MethodPost {
		args = fc.Request().PostArgs()
	}
	args.VisitAll(func(k, v []byte) { vals.Add(string(k), string(v)) })
	return vals
}

func toRequests(in []scopeInput) []filings.ScopeRequest {
	out := make([]filings.ScopeRequest, len(in))
	for i, r := range in {
		out[i] = filings.ScopeRequest{OccupationCode: r.Code, Levels: r.Levels}
	}
	return out
}

// pickRowOf describes an occupation for the picker, with the chosen levels ticked.
func pickRowOf(l *loc, o cat.Occupation, chosen []int) pickRow {
	r := pickRow{Code: o.Code, Name: o.Name, Known: true, Evaluable: o.Evaluable(), NormFiled: o.NormFiled}
	for _, lv := range o.Levels {
		r.Levels = append(r.Levels, levelOpt{Value: lv, Label: levelLabel(l, lv), Checked: slices.Contains(chosen, lv), Offered: true})
	}
	for _, lv := range chosen { // levels asked for that the occupation does not offer stay visible
		if !slices.Contains(o.Levels, lv) && !slices.ContainsFunc(r.Levels, func(x levelOpt) bool { return x.Value == lv }) {
			r.Levels = append(r.Levels, levelOpt{Value: lv, Label: levelLabel(l, lv), Checked: true})
		}
	}
	return r
}

// picker builds the picker's rows: the chosen ones (looked up as the tenant sees the catalog, so an
// enterprise's filed norms count) and, when q is set, a page of catalog matches not chosen yet.
func (c *Console) picker(ctx context.Context, l *loc, p *pickerPage, chosen []scopeInput, cursor string) error {
	taken := map[string]bool{}
	for i, in := range chosen {
		var r pickRow
		o, err := c.d.Catalog.Occupation(ctx, in.Code)
		switch {
		case err == nil:
			r = pickRowOf(l, o, in.Levels)
		case platform.KindOf(err) == platform.KindNotFound || errors.Is(err, cat.ErrOccupationNotFound):
			r = pickRow{Code: in.Code}
			for _, lv := range in.Levels {
				r.Levels = append(r.Levels, levelOpt{Value: lv, Label: levelLabel(l, lv), Checked: true})
			}
		default:
			return err
		}
		r.Index = i
		taken[in.Code] = true
		p.Chosen = append(p.Chosen, r)
	}
	if p.Q == "" {
		return nil
	}
	p.Searched = true
	next := len(chosen)
	add := func(r pickRow) {
		if taken[r.Code] {
			return
		}
		taken[r.Code] = true
		if r.Evaluable {
			r.Index = next
			next++
		}
		p.Results = append(p.Results, r)
	}
	// An enterprise's own norms first (occupations without a national standard it may file for once
	// the norm is filed), then the occupations with a national standard, by code.
	if cursor == "" && isEnterprise(ctx) {
		norms, err := c.d.Catalog.Norms(ctx, platform.PageRequest{Limit: platform.MaxLimit})
		if err != nil {
			return err
		}
		for _, n := range norms.Items {
			if !strings.HasPrefix(n.OccupationCode, p.Q) && !strings.Contains(n.OccupationName, p.Q) {
				continue
			}
			o, err := c.d.Catalog.Occupation(ctx, n.OccupationCode)
			if err != nil {
				return err
			}
			r := pickRowOf(l, o, nil)
			r.NormDraft = n.Status == cat.NormDraft
			add(r)
		}
	}
	national := true
	page, err := c.d.Catalog.List(ctx, platform.PageRequest{Limit: 20, Cursor: cursor},
		cat.ListFilter{Query: p.Q, HasNationalStandard: &national})
	if err != nil {
		return err
	}
	p.NextCursor = page.NextCursor
	for _, o := range page.Items {
		add(pickRowOf(l, o, nil))
	}
	return nil
}

// renderPicker renders the picker page, or only its rows for the script's type-ahead (?partial=1).
func (c *Console) renderPicker(fc *fiber.Ctx, p pickerPage) error {
	if fc.Query("partial") == "" {
		return c.render(fc, "filing_form", p)
	}
	set := c.tmpl.pages["filing_form"]
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, "picker_rows", c.viewFor(fc, p)); err != nil {
		return fmt.Errorf("console: rendering the picker: %w", err)
	}
	fc.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return fc.Send(buf.Bytes())
}

func (c *Console) newFilingPage(fc *fiber.Ctx) error {
	vals := requestValues(fc)
	p := pickerPage{Action: "/filings/new", Submit: "/filings", Q: strings.TrimSpace(vals.Get("q"))}
	if err := c.picker(fc.UserContext(), c.loc(fc), &p, parseScope(vals), vals.Get("cursor")); err != nil {
		return err
	}
	return c.renderPicker(fc, p)
}

func (c *Console) submitFiling(fc *fiber.Ctx) error {
	scope := parseScope(requestValues(fc))
	f, err := c.d.Filings.Submit(fc.UserContext(), toRequests(scope))
	if err != nil {
		return c.pickerError(fc, pickerPage{Action: "/filings/new", Submit: "/filings"}, scope, err)
	}
	return fc.Redirect("/filings/"+f.ID.String()+"?submitted=1", fiber.StatusSeeOther)
}

// renewFilingPage is the renewal form, first filled with the renewed filing's scope; later visits (a
// search) carry the rows the user left chosen.
func (c *Console) renewFilingPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	f, err := c.d.Filings.Get(ctx, id)
	if err != nil {
		return err
	}
	l := c.loc(fc)
	vals := requestValues(fc)
	row := c.filingRowOf(l, f)
	p := pickerPage{Renewing: &row, Action: "/filings/" + id.String() + "/renew", Submit: "/filings/" + id.String() + "/renew",
		Q: strings.TrimSpace(vals.Get("q"))}
	scope := parseScope(vals)
	if vals.Get("picked") == "" {
		scope = scope[:0]
		for _, it := range f.Scope {
			scope = append(scope, scopeInput{Code: it.OccupationCode, Levels: slices.Clone(it.Levels)})
		}
	}
	if !row.InWindow {
		p.FormErr = "filings.err.renewal_window"
	}
	if err := c.picker(ctx, l, &p, scope, vals.Get("cursor")); err != nil {
		return err
	}
	return c.renderPicker(fc, p)
}

func (c *Console) renewFiling(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	scope := parseScope(requestValues(fc))
	nf, err := c.d.Filings.Renew(ctx, id, toRequests(scope))
	if err == nil {
		return fc.Redirect("/filings/"+nf.ID.String()+"?submitted=1", fiber.StatusSeeOther)
	}
	f, gerr := c.d.Filings.Get(ctx, id)
	if gerr != nil {
		return gerr
	}
	row := c.filingRowOf(c.loc(fc), f)
	return c.pickerError(fc, pickerPage{Renewing: &row, Action: "/filings/" + id.String() + "/renew",
		Submit: "/filings/" + id.String() + "/renew"}, scope, err)
}

// pickerError shows the service's refusal on the picker: errors of a row next to that row (the
// service names them scope[i].occupation_code and scope[i].levels, i the row's place in what was
// sent, which is the order the rows are shown in), errors of the whole scope above the rows, anything
// else as a form-level message.
func (c *Console) pickerError(fc *fiber.Ctx, p pickerPage, scope []scopeInput, err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
		pe.Kind == platform.KindForbidden || pe.Kind == platform.KindNotFound {
		return err
	}
	if err := c.picker(fc.UserContext(), c.loc(fc), &p, scope, ""); err != nil {
		return err
	}
	for _, f := range pe.Fields {
		msg := filingFieldMessage(f.Code)
		if f.Field == "scope" {
			p.ScopeErr = "picker.scope_invalid"
			switch f.Code {
			case "required":
				p.ScopeErr = "picker.scope_required"
			case "too_many":
				p.ScopeErr = "picker.scope_too_many"
			}
			continue
		}
		if m := scopeField.FindStringSubmatch(f.Field); m != nil {
			if i, _ := strconv.Atoi(m[1]); i >= len(p.Chosen) {
				p.FormErr = msg
			} else if m[2] == "levels" {
				p.Chosen[i].LevelsErr = msg
			} else {
				p.Chosen[i].CodeErr = msg
			}
			continue
		}
		p.FormErr = msg
	}
	if len(pe.Fields) == 0 {
		p.FormErr = filingFieldMessage(pe.Code)
		if errors.Is(err, filings.ErrRenewalPending) {
			p.FormErr = "picker.renewal_pending"
		}
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.render(fc, "filing_form", p)
}

// filingErrorCodes are the error codes of filings and catalog with a message of their own
// (filings.err.<code>); others show a generic one.
var filingErrorCodes = []string{"required", "format", "duplicate", "unknown", "no_standard", "level_not_allowed",
	"too_many", "too_long", "out_of_range", "in_future", "invalid", "renewal_window", "invalid_state",
	"has_national_standard", "forbidden"}

// filingFieldMessage is the catalog id of an error code of the filing and norm forms.
func filingFieldMessage(code string) string {
	if slices.Contains(filingErrorCodes, code) {
		return "filings.err." + code
	}
	return "field.invalid"
}

// ---- annual reports ----

// annualReportsPage is 年度计划与总结: the enterprise's reports and the form to record one.
type annualReportsPage struct {
	Reports  []filings.AnnualReportView
	List     listView
	CanWrite bool
	Form     annualForm
	Saved    string
}

// annualForm is the report form; its fields are named as PUT /api/v1/filings/annual-reports/{year}
// (year from the path, plan and summary from the body).
type annualForm struct {
	Year          string
	Plan, Summary string
	Fields        map[string]string
	Error         string
}

// annualReportList is the API's list of annual reports: by year, newest first unless sort=year.
var annualReportList = &httpx.List{Sorts: []string{filings.SortYear}}

func (c *Console) annualReportsPage(fc *fiber.Ctx) error {
	form := annualForm{Year: strconv.Itoa(filings.Day(c.d.Now()).Year())}
	if y := fc.Query("year"); y != "" { // editing a year: the form starts from what was recorded
		form.Year = y
		r, err := c.annualReport(fc.UserContext(), y)
		if err != nil {
			return err
		}
		form.Plan, form.Summary = r.Plan, r.Summary
	}
	return c.renderAnnualReports(fc, form, fc.Query("saved"))
}

// annualReport finds the recorded report of a year (empty when none).
func (c *Console) annualReport(ctx context.Context, year string) (filings.AnnualReport, error) {
	req := platform.PageRequest{Limit: platform.MaxLimit, Desc: true}
	for read := 0; read < scanLimit; read += req.Limit {
		p, err := c.d.Filings.AnnualReports(ctx, req)
		if err != nil {
			return filings.AnnualReport{}, err
		}
		for _, r := range p.Items {
			if strconv.Itoa(r.Year) == year {
				return r, nil
			}
		}
		if p.NextCursor == "" {
			break
		}
		req.Cursor = p.NextCursor
	}
	return filings.AnnualReport{}, nil
}

func (c *Console) renderAnnualReports(fc *fiber.Ctx, form annualForm, saved string) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, annualReportList)
	if err != nil {
		return err
	}
	if fc.Method() == fiber.MethodPost {
		req = platform.PageRequest{Desc: true}
		lv.Sort, lv.Desc = filings.SortYear, true
	} else if fc.Query("sort") == "" {
		req.Desc, lv.Desc = true, true
	}
	page, err := c.d.Filings.AnnualReports(ctx, req)
	if err != nil {
		return err
	}
	return c.render(fc, "filing_reports", annualReportsPage{
		Reports: platform.MapPage(page, filings.NewAnnualReportView).Items, List: lv.WithNext(page.NextCursor),
		CanWrite: isEnterprise(ctx) && c.d.Authorizer.Can(ctx, filings.PermAnnualReportWrite), Form: form, Saved: saved,
	})
}

func (c *Console) putAnnualReport(fc *fiber.Ctx) error {
	form := annualForm{Year: strings.TrimSpace(fc.FormValue("year")), Plan: fc.FormValue("plan"), Summary: fc.FormValue("summary"),
		Fields: map[string]string{}}
	year, err := strconv.Atoi(form.Year)
	if err != nil {
		form.Fields["year"] = "reports.err_year"
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderAnnualReports(fc, form, "")
	}
	if _, err := c.d.Filings.PutAnnualReport(fc.UserContext(), year, form.Plan, form.Summary); err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable {
			return err
		}
		for _, f := range pe.Fields {
			form.Fields[f.Field] = filingFieldMessage(f.Code)
			if f.Field == "year" {
				form.Fields[f.Field] = "reports.err_year"
			}
		}
		if len(pe.Fields) == 0 {
			form.Error = filingFieldMessage(pe.Code)
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderAnnualReports(fc, form, "")
	}
	return fc.Redirect("/filings/annual-reports?saved="+strconv.Itoa(year), fiber.StatusSeeOther)
}

// ---- evaluation norms ----

// normsPage is 企业评价规范: the enterprise's norms, the form to add one, and filing a draft.
type normsPage struct {
	Norms      []normRow
	List       listView
	Enterprise bool
	CanCreate  bool
	CanFile    bool
	Form       normForm
	FileForm   normFileForm
	Done       string     // message id of what was just done
	LevelOpts  []levelOpt // the levels a norm may set, 五级 first
}

// normRow is a norm with its levels named.
type normRow struct {
	cat.NormView
	LevelsText   string
	SubtypesText string
	Filed        time.Time
}

// normForm is the new-norm form; fields are named as POST /api/v1/evaluation-norms's body (subtypes
// one per line, levels as checkboxes).
type normForm struct {
	OccupationCode string
	Title          string
	Subtypes       string
	Levels         map[int]bool
	DocumentRef    string
	Fields         map[string]string
	Error          string
}

// normFileForm is the filing form of one draft; fields as POST /api/v1/evaluation-norms/{id}/file.
type normFileForm struct {
	ID        string
	FilingRef string
	FiledOn   string
	Fields    map[string]string
	Error     string
}

// normList is the API's list of evaluation norms (GET /api/v1/evaluation-norms).
var normList = &httpx.List{Sorts: []string{cat.SortCreatedAt}}

func (c *Console) normsPage(fc *fiber.Ctx) error {
	done := ""
	switch fc.Query("done") {
	case "created":
		done = "norms.created"
	case "filed":
		done = "norms.filed"
	}
	return c.renderNorms(fc, normForm{}, normFileForm{}, done)
}

func (c *Console) renderNorms(fc *fiber.Ctx, form normForm, file normFileForm, done string) error {
	ctx := fc.UserContext()
	l := c.loc(fc)
	req, lv, err := c.parseList(fc, normList)
	if err != nil {
		return err
	}
	if fc.Method() == fiber.MethodPost {
		req = platform.PageRequest{}
		lv.Sort, lv.Desc = cat.SortCreatedAt, false
	}
	page, err := c.d.Catalog.Norms(ctx, req)
	if err != nil {
		return err
	}
	p := normsPage{List: lv.WithNext(page.NextCursor), Enterprise: isEnterprise(ctx), Form: form, FileForm: file, Done: done}
	p.CanCreate = p.Enterprise && c.d.Authorizer.Can(ctx, cat.PermNormCreate)
	p.CanFile = c.d.Authorizer.Can(ctx, cat.PermNormFile)
	for _, lv := range cat.NationalLevels() {
		p.LevelOpts = append(p.LevelOpts, levelOpt{Value: int(lv), Label: levelLabel(l, int(lv)), Checked: form.Levels[int(lv)], Offered: true})
	}
	for _, n := range page.Items {
		r := normRow{NormView: cat.NewNormView(n), Filed: n.FiledOn, SubtypesText: joinList(l, n.Subtypes)}
		names := make([]string, len(n.Levels))
		for i, lv := range n.Levels {
			names[i] = levelLabel(l, lv)
		}
		r.LevelsText = joinList(l, names)
		p.Norms = append(p.Norms, r)
	}
	return c.render(fc, "filing_norms", p)
}

func (c *Console) createNorm(fc *fiber.Ctx) error {
	form := normForm{OccupationCode: strings.TrimSpace(fc.FormValue("occupation_code")), Title: fc.FormValue("title"),
		Subtypes: fc.FormValue("subtypes"), DocumentRef: fc.FormValue("document_ref"), Levels: map[int]bool{}, Fields: map[string]string{}}
	in := cat.NewNorm{OccupationCode: form.OccupationCode, Title: form.Title, DocumentRef: form.DocumentRef}
	for _, v := range fc.Request().PostArgs().PeekMulti("levels") {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			n = 0
		}
		form.Levels[n] = true
		in.Levels = append(in.Levels, n)
	}
	for _, s := range strings.Split(form.Subtypes, "\n") {
		if s = strings.TrimSpace(s); s != "" {
			in.Subtypes = append(in.Subtypes, s)
		}
	}
	if _, err := c.d.Catalog.CreateNorm(fc.UserContext(), in); err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable {
			return err
		}
		for _, f := range pe.Fields {
			form.Fields[f.Field] = filingFieldMessage(f.Code)
		}
		if len(pe.Fields) == 0 {
			form.Error = filingFieldMessage(pe.Code)
			if pe.Code == "duplicate" {
				form.Error = "norms.err.duplicate"
			}
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderNorms(fc, form, normFileForm{}, "")
	}
	return fc.Redirect("/evaluation-norms?done=created", fiber.StatusSeeOther)
}

func (c *Console) fileNorm(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	form := normFileForm{ID: id.String(), FilingRef: fc.FormValue("filing_ref"), FiledOn: strings.TrimSpace(fc.FormValue("filed_on")),
		Fields: map[string]string{}}
	in := cat.NormFiling{FilingRef: form.FilingRef}
	var v platform.Validation
	if d := httpx.DateField(&v, "filed_on", form.FiledOn); d != nil {
		in.FiledOn = *d
	}
	err = v.Err()
	if err == nil {
		_, err = c.d.Catalog.FileNorm(fc.UserContext(), id, in)
	}
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable || pe.Kind == platform.KindNotFound {
			return err
		}
		for _, f := range pe.Fields {
			form.Fields[f.Field] = filingFieldMessage(f.Code)
		}
		if len(pe.Fields) == 0 {
			form.Error = filingFieldMessage(pe.Code)
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderNorms(fc, normForm{}, form, "")
	}
	return fc.Redirect("/evaluation-norms?done=filed", fiber.StatusSeeOther)
}
