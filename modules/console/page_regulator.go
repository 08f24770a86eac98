package console

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/oversight"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/oversight/crosscheck"
	"github.com/skillcert/skillcert/modules/oversight/decisions"
	"github.com/skillcert/skillcert/modules/oversight/delivery"
	"github.com/skillcert/skillcert/modules/oversight/inbox"
	"github.com/skillcert/skillcert/modules/oversight/reconcile"
	"github.com/skillcert/skillcert/modules/oversight/supervision"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// The regulator's work pages (监管工作): deciding filings, inspections with their findings and
// rectification deadlines, 双随机 draws (plain and risk-weighted) with their seed, weights and a
// reproduction anyone can check, complaints, decisions and their review, the sync endpoint, and the
// cross-institution flags and reconciliation differences. Each page calls the service its API twin
// calls, with the twin's permission; nothing here writes an institution's records.

// RegulatorFilings is what the filing decision pages need of the filings module (API twins:
// GET /api/v1/oversight/filings[/{id}], POST …/{id}/decision).
type RegulatorFilings interface {
	OversightList(ctx context.Context, req platform.PageRequest, f filings.ListFilter) (platform.Page[filings.Filing], error)
	OversightGet(ctx context.Context, id uuid.UUID) (filings.Filing, error)
	Decide(ctx context.Context, id uuid.UUID, d filings.Decision) (filings.Filing, error)
}

// Supervision is what the inspection, sampling and complaint pages need (*supervision.Service).
type Supervision interface {
	Inspections(ctx context.Context, f supervision.InspectionFilter, req platform.PageRequest) (platform.Page[supervision.Inspection], error)
	CreateInspection(ctx context.Context, in supervision.InspectionInput) (supervision.Inspection, error)
	Inspection(ctx context.Context, id uuid.UUID) (supervision.Inspection, error)
	UpdateInspection(ctx context.Context, id uuid.UUID, p supervision.InspectionPatch) (supervision.Inspection, error)
	AddFinding(ctx context.Context, inspectionID uuid.UUID, in supervision.FindingInput) (supervision.Finding, error)
	UpdateFinding(ctx context.Context, inspectionID, id uuid.UUID, p supervision.FindingPatch) (supervision.Finding, error)
	Sample(ctx context.Context, in supervision.SamplingInput) (supervision.Sampling, error)
	Samplings(ctx context.Context, req platform.PageRequest) (platform.Page[supervision.Sampling], error)
	Sampling(ctx context.Context, id uuid.UUID) (supervision.Sampling, error)
	Reproduce(ctx context.Context, id uuid.UUID) (supervision.Reproduction, error)
	Complaints(ctx context.Context, f supervision.ComplaintFilter, req platform.PageRequest) (platform.Page[supervision.Complaint], error)
	UpdateComplaint(ctx context.Context, id uuid.UUID, status, note string) (supervision.Complaint, error)
}

// RegulatorDecisions is what the decisions page needs (*decisions.Service).
type RegulatorDecisions interface {
	Decide(ctx context.Context, in decisions.Input) (decisions.Decision, error)
	List(ctx context.Context, f decisions.Filter, req platform.PageRequest) (platform.Page[decisions.Decision], error)
	Review(ctx context.Context, id uuid.UUID, outcome, note string) (decisions.Decision, error)
}

// SyncEndpoint is what the sync page needs (*delivery.Service).
type SyncEndpoint interface {
	State(ctx context.Context) (delivery.SyncState, error)
	SetEndpoint(ctx context.Context, in delivery.EndpointInput) (delivery.SyncState, error)
	Pause(ctx context.Context) (delivery.SyncState, error)
	Resume(ctx context.Context) (delivery.SyncState, error)
	Replay(ctx context.Context, since time.Time) (int, error)
}

// Reconciliation is what the reconciliation page needs (*reconcile.Service).
type Reconciliation interface {
	Differences(ctx context.Context, f reconcile.Filter, req platform.PageRequest) (platform.Page[reconcile.Diff], *reconcile.Result, error)
}

// CrossChecks is what the flags page needs (*crosscheck.Service).
type CrossChecks interface {
	Flags(ctx context.Context, f crosscheck.Filter, req platform.PageRequest) (platform.Page[crosscheck.Flag], error)
}

// ReportStore is what the reports page needs (*inbox.Service; API twins GET /api/v1/oversight/reports
// and …/reports/verify).
type ReportStore interface {
	Reports(ctx context.Context, f inbox.Filter, req platform.PageRequest) (platform.Page[inbox.Report], error)
	Verify(ctx context.Context) (inbox.ChainCheck, error)
}

