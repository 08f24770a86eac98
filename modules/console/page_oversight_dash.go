package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/console/chart"
	"github.com/skillcert/skillcert/modules/exams"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/institutions"
	"github.com/skillcert/skillcert/modules/oversight/stats"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/regions"
	"github.com/skillcert/skillcert/tenants"
)

// OversightView is what a regulator's 工作台, dashboard (/oversight/dashboard) and drill-down into the
// institutions of its jurisdiction (/oversight/institutions, page_oversight_drill.go) read: the
// oversight services and the filings' regulator view, read-only. A nil part hides what needs it.
type OversightView struct {
	Todos        RegulatorTodos
	Stats        OversightStats
	Institutions OversightInstitutions
	Filings      InstitutionFilings
	// Exams gives a batch's seat arrangement and attendance (exams.Service; nil: not shown).
	Exams ExamOversight
}

// ExamOversight reads an institution's exam administration for its regulator (exams.Service).
type ExamOversight interface {
	OverseeArrangement(ctx context.Context, institutionID, batchID uuid.UUID) (exams.Arrangement, error)
	OverseeAttendance(ctx context.Context, institutionID, batchID, sessionID uuid.UUID) (exams.Attendance, error)
}

// RegulatorTodos count what waits for a regulator, each satisfied by the oversight service that
// keeps the records (a nil count is not shown).
type RegulatorTodos struct {
	FilingsToDecide      func(context.Context) (int, error) // filings.Service.CountToDecide
	OpenComplaints       func(context.Context) (int, error) // supervision.Service.CountOpenComplaints
	FailingSync          func(context.Context) (int, error) // delivery.Service.CountFailing
	OpenDifferences      func(context.Context) (int, error) // reconcile.Service.CountOpen
	OpenFlags            func(context.Context) (int, error) // crosscheck.Service.CountOpen
	DecisionsUnderReview func(context.Context) (int, error) // decisions.Service.CountUnderReview
}

// OversightStats computes the statistics of the regulator's jurisdiction (stats.Service, behind
// GET /api/v1/oversight/stats).
type OversightStats interface {
	Compute(ctx context.Context, f stats.Filter, withRows bool) (stats.Stats, error)
}

// OversightInstitutions is the regulator's read-only view of its institutions (institutions.Service).
type OversightInstitutions interface {
	List(ctx context.Context, req platform.PageRequest) (platform.Page[core.Institution], error)
	Get(ctx context.Context, id uuid.UUID) (core.Institution, error)
	Audit(ctx context.Context, id uuid.UUID, since time.Time, req platform.PageRequest) (platform.Page[audit.Entry], error)
	Batches(ctx context.Context, id uuid.UUID, f institutions.RecordFilter, req platform.PageRequest) (platform.Page[institutions.BatchRecord], error)
	Certificates(ctx context.Context, id uuid.UUID, f institutions.RecordFilter, req platform.PageRequest) (platform.Page[institutions.CertificateRecord], error)
	Batch(ctx context.Context, institutionID, batchID uuid.UUID) (institutions.BatchDetail, error)
	Certificate(ctx context.Context, institutionID, id uuid.UUID) (institutions.CertificateRecord, error)
	VerifyChain(ctx context.Context, institutionID uuid.UUID) (audit.VerifyResult, error)
}

// InstitutionFilings lists one institution's filings for its regulator (filings.Service).
type InstitutionFilings interface {
	OversightListOf(ctx context.Context, institutionID uuid.UUID, req platform.PageRequest) (platform.Page[filings.Filing], error)
}

// The regulator's work pages these link to (built beside these pages).
const (
	pathOversightFilings        = "/oversight/filings"
	pathOversightComplaints     = "/oversight/complaints"
	pathOversightSync           = "/oversight/sync"
	pathOversightReconciliation = "/oversight/reconciliation"
	pathOversightFlags          = "/oversight/flags"
	pathOversightDecisions      = "/oversight/decisions"
)

