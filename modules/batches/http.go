package batches

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/batches/eligibility"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Handler serves the batches API.
type Handler struct {
	svc        *Service
	objections *ratelimit.Limiter // public objections per client address; nil or off = no limit
}

// NewHandler returns the HTTP handler of svc; objections bounds the public objections per client
// address (429 rate_limited beyond it).
func NewHandler(svc *Service, objections *ratelimit.Limiter) *Handler {
	return &Handler{svc: svc, objections: objections}
}

// The lists of batches: their sort keys, searches and filters, for the routes' documentation and the
// handlers' parsing alike.
var (
	batchList = &httpx.List{
		Sorts: []string{SortCreatedAt, SortExamStart},
		Filters: []httpx.Filter{{Name: "status", Description: "only batches in this state",
			Enum: []string{string(StatusDraft), string(StatusOpen), string(StatusClosed), string(StatusPublicity),
				string(StatusFinalized), string(StatusCancelled)}}},
	}
	applicationList = &httpx.List{
		Sorts:  []string{SortCreatedAt},
		Search: "a part of the candidate's name or, exactly, an ID number",
		Filters: []httpx.Filter{{Name: "status", Description: "only applications in this state",
			Enum: []string{string(AppEligible), string(AppIneligible), string(AppPendingReview), string(AppApproved),
				string(AppRejected)}}},
	}
	passList         = &httpx.List{Sorts: []string{SortApplicationID}}
	objectionList    = &httpx.List{Sorts: []string{SortCreatedAt}} // oldest first only
	announcementList = &httpx.List{Sorts: []string{SortExamStart}} // soonest first only
	publicResultList = &httpx.List{Sorts: []string{SortCreatedAt}} // application order only
)

