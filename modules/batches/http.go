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
)

// Handler serves the batches API.
type Handler struct {
	svc *Service
}

// NewHandler returns the HTTP handler of svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes mounts the batches API on r (paths relative to /api/v1).
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "Batches"
	r.Post("/batches", httpx.Op{Summary: "Create a draft batch", Tag: tag, Permission: "batch:create",
		Request: new(createBatchRequest), Response: new(BatchView), Status: fiber.StatusCreated}, h.create)
	r.Get("/batches", httpx.Op{Summary: "List batches (sort: created_at, exam_start; filter: status)", Tag: tag,
		Permission: "batch:list", Response: new(httpx.Page[BatchView])}, h.list)
	r.Get("/batches/:id", httpx.Op{Summary: "Get a batch", Tag: tag, Permission: "batch:read", Response: new(BatchView)}, h.get)
	r.Post("/batches/:id/publish", httpx.Op{Summary: "Publish the announcement (draft → open)", Tag: tag,
		Permission: "batch:publish", Response: new(BatchView)}, h.step((*Service).Publish))
	r.Post("/batches/:id/close", httpx.Op{Summary: "Close applications (open → closed); needs a supervisor and evaluators", Tag: tag,
		Permission: "batch:close", Response: new(BatchView)}, h.step((*Service).Close))
	r.Post("/batches/:id/cancel", httpx.Op{Summary: "Cancel a batch before its results", Tag: tag,
		Permission: "batch:cancel", Request: new(cancelRequest), Response: new(BatchView)}, h.cancel)
	r.Post("/batches/:id/results/publish", httpx.Op{Summary: "Publish results (closed → publicity)", Tag: tag,
		Permission: "batch:results_publish", Response: new(BatchView)}, h.step((*Service).PublishResults))
	r.Post("/batches/:id/finalize", httpx.Op{Summary: "Finalize after publicity (publicity → finalized)", Tag: tag,
		Permission: "batch:finalize", Response: new(BatchView)}, h.step((*Service).Finalize))
	r.Get("/batches/:id/passes", httpx.Op{Summary: "Passed, unheld applications recorded at finalize", Tag: tag,
		Permission: "batch:read", Response: new(httpx.Page[PassedView])}, h.passes)

	r.Post("/batches/:id/evaluators", httpx.Op{Summary: "Assign evaluators (all methods, or those given)", Tag: tag,
		Permission: "batch:assign", Request: new(assignRequest), Response: new(AssignmentsView)}, h.assignEvaluators)
	r.Post("/batches/:id/supervisors", httpx.Op{Summary: "Assign internal quality supervisors", Tag: tag,
		Permission: "batch:assign", Request: new(assignRequest), Response: new(AssignmentsView)}, h.assignSupervisors)
	r.Get("/batches/:id/assignments", httpx.Op{Summary: "Evaluators, supervisors and recusals of a batch", Tag: tag,
		Permission: "batch:read", Response: new(AssignmentsView)}, h.assignments)
	r.Post("/batches/:id/recusals", httpx.Op{Summary: "Declare an evaluator's relation to a candidate (回避)", Tag: tag,
		Permission: "recusal:create", Request: new(recusalRequest), Response: new(RecusalView), Status: fiber.StatusCreated}, h.recusal)

	const appTag = "Applications"
	r.Post("/batches/:id/applications", httpx.Op{Summary: "Apply a candidate to a batch (eligibility decided at once)", Tag: appTag,
		Permission: "application:create", Request: new(applyRequest), Response: new(ApplicationView), Status: fiber.StatusCreated}, h.apply)
	r.Get("/batches/:id/applications", httpx.Op{Summary: "List a batch's applications (keyset by created_at, id; filter: status)", Tag: appTag,
		Permission: "application:list", Response: new(httpx.Page[ApplicationView])}, h.listApplications)
	r.Get("/applications/:id", httpx.Op{Summary: "Get an application with its full eligibility decision", Tag: appTag,
		Permission: "application:read", Response: new(ApplicationView)}, h.getApplication)
	r.Post("/applications/:id/review", httpx.Op{Summary: "Review a pending_review application", Tag: appTag,
		Permission: "application:review", Request: new(reviewRequest), Response: new(ApplicationView)}, h.review)
	r.Post("/applications/:id/paid", httpx.Op{Summary: "Mark the application's fee paid", Tag: appTag,
		Permission: "application:mark_paid", Response: new(ApplicationView)}, h.markPaid)
	r.Put("/applications/:id/scores", httpx.Op{Summary: "Enter scores (assigned evaluators, batch closed)", Tag: appTag,
		Permission: "score:write", Request: new(scoresRequest), Response: new(ApplicationView)}, h.scores)
	r.Get("/me/applications", httpx.Op{Summary: "The logged-in candidate's own applications", Tag: appTag,
		Permission: "application:list_own", Response: new(httpx.Page[ApplicationView])}, h.myApplications)

	const pubTag = "Publicity"
	r.Get("/batches/:id/objections", httpx.Op{Summary: "List a batch's objections", Tag: pubTag,
		Permission: "objection:list", Response: new(httpx.Page[ObjectionView])}, h.listObjections)
	r.Post("/objections/:id/resolve", httpx.Op{Summary: "Resolve an objection (upheld keeps the hold)", Tag: pubTag,
		Permission: "objection:resolve", Request: new(resolveRequest), Response: new(ObjectionView)}, h.resolve)
	r.Put("/calendar/holidays/:year", httpx.Op{Summary: "Load a year's holidays and adjusted workdays", Tag: pubTag,
		Permission: "calendar:write", Request: new(holidaysRequest), Response: new(HolidaysView)}, h.setHolidays)
	r.Get("/calendar/holidays/:year", httpx.Op{Summary: "A year's holidays and adjusted workdays", Tag: pubTag,
		AnyRole: true, Response: new(HolidaysView)}, h.getHolidays)

	r.Get("/public/institutions/:slug/batches", httpx.Op{Summary: "An institution's open batches (announcements)", Tag: pubTag,
		Access: httpx.Public, Response: new(httpx.Page[Announcement])}, h.publicBatches)
	r.Get("/public/batches/:id/results", httpx.Op{Summary: "Published results during publicity, masked", Tag: pubTag,
		Access: httpx.Public, Response: new(publicResultsResponse)}, h.publicResults)
	r.Post("/public/batches/:id/objections", httpx.Op{Summary: "Object to a published result", Tag: pubTag,
		Access: httpx.Public, Request: new(objectionRequest), Response: new(objectionReceipt), Status: fiber.StatusCreated}, h.object)
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