// Jurisdiction lists the institutions a regulator oversees, for names and pickers
// (*institutions.Service).
type Jurisdiction interface {
	List(ctx context.Context, req platform.PageRequest) (platform.Page[core.Institution], error)
}

// Regulator is everything the regulator's work pages call; a nil field leaves its pages out.
type Regulator struct {
	Filings      RegulatorFilings
	Supervision  Supervision
	Decisions    RegulatorDecisions
	Sync         SyncEndpoint
	Reconcile    Reconciliation
	CrossCheck   CrossChecks
	Reports      ReportStore
	Institutions Jurisdiction
}

// regulatorPages registers the work pages at the paths the regulator's home links to.
func (c *Console) regulatorPages(r *router) {
	g := c.d.Regulator
	if g.Filings != nil {
		r.get("/oversight/filings", access{Permission: filings.PermOversightFilingList}, c.regFilingsPage)
		r.get("/oversight/filings/:id", access{Permission: filings.PermOversightFilingList}, c.regFilingPage)
		r.post("/oversight/filings/:id/decision", access{Permission: filings.PermOversightFilingDecide}, c.regDecideFiling)
	}
	if g.Supervision != nil && g.Institutions != nil {
		r.get("/oversight/sampling", access{Permission: oversight.PermRead}, c.regSamplingPage)
		r.post("/oversight/sampling", access{Permission: oversight.PermInspect}, c.regSample)
		r.get("/oversight/sampling/:id", access{Permission: oversight.PermRead}, c.regDrawPage)
		r.get("/oversight/sampling/:id/reproduce", access{Permission: oversight.PermRead}, c.regDrawPage)
		r.get("/oversight/inspections", access{Permission: oversight.PermRead}, c.regInspectionsPage)
		r.post("/oversight/inspections", access{Permission: oversight.PermInspect}, c.regCreateInspection)
		r.get("/oversight/inspections/:id", access{Permission: oversight.PermRead}, c.regInspectionPage)
		r.post("/oversight/inspections/:id", access{Permission: oversight.PermInspect}, c.regUpdateInspection)
		r.post("/oversight/inspections/:id/findings", access{Permission: oversight.PermInspect}, c.regAddFinding)
		r.post("/oversight/inspections/:id/findings/:finding_id/resolve", access{Permission: oversight.PermInspect}, c.regResolveFinding)
		r.get("/oversight/complaints", access{Permission: oversight.PermRead}, c.regComplaintsPage)
		r.post("/oversight/complaints/:id", access{Permission: oversight.PermInspect}, c.regUpdateComplaint)
	}
	if g.Decisions != nil && g.Institutions != nil {
		r.get("/oversight/decisions", access{Permission: oversight.PermRead}, c.regDecisionsPage)
		r.post("/oversight/decisions", access{Permission: oversight.PermDecide}, c.regDecide)
		r.post("/oversight/decisions/:id/review", access{Permission: oversight.PermDecide}, c.regReview)
	}
	if g.Sync != nil {
		r.get("/oversight/sync", access{Permission: oversight.PermRead}, c.regSyncPage)
		r.post("/oversight/sync", access{Permission: oversight.PermSync}, c.regSetEndpoint)
		r.post("/oversight/sync/pause", access{Permission: oversight.PermSync}, c.regSyncAction("pause"))
		r.post("/oversight/sync/resume", access{Permission: oversight.PermSync}, c.regSyncAction("resume"))
		r.post("/oversight/sync/replay", access{Permission: oversight.PermSync}, c.regSyncAction("replay"))
	}
	if g.Reconcile != nil && g.Institutions != nil {
		r.get("/oversight/reconciliation", access{Permission: oversight.PermRead}, c.regReconciliationPage)
	}
	if g.Reports != nil && g.Institutions != nil {
		r.get("/oversight/reports", access{Permission: oversight.PermRead}, c.regReportsPage)
	}
	if g.CrossCheck != nil && g.Institutions != nil {
		r.get("/oversight/flags", access{Permission: oversight.PermRead}, c.regFlagsPage)
	}
}

// ---- shared ----

// regFields turns a service's validation or state error into messages next to the fields; ok is
// false for any other error (shown as an error page).
func regFields(err error, fallback string) (map[string]string, bool) {
	var pe *platform.Error
	if !errors.As(err, &pe) || (pe.Kind != platform.KindUnprocessable && pe.Kind != platform.KindConflict) {
		return nil, false
	}
	out := map[string]string{}
	for _, f := range pe.Fields {
		out[f.Field] = regFieldMessage(f.Code)
	}
	if len(out) == 0 {
		out[fallback] = regFieldMessage(pe.Code)
	}
	return out, true
}

