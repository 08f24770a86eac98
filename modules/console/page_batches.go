package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches"
	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/filings"
	"github.com/skillcert/skillcert/modules/identity"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
)

// Batches is what the 批次 pages need of the batches module: the same service calls as the API's
// routes in modules/batches/http.go (each page below names its API twin).
type Batches interface {
	List(ctx context.Context, req platform.PageRequest, f batches.BatchFilter) (platform.Page[batches.Batch], error)
	Get(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	Create(ctx context.Context, in batches.NewBatch) (batches.Batch, error)
	Publish(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	Close(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	Cancel(ctx context.Context, id uuid.UUID, reason string) (batches.Batch, error)
	PublishResults(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	Finalize(ctx context.Context, id uuid.UUID) (batches.Batch, error)
	Progress(ctx context.Context, id uuid.UUID) (batches.Progress, error)
	ListApplications(ctx context.Context, batchID uuid.UUID, req platform.PageRequest, f batches.ApplicationFilter) (platform.Page[batches.Application], error)
	BatchApplications(ctx context.Context, batchID uuid.UUID, req platform.PageRequest, f batches.ApplicationFilter) (batches.Batch, platform.Page[batches.Application], error)
	GetApplication(ctx context.Context, id uuid.UUID) (batches.Application, error)
	Apply(ctx context.Context, batchID uuid.UUID, in batches.NewApplication) (batches.Application, error)
	Decisions(ctx context.Context, batchID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]eligibility.Decision, error)
	PathText(ruleSet, path string) (zh, en string)
	Review(ctx context.Context, id uuid.UUID, decision, reason string) (batches.Application, error)
	MarkPaid(ctx context.Context, id uuid.UUID) (batches.Application, error)
	Assignments(ctx context.Context, batchID uuid.UUID) (batches.Assignments, error)
	AssignEvaluators(ctx context.Context, batchID uuid.UUID, userIDs []uuid.UUID, methods []batches.Method) (batches.Assignments, error)
	AssignSupervisors(ctx context.Context, batchID uuid.UUID, userIDs []uuid.UUID) (batches.Assignments, error)
	DeclareRecusal(ctx context.Context, batchID uuid.UUID, in batches.NewRecusal) (batches.Recusal, error)
	ListObjections(ctx context.Context, batchID uuid.UUID, req platform.PageRequest) (platform.Page[batches.Objection], error)
	ResolveObjection(ctx context.Context, id uuid.UUID, outcome batches.ObjectionStatus, note string) (batches.Objection, error)
}

// FilingScope is what the new-batch form needs of filings: the tenant's filings, whose approved scope
// (occupation × levels) the form offers.
type FilingScope interface {
	List(ctx context.Context, req platform.PageRequest, f filings.ListFilter) (platform.Page[filings.Filing], error)
}

// batchPages registers the pages of 批次: batches and their step flow, applications, assignments,
// objections. Each route declares the permission of its API twin (modules/batches/http.go).
func (c *Console) batchPages(r *router) {
	r.get("/batches", access{Permission: batches.PermBatchList}, c.batchesPage)        // GET /api/v1/batches
	r.get("/batches/new", access{Permission: batches.PermBatchCreate}, c.newBatchPage) // (the form of POST /api/v1/batches)
	r.post("/batches", access{Permission: batches.PermBatchCreate}, c.createBatch)     // POST /api/v1/batches
	r.get("/batches/:id", access{Permission: batches.PermBatchRead}, c.batchPage)      // GET /api/v1/batches/{id}
	r.post("/batches/:id/publish", access{Permission: batches.PermBatchPublish}, c.batchStep(batchPublish))
	r.post("/batches/:id/close", access{Permission: batches.PermBatchClose}, c.batchStep(batchClose))
	r.post("/batches/:id/cancel", access{Permission: batches.PermBatchCancel}, c.batchStep(batchCancel))
	r.post("/batches/:id/results/publish", access{Permission: batches.PermBatchResultsPublish}, c.batchStep(batchResults))
	r.post("/batches/:id/finalize", access{Permission: batches.PermBatchFinalize}, c.batchStep(batchFinalize))
	r.post("/batches/:id/evaluators", access{Permission: batches.PermBatchAssign}, c.assignStaff(true))
	r.post("/batches/:id/supervisors", access{Permission: batches.PermBatchAssign}, c.assignStaff(false))
	r.post("/batches/:id/recusals", access{Permission: batches.PermRecusalCreate}, c.declareRecusal)
	r.get("/batches/:id/applications", access{Permission: batches.PermApplicationList}, c.applicationsPage)
	r.get("/batches/:id/applications/new", access{Permission: batches.PermApplicationCreate}, c.enrolPage) // (the form of POST /api/v1/batches/{id}/applications)
	r.post("/batches/:id/applications", access{Permission: batches.PermApplicationCreate}, c.enrol)        // POST /api/v1/batches/{id}/applications
	r.get("/applications/:id", access{Permission: batches.PermApplicationRead}, c.applicationPage)
	r.post("/applications/:id/review", access{Permission: batches.PermApplicationReview}, c.reviewApplication)
	r.post("/applications/:id/paid", access{Permission: batches.PermApplicationMarkPaid}, c.markPaid)
	r.post("/objections/:id/resolve", access{Permission: batches.PermObjectionResolve}, c.resolveObjection)
}

// The lists, as the API declares them (modules/batches/http.go: batchList, applicationList).
var (
	batchList = &httpx.List{
		Sorts: []string{batches.SortCreatedAt, batches.SortExamStart},
		Filters: []httpx.Filter{{Name: "status", Enum: []string{string(batches.StatusDraft), string(batches.StatusOpen),
			string(batches.StatusClosed), string(batches.StatusPublicity), string(batches.StatusFinalized), string(batches.StatusCancelled)}}},
	}
	applicationList = &httpx.List{
		Sorts:  []string{batches.SortCreatedAt},
		Search: "a part of the candidate's name or, exactly, an ID number",
		Filters: []httpx.Filter{{Name: "status", Enum: []string{string(batches.AppEligible), string(batches.AppIneligible),
			string(batches.AppPendingReview), string(batches.AppApproved), string(batches.AppRejected)}}},
	}
	objectionList = &httpx.List{Sorts: []string{batches.SortCreatedAt}}
)

// batchStatuses and appStatuses are the filters' choices, in the order of a batch's life.
var (
	batchStatuses = batchList.Filters[0].Enum
	appStatuses   = applicationList.Filters[0].Enum
)

// ---------------------------------------------------------------------------------------------------
// The list of batches.

type batchesPage struct {
	Batches   []batches.BatchView
	List      listView
	Statuses  []string
	CanCreate bool
}

var batchColumns = []column[batches.Batch]{
	{Key: "batches.title_col", Cell: func(b batches.Batch) any { return b.Title }},
	{Key: "batches.occupation_code", Cell: func(b batches.Batch) any { return b.OccupationCode }},
	{Key: "batches.occupation_name", Cell: func(b batches.Batch) any { return b.OccupationName }},
	{Key: "batches.level", Cell: func(b batches.Batch) any { return int(b.Level) }},
	{Key: "batches.status", Cell: func(b batches.Batch) any { return string(b.Status) }},
	{Key: "batches.exam_start", Cell: func(b batches.Batch) any { return b.ExamStart }},
	{Key: "batches.application_deadline", Cell: func(b batches.Batch) any { return b.ApplicationDeadline }},
	{Key: "batches.capacity", Cell: func(b batches.Batch) any { return b.Capacity }},
	{Key: "batches.fee_yuan", Cell: func(b batches.Batch) any { return yuan(b.FeeFen) }},
	{Key: "batches.created_at", Cell: func(b batches.Batch) any { return b.CreatedAt }},
}

func (c *Console) batchesPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	req, lv, err := c.parseList(fc, batchList)
	if err != nil {
		return err
	}
	f := batches.BatchFilter{Status: batches.Status(fc.Query("status"))}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[batches.Batch], error) {
		return c.d.Batches.List(ctx, req, f)
	}
	if lv.Exporting() {
		return exportXLSX(fc, c.loc(fc), "batches", batchColumns, req, fetch)
	}
	page, err := fetch(ctx, req)
	if err != nil {
		return err
	}
	return c.render(fc, "batches", batchesPage{Batches: platform.MapPage(page, batches.NewBatchView).Items,
		List: lv.WithNext(page.NextCursor), Statuses: batchStatuses, CanCreate: c.d.Authorizer.Can(ctx, batches.PermBatchCreate)})
}

// yuan writes an amount in fen as yuan with two decimals.
func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// ---------------------------------------------------------------------------------------------------
// The new-batch form: fields named as POST /api/v1/batches's body.

type batchForm struct {
	OccupationCode      string
	Subtype             string
	Level               string
	Title               string
	Methods             map[string]bool
	PassMarks           map[string]string
	ExamStart           string
	ExamEnd             string
	ApplicationDeadline string
	Venue               string
	FeeFen              string
	Capacity            string
	PublicityDays       string
	MinEvaluators       string
	Fields              map[string]string // field → message id
	Error               string            // a form-level message id
}

type newBatchPage struct {
	Form    batchForm
	Scope   []scopeOption // the approved filing scope: occupations with their levels
	Methods []string
	Levels  []int
}

// scopeOption is one occupation of the approved scope.
type scopeOption struct {
	Code, Name string
	Levels     []int
}

func (c *Console) newBatchPage(fc *fiber.Ctx) error {
	return c.renderNewBatch(fc, batchForm{Methods: map[string]bool{string(batches.MethodTheory): true, string(batches.MethodPractical): true},
		PassMarks: map[string]string{}, Fields: map[string]string{}, PublicityDays: strconv.Itoa(batches.DefaultPublicityDays), MinEvaluators: "1"})
}

func (c *Console) renderNewBatch(fc *fiber.Ctx, form batchForm) error {
	scope, err := c.approvedScope(fc.UserContext())
	if err != nil {
		return err
	}
	ms := make([]string, 0, len(batches.Methods()))
	for _, m := range batches.Methods() {
		ms = append(ms, string(m))
	}
	return c.render(fc, "batches_new", newBatchPage{Form: form, Scope: scope, Methods: ms, Levels: []int{5, 4, 3, 2, 1}})
}

// approvedScope is the union of the occupations × levels of the tenant's approved filings (the batches
// service checks the same scope when the batch is created).
func (c *Console) approvedScope(ctx context.Context) ([]scopeOption, error) {
	if c.d.FilingScope == nil {
		return nil, nil
	}
	var out []scopeOption
	index := map[string]int{}
	req := platform.PageRequest{Limit: platform.MaxLimit}
	for {
		page, err := c.d.FilingScope.List(ctx, req, filings.ListFilter{Status: filings.StatusApproved})
		if err != nil {
			return nil, err
		}
		for _, f := range page.Items {
			for _, it := range f.Scope {
				i, ok := index[it.OccupationCode]
				if !ok {
					i = len(out)
					index[it.OccupationCode] = i
					out = append(out, scopeOption{Code: it.OccupationCode, Name: it.OccupationName})
				}
				for _, l := range it.Levels {
					if !slices.Contains(out[i].Levels, l) {
						out[i].Levels = append(out[i].Levels, l)
					}
				}
			}
		}
		if page.NextCursor == "" {
			break
		}
		req.Cursor = page.NextCursor
	}
	for i := range out {
		slices.SortFunc(out[i].Levels, func(a, b int) int { return b - a })
	}
	return out, nil
}

func (c *Console) createBatch(fc *fiber.Ctx) error {
	form := batchForm{
		OccupationCode: strings.TrimSpace(fc.FormValue("occupation_code")), Subtype: strings.TrimSpace(fc.FormValue("subtype")),
		Level: fc.FormValue("level"), Title: strings.TrimSpace(fc.FormValue("title")), Methods: map[string]bool{},
		PassMarks: map[string]string{}, ExamStart: fc.FormValue("exam_start"), ExamEnd: fc.FormValue("exam_end"),
		ApplicationDeadline: fc.FormValue("application_deadline"), Venue: strings.TrimSpace(fc.FormValue("venue")),
		FeeFen: strings.TrimSpace(fc.FormValue("fee_fen")), Capacity: strings.TrimSpace(fc.FormValue("capacity")),
		PublicityDays: strings.TrimSpace(fc.FormValue("publicity_days")), MinEvaluators: strings.TrimSpace(fc.FormValue("min_evaluators")),
		Fields: map[string]string{},
	}
	var v platform.Validation
	in := batches.NewBatch{OccupationCode: form.OccupationCode, Subtype: form.Subtype, Title: form.Title, Venue: form.Venue}
	in.Level = formInt(&v, "level", form.Level, true)
	in.FeeFen = int64(formInt(&v, "fee_fen", form.FeeFen, true))
	in.Capacity = formInt(&v, "capacity", form.Capacity, true)
	if form.PublicityDays != "" {
		d := formInt(&v, "publicity_days", form.PublicityDays, false)
		in.PublicityDays = &d
	}
	if form.MinEvaluators != "" {
		n := formInt(&v, "min_evaluators", form.MinEvaluators, false)
		in.MinEvaluators = &n
	}
	for _, m := range fc.Request().PostArgs().PeekMulti("methods") {
		form.Methods[string(m)] = true
		in.Methods = append(in.Methods, batches.Method(m))
	}
	for _, m := range batches.Methods() {
		raw := strings.TrimSpace(fc.FormValue("pass_marks." + string(m)))
		if raw == "" || !form.Methods[string(m)] {
			continue
		}
		form.PassMarks[string(m)] = raw
		mark, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			v.Add("pass_marks."+string(m), "out_of_range", "a number from 0 to 100")
			continue
		}
		if in.PassMarks == nil {
			in.PassMarks = map[batches.Method]float64{}
		}
		in.PassMarks[m] = mark
	}
	in.ExamStart = batches.ParseInstant(&v, "exam_start", form.ExamStart, false)
	if form.ExamEnd != "" {
		if e := batches.ParseInstant(&v, "exam_end", form.ExamEnd, true); !e.IsZero() {
			in.ExamEnd = &e
		}
	}
	in.ApplicationDeadline = batches.ParseInstant(&v, "application_deadline", form.ApplicationDeadline, true)
	err := v.Err()
	var extra *platform.Error
	if err == nil {
		var b batches.Batch
		if b, err = c.d.Batches.Create(fc.UserContext(), in); err == nil {
			return fc.Redirect("/batches/"+b.ID.String()+"?done=created", fiber.StatusSeeOther)
		}
	} else if verr := in.Validate(); verr != nil {
		// The form's own errors stopped the call: add the model's checks of the other fields.
		errors.As(verr, &extra)
	}
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable {
		return err
	}
	if pe.Code == "out_of_scope" || len(pe.Fields) == 0 {
		// Not a field's fault alone: the occupation × level is outside the approved scope, or the like.
		form.Fields["occupation_code"] = batchErrorMessage(pe.Code)
	}
	fields := pe.Fields
	if extra != nil {
		fields = append(slices.Clone(fields), extra.Fields...)
	}
	for _, f := range fields {
		name := f.Field
		if strings.HasPrefix(name, "methods[") {
			name = "methods"
		}
		if _, seen := form.Fields[name]; !seen && name != "scope" {
			form.Fields[name] = batchFieldMessage(f.Code)
		}
	}
	fc.Status(httpx.ProblemFor(err).Status)
	return c.renderNewBatch(fc, form)
}

