package oversight

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/modules/platform/httpx"
	"github.com/skillcert/skillcert/modules/platform/ratelimit"
)

// Permissions (casbin actions, policies/roles/oversight.csv). Regulators hold only oversight
// actions; institutions see and answer the decisions about them.
const (
	PermRead    = "oversight:read"    // every regulator role: institutions in jurisdiction, reports, statistics
	PermSync    = "oversight:sync"    // regulator admin: the external system
	PermInspect = "oversight:inspect" // regulator admin and inspector: inspections, sampling, complaints
	PermDecide  = "oversight:decide"  // regulator admin and inspector: decisions and reviews
	PermDecList = "decision:list"     // institution users: the decisions about them
	PermDecResp = "decision:respond"  // institution admin: statements and review requests
)

// Handler serves the oversight HTTP API.
type Handler struct {
	svc     *Service
	limiter *ratelimit.Limiter
}

// NewHandler returns the oversight HTTP handler; limiter bounds public complaints per client address
// (nil or a zero limit: no limit).
func NewHandler(svc *Service, limiter *ratelimit.Limiter) *Handler {
	return &Handler{svc: svc, limiter: limiter}
}

// Routes registers the oversight operations.
func (h *Handler) Routes(r *httpx.Router) {
	const tag = "oversight"
	r.Get("/oversight/institutions", httpx.Op{Summary: "Institutions in your jurisdiction", Tag: tag, Permission: PermRead,
		Response: new(httpx.Page[Institution])}, h.institutions)
	r.Get("/oversight/institutions/:tenant_id", httpx.Op{Summary: "An institution in your jurisdiction", Tag: tag, Permission: PermRead,
		Response: new(Institution)}, h.institution)
	r.Get("/oversight/institutions/:tenant_id/batches", httpx.Op{Summary: "An institution's batches (?status=)", Tag: tag,
		Permission: PermRead, Response: new(httpx.Page[BatchRecord])}, h.batches)
	r.Get("/oversight/institutions/:tenant_id/certificates", httpx.Op{Summary: "An institution's certificates (?status=&batch_id=)",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[CertificateRecord])}, h.certificates)
	r.Get("/oversight/institutions/:tenant_id/audit", httpx.Op{Summary: "An institution's audit log (?since=RFC3339, oldest first)",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[audit.Entry])}, h.audit)
	r.Get("/oversight/institutions/:tenant_id/score", httpx.Op{Summary: "An institution's monitoring score and star rating, explained",
		Tag: tag, Permission: PermRead, Response: new(Score)}, h.score)
	r.Get("/oversight/scores", httpx.Op{Summary: "Monitoring scores of every institution in your jurisdiction, worst first", Tag: tag,
		Permission: PermRead, Response: new(httpx.Page[Score])}, h.scores)

	r.Get("/oversight/reports", httpx.Op{Summary: "Reports received (?since=RFC3339&institution_id=&kind=), oldest first: immutable copies",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[Report])}, h.reports)
	r.Get("/oversight/reports/verify", httpx.Op{Summary: "Check your report store's hash chain", Tag: tag, Permission: PermRead,
		Response: new(ChainCheck)}, h.verifyReports)
	r.Get("/oversight/reports/:id", httpx.Op{Summary: "One report as received", Tag: tag, Permission: PermRead, Response: new(Report)}, h.report)

	r.Get("/oversight/sync-endpoint", httpx.Op{Summary: "Delivery state of your external system", Tag: tag, Permission: PermRead,
		Response: new(SyncState)}, h.syncState)
	r.Put("/oversight/sync-endpoint", httpx.Op{Summary: "Set your external system (https URL and HMAC secret)", Tag: tag,
		Permission: PermSync, Request: new(endpointRequest), Response: new(SyncState)}, h.setEndpoint)
	r.Delete("/oversight/sync-endpoint", httpx.Op{Summary: "Remove your external system", Tag: tag, Permission: PermSync, Status: 204}, h.deleteEndpoint)
	r.Post("/oversight/sync-endpoint/pause", httpx.Op{Summary: "Pause deliveries", Tag: tag, Permission: PermSync,
		Response: new(SyncState)}, h.pause)
	r.Post("/oversight/sync-endpoint/resume", httpx.Op{Summary: "Resume deliveries (and retry dead-lettered reports)", Tag: tag,
		Permission: PermSync, Response: new(SyncState)}, h.resume)
	r.Post("/oversight/sync-endpoint/replay", httpx.Op{Summary: "Deliver again every report received since a time", Tag: tag,
		Permission: PermSync, Request: new(replayRequest), Response: new(replayResponse)}, h.replay)

	r.Get("/oversight/reconciliation", httpx.Op{Summary: "Differences between holdings and reports (?institution_id=&open=true)",
		Tag: tag, Permission: PermRead, Response: new(reconciliationPage)}, h.reconciliation)
	r.Get("/oversight/flags", httpx.Op{Summary: "Cross-institution findings: one person, several certificates; repeat testing (?kind=&open=true)",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[Flag])}, h.flags)
	r.Get("/oversight/stats", httpx.Op{Summary: "Statistics (?from=YYYY-MM&to=&occupation_code=&level=&institution_id=&format=json|csv|xlsx&table=certificates|pass_rates|late_results)",
		Tag: tag, Permission: PermRead, Response: new(Stats)}, h.stats)

	r.Get("/oversight/inspections", httpx.Op{Summary: "Inspections (?institution_id=&status=&kind=), newest first", Tag: tag,
		Permission: PermRead, Response: new(httpx.Page[Inspection])}, h.inspections)
	r.Post("/oversight/inspections", httpx.Op{Summary: "Plan an inspection (routine, special, annual)", Tag: tag, Permission: PermInspect,
		Request: new(inspectionRequest), Response: new(Inspection), Status: 201}, h.createInspection)
	r.Get("/oversight/inspections/:id", httpx.Op{Summary: "An inspection with its findings", Tag: tag, Permission: PermRead,
		Response: new(Inspection)}, h.inspection)
	r.Patch("/oversight/inspections/:id", httpx.Op{Summary: "Change an inspection (status, conclusion, …)", Tag: tag, Permission: PermInspect,
		Request: new(inspectionPatchRequest), Response: new(Inspection)}, h.updateInspection)
	r.Delete("/oversight/inspections/:id", httpx.Op{Summary: "Delete a planned inspection without findings", Tag: tag, Permission: PermInspect,
		Status: 204}, h.deleteInspection)
	r.Post("/oversight/inspections/:id/findings", httpx.Op{Summary: "Record a finding", Tag: tag, Permission: PermInspect,
		Request: new(findingRequest), Response: new(Finding), Status: 201}, h.addFinding)
	r.Patch("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Change a finding (resolved, deadline, …)", Tag: tag,
		Permission: PermInspect, Request: new(findingPatchRequest), Response: new(Finding)}, h.updateFinding)
	r.Delete("/oversight/inspections/:id/findings/:finding_id", httpx.Op{Summary: "Delete a finding", Tag: tag, Permission: PermInspect,
		Status: 204}, h.deleteFinding)

	r.Post("/oversight/sampling", httpx.Op{Summary: "Double-random draw of institutions and inspectors from a recorded seed", Tag: tag,
		Permission: PermInspect, Request: new(samplingRequest), Response: new(Sampling), Status: 201}, h.sample)
	r.Get("/oversight/sampling", httpx.Op{Summary: "Your draws, newest first", Tag: tag, Permission: PermRead,
		Response: new(httpx.Page[Sampling])}, h.samplings)

	r.Get("/oversight/complaints", httpx.Op{Summary: "Public complaints about institutions in your jurisdiction (?status=&institution_id=)",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[Complaint])}, h.complaints)
	r.Patch("/oversight/complaints/:id", httpx.Op{Summary: "Handle a complaint (status, note)", Tag: tag, Permission: PermInspect,
		Request: new(complaintPatchRequest), Response: new(Complaint)}, h.updateComplaint)

	r.Post("/oversight/decisions", httpx.Op{Summary: "Decide about an institution: suspend, reinstate, invalidate a certificate, order rectification",
		Tag: tag, Permission: PermDecide, Request: new(decisionRequest), Response: new(Decision), Status: 201}, h.decide)
	r.Get("/oversight/decisions", httpx.Op{Summary: "Your decisions with the institutions' answers (?institution_id=&kind=&review_requested=true)",
		Tag: tag, Permission: PermRead, Response: new(httpx.Page[Decision])}, h.decisions)
	r.Get("/oversight/decisions/:id", httpx.Op{Summary: "A decision with the institution's answer", Tag: tag, Permission: PermRead,
		Response: new(Decision)}, h.decision)
	r.Post("/oversight/decisions/:id/review", httpx.Op{Summary: "Decide a review the institution asked for (upheld or withdrawn)", Tag: tag,
		Permission: PermDecide, Request: new(reviewRequest), Response: new(Decision)}, h.review)

	r.Get("/decisions", httpx.Op{Summary: "Regulators' decisions about your institution, with facts and reasons", Tag: "decisions",
		Permission: PermDecList, Response: new(httpx.Page[Decision])}, h.myDecisions)
	r.Get("/decisions/:id", httpx.Op{Summary: "A decision about your institution", Tag: "decisions", Permission: PermDecList,
		Response: new(Decision)}, h.myDecision)
	r.Post("/decisions/:id/statement", httpx.Op{Summary: "State your case on a decision (陈述申辩)", Tag: "decisions",
		Permission: PermDecResp, Request: new(statementRequest), Response: new(Decision)}, h.statement)
	r.Post("/decisions/:id/review-request", httpx.Op{Summary: "Ask for a review of a decision (复核)", Tag: "decisions",
		Permission: PermDecResp, Request: new(reviewRequestRequest), Response: new(Decision)}, h.reviewRequest)

	r.Post("/public/complaints", httpx.Op{Summary: "Complain about an institution; routed to the regulators of its region", Tag: "public",
		Access: httpx.Public, Request: new(complaintRequest), Response: new(ComplaintReceipt), Status: 201}, h.limiter.Wrap(h.complain))
	r.Get("/public/sampling/:id", httpx.Op{Summary: "A published double-random draw: seed, algorithm, populations, results", Tag: "public",
		Access: httpx.Public, Response: new(Sampling)}, h.publicSampling)
}