// regNotFound reports a 404 of the service (an institution or certificate outside the jurisdiction).
func regNotFound(err error) bool {
	var pe *platform.Error
	return errors.As(err, &pe) && pe.Kind == platform.KindNotFound
}

// regFieldMessage names a field error code in the catalogs (reg.field.<code>, else the shared ones).
func regFieldMessage(code string) string {
	switch code {
	case "range", "population_too_small", "already_expired", "unexpected_fields", "unknown_user", "past", "scheme",
		"private_target", "invalid_state", "not_found", "unknown_region", "checksum", "slug_taken", "own_tenant", "credentials":
		return "reg.field." + code
	}
	return fieldMessage(code)
}

// regNames maps the regulator's institutions by id (at most 1,000, for names and pickers).
func (c *Console) regNames(ctx context.Context) (map[uuid.UUID]core.Institution, []core.Institution, error) {
	byID := map[uuid.UUID]core.Institution{}
	var all []core.Institution
	req := platform.PageRequest{Limit: 100}
	for i := 0; i < 10; i++ {
		p, err := c.d.Regulator.Institutions.List(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		for _, in := range p.Items {
			byID[in.ID] = in
			all = append(all, in)
		}
		if p.NextCursor == "" {
			break
		}
		req.Cursor = p.NextCursor
	}
	return byID, all, nil
}

func regFormInt(fc *fiber.Ctx, name string) (int, bool) {
	v := strings.TrimSpace(fc.FormValue(name))
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// formDate parses a YYYY-MM-DD field (China's calendar day, kept as UTC midnight like the API).
func formDate(fc *fiber.Ctx, name string) (*time.Time, bool) {
	v := strings.TrimSpace(fc.FormValue(name))
	if v == "" {
		return nil, true
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, false
	}
	return &d, true
}

// ---- 备案审核 ----

var regFilingList = &httpx.List{Sorts: []string{filings.SortSubmittedAt}, Filters: []httpx.Filter{{Name: "status",
	Enum: []string{string(filings.StatusSubmitted), string(filings.StatusApproved), string(filings.StatusRejected), string(filings.StatusExpired)}}}}

type regFilingsPage struct {
	Filings  []filingRow
	List     listView
	Status   string
	Statuses []string
}

func (c *Console) regFilingsPage(fc *fiber.Ctx) error {
	req, lv, err := c.parseList(fc, regFilingList)
	if err != nil {
		return err
	}
	status := fc.Query("status")
	page, err := c.d.Regulator.Filings.OversightList(fc.UserContext(), req, filings.ListFilter{Status: filings.Status(status)})
	if err != nil {
		return err
	}
	p := regFilingsPage{List: lv.WithNext(page.NextCursor), Status: status, Statuses: filingStatuses}
	l := c.loc(fc)
	for _, f := range page.Items {
		p.Filings = append(p.Filings, c.filingRowOf(l, f))
	}
	return c.render(fc, "regulator_filings", p)
}

// regDecisionForm is the filing decision's form, named as POST …/decision's body.
type regDecisionForm struct {
	Decision, EvaluatorCode, SiteSerial, ValidFrom, Note string
	Fields                                               map[string]string
}

type regFilingPage struct {
	Filing    filingRow
	CanDecide bool
	Form      regDecisionForm
	Done      bool
}

func (c *Console) regFilingPage(fc *fiber.Ctx) error {
	today := filings.Day(c.d.Now()).Format(time.DateOnly)
	return c.renderRegFiling(fc, regDecisionForm{Decision: filings.DecisionApprove, EvaluatorCode: "0000", ValidFrom: today}, fc.Query("done") != "")
}

func (c *Console) renderRegFiling(fc *fiber.Ctx, form regDecisionForm, done bool) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext()
	f, err := c.d.Regulator.Filings.OversightGet(ctx, id)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_filing", regFilingPage{Filing: c.filingRowOf(c.loc(fc), f), Form: form, Done: done,
		CanDecide: f.Status == filings.StatusSubmitted && c.d.Authorizer.Can(ctx, filings.PermOversightFilingDecide)})
}