// formInt reads an integer field, recording a field error when it is not one (or missing when required).
func formInt(v *platform.Validation, field, raw string, required bool) int {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if required {
			v.Add(field, "required", "required")
		}
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		v.Add(field, "not_a_number", "a whole number is expected")
	}
	return n
}

// batchFieldMessage is the catalog id of a field error code of the batch form.
func batchFieldMessage(code string) string {
	switch code {
	case "required", "invalid", "duplicate", "out_of_range", "invalid_time", "after_exam", "before_start", "not_offered",
		"unknown", "unknown_method", "comprehensive_review_required", "level_not_covered", "not_a_number", "not_found",
		"not_evaluator", "not_supervisor", "too_long":
		return "batch_field." + code
	}
	return fieldMessage(code)
}

// batchErrorMessage is the catalog id of a refusal of a batch's step (or of the form) by its code.
func batchErrorMessage(code string) string {
	switch code {
	case "out_of_scope", "invalid_state", "supervisor_required", "evaluators_required", "reviews_pending",
		"publicity_not_over", "deadline_passed", "validation_failed", "already_paid", "scores_locked":
		return "batch_error." + code
	}
	return "batch_error.other"
}

// ---------------------------------------------------------------------------------------------------
// The batch page: the step flow, the staff, the objections.