// Routes mounts the batches API on r (paths relative to /api/v1).
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "Batches"
	r.Post("/batches", httpx.Op{Summary: "Create a draft batch", Tag: tag, Permission: PermBatchCreate,
		Request: new(createBatchRequest), Response: new(BatchView), Status: fiber.StatusCreated}, h.create)
	r.Get("/batches", httpx.Op{Summary: "List batches (sort: created_at, exam_start; filter: status)", Tag: tag,
		Permission: PermBatchList, List: batchList, Response: new(platform.Page[BatchView])}, h.list)
	r.Get("/batches/:id", httpx.Op{Summary: "Get a batch", Tag: tag, Permission: PermBatchRead, Response: new(BatchView)}, h.get)
	r.Post("/batches/:id/publish", httpx.Op{Summary: "Publish the announcement (draft → open)", Tag: tag,
		Permission: PermBatchPublish, Response: new(BatchView)}, h.step((*Service).Publish))
	r.Post("/batches/:id/close", httpx.Op{Summary: "Close applications (open → closed); needs a supervisor and evaluators", Tag: tag,
		Permission: PermBatchClose, Response: new(BatchView)}, h.step((*Service).Close))
	r.Post("/batches/:id/cancel", httpx.Op{Summary: "Cancel a batch before its results", Tag: tag,
		Permission: PermBatchCancel, Request: new(cancelRequest), Response: new(BatchView)}, h.cancel)
	r.Post("/batches/:id/results/publish", httpx.Op{Summary: "Publish results (closed → publicity)", Tag: tag,
		Permission: PermBatchResultsPublish, Response: new(BatchView)}, h.step((*Service).PublishResults))
	r.Post("/batches/:id/finalize", httpx.Op{Summary: "Finalize after publicity (publicity → finalized)", Tag: tag,
		Permission: PermBatchFinalize, Response: new(BatchView)}, h.step((*Service).Finalize))
	r.Get("/batches/:id/passes", httpx.Op{Summary: "Passed, unheld applications recorded at finalize", Tag: tag,
		Permission: PermBatchRead, List: passList, Response: new(platform.Page[PassedView])}, h.passes)

	h.scoringRoutes(r)
	r.Post("/batches/:id/evaluators", httpx.Op{Summary: "Assign evaluators (all methods, or those given)", Tag: tag,
		Permission: PermBatchAssign, Request: new(assignRequest), Response: new(AssignmentsView)}, h.assignEvaluators)
	r.Post("/batches/:id/supervisors", httpx.Op{Summary: "Assign internal quality supervisors", Tag: tag,
		Permission: PermBatchAssign, Request: new(assignRequest), Response: new(AssignmentsView)}, h.assignSupervisors)
	r.Get("/batches/:id/assignments", httpx.Op{Summary: "Evaluators, supervisors and recusals of a batch", Tag: tag,
		Permission: PermBatchRead, Response: new(AssignmentsView)}, h.assignments)
	r.Post("/batches/:id/recusals", httpx.Op{Summary: "Declare an evaluator's relation to a candidate (回避)", Tag: tag,
		Permission: PermRecusalCreate, Request: new(recusalRequest), Response: new(RecusalView), Status: fiber.StatusCreated}, h.recusal)

	const appTag = "Applications"
	r.Post("/batches/:id/applications", httpx.Op{Summary: "Apply a candidate to a batch (eligibility decided at once)", Tag: appTag,
		Permission: PermApplicationCreate, Request: new(applyRequest), Response: new(ApplicationView), Status: fiber.StatusCreated}, h.apply)
	r.Get("/batches/:id/applications", httpx.Op{Summary: "List a batch's applications (keyset by created_at, id; filter: status)", Tag: appTag,
		Permission: PermApplicationList, List: applicationList, Response: new(platform.Page[ApplicationView])}, h.listApplications)
	r.Get("/applications/:id", httpx.Op{Summary: "Get an application with its full eligibility decision", Tag: appTag,
		Permission: PermApplicationRead, Response: new(ApplicationView)}, h.getApplication)
	r.Post("/applications/:id/review", httpx.Op{Summary: "Review a pending_review application", Tag: appTag,
		Permission: PermApplicationReview, Request: new(reviewRequest), Response: new(ApplicationView)}, h.review)
	r.Post("/applications/:id/paid", httpx.Op{Summary: "Mark the application's fee paid", Tag: appTag,
		Permission: PermApplicationMarkPaid, Response: new(ApplicationView)}, h.markPaid)
	r.Put("/applications/:id/scores", httpx.Op{Summary: "Enter scores (assigned evaluators, batch closed)", Tag: appTag,
		Permission: PermScoreWrite, Request: new(scoresRequest), Response: new(ApplicationView)}, h.scores)
	r.Get("/candidates/:id/applications", httpx.Op{Summary: "List a candidate's applications across batches (keyset by created_at, id; filter: status)",
		Tag: appTag, Permission: PermApplicationList, List: applicationList, Response: new(platform.Page[ApplicationView])}, h.candidateApplications)
	r.Get("/me/applications", httpx.Op{Summary: "The logged-in candidate's own applications", Tag: appTag,
		Permission: PermApplicationListOwn, List: applicationList, Response: new(platform.Page[ApplicationView])}, h.myApplications)

	const pubTag = "Publicity"
	r.Get("/batches/:id/objections", httpx.Op{Summary: "List a batch's objections, oldest first", Tag: pubTag,
		Permission: PermObjectionList, List: objectionList, Response: new(platform.Page[ObjectionView])}, h.listObjections)
	r.Post("/objections/:id/resolve", httpx.Op{Summary: "Resolve an objection (upheld keeps the hold)", Tag: pubTag,
		Permission: PermObjectionResolve, Request: new(resolveRequest), Response: new(ObjectionView)}, h.resolve)
	r.Put("/calendar/holidays/:year", httpx.Op{Summary: "Load a year's holidays and adjusted workdays", Tag: pubTag,
		Permission: PermCalendarWrite, Request: new(holidaysRequest), Response: new(HolidaysView)}, h.setHolidays)
	r.Get("/calendar/holidays/:year", httpx.Op{Summary: "A year's holidays and adjusted workdays", Tag: pubTag,
		AnyRole: true, Response: new(HolidaysView)}, h.getHolidays)

	r.Get("/public/institutions/:slug/batches", httpx.Op{Summary: "An institution's open batches (announcements), soonest exam first", Tag: pubTag,
		Access: httpx.Public, List: announcementList, Response: new(platform.Page[Announcement])}, h.publicBatches)
	r.Get("/public/batches/:id/results", httpx.Op{Summary: "Published results during publicity, masked, in application order", Tag: pubTag,
		Access: httpx.Public, List: publicResultList, Response: new(PublicResultsView)}, h.publicResults)
	r.Post("/public/batches/:id/objections", httpx.Op{Summary: "Object to a published result", Tag: pubTag,
		Access: httpx.Public, Request: new(objectionRequest), Response: new(ObjectionReceipt), Status: fiber.StatusCreated},
		h.objections.Wrap(h.object))
}