// Request bodies.
type (
	endpointRequest struct {
		URL    string `json:"url" required:"true"`
		Secret string `json:"secret" required:"true"`
	}
	replayRequest struct {
		Since time.Time `json:"since" required:"true"`
	}
	replayResponse struct {
		Queued int `json:"queued"`
	}
	inspectionRequest struct {
		InstitutionID uuid.UUID   `json:"institution_id" required:"true"`
		Kind          string      `json:"kind" required:"true" enum:"routine,special,annual"`
		Title         string      `json:"title" required:"true"`
		ScheduledOn   string      `json:"scheduled_on,omitempty" format:"date"`
		InspectorIDs  []uuid.UUID `json:"inspector_ids,omitempty"`
	}
	inspectionPatchRequest struct {
		Status       *string      `json:"status,omitempty" enum:"planned,in_progress,closed"`
		Title        *string      `json:"title,omitempty"`
		Conclusion   *string      `json:"conclusion,omitempty"`
		ScheduledOn  *string      `json:"scheduled_on,omitempty" format:"date"`
		InspectorIDs *[]uuid.UUID `json:"inspector_ids,omitempty"`
	}
	findingRequest struct {
		Severity    string `json:"severity" required:"true" enum:"minor,major,critical"`
		Description string `json:"description" required:"true"`
		Requirement string `json:"requirement,omitempty"`
		Deadline    string `json:"deadline,omitempty" format:"date"`
	}
	findingPatchRequest struct {
		Severity    *string `json:"severity,omitempty" enum:"minor,major,critical"`
		Description *string `json:"description,omitempty"`
		Requirement *string `json:"requirement,omitempty"`
		Deadline    *string `json:"deadline,omitempty" format:"date"`
		Resolved    *bool   `json:"resolved,omitempty"`
	}
	samplingRequest struct {
		Institutions int    `json:"institutions" required:"true"`
		Inspectors   int    `json:"inspectors" required:"true"`
		Seed         string `json:"seed,omitempty"`
		Kind         string `json:"kind,omitempty" enum:"routine,special,annual"`
		Title        string `json:"title,omitempty"`
	}
	complaintPatchRequest struct {
		Status string `json:"status" required:"true" enum:"received,investigating,closed"`
		Note   string `json:"note,omitempty"`
	}
	decisionRequest struct {
		InstitutionID     uuid.UUID `json:"institution_id" required:"true"`
		Kind              string    `json:"kind" required:"true" enum:"suspend,reinstate,invalidate_certificate,rectify"`
		CertificateNumber string    `json:"certificate_number,omitempty"`
		Facts             string    `json:"facts,omitempty"`
		Reason            string    `json:"reason" required:"true"`
		Deadline          string    `json:"deadline,omitempty" format:"date"`
	}
	reviewRequest struct {
		Outcome string `json:"outcome" required:"true" enum:"upheld,withdrawn"`
		Note    string `json:"note" required:"true"`
	}
	statementRequest struct {
		Statement string `json:"statement" required:"true"`
	}
	reviewRequestRequest struct {
		Reason string `json:"reason" required:"true"`
	}
	complaintRequest struct {
		InstitutionSlug string `json:"institution_slug" required:"true"`
		Content         string `json:"content" required:"true"`
		Contact         string `json:"contact,omitempty"`
	}
	reconciliationPage struct {
		Items      []ReconciliationDiff `json:"items"`
		NextCursor string               `json:"next_cursor"`
		LastRun    *ReconcileResult     `json:"last_run"`
	}
)