// stepState is where a step of the flow stands.
type stepState string

const (
	stepDone      stepState = "done"
	stepCurrent   stepState = "current"
	stepWaiting   stepState = "waiting"
	stepCancelled stepState = "cancelled"
)

// step is one numbered step of a batch's flow: its name, state, what is missing or worth knowing, the
// next action (only those the user's role may take and the state allows), and a link to its work.
type step struct {
	Key     string // message id of its name
	State   stepState
	Notes   []note
	Actions []stepAction
	Link    string // where the step's work is done ("" for none)
	LinkKey string
}

// note is a line under a step: a message id with its template data; Warn marks what blocks the next step.
type note struct {
	Key  string
	Args []any // name, value pairs; times are written in the page's language
	Warn bool
	Text string // the message, filled by batchSteps
}

// stepAction is a button of a step: a POST to Path (with the CSRF token), confirmed when Confirm names
// a message (what can't be undone).
type stepAction struct {
	Path, Key string
	Confirm   string
	Primary   bool
}

// batchFlow is what a batch page knows, for building its steps (also by other areas' step sources).
type batchFlow struct {
	Batch       batches.Batch
	Progress    batches.Progress
	Assignments batches.Assignments
	Now         time.Time
	can         func(perm string) bool
}

// stepSource builds steps that another area inserts into a batch's flow. The exam administration
// pages (issue 13: 考场编排, 准考证) set Console.examSteps in their registration (page_exams.go) to put
// their steps between 评价人员 and 成绩; nil adds none.
type stepSource func(fc *fiber.Ctx, f *batchFlow) ([]step, error)

type batchPage struct {
	Batch        batches.BatchView
	Steps        []step
	Progress     batches.Progress
	Evaluators   []staffLine
	Supervisors  []staffLine
	Recusals     []recusalLine
	Objections   []batches.ObjectionView
	ObjectionsOn bool // the user may list objections
	// Assignment forms: the tenant's users holding the role (empty when the user may not assign).
	EvaluatorChoices  []identity.User
	SupervisorChoices []identity.User
	Methods           []string
	CanAssign         bool
	CanRecuse         bool
	CanResolve        bool
	CanCancel         bool
	CanApplications   bool
	FeeYuan           string
	CancelledAt       time.Time
	Done              string // message id of what was just done
	Error             string // message id of a refusal
	ErrorDetail       string
	Fields            map[string]string
}

type staffLine struct {
	Name    string
	Methods []string
}

type recusalLine struct {
	Evaluator, Candidate, Relation string
	At                             time.Time
}

func (c *Console) batchPage(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	done := fc.Query("done")
	if !slices.Contains(batchDone, done) {
		done = ""
	}
	return c.renderBatch(fc, id, done, nil)
}

// batchDone are the confirmations the batch page shows after an action (?done=…, message batch_done.…).
var batchDone = []string{"created", "published", "closed", "cancelled", "results_published", "finalized", "evaluators",
	"supervisors", "recusal", "resolved"}