type createBatchRequest struct {
	OccupationCode      string             `json:"occupation_code"`
	Subtype             string             `json:"subtype,omitempty"`
	Level               int                `json:"level"`
	Title               string             `json:"title"`
	Methods             []string           `json:"methods"`
	ExamStart           string             `json:"exam_start" description:"RFC 3339, or YYYY-MM-DD (00:00 China time)"`
	ExamEnd             string             `json:"exam_end,omitempty"`
	ApplicationDeadline string             `json:"application_deadline" description:"RFC 3339, or YYYY-MM-DD (end of that day, China time)"`
	Venue               string             `json:"venue"`
	FeeFen              int64              `json:"fee_fen"`
	Capacity            int                `json:"capacity"`
	PassMarks           map[string]float64 `json:"pass_marks,omitempty"`
	PublicityDays       *int               `json:"publicity_days,omitempty" description:"working days, default 5; 0 allowed"`
	MinEvaluators       *int               `json:"min_evaluators,omitempty" description:"evaluators required per method, default 1"`
	RuleSet             string             `json:"rule_set,omitempty" description:"eligibility rule set id; default by standard edition"`
}

func (h *Handler) create(c *fiber.Ctx) error {
	var req createBatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	in := NewBatch{OccupationCode: req.OccupationCode, Subtype: req.Subtype, Level: req.Level, Title: req.Title,
		Venue: req.Venue, FeeFen: req.FeeFen, Capacity: req.Capacity, PublicityDays: req.PublicityDays,
		MinEvaluators: req.MinEvaluators, RuleSet: req.RuleSet}
	for _, m := range req.Methods {
		in.Methods = append(in.Methods, Method(m))
	}
	if req.PassMarks != nil {
		in.PassMarks = map[Method]float64{}
		for m, p := range req.PassMarks {
			in.PassMarks[Method(m)] = p
		}
	}
	in.ExamStart = ParseInstant(&v, "exam_start", req.ExamStart, false)
	if req.ExamEnd != "" {
		if e := ParseInstant(&v, "exam_end", req.ExamEnd, true); !e.IsZero() {
			in.ExamEnd = &e
		}
	}
	in.ApplicationDeadline = ParseInstant(&v, "application_deadline", req.ApplicationDeadline, true)
	if err := v.Err(); err != nil {
		return err
	}
	b, err := h.svc.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewBatchView(b))
}

func (h *Handler) list(c *fiber.Ctx) error {
	req, err := batchList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), req, BatchFilter{Status: Status(strings.Clone(c.Query("status")))})
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewBatchView))
}

func (h *Handler) get(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	b, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewBatchView(b))
}