// parseInstant reads an RFC 3339 time, or a date (the start of the day, or its last moment when end is
// set, in China time).
func parseInstant(v *platform.Validation, field, s string, end bool) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if d, err := time.ParseInLocation(dateLayout, s, ChinaTime); err == nil {
		if end {
			d = d.AddDate(0, 0, 1).Add(-time.Second)
		}
		return d.UTC()
	}
	v.Add(field, "invalid_time", "an RFC 3339 time or a YYYY-MM-DD date is expected")
	return time.Time{}
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
	in.ExamStart = parseInstant(&v, "exam_start", req.ExamStart, false)
	if req.ExamEnd != "" {
		if e := parseInstant(&v, "exam_end", req.ExamEnd, true); !e.IsZero() {
			in.ExamEnd = &e
		}
	}
	in.ApplicationDeadline = parseInstant(&v, "application_deadline", req.ApplicationDeadline, true)
	if err := v.Err(); err != nil {
		return err
	}
	b, err := h.svc.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(BatchViewOf(b))
}

func (h *Handler) list(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at", "exam_start")
	if err != nil {
		return err
	}
	q := BatchQuery{Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Limit, Status: Status(c.Query("status"))}
	if q.Status != "" && !q.Status.Valid() {
		return platform.E(platform.KindInvalid, "invalid_filter", "status must be a batch status")
	}
	var cur BatchCursor
	if ok, err := httpx.DecodeCursor(lp.Cursor, &cur.At, &cur.ID); err != nil {
		return err
	} else if ok {
		q.After = &cur
	}
	page, err := h.svc.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := httpx.Page[BatchView]{Items: make([]BatchView, 0, len(page.Batches))}
	for _, b := range page.Batches {
		out.Items = append(out.Items, BatchViewOf(b))
	}
	if page.Next != nil {
		out.NextCursor = httpx.EncodeCursor(page.Next.At, page.Next.ID)
	}
	return c.JSON(out)
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
	return c.JSON(BatchViewOf(b))
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
		return c.JSON(BatchViewOf(b))
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
	return c.JSON(BatchViewOf(b))
}