func (c *Console) regDecideFiling(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	form := regDecisionForm{Decision: fc.FormValue("decision"), EvaluatorCode: fc.FormValue("evaluator_code"),
		SiteSerial: fc.FormValue("site_serial"), ValidFrom: fc.FormValue("valid_from"), Note: fc.FormValue("note")}
	d := filings.Decision{Decision: form.Decision, Note: form.Note}
	if form.Decision == filings.DecisionApprove {
		d.EvaluatorCode, d.SiteSerial = form.EvaluatorCode, form.SiteSerial
		if v := strings.TrimSpace(form.ValidFrom); v != "" {
			t, perr := time.Parse(time.DateOnly, v)
			if perr != nil {
				form.Fields = map[string]string{"valid_from": "field.format"}
				fc.Status(fiber.StatusUnprocessableEntity)
				return c.renderRegFiling(fc, form, false)
			}
			d.ValidFrom = t
		}
	}
	if _, err := c.d.Regulator.Filings.Decide(fc.UserContext(), id, d); err != nil {
		fields, ok := regFields(err, "decision")
		if !ok {
			return err
		}
		form.Fields = fields
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegFiling(fc, form, false)
	}
	return fc.Redirect("/oversight/filings/"+id.String()+"?done=1", fiber.StatusSeeOther)
}

// ---- 双随机抽查 ----

var regSamplingList = &httpx.List{Sorts: []string{"created_at"}}

type regSampleForm struct {
	Institutions, Inspectors, Seed, Method, Kind, Title string
	Fields                                              map[string]string
}

type regSamplingPage struct {
	Draws     []supervision.Sampling
	List      listView
	CanDraw   bool
	Form      regSampleForm
	Kinds     []string
	Inspected int // institutions in the jurisdiction
}

func (c *Console) regSamplingPage(fc *fiber.Ctx) error {
	return c.renderRegSampling(fc, regSampleForm{Institutions: "3", Inspectors: "2", Method: supervision.MethodRiskWeighted,
		Kind: supervision.InspectionRoutine})
}

func (c *Console) renderRegSampling(fc *fiber.Ctx, form regSampleForm) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regSamplingList)
	if err != nil {
		return err
	}
	page, err := c.d.Regulator.Supervision.Samplings(ctx, req)
	if err != nil {
		return err
	}
	_, all, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_sampling", regSamplingPage{Draws: page.Items, List: lv.WithNext(page.NextCursor), Form: form,
		CanDraw: c.d.Authorizer.Can(ctx, oversight.PermInspect), Inspected: len(all),
		Kinds: []string{supervision.InspectionRoutine, supervision.InspectionSpecial, supervision.InspectionAnnual}})
}

func (c *Console) regSample(fc *fiber.Ctx) error {
	form := regSampleForm{Institutions: fc.FormValue("institutions"), Inspectors: fc.FormValue("inspectors"), Seed: fc.FormValue("seed"),
		Method: fc.FormValue("method"), Kind: fc.FormValue("kind"), Title: fc.FormValue("title"), Fields: map[string]string{}}
	ni, ok1 := regFormInt(fc, "institutions")
	ns, ok2 := regFormInt(fc, "inspectors")
	if !ok1 {
		form.Fields["institutions"] = "reg.field.range"
	}
	if !ok2 {
		form.Fields["inspectors"] = "reg.field.range"
	}
	if len(form.Fields) == 0 {
		s, err := c.d.Regulator.Supervision.Sample(fc.UserContext(), supervision.SamplingInput{Institutions: ni, Inspectors: ns,
			Seed: strings.TrimSpace(form.Seed), Method: form.Method, Kind: form.Kind, Title: form.Title})
		if err == nil {
			return fc.Redirect("/oversight/sampling/"+s.ID.String(), fiber.StatusSeeOther)
		}
		fields, ok := regFields(err, "institutions")
		if !ok {
			return err
		}
		form.Fields = fields
		fc.Status(httpx.ProblemFor(err).Status)
	} else {
		fc.Status(fiber.StatusUnprocessableEntity)
	}
	return c.renderRegSampling(fc, form)
}

// regDrawMember is a member of a draw's population as shown: drawn or not, its weight's share.
type regDrawMember struct {
	supervision.SamplingMember
	Rank  int // 1-based position in the draw; 0 when not drawn
	Share float64
}

type regDrawPage struct {
	Draw       supervision.Sampling
	Population []regDrawMember
	Inspectors map[uuid.UUID]string
	Repro      *supervision.Reproduction
	TotalW     float64
	PublicURL  string
}