// renderBatch shows the batch page; refusal, when set, is an error of an action taken on it.
func (c *Console) renderBatch(fc *fiber.Ctx, id uuid.UUID, done string, refusal error) error {
	ctx := fc.UserContext()
	b, err := c.d.Batches.Get(ctx, id)
	if err != nil {
		return err
	}
	prog, err := c.d.Batches.Progress(ctx, id)
	if err != nil {
		return err
	}
	as, err := c.d.Batches.Assignments(ctx, id)
	if err != nil {
		return err
	}
	can := func(perm string) bool { return c.d.Authorizer.Can(ctx, perm) }
	flow := &batchFlow{Batch: b, Progress: prog, Assignments: as, Now: c.d.Now(), can: can}
	steps, err := c.batchSteps(fc, flow)
	if err != nil {
		return err
	}
	p := batchPage{Batch: batches.NewBatchView(b), Steps: steps, Progress: prog, Done: done,
		CanAssign:       can(batches.PermBatchAssign) && staffable(b.Status),
		CanRecuse:       can(batches.PermRecusalCreate) && staffable(b.Status),
		CanResolve:      can(batches.PermObjectionResolve),
		CanCancel:       can(batches.PermBatchCancel) && b.Status.CanBecome(batches.StatusCancelled),
		CanApplications: can(batches.PermApplicationList), ObjectionsOn: can(batches.PermObjectionList),
		Fields: map[string]string{}, FeeYuan: yuan(b.FeeFen)}
	if b.CancelledAt != nil {
		p.CancelledAt = *b.CancelledAt
	}
	for _, m := range b.Methods {
		p.Methods = append(p.Methods, string(m))
	}
	users, err := c.tenantUsers(ctx)
	if err != nil {
		return err
	}
	names := make(map[uuid.UUID]string, len(users))
	for _, u := range users {
		names[u.ID] = userName(u)
		if u.Status != identity.StatusActive {
			continue
		}
		if slices.Contains(u.Roles, "evaluator") {
			p.EvaluatorChoices = append(p.EvaluatorChoices, u)
		}
		if slices.Contains(u.Roles, "supervisor") {
			p.SupervisorChoices = append(p.SupervisorChoices, u)
		}
	}
	name := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return shortID(id)
	}
	byUser := map[uuid.UUID]int{}
	for _, e := range as.Evaluators {
		i, ok := byUser[e.UserID]
		if !ok {
			i = len(p.Evaluators)
			byUser[e.UserID] = i
			p.Evaluators = append(p.Evaluators, staffLine{Name: name(e.UserID)})
		}
		p.Evaluators[i].Methods = append(p.Evaluators[i].Methods, string(e.Method))
	}
	for i := range p.Evaluators { // in the batch's order of methods
		slices.SortFunc(p.Evaluators[i].Methods, func(x, y string) int {
			return slices.Index(p.Methods, x) - slices.Index(p.Methods, y)
		})
	}
	for _, s := range as.Supervisors {
		p.Supervisors = append(p.Supervisors, staffLine{Name: name(s.UserID)})
	}
	for _, r := range as.Recusals {
		p.Recusals = append(p.Recusals, recusalLine{Evaluator: name(r.EvaluatorID), Candidate: shortID(r.CandidateID),
			Relation: r.Relation, At: r.CreatedAt})
	}
	if p.ObjectionsOn && prog.Objections > 0 {
		page, err := c.d.Batches.ListObjections(ctx, id, platform.PageRequest{Limit: platform.MaxLimit})
		if err != nil {
			return err
		}
		p.Objections = platform.MapPage(page, batches.NewObjectionView).Items
	}
	if refusal != nil {
		var pe *platform.Error
		if !errors.As(refusal, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
			pe.Kind == platform.KindForbidden || pe.Kind == platform.KindNotFound {
			return refusal
		}
		p.Error, p.ErrorDetail = batchErrorMessage(pe.Code), pe.Message
		// A list's fields (user_ids[0]) show at the list; the assignment forms share the name user_ids,
		// so it is keyed by the form posted (evaluators.user_ids, supervisors.user_ids).
		form := ""
		if i := strings.LastIndex(fc.Path(), "/"); i >= 0 {
			form = fc.Path()[i+1:] + "."
		}
		for _, f := range pe.Fields {
			name := f.Field
			if i := strings.IndexByte(name, '['); i > 0 {
				name = name[:i]
			}
			if name == "user_ids" || name == "methods" {
				name = form + name
			}
			if _, seen := p.Fields[name]; !seen {
				p.Fields[name] = batchFieldMessage(f.Code)
			}
		}
		fc.Status(httpx.ProblemFor(refusal).Status)
	}
	return c.render(fc, "batches_show", p)
}

// staffable reports whether staff may still be assigned (and recusals declared) in status s.
func staffable(s batches.Status) bool {
	return s == batches.StatusDraft || s == batches.StatusOpen || s == batches.StatusClosed
}

// tenantUsers reads the tenant's users (a few pages at most: an institution's staff), for the
// assignment choices and for naming the assigned.
func (c *Console) tenantUsers(ctx context.Context) ([]identity.User, error) {
	return allPages(ctx, platform.PageRequest{Sort: identity.SortUsername, Limit: platform.MaxLimit}, c.d.Users.ListUsers)
}

func userName(u identity.User) string {
	if u.DisplayName != "" && u.DisplayName != u.Username {
		return u.DisplayName + "（" + u.Username + "）"
	}
	return u.Username
}

func shortID(id uuid.UUID) string { return id.String()[:8] }