func (h *Handler) passes(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	ps, err := h.svc.Passes(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := httpx.Page[PassedView]{Items: make([]PassedView, 0, len(ps))}
	for _, p := range ps {
		out.Items = append(out.Items, PassedView(p))
	}
	return c.JSON(out)
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
	return c.JSON(AssignmentsViewOf(as))
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
	return c.JSON(AssignmentsViewOf(as))
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
	return c.JSON(AssignmentsViewOf(as))
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
	return c.Status(fiber.StatusCreated).JSON(RecusalViewOf(r))
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

func parseAppList(c *fiber.Ctx) (ApplicationQuery, error) {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return ApplicationQuery{}, err
	}
	q := ApplicationQuery{Desc: lp.Desc, Limit: lp.Limit, Status: ApplicationStatus(c.Query("status"))}
	switch q.Status {
	case "", AppEligible, AppIneligible, AppPendingReview, AppApproved, AppRejected:
	default:
		return q, platform.E(platform.KindInvalid, "invalid_filter", "status must be an application status")
	}
	var cur AppCursor
	if ok, err := httpx.DecodeCursor(lp.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return q, err
	} else if ok {
		q.After = &cur
	}
	return q, nil
}

// sendApplication sends one application with its full eligibility decision.
func sendApplication(c *fiber.Ctx, a Application) error {
	v := ApplicationViewOf(a, true)
	return httpx.JSON(c, &v)
}

// sendApplications sends a page of applications, each item's view built as it is written.
func sendApplications(c *fiber.Ctx, p ApplicationPage) error {
	var next string
	if p.Next != nil {
		next = httpx.EncodeCursor(p.Next.CreatedAt, p.Next.ID)
	}
	return httpx.JSONList(c, p.Applications, next, func(b []byte, a *Application) []byte {
		v := ApplicationViewOf(*a, false)
		return v.AppendJSON(b)
	})
}

func (h *Handler) listApplications(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	q, err := parseAppList(c)
	if err != nil {
		return err
	}
	p, err := h.svc.ListApplications(c.UserContext(), id, q)
	if err != nil {
		return err
	}
	return sendApplications(c, p)
}

func (h *Handler) myApplications(c *fiber.Ctx) error {
	q, err := parseAppList(c)
	if err != nil {
		return err
	}
	p, err := h.svc.MyApplications(c.UserContext(), q)
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
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	if lp.Desc {
		return platform.E(platform.KindInvalid, "invalid_sort", "objections are listed oldest first")
	}
	var after *ObjectionCursor
	var cur ObjectionCursor
	if ok, err := httpx.DecodeCursor(lp.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return err
	} else if ok {
		after = &cur
	}
	os, next, err := h.svc.ListObjections(c.UserContext(), id, after, lp.Limit)
	if err != nil {
		return err
	}
	out := httpx.Page[ObjectionView]{Items: make([]ObjectionView, 0, len(os))}
	for _, o := range os {
		out.Items = append(out.Items, ObjectionViewOf(o))
	}
	if next != nil {
		out.NextCursor = httpx.EncodeCursor(next.CreatedAt, next.ID)
	}
	return c.JSON(out)
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
	return c.JSON(ObjectionViewOf(o))
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
	return c.JSON(HolidaysViewOf(out))
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
	return c.JSON(HolidaysViewOf(out))
}

func (h *Handler) publicBatches(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "exam_start")
	if err != nil {
		return err
	}
	if lp.Desc {
		return platform.E(platform.KindInvalid, "invalid_sort", "announcements are listed by exam start, soonest first")
	}
	var after *BatchCursor
	var cur BatchCursor
	if ok, err := httpx.DecodeCursor(lp.Cursor, &cur.At, &cur.ID); err != nil {
		return err
	} else if ok {
		after = &cur
	}
	t, page, err := h.svc.PublicBatches(c.UserContext(), strings.Clone(c.Params("slug")), after, lp.Limit)
	if err != nil {
		return err
	}
	out := httpx.Page[Announcement]{Items: make([]Announcement, 0, len(page.Batches))}
	for _, b := range page.Batches {
		out.Items = append(out.Items, AnnouncementFor(t, b))
	}
	if page.Next != nil {
		out.NextCursor = httpx.EncodeCursor(page.Next.At, page.Next.ID)
	}
	return c.JSON(out)
}