func badParam(field, msg string) error {
	return &platform.Error{Kind: platform.KindInvalid, Code: "invalid_parameter", Message: msg,
		Fields: []platform.FieldError{{Field: field, Code: "format", Message: msg}}}
}

func queryUUID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	v := c.Query(name)
	if v == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, badParam(name, name+" must be a UUID")
	}
	return id, nil
}

func querySince(c *fiber.Ctx) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badParam("since", "since must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
	}
	return t, nil
}

func queryBool(c *fiber.Ctx, name string) bool {
	b, _ := strconv.ParseBool(c.Query(name))
	return b
}

// timeCursor reads a (time, id) keyset cursor.
func timeCursor(lp httpx.ListParams) (time.Time, uuid.UUID, error) {
	var at time.Time
	var id uuid.UUID
	_, err := httpx.DecodeCursor(lp.Cursor, &at, &id)
	return at, id, err
}

// page cuts items fetched with limit+1 into a page, with the cursor of the last item kept.
func page[T any](items []T, limit int, cursor func(T) string) httpx.Page[T] {
	p := httpx.Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = cursor(items[limit-1])
	}
	return p
}

func (h *Handler) institutions(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	if lp.Desc {
		return badParam("sort", "institutions are listed oldest first")
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	items, err := h.svc.Institutions(c.UserContext(), at, id, lp.Limit+1)
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(i Institution) string { return httpx.EncodeCursor(i.CreatedAt, i.ID) }))
}