func (c *Console) regDrawPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext()
	s, err := c.d.Regulator.Supervision.Sampling(ctx, id)
	if err != nil {
		return err
	}
	p := regDrawPage{Draw: s, Inspectors: map[uuid.UUID]string{}, PublicURL: "/api/v1/public/sampling/" + s.ID.String()}
	if strings.HasSuffix(fc.Path(), "/reproduce") {
		rep, err := c.d.Regulator.Supervision.Reproduce(ctx, id)
		if err != nil {
			return err
		}
		p.Repro = &rep
	}
	rank := map[uuid.UUID]int{}
	for i, m := range s.Institutions {
		rank[m.ID] = i + 1
	}
	for _, m := range s.InstitutionPopulation {
		p.TotalW += m.Weight
	}
	for _, m := range s.InstitutionPopulation {
		dm := regDrawMember{SamplingMember: m, Rank: rank[m.ID]}
		if p.TotalW > 0 {
			dm.Share = m.Weight / p.TotalW * 100
		}
		p.Population = append(p.Population, dm)
	}
	for _, m := range s.InspectorPopulation {
		p.Inspectors[m.ID] = m.Name
	}
	return c.render(fc, "regulator_draw", p)
}

// ---- 检查 ----

var regInspectionList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{{Name: "status",
	Enum: []string{supervision.InspectionPlanned, supervision.InspectionInProgress, supervision.InspectionClosed}}}}

type regInspectionForm struct {
	InstitutionID, Kind, Title, ScheduledOn string
	Fields                                  map[string]string
}

type regInspectionsPage struct {
	Inspections  []supervision.Inspection
	Names        map[uuid.UUID]core.Institution
	Institutions []core.Institution
	List         listView
	CanInspect   bool
	Form         regInspectionForm
	Kinds        []string
}

func (c *Console) regInspectionsPage(fc *fiber.Ctx) error {
	return c.renderRegInspections(fc, regInspectionForm{Kind: supervision.InspectionRoutine})
}

func (c *Console) renderRegInspections(fc *fiber.Ctx, form regInspectionForm) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regInspectionList)
	if err != nil {
		return err
	}
	page, err := c.d.Regulator.Supervision.Inspections(ctx, supervision.InspectionFilter{Status: fc.Query("status")}, req)
	if err != nil {
		return err
	}
	names, all, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_inspections", regInspectionsPage{Inspections: page.Items, Names: names, Institutions: all,
		List: lv.WithNext(page.NextCursor), CanInspect: c.d.Authorizer.Can(ctx, oversight.PermInspect), Form: form,
		Kinds: []string{supervision.InspectionRoutine, supervision.InspectionSpecial, supervision.InspectionAnnual}})
}

func (c *Console) regCreateInspection(fc *fiber.Ctx) error {
	form := regInspectionForm{InstitutionID: fc.FormValue("institution_id"), Kind: fc.FormValue("kind"), Title: fc.FormValue("title"),
		ScheduledOn: fc.FormValue("scheduled_on"), Fields: map[string]string{}}
	inst, _ := uuid.Parse(form.InstitutionID)
	day, ok := formDate(fc, "scheduled_on")
	if !ok {
		form.Fields["scheduled_on"] = "field.format"
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderRegInspections(fc, form)
	}
	in, err := c.d.Regulator.Supervision.CreateInspection(fc.UserContext(), supervision.InspectionInput{InstitutionID: inst, Kind: form.Kind,
		Title: form.Title, ScheduledOn: day})
	if err != nil {
		if regNotFound(err) {
			form.Fields["institution_id"] = "reg.field.not_found"
		} else if fields, ok := regFields(err, "title"); ok {
			form.Fields = fields
		} else {
			return err
		}
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderRegInspections(fc, form)
	}
	return fc.Redirect("/oversight/inspections/"+in.ID.String(), fiber.StatusSeeOther)
}

type regFindingForm struct {
	Severity, Description, Requirement, Deadline string
	Fields                                       map[string]string
}

type regInspectionPage struct {
	Inspection  supervision.Inspection
	Institution core.Institution
	CanInspect  bool
	Finding     regFindingForm
	Close       map[string]string // fields of the status form
	Conclusion  string
	Today       time.Time
}

func (c *Console) regInspectionPage(fc *fiber.Ctx) error {
	return c.renderRegInspection(fc, regFindingForm{Severity: "minor"}, nil, "")
}

func (c *Console) renderRegInspection(fc *fiber.Ctx, f regFindingForm, closeFields map[string]string, conclusion string) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	ctx := fc.UserContext()
	in, err := c.d.Regulator.Supervision.Inspection(ctx, id)
	if err != nil {
		return err
	}
	names, _, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	if conclusion == "" {
		conclusion = in.Conclusion
	}
	return c.render(fc, "regulator_inspection", regInspectionPage{Inspection: in, Institution: names[in.InstitutionID],
		CanInspect: c.d.Authorizer.Can(ctx, oversight.PermInspect), Finding: f, Close: closeFields, Conclusion: conclusion,
		Today: c.d.Now()})
}