// regulatorTodos gathers a regulator's to-dos; like todos, a count that fails is logged and left out.
func (c *Console) regulatorTodos(fc *fiber.Ctx) []todo {
	ctx := fc.UserContext()
	if s, ok := tenants.FromContext(ctx); !ok || s.Kind != tenants.KindRegulator {
		return nil
	}
	t := c.d.OversightView.Todos
	var out []todo
	for _, it := range []struct {
		key, path, perm string
		count           func(context.Context) (int, error)
	}{
		{"odash.todo.filings", pathOversightFilings + "?status=submitted", filings.PermOversightFilingDecide, t.FilingsToDecide},
		{"odash.todo.complaints", pathOversightComplaints, oversight.PermInspect, t.OpenComplaints},
		{"odash.todo.sync", pathOversightSync, oversight.PermSync, t.FailingSync},
		{"odash.todo.reconciliation", pathOversightReconciliation, oversight.PermRead, t.OpenDifferences},
		{"odash.todo.flags", pathOversightFlags, oversight.PermRead, t.OpenFlags},
		{"odash.todo.appeals", pathOversightDecisions + "?review_requested=true", oversight.PermDecide, t.DecisionsUnderReview},
	} {
		if it.count == nil || !c.d.Authorizer.Can(ctx, it.perm) {
			continue
		}
		n, err := it.count(ctx)
		if err != nil {
			c.d.Log.WarnContext(ctx, "console: counting to-dos failed", "todo", it.key, "err", err)
			continue
		}
		if n > 0 {
			out = append(out, todo{Key: it.key, Count: n, Path: it.path})
		}
	}
	return out
}

// oversightDashPages registers the regulator's dashboard and drill-down (hooked in pages()). Each
// declares its API twin's permission: oversight:read.
func (c *Console) oversightDashPages(r *router) {
	if c.d.OversightView.Stats != nil {
		r.get("/oversight/dashboard", access{Permission: oversight.PermRead}, c.dashboardPage)
	}
	if c.d.OversightView.Institutions != nil {
		c.drillPages(r)
	}
}

// dashFilter is the dashboard's filter form as typed, with its field errors.
type dashFilter struct {
	From, To, District, Kind, Occupation string
	Errors                               map[string]string // field → message id
}

// Query is the filter as a query string (for the export links).
func (f dashFilter) Query() string {
	var b strings.Builder
	for _, kv := range [][2]string{{"from", f.From}, {"to", f.To}, {"district", f.District}, {"institution_kind", f.Kind}, {"occupation_code", f.Occupation}} {
		if kv[1] != "" {
			b.WriteString("&" + kv[0] + "=" + template.URLQueryEscaper(kv[1]))
		}
	}
	return b.String()
}

// dashChart is one chart of the dashboard: its drawing and the data behind its export.
type dashChart struct {
	Name    string // the export's ?chart=
	HTML    template.HTML
	HasData bool
	spec    chart.Chart
	// heads are the export's column heads (message ids): the category, then one per series.
	heads []string
}

// dashOption is a choice of a select.
type dashOption struct{ Value, Label string }

type dashboardPage struct {
	Filter       dashFilter
	Districts    []dashOption
	Kinds        []string
	Stats        stats.Stats
	Charts       []dashChart
	Institutions []stats.InstitutionCount // the busiest institutions, each linking to its page
	More         int                      // how many more the jurisdiction has
}

// dashboardInstitutions is how many institutions the dashboard lists below its charts.
const dashboardInstitutions = 20