// step serves a bodiless state transition.
func (h *Handler) step(fn func(*Service, context.Context, uuid.UUID) (Batch, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := httpx.UUIDParam(c, "id")
		if err != nil {
			return err
		}
		b, err := fn(h.svc, c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(NewBatchView(b))
	}
}

type cancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (h *Handler) cancel(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req cancelRequest
	if len(c.Body()) > 0 {
		if err := httpx.Bind(c, &req); err != nil {
			return err
		}
	}
	b, err := h.svc.Cancel(c.UserContext(), id, strings.TrimSpace(req.Reason))
	if err != nil {
		return err
	}
	return c.JSON(NewBatchView(b))
}

func (h *Handler) passes(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, err := passList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.Passes(c.UserContext(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewPassedView))
}

type assignRequest struct {
	UserIDs []uuid.UUID `json:"user_ids"`
	Methods []string    `json:"methods,omitempty" description:"evaluators only: the methods they score; all when absent"`
}

func (h *Handler) assignEvaluators(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req assignRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	ms := make([]Method, len(req.Methods))
	for i, m := range req.Methods {
		ms[i] = Method(m)
	}
	as, err := h.svc.AssignEvaluators(c.UserContext(), id, req.UserIDs, ms)
	if err != nil {
		return err
	}
	return c.JSON(NewAssignmentsView(as))
}

func (h *Handler) assignSupervisors(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req assignRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	as, err := h.svc.AssignSupervisors(c.UserContext(), id, req.UserIDs)
	if err != nil {
		return err
	}
	return c.JSON(NewAssignmentsView(as))
}

func (h *Handler) assignments(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	as, err := h.svc.Assignments(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewAssignmentsView(as))
}

type recusalRequest struct {
	EvaluatorID uuid.UUID `json:"evaluator_id"`
	CandidateID uuid.UUID `json:"candidate_id"`
	Relation    string    `json:"relation"`
}

func (h *Handler) recusal(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req recusalRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.DeclareRecusal(c.UserContext(), id, NewRecusal{EvaluatorID: req.EvaluatorID,
		CandidateID: req.CandidateID, Relation: strings.TrimSpace(req.Relation)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewRecusalView(r))
}

type applyRequest struct {
	CandidateID     uuid.UUID `json:"candidate_id"`
	Route           string    `json:"route,omitempty" description:"normal (default), direct_recognition or fast_track"`
	EvidenceFileIDs []string  `json:"evidence_file_ids,omitempty" description:"evidence for direct recognition or fast-track"`
}

func (h *Handler) apply(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req applyRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.Apply(c.UserContext(), id, NewApplication{CandidateID: req.CandidateID,
		Route: eligibility.Route(req.Route), EvidenceFileIDs: req.EvidenceFileIDs})
	if err != nil {
		return err
	}
	return sendApplication(c.Status(fiber.StatusCreated), a)
}

// parseApplicationList reads an application list's page and filter.
func parseApplicationList(c *fiber.Ctx) (platform.PageRequest, ApplicationFilter, error) {
	req, err := applicationList.Parse(c)
	return req, ApplicationFilter{Status: ApplicationStatus(strings.Clone(c.Query("status"))),
		Search: strings.TrimSpace(strings.Clone(c.Query("q")))}, err
}

// sendApplication sends one application with its full eligibility decision.
func sendApplication(c *fiber.Ctx, a Application) error {
	v := NewApplicationView(a, true)
	return httpx.JSON(c, &v)
}

// sendApplications sends a page of applications, each item's view built as it is written.
func sendApplications(c *fiber.Ctx, p platform.Page[Application]) error {
	return httpx.JSONList(c, p.Items, p.NextCursor, func(b []byte, a *Application) []byte {
		v := NewApplicationView(*a, false)
		return v.AppendJSON(b)
	})
}

func (h *Handler) listApplications(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, f, err := parseApplicationList(c)
	if err != nil {
		return err
	}
	p, err := h.svc.ListApplications(c.UserContext(), id, req, f)
	if err != nil {
		return err
	}
	return sendApplications(c, p)
}

func (h *Handler) candidateApplications(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, f, err := parseApplicationList(c)
	if err != nil {
		return err
	}
	p, err := h.svc.CandidateApplications(c.UserContext(), id, req, f)
	if err != nil {
		return err
	}
	return sendApplications(c, p)
}

func (h *Handler) myApplications(c *fiber.Ctx) error {
	req, f, err := parseApplicationList(c)
	if err != nil {
		return err
	}
	p, err := h.svc.MyApplications(c.UserContext(), req, f)
	if err != nil {
		return err
	}
	return sendApplications(c, p)
}

func (h *Handler) getApplication(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.GetApplication(c.UserContext(), id)
	if err != nil {
		return err
	}
	return sendApplication(c, a)
}

type reviewRequest struct {
	Decision string `json:"decision" enum:"approve,reject"`
	Reason   string `json:"reason,omitempty"`
}

func (h *Handler) review(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	a, err := h.svc.Review(c.UserContext(), id, req.Decision, req.Reason)
	if err != nil {
		return err
	}
	return sendApplication(c, a)
}

func (h *Handler) markPaid(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.MarkPaid(c.UserContext(), id)
	if err != nil {
		return err
	}
	return sendApplication(c, a)
}

// scoresRequest maps methods to scores out of 100: {"theory":78,"practical":85}.
type scoresRequest map[string]float64

func (h *Handler) scores(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req scoresRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	scores := make(map[Method]float64, len(req))
	for m, s := range req {
		scores[Method(m)] = s
	}
	a, err := h.svc.SetScores(c.UserContext(), id, scores)
	if err != nil {
		return err
	}
	return sendApplication(c, a)
}

func (h *Handler) listObjections(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, err := objectionList.Parse(c)
	if err != nil {
		return err
	}
	page, err := h.svc.ListObjections(c.UserContext(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, NewObjectionView))
}

type resolveRequest struct {
	Outcome string `json:"outcome" enum:"upheld,dismissed"`
	Note    string `json:"note,omitempty"`
}

func (h *Handler) resolve(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req resolveRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	o, err := h.svc.ResolveObjection(c.UserContext(), id, ObjectionStatus(req.Outcome), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(NewObjectionView(o))
}

type holidaysRequest struct {
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

func yearParam(c *fiber.Ctx) (int, error) {
	y, err := strconv.Atoi(c.Params("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, platform.NotFound("calendar year")
	}
	return y, nil
}

func (h *Handler) setHolidays(c *fiber.Ctx) error {
	y, err := yearParam(c)
	if err != nil {
		return err
	}
	var req holidaysRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	out, err := h.svc.SetHolidays(c.UserContext(), Holidays{Year: y, Holidays: req.Holidays, Workdays: req.Workdays})
	if err != nil {
		return err
	}
	return c.JSON(NewHolidaysView(out))
}

func (h *Handler) getHolidays(c *fiber.Ctx) error {
	y, err := yearParam(c)
	if err != nil {
		return err
	}
	out, err := h.svc.Holidays(c.UserContext(), y)
	if err != nil {
		return err
	}
	return c.JSON(NewHolidaysView(out))
}

func (h *Handler) publicBatches(c *fiber.Ctx) error {
	req, err := announcementList.Parse(c)
	if err != nil {
		return err
	}
	t, page, err := h.svc.PublicBatches(c.UserContext(), strings.Clone(c.Params("slug")), req)
	if err != nil {
		return err
	}
	return c.JSON(platform.MapPage(page, func(b Batch) Announcement { return NewAnnouncementFor(t, b) }))
}

func (h *Handler) publicResults(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	req, err := publicResultList.Parse(c)
	if err != nil {
		return err
	}
	b, page, err := h.svc.PublicResults(c.UserContext(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(NewPublicResultsView(b, page))
}

type objectionRequest struct {
	ApplicationID  *uuid.UUID `json:"application_id,omitempty"`
	MaskedName     string     `json:"masked_name,omitempty" description:"as published, with masked_id_number, when application_id is not given"`
	MaskedIDNumber string     `json:"masked_id_number,omitempty"`
	Reason         string     `json:"reason"`
	Contact        string     `json:"contact"`
}

func (h *Handler) object(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req objectionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	in := NewObjection{MaskedName: req.MaskedName, MaskedIDNumber: req.MaskedIDNumber, Reason: req.Reason, Contact: req.Contact}
	if req.ApplicationID != nil {
		in.ApplicationID = *req.ApplicationID
	}
	o, err := h.svc.RaiseObjection(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(NewObjectionReceipt(o))
}

// The evaluator's score sheet and the supervisor's record (scoring.go, supervision.go): the API twins
// of the console's 评分 and 督导 pages.

// EvaluatorBatchView is a batch the caller scores, with the methods they score.
type EvaluatorBatchView struct {
	Batch   BatchView `json:"batch"`
	Methods []Method  `json:"methods"`
}

// ScoreSheetView is an evaluator's score sheet of a batch.
type ScoreSheetView struct {
	Batch   BatchView      `json:"batch"`
	Methods []Method       `json:"methods"`
	Open    bool           `json:"open"`
	Locked  bool           `json:"locked"`
	Rows    []ScoreRowView `json:"rows"`
}

// ScoreRowView is one row of a score sheet.
type ScoreRowView struct {
	Application ApplicationView `json:"application"`
	Absent      []Method        `json:"absent"`
	Recused     bool            `json:"recused"`
}

// NewScoreSheetView converts a score sheet.
func NewScoreSheetView(s ScoreSheet) ScoreSheetView {
	v := ScoreSheetView{Batch: NewBatchView(s.Batch), Methods: s.Methods, Open: s.Open, Locked: s.Locked, Rows: []ScoreRowView{}}
	if v.Methods == nil {
		v.Methods = []Method{}
	}
	for _, r := range s.Rows {
		abs := r.Absent
		if abs == nil {
			abs = []Method{}
		}
		v.Rows = append(v.Rows, ScoreRowView{Application: NewApplicationView(r.Application, false), Absent: abs, Recused: r.Recused})
	}
	return v
}

// SupervisionRecordView is a supervisor's record of a batch's exam.
type SupervisionRecordView struct {
	BatchID      uuid.UUID  `json:"batch_id"`
	SupervisorID uuid.UUID  `json:"supervisor_id"`
	Present      bool       `json:"present"`
	Findings     string     `json:"findings"`
	SignedOff    bool       `json:"signed_off"`
	SignedOffAt  *time.Time `json:"signed_off_at,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// NewSupervisionRecordView converts a record (updated_at absent while it is unwritten).
func NewSupervisionRecordView(r SupervisionRecord) SupervisionRecordView {
	v := SupervisionRecordView{BatchID: r.BatchID, SupervisorID: r.SupervisorID, Present: r.Present, Findings: r.Findings,
		SignedOff: r.SignedOff(), SignedOffAt: r.SignedOffAt}
	if !r.UpdatedAt.IsZero() {
		t := r.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

// SupervisedBatchView is a batch the caller supervises, with their record.
type SupervisedBatchView struct {
	Batch  BatchView             `json:"batch"`
	Record SupervisionRecordView `json:"record"`
}

type (
	evaluationsResponse struct {
		Items []EvaluatorBatchView `json:"items"`
	}
	batchScoresRequest struct {
		Items []struct {
			ApplicationID uuid.UUID          `json:"application_id" required:"true"`
			Scores        map[string]float64 `json:"scores" required:"true"`
		} `json:"items" required:"true"`
	}
	batchScoresResponse struct {
		Items []ApplicationView `json:"items"`
	}
	supervisedResponse struct {
		Items []SupervisedBatchView `json:"items"`
	}
	supervisionResponse struct {
		Batch BatchView               `json:"batch"`
		Items []SupervisionRecordView `json:"items"`
	}
	supervisionRequest struct {
		Present  bool   `json:"present"`
		Findings string `json:"findings,omitempty"`
		SignOff  bool   `json:"sign_off,omitempty"`
	}
)

// scoringRoutes mounts the score sheet and supervision records (called from Routes).
func (h *Handler) scoringRoutes(r *httpx.Router) {
	const tag = "Scoring and supervision"
	r.Get("/me/evaluations", httpx.Op{Summary: "The batches the caller is assigned to score, with their methods", Tag: tag,
		Permission: PermScoreWrite, Response: new(evaluationsResponse)}, h.myEvaluations)
	r.Get("/batches/:id/score-sheet", httpx.Op{Summary: "The caller's score sheet of a batch (assigned evaluators; others 404)", Tag: tag,
		Permission: PermScoreWrite, Response: new(ScoreSheetView)}, h.scoreSheet)
	r.Put("/batches/:id/scores", httpx.Op{Summary: "Enter many rows of scores in one transaction (all or none)", Tag: tag,
		Permission: PermScoreWrite, Request: new(batchScoresRequest), Response: new(batchScoresResponse)}, h.batchScores)
	r.Get("/me/supervision", httpx.Op{Summary: "The batches the caller supervises (逢考必督), with their records", Tag: tag,
		Permission: PermSupervisionWrite, Response: new(supervisedResponse)}, h.mySupervision)
	r.Get("/batches/:id/supervision", httpx.Op{Summary: "A batch's supervision records, one per supervisor", Tag: tag,
		Permission: PermSupervisionRead, Response: new(supervisionResponse)}, h.supervision)
	r.Put("/batches/:id/supervision", httpx.Op{Summary: "Write the caller's supervision record; sign_off closes it", Tag: tag,
		Permission: PermSupervisionWrite, Request: new(supervisionRequest), Response: new(SupervisionRecordView)}, h.saveSupervision)
}

func (h *Handler) myEvaluations(c *fiber.Ctx) error {
	bs, err := h.svc.MyEvaluations(c.UserContext())
	if err != nil {
		return err
	}
	out := evaluationsResponse{Items: []EvaluatorBatchView{}}
	for _, b := range bs {
		out.Items = append(out.Items, EvaluatorBatchView{Batch: NewBatchView(b.Batch), Methods: b.Methods})
	}
	return c.JSON(out)
}

func (h *Handler) scoreSheet(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.ScoreSheet(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(NewScoreSheetView(s))
}

func (h *Handler) batchScores(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req batchScoresRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	items := make([]ScoreItem, len(req.Items))
	for i, it := range req.Items {
		items[i] = ScoreItem{ApplicationID: it.ApplicationID, Scores: make(map[Method]float64, len(it.Scores))}
		for m, s := range it.Scores {
			items[i].Scores[Method(m)] = s
		}
	}
	apps, err := h.svc.SetBatchScores(c.UserContext(), id, items)
	if err != nil {
		return err
	}
	out := batchScoresResponse{Items: []ApplicationView{}}
	for _, a := range apps {
		out.Items = append(out.Items, NewApplicationView(a, false))
	}
	return c.JSON(out)
}

func (h *Handler) mySupervision(c *fiber.Ctx) error {
	bs, err := h.svc.MySupervision(c.UserContext())
	if err != nil {
		return err
	}
	out := supervisedResponse{Items: []SupervisedBatchView{}}
	for _, b := range bs {
		out.Items = append(out.Items, SupervisedBatchView{Batch: NewBatchView(b.Batch), Record: NewSupervisionRecordView(b.Record)})
	}
	return c.JSON(out)
}

func (h *Handler) supervision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	b, recs, err := h.svc.Supervision(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := supervisionResponse{Batch: NewBatchView(b), Items: []SupervisionRecordView{}}
	for _, r := range recs {
		out.Items = append(out.Items, NewSupervisionRecordView(r))
	}
	return c.JSON(out)
}

func (h *Handler) saveSupervision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req supervisionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.SaveSupervision(c.UserContext(), id, SupervisionInput{Present: req.Present, Findings: req.Findings, SignOff: req.SignOff})
	if err != nil {
		return err
	}
	return c.JSON(NewSupervisionRecordView(r))
}