// batchSteps builds the numbered flow 计划公告 → 报名 → 资格审核 → 评价人员 → [考场编排 → 准考证] → 成绩 →
// 公示 → 证书 from the batch's status and counts.
func (c *Console) batchSteps(fc *fiber.Ctx, f *batchFlow) ([]step, error) {
	b, p := f.Batch, f.Progress
	l := c.loc(fc)
	base := "/batches/" + b.ID.String()
	apps := base + "/applications"
	// rank orders the statuses of a batch's life; a cancelled batch keeps the rank it was cancelled at.
	rank := map[batches.Status]int{batches.StatusDraft: 0, batches.StatusOpen: 1, batches.StatusClosed: 2,
		batches.StatusPublicity: 3, batches.StatusFinalized: 4}
	r, cancelled := rank[b.Status], b.Status == batches.StatusCancelled
	if cancelled {
		r = 0
		switch {
		case b.ClosedAt != nil:
			r = 2
		case b.PublishedAt != nil:
			r = 1
		}
	}
	state := func(doneFrom, currentAt int) stepState {
		switch {
		case r >= doneFrom:
			return stepDone
		case cancelled:
			return stepCancelled
		case r >= currentAt:
			return stepCurrent
		}
		return stepWaiting
	}
	act := func(perm string, ok bool, a stepAction) []stepAction {
		if !ok || cancelled || !f.can(perm) {
			return nil
		}
		return []stepAction{a}
	}

	// 1 计划公告: the announcement, from draft to published.
	plan := step{Key: "batch_step.plan", State: state(1, 0)}
	if b.PublishedAt != nil {
		plan.Notes = append(plan.Notes, note{Key: "batch_note.published_at", Args: []any{"At", *b.PublishedAt}})
	} else if !cancelled {
		plan.Notes = append(plan.Notes, note{Key: "batch_note.draft", Warn: true})
		if !f.Now.Before(b.ApplicationDeadline) {
			plan.Notes = append(plan.Notes, note{Key: "batch_note.deadline_passed", Warn: true})
		}
	}
	plan.Actions = act(batches.PermBatchPublish, b.Status == batches.StatusDraft,
		stepAction{Path: base + "/publish", Key: "batch_action.publish", Confirm: "batch_confirm.publish", Primary: true})

	// 2 报名: applications while open, until the deadline or capacity.
	apply := step{Key: "batch_step.apply", State: state(2, 1), Link: apps, LinkKey: "batch_link.applications"}
	apply.Notes = append(apply.Notes, note{Key: "batch_note.applications", Args: []any{"Count", p.Applications, "Capacity", b.Capacity}})
	if b.Status == batches.StatusOpen {
		apply.Notes = append(apply.Notes, note{Key: "batch_note.deadline", Args: []any{"At", b.ApplicationDeadline}})
	}
	if p.Applications > 0 {
		apply.Notes = append(apply.Notes, note{Key: "batch_note.paid", Args: []any{"Paid", p.Paid, "Count", p.Applications}})
	}
	if b.Status == batches.StatusOpen && f.can(batches.PermApplicationCreate) {
		// While open, the step's work is enrolling the tenant's candidates (page_batches_enrol.go).
		apply.Link, apply.LinkKey = base+"/applications/new", "batch_link.enrol"
	}
	apply.Actions = act(batches.PermBatchClose, b.Status == batches.StatusOpen,
		stepAction{Path: base + "/close", Key: "batch_action.close", Confirm: "batch_confirm.close", Primary: true})

	// 3 资格审核: pending reviews must be decided before results (reviews_pending).
	pending := p.ByStatus[batches.AppPendingReview]
	review := step{Key: "batch_step.review", Link: apps + "?status=" + string(batches.AppPendingReview), LinkKey: "batch_link.review"}
	switch {
	case r >= 3 || (r == 2 && pending == 0):
		review.State = stepDone
	case cancelled:
		review.State = stepCancelled
	case r >= 1:
		review.State = stepCurrent
	default:
		review.State = stepWaiting
	}
	if pending > 0 {
		review.Notes = append(review.Notes, note{Key: "batch_note.pending", Args: []any{"Count", pending}, Warn: true})
	}
	review.Notes = append(review.Notes, note{Key: "batch_note.admitted", Args: []any{"Admitted", p.Admitted,
		"Ineligible", p.ByStatus[batches.AppIneligible], "Rejected", p.ByStatus[batches.AppRejected]}})

	// 4 评价人员: a supervisor for every exam (逢考必督) and the minimum of evaluators per method.
	staff := step{Key: "batch_step.staff", Link: "#staff", LinkKey: "batch_link.staff"}
	per := map[batches.Method]int{}
	for _, e := range f.Assignments.Evaluators {
		per[e.Method]++
	}
	staffed := len(f.Assignments.Supervisors) > 0
	if len(f.Assignments.Supervisors) == 0 {
		staff.Notes = append(staff.Notes, note{Key: "batch_note.no_supervisor", Warn: true})
	}
	for _, m := range b.Methods {
		if per[m] < b.MinEvaluators {
			staffed = false
			staff.Notes = append(staff.Notes, note{Key: "batch_note.evaluators_short", Warn: true,
				Args: []any{"Method", l.T("batch_method." + string(m)), "Have", per[m], "Need", b.MinEvaluators}})
		}
	}
	if staffed {
		staff.Notes = append(staff.Notes, note{Key: "batch_note.staffed", Args: []any{"Evaluators", len(f.Assignments.Evaluators),
			"Supervisors", len(f.Assignments.Supervisors)}})
	}
	switch {
	case r >= 3 || (staffed && r >= 2):
		staff.State = stepDone
	case cancelled:
		staff.State = stepCancelled
	case staffed:
		staff.State = stepDone
	default:
		staff.State = stepCurrent
	}

	// 成绩: evaluators score while the batch is closed; results are then published.
	scores := step{Key: "batch_step.scores", State: state(3, 2), Link: apps, LinkKey: "batch_link.scores"}
	if r >= 2 {
		if p.Unscored > 0 && r == 2 {
			scores.Notes = append(scores.Notes, note{Key: "batch_note.unscored", Args: []any{"Count", p.Unscored}, Warn: true})
		}
		scores.Notes = append(scores.Notes, note{Key: "batch_note.results", Args: []any{"Passed", p.Passed, "Failed", p.Failed}})
	}
	scores.Actions = act(batches.PermBatchResultsPublish, b.Status == batches.StatusClosed,
		stepAction{Path: base + "/results/publish", Key: "batch_action.publish_results", Confirm: "batch_confirm.publish_results", Primary: true})

	// 公示: the publicity period and its objections.
	publicity := step{Key: "batch_step.publicity", State: state(4, 3)}
	if b.PublicityEndsAt != nil {
		publicity.Notes = append(publicity.Notes, note{Key: "batch_note.publicity_ends", Args: []any{"At", *b.PublicityEndsAt}})
	}
	if p.OpenObjections > 0 {
		publicity.Notes = append(publicity.Notes, note{Key: "batch_note.objections_open", Args: []any{"Count", p.OpenObjections}, Warn: true})
		publicity.Link, publicity.LinkKey = "#objections", "batch_link.objections"
	}
	if p.Held > 0 {
		publicity.Notes = append(publicity.Notes, note{Key: "batch_note.held", Args: []any{"Count", p.Held}})
	}
	publicityOver := b.PublicityEndsAt != nil && !f.Now.Before(*b.PublicityEndsAt)
	if b.Status == batches.StatusPublicity && !publicityOver {
		publicity.Notes = append(publicity.Notes, note{Key: "batch_note.publicity_running"})
	}
	publicity.Actions = act(batches.PermBatchFinalize, b.Status == batches.StatusPublicity && publicityOver,
		stepAction{Path: base + "/finalize", Key: "batch_action.finalize", Confirm: "batch_confirm.finalize", Primary: true})

	// 证书: finalizing hands the passed, unheld applications to issuance.
	certs := step{Key: "batch_step.certificates", State: state(4, 4)}
	if b.FinalizedAt != nil {
		certs.Notes = append(certs.Notes, note{Key: "batch_note.finalized", Args: []any{"At", *b.FinalizedAt, "Count", p.Passed - p.Held}})
		certs.Link, certs.LinkKey = "/certificates?batch_id="+b.ID.String(), "batch_link.certificates"
	}

	steps := []step{plan, apply, review, staff}
	// 考场编排 and 准考证 (exam administration, issue 13) go here, between 评价人员 and 成绩.
	if c.examSteps != nil {
		more, err := c.examSteps(fc, f)
		if err != nil {
			return nil, err
		}
		steps = append(steps, more...)
	}
	steps = append(steps, scores, publicity, certs)
	for i := range steps {
		for j := range steps[i].Notes {
			n := &steps[i].Notes[j]
			args := slices.Clone(n.Args)
			for k, a := range args {
				if t, ok := a.(time.Time); ok {
					args[k] = l.Time(t)
				}
			}
			n.Text = l.Tf(n.Key, args...)
		}
	}
	return steps, nil
}