func (c *Console) dashboardPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	l := c.loc(fc)
	p := dashboardPage{Kinds: []string{string(tenants.KindEnterprise), string(tenants.KindSocialOrg), string(tenants.KindSchool)}}
	f, sf := parseDashFilter(fc)
	p.Filter = f
	if len(f.Errors) > 0 {
		// Show the form with the errors next to the fields; the figures need a filter that reads.
		sf = stats.Filter{}
	}
	st, err := c.d.OversightView.Stats.Compute(ctx, sf, false)
	if err != nil {
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Kind != platform.KindInvalid {
			return err
		}
		p.Filter.Errors = map[string]string{"district": "odash.error.filter"}
		if st, err = c.d.OversightView.Stats.Compute(ctx, stats.Filter{}, false); err != nil {
			return err
		}
	}
	if len(p.Filter.Errors) > 0 {
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	p.Stats = st
	for _, d := range st.Districts {
		p.Districts = append(p.Districts, dashOption{Value: d, Label: regionLabel(d)})
	}
	p.Charts = dashCharts(l, st)
	if name := fc.Query("chart"); fc.Query("format") == "xlsx" {
		for _, ch := range p.Charts {
			if ch.Name == name {
				return exportChart(fc, l, ch)
			}
		}
		return platform.E(platform.KindInvalid, "invalid_parameter", "chart must name one of the dashboard's charts")
	}
	for i := range p.Charts {
		if p.Charts[i].HTML, err = chart.Render(p.Charts[i].spec); err != nil {
			return err
		}
		p.Charts[i].HasData = chart.Layout(p.Charts[i].spec).HasData
	}
	insts := append([]stats.InstitutionCount(nil), st.ByInstitution...)
	sortInstitutions(insts)
	if len(insts) > dashboardInstitutions {
		p.More = len(insts) - dashboardInstitutions
		insts = insts[:dashboardInstitutions]
	}
	p.Institutions = insts
	return c.render(fc, "oversight_dashboard", p)
}

// parseDashFilter reads the filter form (the API's parameters: from, to, district, institution_kind,
// occupation_code) with a message id for each field that does not read.
func parseDashFilter(fc *fiber.Ctx) (dashFilter, stats.Filter) {
	f := dashFilter{From: strings.TrimSpace(fc.Query("from")), To: strings.TrimSpace(fc.Query("to")),
		District: strings.TrimSpace(fc.Query("district")), Kind: strings.TrimSpace(fc.Query("institution_kind")),
		Occupation: strings.TrimSpace(fc.Query("occupation_code")), Errors: map[string]string{}}
	var sf stats.Filter
	var err error
	if f.From != "" {
		if sf.From, err = stats.ParseMonth(f.From); err != nil {
			f.Errors["from"] = "odash.error.month"
		}
	}
	if f.To != "" {
		if sf.To, err = stats.ParseMonth(f.To); err != nil {
			f.Errors["to"] = "odash.error.month"
		}
	}
	if !sf.From.IsZero() && !sf.To.IsZero() && sf.To.Before(sf.From) {
		f.Errors["to"] = "odash.error.to_before_from"
	}
	if f.District != "" && !regions.Valid(f.District) {
		f.Errors["district"] = "odash.error.district"
	}
	sf.District = f.District
	if k := tenants.Kind(f.Kind); f.Kind != "" && (!k.Valid() || !k.IsInstitution()) {
		f.Errors["institution_kind"] = "odash.error.kind"
	}
	sf.InstitutionKind = tenants.Kind(f.Kind)
	if len(f.Occupation) > 32 {
		f.Errors["occupation_code"] = "odash.error.occupation"
	}
	sf.OccupationCode = f.Occupation
	return f, sf
}

// regionLabel names a region code ("650102 天山区").
func regionLabel(code string) string {
	if r, ok := regions.Lookup(code); ok {
		return code + " " + r.Name
	}
	return code
}