// publicResultsResponse is a page of a batch's published results.
type publicResultsResponse struct {
	Batch           Announcement       `json:"batch"`
	PublicityEndsAt *time.Time         `json:"publicity_ends_at"`
	Items           []publicResultView `json:"items"`
	NextCursor      string             `json:"next_cursor"`
}

type publicResultView struct {
	ApplicationID  uuid.UUID `json:"application_id"`
	Name           string    `json:"name"`
	IDNumber       string    `json:"id_number"`
	Result         Result    `json:"result"`
	UnderObjection bool      `json:"under_objection"`
}

func (h *Handler) publicResults(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	if lp.Desc {
		return platform.E(platform.KindInvalid, "invalid_sort", "results are listed in application order")
	}
	var after *AppCursor
	var cur AppCursor
	if ok, err := httpx.DecodeCursor(lp.Cursor, &cur.CreatedAt, &cur.ID); err != nil {
		return err
	} else if ok {
		after = &cur
	}
	b, rs, next, err := h.svc.PublicResults(c.UserContext(), id, after, lp.Limit)
	if err != nil {
		return err
	}
	out := publicResultsResponse{Batch: AnnouncementOf(b), PublicityEndsAt: b.PublicityEndsAt, Items: make([]publicResultView, 0, len(rs))}
	for _, r := range rs {
		out.Items = append(out.Items, publicResultView{ApplicationID: r.ApplicationID, Name: r.MaskedName,
			IDNumber: r.MaskedIDNumber, Result: r.Result, UnderObjection: r.Held})
	}
	if next != nil {
		out.NextCursor = httpx.EncodeCursor(next.CreatedAt, next.ID)
	}
	return c.JSON(out)
}

type objectionRequest struct {
	ApplicationID  *uuid.UUID `json:"application_id,omitempty"`
	MaskedName     string     `json:"masked_name,omitempty" description:"as published, with masked_id_number, when application_id is not given"`
	MaskedIDNumber string     `json:"masked_id_number,omitempty"`
	Reason         string     `json:"reason"`
	Contact        string     `json:"contact"`
}

// objectionReceipt acknowledges an objection without echoing the objector's contact.
type objectionReceipt struct {
	ID        uuid.UUID       `json:"id"`
	Status    ObjectionStatus `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
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
	return c.Status(fiber.StatusCreated).JSON(objectionReceipt{ID: o.ID, Status: o.Status, CreatedAt: o.CreatedAt})
}