func (c *Console) regUpdateInspection(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	status, conclusion := fc.FormValue("status"), fc.FormValue("conclusion")
	if _, err := c.d.Regulator.Supervision.UpdateInspection(fc.UserContext(), id, supervision.InspectionPatch{Status: &status, Conclusion: &conclusion}); err != nil {
		fields, ok := regFields(err, "status")
		if !ok {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegInspection(fc, regFindingForm{Severity: "minor"}, fields, conclusion)
	}
	return fc.Redirect("/oversight/inspections/"+id.String(), fiber.StatusSeeOther)
}

func (c *Console) regAddFinding(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	f := regFindingForm{Severity: fc.FormValue("severity"), Description: fc.FormValue("description"), Requirement: fc.FormValue("requirement"),
		Deadline: fc.FormValue("deadline"), Fields: map[string]string{}}
	deadline, ok := formDate(fc, "deadline")
	if !ok {
		f.Fields["deadline"] = "field.format"
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderRegInspection(fc, f, nil, "")
	}
	if _, err := c.d.Regulator.Supervision.AddFinding(fc.UserContext(), id, supervision.FindingInput{Severity: f.Severity,
		Description: f.Description, Requirement: f.Requirement, Deadline: deadline}); err != nil {
		fields, ok := regFields(err, "description")
		if !ok {
			return err
		}
		f.Fields = fields
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegInspection(fc, f, nil, "")
	}
	return fc.Redirect("/oversight/inspections/"+id.String(), fiber.StatusSeeOther)
}

func (c *Console) regResolveFinding(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	fid, err := httpx.UUIDParam(fc, "finding_id")
	if err != nil {
		return err
	}
	yes := true
	if _, err := c.d.Regulator.Supervision.UpdateFinding(fc.UserContext(), id, fid, supervision.FindingPatch{Resolved: &yes}); err != nil {
		return err
	}
	return fc.Redirect("/oversight/inspections/"+id.String(), fiber.StatusSeeOther)
}

// ---- 投诉 ----

var regComplaintList = &httpx.List{Sorts: []string{"created_at"}, Filters: []httpx.Filter{{Name: "status",
	Enum: []string{supervision.ComplaintReceived, supervision.ComplaintInvestigating, supervision.ComplaintClosed}}}}

type regComplaintsPage struct {
	Complaints []supervision.Complaint
	Names      map[uuid.UUID]core.Institution
	List       listView
	CanHandle  bool
	Statuses   []string
	Failed     uuid.UUID
	Fields     map[string]string
}

func (c *Console) regComplaintsPage(fc *fiber.Ctx) error {
	return c.renderRegComplaints(fc, uuid.Nil, nil)
}

func (c *Console) renderRegComplaints(fc *fiber.Ctx, failed uuid.UUID, fields map[string]string) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regComplaintList)
	if err != nil {
		return err
	}
	page, err := c.d.Regulator.Supervision.Complaints(ctx, supervision.ComplaintFilter{Status: fc.Query("status")}, req)
	if err != nil {
		return err
	}
	names, _, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_complaints", regComplaintsPage{Complaints: page.Items, Names: names, List: lv.WithNext(page.NextCursor),
		CanHandle: c.d.Authorizer.Can(ctx, oversight.PermInspect), Failed: failed, Fields: fields,
		Statuses: []string{supervision.ComplaintReceived, supervision.ComplaintInvestigating, supervision.ComplaintClosed}})
}

func (c *Console) regUpdateComplaint(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if _, err := c.d.Regulator.Supervision.UpdateComplaint(fc.UserContext(), id, fc.FormValue("status"), fc.FormValue("note")); err != nil {
		fields, ok := regFields(err, "status")
		if !ok {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegComplaints(fc, id, fields)
	}
	return fc.Redirect("/oversight/complaints", fiber.StatusSeeOther)
}

// ---- 监管决定 ----

var regDecisionList = &httpx.List{Sorts: []string{"decided_at"}}

type regDecideForm struct {
	InstitutionID, Kind, CertificateNumber, Facts, Reason, Deadline string
	Fields                                                          map[string]string
}

type regDecisionsPage struct {
	Decisions    []decisions.Decision
	Names        map[uuid.UUID]core.Institution
	Institutions []core.Institution
	List         listView
	CanDecide    bool
	Form         regDecideForm
	Kinds        []decisions.Kind
	Failed       uuid.UUID
	ReviewFields map[string]string
}

func (c *Console) regDecisionsPage(fc *fiber.Ctx) error {
	return c.renderRegDecisions(fc, regDecideForm{Kind: string(decisions.KindRectify)}, uuid.Nil, nil)
}

func (c *Console) renderRegDecisions(fc *fiber.Ctx, form regDecideForm, failed uuid.UUID, reviewFields map[string]string) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regDecisionList)
	if err != nil {
		return err
	}
	page, err := c.d.Regulator.Decisions.List(ctx, decisions.Filter{}, req)
	if err != nil {
		return err
	}
	names, all, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_decisions", regDecisionsPage{Decisions: page.Items, Names: names, Institutions: all,
		List: lv.WithNext(page.NextCursor), CanDecide: c.d.Authorizer.Can(ctx, oversight.PermDecide), Form: form,
		Kinds:  []decisions.Kind{decisions.KindRectify, decisions.KindSuspend, decisions.KindReinstate, decisions.KindInvalidateCertificate},
		Failed: failed, ReviewFields: reviewFields})
}