// batchAction is one of the bodiless (or reason-only) transitions of a batch.
type batchAction int

const (
	batchPublish batchAction = iota
	batchClose
	batchCancel
	batchResults
	batchFinalize
)

// batchStep serves a transition: POST /api/v1/batches/{id}/publish, close, cancel, results/publish,
// finalize. A refusal (422 supervisor_required, 409 invalid_state, …) shows on the batch page.
func (c *Console) batchStep(a batchAction) fiber.Handler {
	done := [...]string{"batch_done.published", "batch_done.closed", "batch_done.cancelled", "batch_done.results_published", "batch_done.finalized"}
	return func(fc *fiber.Ctx) error {
		ctx := fc.UserContext()
		id, err := httpx.UUIDParam(fc, "id")
		if err != nil {
			return err
		}
		switch a {
		case batchPublish:
			_, err = c.d.Batches.Publish(ctx, id)
		case batchClose:
			_, err = c.d.Batches.Close(ctx, id)
		case batchCancel:
			_, err = c.d.Batches.Cancel(ctx, id, strings.TrimSpace(fc.FormValue("reason")))
		case batchResults:
			_, err = c.d.Batches.PublishResults(ctx, id)
		case batchFinalize:
			_, err = c.d.Batches.Finalize(ctx, id)
		}
		if err != nil {
			return c.renderBatch(fc, id, "", err)
		}
		return fc.Redirect("/batches/"+id.String()+"?done="+strings.TrimPrefix(done[a], "batch_done."), fiber.StatusSeeOther)
	}
}

// assignStaff serves POST /api/v1/batches/{id}/evaluators (evaluators: user_ids and methods) and
// …/supervisors (user_ids).
func (c *Console) assignStaff(evaluators bool) fiber.Handler {
	return func(fc *fiber.Ctx) error {
		ctx := fc.UserContext()
		id, err := httpx.UUIDParam(fc, "id")
		if err != nil {
			return err
		}
		args := fc.Request().PostArgs()
		var users []uuid.UUID
		for _, raw := range args.PeekMulti("user_ids") {
			u, err := uuid.ParseBytes(raw)
			if err != nil {
				return c.renderBatch(fc, id, "", platform.E(platform.KindInvalid, "validation_failed", "a user id is malformed"))
			}
			users = append(users, u)
		}
		if evaluators {
			var ms []batches.Method
			for _, m := range args.PeekMulti("methods") {
				ms = append(ms, batches.Method(m))
			}
			_, err = c.d.Batches.AssignEvaluators(ctx, id, users, ms)
		} else {
			_, err = c.d.Batches.AssignSupervisors(ctx, id, users)
		}
		if err != nil {
			return c.renderBatch(fc, id, "", err)
		}
		done := "supervisors"
		if evaluators {
			done = "evaluators"
		}
		return fc.Redirect("/batches/"+id.String()+"?done="+done+"#staff", fiber.StatusSeeOther)
	}
}

// declareRecusal serves POST /api/v1/batches/{id}/recusals: evaluator_id, candidate_id, relation.
func (c *Console) declareRecusal(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	var v platform.Validation
	parse := func(field string) uuid.UUID {
		u, err := uuid.Parse(strings.TrimSpace(fc.FormValue(field)))
		v.Check(err == nil, field, "required", "required")
		return u
	}
	in := batches.NewRecusal{EvaluatorID: parse("evaluator_id"), CandidateID: parse("candidate_id"),
		Relation: strings.TrimSpace(fc.FormValue("relation"))}
	if err := v.Err(); err != nil {
		return c.renderBatch(fc, id, "", err)
	}
	if _, err := c.d.Batches.DeclareRecusal(fc.UserContext(), id, in); err != nil {
		return c.renderBatch(fc, id, "", err)
	}
	return fc.Redirect("/batches/"+id.String()+"?done=recusal#staff", fiber.StatusSeeOther)
}

// resolveObjection serves POST /api/v1/objections/{id}/resolve: outcome upheld|dismissed, note.
func (c *Console) resolveObjection(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	o, err := c.d.Batches.ResolveObjection(fc.UserContext(), id, batches.ObjectionStatus(fc.FormValue("outcome")),
		strings.TrimSpace(fc.FormValue("note")))
	if err != nil {
		// The form sits on its batch's page: show the refusal there.
		if bid, perr := uuid.Parse(fc.FormValue("batch_id")); perr == nil {
			return c.renderBatch(fc, bid, "", err)
		}
		return err
	}
	return fc.Redirect("/batches/"+o.BatchID.String()+"?done=resolved#objections", fiber.StatusSeeOther)
}

// ---------------------------------------------------------------------------------------------------
// Applications of a batch: GET /api/v1/batches/{id}/applications, review, mark paid.

type applicationsPage struct {
	Batch         batches.BatchView
	Rows          []appRowView
	RowsHTML      template.HTML // the rows as "app_row" renders them, cached (page_batches_rows.go)
	TopHTML       template.HTML // the page down to the table's body, as "apps_top" renders it, cached
	List          listView
	Base          string // /batches/{id}
	Tabs          []appTab
	StatusOptions []appOption
	Heads         []string // the table's column heads before the sortable date
	Actions       bool     // the actions column: the user may review or mark paid
	CanReview     bool     // the page's shared approve and reject forms are there
	CanPay        bool     // the page's shared mark-paid form is there
	Empty         string   // the empty table's words
	Back          string   // this page's address, for the forms to return to
	Labels        *appLabels
}

// appLabels are the page's words, each looked up once per page (not once per row).
type appLabels struct {
	Tabs, Search, SearchHint, Status, AllStatuses, SearchButton, Reset, Caption, Actions string
	ReviewConfirm                                                                        string
	Row                                                                                  appRowLabels
}

type appTab struct {
	Status, Label string
	Current       bool
}

type appOption struct {
	Value, Label string
	Selected     bool
}