func (h *Handler) institution(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	in, err := h.svc.Institution(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (h *Handler) recordPage(c *fiber.Ctx) (uuid.UUID, RecordPage, error) {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return id, RecordPage{}, err
	}
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return id, RecordPage{}, err
	}
	at, after, err := timeCursor(lp)
	if err != nil {
		return id, RecordPage{}, err
	}
	batch, err := queryUUID(c, "batch_id")
	return id, RecordPage{Limit: lp.Limit + 1, AfterTime: at, AfterID: after, Status: c.Query("status"), BatchID: batch}, err
}

func (h *Handler) batches(c *fiber.Ctx) error {
	id, p, err := h.recordPage(c)
	if err != nil {
		return err
	}
	items, err := h.svc.InstitutionBatches(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(page(items, p.Limit-1, func(b BatchRecord) string { return httpx.EncodeCursor(b.CreatedAt, b.ID) }))
}

func (h *Handler) certificates(c *fiber.Ctx) error {
	id, p, err := h.recordPage(c)
	if err != nil {
		return err
	}
	items, err := h.svc.InstitutionCertificates(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(page(items, p.Limit-1, func(b CertificateRecord) string { return httpx.EncodeCursor(b.CreatedAt, b.ID) }))
}

func (h *Handler) audit(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	lp, err := httpx.ParseList(c, "seq")
	if err != nil {
		return err
	}
	since, err := querySince(c)
	if err != nil {
		return err
	}
	var after int64
	if _, err := httpx.DecodeCursor(lp.Cursor, &after); err != nil {
		return err
	}
	items, err := h.svc.InstitutionAudit(c.UserContext(), id, after, since, lp.Limit+1)
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(e audit.Entry) string { return httpx.EncodeCursor(e.Seq) }))
}