func (c *Console) regDecide(fc *fiber.Ctx) error {
	form := regDecideForm{InstitutionID: fc.FormValue("institution_id"), Kind: fc.FormValue("kind"), CertificateNumber: fc.FormValue("certificate_number"),
		Facts: fc.FormValue("facts"), Reason: fc.FormValue("reason"), Deadline: fc.FormValue("deadline"), Fields: map[string]string{}}
	inst, _ := uuid.Parse(form.InstitutionID)
	deadline, ok := formDate(fc, "deadline")
	if !ok {
		form.Fields["deadline"] = "field.format"
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderRegDecisions(fc, form, uuid.Nil, nil)
	}
	if _, err := c.d.Regulator.Decisions.Decide(fc.UserContext(), decisions.Input{InstitutionID: inst, Kind: decisions.Kind(form.Kind),
		CertificateNumber: form.CertificateNumber, Facts: form.Facts, Reason: form.Reason, Deadline: deadline}); err != nil {
		switch {
		case regNotFound(err) && form.Kind == string(decisions.KindInvalidateCertificate) && inst != uuid.Nil:
			form.Fields["certificate_number"] = "reg.field.not_found"
		case regNotFound(err):
			form.Fields["institution_id"] = "reg.field.not_found"
		default:
			fields, ok := regFields(err, "kind")
			if !ok {
				return err
			}
			form.Fields = fields
		}
		fc.Status(fiber.StatusUnprocessableEntity)
		return c.renderRegDecisions(fc, form, uuid.Nil, nil)
	}
	return fc.Redirect("/oversight/decisions", fiber.StatusSeeOther)
}

func (c *Console) regReview(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if _, err := c.d.Regulator.Decisions.Review(fc.UserContext(), id, fc.FormValue("outcome"), fc.FormValue("note")); err != nil {
		fields, ok := regFields(err, "outcome")
		if !ok {
			return err
		}
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegDecisions(fc, regDecideForm{Kind: string(decisions.KindRectify)}, id, fields)
	}
	return fc.Redirect("/oversight/decisions", fiber.StatusSeeOther)
}

// ---- 数据同步 ----

type regSyncPage struct {
	State   delivery.SyncState
	CanSet  bool
	URL     string
	Since   string
	Fields  map[string]string
	Done    string // message id
	Replays int
}

func (c *Console) regSyncPage(fc *fiber.Ctx) error {
	p := regSyncPage{Since: c.d.Now().Add(-24 * time.Hour).In(core.CST).Format("2006-01-02T15:04")}
	switch fc.Query("done") {
	case "endpoint", "pause", "resume", "replay":
		p.Done = "reg.sync.done_" + fc.Query("done")
		p.Replays, _ = strconv.Atoi(fc.Query("n"))
	}
	return c.renderRegSync(fc, p)
}

func (c *Console) renderRegSync(fc *fiber.Ctx, p regSyncPage) error {
	ctx := fc.UserContext()
	st, err := c.d.Regulator.Sync.State(ctx)
	if err != nil && !errors.Is(err, delivery.ErrNoEndpoint) {
		return err
	}
	p.State = st
	if p.URL == "" {
		p.URL = st.URL
	}
	p.CanSet = c.d.Authorizer.Can(ctx, oversight.PermSync)
	return c.render(fc, "regulator_sync", p)
}

func (c *Console) regSetEndpoint(fc *fiber.Ctx) error {
	p := regSyncPage{URL: fc.FormValue("url")}
	if _, err := c.d.Regulator.Sync.SetEndpoint(fc.UserContext(), delivery.EndpointInput{URL: p.URL, Secret: fc.FormValue("secret")}); err != nil {
		fields, ok := regFields(err, "url")
		if !ok {
			return err
		}
		p.Fields = fields
		fc.Status(httpx.ProblemFor(err).Status)
		return c.renderRegSync(fc, p)
	}
	return fc.Redirect("/oversight/sync?done=endpoint", fiber.StatusSeeOther)
}