// appRowView is one application as the table shows it, every cell ready to print: the template's loop
// only writes fields.
type appRowView struct {
	ID, Name, IDNumber   string
	Status, StatusWord   string
	Held, Paid, Awaiting bool
	Reasons              []string // the eligibility in plain words, in the page's language
	ReviewNote           string   // "审核意见：…" when the review gave a reason
	Scores               []scoreCell
	Result               string // 合格 / 不合格, "" while scores are incomplete
	Created              string
	Review, Pay          bool   // the row's review forms / mark-paid form are shown
	PaidConfirm          string // the mark-paid form's confirmation
}

type scoreCell struct {
	Method string
	Score  string // "" when missing
	Exempt bool
}

var applicationColumns = func(b batches.Batch, zh bool) []column[batches.Application] {
	cols := []column[batches.Application]{
		{Key: "apps.name", Cell: func(a batches.Application) any { return a.CandidateName }},
		{Key: "apps.id_number", Cell: func(a batches.Application) any { return a.IDNumber }},
		{Key: "apps.status", Cell: func(a batches.Application) any { return string(a.Status) }},
		{Key: "apps.rule", Cell: func(a batches.Application) any { return a.Decision.PassedPath }},
		{Key: "apps.paid", Cell: func(a batches.Application) any { return a.PaidAt }},
	}
	for _, m := range b.Methods {
		m := m
		cols = append(cols, column[batches.Application]{Key: "batch_method." + string(m), Cell: func(a batches.Application) any {
			if s, ok := a.Scores[m]; ok {
				return s
			}
			return ""
		}})
	}
	cols = append(cols,
		column[batches.Application]{Key: "apps.result", Cell: func(a batches.Application) any { return string(a.Result) }},
		column[batches.Application]{Key: "apps.review_reason", Cell: func(a batches.Application) any { return a.ReviewReason }},
		column[batches.Application]{Key: "apps.created_at", Cell: func(a batches.Application) any { return a.CreatedAt }})
	return cols
}

func (c *Console) applicationsPage(fc *fiber.Ctx) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	req, lv, err := c.parseList(fc, applicationList)
	if err != nil {
		return err
	}
	f := batches.ApplicationFilter{Status: batches.ApplicationStatus(fc.Query("status")), Search: strings.TrimSpace(fc.Query("q"))}
	fetch := func(ctx context.Context, req platform.PageRequest) (platform.Page[batches.Application], error) {
		return c.d.Batches.ListApplications(ctx, id, req, f)
	}
	l := c.loc(fc)
	if lv.Exporting() {
		b, err := c.d.Batches.Get(ctx, id)
		if err != nil {
			return err
		}
		return exportXLSX(fc, l, "applications", applicationColumns(b, l.tag == langZH), req, fetch)
	}
	b, page, err := c.d.Batches.BatchApplications(ctx, id, req, f)
	if err != nil {
		return err
	}
	canReview := c.d.Authorizer.Can(ctx, batches.PermApplicationReview) && (b.Status == batches.StatusOpen || b.Status == batches.StatusClosed)
	canPay := c.d.Authorizer.Can(ctx, batches.PermApplicationMarkPaid)
	lv = lv.WithNext(page.NextCursor)
	p := applicationsPage{Batch: batches.NewBatchView(b), List: lv, Base: "/batches/" + id.String(),
		Actions: canReview || canPay, CanReview: canReview, CanPay: canPay, Back: string(fc.Request().URI().RequestURI()),
		Labels: appPageLabels(l)}
	status := lv.Value("status")
	for _, tab := range []struct{ status, key string }{{"", "apps.tab_all"}, {string(batches.AppPendingReview), "apps.tab_todo"},
		{string(batches.AppApproved), "apps.tab_done_approved"}, {string(batches.AppRejected), "apps.tab_done_rejected"}} {
		p.Tabs = append(p.Tabs, appTab{Status: tab.status, Label: l.T(tab.key), Current: status == tab.status})
	}
	words := make(map[batches.ApplicationStatus]string, len(appStatuses))
	for _, s := range appStatuses {
		words[batches.ApplicationStatus(s)] = l.T("app_status." + s)
		p.StatusOptions = append(p.StatusOptions, appOption{Value: s, Label: words[batches.ApplicationStatus(s)], Selected: s == status})
	}
	p.Heads = []string{l.T("apps.name"), l.T("apps.id_number"), l.T("apps.status"), l.T("apps.reasons"), l.T("apps.paid")}
	for _, m := range b.Methods {
		p.Heads = append(p.Heads, l.T("batch_method."+string(m)))
	}
	p.Heads = append(p.Heads, l.T("apps.result"))
	switch {
	case lv.Filtered():
		p.Empty = l.T("list.no_match")
	case b.Status == batches.StatusDraft:
		p.Empty = l.T("apps.empty_draft")
	default:
		p.Empty = l.T("apps.empty")
	}
	// Reasons in plain words: a passed path as the rule set words it (no read), a failure's clauses
	// from the full decisions of this page's failed rows (one read for the page, none when all passed).
	var failed []uuid.UUID
	for _, a := range page.Items {
		if a.Decision.Outcome == eligibility.OutcomeIneligible {
			failed = append(failed, a.ID)
		}
	}
	decisions, err := c.d.Batches.Decisions(ctx, id, failed)
	if err != nil {
		return err
	}
	zh := l.tag == langZH
	paths := map[string]string{}
	results := map[batches.Result]string{"pass": l.T("app_result.pass"), "fail": l.T("app_result.fail")}
	// Messages with data, localized once with a marker the row's value replaces.
	reviewNote, paidConfirm := l.Tf("apps.review_reason_is", "Reason", "\x00"), l.Tf("apps.paid_confirm", "Name", "\x00")
	p.Rows = make([]appRowView, len(page.Items))
	for i, a := range page.Items {
		if d, ok := decisions[a.ID]; ok {
			a.Decision = d
		}
		awaiting := a.Status == batches.AppPendingReview
		row := appRowView{ID: a.ID.String(), Name: a.CandidateName, IDNumber: a.IDNumber, Status: string(a.Status),
			StatusWord: words[a.Status], Held: a.Held, Paid: a.PaidAt != nil, Awaiting: awaiting,
			Scores: scoreCells(b, a), Result: results[a.Result], Created: l.Date(a.CreatedAt),
			Review: canReview && awaiting, Pay: canPay && a.PaidAt == nil}
		if row.Pay {
			row.PaidConfirm = strings.Replace(paidConfirm, "\x00", a.CandidateName, 1)
		}
		if a.ReviewDecision != "" && a.ReviewReason != "" {
			row.ReviewNote = strings.Replace(reviewNote, "\x00", a.ReviewReason, 1)
		}
		if a.Decision.Outcome == eligibility.OutcomeIneligible {
			ev := batches.NewEligibilityView(a.Decision, false)
			row.Reasons = ev.Reasons
			if !zh {
				row.Reasons = ev.ReasonsEN
			}
		} else if a.Decision.PassedPath != "" {
			text, ok := paths[a.Decision.PassedPath]
			if !ok {
				tz, te := c.d.Batches.PathText(b.RuleSet, a.Decision.PassedPath)
				text = tz
				if !zh {
					text = te
				}
				paths[a.Decision.PassedPath] = text
			}
			if text != "" {
				row.Reasons = []string{text}
			}
		}
		p.Rows[i] = row
	}
	set := c.tmpl.pages["batches_applications"]
	if p.RowsHTML, err = c.appRowsHTML(set, &p.Labels.Row, p.Actions, p.Rows); err != nil {
		return err
	}
	if p.TopHTML, err = c.appTopHTML(set, appTopInput{L: l, Batch: p.Batch, List: p.List, Base: p.Base, Tabs: p.Tabs,
		StatusOptions: p.StatusOptions, Heads: p.Heads, Actions: p.Actions, Labels: p.Labels}); err != nil {
		return err
	}
	return c.render(fc, "batches_applications", p)
}