func (h *Handler) score(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "tenant_id")
	if err != nil {
		return err
	}
	sc, err := h.svc.Score(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (h *Handler) scores(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "score")
	if err != nil {
		return err
	}
	var offset int
	if _, err := httpx.DecodeCursor(lp.Cursor, &offset); err != nil {
		return err
	}
	all, err := h.svc.Scores(c.UserContext())
	if err != nil {
		return err
	}
	// Scores are computed, not stored: the cursor is the offset into this ordering.
	all = all[min(offset, len(all)):]
	return c.JSON(page(all, lp.Limit, func(Score) string { return httpx.EncodeCursor(offset + lp.Limit) }))
}

func (h *Handler) reports(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "seq")
	if err != nil {
		return err
	}
	if lp.Desc {
		return badParam("sort", "reports are listed oldest first")
	}
	since, err := querySince(c)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	var after int64
	if _, err := httpx.DecodeCursor(lp.Cursor, &after); err != nil {
		return err
	}
	items, err := h.svc.Reports(c.UserContext(), ReportFilter{Since: since, InstitutionID: inst, Kind: c.Query("kind"), AfterSeq: after, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(r Report) string { return httpx.EncodeCursor(r.Seq) }))
}

func (h *Handler) report(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.Report(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *Handler) verifyReports(c *fiber.Ctx) error {
	res, err := h.svc.VerifyReports(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *Handler) syncState(c *fiber.Ctx) error {
	st, err := h.svc.SyncState(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) setEndpoint(c *fiber.Ctx) error {
	var req endpointRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	st, err := h.svc.SetEndpoint(c.UserContext(), EndpointInput{URL: req.URL, Secret: req.Secret})
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) deleteEndpoint(c *fiber.Ctx) error {
	if err := h.svc.DeleteEndpoint(c.UserContext()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) pause(c *fiber.Ctx) error {
	st, err := h.svc.Pause(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) resume(c *fiber.Ctx) error {
	st, err := h.svc.Resume(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (h *Handler) replay(c *fiber.Ctx) error {
	var req replayRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.svc.Replay(c.UserContext(), req.Since)
	if err != nil {
		return err
	}
	return c.JSON(replayResponse{Queued: n})
}

func (h *Handler) reconciliation(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "first_seen_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	items, last, err := h.svc.Reconciliation(c.UserContext(), DiffFilter{InstitutionID: inst, Open: queryBool(c, "open"),
		AfterSeen: at, AfterID: id, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	p := page(items, lp.Limit, func(d ReconciliationDiff) string { return httpx.EncodeCursor(d.FirstSeenAt, d.ID) })
	return c.JSON(reconciliationPage{Items: p.Items, NextCursor: p.NextCursor, LastRun: last})
}

func (h *Handler) flags(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "first_seen_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	items, err := h.svc.Flags(c.UserContext(), FlagFilter{Kind: c.Query("kind"), Open: queryBool(c, "open"), AfterAt: at, AfterID: id, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(f Flag) string { return httpx.EncodeCursor(f.FirstSeenAt, f.ID) }))
}

func (h *Handler) stats(c *fiber.Ctx) error {
	var f StatsFilter
	var err error
	if v := c.Query("from"); v != "" {
		if f.From, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("to"); v != "" {
		if f.To, err = ParseMonth(v); err != nil {
			return err
		}
	}
	if v := c.Query("level"); v != "" {
		if f.Level, err = strconv.Atoi(v); err != nil || f.Level < 1 || f.Level > 5 {
			return badParam("level", "level must be 1 to 5")
		}
	}
	f.OccupationCode = c.Query("occupation_code")
	if f.InstitutionID, err = queryUUID(c, "institution_id"); err != nil {
		return err
	}
	format := strings.ToLower(c.Query("format", "json"))
	if format != "json" && format != "csv" && format != "xlsx" {
		return badParam("format", "format must be json, csv or xlsx")
	}
	st, err := h.svc.Stats(c.UserContext(), f, format != "json")
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		table := c.Query("table", "certificates")
		b, err := StatsCSV(st, table)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats-`+table+`.csv"`)
		return c.Send(b)
	case "xlsx":
		b, err := StatsXLSX(st)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="skillcert-stats.xlsx"`)
		return c.Send(b)
	}
	return c.JSON(st)
}

func (h *Handler) inspections(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	items, err := h.svc.Inspections(c.UserContext(), InspectionFilter{InstitutionID: inst, Status: c.Query("status"), Kind: c.Query("kind"),
		AfterCreated: at, AfterID: id, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(i Inspection) string { return httpx.EncodeCursor(i.CreatedAt, i.ID) }))
}

func (h *Handler) createInspection(c *fiber.Ctx) error {
	var req inspectionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	sched := httpx.DateField(&v, "scheduled_on", req.ScheduledOn)
	if err := v.Err(); err != nil {
		return err
	}
	in, err := h.svc.CreateInspection(c.UserContext(), InspectionInput{InstitutionID: req.InstitutionID, Kind: req.Kind, Title: req.Title,
		ScheduledOn: sched, InspectorIDs: req.InspectorIDs})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(in)
}

func (h *Handler) inspection(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	in, err := h.svc.Inspection(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (h *Handler) updateInspection(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req inspectionPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	p := InspectionPatch{Status: req.Status, Title: req.Title, Conclusion: req.Conclusion, InspectorIDs: req.InspectorIDs}
	if req.ScheduledOn != nil {
		var v platform.Validation
		p.ScheduledOn = httpx.DateField(&v, "scheduled_on", *req.ScheduledOn)
		if err := v.Err(); err != nil {
			return err
		}
	}
	in, err := h.svc.UpdateInspection(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (h *Handler) deleteInspection(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteInspection(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) addFinding(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req findingRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	dl := httpx.DateField(&v, "deadline", req.Deadline)
	if err := v.Err(); err != nil {
		return err
	}
	f, err := h.svc.AddFinding(c.UserContext(), id, FindingInput{Severity: req.Severity, Description: req.Description,
		Requirement: req.Requirement, Deadline: dl})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(f)
}

func (h *Handler) findingIDs(c *fiber.Ctx) (uuid.UUID, uuid.UUID, error) {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return id, id, err
	}
	fid, err := httpx.UUIDParam(c, "finding_id")
	return id, fid, err
}

func (h *Handler) updateFinding(c *fiber.Ctx) error {
	id, fid, err := h.findingIDs(c)
	if err != nil {
		return err
	}
	var req findingPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	p := FindingPatch{Severity: req.Severity, Description: req.Description, Requirement: req.Requirement, Resolved: req.Resolved}
	if req.Deadline != nil {
		var v platform.Validation
		p.Deadline = httpx.DateField(&v, "deadline", *req.Deadline)
		if err := v.Err(); err != nil {
			return err
		}
	}
	f, err := h.svc.UpdateFinding(c.UserContext(), id, fid, p)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (h *Handler) deleteFinding(c *fiber.Ctx) error {
	id, fid, err := h.findingIDs(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteFinding(c.UserContext(), id, fid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) sample(c *fiber.Ctx) error {
	var req samplingRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.Sample(c.UserContext(), SamplingInput{Institutions: req.Institutions, Inspectors: req.Inspectors, Seed: req.Seed,
		Kind: req.Kind, Title: req.Title})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s)
}

func (h *Handler) samplings(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	items, err := h.svc.Samplings(c.UserContext(), at, id, lp.Limit+1)
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(s Sampling) string { return httpx.EncodeCursor(s.CreatedAt, s.ID) }))
}

func (h *Handler) complaints(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "created_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	items, err := h.svc.Complaints(c.UserContext(), ComplaintFilter{InstitutionID: inst, Status: c.Query("status"), AfterCreated: at,
		AfterID: id, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(x Complaint) string { return httpx.EncodeCursor(x.CreatedAt, x.ID) }))
}

func (h *Handler) updateComplaint(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req complaintPatchRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	out, err := h.svc.UpdateComplaint(c.UserContext(), id, req.Status, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *Handler) decide(c *fiber.Ctx) error {
	var req decisionRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	var v platform.Validation
	dl := httpx.DateField(&v, "deadline", req.Deadline)
	if err := v.Err(); err != nil {
		return err
	}
	d, err := h.svc.Decide(c.UserContext(), DecisionInput{InstitutionID: req.InstitutionID, Kind: DecisionKind(req.Kind),
		CertificateNumber: req.CertificateNumber, Facts: req.Facts, Reason: req.Reason, Deadline: dl})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (h *Handler) decisions(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "decided_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	inst, err := queryUUID(c, "institution_id")
	if err != nil {
		return err
	}
	items, err := h.svc.Decisions(c.UserContext(), DecisionFilter{InstitutionID: inst, Kind: c.Query("kind"),
		ReviewRequested: queryBool(c, "review_requested"), AfterDecided: at, AfterID: id, Limit: lp.Limit + 1})
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(d Decision) string { return httpx.EncodeCursor(d.DecidedAt, d.ID) }))
}

func (h *Handler) decision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.Decision(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
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
	d, err := h.svc.ReviewDecision(c.UserContext(), id, req.Outcome, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) myDecisions(c *fiber.Ctx) error {
	lp, err := httpx.ParseList(c, "decided_at")
	if err != nil {
		return err
	}
	at, id, err := timeCursor(lp)
	if err != nil {
		return err
	}
	items, err := h.svc.InstitutionDecisions(c.UserContext(), at, id, lp.Limit+1)
	if err != nil {
		return err
	}
	return c.JSON(page(items, lp.Limit, func(d Decision) string { return httpx.EncodeCursor(d.DecidedAt, d.ID) }))
}

func (h *Handler) myDecision(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.InstitutionDecision(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) statement(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req statementRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.svc.AnswerDecision(c.UserContext(), id, AnswerStatement, req.Statement)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) reviewRequest(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req reviewRequestRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	d, err := h.svc.AnswerDecision(c.UserContext(), id, AnswerReviewRequest, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h *Handler) complain(c *fiber.Ctx) error {
	var req complaintRequest
	if err := httpx.Bind(c, &req); err != nil {
		return err
	}
	rec, err := h.svc.Complain(c.UserContext(), ComplaintInput{InstitutionSlug: req.InstitutionSlug, Content: req.Content, Contact: req.Contact})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(rec)
}

func (h *Handler) publicSampling(c *fiber.Ctx) error {
	id, err := httpx.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.PublicSampling(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(s)
}