func (c *Console) regSyncAction(action string) fiber.Handler {
	return func(fc *fiber.Ctx) error {
		ctx := fc.UserContext()
		n := 0
		var err error
		switch action {
		case "pause":
			_, err = c.d.Regulator.Sync.Pause(ctx)
		case "resume":
			_, err = c.d.Regulator.Sync.Resume(ctx)
		case "replay":
			since, perr := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(fc.FormValue("since")), core.CST)
			if perr != nil {
				fc.Status(fiber.StatusUnprocessableEntity)
				return c.renderRegSync(fc, regSyncPage{Since: fc.FormValue("since"), Fields: map[string]string{"since": "field.format"}})
			}
			n, err = c.d.Regulator.Sync.Replay(ctx, since)
		}
		if err != nil {
			fields, ok := regFields(err, action)
			if !ok {
				return err
			}
			fc.Status(httpx.ProblemFor(err).Status)
			return c.renderRegSync(fc, regSyncPage{Since: fc.FormValue("since"), Fields: fields})
		}
		return fc.Redirect("/oversight/sync?done="+action+"&n="+strconv.Itoa(n), fiber.StatusSeeOther)
	}
}

// ---- 对账差异、跨机构预警 ----

var regDiffList = &httpx.List{Sorts: []string{"first_seen_at"}}

type regReconciliationPage struct {
	Diffs []reconcile.Diff
	Last  *reconcile.Result
	Names map[uuid.UUID]core.Institution
	List  listView
	Open  bool
}

func (c *Console) regReconciliationPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regDiffList)
	if err != nil {
		return err
	}
	open := fc.Query("open") != "false"
	page, last, err := c.d.Regulator.Reconcile.Differences(ctx, reconcile.Filter{Open: open}, req)
	if err != nil {
		return err
	}
	names, _, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_reconciliation", regReconciliationPage{Diffs: page.Items, Last: last, Names: names,
		List: lv.WithNext(page.NextCursor), Open: open})
}

var regFlagList = &httpx.List{Sorts: []string{"first_seen_at"}}

type regFlagsPage struct {
	Flags []crosscheck.Flag
	Names map[uuid.UUID]core.Institution
	List  listView
	Open  bool
}

func (c *Console) regFlagsPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regFlagList)
	if err != nil {
		return err
	}
	open := fc.Query("open") != "false"
	page, err := c.d.Regulator.CrossCheck.Flags(ctx, crosscheck.Filter{Open: open}, req)
	if err != nil {
		return err
	}
	names, _, err := c.regNames(ctx)
	if err != nil {
		return err
	}
	return c.render(fc, "regulator_flags", regFlagsPage{Flags: page.Items, Names: names, List: lv.WithNext(page.NextCursor), Open: open})
}

// ---- 上报数据 ----

var regReportList = &httpx.List{Sorts: []string{"seq"}}

type regReportsPage struct {
	Reports []inbox.Report
	Names   map[uuid.UUID]core.Institution
	List    listView
	Since   string // YYYY-MM-DD, China's calendar
	Chain   inbox.ChainCheck
	Fields  map[string]string
}

// regReportsPage lists the reports received since a day (default: a week ago), oldest first, as
// received (immutable copies), with the check of the store's hash chain.
func (c *Console) regReportsPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, regReportList)
	if err != nil {
		return err
	}
	p := regReportsPage{Since: strings.TrimSpace(fc.Query("since"))}
	if p.Since == "" {
		p.Since = c.d.Now().In(core.CST).AddDate(0, 0, -7).Format(time.DateOnly)
	}
	since, perr := time.ParseInLocation(time.DateOnly, p.Since, core.CST)
	if perr != nil {
		p.Fields = map[string]string{"since": "field.format"}
		fc.Status(fiber.StatusUnprocessableEntity)
		since = c.d.Now().AddDate(0, 0, -7)
	}
	page, err := c.d.Regulator.Reports.Reports(ctx, inbox.Filter{Since: since}, req)
	if err != nil {
		return err
	}
	if p.Chain, err = c.d.Regulator.Reports.Verify(ctx); err != nil {
		return err
	}
	if p.Names, _, err = c.regNames(ctx); err != nil {
		return err
	}
	p.Reports, p.List = page.Items, lv.WithNext(page.NextCursor)
	return c.render(fc, "regulator_reports", p)
}