// appPageLabels are the applications page's words in the request's language.
func appPageLabels(l *loc) *appLabels {
	return &appLabels{Tabs: l.T("apps.tabs"), Search: l.T("apps.search"), SearchHint: l.T("apps.search_hint"),
		Status: l.T("apps.status"), AllStatuses: l.T("apps.all_statuses"), SearchButton: l.T("list.search"),
		Reset: l.T("list.reset"), Caption: l.T("apps.caption"), Actions: l.T("list.actions"),
		ReviewConfirm: l.T("apps.review_confirm"),
		Row: appRowLabels{Held: l.T("apps.held"), PaidYes: l.T("apps.paid_yes"), PaidNo: l.T("apps.paid_no"),
			Exempt: l.T("apps.exempt"), Approve: l.T("apps.approve"), RejectAsk: l.T("apps.reject_ask"),
			MarkPaid: l.T("apps.mark_paid")}}
}

// scoreCells are an application's scores in the batch's method order.
func scoreCells(b batches.Batch, a batches.Application) []scoreCell {
	out := make([]scoreCell, len(b.Methods))
	for i, m := range b.Methods {
		out[i] = scoreCell{Method: string(m), Exempt: m == batches.MethodTheory && a.Decision.TheoryExempt}
		if s, ok := a.Scores[m]; ok {
			out[i].Score = strconv.FormatFloat(s, 'f', -1, 64)
		}
	}
	return out
}

// applicationPage is one application with its whole eligibility decision (GET /api/v1/applications/{id}).
type applicationPage struct {
	App       batches.ApplicationView
	Batch     batches.BatchView
	Clauses   []clauseLine
	Exempt    string
	Scores    []scoreCell
	Outcome   string
	CanReview bool
	CanPay    bool
	Back      string
	Decision  string // the review form's chosen decision: "reject" when the applications table's 不通过… led here
	Reason    string // the reason a refused review posted
	Error     string
	Fields    map[string]string
}

type clauseLine struct {
	Passed bool
	Text   string
}

func (c *Console) applicationPage(fc *fiber.Ctx) error { return c.renderApplication(fc, nil) }

func (c *Console) renderApplication(fc *fiber.Ctx, refusal error) error {
	ctx := fc.UserContext()
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	a, err := c.d.Batches.GetApplication(ctx, id)
	if err != nil {
		return err
	}
	b, err := c.d.Batches.Get(ctx, a.BatchID)
	if err != nil {
		return err
	}
	zh := c.loc(fc).tag == langZH
	p := applicationPage{App: batches.NewApplicationView(a, true), Batch: batches.NewBatchView(b), Scores: scoreCells(b, a),
		Outcome:   string(a.Result),
		CanReview: c.d.Authorizer.Can(ctx, batches.PermApplicationReview) && (b.Status == batches.StatusOpen || b.Status == batches.StatusClosed),
		CanPay:    c.d.Authorizer.Can(ctx, batches.PermApplicationMarkPaid),
		Back:      "/applications/" + a.ID.String(), Fields: map[string]string{}}
	// The applications table's 不通过… opens this page with ?decision=reject&next=<the table's page>; a
	// refused review comes back with what was posted.
	decision, next := fc.Query("decision"), fc.Query("next")
	if fc.Method() == fiber.MethodPost {
		decision, next = fc.FormValue("decision"), fc.FormValue("next")
		p.Reason = fc.FormValue("reason")
	}
	if decision == "approve" || decision == "reject" {
		p.Decision = decision
	}
	if next != "" && safeNext(next) == next {
		p.Back = next
	}
	for _, cl := range a.Decision.Clauses {
		t := cl.ReasonZH
		if !zh {
			t = cl.ReasonEN
		}
		p.Clauses = append(p.Clauses, clauseLine{Passed: cl.Passed, Text: t})
	}
	if a.Decision.TheoryExempt {
		p.Exempt = a.Decision.ExemptReasonZH
		if !zh {
			p.Exempt = a.Decision.ExemptReasonEN
		}
	}
	if refusal != nil {
		var pe *platform.Error
		if !errors.As(refusal, &pe) || pe.Kind == platform.KindInternal || pe.Kind == platform.KindUnavailable ||
			pe.Kind == platform.KindForbidden || pe.Kind == platform.KindNotFound {
			return refusal
		}
		p.Error = batchErrorMessage(pe.Code)
		for _, f := range pe.Fields {
			p.Fields[f.Field] = batchFieldMessage(f.Code)
		}
		fc.Status(httpx.ProblemFor(refusal).Status)
	}
	return c.render(fc, "batches_application", p)
}

// reviewApplication serves POST /api/v1/applications/{id}/review: decision approve|reject, reason. A
// refusal (a rejection without its reason) shows on the application's page, next to the field.
func (c *Console) reviewApplication(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if _, err := c.d.Batches.Review(fc.UserContext(), id, fc.FormValue("decision"), fc.FormValue("reason")); err != nil {
		return c.renderApplication(fc, err)
	}
	return fc.Redirect(safeNext(fc.FormValue("next")), fiber.StatusSeeOther)
}

// markPaid serves POST /api/v1/applications/{id}/paid.
func (c *Console) markPaid(fc *fiber.Ctx) error {
	id, err := httpx.UUIDParam(fc, "id")
	if err != nil {
		return err
	}
	if _, err := c.d.Batches.MarkPaid(fc.UserContext(), id); err != nil {
		return c.renderApplication(fc, err)
	}
	return fc.Redirect(safeNext(fc.FormValue("next")), fiber.StatusSeeOther)
}