// dashCharts lays out the dashboard's charts from the statistics.
func dashCharts(l *loc, st stats.Stats) []dashChart {
	var out []dashChart
	add := func(name string, kind chart.Kind, category string, series []string, labels []string, values [][]float64, percent bool) {
		c := chart.Chart{ID: "chart-" + name, Kind: kind, Title: l.T("odash.chart." + name), Desc: l.T("odash.chart." + name + ".desc"),
			Category: l.T(category), Labels: labels, Empty: l.T("odash.chart.empty"), Percent: percent}
		for i, s := range series {
			c.Series = append(c.Series, chart.Series{Name: l.T(s), Values: values[i]})
		}
		out = append(out, dashChart{Name: name, spec: c, heads: append([]string{category}, series...)})
	}
	// Certificates by month: issued and revoked, a line each.
	var months []string
	issued, revoked := []float64{}, []float64{}
	for _, m := range st.ByMonth {
		months = append(months, m.Month)
		issued = append(issued, float64(m.Issued))
		revoked = append(revoked, float64(m.Revoked))
	}
	add("month", chart.Line, "odash.col.month", []string{"odash.series.issued", "odash.series.revoked"}, months, [][]float64{issued, revoked}, false)
	// By occupation and by level: valid and revoked stacked (together, what was issued).
	var occs []string
	ov, or := []float64{}, []float64{}
	for _, o := range st.ByOccupation {
		occs = append(occs, o.OccupationCode)
		ov, or = append(ov, float64(o.Valid)), append(or, float64(o.Revoked))
	}
	add("occupation", chart.Stacked, "odash.col.occupation", []string{"odash.series.valid", "odash.series.revoked"}, occs, [][]float64{ov, or}, false)
	var levels []string
	lv, lr := []float64{}, []float64{}
	for _, x := range st.ByLevel {
		levels = append(levels, l.T("batch_level."+strconv.Itoa(x.Level)))
		lv, lr = append(lv, float64(x.Valid)), append(lr, float64(x.Revoked))
	}
	add("level", chart.Stacked, "odash.col.level", []string{"odash.series.valid", "odash.series.revoked"}, levels, [][]float64{lv, lr}, false)
	// Pass rates by occupation and level.
	var rl []string
	rv := []float64{}
	for _, r := range st.PassRates {
		rl = append(rl, r.OccupationCode+" "+l.T("batch_level."+strconv.Itoa(r.Level)))
		rv = append(rv, r.Rate)
	}
	add("pass_rate", chart.Bar, "odash.col.occupation_level", []string{"odash.series.pass_rate"}, rl, [][]float64{rv}, true)
	// Institutions by star rating.
	var sl []string
	sv := []float64{}
	for _, s := range st.ByStars {
		sl = append(sl, l.Tf("odash.stars", "Stars", s.Stars))
		sv = append(sv, float64(s.Institutions))
	}
	add("stars", chart.Bar, "odash.col.stars", []string{"odash.series.institutions"}, sl, [][]float64{sv}, false)
	return out
}

// exportChart sends a chart's numbers as a workbook through the list toolkit's exporter: the category,
// then each series as numbers (the page's table formats them for reading).
func exportChart(fc *fiber.Ctx, l *loc, ch dashChart) error {
	type row struct {
		label  string
		values []float64
	}
	rows := make([]row, len(ch.spec.Labels))
	for i, label := range ch.spec.Labels {
		rows[i].label = label
		for _, s := range ch.spec.Series {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			rows[i].values = append(rows[i].values, v)
		}
	}
	cols := []column[row]{{Key: ch.heads[0], Cell: func(r row) any { return r.label }}}
	for i, h := range ch.heads[1:] {
		cols = append(cols, column[row]{Key: h, Cell: func(r row) any { return r.values[i] }})
	}
	return exportXLSX(fc, l, "dashboard-"+ch.Name, cols, platform.PageRequest{},
		func(context.Context, platform.PageRequest) (platform.Page[row], error) {
			return platform.Page[row]{Items: rows}, nil
		})
}

// sortInstitutions orders institutions by certificates issued, most first (then by name).
func sortInstitutions(in []stats.InstitutionCount) {
	sort.SliceStable(in, func(a, b int) bool {
		if in[a].Issued != in[b].Issued {
			return in[a].Issued > in[b].Issued
		}
		return in[a].Name < in[b].Name
	})
}

// kindKey is the message id of an institution kind.
func kindKey(k tenants.Kind) string { return fmt.Sprintf("odash.kind.%s", k) }
